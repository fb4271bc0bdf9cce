"""The day at a glance: one light page of an event's live figures and charts.

Without JavaScript it reloads itself (a meta refresh); with it, a server-sent stream says when the
event changed (an arrival, a registration, a team, a score, the agenda) and the page fetches itself again.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import ServerSentEvent

from schemas.catalog import EventSpec
from schemas.judging import GetSheets, GetStandings, Sheet, Sheets, Standings
from schemas.notify import ListMails, MailList
from schemas.registration import ListRegistrations, RegistrationList, RegistrationView
from schemas.schedule import AgendaView, GetAgenda
from schemas.subjects import Judging, Notify, Publishing, Registration, Schedule, Teams
from schemas.teams import ListTeams, TeamList
from services.kit.client import ServiceError
from services.web import charts
from services.web.access import may
from services.web.auth import memberships_of
from services.web.compression import UNCOMPRESSED
from services.web.gateway import Gateway, jurors_of
from services.web.live import LIVE, Live
from services.web.now_next import board
from services.web.rendering import render

# Seconds between two reloads of the page (a meta refresh: no JavaScript needed).
REFRESH_SECONDS = 30
# With the live stream, at most one fetch of the page per this many seconds, however busy the door is.
LIVE_INTERVAL = 3.0


def live_subjects(slug: str) -> tuple[str, ...]:
    """What the page shows changes with these: people, teams, scores, the agenda, the results."""
    return (
        Registration.event_events(slug),
        Teams.event_subject(slug),
        Judging.event_subject(slug),
        Schedule.changed(slug),
        Publishing.changed(slug),
    )


async def _teams(gateway: Gateway, spec: EventSpec) -> TeamList | None:
    if not spec.challenges:
        return None
    try:
        return await gateway.call(Teams.LIST, ListTeams(event=spec.slug, with_unplaced=True), TeamList)
    except ServiceError:
        return None


async def _agenda(gateway: Gateway, slug: str) -> AgendaView | None:
    try:
        return await gateway.call(Schedule.AGENDA, GetAgenda(event=slug, include_unpublished=True), AgendaView)
    except ServiceError:
        return None


async def _mails(gateway: Gateway, slug: str) -> MailList | None:
    try:
        return await gateway.call(Notify.LIST_MAILS, ListMails(event=slug, limit=1000), MailList)
    except ServiceError:
        return None


async def _jury(
    gateway: Gateway, spec: EventSpec, people: list[RegistrationView]
) -> tuple[list[RegistrationView], Standings, list[Sheet]] | None:
    """The jurors, the standings and every juror's sheet (their scores, for the spread): two queries."""
    if not spec.criteria:
        return None
    jurors = jurors_of(spec, people)
    ids = [j.id for j in jurors]
    try:
        standings, sheets = await asyncio.gather(
            gateway.call(Judging.STANDINGS, GetStandings(event=spec.slug, jurors=ids), Standings),
            gateway.call(Judging.SHEETS, GetSheets(event=spec.slug, jurors=ids), Sheets),
        )
    except ServiceError:
        return None
    return jurors, standings, sheets.sheets


async def _dead_letters(request: Request[Any, Any, Any], gateway: Gateway) -> int | None:
    """The messages no service could read, for those who run Perche (they span every event, as the
    mail log does); None for the others, and when JetStream does not say."""
    if not may(memberships_of(request), "deployment", None, None):
        return None
    return await gateway.dead_letters()


def score_rows(spec: EventSpec, jurors: list[RegistrationView], sheets: list[Sheet]) -> list[tuple[str, list[float]]]:
    """Each juror's scores as shares of their criterion's scale, so criteria of any scale compare."""
    scales = {c.id: c.max_points for c in spec.criteria}
    return [
        (juror.name or juror.id[:8], [s.points / scales[s.criterion] for s in sheet.scores if s.criterion in scales])
        for juror, sheet in zip(jurors, sheets, strict=True)
    ]


class DayAtAGlance(Controller):
    path = "/organiser/e/{slug:str}/day"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/")
    async def day(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        pause: FromQuery[str] = "",
        part: FromQuery[str] = "",
    ) -> Response[str]:
        """The figures of the day; `pause` stops the reloading, for someone reading at their own pace;
        `part=figures` is the figures alone, which the live page fetches again when the event changes."""
        spec = await gateway.event(slug, include_unpublished=True)
        listed, counts, teams, agenda, mails, dead_letters = await asyncio.gather(
            gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList),
            gateway.counts(slug),
            _teams(gateway, spec),
            _agenda(gateway, slug),
            _mails(gateway, slug),
            _dead_letters(request, gateway),
        )
        people = listed.registrations
        jury = await _jury(gateway, spec, people)
        now = datetime.now(UTC)
        series: dict[str, list[datetime]] = {c.id: [] for c in spec.categories}
        for person in people:
            if person.status != "cancelled":
                series.setdefault(person.category, []).append(person.registered_at)
        arrivals = [p.checked_in_at for p in people if p.checked_in_at is not None]
        statuses = [m.status for m in mails.mails] if mails else []
        response = render(
            request,
            "organiser/_day.html" if part == "figures" else "organiser/day.html",
            organiser=request.state.organiser,
            event=spec,
            counts=counts,
            now=now,
            refresh=REFRESH_SECONDS,
            paused=bool(pause),
            teams=teams,
            rows=board(agenda.agenda, None, now) if agenda else [],
            agenda=agenda.agenda if agenda else None,
            mails={
                "waiting": statuses.count("sending"),
                "failed": len(statuses) - statuses.count("sending") - statuses.count("sent"),
            }
            if mails
            else None,
            jury=jury[1] if jury else None,
            dead_letters=dead_letters,
            timeline=charts.registrations_over_time({k: v for k, v in series.items() if v}),
            arrivals=charts.arrivals_per_hour(arrivals, spec.timezone),
            spreads=charts.score_spread(score_rows(spec, jury[0], jury[2])) if jury else [],
            charts=charts,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    # Never gzipped: its messages are a few bytes each, and a proxy may hold a gzipped stream back.
    @get("/stream", exclude_from_csrf=True, opt={UNCOMPRESSED: True}, dependencies=LIVE)
    async def stream(
        self, gateway: NamedDependency[Gateway], live: NamedDependency[Live], slug: FromPath[str]
    ) -> ServerSentEvent:
        """`change` each time something the page shows changed (mails are seen on the periodic fetch)."""
        await gateway.event(slug, include_unpublished=True)
        return live.stream(slug, live_subjects(slug), min_interval=LIVE_INTERVAL)
