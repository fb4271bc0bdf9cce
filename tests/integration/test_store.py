"""The event store on a real JetStream: idempotent appends, optimistic concurrency, replay,
several readers converging, and unreadable messages set aside as dead letters without stopping anything."""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from nats.aio.client import Client

from schemas.errors import Rejected
from schemas.subjects import stream_name
from services.kit import dead_letters
from services.kit.codec import encode
from services.kit.connection import connect
from services.kit.store import MAX_ATTEMPTS, Append, Conflict, EventStore

SERVICE = "storetest"


class Counted(msgspec.Struct, frozen=True, tag="counted"):
    n: int


class Noted(msgspec.Struct, frozen=True, tag="noted"):
    text: str


Event = Counted | Noted


def subject(aggregate: str) -> str:
    return f"perche.{SERVICE}.evt.{aggregate}"


class Reader:
    """A store and everything it applied, in order."""

    def __init__(self, nc: Client) -> None:
        self.applied: list[tuple[str, Any]] = []
        self.store: EventStore[Any] = EventStore(nc, SERVICE, Event, self._apply)

    def _apply(self, event: Any, on: str) -> None:
        if event == Noted(text="explode"):
            raise RuntimeError("a bug in a projection")
        self.applied.append((on, event))

    async def open(self) -> "Reader":
        await self.store.open()
        return self


@pytest.fixture
async def connections(nats_url: str) -> AsyncIterator[list[Client]]:
    """Separate connections, as separate processes or instances would have."""
    opened = [await connect(nats_url, f"store-{i}") for i in range(3)]
    yield opened
    for nc in opened:
        await nc.drain()


async def stored(nc: Client) -> int:
    info = await nc.jetstream().stream_info(stream_name(SERVICE))
    return int(info.state.messages)


async def test_an_append_returns_once_its_event_is_applied(connections: list[Client]) -> None:
    reader = await Reader(connections[0]).open()
    ack = await reader.store.append(subject("a"), Counted(n=1), "cmd-1", 0)
    assert reader.applied == [(subject("a"), Counted(n=1))]
    assert reader.store.last_sequence(subject("a")) == ack.seq
    assert reader.store.last_sequence(subject("b")) == 0


async def test_a_repeated_message_id_is_stored_once_and_answers_with_the_first_sequence(
    connections: list[Client],
) -> None:
    reader = await Reader(connections[0]).open()
    first = await reader.store.append(subject("a"), Counted(n=1), "cmd-1", None)
    again = await reader.store.append(subject("a"), Counted(n=2), "cmd-1", None)
    assert (again.seq, again.duplicate) == (first.seq, True)
    assert await stored(connections[0]) == 1
    # JetStream checks the expected sequence before the id: a retry that still expects the
    # state its first (stored) append changed is a Conflict. Services then catch up, find
    # their command id applied and answer with the first outcome; nothing is stored twice.
    with pytest.raises(Conflict):
        await reader.store.append(subject("a"), Counted(n=1), "cmd-1", 0)
    assert await stored(connections[0]) == 1
    assert reader.applied == [(subject("a"), Counted(n=1))]


async def test_an_append_decided_on_a_stale_state_is_a_conflict_and_writes_nothing(
    connections: list[Client],
) -> None:
    reader = await Reader(connections[0]).open()
    await reader.store.append(subject("seat-1"), Counted(n=1), "cmd-1", 0)
    with pytest.raises(Conflict):
        await reader.store.append(subject("seat-1"), Counted(n=2), "cmd-2", 0)
    assert await stored(connections[0]) == 1
    # The expected sequence is per aggregate: another one is untouched by the first.
    await reader.store.append(subject("seat-2"), Counted(n=3), "cmd-3", 0)
    await reader.store.append(subject("seat-1"), Counted(n=2), "cmd-2", reader.store.last_sequence(subject("seat-1")))
    assert [event for _, event in reader.applied] == [Counted(n=1), Counted(n=3), Counted(n=2)]


async def test_two_writers_racing_for_one_aggregate_cannot_both_win(connections: list[Client]) -> None:
    a, b = await Reader(connections[0]).open(), await Reader(connections[1]).open()
    seat = subject("seat-1")
    results = await asyncio.gather(
        a.store.append(seat, Noted(text="a"), "cmd-a", 0),
        b.store.append(seat, Noted(text="b"), "cmd-b", 0),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "PubAck"]
    loser = a if isinstance(results[0], Conflict) else b
    await loser.store.catch_up_subject(seat)  # what a service does before deciding again
    assert len(loser.applied) == 1 and loser.store.last_sequence(seat) == 1


async def test_append_decided_decides_again_after_a_race_and_appends_on_the_new_state(
    connections: list[Client],
) -> None:
    ours, rival = await Reader(connections[0]).open(), await Reader(connections[1]).open()
    seat = subject("seat-1")
    seen: list[int] = []

    async def decide() -> Append[Any]:
        seen.append(ours.store.last_sequence(seat))
        if len(seen) == 1:  # someone else takes the seat after this decision read it
            await rival.store.append(seat, Noted(text="rival"), "rival-1", None)
        return Append(seat, Noted(text=f"ours after {seen[-1]}"), "ours-1", expected=seen[-1])

    appended = await ours.store.append_decided(decide)
    assert seen == [0, 1]
    assert appended is not None and appended.event == Noted(text="ours after 1")
    assert [event for _, event in ours.applied] == [Noted(text="rival"), Noted(text="ours after 1")]


async def test_append_decided_that_loses_every_race_answers_unavailable_and_writes_nothing_of_its_own(
    connections: list[Client],
) -> None:
    ours, rival = await Reader(connections[0]).open(), await Reader(connections[1]).open()
    seat = subject("seat-1")
    decisions = 0

    async def decide() -> Append[Any]:
        nonlocal decisions
        decisions += 1
        seen = ours.store.last_sequence(seat)
        # Each time, another writer takes the seat after this decision read it.
        await rival.store.append(seat, Counted(n=decisions), f"rival-{decisions}", None)
        return Append(seat, Noted(text="ours"), "ours-1", expected=seen)

    with pytest.raises(Rejected) as refused:
        await ours.store.append_decided(decide)
    assert (refused.value.reply.code, refused.value.reply.key) == ("unavailable", "unavailable")
    assert decisions == MAX_ATTEMPTS
    assert await stored(connections[0]) == MAX_ATTEMPTS  # the rival's only
    await ours.store.catch_up_subject(seat)
    assert Noted(text="ours") not in [event for _, event in ours.applied]


async def test_two_stores_on_one_stream_converge_on_the_same_history(connections: list[Client]) -> None:
    a, b = await Reader(connections[0]).open(), await Reader(connections[1]).open()
    for n in range(5):
        await a.store.append(subject("x"), Counted(n=n), f"a-{n}", a.store.last_sequence(subject("x")))
        last = await b.store.append(subject("y"), Noted(text=str(n)), f"b-{n}", b.store.last_sequence(subject("y")))
    await a.store.caught_up(last.seq)
    assert a.applied == b.applied
    assert len(a.applied) == 10
    assert a.store.last_sequence(subject("y")) == b.store.last_sequence(subject("y")) == last.seq


async def test_a_new_store_rebuilds_the_state_by_replaying_the_stream(connections: list[Client]) -> None:
    empty = await Reader(connections[0]).open()  # an empty stream is ready at once
    assert empty.applied == []
    for n in range(50):
        await empty.store.append(subject(f"agg-{n % 7}"), Counted(n=n), f"cmd-{n}", None)
    await empty.store.close()

    fresh = await Reader(connections[1]).open()  # returns only once it has caught up
    assert fresh.applied == empty.applied
    assert [event.n for _, event in fresh.applied] == list(range(50))
    assert {s: fresh.store.last_sequence(s) for s, _ in fresh.applied} == {
        s: empty.store.last_sequence(s) for s, _ in empty.applied
    }


async def test_unreadable_messages_are_set_aside_once_as_dead_letters_without_stopping_the_store(
    nats_url: str, connections: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    js = connections[0].jetstream()
    live = await Reader(connections[1]).open()
    await live.store.append(subject("a"), Counted(n=1), "ok-1", None)
    poison = [
        b"{not json at all",
        b'{"type": "from-a-future-version", "n": 1}',
        encode(Counted(n=2)).replace(b"2", b'"two"'),
    ]
    with caplog.at_level(logging.WARNING, logger="perche.store"):
        for data in poison:
            await js.publish(subject("a"), data, stream=stream_name(SERVICE))
        await js.publish(subject("b"), encode(Noted(text="explode")), stream=stream_name(SERVICE))
        last = await live.store.append(subject("a"), Counted(n=3), "ok-3", None)
        replayed = await Reader(connections[2]).open()

    expected = [(subject("a"), Counted(n=1)), (subject("a"), Counted(n=3))]
    assert live.applied == expected  # the live follower went on past them
    assert replayed.applied == expected  # and so does a replay from the start
    assert replayed.store.last_sequence(subject("a")) == last.seq
    failed = [r for r in caplog.records if "applying event" in r.getMessage()]
    assert len(failed) == 2 and all(r.exc_info for r in failed)

    # Each reader set each of them aside once, with the original bytes, where it is, and why.
    letters = await dead_letters.listed(connections[0])
    sequences = [2, 3, 4, 5]
    assert sorted((d.service, d.sequence) for d in letters) == [
        (reader, seq) for reader in ("store-1", "store-2") for seq in sequences
    ]
    mine = {d.sequence: d for d in letters if d.service == "store-2"}
    assert [mine[seq].payload for seq in sequences] == [*poison, encode(Noted(text="explode"))]
    assert {(d.stream, d.consumer, d.deliveries) for d in letters} == {(stream_name(SERVICE), "fold", 1)}
    assert [mine[seq].subject for seq in sequences] == [subject("a")] * 3 + [subject("b")]
    assert mine[2].reason.startswith("unreadable: JSON is malformed")
    assert mine[3].reason == "unreadable: Invalid value 'from-a-future-version' - at `$.type`"
    assert mine[5].reason == "could not apply: RuntimeError: a bug in a projection"
    logged = [r.getMessage() for r in caplog.records if "as a dead letter" in r.getMessage()]
    assert f"store-2: setting aside {stream_name(SERVICE)} #3 on {subject('a')} as a dead letter" in "\n".join(logged)

    # The same reader again (a restart, a second instance): it meets them again, and stores nothing new.
    again = await connect(nats_url, "store-2")
    try:
        await Reader(again).open()
        assert len(await dead_letters.listed(again)) == len(letters)
    finally:
        await again.drain()
