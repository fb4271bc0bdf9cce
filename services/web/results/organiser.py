"""The organiser's results page: live standings, the jury's words, publishing and withdrawing.

Without JavaScript the page shows the standings as they are (a reload shows the new ones); with it,
a server-sent stream says when the event's judging changed and the page fetches its standings again
(`?part=standings`). Both are for the event's organisers only: the public page waits for publishing.
"""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent

from schemas.catalog import EventSpec
from schemas.judging import Standings
from schemas.publishing import PRIZE_KINDS, Prize, PublishResults, Results, WithdrawResults
from schemas.subjects import Judging, Publishing
from services.kit.client import ServiceError
from services.kit.prizes import suggested_winner
from services.web.compression import UNCOMPRESSED
from services.web.errors import form_refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.live import LIVE, Live
from services.web.rendering import language_of, render

# Empty rows the form offers beyond the prizes already there, so a prize can be added without JavaScript.
SPARE_ROWS = 2


def prize_rows(spec: EventSpec, standings: Standings, results: Results) -> list[Prize]:
    """The prizes of the form: the published ones, or the usual ones with the ranking's suggestion."""
    if results.prizes:
        rows = list(results.prizes)
    else:
        overall = suggested_winner(standings, "overall") or ""
        rows = [Prize(kind="overall", title="Grand prix", title_en="Grand prize", team=overall)]
        for challenge in spec.challenges:
            rows.append(
                Prize(
                    kind="track",
                    challenge=challenge.id,
                    title=f"Prix du défi « {challenge.title} »",
                    title_en=f"“{challenge.title_en or challenge.title}” challenge prize",
                    team=suggested_winner(standings, "track", challenge.id) or "",
                )
            )
        rows += [
            Prize(kind="audience", title="Prix du public", title_en="Audience prize", team=""),
            Prize(kind="partner", title="", team=""),
            Prize(kind="jury_favourite", title="Coup de cœur du jury", title_en="Jury's favourite", team=""),
        ]
    return rows + [Prize(kind="partner", title="", team="") for _ in range(SPARE_ROWS)]


def prizes_of(form: Any) -> list[Prize]:
    """The prize rows the organiser filled in: a row without a winner is no prize (yet).

    The form offers the usual prizes already titled (the audience's, the jury's favourite…); one the
    organiser leaves without a winner is simply not awarded, rather than refusing the whole publication.
    """
    prizes: list[Prize] = []
    index = 0
    while f"prize-{index}-kind" in form:
        field = {name: str(form.get(f"prize-{index}-{name}") or "") for name in PRIZE_FIELDS}
        index += 1
        if not field["team"]:
            continue
        kind = field["kind"] if field["kind"] in PRIZE_KINDS else "overall"
        # Not cut short: an overlong title or line is refused by publishing, and the organiser told so.
        prizes.append(
            Prize(
                kind=kind,  # type: ignore[arg-type]
                title=field["title"],
                title_en=field["title_en"],
                challenge=field["challenge"] or None,
                partner=field["partner"],
                team=field["team"],
                line=field["line"],
                line_en=field["line_en"],
            )
        )
    return prizes


PRIZE_FIELDS = ("kind", "title", "title_en", "challenge", "partner", "team", "line", "line_en")


class ResultsAdmin(Controller):
    path = "/organiser/e/{slug:str}/results"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "jury"}

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        part: FromQuery[str] = "",
    ) -> Response[str]:
        """`part=standings` is the standings alone, which the live page fetches again when a score arrives."""
        if part == "standings":
            spec, _, standings = await gateway.judging(slug)
            response = render(request, "organiser/_standings.html", event=spec, standings=standings)
            response.headers["Cache-Control"] = "no-store"
            return response
        return await self._page(request, gateway, slug)

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        error: str | None = None,
        status_code: int = 200,
        entered: list[Prize] | None = None,
    ) -> Response[str]:
        spec, _, standings = await gateway.judging(slug)
        results = await gateway.results(slug)
        return render(
            request,
            "organiser/results.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            standings=standings,
            results=results,
            # A refused form comes back as it was sent, with the message.
            prizes=prize_rows(spec, standings, results)
            if entered is None
            else entered + [Prize(kind="partner", title="", team="")],
            prize_kinds=PRIZE_KINDS,
            teams=[s.team for s in standings.standings if s.given > 0],
            error=error,
            command_id=uuid.uuid4().hex,
            saved=request.query_params.get("saved", ""),
        )

    @post("/publish")
    async def publish(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        prizes = prizes_of(form)
        command = PublishResults(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            # Not cut short: an overlong note is refused, and the organiser told so.
            note=str(form.get("note") or ""),
            note_en=str(form.get("note_en") or ""),
            prizes=prizes,
        )
        try:
            await gateway.call(Publishing.PUBLISH, command, Results)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            return await self._page(request, gateway, slug, refused.message, refused.status, prizes)
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


class LiveStandings(Controller):
    """The stream of the results page: `change` each time the event's judging changed."""

    path = "/organiser/e/{slug:str}/standings"
    include_in_schema = False
    # Those who see the standings page (services/web/access.py), nobody else.
    opt = {"access": "jury"}

    # Never gzipped: its messages are a few bytes each, and a proxy may hold a gzipped stream back.
    @get("/stream", exclude_from_csrf=True, opt={UNCOMPRESSED: True}, dependencies=LIVE)
    async def stream(
        self, gateway: NamedDependency[Gateway], live: NamedDependency[Live], slug: FromPath[str]
    ) -> ServerSentEvent:
        """Judging announces each applied change: one subscription per web instance and event."""
        await gateway.event(slug, include_unpublished=True)  # an unknown event is a 404
        return live.stream(slug, (Judging.changed(slug),))
