"""Each web instance's memory of agenda versions and built feeds, kept fresh by NATS announcements."""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from nats.aio.client import Client

from schemas.registration import CalendarAccess, CalendarHolder
from schemas.schedule import AgendaVersion, Feed, GetAgendaVersion, GetFeed
from schemas.subjects import Registration, Schedule
from services.web.gateway import Gateway
from services.web.i18n import negotiate
from services.web.rendering import language_of

VERSION_TTL = 30.0  # seconds a known version is trusted without an announcement
# Seconds a checked personal link is trusted; the registration service's announcement that
# its status changed (a cancellation) makes this instance forget it at once.
HOLDER_TTL = 60.0
MAX_FEED_BYTES = 64 * 1024 * 1024  # feeds kept per instance, least recently used dropped first
MAX_HOLDERS = 20_000

# --- the per-instance cache of versions and feeds ---


@dataclass(frozen=True)
class Built:
    feed: Feed
    body: bytes
    headers: dict[str, str]
    # The same, for an answer whose language came from the request's headers.
    negotiated: dict[str, str]


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
        # registration id -> token -> (holder, trusted until)
        self.holders: dict[str, dict[str, tuple[CalendarHolder, float]]] = {}
        # How many feeds this instance had to fetch: the rest came from memory.
        self.fetches = 0
        self._inflight: dict[tuple[object, ...], asyncio.Future[Any]] = {}
        self._subscription: Any = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if self._subscription is None:
                self._subscription = await self.nc.subscribe(Schedule.CHANGED_ANY, cb=self._on_changed)
                self._holders = await self.nc.subscribe(Registration.HOLDER_CHANGED_ANY, cb=self._forget_holder)

    async def _forget_holder(self, msg: Any) -> None:
        self.holders.pop(msg.subject.rsplit(".", 1)[-1], None)

    async def _on_changed(self, msg: Any) -> None:
        self.versions.pop(msg.subject.rsplit(".", 1)[-1], None)

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
            version = await gateway.call(Schedule.VERSION, GetAgendaVersion(event=slug), AgendaVersion)
            self.versions[slug] = (version, time.monotonic() + VERSION_TTL)
            return version

        found: AgendaVersion = await self._once(("version", slug), fetch)
        return found

    async def holder(self, gateway: Gateway, registration_id: str, token: str) -> CalendarHolder:
        known = self.holders.get(registration_id, {}).get(token)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        holder = await gateway.call(
            Registration.CALENDAR, CalendarAccess(registration_id=registration_id, token=token), CalendarHolder
        )
        if len(self.holders) > MAX_HOLDERS:
            self.holders.clear()
        self.holders.setdefault(registration_id, {})[token] = (holder, time.monotonic() + HOLDER_TTL)
        return holder

    async def feed(self, gateway: Gateway, query: GetFeed, filename: str) -> Built:
        version = await self.version(gateway, query.event)
        if not version.published:
            raise NotFoundException()
        # One copy per feed, the event first; its version key (which names the event) says if it is current.
        key = query.variant
        built = self.feeds.get(key)
        if built is not None and built.feed.version_key == version.key:
            return built

        async def fetch() -> Built:
            feed = await gateway.call(Schedule.FEED, query, Feed)
            self.fetches += 1
            if feed.version_key != version.key:
                self.versions.pop(query.event, None)  # ours was stale: ask again next time
            headers = {
                "ETag": feed.etag,
                "Last-Modified": format_datetime(feed.last_modified.astimezone(UTC), usegmt=True),
                # Apps poll anyway; a short max-age lets proxies absorb bursts.
                "Cache-Control": ("private" if query.kind in ("person", "speaker") else "public") + ", max-age=60",
                "Content-Disposition": f'inline; filename="{filename}"',
            }
            # Shared caches must then keep each language apart (RFC 9110 12.5.5).
            negotiated = {**headers, "Vary": "Accept-Language, Cookie"}
            made = Built(feed=feed, body=feed.body.encode(), headers=headers, negotiated=negotiated)
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


async def cache_of(state: State, gateway: NamedDependency[Gateway]) -> AgendaCache:
    """This instance's cache, made and subscribed to announcements on first use."""
    cache: AgendaCache | None = state.get("agenda_cache")
    if cache is None:
        cache = state.setdefault("agenda_cache", AgendaCache(gateway.nc))
        await cache.start()
    return cache


# The `agenda_cache` dependency of the agenda's controllers: one cache per web instance, in app.state.
AGENDA_CACHE = {"agenda_cache": Provide(cache_of)}


class Polled:
    """What a feed request carries, read once from the raw ASGI headers.

    Thousands of calendar apps poll feeds: this path is kept lean (no cookie parsing,
    one pass over the headers) so that answering 304 costs about as much as a bare
    endpoint.
    """

    __slots__ = ("base", "cookies", "accept_language", "if_none_match", "if_modified_since", "lang", "negotiated")

    def __init__(self, request: Request[Any, Any, Any], base_url: str) -> None:
        found: dict[bytes, str] = {}
        for name, value in request.scope["headers"]:
            text = value.decode("latin-1")
            found[name] = f"{found[name]}, {text}" if name in found else text
        self.base = base_url or f"{request.scope.get('scheme', 'http')}://{found.get(b'host', 'localhost')}"
        self.cookies = b"cookie" in found
        self.accept_language = found.get(b"accept-language")
        self.if_none_match = found.get(b"if-none-match")
        self.if_modified_since = found.get(b"if-modified-since")
        chosen = request.query_params.get("lang") if request.scope.get("query_string") else None
        self.lang = chosen if chosen in ("fr", "en") else None
        # Whether the language came from the request's headers, which shared caches must then key on.
        self.negotiated = False

    def language(self, request: Request[Any, Any, Any], default: str | None = None) -> str:
        """?lang= first, then the registration's language, then the client's preference."""
        if self.lang or default:
            return self.lang or default or "fr"
        self.negotiated = True
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
        # A 304 carries the Vary its 200 would have.
        headers = built.negotiated if self.negotiated else built.headers
        if self.not_modified(built.feed):
            return Response(b"", status_code=304, headers=headers)
        return Response(built.body, media_type="text/calendar", headers=headers)
