"""Dead letters: what a service cannot read or handle is set aside once, with why, and its reader moves on.

Every reader of a stream sends its failures here, through one box per NATS connection:

- an EventStore fold (state replayed in memory) sets an undecodable event, or one its `apply`
  raises on, aside at once and goes on: the service starts and serves, and the event is neither
  retried for ever nor silently skipped. At the next start the replay meets it again; the dead
  letter's subject names the service, stream and sequence, and is written expecting nothing before
  it, so it is stored once, whatever the restarts and instances;
- a durable consumer (notify's work queues) retries a failed message with the handler's delay;
  `settle` turns the retry of its `dead_after`-th delivery, or a message that cannot be decoded,
  into a dead letter, then acknowledges it. JetStream's own `max_deliver` is set `SPARE_DELIVERIES`
  above, so a dead letter that could not be stored is tried again at the next delivery.

The dead letter keeps the original payload byte for byte, its stream, subject and sequence, the
service and reader that failed, the reason and the number of deliveries (schemas/dead_letters.py).
"""

import asyncio
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.errors import APIError, NotFoundError

from schemas.dead_letters import DeadLetter, headers_of, letter_from, one_line
from schemas.subjects import DeadLetters
from services.kit.store import ATTEMPT_TIMEOUT, ensure_stream, is_conflict, with_retries

log = logging.getLogger("perche.dead_letters")

# The reader name of an EventStore: the service's state, folded from a stream in memory.
FOLD = "fold"
# Deliveries JetStream still makes past a durable consumer's last one, so that a dead letter which
# could not be stored then (JetStream busy, no leader) is tried again rather than left unacknowledged.
SPARE_DELIVERIES = 5

Action = Literal["ack", "retry", "term", "dead"]


@dataclass(frozen=True)
class Verdict:
    """What to do with a delivered message: acknowledge it, deliver it again after `delay`, end it
    (`term`: done, its failure recorded elsewhere) or set it aside as a dead letter, saying why."""

    action: Action
    delay: float = 0.0
    reason: str = ""


def unreadable(error: BaseException) -> Verdict:
    """A message that does not decode never will: set it aside at the first delivery."""
    return Verdict("dead", reason=f"unreadable: {error}")


def raised(error: BaseException) -> str:
    """Why a handler failed, for the log and the dead letter."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def settle(verdict: Verdict, deliveries: int, dead_after: int) -> Verdict:
    """The verdict to carry out on a message's `deliveries`-th delivery: a retry of the `dead_after`-th
    (or a later one) is a dead letter, so that a message that fails every time is not retried for ever."""
    if verdict.action == "retry" and deliveries >= dead_after:
        why = verdict.reason or "the handler asked to try again"
        return Verdict("dead", reason=f"still failing after {deliveries} deliveries: {why}")
    return verdict


def max_deliver(dead_after: int) -> int:
    """JetStream's max_deliver for a consumer whose messages are set aside at delivery `dead_after`."""
    return dead_after + SPARE_DELIVERIES


def reader_of(nc: Client) -> str:
    """The service a connection belongs to: services/kit/connection.py names it `perche-<service>`."""
    name = str(nc.options.get("name") or "")
    return name.removeprefix("perche-") or "unknown"


def letter_of(msg: Msg, service: str, consumer: str, reason: str) -> DeadLetter:
    """The dead letter for a message delivered by a JetStream consumer."""
    meta = msg.metadata
    return DeadLetter(
        service=service,
        consumer=consumer,
        stream=meta.stream,
        subject=msg.subject,
        sequence=meta.sequence.stream,
        reason=one_line(reason),
        deliveries=meta.num_delivered or 1,
        at=datetime.now(UTC),
        payload=msg.data,
    )


class DeadLetterBox:
    """Where one service's connection sets dead letters aside (one per connection: `box_of`)."""

    def __init__(self, nc: Client, service: str) -> None:
        self._js = nc.jetstream(timeout=ATTEMPT_TIMEOUT)
        self._js_create = nc.jetstream(timeout=5)
        self.service = service
        self._ensured = False
        self._ensuring = asyncio.Lock()

    async def ensure(self) -> None:
        """Create the dead-letter stream if needed (at start-up: a missing permission shows then)."""
        if self._ensured:
            return
        async with self._ensuring:
            if not self._ensured:
                await ensure_stream(self._js_create, DeadLetters.STREAM, [DeadLetters.SUBJECTS])
                self._ensured = True

    async def set_aside(self, letter: DeadLetter) -> bool:
        """Store the dead letter once (a second time is a no-op); False when it could not be stored now."""
        log.error(
            "%s: setting aside %s #%d on %s as a dead letter (%s, delivery %d): %s",
            letter.service,
            letter.stream,
            letter.sequence,
            letter.subject,
            letter.consumer,
            letter.deliveries,
            letter.reason,
        )
        subject = DeadLetters.subject(letter.service, letter.stream, letter.sequence)
        headers = {
            **headers_of(letter),
            "Nats-Msg-Id": f"dead-{letter.service}-{letter.stream}-{letter.sequence}",
            # Create once: a dead letter for this service and message may already be there (another
            # instance, an earlier run); the msg id alone would forget it after the duplicate window.
            "Nats-Expected-Last-Subject-Sequence": "0",
        }

        async def publish(timeout: float) -> None:
            try:
                await self._js.publish(
                    subject, letter.payload, timeout=timeout, stream=DeadLetters.STREAM, headers=headers
                )
            except APIError as error:
                if not is_conflict(error):
                    raise  # a conflict: stored already

        try:
            await self.ensure()
            await with_retries(publish, f"set aside {letter.stream} #{letter.sequence}")
        except Exception as error:  # noqa: BLE001 - the reader goes on; the letter is tried again later
            log.error("could not store the dead letter of %s #%d: %s", letter.stream, letter.sequence, raised(error))
            return False
        return True


_boxes: "weakref.WeakKeyDictionary[Client, DeadLetterBox]" = weakref.WeakKeyDictionary()


def box_of(nc: Client) -> DeadLetterBox:
    """The connection's box, shared by every reader on it (so the stream is ensured once)."""
    box = _boxes.get(nc)
    if box is None:
        box = _boxes[nc] = DeadLetterBox(nc, reader_of(nc))
    return box


# --- reading them back: `perche dead-letters`, the organiser's day page ---


async def count(nc: Client, timeout: float = 2.0) -> int:
    """How many dead letters are stored (0 when the stream was never made)."""
    try:
        info = await nc.jetstream(timeout=timeout).stream_info(DeadLetters.STREAM)
    except NotFoundError:
        return 0
    return info.state.messages or 0


async def listed(nc: Client, service: str | None = None, timeout: float = 5.0) -> list[DeadLetter]:
    """Every dead letter, oldest first (of one service when named), read one by one (direct gets).

    Direct gets need no consumer, so a reader with the right to read the stream needs no other."""
    js = nc.jetstream(timeout=timeout)
    try:
        await js.stream_info(DeadLetters.STREAM)
    except NotFoundError:
        return []  # never made: nothing was ever set aside (a direct get would find no responder)
    subjects = DeadLetters.of(service) if service else DeadLetters.SUBJECTS
    letters: list[DeadLetter] = []
    seq = 1
    while True:
        try:
            raw = await js.get_msg(DeadLetters.STREAM, seq=seq, subject=subjects, next=True, direct=True)
        except NotFoundError:
            return letters  # no stream, or no message at or after `seq`
        headers: Mapping[str, Any] = raw.headers or {}
        letters.append(letter_from({k: str(v) for k, v in headers.items()}, raw.data or b"", raw.seq or seq))
        seq = (raw.seq or seq) + 1
