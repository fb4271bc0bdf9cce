"""The teams service: owns its stream; its rules arrive with their issue."""

from services.kit.skeleton import StreamOwner


class TeamsService(StreamOwner):
    name = "teams"
    description = "Team formation: who works with whom on which challenge"
