"""The schedule service's NATS wiring: its stream, the catalog it follows, endpoints, feeds."""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec
from nats.aio.client import Client

from schemas.catalog import EventDefined, EventSpec
from schemas.errors import Rejected
from schemas.schedule import (
    Agenda,
    AgendaReleased,
    AgendaVersion,
    AgendaView,
    DraftEdited,
    DraftView,
    EditDraft,
    Feed,
    GenerateRounds,
    GetAgenda,
    GetAgendaVersion,
    GetDraft,
    GetFeed,
    ListReleases,
    ReleaseAgenda,
    ReleaseList,
    ScheduleEvent,
    feed_key,
)
from schemas.subjects import Schedule
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.endpoints import Endpoints
from services.kit.store import Append, EventStore, decided_on
from services.schedule.ical import build_calendar, etag_of, labels
from services.schedule.rounds import decide_rounds
from services.schedule.rules import (
    EventAgenda,
    ScheduleState,
    audience_of,
    cancelled_for_person,
    decide_edit,
    decide_release,
    file_hash,
    find_issues,
    import_edits,
    pending,
    sessions_for_person,
    sessions_in_room,
)

log = logging.getLogger("perche.schedule")

# Built feeds kept for other web instances asking the same; least recently used go first.
FEED_CACHE_BYTES = 64 * 1024 * 1024
FILE_NOTE = "Programme mis à jour depuis le fichier de l'événement."


class ScheduleService:
    name = "schedule"

    def __init__(self) -> None:
        self.state = ScheduleState()
        self.catalog = CatalogReader(on_defined=self._on_defined)
        self.revisions: dict[str, int] = {}
        self.defined_at: dict[str, datetime] = {}
        self._feeds: OrderedDict[tuple[object, ...], Feed] = OrderedDict()
        self._feed_bytes = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self.background = Background(log)
        self._ready = False

    async def start(self, nc: Client) -> None:
        self.nc = nc
        self.store: EventStore[ScheduleEvent] = EventStore(nc, self.name, ScheduleEvent, self._on_event)
        await self.store.open()
        # The catalog's stream is read here (never written): event files may declare an agenda.
        await self.catalog.open(nc)
        self._ready = True
        self.endpoints = Endpoints(nc, self.name, "The agenda: sessions, rooms, speakers, pitch and jury rounds")
        handlers: list[tuple[str, object, Callable[..., Awaitable[object]]]] = [
            (Schedule.EDIT, EditDraft, self.edit),
            (Schedule.GENERATE_ROUNDS, GenerateRounds, self.generate_rounds),
            (Schedule.RELEASE, ReleaseAgenda, self.release),
            (Schedule.DRAFT, GetDraft, self.draft),
            (Schedule.AGENDA, GetAgenda, self.agenda),
            (Schedule.VERSION, GetAgendaVersion, self.version),
            (Schedule.RELEASES, ListReleases, self.releases),
            (Schedule.FEED, GetFeed, self.feed),
        ]
        for subject, request_type, handler in handlers:
            self.endpoints.add(subject, request_type, handler)  # type: ignore[arg-type]
        await self.endpoints.start()
        for slug in list(self.catalog.specs):
            self.background.start(self.sync_file(slug))

    async def stop(self) -> None:
        self._ready = False
        await self.endpoints.stop()
        await self.background.stop()
        await self.store.close()
        await self.catalog.close()

    # --- state from the streams ---

    def _on_event(self, event: ScheduleEvent, _subject: str) -> None:
        self.state.evolve(event)
        if isinstance(event, AgendaReleased):
            self._announce(event.event)

    def _on_defined(self, event: EventDefined) -> None:
        slug = event.spec.slug
        self.revisions[slug] = self.revisions.get(slug, 0) + 1
        self.defined_at[slug] = event.at
        self._announce(slug)
        if self._ready:
            self.background.start(self.sync_file(slug))

    def _announce(self, slug: str) -> None:
        """Tell caches and live screens, once the change is applied here (not during replay)."""
        if self._ready:
            self.background.start(self.nc.publish(Schedule.changed(slug), b""))

    # --- helpers ---

    def _spec(self, slug: str, published_only: bool = False) -> EventSpec:
        spec = self.catalog.specs.get(slug)
        if spec is None or (published_only and not spec.published):
            raise Rejected("not_found", f"No event {slug!r}", "event", key="event_not_found")
        return spec

    def _lock(self, slug: str) -> asyncio.Lock:
        return self._locks.setdefault(slug, asyncio.Lock())

    async def _append(self, slug: str, decide: Callable[[EventAgenda], ScheduleEvent | None], msg_id: str) -> bool:
        """Decide on the current agenda and append; on a race, catch up and decide again.

        The message id names the event, as the command ids are scoped to it: JetStream's
        de-duplication must not drop one event's command for another's with the same key.
        """
        subject = Schedule.agenda_subject(slug)
        scoped = f"{slug}:{msg_id}"
        decision: Callable[[], Append[ScheduleEvent] | None] = decided_on(
            subject, scoped, lambda: decide(self.state.of(slug))
        )
        return await self.store.append_decided(decision) is not None

    def draft_view(self, slug: str) -> DraftView:
        spec = self._spec(slug)
        agenda = self.state.of(slug)
        return DraftView(
            event=slug,
            agenda=agenda.draft,
            issues=find_issues(agenda.draft, spec.starts_at, spec.ends_at),
            pending=pending(agenda, datetime.now(UTC)),
            released_version=agenda.version,
            edits=agenda.edits,
        )

    def agenda_view(self, slug: str) -> AgendaView:
        agenda = self.state.of(slug)
        released = agenda.released
        if released is None:
            return AgendaView(event=slug, version=0, released_at=None, note="", agenda=Agenda(), changelog=[])
        return AgendaView(
            event=slug,
            version=released.version,
            released_at=released.at,
            note=released.note,
            note_en=released.note_en,
            agenda=released.agenda,
            changelog=released.changelog,
        )

    # --- the event file ---

    async def sync_file(self, slug: str) -> None:
        """Bring the draft in line with the event file; release it when nothing else was pending.

        Every instance may try at once: the command ids are derived from the file's content,
        so JetStream keeps one, and the expected sequence refuses a stale decision.
        """
        async with self._lock(slug):
            spec = self.catalog.specs.get(slug)
            if spec is None:
                return
            wanted = file_hash(spec)
            agenda = self.state.of(slug)
            if wanted is None or agenda.file_hash == wanted:
                return
            now = datetime.now(UTC)
            # Organisers' unreleased work is never published behind their back.
            was_pending = bool(pending(agenda, now))
            command_id = f"file-{slug}-{wanted}"

            def decide(current: EventAgenda) -> DraftEdited | None:
                if current.file_hash == wanted:
                    return None
                edits = import_edits(current.draft, spec)
                return DraftEdited(command_id=command_id, event=slug, edits=edits, at=now, file_hash=wanted)

            await self._append(slug, decide, command_id)
            agenda = self.state.of(slug)
            if was_pending or find_issues(agenda.draft, spec.starts_at, spec.ends_at):
                log.info("schedule: %s: the event file's agenda waits for an organiser's release", slug)
                return
            release = ReleaseAgenda(command_id=f"release-{command_id}", event=slug, by_organiser="", note=FILE_NOTE)

            def decide_file_release(current: EventAgenda) -> AgendaReleased | None:
                if self.state.done(slug, release.command_id) or not pending(current, now):
                    return None
                return msgspec.structs.replace(decide_release(current, spec, release, now), by_organiser=None)

            await self._append(slug, decide_file_release, release.command_id)

    # --- commands ---

    async def edit(self, command: EditDraft) -> DraftView:
        spec = self._spec(command.event)
        now = datetime.now(UTC)

        def decide(current: EventAgenda) -> DraftEdited | None:
            if self.state.done(spec.slug, command.command_id):
                return None
            return decide_edit(current, spec, command, now)

        await self._append(spec.slug, decide, command.command_id)
        return self.draft_view(spec.slug)

    async def generate_rounds(self, command: GenerateRounds) -> DraftView:
        spec = self._spec(command.event)
        now = datetime.now(UTC)

        def decide(current: EventAgenda) -> DraftEdited | None:
            if self.state.done(spec.slug, command.command_id):
                return None
            return decide_rounds(current, spec, command, now)

        await self._append(spec.slug, decide, command.command_id)
        return self.draft_view(spec.slug)

    async def release(self, command: ReleaseAgenda) -> AgendaView:
        spec = self._spec(command.event)
        now = datetime.now(UTC)

        def decide(current: EventAgenda) -> AgendaReleased | None:
            if self.state.done(spec.slug, command.command_id):
                return None
            return decide_release(current, spec, command, now)

        await self._append(spec.slug, decide, command.command_id)
        return self.agenda_view(spec.slug)

    # --- queries ---

    async def draft(self, query: GetDraft) -> DraftView:
        return self.draft_view(query.event)

    async def agenda(self, query: GetAgenda) -> AgendaView:
        self._spec(query.event, published_only=not query.include_unpublished)
        return self.agenda_view(query.event)

    def current_version(self, slug: str) -> AgendaVersion:
        spec = self._spec(slug)
        agenda = self.state.of(slug)
        moments = [self.defined_at[slug]] + ([agenda.released.at] if agenda.released else [])
        return AgendaVersion(
            event=slug,
            version=agenda.version,
            catalog_revision=self.revisions.get(slug, 0),
            updated_at=max(moments),
            published=spec.published,
        )

    async def version(self, query: GetAgendaVersion) -> AgendaVersion:
        return self.current_version(query.event)

    async def releases(self, query: ListReleases) -> ReleaseList:
        self._spec(query.event)
        return ReleaseList(releases=list(reversed(self.state.of(query.event).history)))

    async def feed(self, query: GetFeed) -> Feed:
        spec = self._spec(query.event, published_only=True)
        version = self.current_version(spec.slug)
        key = feed_key(query, version)
        cached = self._feeds.get(key)
        if cached is not None:
            self._feeds.move_to_end(key)
            return cached
        feed = self.build_feed(spec, query, version)
        self._feeds[key] = feed
        self._feed_bytes += len(feed.body)
        while self._feed_bytes > FEED_CACHE_BYTES and len(self._feeds) > 1:
            _, dropped = self._feeds.popitem(last=False)
            self._feed_bytes -= len(dropped.body)
        return feed

    def build_feed(self, spec: EventSpec, query: GetFeed, version: AgendaVersion) -> Feed:
        view = self.agenda_view(spec.slug)
        agenda = view.agenda
        title = spec.title_en if query.language == "en" and spec.title_en else spec.title
        if query.kind == "room":
            room = agenda.room(query.room)
            if room is None:
                raise Rejected("not_found", f"No room {query.room!r} in this agenda", "room", key="agenda_unknown_room")
            sessions = sessions_in_room(agenda, room.id)
            name = f"{title} — {room.name_en if query.language == 'en' and room.name_en else room.name}"
        elif query.kind == "person":
            if not query.registration or not query.category:
                raise Rejected("invalid", "A personal feed needs the registration and its category", "registration")
            audience = audience_of(spec, query.category)
            sessions = sessions_for_person(agenda, query.registration, audience)
            if query.cancelled_at is not None:
                sessions = cancelled_for_person(sessions, query.cancelled_at)
            name = f"{title} — {labels(query.language)['mine']}"
        else:
            sessions = agenda.sessions
            name = title
        body = build_calendar(
            spec,
            agenda,
            sessions,
            name=name,
            language=query.language,
            base_url=query.base_url,
            released_at=view.released_at or version.updated_at,
        )
        etag = etag_of(body, query.variant)
        # A cancellation after the release changes the feed too (If-Modified-Since must see it).
        changed = max(version.updated_at, query.cancelled_at or version.updated_at)
        return Feed(body=body, etag=etag, last_modified=changed, version_key=version.key)
