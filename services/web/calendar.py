"""The agenda on the web: iCal feeds, the public agenda, the venue's screen, organisers' editing.

Feeds are built by the schedule service and kept here, per web instance, until the
agenda changes: the schedule service announces every release on NATS, and each
instance then forgets its copies for that event. A calendar app polling an unchanged
feed gets `304 Not Modified` from memory, without a NATS round trip. Nothing here
is state of record: an instance that starts cold asks again.
"""

import asyncio
import contextlib
import re
import time
import unicodedata
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage
from nats.aio.client import Client

from schemas.catalog import EventSpec, RoomSpec, SessionKind, Span
from schemas.registration import CalendarAccess, CalendarHolder
from schemas.schedule import (
    Agenda,
    AgendaVersion,
    AgendaView,
    Contributor,
    DraftView,
    Edit,
    EditDraft,
    Feed,
    GenerateRounds,
    GetAgenda,
    GetAgendaVersion,
    GetDraft,
    GetFeed,
    ListReleases,
    PutContributor,
    PutRoom,
    PutSession,
    PutTeam,
    ReleaseAgenda,
    ReleaseList,
    RemoveContributor,
    RemoveRoom,
    RemoveSession,
    RemoveTeam,
    Session,
    Team,
)
from schemas.subjects import Registration, Schedule
from services.kit.client import ServiceError
from services.web.api import check_key
from services.web.auth import organiser_guard
from services.web.forms import N_, error_text
from services.web.gateway import Gateway
from services.web.i18n import negotiate
from services.web.rendering import gettext_for, language_of, localised, render

VERSION_TTL = 30.0  # seconds a known version is trusted without an announcement
HOLDER_TTL = 60.0  # seconds a checked personal link is trusted (cancelling takes effect after)
MAX_FEED_BYTES = 64 * 1024 * 1024  # feeds kept per instance, least recently used dropped first
MAX_HOLDERS = 20_000
STREAM_LIFETIME = 60.0  # an SSE stream ends after this (EventSource reconnects), so shutdowns wait little
KEEPALIVE = 15.0
STOP = "stop"

KINDS: tuple[SessionKind, ...] = (
    "opening",
    "talk",
    "workshop",
    "meal",
    "break",
    "round_table",
    "pitch",
    "judging",
    "ceremony",
    "other",
)

# Texts for the agenda's error keys; the French text is the message id.
AGENDA_ERRORS = {
    "agenda_unknown_room": N_("Cette salle n'existe pas : ajoutez-la d'abord."),
    "agenda_unknown_person": N_("Cette personne n'est pas dans la liste des intervenant·es et du jury."),
    "agenda_unknown_team": N_("Cette équipe n'existe pas : ajoutez-la d'abord."),
    "agenda_no_session": N_("Cette session n'existe pas (ou plus)."),
    "agenda_ends_first": N_("La fin doit être après le début."),
    "agenda_still_used": N_("Cet élément sert encore dans des sessions : modifiez-les ou retirez-les d'abord."),
    "agenda_has_conflicts": N_(
        "Le brouillon a des conflits : corrigez-les, ou cochez « publier malgré les conflits »."
    ),
    "agenda_unchanged": N_("Rien n'a changé depuis la dernière version publiée."),
    "rounds_no_team": N_("Il n'y a aucune équipe : ajoutez les équipes d'abord."),
    "rounds_too_few_jurors": N_(
        "Il n'y a pas assez de membres du jury pour ces salles et ce nombre de jurés par équipe."
    ),
    "rounds_conflicts": N_("Une équipe n'a pas assez de jurés sans conflit d'intérêts."),
    "rounds_unavailable": N_("Aucun jury disponible n'a pu être trouvé pour certaines équipes."),
    "agenda_bad_time": N_("Indiquez la date et l'heure (jj/mm/aaaa hh:mm)."),
    "agenda_bad_number": N_("Indiquez un nombre entier."),
    "agenda_title_required": N_("Indiquez un titre."),
    "agenda_name_required": N_("Indiquez un nom."),
}


def agenda_error(request: Request[Any, Any, Any], reply_key: str | None, message: str) -> str:
    gettext = gettext_for(language_of(request))
    if reply_key in AGENDA_ERRORS:
        return str(gettext(AGENDA_ERRORS[reply_key]))
    return str(error_text(reply_key, message, gettext))


# --- the per-instance cache of versions and feeds ---


@dataclass(frozen=True)
class Built:
    feed: Feed
    body: bytes
    headers: dict[str, str]


class AgendaCache:
    """Versions and built feeds for this web instance; forgotten when the agenda changes.

    Concurrent misses on one key share one request to the service, and the feeds kept
    are bounded by their total size, whatever hosts or languages clients ask for.
    """

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.versions: dict[str, tuple[AgendaVersion, float]] = {}
        self.feeds: OrderedDict[tuple[object, ...], Built] = OrderedDict()
        self.size = 0
        self.holders: dict[tuple[str, str], tuple[CalendarHolder, float]] = {}
        self.listeners: defaultdict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        # How many feeds this instance had to fetch: the rest came from memory.
        self.fetches = 0
        self._inflight: dict[tuple[object, ...], asyncio.Future[Any]] = {}
        self.stopping = False
        self._subscription: Any = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if self._subscription is None:
                self._subscription = await self.nc.subscribe(Schedule.CHANGED_ANY, cb=self._on_changed)

    async def _on_changed(self, msg: Any) -> None:
        slug = msg.subject.rsplit(".", 1)[-1]
        self.versions.pop(slug, None)
        for queue in list(self.listeners.get(slug, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait("change")

    async def _once(self, key: tuple[object, ...], make: Callable[[], Awaitable[Any]]) -> Any:
        """Run `make` once for every caller waiting on `key` at the same time."""
        waiting = self._inflight.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "never retrieved"
        self._inflight[key] = future
        try:
            result = await make()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._inflight[key]

    async def version(self, gateway: Gateway, slug: str) -> AgendaVersion:
        known = self.versions.get(slug)
        if known is not None and known[1] > time.monotonic():
            return known[0]

        async def fetch() -> AgendaVersion:
            version: AgendaVersion = await gateway.call(Schedule.VERSION, GetAgendaVersion(event=slug), AgendaVersion)
            self.versions[slug] = (version, time.monotonic() + VERSION_TTL)
            return version

        found: AgendaVersion = await self._once(("version", slug), fetch)
        return found

    async def holder(self, gateway: Gateway, registration_id: str, token: str) -> CalendarHolder:
        key = (registration_id, token)
        known = self.holders.get(key)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        holder: CalendarHolder = await gateway.call(
            Registration.CALENDAR, CalendarAccess(registration_id=registration_id, token=token), CalendarHolder
        )
        if len(self.holders) > MAX_HOLDERS:
            self.holders.clear()
        self.holders[key] = (holder, time.monotonic() + HOLDER_TTL)
        return holder

    async def feed(self, gateway: Gateway, query: GetFeed, filename: str) -> Built:
        version = await self.version(gateway, query.event)
        if not version.published:
            raise NotFoundException()
        key = (query.event, query.kind, query.room, query.registration, query.category, query.language, query.base_url)
        built = self.feeds.get(key)
        if built is not None and built.feed.version_key == version.key:
            return built

        async def fetch() -> Built:
            feed = await gateway.call(Schedule.FEED, query, Feed)
            self.fetches += 1
            if feed.version_key != version.key:
                self.versions.pop(query.event, None)  # ours was stale: ask again next time
            made = Built(
                feed=feed,
                body=feed.body.encode(),
                headers={
                    "ETag": feed.etag,
                    "Last-Modified": format_datetime(feed.last_modified.astimezone(UTC), usegmt=True),
                    # Apps poll anyway; a short max-age lets proxies absorb bursts.
                    "Cache-Control": ("private" if query.kind == "person" else "public") + ", max-age=60",
                    "Content-Disposition": f'inline; filename="{filename}"',
                },
            )
            self._keep(key, made)
            return made

        fetched: Built = await self._once(key, fetch)
        return fetched

    def _keep(self, key: tuple[object, ...], built: Built) -> None:
        old = self.feeds.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self.feeds[key] = built
        self.size += len(built.body)
        while self.size > MAX_FEED_BYTES and len(self.feeds) > 1:
            _, dropped = self.feeds.popitem(last=False)
            self.size -= len(dropped.body)

    def listen(self, slug: str) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=8)
        self.listeners[slug].add(queue)
        return queue

    def forget(self, slug: str, queue: asyncio.Queue[str]) -> None:
        self.listeners[slug].discard(queue)

    def end_streams(self) -> None:
        """Before the server stops: live streams end now rather than hold the shutdown."""
        self.stopping = True
        for queues in self.listeners.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(STOP)


def end_streams(app: Any) -> None:
    """Called by the web service as it stops (the app may never have served a stream)."""
    cache: AgendaCache | None = app.state.get("agenda_cache")
    if cache is not None:
        cache.end_streams()


async def cache_of(request: Request[Any, Any, Any]) -> AgendaCache:
    state = request.app.state
    cache: AgendaCache | None = state.get("agenda_cache")
    if cache is None:
        gateway: Gateway = state.gateway
        cache = state.setdefault("agenda_cache", AgendaCache(gateway.nc))
        await cache.start()
    return cache


def base_of(request: Request[Any, Any, Any]) -> str:
    gateway: Gateway = request.app.state.gateway
    if gateway.base_url:
        return gateway.base_url
    host = request.headers.get("host", "localhost")
    return f"{request.scope.get('scheme', 'http')}://{host}"


class Polled:
    """What a feed request carries, read once from the raw ASGI headers.

    Thousands of calendar apps poll feeds: this path is kept lean (no cookie parsing,
    one pass over the headers) so that answering 304 costs about as much as a bare
    endpoint.
    """

    __slots__ = ("base", "cookies", "accept_language", "if_none_match", "if_modified_since", "lang")

    def __init__(self, request: Request[Any, Any, Any]) -> None:
        found: dict[bytes, str] = {}
        for name, value in request.scope["headers"]:
            text = value.decode("latin-1")
            found[name] = f"{found[name]}, {text}" if name in found else text
        gateway: Gateway = request.app.state.gateway
        self.base = gateway.base_url or f"{request.scope.get('scheme', 'http')}://{found.get(b'host', 'localhost')}"
        self.cookies = b"cookie" in found
        self.accept_language = found.get(b"accept-language")
        self.if_none_match = found.get(b"if-none-match")
        self.if_modified_since = found.get(b"if-modified-since")
        chosen = request.query_params.get("lang") if request.scope.get("query_string") else None
        self.lang = chosen if chosen in ("fr", "en") else None

    def language(self, request: Request[Any, Any, Any], default: str | None = None) -> str:
        """?lang= first, then the registration's language, then the client's preference."""
        if self.lang or default:
            return self.lang or default or "fr"
        if self.cookies:  # a browser, which may remember a choice
            return language_of(request)
        return negotiate(None, None, self.accept_language)

    def not_modified(self, feed: Feed) -> bool:
        """RFC 9110: If-None-Match wins; If-Modified-Since is only looked at without it."""
        if self.if_none_match is not None:
            wanted = [t.strip().removeprefix("W/") for t in self.if_none_match.split(",")]
            return "*" in wanted or feed.etag in wanted
        if self.if_modified_since:
            try:
                moment = parsedate_to_datetime(self.if_modified_since)
            except (TypeError, ValueError):
                return False
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return feed.last_modified.replace(microsecond=0) <= moment
        return False

    def respond(self, built: Built) -> Response[bytes]:
        if self.not_modified(built.feed):
            return Response(b"", status_code=304, headers=built.headers)
        return Response(built.body, media_type="text/calendar", headers=built.headers)


class CalendarFeeds(Controller):
    """iCal feeds for calendar apps: whole agenda, one room, one person (private link)."""

    tags = ["calendar"]

    @get(
        "/e/{slug:str}/calendar.ics",
        summary="The event's whole agenda as an iCalendar feed",
        exclude_from_csrf=True,
        media_type="text/calendar",
    )
    async def public_feed(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
        cache = await cache_of(request)
        polled = Polled(request)
        query = GetFeed(event=slug, language=polled.language(request), base_url=polled.base)  # type: ignore[arg-type]
        return polled.respond(await cache.feed(request.app.state.gateway, query, f"{slug}.ics"))

    @get(
        "/e/{slug:str}/rooms/{room:str}/calendar.ics",
        summary="One room's agenda, for the screen at its door",
        exclude_from_csrf=True,
        media_type="text/calendar",
    )
    async def room_feed(
        self, request: Request[Any, Any, Any], slug: FromPath[str], room: FromPath[str]
    ) -> Response[bytes]:
        cache = await cache_of(request)
        polled = Polled(request)
        language = polled.language(request)
        query = GetFeed(event=slug, kind="room", room=room, language=language, base_url=polled.base)  # type: ignore[arg-type]
        return polled.respond(await cache.feed(request.app.state.gateway, query, f"{slug}-{room}.ics"))

    @get(
        "/r/{registration_id:str}/calendar.ics",
        summary="A person's own items (private link from their registration)",
        exclude_from_csrf=True,
        media_type="text/calendar",
    )
    async def personal_feed(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], token: FromQuery[str] = ""
    ) -> Response[bytes]:
        gateway: Gateway = request.app.state.gateway
        cache = await cache_of(request)
        polled = Polled(request)
        holder = await cache.holder(gateway, registration_id, token)
        if holder.status == "cancelled" or holder.erased:
            # The registration ended: the feed is gone for good, and says so to calendar apps.
            return Response(b"", status_code=410, headers={"Cache-Control": "no-store"})
        query = GetFeed(
            event=holder.event,
            kind="person",
            registration=holder.registration_id,
            category=holder.category,
            language=polled.language(request, holder.language),  # type: ignore[arg-type]
            base_url=polled.base,
        )
        return polled.respond(await cache.feed(gateway, query, f"{holder.event}.ics"))


# --- shaping the agenda for pages ---


def public_agenda(agenda: Agenda) -> Agenda:
    """What anyone may see: no registration ids, no conflicts of interest."""
    replace = msgspec.structs.replace
    return Agenda(
        rooms=agenda.rooms,
        people=[replace(p, registration=None, conflicts=[]) for p in agenda.people],
        teams=[replace(t, members=[]) for t in agenda.teams],
        sessions=agenda.sessions,
    )


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


def by_day(sessions: list[Session], zone: str) -> list[tuple[date, list[Session]]]:
    days: dict[date, list[Session]] = {}
    tz = ZoneInfo(zone)
    for session in sessions:
        days.setdefault(session.starts_at.astimezone(tz).date(), []).append(session)
    return sorted(days.items())


def board(agenda: Agenda, room_id: str | None, now: datetime) -> list[dict[str, Any]]:
    """For each room (or the one asked for): what is on now, and what comes next."""
    active = [s for s in agenda.sessions if not s.cancelled]
    rooms: list[RoomSpec | None] = [r for r in agenda.rooms if room_id is None or r.id == room_id]
    if room_id is None:
        rooms.append(None)  # sessions held everywhere or outside any room
    rows = []
    for room in rooms:
        mine = [s for s in active if s.room == (room.id if room else None)]
        current = [s for s in mine if s.starts_at <= now < s.ends_at]
        upcoming = sorted((s for s in mine if s.starts_at > now), key=lambda s: (s.starts_at, s.id))
        if room is None and not current and not upcoming:
            continue
        rows.append({"room": room, "now": current, "next": upcoming[0] if upcoming else None})
    return rows


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
    include_in_schema = False

    async def _published(self, request: Request[Any, Any, Any], slug: str) -> tuple[EventSpec, AgendaView]:
        gateway: Gateway = request.app.state.gateway
        spec, view = await asyncio.gather(
            gateway.event(slug), gateway.call(Schedule.AGENDA, GetAgenda(event=slug), AgendaView)
        )
        return spec, msgspec.structs.replace(view, agenda=public_agenda(view.agenda))

    @get("/e/{slug:str}/agenda")
    async def agenda(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        spec, view = await self._published(request, slug)
        language = language_of(request)
        base = base_of(request)
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

    def _screen_context(self, spec: EventSpec, view: AgendaView, room: str, at: str) -> dict[str, Any]:
        chosen = room or None
        if chosen is not None and view.agenda.room(chosen) is None:
            raise NotFoundException()
        now = _moment(at, spec.timezone) or datetime.now(UTC)
        return {
            "event": spec,
            "agenda": view.agenda,
            "rows": board(view.agenda, chosen, now),
            "now": now,
            "room": chosen,
            "at": at,
            "query": urlencode({k: v for k, v in (("room", room), ("at", at)) if v}),
        }

    @get("/e/{slug:str}/screen")
    async def screen(
        self, request: Request[Any, Any, Any], slug: FromPath[str], room: FromQuery[str] = "", at: FromQuery[str] = ""
    ) -> Response[str]:
        """The venue's big screen: now and next in each room, live (`at` rehearses another time)."""
        spec, view = await self._published(request, slug)
        return render(request, "screen.html", **self._screen_context(spec, view, room, at))

    @get("/e/{slug:str}/screen/board")
    async def screen_board(
        self, request: Request[Any, Any, Any], slug: FromPath[str], room: FromQuery[str] = "", at: FromQuery[str] = ""
    ) -> Response[str]:
        spec, view = await self._published(request, slug)
        response = render(request, "screen_board.html", **self._screen_context(spec, view, room, at))
        response.headers["Cache-Control"] = "no-store"
        return response

    @get("/e/{slug:str}/screen/stream", exclude_from_csrf=True)
    async def screen_stream(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> ServerSentEvent:
        """Server-sent events: `change` when the agenda changes; comments keep the line open."""
        gateway: Gateway = request.app.state.gateway
        await gateway.event(slug)
        cache = await cache_of(request)
        queue = cache.listen(slug)

        async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
            ends = time.monotonic() + STREAM_LIFETIME
            try:
                yield ServerSentEventMessage(event="ready", data=slug, retry=5000)
                while time.monotonic() < ends and not cache.stopping:
                    try:
                        change = await asyncio.wait_for(queue.get(), KEEPALIVE)
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keepalive")
                        continue
                    if change == STOP:
                        return  # this instance is stopping: the screen reconnects, elsewhere if need be
                    yield ServerSentEventMessage(event=change, data=slug)
            finally:
                cache.forget(slug, queue)

        return ServerSentEvent(events(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# --- organisers: editing the draft, generating rounds, releasing ---


def _slugify(text: str, limit: int = 40) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-")
    return slug or "x"


def _new_id(text: str) -> str:
    """A new item's id: readable, never reused, never a position (calendar UIDs derive from it)."""
    return f"{_slugify(text, 30)}-{uuid.uuid4().hex[:6]}"


class FormProblem(Exception):
    def __init__(self, key: str, field: str) -> None:
        super().__init__(key)
        self.key, self.field = key, field


def _text(form: FormMultiDict, name: str, limit: int = 200) -> str:
    return str(form.get(name) or "").strip()[:limit]


def _when(form: FormMultiDict, name: str) -> datetime:
    """A naive local time: the schedule service reads it in the event's zone."""
    value = _text(form, name)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise FormProblem("agenda_bad_time", name) from None


def _int(form: FormMultiDict, name: str, default: int) -> int:
    value = _text(form, name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise FormProblem("agenda_bad_number", name) from None


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", value) if w]


def session_from_form(form: FormMultiDict) -> Session:
    title = _text(form, "title")
    if not title:
        raise FormProblem("agenda_title_required", "title")
    kind = _text(form, "kind")
    audience = _text(form, "audience")
    return Session(
        id=_text(form, "id", 80) or _new_id(title),
        title=title,
        title_en=_text(form, "title_en"),
        kind=kind if kind in KINDS else "other",
        starts_at=_when(form, "starts_at"),
        ends_at=_when(form, "ends_at"),
        room=_text(form, "room") or None,
        people=[str(p) for p in form.getall("people", []) if p],
        team=_text(form, "team") or None,
        audience=audience if audience in ("everyone", "participants", "jurors", "speakers") else "everyone",  # type: ignore[arg-type]
        description=_text(form, "description", 20_000),
        description_en=_text(form, "description_en", 20_000),
        cancelled=form.get("cancelled") == "yes",
    )


def room_from_form(form: FormMultiDict) -> RoomSpec:
    name = _text(form, "name")
    if not name:
        raise FormProblem("agenda_name_required", "name")
    capacity = _int(form, "capacity", -1)
    return RoomSpec(
        id=_text(form, "id", 40) or _new_id(name),
        name=name,
        name_en=_text(form, "name_en"),
        location=_text(form, "location"),
        capacity=None if capacity < 0 else capacity,
    )


def contributor_from_form(form: FormMultiDict) -> Contributor:
    name = _text(form, "name")
    if not name:
        raise FormProblem("agenda_name_required", "name")
    availability = []
    if _text(form, "available_from") or _text(form, "available_until"):
        availability.append(Span(starts_at=_when(form, "available_from"), ends_at=_when(form, "available_until")))
    return Contributor(
        id=_text(form, "id", 40) or _new_id(name),
        name=name,
        role="juror" if form.get("role") == "juror" else "speaker",
        registration=_text(form, "registration", 100) or None,
        availability=availability,
        conflicts=[str(t) for t in form.getall("conflicts", []) if t],
    )


def team_from_form(form: FormMultiDict) -> Team:
    name = _text(form, "name")
    if not name:
        raise FormProblem("agenda_name_required", "name")
    return Team(id=_text(form, "id", 40) or _new_id(name), name=name, members=_words(_text(form, "members", 5000)))


def rounds_from_form(form: FormMultiDict, slug: str, organiser: str) -> GenerateRounds:
    seed = _text(form, "seed")
    return GenerateRounds(
        command_id=_text(form, "command_id", 100) or uuid.uuid4().hex,
        event=slug,
        by_organiser=organiser,
        starts_at=_when(form, "starts_at"),
        rooms=[str(r) for r in form.getall("rooms", []) if r],
        jurors_per_team=_int(form, "jurors_per_team", 3),
        pitch_minutes=_int(form, "pitch_minutes", 10),
        changeover_minutes=_int(form, "changeover_minutes", 5),
        break_every=_int(form, "break_every", 0),
        break_minutes=_int(form, "break_minutes", 15),
        deliberation_minutes=_int(form, "deliberation_minutes", 0),
        deliberation_room=_text(form, "deliberation_room") or None,
        seed=int(seed) if seed.lstrip("-").isdigit() else None,
        replace=[str(s) for s in form.getall("replace", []) if s],
    )


def _local_input(moment: datetime | None, zone: str) -> str:
    """The value of a datetime-local field."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if moment else ""


class OrganiserAgenda(Controller):
    path = "/organiser/e/{slug:str}/agenda"
    include_in_schema = False
    guards = [organiser_guard]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        slug: str,
        error: str | None = None,
        status_code: int = 200,
        edit: str = "",
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        draft, releases = await asyncio.gather(
            gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView),
            gateway.call(Schedule.RELEASES, ListReleases(event=slug), ReleaseList),
        )
        editing = next((s for s in draft.agenda.sessions if s.id == edit), None)
        zone = spec.timezone
        return render(
            request,
            "organiser/agenda.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            draft=draft,
            agenda=draft.agenda,
            releases=releases.releases,
            days=by_day(draft.agenda.sessions, zone),
            conflicted={i for issue in draft.issues for i in issue.sessions},
            editing=editing,
            local=lambda moment: _local_input(moment, zone),
            kinds=KINDS,
            error=error,
            command_id=uuid.uuid4().hex,
            default_start=_local_input(spec.starts_at, zone),
        )

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], slug: FromPath[str], edit: FromQuery[str] = ""
    ) -> Response[str]:
        return await self._page(request, slug, edit=edit)

    async def _edit(self, request: Request[Any, Any, Any], slug: str, make: Any, anchor: str = "") -> Response[Any]:
        form = await request.form()
        try:
            edits: list[Edit] = make(form)
        except FormProblem as problem:
            return await self._page(request, slug, agenda_error(request, problem.key, problem.key), 422)
        except (msgspec.ValidationError, ValueError) as problem:
            return await self._page(request, slug, str(problem), 422)
        command = EditDraft(
            command_id=_text(form, "command_id", 100) or uuid.uuid4().hex,
            event=slug,
            by_organiser=request.state.organiser[0],
            edits=edits,
        )
        return await self._send(request, slug, Schedule.EDIT, command, DraftView, anchor)

    async def _send(
        self, request: Request[Any, Any, Any], slug: str, subject: str, command: Any, reply: Any, anchor: str = ""
    ) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        try:
            await gateway.call(subject, command, reply)
        except ServiceError as failure:
            if failure.reply.code in ("unavailable", "forbidden"):
                raise
            status = 409 if failure.reply.code == "conflict" else 422
            message = agenda_error(request, failure.reply.key, failure.reply.message)
            return await self._page(request, slug, message, status)
        return Redirect(f"/organiser/e/{slug}/agenda{anchor}", status_code=303)

    @post("/session")
    async def put_session(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [PutSession(session=session_from_form(form))], "#sessions")

    @post("/session/{ident:str}/remove")
    async def remove_session(
        self, request: Request[Any, Any, Any], slug: FromPath[str], ident: FromPath[str]
    ) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [RemoveSession(id=ident)], "#sessions")

    @post("/room")
    async def put_room(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [PutRoom(room=room_from_form(form))], "#rooms")

    @post("/room/{ident:str}/remove")
    async def remove_room(
        self, request: Request[Any, Any, Any], slug: FromPath[str], ident: FromPath[str]
    ) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [RemoveRoom(id=ident)], "#rooms")

    @post("/person")
    async def put_person(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        return await self._edit(
            request, slug, lambda form: [PutContributor(contributor=contributor_from_form(form))], "#people"
        )

    @post("/person/{ident:str}/remove")
    async def remove_person(
        self, request: Request[Any, Any, Any], slug: FromPath[str], ident: FromPath[str]
    ) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [RemoveContributor(id=ident)], "#people")

    @post("/team")
    async def put_team(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [PutTeam(team=team_from_form(form))], "#teams")

    @post("/team/{ident:str}/remove")
    async def remove_team(
        self, request: Request[Any, Any, Any], slug: FromPath[str], ident: FromPath[str]
    ) -> Response[Any]:
        return await self._edit(request, slug, lambda form: [RemoveTeam(id=ident)], "#teams")

    @post("/rounds")
    async def rounds(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        form = await request.form()
        try:
            command = rounds_from_form(form, slug, request.state.organiser[0])
        except FormProblem as problem:
            return await self._page(request, slug, agenda_error(request, problem.key, problem.key), 422)
        except msgspec.ValidationError as problem:
            return await self._page(request, slug, str(problem), 422)
        return await self._send(request, slug, Schedule.GENERATE_ROUNDS, command, DraftView, "#sessions")

    @post("/release")
    async def release(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        form = await request.form()
        command = ReleaseAgenda(
            command_id=_text(form, "command_id", 100) or uuid.uuid4().hex,
            event=slug,
            by_organiser=request.state.organiser[0],
            note=_text(form, "note", 2000),
            accept_conflicts=form.get("accept_conflicts") == "yes",
        )
        return await self._send(request, slug, Schedule.RELEASE, command, AgendaView, "#releases")


# --- the JSON API ---

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Client-made id (8–100 characters): the same key again has the same effect once.",
    ),
]


class EditsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    edits: list[Edit]


class RoundsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    starts_at: datetime
    rooms: list[str]
    jurors_per_team: int = 3
    pitch_minutes: int = 10
    changeover_minutes: int = 5
    break_every: int = 0
    break_minutes: int = 15
    deliberation_minutes: int = 0
    deliberation_room: str | None = None
    teams: list[str] | None = None
    jurors: list[str] | None = None
    seed: int | None = None
    replace: list[str] = []


class ReleaseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: str = ""
    accept_conflicts: bool = False


class AgendaApi(Controller):
    path = "/api/v1/events/{slug:str}/agenda"
    tags = ["agenda"]

    @get("/", summary="The released agenda (what the public sees)")
    async def released(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> AgendaView:
        gateway: Gateway = request.app.state.gateway
        view = await gateway.call(Schedule.AGENDA, GetAgenda(event=slug), AgendaView)
        return msgspec.structs.replace(view, agenda=public_agenda(view.agenda))

    @get("/releases", summary="Every release, newest first, with its changelog")
    async def releases(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> ReleaseList:
        gateway: Gateway = request.app.state.gateway
        await gateway.event(slug)
        return await gateway.call(Schedule.RELEASES, ListReleases(event=slug), ReleaseList)  # type: ignore[no-any-return]

    @get(
        "/draft",
        summary="The draft, its conflicts and what releasing it would change",
        guards=[organiser_guard],
        security=[{"bearer": []}],
    )
    async def draft(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> DraftView:
        gateway: Gateway = request.app.state.gateway
        return await gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView)  # type: ignore[no-any-return]

    @post(
        "/edits",
        status_code=200,
        summary="Edit the draft: all edits apply, or none (naive times are local to the event)",
        guards=[organiser_guard],
        security=[{"bearer": []}],
    )
    async def edit(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[EditsIn],
        idempotency_key: IdempotencyKey = None,
    ) -> DraftView:
        gateway: Gateway = request.app.state.gateway
        command = EditDraft(
            command_id=check_key(idempotency_key), event=slug, by_organiser=request.state.organiser[0], edits=data.edits
        )
        return await gateway.call(Schedule.EDIT, command, DraftView)  # type: ignore[no-any-return]

    @post(
        "/rounds",
        status_code=200,
        summary="Generate pitch order and jury panels into the draft",
        guards=[organiser_guard],
        security=[{"bearer": []}],
    )
    async def rounds(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[RoundsIn],
        idempotency_key: IdempotencyKey = None,
    ) -> DraftView:
        gateway: Gateway = request.app.state.gateway
        # The schedule service checks every limit of GenerateRounds when it decodes this.
        command = {
            **msgspec.to_builtins(data),
            "command_id": check_key(idempotency_key),
            "event": slug,
            "by_organiser": request.state.organiser[0],
        }
        return await gateway.call(Schedule.GENERATE_ROUNDS, command, DraftView)  # type: ignore[no-any-return]

    @post(
        "/releases",
        status_code=201,
        summary="Release the draft: a new version, with its changelog",
        guards=[organiser_guard],
        security=[{"bearer": []}],
    )
    async def release(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[ReleaseIn],
        idempotency_key: IdempotencyKey = None,
    ) -> AgendaView:
        gateway: Gateway = request.app.state.gateway
        command = ReleaseAgenda(
            command_id=check_key(idempotency_key),
            event=slug,
            by_organiser=request.state.organiser[0],
            note=data.note,
            accept_conflicts=data.accept_conflicts,
        )
        return await gateway.call(Schedule.RELEASE, command, AgendaView)  # type: ignore[no-any-return]


CALENDAR_HANDLERS = [CalendarFeeds, AgendaPages, OrganiserAgenda, AgendaApi]
