"""iCal feeds over real HTTP and NATS, read back by `icalendar` and by Mozilla's ical.js."""

from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx

from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import shifted
from tests.icaljs import IcalJs
from tests.integration.agenda_support import (
    cache_of,
    edit,
    icaljs,
    moved,
    parse_icalendar,
    release,
    released,
    session_json,
    when,
)

__all__ = ["icaljs"]  # the fixture, imported for pytest

FEED = f"/e/{HACKATHON}/calendar.ics"


def uid(slug: str, session_id: str) -> str:
    return f"{session_id}.{slug}@perche"


async def test_the_public_feed_reads_the_same_in_icalendar_and_icaljs(
    demo: Web, http: httpx.AsyncClient, icaljs: IcalJs
) -> None:
    agenda = await released(http, HACKATHON)
    reply = await http.get(FEED)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    sessions = {uid(HACKATHON, s["id"]): s for s in agenda["agenda"]["sessions"]}

    ours = {str(e["UID"]): e for e in parse_icalendar(reply.text).walk("VEVENT")}
    assert set(ours) == set(sessions)
    for key, item in ours.items():
        assert item["DTSTART"].dt == when(sessions[key]["starts_at"])
        assert item["DTEND"].dt == when(sessions[key]["ends_at"])
        assert item["DTSTART"].params["TZID"] == "Europe/Paris"

    mozilla = icaljs.read(reply.text)
    assert mozilla["warnings"] == []
    assert mozilla["zones"] == ["Europe/Paris"]
    theirs = {e["uid"]: e for e in mozilla["events"]}
    assert set(theirs) == set(sessions)
    for key, item in theirs.items():
        assert item["start"] == when(sessions[key]["starts_at"]).timestamp()
        assert item["end"] == when(sessions[key]["ends_at"]).timestamp()
        assert item["zone"] == "Europe/Paris"
        assert item["summary"] == sessions[key]["title"]
        assert item["status"] == "CONFIRMED"
        assert item["url"].endswith(f"/e/{HACKATHON}/agenda#s-{sessions[key]['id']}")


async def test_changes_raise_the_sequence_keep_cancelled_items_and_answer_304_until_then(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], icaljs: IcalJs
) -> None:
    first = await released(http, HACKATHON)
    original = await http.get(FEED)
    tag, modified = original.headers["etag"], original.headers["last-modified"]
    assert tag.startswith('"') and parsedate_to_datetime(modified) == when(first["released_at"]).replace(microsecond=0)

    # Unchanged: 304 for either validator, with no body, from this instance's memory.
    fetches = cache_of(demo).fetches
    for headers in ({"If-None-Match": tag}, {"If-None-Match": f'"other", W/{tag}'}, {"If-Modified-Since": modified}):
        again = await http.get(FEED, headers=headers)
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    assert cache_of(demo).fetches == fetches

    # A draft edit is not public: the feed does not change.
    ceremony = session_json(first, "resultats")
    assert (
        await edit(
            http,
            organiser_headers,
            HACKATHON,
            moved(ceremony, shifted("2027-06-13T17:15:00"), shifted("2027-06-13T18:00:00")),
        )
    ).status_code == 200
    assert (await http.get(FEED, headers={"If-None-Match": tag})).status_code == 304

    # Released: a new tag, the moved item's SEQUENCE goes up, the others keep theirs.
    assert (await release(http, organiser_headers, HACKATHON, "Résultats à 17 h 15")).status_code == 201
    second = await released(http, HACKATHON, 2)
    changed = await http.get(FEED, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert parsedate_to_datetime(changed.headers["last-modified"]) > parsedate_to_datetime(modified)
    assert (await http.get(FEED, headers={"If-Modified-Since": modified})).status_code == 200
    items = {str(e["UID"]): e for e in parse_icalendar(changed.text).walk("VEVENT")}
    item = items[uid(HACKATHON, "resultats")]
    assert int(item["SEQUENCE"]) == 1
    assert item["DTSTART"].dt == when(session_json(second, "resultats")["starts_at"])
    assert item["DTSTART"].dt - when(ceremony["starts_at"]) == timedelta(minutes=15)
    assert item["DTSTAMP"].dt == when(second["released_at"])
    untouched = items[uid(HACKATHON, "ouverture")]
    assert (int(untouched["SEQUENCE"]), untouched["DTSTAMP"].dt) == (0, when(first["released_at"]))
    [change] = second["changelog"]
    assert (change["kind"], change["session"]) == ("moved", "resultats")
    assert (change["before"]["starts_at"], change["after"]["starts_at"]) == (
        ceremony["starts_at"],
        session_json(second, "resultats")["starts_at"],
    )

    # Served from cache until the agenda changes again: the new copy is fetched once.
    fetches = cache_of(demo).fetches
    for _ in range(5):
        assert (await http.get(FEED)).headers["etag"] == changed.headers["etag"]
    assert (await http.get(FEED, headers={"If-None-Match": changed.headers["etag"]})).status_code == 304
    assert cache_of(demo).fetches == fetches

    # Removed and released: the item stays, cancelled, with a higher SEQUENCE.
    assert (
        await edit(http, organiser_headers, HACKATHON, {"type": "remove_session", "id": "demonstrations"})
    ).status_code == 200
    assert (await release(http, organiser_headers, HACKATHON)).status_code == 201
    await released(http, HACKATHON, 3)
    third = await http.get(FEED, headers={"If-None-Match": changed.headers["etag"]})
    assert third.status_code == 200
    gone = {str(e["UID"]): e for e in parse_icalendar(third.text).walk("VEVENT")}[uid(HACKATHON, "demonstrations")]
    assert (str(gone["STATUS"]), int(gone["SEQUENCE"])) == ("CANCELLED", 1)
    mozilla = {e["uid"]: e for e in icaljs.read(third.text)["events"]}
    assert (mozilla[uid(HACKATHON, "demonstrations")]["status"], mozilla[uid(HACKATHON, "resultats")]["sequence"]) == (
        "CANCELLED",
        1,
    )
    assert len(mozilla) == len(first["agenda"]["sessions"])


async def test_a_room_feed_lists_that_room_only(demo: Web, http: httpx.AsyncClient, icaljs: IcalJs) -> None:
    agenda = await released(http, HACKATHON)
    reply = await http.get(f"/e/{HACKATHON}/rooms/cantine/calendar.ics")
    assert reply.status_code == 200
    expected = {uid(HACKATHON, s["id"]) for s in agenda["agenda"]["sessions"] if s["room"] == "cantine"}
    assert {str(e["UID"]) for e in parse_icalendar(reply.text).walk("VEVENT")} == expected
    assert {e["uid"] for e in icaljs.read(reply.text)["events"]} == expected
    assert (await http.get(f"/e/{HACKATHON}/rooms/grenier/calendar.ics")).status_code == 404


async def test_a_personal_feed_has_the_persons_items_and_shows_them_cancelled_once_they_cancel(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], icaljs: IcalJs
) -> None:
    agenda = await released(http, ROUND_TABLE)
    body = {"name": "Hélène Bézier", "email": "helene@example.org", "consent": True, "category": "public"}
    person = (await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=body)).json()
    path = person["calendar_url"].split("://", 1)[1].split("/", 1)[1]
    everyone = {uid(ROUND_TABLE, s["id"]) for s in agenda["agenda"]["sessions"] if s["audience"] == "everyone"}

    mine = await http.get(f"/{path}")
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"  # a private link
    assert {e["uid"] for e in icaljs.read(mine.text)["events"]} == everyone

    # Linked as a speaker of the speakers' briefing, she gets it in her feed.
    speaker = {
        "type": "put_contributor",
        "contributor": {"id": "helene", "name": "Hélène Bézier", "registration": person["id"]},
    }
    briefing = session_json(agenda, "briefing-intervenants")
    briefing = {k: v for k, v in briefing.items() if k not in ("sequence", "updated_at")}
    with_her = {"type": "put_session", "session": {**briefing, "people": ["helene"]}}
    assert (await edit(http, organiser_headers, ROUND_TABLE, speaker, with_her)).status_code == 200
    assert (await release(http, organiser_headers, ROUND_TABLE)).status_code == 201
    await released(http, ROUND_TABLE, 2)
    updated = await http.get(f"/{path}", headers={"If-None-Match": mine.headers["etag"]})
    assert updated.status_code == 200
    assert {str(e["UID"]) for e in parse_icalendar(updated.text).walk("VEVENT")} == everyone | {
        uid(ROUND_TABLE, "briefing-intervenants")
    }

    wrong = await http.get(f"/r/{person['id']}/calendar.ics", params={"token": "0" * 32})
    assert wrong.status_code == 403
    manage_token = person["manage_url"].split("token=")[1]
    assert (await http.get(f"/r/{person['id']}/calendar.ics", params={"token": manage_token})).status_code == 403
    before = {e["uid"]: e for e in icaljs.read(updated.text)["events"]}
    assert {e["status"] for e in before.values()} == {"CONFIRMED"}

    # Cancelled, the feed keeps answering (a 403, 404 or 410 would leave the stale items in
    # calendar apps): the same items, each cancelled with a higher SEQUENCE, under a new ETag. At
    # once: the registration service announces the cancellation and the web forgets the link it
    # checked, well before HOLDER_TTL.
    await http.post(f"/api/v1/registrations/{person['id']}/cancel", params={"token": manage_token})
    cancelled = await http.get(f"/{path}", headers={"If-None-Match": updated.headers["etag"]})
    assert cancelled.status_code == 200 and cancelled.headers["etag"] != updated.headers["etag"]
    after = {e["uid"]: e for e in icaljs.read(cancelled.text)["events"]}
    assert after.keys() == before.keys()
    assert {e["status"] for e in after.values()} == {"CANCELLED"}
    assert all(after[u]["sequence"] > before[u]["sequence"] for u in before)
    assert parsedate_to_datetime(cancelled.headers["last-modified"]) >= parsedate_to_datetime(
        updated.headers["last-modified"]
    )
    # The same answer from every cache emptied, and a 304 for its own tag only.
    cache_of(demo).holders.clear()
    cache_of(demo).feeds.clear()
    again = await http.get(f"/{path}", headers={"If-None-Match": cancelled.headers["etag"]})
    assert again.status_code == 304
    assert (await http.get(f"/{path}")).text == cancelled.text


async def test_feeds_speak_the_language_asked_for(demo: Web, http: httpx.AsyncClient) -> None:
    agenda = await released(http, ROUND_TABLE)
    reply = await http.get(f"/e/{ROUND_TABLE}/calendar.ics", params={"lang": "en"})
    titles = {str(e["UID"]): str(e["SUMMARY"]) for e in parse_icalendar(reply.text).walk("VEVENT")}
    assert titles == {uid(ROUND_TABLE, s["id"]): s["title_en"] or s["title"] for s in agenda["agenda"]["sessions"]}
    french = await http.get(f"/e/{ROUND_TABLE}/calendar.ics")
    assert french.headers["etag"] != reply.headers["etag"]


async def test_an_unknown_event_has_no_feed(demo: Web, http: httpx.AsyncClient) -> None:
    assert (await http.get("/e/nulle-part/calendar.ics")).status_code == 404
