"""iCalendar feeds of a released agenda (RFC 5545), written for calendar apps that poll them.

`icalendar` makes the VTIMEZONE from the zone's rules; the lines themselves are written
here directly, because building every property as an object costs about 100 ms for
500 sessions and this takes a few. Tests parse every feed with `icalendar` and with
Mozilla's ical.js.

What calendar apps rely on, and why each line is there:
- UID never changes for a session (its id and the event's slug, never a position),
  so apps update an item in place instead of duplicating it;
- SEQUENCE grows whenever the session changes, and DTSTAMP / LAST-MODIFIED are when
  it last changed (never "now"), so an unchanged feed is byte for byte the same;
- a cancelled session stays, with STATUS:CANCELLED, so apps strike it out instead of
  silently keeping a stale copy;
- times carry TZID with the zone's VTIMEZONE, so they stay right across DST changes;
- PRODID is stable: some apps use it to tell feeds apart.
"""

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import msgspec
from icalendar import Timezone

from schemas.catalog import EventSpec
from schemas.schedule import Agenda, Session

PRODID = "-//Perche//Agenda//FR"
UID_DOMAIN = "perche"

_LABELS = {
    "fr": {
        "cancelled": "Annulé : ",
        "with": "Avec : ",
        "team": "Équipe : ",
        "for": "Pour : ",
        "everyone": "tout le monde",
        "participants": "les participant·es",
        "jurors": "le jury",
        "speakers": "les intervenant·es",
        "mine": "mon programme",
        "opening": "Ouverture",
        "talk": "Intervention",
        "workshop": "Atelier",
        "meal": "Repas",
        "break": "Pause",
        "round_table": "Table ronde",
        "pitch": "Présentation",
        "judging": "Jury",
        "ceremony": "Cérémonie",
        "other": "Programme",
    },
    "en": {
        "cancelled": "Cancelled: ",
        "with": "With: ",
        "team": "Team: ",
        "for": "For: ",
        "everyone": "everyone",
        "participants": "participants",
        "jurors": "the jury",
        "speakers": "speakers",
        "mine": "my schedule",
        "opening": "Opening",
        "talk": "Talk",
        "workshop": "Workshop",
        "meal": "Meal",
        "break": "Break",
        "round_table": "Round table",
        "pitch": "Pitch",
        "judging": "Jury",
        "ceremony": "Ceremony",
        "other": "Programme",
    },
}


def labels(language: str) -> dict[str, str]:
    return _LABELS.get(language, _LABELS["fr"])


def uid(slug: str, session_id: str) -> str:
    return f"{session_id}.{slug}@{UID_DOMAIN}"


def etag_of(body: str, variant: tuple[object, ...]) -> str:
    """A strong tag from the bytes and from which feed they are (`GetFeed.variant`).

    The version is left out, so an unchanged feed keeps its tag across releases; the
    variant is in, so one event's (or language's, room's, person's) tag never answers 304
    for another, even where two feeds happen to have the same bytes.
    """
    digest = hashlib.blake2b(msgspec.json.encode(variant), digest_size=16)
    digest.update(b"\n")
    digest.update(body.encode())
    return '"' + digest.hexdigest() + '"'


def _text(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11); any line ending becomes an escaped newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 sequence."""
    if len(line) <= 75 and line.isascii() or "\r\n" in line:  # short, or a block already made
        return line
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts = []
    start, limit = 0, 75
    while len(raw) - start > limit:
        end = start + limit
        while raw[end] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            end -= 1
        # Keep a backslash escape whole: some parsers read a split one as two characters.
        if raw[end - 1] == 0x5C and end - 1 > start:
            end -= 1
        parts.append(raw[start:end].decode())
        start, limit = end, 74  # continuation lines start with a space
    parts.append(raw[start:].decode())
    return "\r\n ".join(parts)


@cache
def vtimezone(tzid: str, first_year: int, last_year: int) -> str:
    """The zone's rules over the years the agenda covers, from icalendar (made once)."""
    component = Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))
    text: str = component.to_ical().decode()
    return text.rstrip("\r\n")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def build_calendar(
    spec: EventSpec,
    agenda: Agenda,
    sessions: Iterable[Session],
    *,
    name: str,
    language: str,
    base_url: str,
    released_at: datetime,
) -> str:
    """The feed's text, CRLF line endings; the same input always gives the same bytes."""
    words = labels(language)
    english = language == "en"
    zone = ZoneInfo(spec.timezone)
    tzid = spec.timezone
    slug = spec.slug
    venue = spec.venue.name + (f", {spec.venue.address}" if spec.venue.address else "")
    page = f"{base_url}/e/{slug}/agenda" if base_url else ""
    rooms = {r.id: r for r in agenda.rooms}
    people = {p.id: p for p in agenda.people}
    teams = {t.id: t for t in agenda.teams}
    items = list(sessions)
    years = [spec.starts_at.year, spec.ends_at.year, *(s.starts_at.year for s in items)]
    years += [s.ends_at.year for s in items]

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"NAME:{_text(name)}",
        f"X-WR-CALNAME:{_text(name)}",
        f"X-WR-TIMEZONE:{tzid}",
        # RFC 7986 and its older Apple/Google spelling: how often apps should poll.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    summary = (spec.summary_en if english and spec.summary_en else spec.summary) or ""
    if summary:
        lines.append(f"DESCRIPTION:{_text(summary)}")
        lines.append(f"X-WR-CALDESC:{_text(summary)}")
    if page:
        lines.append(f"URL:{page}")
    lines.append(vtimezone(tzid, min(years), max(years)))

    for s in items:
        title = s.title_en if english and s.title_en else s.title
        if s.cancelled:
            title = words["cancelled"] + title
        room = rooms.get(s.room) if s.room else None
        if room is not None:
            room_name = room.name_en if english and room.name_en else room.name
            location = room.location_en if english and room.location_en else room.location
            where = room_name + (f" ({location})" if location else "") + ", " + venue
        else:
            where = venue
        text = s.description_en if english and s.description_en else s.description
        notes = [text] if text else []
        if s.team and s.team in teams:
            notes.append(words["team"] + teams[s.team].name)
        elif s.people and s.kind not in ("pitch", "judging"):
            # Jury panels are not published; speakers are.
            speakers = [people[p] for p in s.people if p in people]
            notes.append(words["with"] + ", ".join(p.name_en if english and p.name_en else p.name for p in speakers))
        if s.audience != "everyone":
            notes.append(words["for"] + words[s.audience])
        stamp = _utc(s.updated_at or released_at)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(slug, s.id)}",
            f"SEQUENCE:{s.sequence}",
            f"DTSTAMP:{stamp}",
            f"LAST-MODIFIED:{stamp}",
            f"DTSTART;TZID={tzid}:{s.starts_at.astimezone(zone).strftime('%Y%m%dT%H%M%S')}",
            f"DTEND;TZID={tzid}:{s.ends_at.astimezone(zone).strftime('%Y%m%dT%H%M%S')}",
            f"SUMMARY:{_text(title)}",
            f"LOCATION:{_text(where)}",
        ]
        if notes:
            lines.append(f"DESCRIPTION:{_text(chr(10).join(notes))}")
        lines.append(f"CATEGORIES:{_text(words[s.kind])}")
        if page:
            lines.append(f"URL:{page}#s-{s.id}")
        lines.append("STATUS:CANCELLED" if s.cancelled else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(map(fold, lines)) + "\r\n"
