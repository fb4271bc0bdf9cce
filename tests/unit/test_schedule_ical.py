"""The feed builder, read back with `icalendar`: UIDs, times, sequence, status, folding, zone."""

import re
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
from icalendar import Calendar

from schemas.schedule import Agenda, GetFeed, Session
from services.catalog.files import read_event_file
from services.catalog.rules import normalise
from services.schedule.ical import build_calendar, etag_of, fold, uid
from services.schedule.rules import apply_edits, cancelled_for_person, import_edits, stamp

ROOT = Path(__file__).resolve().parents[2]
RELEASED = datetime(2027, 5, 2, 8, 30, tzinfo=UTC)


def demo(name: str = "hackathon-comice-2027") -> tuple[object, Agenda]:
    event = normalise(read_event_file(ROOT / "events" / f"{name}.toml"))
    draft = apply_edits(Agenda(), import_edits(Agenda(), event))
    released, _ = stamp(None, draft, RELEASED)
    return event, released


def parse(body: str) -> Calendar:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calendar = Calendar.from_ical(body)
    for component in calendar.walk():
        assert component.errors == [], component.errors
    return calendar


def build(event: object, agenda: Agenda, sessions: list[Session] | None = None, language: str = "fr") -> str:
    return build_calendar(
        event,  # type: ignore[arg-type]
        agenda,
        agenda.sessions if sessions is None else sessions,
        name="Essai",
        language=language,
        base_url="https://perche.example",
        released_at=RELEASED,
    )


def test_every_session_comes_back_with_its_uid_times_and_sequence() -> None:
    event, agenda = demo()
    calendar = parse(build(event, agenda))
    items = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(items) == {uid("hackathon-comice-2027", s.id) for s in agenda.sessions}
    for session in agenda.sessions:
        item = items[uid("hackathon-comice-2027", session.id)]
        assert item["DTSTART"].dt == session.starts_at
        assert item["DTEND"].dt == session.ends_at
        assert item["DTSTART"].params["TZID"] == "Europe/Paris"
        assert item["DTSTART"].dt.tzinfo == ZoneInfo("Europe/Paris")
        assert int(item["SEQUENCE"]) == session.sequence
        assert item["DTSTAMP"].dt == session.updated_at
        assert str(item["SUMMARY"]) == session.title
        assert str(item["STATUS"]) == "CONFIRMED"
        assert str(item["URL"]) == f"https://perche.example/e/hackathon-comice-2027/agenda#s-{session.id}"
        assert "Place de l'Hôtel de Ville, 28240 La Loupe" in str(item["LOCATION"])


def test_the_feed_carries_a_timezone_definition_for_the_events_zone() -> None:
    event, agenda = demo()
    calendar = parse(build(event, agenda))
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Paris"
    # Summer time in June, winter time after the last Sunday of October.
    offsets = {part["TZOFFSETTO"].td for part in zone.walk("DAYLIGHT")}
    assert offsets == {timedelta(hours=2)}


def test_a_cancelled_session_stays_in_the_feed_marked_cancelled() -> None:
    event, agenda = demo("table-ronde-numerique-education-2027")
    later, _ = stamp(
        agenda, msgspec.structs.replace(agenda, sessions=agenda.sessions[1:]), RELEASED + timedelta(days=1)
    )
    gone = agenda.sessions[0]
    calendar = parse(build(event, later))
    item = next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == uid(event.slug, gone.id))  # type: ignore[attr-defined]
    assert str(item["STATUS"]) == "CANCELLED"
    assert int(item["SEQUENCE"]) == gone.sequence + 1
    assert str(item["SUMMARY"]) == "Annulé : " + gone.title
    assert item["DTSTAMP"].dt == RELEASED + timedelta(days=1)


def test_text_with_commas_semicolons_newlines_and_accents_round_trips_and_lines_stay_short() -> None:
    event, agenda = demo("table-ronde-numerique-education-2027")
    tricky = "Élus, habitants; « débat » \\ questions\nDeuxième ligne — très longue " + "é" * 120
    first = msgspec.structs.replace(agenda.sessions[0], title="Ouverture, accueil; café", description=tricky)
    body = build(event, msgspec.structs.replace(agenda, sessions=[first, *agenda.sessions[1:]]))
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    item = parse(body).walk("VEVENT")[0]
    assert str(item["SUMMARY"]) == "Ouverture, accueil; café"
    assert str(item["DESCRIPTION"]).startswith(tricky)


def test_the_same_release_always_gives_the_same_bytes_and_tag() -> None:
    event, agenda = demo()
    first, second = build(event, agenda), build(event, agenda)
    variant = GetFeed(event="hackathon-comice-2027").variant
    assert first == second
    assert etag_of(first, variant) == etag_of(second, variant)
    changed = msgspec.structs.replace(agenda, sessions=agenda.sessions[1:])
    assert etag_of(build(event, changed), variant) != etag_of(first, variant)


def test_the_same_bytes_in_two_feeds_get_two_tags() -> None:
    body = build(*demo())
    feeds = [
        GetFeed(event="hackathon-comice-2027"),
        GetFeed(event="table-ronde-numerique-education-2027"),
        GetFeed(event="hackathon-comice-2027", language="en"),
        GetFeed(event="hackathon-comice-2027", kind="room", room="amphi"),
        GetFeed(event="hackathon-comice-2027", kind="person", registration="r1", category="participant"),
        GetFeed(event="hackathon-comice-2027", kind="person", registration="r2", category="participant"),
        GetFeed(event="hackathon-comice-2027", base_url="https://perche.example.org"),
    ]
    tags = {etag_of(body, feed.variant) for feed in feeds}
    assert len(tags) == len(feeds)
    assert all(re.fullmatch(r'"[0-9a-f]{32}"', tag) for tag in tags)


def test_english_feeds_use_the_english_titles() -> None:
    event, agenda = demo("table-ronde-numerique-education-2027")
    items = parse(build(event, agenda, language="en")).walk("VEVENT")
    assert [str(i["SUMMARY"]) for i in items] == [s.title_en or s.title for s in agenda.sessions]


def test_folding_never_cuts_a_character_or_an_escape_in_two() -> None:
    for text in ["a" * 200, "é" * 100, "x" + "\\," * 80, "🌾" * 40, "a" * 73 + "\\n" + "b" * 10]:
        folded = fold("DESCRIPTION:" + text)
        parts = folded.split("\r\n ")
        assert all(len(p.encode()) <= 75 for p in parts)
        assert "".join(parts) == "DESCRIPTION:" + text
        assert not any(p.endswith("\\") and not p.endswith("\\\\") for p in parts[:-1])


def test_a_cancelled_persons_items_are_all_cancelled_under_the_same_uids_with_a_higher_sequence() -> None:
    event, agenda = demo()
    cancelled_at = RELEASED + timedelta(days=3)
    before = {str(e["UID"]): e for e in parse(build(event, agenda)).walk("VEVENT")}
    after = {
        str(e["UID"]): e
        for e in parse(build(event, agenda, cancelled_for_person(agenda.sessions, cancelled_at))).walk("VEVENT")
    }
    assert after.keys() == before.keys()
    for key, item in after.items():
        assert str(item["STATUS"]) == "CANCELLED"
        assert int(item["SEQUENCE"]) == int(before[key]["SEQUENCE"]) + 1
        assert item["LAST-MODIFIED"].dt == cancelled_at
