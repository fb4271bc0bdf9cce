"""The agenda's pages over real HTTP: public programme, the venue's screen and its live
stream, and the organiser's editing forms (no JavaScript needed)."""

import asyncio
import re
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from services.kit.i18n import Formatter
from services.kit.lifecycle import Running
from services.kit.nats_server import free_port
from services.kit.settings import Settings
from services.web.service import WebService
from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import instant, shifted
from tests.integration.agenda_support import edit, moved, release, released, session_json
from tests.integration.login_support import logged_in

AGENDA = f"/organiser/e/{ROUND_TABLE}/agenda"


async def test_the_public_agenda_lists_sessions_by_day_with_calendar_links(demo: Web, http: httpx.AsyncClient) -> None:
    agenda = await released(http, HACKATHON)
    page = await http.get(f"/e/{HACKATHON}/agenda")
    assert page.status_code == 200
    for session in agenda["agenda"]["sessions"]:
        assert f'id="s-{session["id"]}"' in page.text
    saturday = instant(datetime(2027, 6, 12, 8, 30))  # the second day's first session
    assert Formatter("fr").date(saturday).capitalize() in page.text  # « Samedi 12 juin 2027 » as written
    webcal = re.search(r'href="([^"]+)" id="subscribe-webcal"', page.text)
    assert webcal and webcal.group(1) == f"webcal://{demo.url.split('://')[1]}/e/{HACKATHON}/calendar.ics"
    google = re.search(r'href="([^"]+)"[^>]*id="subscribe-google"', page.text)
    assert google and parse_qs(urlparse(google.group(1).replace("&amp;", "&")).query)["cid"] == [webcal.group(1)]
    add = re.search(
        r'<li id="s-ouverture".*?href="(https://calendar.google.com/calendar/render[^"]+)"', page.text, re.S
    )
    assert add
    query = parse_qs(urlparse(add.group(1).replace("&amp;", "&")).query)
    assert query["text"] == ["Ouverture du hackathon"]
    start, end = (instant(datetime(2027, 6, 11, *time)) for time in ((9, 30), (10, 15)))
    assert query["dates"] == [f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"]
    assert query["ctz"] == ["Europe/Paris"]
    english = await http.get(f"/e/{HACKATHON}/agenda", params={"lang": "en"})
    assert "Hackathon opening" in english.text and "Subscribe in Google Calendar" in english.text


async def test_a_cancelled_session_stays_on_the_agenda_struck_out_with_the_change_listed(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await released(http, ROUND_TABLE)
    await edit(http, organiser_headers, ROUND_TABLE, {"type": "remove_session", "id": "verre"})
    await release(http, organiser_headers, ROUND_TABLE, "Pas de verre cette année.")
    await released(http, ROUND_TABLE, 2)
    page = (await http.get(f"/e/{ROUND_TABLE}/agenda")).text
    item = re.search(r'<li id="s-verre" class="session cancelled">.*?</li>', page, re.S)
    assert item and "<del>Verre de l&#39;amitié</del>" in item.group(0)
    assert "Pas de verre cette année." in page
    assert "« Verre de l&#39;amitié » annulé" in page


async def test_the_screen_shows_now_and_next_per_room_and_streams_changes(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    first = await released(http, ROUND_TABLE)
    screen = await http.get(f"/e/{ROUND_TABLE}/screen", params={"at": shifted("2027-07-08T19:30")})
    assert screen.status_code == 200
    assert '<meta http-equiv="refresh" content="60">' in screen.text
    council = re.search(r'<section class="room" data-room="conseil">.*?</section>', screen.text, re.S)
    assert council
    assert 'data-session="table-ronde"' in council.group(0).split('class="next"')[0]
    assert 'data-session="questions"' in council.group(0).split('class="next"')[1]
    board = await http.get(f"/e/{ROUND_TABLE}/screen/board", params={"at": shifted("2027-07-08T19:30"), "room": "hall"})
    assert 'data-room="hall"' in board.text and 'data-room="conseil"' not in board.text

    async with http.stream("GET", f"/e/{ROUND_TABLE}/screen/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "event: ready"
        while (await anext(lines)) != "":
            pass
        questions = session_json(first, "questions")
        await edit(
            http,
            organiser_headers,
            ROUND_TABLE,
            moved(questions, shifted("2027-07-08T20:25:00"), shifted("2027-07-08T20:45:00")),
        )
        await release(http, organiser_headers, ROUND_TABLE)
        received = []
        async with asyncio.timeout(10):
            while "event: change" not in received:
                received.append(await anext(lines))
        assert f"data: {ROUND_TABLE}" in [await anext(lines)]


async def test_organisers_edit_the_agenda_with_plain_forms(demo: Web, http: httpx.AsyncClient) -> None:
    await released(http, ROUND_TABLE)
    assert (await http.get(AGENDA)).status_code == 303  # to the login page
    csrf = await logged_in(http)
    page = await http.get(AGENDA)
    assert page.status_code == 200 and "Aucun conflit" in page.text and "Rien à publier." in page.text

    added = await http.post(
        f"{AGENDA}/session",
        data={
            "_csrf_token": csrf,
            "command_id": uuid.uuid4().hex,
            "title": "Photo de groupe",
            "starts_at": shifted("2027-07-08T20:45"),
            "ends_at": shifted("2027-07-08T20:55"),
            "room": "hall",
            "kind": "other",
            "audience": "everyone",
        },
    )
    assert added.status_code == 303
    page = await http.get(AGENDA)
    [issue] = re.findall(r'<li data-kind="room_double_booked">(.*?)</li>', page.text)
    assert issue.startswith("La salle « Hall d&#39;accueil » accueille")
    assert "« Verre de l&#39;amitié »" in issue and "« Photo de groupe »" in issue
    assert "Version publiée : 1. <strong>1 changement n'est pas encore publié.</strong>" in page.text

    refused = await http.post(
        f"{AGENDA}/release", data={"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "note": "Photo"}
    )
    assert refused.status_code == 409 and "Le brouillon a des conflits" in refused.text
    accepted = await http.post(
        f"{AGENDA}/release",
        data={"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "note": "Photo", "accept_conflicts": "yes"},
    )
    assert accepted.status_code == 303
    public = await released(http, ROUND_TABLE, 2)
    assert "Photo de groupe" in {s["title"] for s in public["agenda"]["sessions"]}

    bad_time = await http.post(
        f"{AGENDA}/session",
        data={"_csrf_token": csrf, "title": "Sans heure", "starts_at": "demain", "ends_at": "", "kind": "other"},
    )
    assert bad_time.status_code == 422 and "Indiquez la date et l&#39;heure" in bad_time.text
    in_use = await http.post(f"{AGENDA}/room/hall/remove", data={"_csrf_token": csrf})
    assert in_use.status_code == 409 and "Cet élément sert encore dans des sessions" in in_use.text
    no_csrf = await http.post(f"{AGENDA}/room", data={"name": "Cave"})
    assert no_csrf.status_code == 403
    english = await http.post(
        f"{AGENDA}/room/hall/remove", data={"_csrf_token": csrf}, headers={"Accept-Language": "en"}
    )
    assert "Sessions still use it" in english.text


async def test_stopping_the_web_ends_open_screen_streams_cleanly(demo: Web, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, nats_url=demo.nats_url, base_url="", rate_limit_per_minute=0)
    service = WebService("127.0.0.1", free_port(), settings)
    running = Running([service], demo.nats_url)
    await running.start()
    stopped = False
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.port}", timeout=30) as client,
            client.stream("GET", f"/e/{ROUND_TABLE}/screen/stream") as stream,
        ):
            lines = stream.aiter_lines()
            assert await anext(lines) == "event: ready"
            stopping = asyncio.create_task(running.stop())
            # The stream ends with a proper end of body, not a cut connection.
            rest = [line async for line in lines]
            await stopping
            stopped = True
        assert "event: ready" not in rest
    finally:
        if not stopped:
            await running.stop()


async def test_the_english_agenda_reads_english_headings_rooms_speakers_and_release_note(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await released(http, HACKATHON)
    await edit(http, organiser_headers, HACKATHON, {"type": "remove_session", "id": "visite-ferme"})
    note = {"note": "La visite de ferme est annulée.", "note_en": "The farm visit is cancelled."}
    reply = await http.post(
        f"/api/v1/events/{HACKATHON}/agenda/releases",
        json=note,
        headers={**organiser_headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201 and reply.json()["note_en"] == note["note_en"]
    await released(http, HACKATHON, 2)
    friday = instant(datetime(2027, 6, 11, 9, 30))

    english = (await http.get(f"/e/{HACKATHON}/agenda", params={"lang": "en"})).text
    assert f">{Formatter('en').date(friday)}</h2>" in english  # "Friday, June 11, 2027", never "june"
    opening = re.search(r'<li id="s-ouverture".*?</li>', english, re.S)
    assert opening and "Lecture hall (ground floor)" in opening.group(0)
    assert "Claire Moreau, president of the community of communes" in opening.group(0)
    assert "The farm visit is cancelled." in english and "La visite de ferme" not in english
    assert "Lecture hall: <a" in english  # the room feeds: no French space before the colon

    french = (await http.get(f"/e/{HACKATHON}/agenda", params={"lang": "fr"})).text
    assert f">{Formatter('fr').date(friday).capitalize()}</h2>" in french  # « Vendredi 11 juin 2027 »
    assert "Amphithéâtre (rez-de-chaussée)" in french and "Amphithéâtre : <a" in french
    assert "Claire Moreau, présidente de la communauté de communes" in french
    assert "La visite de ferme est annulée." in french

    event = (await http.get(f"/e/{HACKATHON}", params={"lang": "en"})).text
    assert "A milking log on the phone that works without a signal in the milking parlour." in event
    feed = (await http.get(f"/e/{HACKATHON}/calendar.ics", params={"lang": "en"})).text.replace("\r\n ", "")
    assert "LOCATION:Lecture hall (ground floor)" in feed and "With: Claire Moreau\\, president of" in feed


async def test_organisers_give_english_locations_names_and_notes_and_read_dates_one_way(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await released(http, ROUND_TABLE)
    csrf = await logged_in(http)
    room = {"id": "cave", "name": "Cave", "location": "sous-sol", "location_en": "basement"}
    person = {"id": "lea", "name": "Léa Petit, maraîchère", "name_en": "Léa Petit, market gardener"}
    tasting = {"title": "Dégustation", "kind": "other", "room": "cave", "people": "lea", "audience": "everyone"}
    tasting |= {"starts_at": shifted("2027-07-08T20:45"), "ends_at": shifted("2027-07-08T20:55")}
    for path, fields in (("room", room), ("person", person), ("session", tasting)):
        reply = await http.post(
            f"{AGENDA}/{path}", data={"_csrf_token": csrf, "command_id": uuid.uuid4().hex, **fields}
        )
        assert reply.status_code == 303, reply.text
    draft = (await http.get(f"/api/v1/events/{ROUND_TABLE}/agenda/draft", headers=organiser_headers)).json()
    assert {"name": "Cave", "location_en": "basement"}.items() <= next(
        r for r in draft["agenda"]["rooms"] if r["name"] == "Cave"
    ).items()
    assert any(p["name_en"] == "Léa Petit, market gardener" for p in draft["agenda"]["people"])
    released_form = {"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "note": "Une cave.", "note_en": "A cellar."}
    assert (await http.post(f"{AGENDA}/release", data=released_form)).status_code == 303
    view = await released(http, ROUND_TABLE, 2)
    assert (view["note"], view["note_en"]) == ("Une cave.", "A cellar.")

    [latest, *_] = (await http.get(f"/api/v1/events/{ROUND_TABLE}/agenda/releases")).json()["releases"]
    at = datetime.fromisoformat(latest["at"])
    page = (await http.get(AGENDA, params={"lang": "en"})).text
    assert Formatter("en").short_datetime(at, "Europe/Paris") in page  # "2 Dec 2026, 3:40 PM"
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", page)
