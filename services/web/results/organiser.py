"""The organiser's results page: live standings, the jury's words, publishing and withdrawing."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.publishing import PublishResults, Results, WithdrawResults
from schemas.subjects import Publishing
from services.kit.client import ServiceError
from services.web.errors import form_refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import language_of, render


class ResultsAdmin(Controller):
    path = "/organiser/e/{slug:str}/results"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "jury"}

    @get("/")
    async def page(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        return await self._page(request, gateway, slug)

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response[str]:
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
    async def publish(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
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
            refused = form_refusal(failure, language_of(request))
            return await self._page(request, gateway, slug, refused.message, refused.status)
        return Redirect(f"/organiser/e/{slug}/results?saved=published", status_code=303)

    @post("/withdraw")
    async def withdraw(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        command = WithdrawResults(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
        )
        await gateway.call(Publishing.WITHDRAW, command, Results)
        return Redirect(f"/organiser/e/{slug}/results?saved=withdrawn", status_code=303)
