"""The audience Q&A in the JSON API: what the room may see, for a screen or a site of one's own."""

from typing import Any

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from schemas.qa import GetPublicQa, PublicQa
from schemas.subjects import Qa
from services.web.gateway import Gateway
from services.web.views import error_responses


class QaApi(Controller):
    path = "/api/v1/events/{slug:str}"
    tags = ["qa"]

    @get(
        "/questions",
        summary="The audience's questions moderators approved, by votes (never a pending or rejected one)",
        responses=error_responses(404, 503),
        opt={"access": "public"},
    )
    async def questions(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> Response[Any]:
        spec = await gateway.event(slug)
        qa = await gateway.call(Qa.PUBLIC, GetPublicQa(event=spec.slug), PublicQa)
        return Response(qa, media_type=MediaType.JSON)
