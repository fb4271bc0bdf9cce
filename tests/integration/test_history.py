"""Issue 12, the history: an event shows who changed what and when, read from the services' logs."""

import html
import re
from typing import Any

import httpx

from schemas.catalog import Category, EventSpec
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ROUND_TABLE, Web
from tests.integration.login_support import logged_in
from tests.integration.test_teams import form_fields, register, teams_json


def rows(page: str) -> list[str]:
    """The history's lines as text, newest first."""
    body = page.split('<table id="history">', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr")[2:]]


def as_definition(shown: dict[str, Any]) -> dict[str, Any]:
    """The event as the API shows it, without the figures it adds: a definition to send back."""
    event = {k: v for k, v in shown.items() if k in EventSpec.__struct_fields__}
    event["categories"] = [{k: v for k, v in c.items() if k in Category.__struct_fields__} for c in event["categories"]]
    return event


async def test_a_capacity_changed_through_the_api_names_the_field_its_values_and_who(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    shown = (await http.get(f"/api/v1/events/{ROUND_TABLE}", headers=organiser_headers)).json()
    event = as_definition(shown)
    public = next(c for c in event["categories"] if c["id"] == "public")
    before = public["capacity"]
    public["capacity"] = before + 40
    changed = await http.put(f"/api/v1/events/{ROUND_TABLE}", json=event, headers=organiser_headers)
    assert changed.status_code == 200, changed.text
    await logged_in(http)
    page = await http.get(f"/organiser/e/{ROUND_TABLE}/history")
    assert page.status_code == 200
    newest, *older = rows(page.text)
    assert ORGANISER_EMAIL in newest
    assert f"categories[public].capacity: {before} → {before + 40}" in newest
    # The first definition came from the event files: nobody to name.
    assert "Événement créé" in older[-1] and "—" in older[-1]


async def test_cancelling_checking_in_and_erasing_people_each_show_who_and_when(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = []
    for name, email in (("Alice Cancel", "alice"), ("Bruno Arrive", "bruno"), ("Chloé Efface", "chloe")):
        body = {"name": name, "email": f"{email}@example.org", "consent": True, "category": "mentor"}
        reply = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
        assert reply.status_code == 201, reply.text
        people.append(reply.json())
    acts = [("cancel", people[0]), ("check-in", people[1]), ("erase", people[2])]
    for action, person in acts:
        done = await http.post(f"/api/v1/registrations/{person['id']}/{action}", headers=organiser_headers)
        assert done.status_code == 200, (action, done.text)
    await logged_in(http)
    page = await http.get(f"/organiser/e/{HACKATHON}/history")
    assert page.status_code == 200
    lines = rows(page.text)
    erased, arrived, cancelled = lines[:3]
    assert "Inscription annulée : Alice Cancel" in cancelled and ORGANISER_EMAIL in cancelled
    assert "Arrivée enregistrée : Bruno Arrive" in arrived and ORGANISER_EMAIL in arrived
    assert "Données personnelles effacées" in erased and ORGANISER_EMAIL in erased
    assert "Chloé" not in page.text  # an erased person's name is gone from the history too
    assert all(re.search(r"\d{1,2} h \d{2}", line) for line in (erased, arrived, cancelled))  # when, in local time
    english = await http.get(f"/organiser/e/{HACKATHON}/history", params={"lang": "en"})
    assert "Checked in: Bruno Arrive" in english.text and "History" in english.text


async def test_the_history_is_refused_to_anonymous_visitors(demo: Web, http: httpx.AsyncClient) -> None:
    page = await http.get(f"/organiser/e/{HACKATHON}/history")
    assert page.status_code in (302, 303, 401)
    assert "Historique" not in page.text and ORGANISER_EMAIL not in page.text


async def test_the_event_page_links_to_its_history(demo: Web, http: httpx.AsyncClient) -> None:
    await logged_in(http)
    page = await http.get(f"/organiser/e/{HACKATHON}")
    assert f'href="/organiser/e/{HACKATHON}/history"' in page.text


async def test_placing_someone_in_a_team_shows_who_placed_whom_where(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await register(http, "Alice Martin")
    await logged_in(http)
    board = await http.get(f"/organiser/e/{HACKATHON}/teams")
    hidden = form_fields(board.text, f"/organiser/e/{HACKATHON}/teams/create")
    made = await http.post(f"/organiser/e/{HACKATHON}/teams/create", data={**hidden, "name": "Les Épis"})
    assert made.status_code == 303
    [team] = (await teams_json(http, organiser_headers))["teams"]
    board = await http.get(f"/organiser/e/{HACKATHON}/teams")
    action = f"/organiser/e/{HACKATHON}/teams/{team['id']}/place"
    placed = await http.post(action, data={**form_fields(board.text, action), "registration": alice["id"]})
    assert placed.status_code == 303
    newest = rows((await http.get(f"/organiser/e/{HACKATHON}/history")).text)[0]
    assert "Alice Martin placé(e) dans l'équipe « Les Épis »" in html.unescape(newest) and ORGANISER_EMAIL in newest
