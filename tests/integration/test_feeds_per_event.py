"""Every feed and agenda page belongs to its own event, even when events stand at the same
version numbers: the caches of the schedule service and of the web are keyed by event first.

Three events are loaded, each released once from its file (version 1, catalog revision 1):
the two demo events and a copy of the round table under another slug, with the same rooms
and sessions, so that only the event tells their feeds apart.
"""

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from schemas.catalog import DefineEvent, EventDefinedReply, EventSpec
from schemas.subjects import Catalog
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.schedule.service import ScheduleService
from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import demo_spec
from tests.icaljs import IcalJs
from tests.integration.agenda_support import cache_of, icaljs, parse_icalendar, released

__all__ = ["icaljs"]  # the fixture, imported for pytest

COPY = "table-ronde-bis-2027"
LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class Variant:
    """One feed a client may ask for, and what it must hold."""

    event: str
    kind: str
    language: str
    path: str
    name: str
    # The UIDs it must list exactly (None: a non-empty subset of the event's sessions).
    uids: frozenset[str] | None


def uid(slug: str, session_id: str) -> str:
    return f"{session_id}.{slug}@perche"


def title(spec: EventSpec, language: str) -> str:
    return spec.title_en if language == "en" and spec.title_en else spec.title


async def define(nats_url: str, spec: EventSpec) -> None:
    client = await connect(nats_url, "test-loader")
    try:
        await call(client, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)
    finally:
        await client.drain()


@pytest.fixture
async def three_events(demo: Web, http: httpx.AsyncClient) -> dict[str, EventSpec]:
    """The demo events and the copy, all released at version 1 (the same numbers)."""
    round_table = demo_spec(ROUND_TABLE)
    copy = msgspec.structs.replace(
        round_table, slug=COPY, title="Table ronde bis", title_en="Second round table", summary="", summary_en=""
    )
    await define(demo.nats_url, copy)
    specs = {
        HACKATHON: demo_spec(HACKATHON),
        ROUND_TABLE: round_table,
        COPY: copy,
    }
    for slug in specs:
        assert (await released(http, slug))["version"] == 1
        assert (await http.get(f"/api/v1/events/{slug}/agenda")).json()["version"] == 1
    return specs


async def sessions_of(http: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await http.get(f"/api/v1/events/{slug}/agenda")).json()["agenda"]["sessions"]
    return found


async def variants(http: httpx.AsyncClient, specs: dict[str, EventSpec]) -> list[Variant]:
    """The whole feed, each room's and one person's, in both languages, for every event."""
    found = []
    for slug, spec in specs.items():
        sessions = await sessions_of(http, slug)
        person = {"name": f"Personne {slug}", "email": f"{slug}@example.org", "consent": True, "category": "public"}
        registered = await http.post(f"/api/v1/events/{slug}/registrations", json=person)
        assert registered.status_code == 201, registered.text
        mine = "/" + registered.json()["calendar_url"].split("://", 1)[1].split("/", 1)[1]
        for language in LANGUAGES:
            everything = frozenset(uid(slug, s["id"]) for s in sessions)
            found.append(
                Variant(slug, "public", language, f"/e/{slug}/calendar.ics", title(spec, language), everything)
            )
            for room in spec.rooms:
                in_room = frozenset(uid(slug, s["id"]) for s in sessions if s["room"] == room.id)
                room_name = room.name_en if language == "en" and room.name_en else room.name
                name = f"{title(spec, language)} — {room_name}"
                found.append(Variant(slug, "room", language, f"/e/{slug}/rooms/{room.id}/calendar.ics", name, in_room))
            own = "my schedule" if language == "en" else "mon programme"
            found.append(Variant(slug, "person", language, mine, f"{title(spec, language)} — {own}", None))
    return found


async def fetch(http: httpx.AsyncClient, variant: Variant, **headers: str) -> httpx.Response:
    separator = "&" if "?" in variant.path else "?"
    reply = await http.get(f"{variant.path}{separator}lang={variant.language}", headers=headers)
    assert reply.status_code in (200, 304), (variant, reply.status_code, reply.text[:300])
    return reply


def check_belongs(variant: Variant, body: str, base: str) -> None:
    """The feed is the variant's own: its name, its event's UIDs and links only."""
    calendar = parse_icalendar(body)
    assert str(calendar["X-WR-CALNAME"]) == variant.name, variant
    assert str(calendar["URL"]) == f"{base}/e/{variant.event}/agenda"
    uids = {str(item["UID"]) for item in calendar.walk("VEVENT")}
    assert uids and all(u.endswith(f".{variant.event}@perche") for u in uids), variant
    if variant.uids is not None:
        assert uids == variant.uids, variant
    for item in calendar.walk("VEVENT"):
        assert str(item["URL"]).startswith(f"{base}/e/{variant.event}/agenda#s-"), variant


def schedule_of(backend: Running) -> ScheduleService:
    [schedule] = [s for s in backend.services if isinstance(s, ScheduleService)]
    return schedule


async def test_every_feed_of_events_at_the_same_version_is_its_own_with_its_own_etag(
    demo: Web, http: httpx.AsyncClient, three_events: dict[str, EventSpec], icaljs: IcalJs
) -> None:
    found = await variants(http, three_events)
    replies = {variant: await fetch(http, variant) for variant in found}
    for variant, reply in replies.items():
        assert reply.status_code == 200
        check_belongs(variant, reply.text, demo.url)
    tags = [reply.headers["etag"] for reply in replies.values()]
    assert len(set(tags)) == len(tags), "two feeds share an ETag"

    # Thunderbird's parser reads every event's whole feed as that event's.
    for variant, reply in replies.items():
        if variant.kind == "public" and variant.language == "fr":
            read = icaljs.read(reply.text)
            assert read["warnings"] == [] and read["name"] == variant.name
            assert {e["uid"] for e in read["events"]} == variant.uids

    # The negotiated language (no ?lang=) gives the same feed as the one asked for by name.
    for slug, spec in three_events.items():
        english = await http.get(f"/e/{slug}/calendar.ics", headers={"Accept-Language": "en"})
        assert str(parse_icalendar(english.text)["X-WR-CALNAME"]) == title(spec, "en")
        same = next(r for v, r in replies.items() if (v.event, v.kind, v.language) == (slug, "public", "en"))
        assert (english.content, english.headers["etag"]) == (same.content, same.headers["etag"])
        # Shared caches (the feed is public) keep the languages apart; ?lang= needs no Vary.
        assert "accept-language" in english.headers.get("vary", "").lower()
        assert "accept-language" not in same.headers.get("vary", "").lower()
        again = await http.get(
            f"/e/{slug}/calendar.ics", headers={"Accept-Language": "en", "If-None-Match": english.headers["etag"]}
        )
        assert again.status_code == 304 and "accept-language" in again.headers.get("vary", "").lower()


async def test_a_304_is_given_only_for_the_feeds_own_etag(
    demo: Web, http: httpx.AsyncClient, three_events: dict[str, EventSpec]
) -> None:
    found = await variants(http, three_events)
    replies = {variant: await fetch(http, variant) for variant in found}
    for variant, reply in replies.items():
        others = ", ".join(r.headers["etag"] for v, r in replies.items() if v != variant)
        again = await fetch(http, variant, **{"If-None-Match": others})
        assert again.status_code == 200, f"{variant} answered 304 for another feed's ETag"
        assert (again.content, again.headers["etag"]) == (reply.content, reply.headers["etag"])
        mine = await fetch(http, variant, **{"If-None-Match": reply.headers["etag"]})
        assert (mine.status_code, mine.content) == (304, b"")


async def test_with_every_cache_emptied_every_feed_is_the_same(
    demo: Web, backend: Running, http: httpx.AsyncClient, three_events: dict[str, EventSpec]
) -> None:
    found = await variants(http, three_events)
    first = {variant: await fetch(http, variant) for variant in found}

    # Asked the other way round, from empty caches: which event comes first changes nothing.
    schedule_of(backend)._feeds.clear()
    web = cache_of(demo)
    web.feeds.clear()
    web.versions.clear()
    for variant in reversed(found):
        again = await fetch(http, variant)
        assert (again.content, again.headers["etag"]) == (first[variant].content, first[variant].headers["etag"])


async def test_a_release_changes_only_its_own_events_feeds(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], three_events: dict[str, EventSpec]
) -> None:
    found = await variants(http, three_events)
    before = {variant: await fetch(http, variant) for variant in found}
    session = next(s for s in await sessions_of(http, COPY) if s["id"] == "verre")
    renamed = {k: v for k, v in session.items() if k not in ("sequence", "updated_at")}
    edit = {"type": "put_session", "session": {**renamed, "title": "Verre de l'amitié (offert)"}}
    headers = {**organiser_headers, "Idempotency-Key": uuid.uuid4().hex}
    assert (await http.post(f"/api/v1/events/{COPY}/agenda/edits", json={"edits": [edit]}, headers=headers)).is_success
    headers = {**organiser_headers, "Idempotency-Key": uuid.uuid4().hex}
    assert (await http.post(f"/api/v1/events/{COPY}/agenda/releases", json={}, headers=headers)).is_success
    await released(http, COPY, 2)
    # The web hears of the release by an announcement: wait for it (bounded) before comparing.
    whole = next(v for v in before if (v.event, v.kind, v.language) == (COPY, "public", "fr"))
    for _ in range(400):
        if (await fetch(http, whole, **{"If-None-Match": before[whole].headers["etag"]})).status_code == 200:
            break
        await asyncio.sleep(0.025)

    for variant, reply in before.items():
        again = await fetch(http, variant, **{"If-None-Match": reply.headers["etag"]})
        if variant.event == COPY and (variant.kind != "room" or uid(COPY, "verre") in (variant.uids or ())):
            assert again.status_code == 200 and again.headers["etag"] != reply.headers["etag"], variant
            check_belongs(variant, again.text, demo.url)
        else:  # another event's, or a room the session is not in: the same bytes, the same tag
            assert again.status_code == 304, variant


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_agenda_page_and_the_screen_show_their_own_event(
    demo: Web, http: httpx.AsyncClient, three_events: dict[str, EventSpec], language: str
) -> None:
    for slug, spec in three_events.items():
        others = [other for other in three_events if other != slug]
        ids = {s["id"] for s in await sessions_of(http, slug)}
        at = spec.starts_at.strftime("%Y-%m-%dT%H:%M")
        pages = [
            await http.get(f"/e/{slug}/agenda", params={"lang": language}),
            await http.get(f"/e/{slug}/screen", params={"lang": language, "at": at}),
        ]
        for page in pages:
            assert page.status_code == 200
            assert title(spec, language) in page.text.replace("&#39;", "'")
            assert f"/e/{slug}/" in page.text
            assert not [other for other in others if f"/e/{other}/" in page.text]
        assert f"/e/{slug}/calendar.ics" in pages[0].text
        board = await http.get(f"/e/{slug}/screen/board", params={"lang": language, "at": at})
        shown = set(re.findall(r'data-session="([^"]+)"', board.text))
        assert shown and shown <= ids


async def test_one_idempotency_key_used_on_two_events_agendas_edits_both(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], three_events: dict[str, EventSpec]
) -> None:
    """Command ids are scoped to their event, in the service's memory and in JetStream's."""
    headers = {**organiser_headers, "Idempotency-Key": f"same-key-{uuid.uuid4().hex}"}
    for slug in (ROUND_TABLE, COPY):
        session = next(s for s in await sessions_of(http, slug) if s["id"] == "verre")
        fields = {k: v for k, v in session.items() if k not in ("sequence", "updated_at")}
        edit = {"type": "put_session", "session": {**fields, "title": f"Verre de {slug}"}}
        reply = await http.post(f"/api/v1/events/{slug}/agenda/edits", json={"edits": [edit]}, headers=headers)
        assert reply.status_code == 200, reply.text
        [verre] = [s for s in reply.json()["agenda"]["sessions"] if s["id"] == "verre"]
        assert verre["title"] == f"Verre de {slug}"
    for slug in (ROUND_TABLE, COPY):
        draft = await http.get(f"/api/v1/events/{slug}/agenda/draft", headers=organiser_headers)
        [verre] = [s for s in draft.json()["agenda"]["sessions"] if s["id"] == "verre"]
        assert verre["title"] == f"Verre de {slug}"
