"""The schedule service's NATS wiring: its stream, the catalog it follows, endpoints, feeds."""

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import os
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec
from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError, ObjectNotFoundError

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
from schemas.speakers import (
    MAX_SPEAKER_PHOTO,
    AnswerInvitation,
    GetInvitation,
    GetSpeakers,
    InvitationList,
    InvitationView,
    InvitationWithdrawn,
    InviteSpeaker,
    ListInvitations,
    SendSpeakerInvitation,
    SpeakerAnswered,
    SpeakerInvitationSending,
    SpeakerInvited,
    SpeakerLink,
    SpeakerList,
    SpeakerPhoto,
    WithdrawInvitation,
)
from schemas.subjects import Notify, Schedule
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.client import call
from services.kit.codec import decode, encode
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket
from services.kit.objects import object_store
from services.kit.photos import UnreadablePhoto, photo_type, resized
from services.kit.settings import Settings
from services.kit.store import Append, Conflict, EventStore, decided_on
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
    sessions_for_speaker,
    sessions_in_room,
)
from services.schedule.speakers import (
    SpeakersState,
    decide_answer,
    decide_invite,
    decide_reminder,
    decide_withdraw,
    due_reminders,
    invitation_list,
    invitation_view,
    link_expires,
    opened,
    public_speakers,
    with_answered_availability,
)

log = logging.getLogger("perche.schedule")

# Built feeds kept for other web instances asking the same; least recently used go first.
FEED_CACHE_BYTES = 64 * 1024 * 1024
# How long an upload the web dropped waits to be checked: far more than one request takes.
UPLOAD_TTL = 3600.0
# What a photo's dry run uses, so every rule but the photo's own is checked before it is read.
_SOME_PHOTO = SpeakerPhoto(content_type="image/jpeg", size=0, sha256="")
FILE_NOTE = "Programme mis à jour depuis le fichier de l'événement."


class ScheduleService:
    name = "schedule"

    def __init__(self, housekeeping_seconds: float | None = None, reminder_days: float | None = None) -> None:
        self._housekeeping_seconds = housekeeping_seconds or float(os.environ.get("PERCHE_HOUSEKEEPING_SECONDS", "30"))
        self._reminder_days = Settings().reminder_days if reminder_days is None else reminder_days
        self.state = ScheduleState()
        self.speakers = SpeakersState()
        # Events whose speakers' addresses this instance has deleted (their links expired).
        self._forgotten: set[str] = set()
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
        # Speakers' photos, resized (this service's only writer), and the uploads the web drops for it.
        self.photos = await object_store(nc, Schedule.PHOTOS_BUCKET)
        self.uploads = await object_store(nc, Schedule.UPLOADS_BUCKET, ttl=UPLOAD_TTL)
        self.links = await bucket(nc.jetstream(), Schedule.LINKS_BUCKET)
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
            (Schedule.INVITE_SPEAKER, InviteSpeaker, self.invite_speaker),
            (Schedule.ANSWER_INVITATION, AnswerInvitation, self.answer_invitation),
            (Schedule.WITHDRAW_INVITATION, WithdrawInvitation, self.withdraw_invitation),
            (Schedule.INVITATION, GetInvitation, self.invitation),
            (Schedule.INVITATIONS, ListInvitations, self.invitations),
            (Schedule.SPEAKERS, GetSpeakers, self.public_speakers),
        ]
        for subject, request_type, handler in handlers:
            self.endpoints.add(subject, request_type, handler)  # type: ignore[arg-type]
        await self.endpoints.start()
        for slug in list(self.catalog.specs):
            self.background.start(self.sync_file(slug))
        self._reminders = asyncio.create_task(self._reminder_loop())

    async def stop(self) -> None:
        self._ready = False
        self._reminders.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reminders
        await self.endpoints.stop()
        await self.background.stop()
        await self.store.close()
        await self.catalog.close()

    # --- state from the streams ---

    def _on_event(self, event: ScheduleEvent, _subject: str) -> None:
        if isinstance(event, SpeakerInvited | SpeakerAnswered | InvitationWithdrawn):
            self.speakers.evolve(event)
            return
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
            issues=find_issues(
                with_answered_availability(agenda.draft, self.speakers, slug), spec.starts_at, spec.ends_at
            ),
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
            # Checked against what confirmed speakers said of their availability, and released with it.
            answered = with_answered_availability(current.draft, self.speakers, spec.slug)
            return decide_release(dataclasses.replace(current, draft=answered), spec, command, now)

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
        elif query.kind == "speaker":
            if not query.person:
                raise Rejected("invalid", "A speaker's feed needs the agenda person", "person")
            sessions = sessions_for_speaker(agenda, query.person)
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

    # --- speakers and the moderator (issue 15) ---

    async def _append_speakers(
        self,
        slug: str,
        decide: Callable[[], SpeakerInvited | SpeakerAnswered | InvitationWithdrawn | None],
        msg_id: str,
    ) -> bool:
        decision: Callable[[], Append[ScheduleEvent] | None] = decided_on(
            Schedule.speakers_subject(slug), f"{slug}:{msg_id}", decide
        )
        return await self.store.append_decided(decision) is not None

    async def invite_speaker(self, command: InviteSpeaker) -> InvitationList:
        """The invitation, then its mail (once: a repeated command mails nothing)."""
        spec = self._spec(command.event)
        now = datetime.now(UTC)
        invitation, key = uuid.uuid4().hex[:16], secrets.token_urlsafe(24)
        appended = await self._append_speakers(
            spec.slug, lambda: decide_invite(self.speakers, spec, command, invitation, key, now), command.command_id
        )
        if appended:
            link = SpeakerLink(email=command.email.strip(), key=key)
            await self.links.put(invitation, encode(link))
            await self._mail(spec, invitation, link, "invitation")
        return invitation_list(self.speakers, spec)

    async def _mail(self, spec: EventSpec, invitation: str, link: SpeakerLink, kind: str) -> None:
        found = self.speakers.of(spec.slug).invitations.get(invitation)
        if found is None:
            return
        language = found.invited.language
        path = f"/speaker/{spec.slug}/{invitation}?key={link.key}" + ("&lang=en" if language == "en" else "")
        mail = SendSpeakerInvitation(
            mail_id=uuid.uuid4().hex,
            event=spec.slug,
            email=link.email,
            name=found.invited.name,
            role=found.invited.role,
            language=language,
            kind="reminder" if kind == "reminder" else "invitation",
            path=path,
            expires_at=link_expires(spec),
        )
        await call(self.nc, Notify.SEND_SPEAKER_INVITATION, mail, SpeakerInvitationSending, timeout=10)

    async def _reminder_loop(self) -> None:
        """Confirmed speakers get a reminder `reminder_days` before the event, once across instances."""
        while True:
            try:
                now = datetime.now(UTC)
                await self.send_reminders(now)
                await self.forget_links(now)
            except Exception:
                log.exception("schedule: speakers' reminders failed; trying again later")
            await asyncio.sleep(self._housekeeping_seconds)

    async def forget_links(self, now: datetime) -> None:
        """Once a link has expired (days after the event), its address and key are deleted."""
        for spec in list(self.catalog.specs.values()):
            if now <= link_expires(spec) or spec.slug in self._forgotten:
                continue
            for invitation in list(self.speakers.of(spec.slug).invitations):
                with contextlib.suppress(KeyNotFoundError):
                    await self.links.delete(invitation)
            self._forgotten.add(spec.slug)

    async def send_reminders(self, now: datetime) -> None:
        for spec in list(self.catalog.specs.values()):
            subject = Schedule.speakers_subject(spec.slug)
            for invitation in due_reminders(self.speakers, spec, now, self._reminder_days):
                event = decide_reminder(self.speakers, spec, invitation, now)
                if event is None:
                    continue
                # Appended first, then mailed: a crash in between loses that reminder rather than
                # sending it twice. Of instances deciding at once, one appends; the others are told
                # by the expected sequence (a conflict) or the message id (a duplicate) and send nothing.
                try:
                    ack = await self.store.append(
                        subject, event, f"{spec.slug}:{event.command_id}", self.store.last_sequence(subject)
                    )
                except Conflict:
                    await self.store.catch_up_subject(subject)
                    continue  # decided again on the next round, from the state that moved on
                if ack.duplicate:
                    continue
                try:
                    entry = await self.links.get(invitation)
                except KeyNotFoundError:
                    continue  # no address kept: nothing to remind with
                if entry.value:
                    await self._mail(spec, invitation, decode(entry.value, SpeakerLink), "reminder")

    async def answer_invitation(self, command: AnswerInvitation) -> InvitationView:
        spec = self._spec(command.event)
        photo: SpeakerPhoto | None = None
        # A repeat, or a refusal of the texts, is answered without reading the photo.
        if (
            command.photo_upload is not None
            and decide_answer(self.speakers, spec, command, datetime.now(UTC), _SOME_PHOTO) is not None
        ):
            photo = await self._kept_photo(spec.slug, command.invitation, command.photo_upload)
        await self._append_speakers(
            spec.slug,
            lambda: decide_answer(self.speakers, spec, command, datetime.now(UTC), photo),
            command.command_id,
        )
        if command.photo_upload is not None:
            with contextlib.suppress(Exception):  # forgotten after UPLOAD_TTL anyway
                await self.uploads.delete(command.photo_upload)
        return invitation_view(spec, opened(self.speakers, spec, command.invitation, command.key, datetime.now(UTC)))

    async def _kept_photo(self, slug: str, invitation: str, upload: str) -> SpeakerPhoto:
        """The upload checked (size, its first bytes, decoding) and kept resized, named by its digest."""
        try:
            info = await self.uploads.get_info(upload)
            if (info.size or 0) > MAX_SPEAKER_PHOTO:
                raise Rejected("invalid", "The photo is over 2 MB", "photo", key="project_photo_too_big")
            data = (await self.uploads.get(upload)).data or b""
        except ObjectNotFoundError as missing:
            raise Rejected(
                "invalid", "The photo was not received: send it again", "photo", key="project_photo_lost"
            ) from missing
        if len(data) > MAX_SPEAKER_PHOTO:
            raise Rejected("invalid", "The photo is over 2 MB", "photo", key="project_photo_too_big")
        if photo_type(data[:16]) is None:
            raise Rejected("invalid", "The photo must be a JPEG, PNG or WebP image", "photo", key="project_photo_type")
        try:
            # Decoding is CPU work: off the event loop, so other requests go on meanwhile.
            small = await asyncio.to_thread(resized, data)
        except UnreadablePhoto as unreadable:
            raise Rejected(
                "invalid", "The photo must be a JPEG, PNG or WebP image", "photo", key="project_photo_type"
            ) from unreadable
        digest = hashlib.sha256(small).hexdigest()
        await self.photos.put(Schedule.photo_object(slug, invitation, digest), small)
        return SpeakerPhoto(content_type="image/jpeg", size=len(small), sha256=digest)

    async def withdraw_invitation(self, command: WithdrawInvitation) -> InvitationList:
        spec = self._spec(command.event)
        await self._append_speakers(
            spec.slug,
            lambda: decide_withdraw(self.speakers, spec, command, datetime.now(UTC)),
            command.command_id,
        )
        # The address and key are kept only for the reminder: a withdrawn invitation needs neither.
        with contextlib.suppress(Exception):
            await self.links.delete(command.invitation)
        return invitation_list(self.speakers, spec)

    async def invitation(self, query: GetInvitation) -> InvitationView:
        spec = self._spec(query.event)
        return invitation_view(spec, opened(self.speakers, spec, query.invitation, query.key, datetime.now(UTC)))

    async def invitations(self, query: ListInvitations) -> InvitationList:
        return invitation_list(self.speakers, self._spec(query.event))

    async def public_speakers(self, query: GetSpeakers) -> SpeakerList:
        return public_speakers(self.speakers, self._spec(query.event, published_only=True))
