"""`perche dead-letters`: what the services set aside because they could not read or handle it.

Read-only: the dead-letter stream is read message by message (direct gets), nothing is acked or
removed. deploy/README.md says how to look at one closely and how to remove them once dealt with.
"""

import sys

import msgspec

from schemas.dead_letters import DeadLetter
from services.kit import dead_letters
from services.kit.connection import connect

COLUMNS = ("at", "service", "reader", "stream", "sequence", "subject", "reason")


def _row(letter: DeadLetter) -> tuple[str, ...]:
    at = letter.at.isoformat(timespec="seconds")
    return (at, letter.service, letter.consumer, letter.stream, str(letter.sequence), letter.subject, letter.reason)


def table(letters: list[DeadLetter]) -> str:
    """Aligned columns, oldest first; the reason last, whole, as it may be long."""
    if not letters:
        return "no dead letters"
    rows = [COLUMNS, *(_row(letter) for letter in letters)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in rows]
    noun = "dead letter" if len(letters) == 1 else "dead letters"
    return "\n".join([f"{len(letters)} {noun}", *(line.rstrip() for line in lines)])


async def run_dead_letters(nats_url: str, service: str | None, as_json: bool) -> int:
    nc = await connect(nats_url, "admin", attempts=3)
    try:
        letters = await dead_letters.listed(nc, service)
    finally:
        await nc.drain()
    if as_json:
        # The payload as base64 (msgspec's encoding of bytes): it may not be text at all.
        sys.stdout.write(msgspec.json.encode(letters).decode() + "\n")
    else:
        print(table(letters))
    return 0
