"""The Q&A service's NATS wiring: the room's questions and votes, and the moderators' decisions."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from schemas.qa import (
    NAMES_BUCKET,
    AskQuestion,
    CastVote,
    CreatePoll,
    EditQuestion,
    GetModeration,
    GetPublicQa,
    GetRecord,
    MergeQuestion,
    ModerateQuestion,
    Moderation,
    PublicQa,
    PublishRecord,
    QaCommand,
    QaDone,
    QaEvent,
    QuestionAsked,
    RecordReply,
    SetPhase,
    SetPollState,
    VotePoll,
)
from schemas.subjects import Qa
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket
from services.kit.store import Append, EventStore, with_retries
from services.qa.rules import (
    QaState,
    Session,
    checked_name,
    decide,
    is_repeat,
    moderation_view,
    public_view,
    record_view,
)


class QaService:
    name = "qa"

    def __init__(self) -> None:
        self.state = QaState()
        self.catalog = CatalogReader()
        self.background = Background(logging.getLogger("perche.qa"))
        self._ready = False
        # Askers' names by their key in the names bucket, as far as this instance has read them.
        self.names: dict[str, str] = {}
        # One writer at a time per event here: a room's commands raced for the event's subject (each
        # append expects the last sequence), and at 200 votes a second most lost and were decided again.
        self._writing: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def start(self, nc: Client) -> None:
        self.nc = nc
        # Names are personal data: kept in a bucket, where erasure can remove them, never in the stream.
        self.names_bucket: KeyValue = await bucket(nc.jetstream(), NAMES_BUCKET)
        self.store: EventStore[QaEvent] = EventStore(nc, self.name, QaEvent, self._on_event)
        await self.store.open()
        await self.catalog.open(nc)
        self._ready = True
        self.endpoints = Endpoints(
            nc, self.name, "The audience's questions and votes, moderated", also_writes=(f"KV_{NAMES_BUCKET}",)
        )
        handlers: list[tuple[str, object, Callable[..., Awaitable[object]]]] = [
            (Qa.SET_PHASE, SetPhase, self.command),
            (Qa.ASK, AskQuestion, self.command),
            (Qa.VOTE, CastVote, self.command),
            (Qa.MODERATE, ModerateQuestion, self.command),
            (Qa.EDIT, EditQuestion, self.command),
            (Qa.MERGE, MergeQuestion, self.command),
            (Qa.CREATE_POLL, CreatePoll, self.command),
            (Qa.SET_POLL_STATE, SetPollState, self.command),
            (Qa.VOTE_POLL, VotePoll, self.command),
            (Qa.PUBLISH_RECORD, PublishRecord, self.command),
            (Qa.PUBLIC, GetPublicQa, self.public),
            (Qa.MODERATION, GetModeration, self.moderation),
            (Qa.RECORD, GetRecord, self.record),
        ]
        for subject, request_type, handler in handlers:
            self.endpoints.add(subject, request_type, handler)  # type: ignore[arg-type]
        await self.endpoints.start()

    async def stop(self) -> None:
        self._ready = False
        await self.endpoints.stop()
        await self.background.stop()
        await self.store.close()
        await self.catalog.close()

    def _on_event(self, event: QaEvent, _subject: str) -> None:
        self.state.evolve(event)
        if self._ready:
            # The moderator's tablet, the projector and the audience page refresh at once.
            self.background.start(self.nc.publish(Qa.changed(event.event), b""))

    async def command(self, command: QaCommand) -> QaDone:
        """Every command the same way: decided on the event's session, appended with its expected sequence."""
        # The room asks and votes only on a published event; moderators work on any of theirs.
        from_the_room = isinstance(command, AskQuestion | CastVote | VotePoll)
        spec = await self.catalog.spec(command.event, published_only=from_the_room)
        slug = spec.slug
        now = datetime.now(UTC)

        subject, msg_id = Qa.event_subject(slug), f"{slug}:{command.command_id}"

        async def decision() -> Append[QaEvent] | None:
            session = self.state.of(slug)
            # A repeated command changes nothing: its first outcome stands.
            if is_repeat(session, command):
                return None
            event = decide(session, command, now, spec.ends_at)
            if isinstance(event, QuestionAsked) and event.name_key and isinstance(command, AskQuestion):
                # Stored before the question that names it: an acknowledged question never lost its name.
                name, key = checked_name(command.name), event.name_key
                # Resent on no ack (a leader election) like every write: the same value under the same key.
                await with_retries(lambda _timeout: self.names_bucket.put(key, name.encode()), "store an asker's name")
                self.names[key] = name
            return Append(subject, event, msg_id)

        async with self._writing[slug]:
            await self.store.append_decided(decision)
        session = self.state.of(slug)
        if isinstance(command, CreatePoll | SetPollState | VotePoll):
            poll = session.asked.get(command.command_id) if isinstance(command, CreatePoll) else command.poll
            return QaDone(event=slug, question=None, phase=session.phase, poll=poll)
        question = session.asked.get(command.command_id) if isinstance(command, AskQuestion) else None
        return QaDone(event=slug, question=question or getattr(command, "question", None), phase=session.phase)

    async def public(self, query: GetPublicQa) -> PublicQa:
        """Only what the room may see, and the asking person's own waiting questions."""
        slug = (await self.catalog.spec(query.event, published_only=True)).slug
        session = self.state.of(slug)
        return public_view(session, query.person, await self._names(session))

    async def record(self, query: GetRecord) -> RecordReply:
        """Only the record: what the event page shows, without the room's list of questions."""
        slug = (await self.catalog.spec(query.event, published_only=True)).slug
        session = self.state.of(slug)
        if session.record is None:
            return RecordReply()
        return RecordReply(record=record_view(session, await self._names(session)))

    async def moderation(self, query: GetModeration) -> Moderation:
        slug = (await self.catalog.spec(query.event)).slug
        session = self.state.of(slug)
        return moderation_view(session, await self._names(session))

    async def _names(self, session: Session) -> dict[str, str]:
        """The names of the session's askers, those this instance has not read yet fetched from the bucket."""
        missing = [
            q.name_key for q in session.questions.values() if q.name_key is not None and q.name_key not in self.names
        ]

        async def fetch(key: str) -> None:
            try:
                entry = await self.names_bucket.get(key)
            except (KeyNotFoundError, KeyDeletedError):
                return  # erased (or a replica not there yet): anonymous for now, asked again next time
            self.names[key] = (entry.value or b"").decode()

        for start in range(0, len(missing), 200):
            await asyncio.gather(*(fetch(key) for key in missing[start : start + 200]))
        return self.names
