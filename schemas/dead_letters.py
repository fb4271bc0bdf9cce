"""A dead letter: a message of a stream that a service could not read or handle, kept with why.

The stored message's body is the original payload, byte for byte; what it is and why it is there
travel in its headers (so a payload as large as NATS allows still fits). `perche dead-letters`
lists them; the organiser's day page counts them.
"""

from datetime import UTC, datetime

import msgspec

# The headers of a stored dead letter.
SERVICE = "Perche-Service"
CONSUMER = "Perche-Consumer"
STREAM = "Perche-Stream"
SUBJECT = "Perche-Subject"
SEQUENCE = "Perche-Sequence"
REASON = "Perche-Reason"
DELIVERIES = "Perche-Deliveries"
AT = "Perche-At"

# A reason is one line of printable ASCII (it travels in a header), cut at this length.
MAX_REASON = 500


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    service: str  # the service that could not read or handle it
    consumer: str  # which of its readers: "fold" (its state, replayed in memory) or a durable consumer's name
    stream: str  # where the original is, at `sequence`, on `subject`
    subject: str
    sequence: int
    reason: str
    deliveries: int  # how many times it was delivered to that reader before it was set aside
    at: datetime
    payload: bytes = b""
    # Where the dead letter itself is stored in the dead-letter stream (0 before it is stored).
    dead_letter_sequence: int = 0


def one_line(text: str) -> str:
    """The text as one header-safe line: printable ASCII, escapes for the rest, at most MAX_REASON."""
    flat = " ".join(text.split())
    safe = flat.encode("ascii", "backslashreplace").decode("ascii")
    return safe if len(safe) <= MAX_REASON else safe[: MAX_REASON - 3] + "..."


def headers_of(letter: DeadLetter) -> dict[str, str]:
    return {
        SERVICE: letter.service,
        CONSUMER: letter.consumer,
        STREAM: letter.stream,
        SUBJECT: letter.subject,
        SEQUENCE: str(letter.sequence),
        REASON: one_line(letter.reason),
        DELIVERIES: str(letter.deliveries),
        AT: letter.at.isoformat(),
    }


def letter_from(headers: dict[str, str], payload: bytes, dead_letter_sequence: int) -> DeadLetter:
    """The dead letter a stored message holds (a header missing or garbled reads as empty or 0)."""

    def number(name: str) -> int:
        value = headers.get(name, "")
        return int(value) if value.isdigit() else 0

    try:
        at = datetime.fromisoformat(headers.get(AT, ""))
    except ValueError:
        at = datetime.fromtimestamp(0, UTC)
    return DeadLetter(
        service=headers.get(SERVICE, ""),
        consumer=headers.get(CONSUMER, ""),
        stream=headers.get(STREAM, ""),
        subject=headers.get(SUBJECT, ""),
        sequence=number(SEQUENCE),
        reason=headers.get(REASON, ""),
        deliveries=number(DELIVERIES),
        at=at,
        payload=payload,
        dead_letter_sequence=dead_letter_sequence,
    )
