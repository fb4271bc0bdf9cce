"""The public agenda page and the venue's live screen (server-sent events, refresh fallback)."""

import asyncio
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import ServerSentEvent

from schemas.catalog import EventSpec
from schemas.schedule import Agenda, AgendaView, GetAgenda, Session
from schemas.subjects import Publishing, Schedule
from services.kit.i18n import localised
from services.web.agenda.cache import AGENDA_CACHE
from services.web.agenda.shaping import by_day, public_agenda
from services.web.compression import UNCOMPRESSED
from services.web.gateway import Gateway, public_base
from services.web.live import LIVE, Live
from services.web.now_next import board
from services.web.rendering import language_of, render


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_add_link(event: EventSpec, agenda: Agenda, session: Session, language: str, page: str) -> str:
    """« Add to Google Calendar » for one session: Google's event template link."""
    room = agenda.room(session.room)
    where = ", ".join(
        part
        for part in (localised(room, "name", language) if room else "", event.venue.name, event.venue.address)
        if part
    )
    details = localised(session, "description", language)
    params = {
        "action": "TEMPLATE",
        "text": localised(session, "title", language),
        "dates": f"{_utc_stamp(session.starts_at)}/{_utc_stamp(session.ends_at)}",
        "ctz": event.timezone,
        "location": where,
        "details": (details + "\n\n" if details else "") + f"{page}#s-{session.id}",
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)


def subscribe_links(feed_url: str) -> dict[str, str]:
    webcal = re.sub(r"^https?://", "webcal://", feed_url)
    return {
        "ics": feed_url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
    }


def _moment(value: str | None, zone: str) -> datetime | None:
    """A local date and time from a form or a query (« 2027-06-13T14:05 »), or None."""
    if not value or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


class AgendaPages(Controller):
    opt = {"access": "public"}
    include_in_schema = False
    dependencies = AGENDA_CACHE

    async def _published(self, gateway: Gateway, slug: str) -> tuple[EventSpec, AgendaView]:
        spec, view = await asyncio.gather(
            gateway.event(slug), gateway.call(Schedule.AGENDA, GetAgenda(event=slug), AgendaView)
        )
        return spec, msgspec.structs.replace(view, agenda=public_agenda(view.agenda))

    @get("/e/{slug:str}/agenda")
    async def agenda(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        spec, view = await self._published(gateway, slug)
        language = language_of(request)
        base = public_base(request)
        page = f"{base}/e/{slug}/agenda"
        sessions = view.agenda.sessions
        return render(
            request,
            "public/agenda.html",
            event=spec,
            view=view,
            agenda=view.agenda,
            days=by_day(sessions, spec.timezone),
            google={s.id: google_add_link(spec, view.agenda, s, language, page) for s in sessions},
            subscribe=subscribe_links(f"{base}/e/{slug}/calendar.ics"),
            room_feeds=[(r, subscribe_links(f"{base}/e/{slug}/rooms/{r.id}/calendar.ics")) for r in view.agenda.rooms],
        )

    async def _screen(
        self, request: Request[Any, Any, Any], gateway: Gateway, slug: str, room: str, at: str, template: str
    ) -> Response[str]:
        """The screen, or its board alone, for one room (`room`) or all, at `at` or now."""
        spec, view = await self._published(gateway, slug)
        chosen = room or None
        if chosen is not None and view.agenda.room(chosen) is None:
            raise NotFoundException()
        now = _moment(at, spec.timezone) or datetime.now(UTC)
        return render(
            request,
            template,
            event=spec,
            agenda=view.agenda,
            rows=board(view.agenda, chosen, now),
            now=now,
            room=chosen,
            at=at,
            query=urlencode({k: v for k, v in (("room", room), ("at", at)) if v}),
            results=await gateway.results(slug),
        )

    @get("/e/{slug:str}/screen")
    async def screen(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        room: FromQuery[str] = "",
        at: FromQuery[str] = "",
    ) -> Response[str]:
        """The venue's big screen: now and next in each room, live (`at` rehearses another time)."""
        return await self._screen(request, gateway, slug, room, at, "screen.html")

    @get("/e/{slug:str}/screen/board")
    async def screen_board(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        room: FromQuery[str] = "",
        at: FromQuery[str] = "",
    ) -> Response[str]:
        """The board alone, which the screen fetches again when the agenda or the results change."""
        response = await self._screen(request, gateway, slug, room, at, "screen_board.html")
        response.headers["Cache-Control"] = "no-store"
        return response

    # Never gzipped: its messages are a few bytes each, and a proxy may hold a gzipped stream back.
    @get("/e/{slug:str}/screen/stream", exclude_from_csrf=True, opt={UNCOMPRESSED: True}, dependencies=LIVE)
    async def screen_stream(
        self, gateway: NamedDependency[Gateway], live: NamedDependency[Live], slug: FromPath[str]
    ) -> ServerSentEvent:
        """Server-sent events: `change` when the agenda changes or results are published."""
        await gateway.event(slug)
        return live.stream(slug, (Schedule.changed(slug), Publishing.changed(slug)))
