"""Organisers' agenda over the JSON API and the schedule service: edits, conflicts,
releases, pitch rounds, the event file, restarts and several instances."""

import asyncio
import uuid
from pathlib import Path

import httpx
import msgspec

from schemas.catalog import DefineEvent, EventDefinedReply
from schemas.schedule import AgendaView, GetAgenda
from schemas.subjects import Catalog, Schedule
from services.catalog.files import read_event_file
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.schedule.service import ScheduleService
from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import demo_file, shifted
from tests.integration.agenda_support import edit, moved, release, released, session_json

DRAFT = f"/api/v1/events/{HACKATHON}/agenda/draft"


async def test_the_demo_events_are_released_from_their_files_once(demo: Web, http: httpx.AsyncClient) -> None:
    for slug in (HACKATHON, ROUND_TABLE):
        agenda = await released(http, slug)
        spec = read_event_file(demo_file(slug))
        assert [s["id"] for s in sorted(agenda["agenda"]["sessions"], key=lambda s: s["id"])] == sorted(
            s.id for s in spec.sessions
        )
        history = (await http.get(f"/api/v1/events/{slug}/agenda/releases")).json()["releases"]
        assert [r["version"] for r in history] == [1]
        assert {c["kind"] for c in history[0]["changelog"]} == {"added"}


async def test_bad_edits_are_refused_with_the_field_and_change_nothing(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await released(http, HACKATHON)
    before = (await http.get(DRAFT, headers=organiser_headers)).json()
    good = {"type": "put_room", "room": {"id": "grange", "name": "La grange"}}
    bad = {
        "type": "put_session",
        "session": {
            "id": "x",
            "title": "X",
            "starts_at": shifted("2027-06-11T10:00:00"),
            "ends_at": shifted("2027-06-11T11:00:00"),
            "room": "cave",
        },
    }
    refused = await edit(http, organiser_headers, HACKATHON, good, bad)
    assert refused.status_code == 422
    assert refused.json()["field"] == "edits[1].session.room"
    after = (await http.get(DRAFT, headers=organiser_headers)).json()
    assert after == before
    anonymous = await http.post(f"/api/v1/events/{HACKATHON}/agenda/edits", json={"edits": [good]})
    assert anonymous.status_code == 401


async def test_an_edit_sent_twice_applies_once(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await released(http, HACKATHON)
    before = (await http.get(DRAFT, headers=organiser_headers)).json()["edits"]
    headers = {**organiser_headers, "Idempotency-Key": "the-same-key-1"}
    body = {"edits": [{"type": "put_room", "room": {"id": "grange", "name": "La grange"}}]}
    replies = await asyncio.gather(
        *(http.post(f"/api/v1/events/{HACKATHON}/agenda/edits", json=body, headers=headers) for _ in range(3))
    )
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert (await http.get(DRAFT, headers=organiser_headers)).json()["edits"] == before + 1


async def test_conflicts_are_shown_and_only_released_when_accepted(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    first = await released(http, HACKATHON)
    # The welcome coffee moved onto the opening's room and time, with the opening's speaker.
    opening = session_json(first, "ouverture")
    coffee = moved(session_json(first, "accueil"), shifted("2027-06-11T09:30:00"), shifted("2027-06-11T10:00:00"))
    coffee["session"].update(room=opening["room"], people=["nadia-benali"])
    assert (await edit(http, organiser_headers, HACKATHON, coffee)).status_code == 200
    draft = (await http.get(DRAFT, headers=organiser_headers)).json()
    assert sorted((i["kind"], sorted(i["sessions"])) for i in draft["issues"]) == [
        ("person_double_booked", ["accueil", "ouverture"]),
        ("room_double_booked", ["accueil", "ouverture"]),
    ]
    assert [(c["kind"], c["session"]) for c in draft["pending"]] == [("moved", "accueil")]

    refused = await release(http, organiser_headers, HACKATHON)
    assert refused.status_code == 409
    assert (await http.get(f"/api/v1/events/{HACKATHON}/agenda")).json()["version"] == 1
    accepted = await release(http, organiser_headers, HACKATHON, accept=True)
    assert accepted.status_code == 201 and accepted.json()["version"] == 2
    unchanged = await release(http, organiser_headers, HACKATHON)
    assert unchanged.status_code == 409


async def test_pitch_rounds_are_generated_into_the_draft_and_released(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await released(http, HACKATHON)
    teams = [{"type": "put_team", "team": {"id": f"equipe-{i}", "name": f"Équipe {i}"}} for i in range(1, 8)]
    jurors = [
        {
            "type": "put_contributor",
            "contributor": {
                "id": f"jure-{i}",
                "name": f"Juré·e {i}",
                "role": "juror",
                "conflicts": ["equipe-1"] if i == 1 else [],
            },
        }
        for i in range(1, 6)
    ]
    assert (await edit(http, organiser_headers, HACKATHON, *teams, *jurors)).status_code == 200
    rounds = {
        "starts_at": shifted("2027-06-13T14:00:00"),
        "rooms": ["amphi", "atelier-1"],
        "jurors_per_team": 2,
        "pitch_minutes": 10,
        "changeover_minutes": 5,
        "break_every": 2,
        "break_minutes": 10,
        "replace": ["pitchs"],
        "seed": 2027,
    }
    generated = await http.post(f"/api/v1/events/{HACKATHON}/agenda/rounds", json=rounds, headers=organiser_headers)
    assert generated.status_code == 200, generated.text
    draft = generated.json()
    pitches = [s for s in draft["agenda"]["sessions"] if s["kind"] == "pitch"]
    assert sorted(s["team"] for s in pitches) == [f"equipe-{i}" for i in range(1, 8)]
    assert all(len(s["people"]) == 2 for s in pitches)
    assert "jure-1" not in next(s for s in pitches if s["team"] == "equipe-1")["people"]
    assert draft["issues"] == []
    assert (await release(http, organiser_headers, HACKATHON, "Ordre de passage")).status_code == 201
    public = await released(http, HACKATHON, 2)
    placeholder = session_json(public, "pitchs")
    assert placeholder["cancelled"] is True
    # Who judges whom and any conflict of interest stay with the organisers.
    assert all(p["conflicts"] == [] and p["registration"] is None for p in public["agenda"]["people"])

    too_many = {**rounds, "rooms": ["amphi", "atelier-1", "atelier-2"], "replace": []}
    refused = await http.post(f"/api/v1/events/{HACKATHON}/agenda/rounds", json=too_many, headers=organiser_headers)
    assert refused.status_code == 422 and refused.json()["field"] == "rooms"
    out_of_range = {**rounds, "jurors_per_team": 0}
    refused = await http.post(f"/api/v1/events/{HACKATHON}/agenda/rounds", json=out_of_range, headers=organiser_headers)
    # The limits are in the API's schema (OpenAPI): breaking one is a 400, like any schema error.
    assert refused.status_code == 400 and refused.json()["field"] == "jurors_per_team"


async def define(nats_url: str, path: Path, **changes: object) -> None:
    spec = msgspec.structs.replace(read_event_file(path), **changes)
    client = await connect(nats_url, "test-loader")
    try:
        await call(client, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)
    finally:
        await client.drain()


async def test_a_changed_event_file_is_released_unless_organisers_have_unreleased_work(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    path = demo_file(ROUND_TABLE)
    spec = read_event_file(path)
    await released(http, ROUND_TABLE)
    later = [msgspec.structs.replace(s, title=s.title + " !") if s.id == "verre" else s for s in spec.sessions]
    await define(demo.nats_url, path, sessions=later)
    second = await released(http, ROUND_TABLE, 2)
    assert session_json(second, "verre")["title"].endswith(" !")
    assert [(c["kind"], c["session"]) for c in second["changelog"]] == [("changed", "verre")]

    # Now an organiser has a change waiting: the file's next change joins the draft only.
    room = {"type": "put_room", "room": {"id": "jardin", "name": "Jardin"}}
    photo = {
        "type": "put_session",
        "session": {
            "id": "photo",
            "title": "Photo",
            "starts_at": shifted("2027-07-08T20:50:00"),
            "ends_at": shifted("2027-07-08T21:00:00"),
            "room": "jardin",
        },
    }
    assert (await edit(http, organiser_headers, ROUND_TABLE, room, photo)).status_code == 200
    shorter = [s for s in later if s.id != "questions"]
    await define(demo.nats_url, path, sessions=shorter)
    for _ in range(200):
        draft = (await http.get(f"/api/v1/events/{ROUND_TABLE}/agenda/draft", headers=organiser_headers)).json()
        if "questions" not in {s["id"] for s in draft["agenda"]["sessions"]}:
            break
        await asyncio.sleep(0.025)
    assert sorted((c["kind"], c["session"]) for c in draft["pending"]) == [
        ("added", "photo"),
        ("cancelled", "questions"),
    ]
    assert (await http.get(f"/api/v1/events/{ROUND_TABLE}/agenda")).json()["version"] == 2


async def test_a_restarted_or_second_schedule_instance_rebuilds_the_same_agenda_and_releases_nothing_twice(
    demo: Web, http: httpx.AsyncClient, backend: Running
) -> None:
    before = await released(http, HACKATHON)
    extra = Running([ScheduleService(), ScheduleService()], demo.nats_url)
    await extra.start()
    try:
        client = await connect(demo.nats_url, "test-reader")
        try:
            for instance in extra.services:
                assert isinstance(instance, ScheduleService)
                view = instance.agenda_view(HACKATHON)
                assert (view.version, view.agenda) == (1, msgspec.convert(before["agenda"], type(view.agenda)))
            # Whatever instance answers, the agenda is the same.
            answers = [await call(client, Schedule.AGENDA, GetAgenda(event=HACKATHON), AgendaView) for _ in range(6)]
            assert {a.version for a in answers} == {1}
        finally:
            await client.drain()
        # Three instances see the file change; it is imported and released once.
        path = demo_file(HACKATHON)
        spec = read_event_file(path)
        sessions = [
            msgspec.structs.replace(s, title="Grand final") if s.id == "resultats" else s for s in spec.sessions
        ]
        await define(demo.nats_url, path, sessions=sessions)
        await released(http, HACKATHON, 2)
        instances = [*extra.services, *(s for s in backend.services if isinstance(s, ScheduleService))]
        for _ in range(400):
            if all(i.agenda_view(HACKATHON).version == 2 and i.background.idle for i in instances):  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.025)
        history = (await http.get(f"/api/v1/events/{HACKATHON}/agenda/releases")).json()["releases"]
        assert [r["version"] for r in history] == [2, 1]
        assert [(c["kind"], c["session"]) for c in history[0]["changelog"]] == [("changed", "resultats")]
    finally:
        await extra.stop()
