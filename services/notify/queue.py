"""A durable JetStream consumer notify takes work from, shared by every notify instance.

Acks are explicit: an event is acked once the mails it calls for are sent (or it calls
for none), so a stopped or crashed instance leaves it to be delivered again. Events
with the same key (one registration, one agenda) are handled in stream order; events
with different keys in parallel. An event that cannot be read, or that is still failing
at its `dead_after`-th delivery, is set aside as a dead letter and acked
(services/kit/dead_letters.py): never delivered for ever, never lost.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api

from schemas.subjects import events_of, stream_name
from services.kit.codec import decoder
from services.kit.dead_letters import Verdict, box_of, letter_of, max_deliver, raised, settle, unreadable
from services.kit.store import ensure_stream
from services.notify.rules import MAX_ATTEMPTS, retry_delay

log = logging.getLogger("perche.notify")

E = TypeVar("E")

# Deliveries of one event before it is set aside as a dead letter; a little above the send
# attempts, as waiting for another instance or a lagging service uses some too.
MAX_DELIVER = MAX_ATTEMPTS + 10
# Longer than an SMTP exchange may take (its timeout is 30 s); progress is signalled too.
ACK_WAIT = 90.0
BATCH = 32

# What to tell JetStream about a delivered event: the kit's verdict, shared with every reader.
Outcome = Verdict
ACK = Outcome("ack")


def combined(outcomes: list[Outcome]) -> Outcome:
    """One event's outcome from those of its mails: retried while any mail must be, soonest first.

    A mail given up for good does not hold back the others of the same event.
    """
    retries = [o for o in outcomes if o.action == "retry"]
    if not retries:
        return ACK
    soonest = min(retries, key=lambda o: o.delay)
    return Outcome("retry", soonest.delay, soonest.reason)


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
        dead_after: int = MAX_DELIVER,
    ) -> None:
        self._nc = nc
        self.service = service
        self.stream = stream_name(service)
        self.consumer = consumer
        self._decode = decoder(event_type).decode
        self._key = key
        self._handle_event = handle
        self._slots = slots
        self.dead_after = dead_after
        self._dead_letters = box_of(nc)
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
            max_deliver=max_deliver(self.dead_after),
            max_ack_pending=1000,
        )
        # Create or update: every instance asks for the same consumer and so shares it.
        await js.add_consumer(self.stream, config)
        await self._dead_letters.ensure()
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
            by_key: dict[str, list[tuple[Msg, E | Outcome]]] = {}
            for msg in messages:
                event = self._read(msg)
                key = f"unreadable-{id(msg)}" if isinstance(event, Verdict) else self._key(event)
                by_key.setdefault(key, []).append((msg, event))
            await asyncio.gather(*(self._handle_in_order(items) for items in by_key.values()))

    def _read(self, msg: Msg) -> E | Outcome:
        try:
            event: E = self._decode(msg.data)
            return event
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            return unreadable(error)

    async def _handle_in_order(self, items: list[tuple[Msg, E | Outcome]]) -> None:
        async with self._slots:
            for msg, event in items:
                await self._handle(msg, event)

    async def _handle(self, msg: Msg, event: E | Outcome) -> None:
        meta = msg.metadata
        deliveries = meta.num_delivered or 1
        if isinstance(event, Verdict):
            outcome = event  # a poison message is set aside at once
        else:
            try:
                outcome = await self._handle_event(event, msg)
            except Exception as error:
                log.exception("notify: handling %s #%d failed", msg.subject, meta.sequence.stream)
                outcome = Outcome("retry", retry_delay(deliveries), raised(error))
        outcome = settle(outcome, deliveries, self.dead_after)
        if outcome.action == "dead":
            letter = letter_of(msg, self._dead_letters.service, self.consumer, outcome.reason)
            if not await self._dead_letters.set_aside(letter):
                # Not stored: delivered again (max_deliver leaves spare deliveries), set aside then.
                outcome = Outcome("retry", 5.0, outcome.reason)
        try:
            if outcome.action in ("ack", "dead"):
                await msg.ack_sync()
            elif outcome.action == "term":
                await msg.term()
            else:
                await msg.nak(delay=outcome.delay)
        except Exception as error:  # the claim in the notify stream still stops a second send
            log.warning("notify: could not acknowledge %s #%d: %s", msg.subject, meta.sequence.stream, error)
