"""The judging service: owns its stream; its rules arrive with their issue."""

from services.kit.skeleton import StreamOwner


class JudgingService(StreamOwner):
    name = "judging"
    description = "Jury scores, one per juror, team and criterion"
