"""The published results, for everyone.

Nothing here shows a score before an organiser publishes: the page reads only the
publishing service's snapshot, never judging's standings.
"""

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from services.web.gateway import Gateway
from services.web.rendering import render


class ResultsPages(Controller):
    opt = {"access": "public"}
    include_in_schema = False

    @get("/e/{slug:str}/results")
    async def page(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        spec = await gateway.event(slug)
        results = await gateway.results(slug)
        challenges = {c.id: c for c in spec.challenges}
        return render(request, "public/results.html", event=spec, results=results, challenges=challenges)
