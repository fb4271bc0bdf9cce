"""The keys feeds are cached under name everything a feed depends on, the event first."""

from datetime import UTC, datetime

import msgspec
import pytest

from schemas.schedule import AgendaVersion, GetFeed, feed_key

AT = datetime(2027, 5, 2, 8, 30, tzinfo=UTC)
HACKATHON = "hackathon-comice-2027"
ROUND_TABLE = "table-ronde-numerique-education-2027"


def version(event: str, number: int = 1, revision: int = 1) -> AgendaVersion:
    return AgendaVersion(event=event, version=number, catalog_revision=revision, updated_at=AT, published=True)


def test_two_events_at_the_same_numbers_have_two_version_keys() -> None:
    assert version(HACKATHON).key != version(ROUND_TABLE).key
    assert version(HACKATHON).key == version(HACKATHON).key
    assert version(HACKATHON).key.startswith(f"{HACKATHON}.")
    keys = {version(HACKATHON, n, r).key for n in (1, 2, 12) for r in (1, 2, 21)}
    assert len(keys) == 9


def test_a_feed_key_names_the_event_first_then_the_version() -> None:
    query = GetFeed(event=ROUND_TABLE, kind="room", room="hall", language="en", base_url="https://perche.example.org")
    assert feed_key(query, version(ROUND_TABLE, 3, 2)) == (
        ROUND_TABLE,
        3,
        2,
        "room",
        "hall",
        None,
        None,
        None,
        "en",
        "https://perche.example.org",
        None,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"event": ROUND_TABLE},
        {"kind": "room", "room": "amphi"},
        {"room": "cantine"},
        {"kind": "public"},
        {"registration": "r2"},
        {"category": "mentor"},
        {"cancelled_at": AT},
        {"language": "en"},
        {"base_url": "https://perche.example.org"},
        {"kind": "speaker", "person": "claire"},
    ],
)
def test_a_feed_key_changes_with_every_field_of_the_feed(change: dict[str, object]) -> None:
    base = GetFeed(event=HACKATHON, kind="person", registration="r1", category="participant", room="amphi")
    other = msgspec.structs.replace(base, **change)
    assert other.variant != base.variant
    assert feed_key(other, version(other.event)) != feed_key(base, version(base.event))


def test_a_feed_key_changes_with_the_version_and_the_events_revision() -> None:
    query = GetFeed(event=HACKATHON)
    keys = {feed_key(query, version(HACKATHON, n, r)) for n, r in ((1, 1), (2, 1), (1, 2), (12, 1), (1, 21))}
    assert len(keys) == 5


def test_one_events_version_cannot_key_another_events_feed() -> None:
    with pytest.raises(ValueError, match=ROUND_TABLE):
        feed_key(GetFeed(event=ROUND_TABLE), version(HACKATHON))
