"""Team formation over real HTTP, NATS and JetStream: participants found and join teams from
their private link, organisers place, remove and disband, the public sees names and sizes only."""

import html
import re
import uuid
from typing import Any

import httpx
import msgspec
from nats.aio.client import Client

from schemas.errors import ErrorReply
from schemas.registration import Cancel, Register, RegistrationView
from schemas.subjects import Registration, Teams
from schemas.teams import CreateTeam, GetMembership, JoinTeam, ListTeams, Membership, TeamList
from services.cli.demo_day import plain
from services.kit.client import call
from services.kit.lifecycle import Running
from services.teams.rules import team_list
from services.teams.service import TeamsService
from tests.conftest import HACKATHON, Web, define_events
from tests.integration.login_support import logged_in
from tests.integration.test_pages import Page

ANSWERS = {"level": "Quelques projets", "team": "Seul·e, je cherche une équipe"}
FULL_FR = "Cette équipe est complète : rejoignez-en une autre ou créez la vôtre."


async def register(http: httpx.AsyncClient, name: str, category: str = "participant") -> dict[str, Any]:
    body = {
        "name": name,
        "email": f"{plain(name.split()[0])}@example.org",
        "consent": True,
        "category": category,
        "answers": ANSWERS if category == "participant" else {},
    }
    reply = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
    assert reply.status_code == 201, reply.text
    person: dict[str, Any] = reply.json()
    person["token"] = person["manage_url"].split("token=")[1]
    person["team_url"] = f"/r/{person['id']}/team?token={person['token']}"
    return person


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action` (a page holds several forms)."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}[^"]*"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form posting to {action}"
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(1))
    }


async def send(
    http: httpx.AsyncClient, person: dict[str, Any], verb: str, params: str = "", **fields: str
) -> httpx.Response:
    page = await http.get(person["team_url"] + params)
    assert page.status_code == 200, page.text
    action = f"/r/{person['id']}/team/{verb}"
    if verb == "join" and "team_id" in fields:
        # The button of that team in the list of open teams.
        found = re.search(rf'<li class="card" id="t-{fields["team_id"]}">.*?</li>', page.text, re.S)
        assert found, f"team {fields['team_id']} is not offered"
        hidden = form_fields(found.group(0), action)
    else:
        hidden = form_fields(page.text, action)
    return await http.post(action + params, data={**hidden, **fields})


async def create(http: httpx.AsyncClient, person: dict[str, Any], **fields: str) -> str:
    """Found a team; returns its join code."""
    reply = await send(http, person, "create", **fields)
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"] == f"{person['team_url']}&done=created"
    page = Page((await http.get(reply.headers["location"])).text)
    return page.text_of("team-code")


async def teams_json(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    reply = await http.get(f"/api/v1/events/{HACKATHON}/teams", headers=headers)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def members(body: dict[str, Any]) -> dict[str, list[str]]:
    return {t["name"]: [m["name"] for m in t["members"]] for t in body["teams"]}


# --- participants ---


async def test_a_participant_founds_a_closed_team_and_another_joins_with_its_code(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice, bruno = await register(http, "Alice Martin"), await register(http, "Bruno Petit")
    manage = Page((await http.get(f"/r/{alice['id']}?token={alice['token']}")).text)
    assert manage.by_id["team-link"]["href"] == alice["team_url"]

    first = Page((await http.get(alice["team_url"])).text)
    assert "Vous n'êtes dans aucune équipe pour l'instant." in first.text
    assert "Aucune équipe ouverte n'a de place pour l'instant." in first.text
    code = await create(http, alice, name="Les Épis", challenge="traite", open="no")
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    mine = Page((await http.get(f"{alice['team_url']}&done=created")).text)
    assert mine.text_of("team-title") == "Les Épis"
    assert "Défi : Suivre la traite sans papier" in mine.text
    assert mine.text_of("team-size") == "Membres : 1 sur 5"
    assert "Votre équipe est créée." in mine.text

    # A closed team is not offered to others: they need its code, typed as people type it.
    offered = await http.get(bruno["team_url"])
    assert "Les Épis" not in offered.text
    joined = await send(http, bruno, "join", code=f" {code.lower()} ")
    assert joined.status_code == 303 and joined.headers["location"].endswith("&done=joined")
    theirs = Page((await http.get(bruno["team_url"])).text)
    assert theirs.text_of("team-title") == "Les Épis" and theirs.text_of("team-size") == "Membres : 2 sur 5"
    assert members(await teams_json(http, organiser_headers)) == {"Les Épis": ["Alice Martin", "Bruno Petit"]}

    # In English, the challenge is in English too.
    english = Page((await http.get(f"{bruno['team_url']}&lang=en")).text)
    assert "Challenge: Paperless milking records" in english.text
    assert english.text_of("team-size") == "Members: 2 of 5"


async def test_a_wrong_code_is_answered_on_the_code_field_and_changes_nothing(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice, bruno = await register(http, "Alice Martin"), await register(http, "Bruno Petit")
    code = await create(http, alice, name="Les Épis", open="no")
    wrong = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    reply = await send(http, bruno, "join", code=wrong)
    assert reply.status_code == 422
    page = Page(reply.text)
    message = "Ce code ne correspond à aucune équipe : vérifiez-le auprès d'un membre de l'équipe."
    assert page.text_of("err-code") == message
    assert "Rien n'a été changé :" in page.text_of("errors") and message in page.text_of("errors")
    assert page.by_id["errors"]["role"] == "alert"
    assert page.by_id["f-code"]["aria-invalid"] == "true"
    assert "err-code" in page.by_id["f-code"]["aria-describedby"].split()
    assert page.by_id["f-code"]["value"] == wrong  # what was typed stays
    assert members(await teams_json(http, organiser_headers)) == {"Les Épis": ["Alice Martin"]}


async def test_a_full_team_is_refused_with_a_french_message_and_an_english_one_on_an_english_page(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = [await register(http, f"Personne{i} Test") for i in range(7)]
    await create(http, people[0], name="Les Sillons", challenge="meteo-parcelle")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    for person in people[1:5]:
        assert (await send(http, person, "join", team_id=team_id)).status_code == 303
    assert len((await teams_json(http, organiser_headers))["teams"][0]["members"]) == 5

    # The team was offered when the page was shown; it filled up before the click.
    page = await http.get(people[5]["team_url"])
    assert "Les Sillons" not in page.text  # a full team is no longer offered
    hidden = form_fields(page.text, f"/r/{people[5]['id']}/team/join")
    refused = await http.post(f"/r/{people[5]['id']}/team/join", data={**hidden, "team_id": team_id})
    assert refused.status_code == 409
    assert FULL_FR in Page(refused.text).text_of("errors")
    hidden = form_fields((await http.get(people[6]["team_url"] + "&lang=en")).text, f"/r/{people[6]['id']}/team/join")
    english = await http.post(f"/r/{people[6]['id']}/team/join?lang=en", data={**hidden, "team_id": team_id})
    assert english.status_code == 409
    assert "This team is full: join another one or create your own." in Page(english.text).text_of("errors")
    assert len((await teams_json(http, organiser_headers))["teams"][0]["members"]) == 5


async def test_a_member_leaves_and_can_then_found_another_team(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice, bruno = await register(http, "Alice Martin"), await register(http, "Bruno Petit")
    await create(http, alice, name="Les Épis")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    assert (await send(http, bruno, "join", team_id=team_id)).status_code == 303
    left = await send(http, bruno, "leave")
    assert left.status_code == 303 and left.headers["location"].endswith("&done=left")
    page = Page((await http.get(left.headers["location"])).text)
    assert "Vous avez quitté l'équipe." in page.text and "Vous n'êtes dans aucune équipe" in page.text
    # Names are the same whatever the case and accents.
    taken = await send(http, bruno, "create", name="LES EPIS")
    assert taken.status_code == 409
    assert Page(taken.text).text_of("err-name") == "Une équipe porte déjà ce nom : choisissez-en un autre."
    assert Page(taken.text).by_id["f-name"]["value"] == "LES EPIS"
    blank = await send(http, bruno, "create", name="  ")
    assert blank.status_code == 422
    assert Page(blank.text).text_of("err-name") == "Donnez un nom à l'équipe."
    await create(http, bruno, name="Les Sillons")
    assert members(await teams_json(http, organiser_headers)) == {
        "Les Épis": ["Alice Martin"],
        "Les Sillons": ["Bruno Petit"],
    }


async def test_a_double_click_makes_one_team_and_one_membership(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice, bruno = await register(http, "Alice Martin"), await register(http, "Bruno Petit")
    page = await http.get(alice["team_url"])
    form = {**form_fields(page.text, f"/r/{alice['id']}/team/create"), "name": "Les Épis", "open": "yes"}
    first = await http.post(f"/r/{alice['id']}/team/create", data=form)
    second = await http.post(f"/r/{alice['id']}/team/create", data=form)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]

    page = await http.get(bruno["team_url"])
    found = re.search(rf'<li class="card" id="t-{team_id}">.*?</li>', page.text, re.S)
    assert found
    form = {**form_fields(found.group(0), f"/r/{bruno['id']}/team/join")}
    replies = [await http.post(f"/r/{bruno['id']}/team/join", data=form) for _ in range(2)]
    assert [r.status_code for r in replies] == [303, 303]
    body = await teams_json(http, organiser_headers)
    assert members(body) == {"Les Épis": ["Alice Martin", "Bruno Petit"]}


async def test_only_confirmed_participants_form_teams_and_only_with_their_own_link(
    demo: Web, http: httpx.AsyncClient
) -> None:
    visitor = await register(http, "Victor Public", category="public")
    manage = Page((await http.get(f"/r/{visitor['id']}?token={visitor['token']}")).text)
    assert "team-link" not in manage.by_id
    page = Page((await http.get(visitor["team_url"])).text)
    assert "Votre inscription n'est pas dans une catégorie de participant·es" in page.text
    assert "f-name" not in page.by_id

    alice = await register(http, "Alice Martin")
    forged = await http.get(f"/r/{alice['id']}/team?token={visitor['token']}")
    assert forged.status_code == 403
    assert "Ce lien n'est pas valable pour cette inscription." in Page(forged.text).text
    hidden = form_fields((await http.get(alice["team_url"])).text, f"/r/{alice['id']}/team/create")
    stolen = await http.post(f"/r/{alice['id']}/team/create", data={**hidden, "token": visitor["token"], "name": "X"})
    assert stolen.status_code == 403


async def test_a_cancelled_registration_frees_its_place_and_leaves_the_team(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = [await register(http, f"Personne{i} Test") for i in range(6)]
    await create(http, people[0], name="Les Épis")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    for person in people[1:5]:
        assert (await send(http, person, "join", team_id=team_id)).status_code == 303
    cancelled = await http.post(f"/api/v1/registrations/{people[2]['id']}/cancel", headers=organiser_headers)
    assert cancelled.status_code == 200
    # The place is free at once: the next person joins right after the cancellation.
    assert (await send(http, people[5], "join", team_id=team_id)).status_code == 303
    names = members(await teams_json(http, organiser_headers))["Les Épis"]
    assert names == ["Personne0 Test", "Personne1 Test", "Personne3 Test", "Personne4 Test", "Personne5 Test"]
    gone = Page((await http.get(people[2]["team_url"])).text)
    assert "dont l'inscription est confirmée" in gone.text


# --- organisers and the public ---


async def test_an_organiser_creates_places_removes_and_disbands(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice, bruno = await register(http, "Alice Martin"), await register(http, "Bruno Petit")
    await register(http, "Victor Public", category="public")
    assert (await http.get(f"/organiser/e/{HACKATHON}/teams")).status_code == 303  # login first
    await logged_in(http)
    event = Page((await http.get(f"/organiser/e/{HACKATHON}")).text)
    assert f'href="/organiser/e/{HACKATHON}/teams"' in event.source

    board = await http.get(f"/organiser/e/{HACKATHON}/teams")
    page = Page(board.text)
    assert page.text_of("count-unplaced") == "2"
    assert "Alice Martin" in page.text_of("unplaced") and "Victor Public" not in page.text
    hidden = form_fields(board.text, f"/organiser/e/{HACKATHON}/teams/create")
    made = await http.post(
        f"/organiser/e/{HACKATHON}/teams/create", data={**hidden, "name": "Équipe mixte", "challenge": "circuit-court"}
    )
    assert made.status_code == 303 and made.headers["location"] == f"/organiser/e/{HACKATHON}/teams?done=created"
    [team] = (await teams_json(http, organiser_headers))["teams"]
    assert (team["name"], team["challenge"], team["members"]) == ("Équipe mixte", "circuit-court", [])

    action = f"/organiser/e/{HACKATHON}/teams/{team['id']}/place"
    for person in (alice, bruno):
        board = await http.get(f"/organiser/e/{HACKATHON}/teams")  # each form has its own command id
        placed = await http.post(action, data={**form_fields(board.text, action), "registration": person["id"]})
        assert placed.status_code == 303
    body = await teams_json(http, organiser_headers)
    assert members(body) == {"Équipe mixte": ["Alice Martin", "Bruno Petit"]} and body["unplaced"] == []
    page = Page((await http.get(f"/organiser/e/{HACKATHON}/teams")).text)
    assert "Alice Martin" in page.text_of(f"t-{team['id']}") and page.text_of("count-placed") == "2"

    # Placing someone already in a team is refused, tied to that team's field.
    await register(http, "Chloé Durand")
    board = await http.get(f"/organiser/e/{HACKATHON}/teams")
    hidden = form_fields(board.text, f"/organiser/e/{HACKATHON}/teams/create")
    await http.post(f"/organiser/e/{HACKATHON}/teams/create", data={**hidden, "name": "Autre"})
    other = next(t for t in (await teams_json(http, organiser_headers))["teams"] if t["name"] == "Autre")
    board = await http.get(f"/organiser/e/{HACKATHON}/teams")
    action = f"/organiser/e/{HACKATHON}/teams/{other['id']}/place"
    twice = await http.post(action, data={**form_fields(board.text, action), "registration": alice["id"]})
    assert twice.status_code == 409
    refused = Page(twice.text)
    assert refused.text_of(f"err-place-{other['id']}") == (
        "Cette personne est déjà dans une équipe : il faut d'abord la quitter."
    )

    action = f"/organiser/e/{HACKATHON}/teams/remove/{alice['id']}"
    removed = await http.post(action, data=form_fields(board.text, action))
    assert removed.status_code == 303
    assert members(await teams_json(http, organiser_headers))["Équipe mixte"] == ["Bruno Petit"]
    action = f"/organiser/e/{HACKATHON}/teams/{team['id']}/disband"
    disbanded = await http.post(action, data=form_fields(board.text, action))
    assert disbanded.status_code == 303
    body = await teams_json(http, organiser_headers)
    assert members(body) == {"Autre": []}
    assert sorted(m["name"] for m in body["unplaced"]) == ["Alice Martin", "Bruno Petit", "Chloé Durand"]
    mine = Page((await http.get(bruno["team_url"])).text)
    assert "Vous n'êtes dans aucune équipe" in mine.text


async def test_the_public_list_shows_names_challenges_and_sizes_but_nobody_and_no_code(
    demo: Web, http: httpx.AsyncClient
) -> None:
    alice = await register(http, "Alice Martin")
    code = await create(http, alice, name="Les Épis", challenge="traite", open="no")
    page = await http.get(f"/e/{HACKATHON}/teams")
    assert page.status_code == 200
    text = Page(page.text).text
    assert "Les Épis" in text and "Suivre la traite sans papier" in text and "1 sur 5" in text
    assert "Alice" not in text and code not in page.text
    english = Page((await http.get(f"/e/{HACKATHON}/teams?lang=en")).text).text
    assert "Paperless milking records" in english and "1 of 5" in english
    assert (await http.get("/e/nope/teams")).status_code == 404


async def test_the_teams_api_is_for_organisers_only(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.get(f"/api/v1/events/{HACKATHON}/teams")
    assert reply.status_code == 401
    assert reply.json()["code"] == "unauthorized"
    schema = (await http.get("/schema/openapi.json")).json()
    assert "/api/v1/events/{slug}/teams" in schema["paths"]


# --- the service over NATS ---


async def test_a_repeated_command_appends_once_and_a_fresh_instance_rebuilds_the_same_teams(
    nats_url: str, backend: Running, nc: Client
) -> None:
    await define_events(nats_url)
    people = []
    for i in range(2):
        command = Register(
            command_id=uuid.uuid4().hex,
            event=HACKATHON,
            name=f"Personne {i}",
            email=f"p{i}@example.org",
            consent=True,
            category="participant",
            answers=ANSWERS,
        )
        people.append((await call(nc, Registration.REGISTER, command, RegistrationView)).id)
    create = CreateTeam(
        command_id=uuid.uuid4().hex, event=HACKATHON, team_id="epis", name="Les Épis", founder=people[0], open=False
    )
    first = await call(nc, Teams.CREATE, create, TeamList)
    again = await call(nc, Teams.CREATE, create, TeamList)
    assert first == again and [t.members for t in first.teams] == [[people[0]]]
    join = JoinTeam(
        command_id=uuid.uuid4().hex, event=HACKATHON, team_id="epis", registration=people[1], code=first.teams[0].code
    )
    joined = await call(nc, Teams.JOIN, join, Membership)
    assert joined == await call(nc, Teams.JOIN, join, Membership)  # the first outcome, not « already a member »
    info = await nc.jetstream().stream_info("PERCHE_TEAMS")
    assert info.state.messages == 2

    # Malformed requests get a typed error naming the field, and change nothing.
    reply = await nc.request(Teams.JOIN, b'{"command_id": "abcdefgh", "event": "x", "team_id": "BAD ID"}', timeout=5)
    error = msgspec.json.decode(reply.data, type=ErrorReply)
    assert (error.code, error.field) == ("invalid", "event")

    fresh = TeamsService()
    running = Running([fresh], nats_url)
    await running.start()
    try:
        listed = await call(nc, Teams.LIST, ListTeams(event=HACKATHON), TeamList)
        assert team_list(fresh.state, fresh.catalog.specs[HACKATHON]) == listed
        assert [t.members for t in listed.teams] == [people]
    finally:
        await running.stop()


async def test_the_service_says_who_may_be_in_a_team_and_who_is_in_none_as_of_the_registrations_now(
    backend: Running, nats_url: str, nc: Client
) -> None:
    await define_events(nats_url)

    async def registered(name: str, category: str = "participant") -> str:
        command = Register(
            command_id=uuid.uuid4().hex,
            event=HACKATHON,
            name=name,
            email=f"{plain(name)}@example.org",
            consent=True,
            category=category,
            answers=ANSWERS if category == "participant" else {},
        )
        return (await call(nc, Registration.REGISTER, command, RegistrationView)).id

    async def standing(registration: str) -> tuple[bool, str | None]:
        mine = await call(nc, Teams.MEMBERSHIP, GetMembership(event=HACKATHON, registration=registration), Membership)
        return mine.eligible, mine.ineligibility

    # Asked right after each registration: the answer already knows it.
    alice = await registered("Alice")
    assert await standing(alice) == (True, None)
    bruno = await registered("Bruno")
    mentor, visitor = await registered("Mina", "mentor"), await registered("Vic", "public")
    assert await standing(mentor) == (True, None)
    assert await standing(visitor) == (False, "not_a_participant")
    assert await standing("nobody") == (False, "not_registered")
    board = await call(nc, Teams.LIST, ListTeams(event=HACKATHON, with_unplaced=True), TeamList)
    assert board.unplaced == [alice, bruno, mentor]

    create = CreateTeam(command_id=uuid.uuid4().hex, event=HACKATHON, team_id="epis", name="Les Épis", founder=alice)
    founded = await call(nc, Teams.CREATE, create, TeamList)
    assert founded.unplaced is None  # only the organiser's query lists them
    cancel = Cancel(command_id=uuid.uuid4().hex, registration_id=bruno, by_organiser="orga")
    await call(nc, Registration.CANCEL, cancel, RegistrationView)
    assert await standing(bruno) == (False, "not_confirmed")
    board = await call(nc, Teams.LIST, ListTeams(event=HACKATHON, with_unplaced=True), TeamList)
    assert board.unplaced == [mentor]
    assert (await call(nc, Teams.LIST, ListTeams(event=HACKATHON), TeamList)).unplaced is None
