"""The publishing service: owns its stream; its rules arrive with their issue."""

from services.kit.skeleton import StreamOwner


class PublishingService(StreamOwner):
    name = "publishing"
    description = "Results, published when the organisers say so"
