"""A durable JetStream consumer notify takes work from, shared by every notify instance.

Acks are explicit: an event is acked once the mails it calls for are sent (or it calls
for none), so a stopped or crashed instance leaves it to be delivered again. Events
with the same key (one registration, one agenda) are handled in stream order; events
with different keys in parallel. An event that cannot be read is terminated and
logged, never delivered again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api

from schemas.subjects import events_of, stream_name
from services.kit.codec import decoder
from services.kit.store import ensure_stream
from services.notify.rules import MAX_ATTEMPTS, retry_delay

log = logging.getLogger("perche.notify")

E = TypeVar("E")

# Deliveries of one event before JetStream stops; a little above the send attempts,
# as waiting for another instance or a lagging service uses some too.
MAX_DELIVER = MAX_ATTEMPTS + 10
# Longer than an SMTP exchange may take (its timeout is 30 s); progress is signalled too.
ACK_WAIT = 90.0
BATCH = 32


@dataclass(frozen=True)
class Outcome:
    """What to tell JetStream about a delivered event."""

    action: Literal["ack", "retry", "term"]
    delay: float = 0.0


ACK = Outcome("ack")


def combined(outcomes: list[Outcome]) -> Outcome:
    """One event's outcome from those of its mails: retried while any mail must be, soonest first.

    A mail given up for good does not hold back the others of the same event.
    """
    retries = [o.delay for o in outcomes if o.action == "retry"]
    return Outcome("retry", min(retries)) if retries else ACK


class WorkQueue(Generic[E]):
    """The events of one stream, as work: fetched in batches, handled, then acked."""

    def __init__(
        self,
        nc: Client,
        service: str,
        consumer: str,
        event_type: Any,
        key: Callable[[E], str],
        handle: Callable[[E, Msg], Awaitable[Outcome]],
        slots: asyncio.Semaphore,
    ) -> None:
        self._nc = nc
        self.service = service
        self.stream = stream_name(service)
        self.consumer = consumer
        self._decode = decoder(event_type).decode
        self._key = key
        self._handle_event = handle
        self._slots = slots
        self._stopping = asyncio.Event()
        self._fetching: asyncio.Future[Any] | None = None
        self._sub: Any = None
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        js = self._nc.jetstream(timeout=10)
        # The stream may not exist yet when notify starts before the service that owns it.
        await ensure_stream(js, self.stream, [events_of(self.service)])
        config = api.ConsumerConfig(
            name=self.consumer,
            durable_name=self.consumer,
            filter_subject=events_of(self.service),
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT,
            max_deliver=MAX_DELIVER,
            max_ack_pending=1000,
        )
        # Create or update: every instance asks for the same consumer and so shares it.
        await js.add_consumer(self.stream, config)
        self._sub = await js.pull_subscribe_bind(durable=self.consumer, stream=self.stream)
        self._stopping.clear()
        self._worker = asyncio.create_task(self._work())

    async def stop(self, timeout: float = 45.0) -> None:
        """Let the events in hand finish: one left unacked would only be delivered again."""
        self._stopping.set()
        if self._fetching is not None:
            self._fetching.cancel()
        if self._worker is not None:
            try:
                async with asyncio.timeout(timeout):
                    await self._worker
            except TimeoutError:
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()

    async def _work(self) -> None:
        while not self._stopping.is_set():
            # A task, so that stop() can interrupt the wait instead of sitting it out.
            self._fetching = asyncio.ensure_future(self._sub.fetch(batch=BATCH, timeout=1.0))
            try:
                messages = await self._fetching
            except (NatsTimeoutError, TimeoutError):
                continue
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return  # anything fetched but not handled is delivered again later
                raise
            except Exception as error:  # disconnected, server restarting: try again shortly
                log.warning("notify: fetching %s events failed: %s", self.service, error)
                await asyncio.sleep(1.0)
                continue
            by_key: dict[str, list[tuple[Msg, E | None]]] = {}
            for msg in messages:
                event = self._read(msg)
                key = self._key(event) if event is not None else f"unreadable-{id(msg)}"
                by_key.setdefault(key, []).append((msg, event))
            await asyncio.gather(*(self._handle_in_order(items) for items in by_key.values()))

    def _read(self, msg: Msg) -> E | None:
        try:
            event: E = self._decode(msg.data)
            return event
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            log.error("notify: terminating unreadable message on %s: %s", msg.subject, error)
            return None

    async def _handle_in_order(self, items: list[tuple[Msg, E | None]]) -> None:
        async with self._slots:
            for msg, event in items:
                await self._handle(msg, event)

    async def _handle(self, msg: Msg, event: E | None) -> None:
        if event is None:
            outcome = Outcome("term")  # a poison message is never delivered again
        else:
            try:
                outcome = await self._handle_event(event, msg)
            except Exception:
                log.exception("notify: handling %s failed", msg.subject)
                outcome = Outcome("retry", retry_delay(msg.metadata.num_delivered))
            if outcome.action == "retry" and msg.metadata.num_delivered >= MAX_DELIVER:
                log.error("notify: giving up on %s after %d deliveries", msg.subject, MAX_DELIVER)
        try:
            if outcome.action == "ack":
                await msg.ack_sync()
            elif outcome.action == "term":
                await msg.term()
            else:
                await msg.nak(delay=outcome.delay)
        except Exception as error:  # the claim in the notify stream still stops a second send
            log.warning("notify: could not acknowledge %s: %s", msg.subject, error)
