"""Results: live standings for organisers, the published results for everyone.

Nothing here shows a score before an organiser publishes: the public page and
API read only the publishing service's snapshot, never judging's standings.
"""

import uuid
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.publishing import PublishResults, Results, WithdrawResults
from schemas.subjects import Publishing
from services.kit.client import ServiceError
from services.web.auth import organiser_guard
from services.web.errors import error_text
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import language_of, render
from services.web.spreadsheets import csv_bytes
from services.web.views import error_responses


class ResultsAdmin(Controller):
    path = "/organiser/e/{slug:str}/results"
    include_in_schema = False
    guards = [organiser_guard]

    @get("/")
    async def page(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        return await self._page(request, slug)

    async def _page(
        self, request: Request[Any, Any, Any], slug: str, error: str | None = None, status_code: int = 200
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec, _, standings = await gateway.judging(slug)
        return render(
            request,
            "organiser/results.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            standings=standings,
            results=await gateway.results(slug),
            error=error,
            command_id=uuid.uuid4().hex,
            saved=request.query_params.get("saved", ""),
        )

    @post("/publish")
    async def publish(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        command = PublishResults(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            # Not cut short: an overlong note is refused, and the organiser told so.
            note=str(form.get("note") or ""),
            note_en=str(form.get("note_en") or ""),
        )
        try:
            await gateway.call(Publishing.PUBLISH, command, Results)
        except ServiceError as failure:
            if failure.reply.code in ("unavailable", "internal"):
                raise
            message = error_text(failure.reply.key, failure.reply.message, language_of(request))
            return await self._page(request, slug, message, 422 if failure.reply.code == "invalid" else 409)
        return Redirect(f"/organiser/e/{slug}/results?saved=published", status_code=303)

    @post("/withdraw")
    async def withdraw(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        command = WithdrawResults(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
        )
        await gateway.call(Publishing.WITHDRAW, command, Results)
        return Redirect(f"/organiser/e/{slug}/results?saved=withdrawn", status_code=303)


class ResultsPages(Controller):
    include_in_schema = False

    @get("/e/{slug:str}/results")
    async def page(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug)
        results = await gateway.results(slug)
        challenges = {c.id: c for c in spec.challenges}
        return render(request, "public/results.html", event=spec, results=results, challenges=challenges)


class ResultsApi(Controller):
    path = "/api/v1/events/{slug:str}"
    tags = ["results"]

    @get(
        "/results",
        summary="Published results (404 until an organiser publishes them)",
        responses=error_responses(404, 503),
    )
    async def results(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        await gateway.event(slug)
        results = await gateway.results(slug)
        if results.version == 0:
            raise NotFoundException("The results of this event are not published")
        return Response(results, media_type=MediaType.JSON)

    @get(
        "/standings",
        summary="Live standings from the jury's scores (organisers)",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
    )
    async def standings(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        _, _, standings = await request.app.state.gateway.judging(slug)
        return Response(standings, media_type=MediaType.JSON)

    @get(
        "/standings.csv",
        summary="The standings for a spreadsheet (organisers)",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        media_type="text/csv",
        responses=error_responses(401, 404, 503),
    )
    async def standings_csv(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
        spec, _, standings = await request.app.state.gateway.judging(slug)
        header = ["rang", "équipe", "défi"] + [f"{c.name} (/{c.max_points})" for c in spec.criteria]
        rows = [
            [s.rank, s.team.name, s.team.challenge or ""]
            + ["" if r.average is None else r.average for r in s.criteria]
            + [s.total, f"{s.given}/{s.expected}"]
            for s in standings.standings
        ]
        return Response(
            csv_bytes(header + ["total /100", "notes"], rows),
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={"Content-Disposition": f'attachment; filename="{slug}-classement.csv"'},
        )
