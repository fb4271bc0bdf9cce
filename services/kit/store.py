"""An event store on JetStream: one stream per service, one subject per aggregate.

Appends carry `Nats-Msg-Id` (the command id, so a repeat is a no-op) and
`Nats-Expected-Last-Subject-Sequence` (so two writers cannot both decide on the
same state). State is only ever evolved by replaying the stream in order, through
one ordered consumer; an append returns once its own event has been applied, so
the caller reads its write.
"""

import asyncio
import contextlib
import heapq
import inspect
import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, ConnectionReconnectingError, NoRespondersError, OutboundBufferLimitError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api
from nats.js.errors import APIError, NoStreamResponseError, NotFoundError, ServiceUnavailableError

from schemas.errors import Rejected
from schemas.subjects import events_of, stream_name
from services.kit.codec import decoder, encode

log = logging.getLogger("perche.store")

E = TypeVar("E")
T = TypeVar("T")

# JetStream's answers to an append that expected another last sequence: 10071 names the
# sequence it found; a replicated stream's leader may answer 10164 without it.
WRONG_LAST_SEQUENCE = 10071
WRONG_LAST_SEQUENCE_CLUSTERED = 10164
CONFLICTS = frozenset({WRONG_LAST_SEQUENCE, WRONG_LAST_SEQUENCE_CLUSTERED})
# A message with the same id is being stored right now (a resend after a lost ack, or a
# replica catching up): the first may still succeed, so wait and resend the same id.
DUPLICATE_IN_PROCESS = 10158

# One write (its resends included) gives up well within the web's 5 s call timeout, so a
# refusal comes back as a fast 503 "unavailable" and the client retries with the same key.
WRITE_DEADLINE = 2.5
ATTEMPT_TIMEOUT = 1.0

# What a write that could not reach JetStream raises: no answer, or no leader to answer.
UNREACHABLE: tuple[type[BaseException], ...] = (
    NoStreamResponseError,
    NoRespondersError,
    NatsTimeoutError,
    TimeoutError,
    ServiceUnavailableError,
    ConnectionClosedError,
    ConnectionReconnectingError,
    OutboundBufferLimitError,
)


# How many times a decision is made again after losing a race before the store gives up.
MAX_ATTEMPTS = 50
# Append.expected: the aggregate's last sequence as this store has applied it when appending.
CURRENT: Literal["current"] = "current"


@dataclass(frozen=True)
class Append(Generic[E]):
    """One decided append: the event, its aggregate's subject and its message id.

    `expected` is the aggregate's sequence the decision was made on: JetStream refuses the
    append (a Conflict) if the aggregate moved on since. By default the last one this store
    applied; None appends whatever came before (only the message id deduplicates).
    """

    subject: str
    event: E
    msg_id: str
    expected: int | None | Literal["current"] = CURRENT


# What append_decided calls to decide: an Append, or None for nothing to append.
Decide = Callable[[], Append[E] | None | Awaitable[Append[E] | None]]


def decided_on(subject: str, msg_id: str, decide: Callable[[], E | None]) -> Callable[[], Append[E] | None]:
    """A decide for append_decided from one that only names the event: one aggregate, one id."""

    def decision() -> Append[E] | None:
        event = decide()
        return None if event is None else Append(subject, event, msg_id)

    return decision


class Conflict(Exception):
    """Someone appended to the aggregate since we read it: reload and decide again."""


def unavailable(what: str) -> Rejected:
    return Rejected("unavailable", f"Could not {what} right now; please retry in a moment", key="unavailable")


def is_conflict(error: APIError) -> bool:
    """JetStream refused an append because the aggregate moved on since it was read."""
    return error.err_code in CONFLICTS


def resendable(error: BaseException) -> bool:
    """No ack, no leader, or the same msg id still in process: resend it (ADR-22)."""
    if isinstance(error, APIError) and not isinstance(error, ServiceUnavailableError):
        # getattr: KV errors (KeyWrongLastSequenceError) are APIErrors made without err_code.
        return getattr(error, "err_code", None) == DUPLICATE_IN_PROCESS
    return isinstance(error, UNREACHABLE)


async def with_retries(write: Callable[[float], Awaitable[T]], what: str, deadline: float = WRITE_DEADLINE) -> T:
    """Run `write(timeout)` until JetStream acknowledges it, resending on no ack or no leader.

    `write` must be safe to repeat (the same msg id, or the same value under the same key).
    Past `deadline` seconds it raises Rejected("unavailable"): a fast refusal, never a hang.
    """
    give_up = time.monotonic() + deadline
    delay = 0.05
    while True:
        left = give_up - time.monotonic()
        try:
            return await write(max(0.2, min(ATTEMPT_TIMEOUT, left)))
        except Exception as error:
            if not resendable(error):
                raise
            left = give_up - time.monotonic()
            if left <= delay:
                log.warning("could not %s before the deadline: %r", what, error)
                raise unavailable(what) from error
            log.info("no ack to %s (%r), resending", what, error)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.4)


async def stream_problem(nc: Client, name: str, timeout: float = ATTEMPT_TIMEOUT) -> str | None:
    """Why stream `name` cannot take a write now, or None when its leader answers.

    A stream info is answered by the stream's leader: no answer in `timeout` (no leader, no
    JetStream, no quorum) is what every append would meet too.
    """
    try:
        info = await nc.jetstream(timeout=timeout).stream_info(name)
    except NotFoundError:
        return f"stream {name} does not exist"
    except (APIError, *UNREACHABLE) as error:
        return f"stream {name} did not answer ({type(error).__name__})"
    cluster = info.cluster
    if cluster is None:
        return None
    if not cluster.leader:
        return f"stream {name} has no leader"
    # A leader that lost its quorum still answers for a while before stepping down, but
    # cannot store anything: count the replicas it still hears from.
    replicated = info.config.num_replicas or 1
    alive = 1 + sum(1 for peer in cluster.replicas or [] if peer.current and not peer.offline)
    if alive < replicated // 2 + 1:
        return f"stream {name} has no quorum ({alive} of {replicated} replicas)"
    return None


def replicas() -> int:
    return int(os.environ.get("PERCHE_REPLICAS", "1"))


async def ensure_stream(js: Any, name: str, subjects: list[str]) -> None:
    config = api.StreamConfig(
        name=name,
        subjects=subjects,
        storage=api.StorageType.FILE,
        num_replicas=replicas(),
        duplicate_window=120.0,
        allow_direct=True,
    )
    for attempt in range(10):
        try:
            try:
                await js.stream_info(name)
            except NotFoundError:
                await js.add_stream(config)
            return
        except (NatsTimeoutError, ServiceUnavailableError):
            # A cluster that has just formed may not have elected a meta leader yet.
            if attempt == 9:
                raise
            log.warning("JetStream not ready to create %s yet, retrying", name)
            await asyncio.sleep(0.5 * (attempt + 1))


class EventStore(Generic[E]):
    def __init__(
        self,
        nc: Client,
        service: str,
        event_type: Any,
        apply: Callable[[E, str], None],
    ) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=5)
        self._js_fast = nc.jetstream(timeout=ATTEMPT_TIMEOUT)  # for reads on a command's path
        self.stream = stream_name(service)
        self._filter = events_of(service)
        self._decoder = decoder(event_type)
        self._apply = apply
        self._subject_seq: dict[str, int] = {}
        self._applied = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._tiebreak = itertools.count()
        self._ready = asyncio.Event()
        self._sub: Any = None
        self._refollowing = asyncio.Lock()
        # Imported here, not at the top: the dead-letter box writes through this module's helpers.
        from services.kit import dead_letters

        # Where an event this service cannot read or apply is set aside (services/kit/dead_letters.py).
        self._dead_letters = dead_letters.box_of(nc)
        self._letter_of = dead_letters.letter_of
        self._fold = dead_letters.FOLD

    async def open(self) -> None:
        """Create the stream if needed and replay it; returns once state is current."""
        await ensure_stream(self._js, self.stream, [self._filter])
        await self._dead_letters.ensure()
        for attempt in range(10):
            try:
                info = await self._js.stream_info(self.stream)
                if info.state.messages == 0:
                    self._ready.set()
                await self._follow(after=0)
                break
            except UNREACHABLE:
                # Opened during a leader election (a node just lost): the stream answers once it has
                # a leader again, as ensure_stream waits for one at a cluster's first start.
                if attempt == 9:
                    raise
                log.warning("%s has no leader to follow from yet, retrying", self.stream)
                await asyncio.sleep(0.5 * (attempt + 1))
        await self._ready.wait()

    async def _follow(self, after: int) -> None:
        """An ordered consumer from `after`+1; a short heartbeat notices a lost server fast."""
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE if after else api.DeliverPolicy.ALL,
            opt_start_seq=after + 1 if after else None,
        )
        self._sub = await self._js.subscribe(
            self._filter,
            stream=self.stream,
            cb=self._on_message,
            ordered_consumer=True,
            config=config,
            idle_heartbeat=1.0,
            pending_msgs_limit=1_000_000,
        )

    async def close(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def _on_message(self, msg: Msg) -> None:
        meta = msg.metadata
        seq = meta.sequence.stream
        if seq <= self._applied:
            return  # already applied (a consumer followed again from an earlier point)
        problem: str | None = None
        try:
            event = self._decoder.decode(msg.data)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            problem = f"unreadable: {error}"
        else:
            try:
                self._apply(event, msg.subject)
            except Exception as error:
                log.exception("%s: applying event #%d failed", self.stream, seq)
                problem = f"could not apply: {type(error).__name__}: {error}"
        if problem is not None:
            # Never fatal, never silent: set aside once (the box logs it with its sequence), then on.
            await self._set_aside(msg, problem)
        self._subject_seq[msg.subject] = seq
        self._applied = seq
        while self._waiters and self._waiters[0][0] <= seq:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
        if meta.num_pending == 0:
            self._ready.set()

    async def _set_aside(self, msg: Msg, reason: str) -> None:
        letter = self._letter_of(msg, self._dead_letters.service, self._fold, reason)
        # Replaying and not yet stored (JetStream busy): the next start replays it and tries again.
        await self._dead_letters.set_aside(letter)

    async def history(self, subjects: str) -> list[tuple[E, str]]:
        """Every readable event stored on `subjects` (a subject or a wildcard), oldest first,
        with its subject: a fresh read of the stream, for histories, never kept in state."""
        sub = await self._js.pull_subscribe(
            subjects,
            stream=self.stream,
            config=api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.ALL, ack_policy=api.AckPolicy.NONE, inactive_threshold=30.0
            ),
        )
        read: list[tuple[E, str]] = []
        try:
            left = (await sub.consumer_info()).num_pending or 0
            while left > 0:
                for msg in await sub.fetch(min(left, 500), timeout=5):
                    left -= 1
                    try:
                        read.append((self._decoder.decode(msg.data), msg.subject))
                    except (msgspec.ValidationError, msgspec.DecodeError):
                        # The service's fold set it aside as a dead letter when it met it.
                        seq = msg.metadata.sequence.stream
                        log.error("%s: history skips unreadable event #%d on %s", self.stream, seq, msg.subject)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        return read

    def last_sequence(self, subject: str) -> int:
        """The stream sequence of the last event applied on this aggregate (0: none yet)."""
        return self._subject_seq.get(subject, 0)

    async def caught_up(self, seq: int, timeout: float = 10.0) -> None:
        if self._applied >= seq:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (seq, next(self._tiebreak), future))
        started = time.monotonic()
        try:
            async with asyncio.timeout(min(timeout / 2, 2.0)):  # cheaper than wait_for: no extra task
                await asyncio.shield(future)
        except TimeoutError:
            # The server may have restarted and lost our consumer: follow again from here.
            log.warning("%s: event #%d not delivered yet, following the stream again", self.stream, seq)
            await self._refollow()
            async with asyncio.timeout(max(0.1, timeout - (time.monotonic() - started))):
                await future

    async def _refollow(self) -> None:
        applied = self._applied
        async with self._refollowing:
            if self._applied != applied:
                return  # events flowed meanwhile, or another waiter already did it
            if self._sub is not None:
                with contextlib.suppress(Exception):
                    await self._sub.unsubscribe()
            await self._follow(after=self._applied)

    async def catch_up_all(self, timeout: float = 10.0) -> None:
        """Wait until every event stored so far is applied here (for a stream another service writes)."""
        info = await self._js.stream_info(self.stream)
        await self.caught_up(info.state.last_seq, timeout)

    async def catch_up_subject(self, subject: str) -> None:
        """After a conflict: wait until the newest event on `subject` is applied here."""
        try:
            last = await with_retries(
                lambda _timeout: self._js_fast.get_last_msg(self.stream, subject, direct=True),
                f"read the last event on {subject}",
            )
        except NotFoundError:
            return
        try:
            await self.caught_up(last.seq or 0, timeout=WRITE_DEADLINE)
        except (TimeoutError, *UNREACHABLE) as error:
            raise unavailable(f"read back {subject} from {self.stream}") from error

    async def append_decided(self, decide: Decide[E], attempts: int = MAX_ATTEMPTS) -> Append[E] | None:
        """Decide on the current state and append what was decided; on a race, catch up and
        decide again. The Append made, or None when the decision was to append nothing.

        `decide` may be a coroutine function (to wait for something before deciding). Past
        `attempts` races it raises Rejected("unavailable"): the caller never answers from a
        state its command did not change.
        """
        for _ in range(attempts):
            decided = decide()
            decision = await decided if inspect.isawaitable(decided) else decided
            if decision is None:
                return None
            expected = decision.expected
            if isinstance(expected, str):  # CURRENT
                expected = self.last_sequence(decision.subject)
            try:
                await self.append(decision.subject, decision.event, decision.msg_id, expected)
            except Conflict:
                await self.catch_up_subject(decision.subject)
                continue
            return decision
        log.warning("%s: gave up after %d races", self.stream, attempts)
        raise Rejected("unavailable", "Too many changes at once; please retry", key="unavailable")

    async def append(
        self,
        subject: str,
        event: E,
        msg_id: str,
        expected_last_seq: int | None,
        headers: dict[str, str] | None = None,
    ) -> api.PubAck:
        """Append one event; retries lost acks with the same id, raises Conflict on a race."""
        all_headers = {"Nats-Msg-Id": msg_id, **(headers or {})}
        if expected_last_seq is not None:
            all_headers["Nats-Expected-Last-Subject-Sequence"] = str(expected_last_seq)
        payload = encode(event)

        async def publish(timeout: float) -> api.PubAck:
            try:
                return await self._js.publish(
                    subject, payload, timeout=timeout, stream=self.stream, headers=all_headers
                )
            except APIError as error:
                if is_conflict(error):
                    raise Conflict(subject) from error
                raise

        # No ack (leader election, reconnect): resend with the same msg id (ADR-22); JetStream
        # deduplicates if the first one was stored after all. With an expected sequence it may
        # check that first, so the resend is a Conflict: callers catch up and find their
        # command applied (tests/integration/test_store.py).
        ack = await with_retries(publish, f"append {msg_id} to {self.stream}")
        try:
            await self.caught_up(ack.seq, timeout=WRITE_DEADLINE)
        except (TimeoutError, *UNREACHABLE) as error:
            # Stored, but not yet read back: the caller cannot answer from its state. A retry
            # with the same id finds the event once the stream is followed again.
            raise unavailable(f"read back {msg_id} from {self.stream}") from error
        return ack
