"""The demo events as the tests load them (tests/demo_events.py): ahead of any day, open for
registration, with the shape the files give them: weekdays, wall-clock times and gaps."""

import tomllib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas.catalog import EventSpec
from schemas.event_file import decode_event_toml
from services.catalog.rules import normalise
from services.registration.rules import registration_window_problem
from tests.demo_events import EVENTS_DIR, HACKATHON, LEAD, ROUND_TABLE, demo_text, shifted, weeks_for

SLUGS = (HACKATHON, ROUND_TABLE)
# The clocks the suite is checked on (PERCHE_TEST_CLOCK), the days around both changes of
# Paris time, and the days the files describe and after.
DAYS = [
    datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2027, 12, 31, 23, 30, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2028, 3, 25, 23, 30, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2028, 3, 26, 3, 30, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2027, 10, 31, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2027, 6, 11, 12, 0, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2027, 7, 9, 0, 0, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2031, 2, 28, 23, 59, tzinfo=ZoneInfo("Europe/Paris")),
]


def local_times(value: Any, where: str = "") -> dict[str, datetime]:
    """Every local date and time of a TOML document, by where it is."""
    if isinstance(value, datetime):
        return {where: value}
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {}
    return {k: v for key, item in items for k, v in local_times(item, f"{where}/{key}").items()}


def moved_event(slug: str, count: int) -> EventSpec:
    return normalise(decode_event_toml(demo_text(slug, count).encode()))


def test_the_hackathon_starts_eight_to_nine_weeks_after_any_day_on_its_weekday() -> None:
    first = date(2027, 6, 11)  # a Friday, as the file says
    for offset in range(-800, 2000):
        today = first + timedelta(days=offset)
        start = first + timedelta(weeks=weeks_for(today))
        assert LEAD <= start - today < LEAD + timedelta(weeks=1), today
        assert start.weekday() == first.weekday()


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("count", [-19, 0, 1, 20, 37, 52, 261])
def test_every_date_of_a_file_moves_by_whole_weeks_at_its_wall_clock_time(slug: str, count: int) -> None:
    written = tomllib.loads((EVENTS_DIR / f"{slug}.toml").read_text(encoding="utf-8"))
    moved = tomllib.loads(demo_text(slug, count))
    before, after = local_times(written), local_times(moved)
    assert len(before) > 3 and before.keys() == after.keys()
    assert {where: at - before[where] for where, at in after.items()} == dict.fromkeys(before, timedelta(weeks=count))
    assert {k: v for k, v in moved.items() if not isinstance(v, datetime | list)} == {
        k: v for k, v in written.items() if not isinstance(v, datetime | list)
    }  # nothing else changes
    # The catalog stores the event's own times in UTC (the schedule keeps sessions local): each is
    # still the same hour in the event's zone, summer or winter time.
    event = moved_event(slug, count)
    zone = ZoneInfo(event.timezone)
    pairs = [(event.starts_at, written["starts_at"]), (event.ends_at, written["ends_at"])]
    if event.registration_closes_at is not None:
        pairs.append((event.registration_closes_at, written["registration_closes_at"]))
    for stored, local in pairs:
        assert stored.tzinfo is not None
        assert stored.astimezone(zone).replace(tzinfo=None) == local + timedelta(weeks=count)


def test_only_local_dates_and_times_move() -> None:
    assert shifted("at=2027-07-08T19:30 then 2027-06-11 09:00:00", 2) == "at=2027-07-22T19:30 then 2027-06-25 09:00:00"
    # An instant (with Z or an offset) would need the zone to move right: left as it is.
    assert (
        shifted("2027-06-11T07:00:00Z 2027-06-11T09:00:00+02:00", 2) == "2027-06-11T07:00:00Z 2027-06-11T09:00:00+02:00"
    )


@pytest.mark.parametrize("moment", DAYS, ids=lambda d: d.isoformat())
def test_registration_into_the_moved_demo_events_is_open_whatever_the_day(moment: datetime) -> None:
    now = moment.astimezone(UTC)
    count = weeks_for(moment.date())
    for slug in SLUGS:
        event = moved_event(slug, count)
        assert now + LEAD - timedelta(days=1) < event.starts_at < now + LEAD + timedelta(weeks=5)
        for category in event.categories:
            assert registration_window_problem(event, category, now) is None, (slug, category.id)
