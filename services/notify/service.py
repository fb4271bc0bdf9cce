"""The notify service: owns its stream; its rules arrive with their issue."""

from services.kit.skeleton import StreamOwner


class NotifyService(StreamOwner):
    name = "notify"
    description = "Mails sent in reaction to other services' events"
