"""The demo events of events/ as the tests load them: moved to stay ahead of today.

The files describe real dates (the hackathon on 11 June 2027, the round table on 8 July 2027).
Once their registration closes, or they are past, tests that register into them would fail for
no fault of the code. So every test loads them moved by one whole number of weeks, the same for
every date of both files, chosen so that the hackathon starts between LEAD and LEAD + 1 week from
today: the weekday and the local wall-clock time of every date stay (its zone's offset follows
the new date, summer or winter time), and so do the gaps between them.

Today is the day of the clock the test runs on: PERCHE_TEST_CLOCK's when time-machine travels
(tests/conftest.py), else the real one; it is taken once per process and per clock, so every
test of a run sees the same dates, and a run that crosses midnight does not change them halfway.

Tests use `demo_file` / `demo_files` / `demo_text` instead of the files themselves, `shifted`
on any local date and time they write from the files (an agenda move, a screen's `at=`), and the
product's own formatting on `demo_event(...)` for what a page shows. Only unit tests, whose
clocks are fixed moments, read events/ as written (tests/unit/test_event_files.py and the rules').
"""

import atexit
import math
import re
import shutil
import tempfile
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from schemas.catalog import EventSpec
from services.catalog.files import read_event_file
from services.catalog.rules import normalise

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = ROOT / "events"
HACKATHON = "hackathon-comice-2027"
ROUND_TABLE = "table-ronde-numerique-education-2027"
LEAD = timedelta(weeks=8)

# A local date and time as TOML and the API write them (2027-06-11T09:00:00, 2027-06-11 09:00,
# 2027-07-08T19:30): never one with a UTC offset or a Z, whose shift would depend on the zone.
_LOCAL = re.compile(r"(?<![\d-])(\d{4}-\d{2}-\d{2})([T ]\d{2}:\d{2}(?::\d{2})?)(?![\d:.+Z-])")

_weeks: dict[bool, int] = {}
_folders: dict[int, Path] = {}


def _today() -> date:
    return datetime.now().astimezone().date()


def _first_start() -> date:
    """The earliest start of the demo files, as written."""
    starts = [tomllib.loads(path.read_text(encoding="utf-8"))["starts_at"] for path in EVENTS_DIR.glob("*.toml")]
    return min(start.date() for start in starts)


def weeks_for(today: date) -> int:
    """By how many weeks the demo events move so that the first starts LEAD to LEAD + 1 week after `today`."""
    return math.ceil((today + LEAD - _first_start()).days / 7)


def weeks() -> int:
    """By how many weeks the demo events move, for the clock this test runs on."""
    travelling = time_machine.escape_hatch.is_travelling()
    if travelling not in _weeks:
        _weeks[travelling] = weeks_for(_today())
    return _weeks[travelling]


def shift(moment: datetime) -> datetime:
    """A local date and time of the demo files, moved as the loaded events are."""
    if moment.tzinfo is not None:
        raise ValueError(f"{moment.isoformat()} is not a local time: shift local times, not instants")
    return moment + timedelta(weeks=weeks())


def instant(moment: datetime, zone: str = "Europe/Paris") -> datetime:
    """A local date and time of the demo files, moved, as the UTC instant it is in `zone` then."""
    return shift(moment).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def shifted(text: str, count: int | None = None) -> str:
    """`text` with every local date and time in it moved as the loaded events are (or by `count` weeks)."""
    moves = timedelta(weeks=weeks() if count is None else count)

    def moved(match: re.Match[str]) -> str:
        return (date.fromisoformat(match[1]) + moves).isoformat() + match[2]

    return _LOCAL.sub(moved, text)


def demo_text(slug: str, count: int | None = None) -> str:
    """The TOML of a demo event, its dates moved (as the loaded events are, or by `count` weeks)."""
    return shifted((EVENTS_DIR / f"{slug}.toml").read_text(encoding="utf-8"), count)


def demo_events_dir() -> Path:
    """A folder of the demo files with their dates moved, for what reads a folder (PERCHE_EVENTS_DIR)."""
    count = weeks()
    if count not in _folders:
        folder = Path(tempfile.mkdtemp(prefix=f"perche-demo-events-{count:+d}w-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        for path in sorted(EVENTS_DIR.glob("*.toml")):
            (folder / path.name).write_text(demo_text(path.stem), encoding="utf-8")
        _folders[count] = folder
    return _folders[count]


def demo_file(slug: str) -> Path:
    return demo_events_dir() / f"{slug}.toml"


def demo_files() -> list[Path]:
    return sorted(demo_events_dir().glob("*.toml"))


def demo_spec(slug: str) -> EventSpec:
    """The demo event as the file defines it (local times), dates moved."""
    return read_event_file(demo_file(slug))


def demo_event(slug: str) -> EventSpec:
    """The demo event as the catalog stores it (times in UTC), dates moved."""
    return normalise(demo_spec(slug))
