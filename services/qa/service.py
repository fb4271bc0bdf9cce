"""The Q&A service's NATS wiring: the room's questions and votes, and the moderators' decisions."""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.client import Client

from schemas.qa import (
    AskQuestion,
    CastVote,
    EditQuestion,
    GetModeration,
    GetPublicQa,
    MergeQuestion,
    ModerateQuestion,
    Moderation,
    PublicQa,
    QaCommand,
    QaDone,
    QaEvent,
    SetPhase,
)
from schemas.subjects import Qa
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.endpoints import Endpoints
from services.kit.store import EventStore, decided_on
from services.qa.rules import QaState, decide, is_repeat, moderation_view, public_view


class QaService:
    name = "qa"

    def __init__(self) -> None:
        self.state = QaState()
        self.catalog = CatalogReader()
        self.background = Background(logging.getLogger("perche.qa"))
        self._ready = False

    async def start(self, nc: Client) -> None:
        self.nc = nc
        self.store: EventStore[QaEvent] = EventStore(nc, self.name, QaEvent, self._on_event)
        await self.store.open()
        await self.catalog.open(nc)
        self._ready = True
        self.endpoints = Endpoints(nc, self.name, "The audience's questions and votes, moderated")
        handlers: list[tuple[str, object, Callable[..., Awaitable[object]]]] = [
            (Qa.SET_PHASE, SetPhase, self.command),
            (Qa.ASK, AskQuestion, self.command),
            (Qa.VOTE, CastVote, self.command),
            (Qa.MODERATE, ModerateQuestion, self.command),
            (Qa.EDIT, EditQuestion, self.command),
            (Qa.MERGE, MergeQuestion, self.command),
            (Qa.PUBLIC, GetPublicQa, self.public),
            (Qa.MODERATION, GetModeration, self.moderation),
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
        from_the_room = isinstance(command, AskQuestion | CastVote)
        slug = (await self.catalog.spec(command.event, published_only=from_the_room)).slug
        now = datetime.now(UTC)

        def decision() -> QaEvent | None:
            session = self.state.of(slug)
            # A repeated command changes nothing: its first outcome stands.
            return None if is_repeat(session, command) else decide(session, command, now)

        await self.store.append_decided(decided_on(Qa.event_subject(slug), f"{slug}:{command.command_id}", decision))
        session = self.state.of(slug)
        question = session.asked.get(command.command_id) if isinstance(command, AskQuestion) else None
        return QaDone(event=slug, question=question or getattr(command, "question", None), phase=session.phase)

    async def public(self, query: GetPublicQa) -> PublicQa:
        """Only what the room may see, and the asking person's own waiting questions."""
        slug = (await self.catalog.spec(query.event, published_only=True)).slug
        return public_view(self.state.of(slug), query.person)

    async def moderation(self, query: GetModeration) -> Moderation:
        slug = (await self.catalog.spec(query.event)).slug
        return moderation_view(self.state.of(slug))
