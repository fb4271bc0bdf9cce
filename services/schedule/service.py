"""The schedule service: owns its stream; its rules arrive with their issue."""

from services.kit.skeleton import StreamOwner


class ScheduleService(StreamOwner):
    name = "schedule"
    description = "The agenda: sessions, rooms, speakers, pitch and jury rounds"
