"""The publishing service's NATS wiring: results are a snapshot of judging's standings, made public on request."""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.client import Client

from schemas.errors import Rejected
from schemas.judging import GetStandings, Standings
from schemas.publishing import GetResults, PublishingEvent, PublishResults, Results, WithdrawResults
from schemas.subjects import Judging, Publishing
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.client import ServiceError, call
from services.kit.endpoints import Endpoints
from services.kit.store import EventStore, decided_on
from services.publishing.rules import PublishingState, decide_publish, decide_withdraw


class PublishingService:
    name = "publishing"

    def __init__(self) -> None:
        self.state = PublishingState()
        self.catalog = CatalogReader()
        self.background = Background(logging.getLogger("perche.publishing"))
        self._ready = False

    async def start(self, nc: Client) -> None:
        self.nc = nc
        self.store: EventStore[PublishingEvent] = EventStore(nc, self.name, PublishingEvent, self._on_event)
        await self.store.open()
        await self.catalog.open(nc)
        self._ready = True
        self.endpoints = Endpoints(nc, self.name, "Results, hidden until an organiser publishes them")
        handlers: list[tuple[str, object, Callable[..., Awaitable[object]]]] = [
            (Publishing.PUBLISH, PublishResults, self.publish),
            (Publishing.WITHDRAW, WithdrawResults, self.withdraw),
            (Publishing.RESULTS, GetResults, self.results),
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

    def _on_event(self, event: PublishingEvent, _subject: str) -> None:
        self.state.evolve(event)
        if self._ready:
            # Live screens at the venue show the results the moment they are public.
            self.background.start(self.nc.publish(Publishing.changed(event.event), b""))

    async def _append(self, slug: str, command_id: str, decide: Callable[[Results], PublishingEvent | None]) -> None:
        def decision() -> PublishingEvent | None:
            # A repeated command changes nothing: its first outcome stands.
            return None if self.state.done(slug, command_id) else decide(self.state.of(slug))

        # The message id names the event too, for JetStream's de-duplication.
        await self.store.append_decided(decided_on(Publishing.event_subject(slug), f"{slug}:{command_id}", decision))

    async def publish(self, command: PublishResults) -> Results:
        spec = await self.catalog.spec(command.event)
        if not self.state.done(spec.slug, command.command_id):
            try:
                standings = await call(self.nc, Judging.STANDINGS, GetStandings(event=spec.slug), Standings)
            except ServiceError as error:
                raise Rejected(error.reply.code, error.reply.message, error.reply.field, error.reply.key) from error
            now = datetime.now(UTC)
            await self._append(spec.slug, command.command_id, lambda _: decide_publish(spec, standings, command, now))
        return self.state.of(spec.slug)

    async def withdraw(self, command: WithdrawResults) -> Results:
        spec = await self.catalog.spec(command.event)
        now = datetime.now(UTC)
        await self._append(spec.slug, command.command_id, lambda current: decide_withdraw(current, command, now))
        return self.state.of(spec.slug)

    async def results(self, query: GetResults) -> Results:
        """Only what was published: unpublished standings never leave the judging service this way."""
        return self.state.of((await self.catalog.spec(query.event)).slug)
