"""Judging and results over real HTTP, NATS and JetStream: jurors added by the organiser,
scoring one criterion at a time without JavaScript, refusals that change nothing, a
juror's link that opens only their sheet, and results hidden until published."""

import asyncio
import html
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from schemas.errors import ErrorReply
from schemas.judging import MAX_FEEDBACK_LENGTH, MAX_POINTS, GetSheet, GetSheets, GiveFeedback, Sheet, Sheets
from schemas.registration import GetRegistration, RegistrationView
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import CreateTeam, JoinTeam, Membership, TeamList
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from tests.conftest import HACKATHON, Web
from tests.demo_events import shifted
from tests.integration.agenda_support import edit, release, released
from tests.integration.login_support import logged_in
from tests.integration.test_pages import Page

CRITERIA = ["utilite", "realisation", "simplicite", "pitch"]
JURY = f"/organiser/e/{HACKATHON}/jury"
RESULTS = f"/organiser/e/{HACKATHON}/results"


@dataclass
class Jury:
    teams: list[str]
    jurors: dict[str, str]  # name -> link path with its key

    def link(self, name: str) -> str:
        return self.jurors[name]

    def juror_id(self, name: str) -> str:
        return self.jurors[name].split("/")[3].split("?")[0]


async def post_form(http: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    """Send a form the way a browser does: with the CSRF token and command id of the page it sits on."""
    source = Page((await http.get(page)).text)
    data = {"_csrf_token": source.fields["_csrf_token"], "command_id": uuid.uuid4().hex, **fields}
    return await http.post(action, data=data)


async def create_teams(web: Web, *names: str) -> list[str]:
    client = await connect(web.nats_url, "test-teams")
    try:
        ids = []
        for name in names:
            team_id = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            command = CreateTeam(
                command_id=uuid.uuid4().hex, event=HACKATHON, team_id=team_id, name=name, by_organiser="o"
            )
            await call(client, Teams.CREATE, command, TeamList)
            ids.append(team_id)
        return ids
    finally:
        await client.drain()


async def mentor_in(demo: Web, http: httpx.AsyncClient, team: str) -> dict[str, Any]:
    """Nina Petit registers as a mentor and the organiser places her in `team`."""
    body = {"name": "Nina Petit", "email": "nina@example.org", "consent": True, "category": "mentor"}
    person: dict[str, Any] = (await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)).json()
    client = await connect(demo.nats_url, "test-teams")
    try:
        join = JoinTeam(
            command_id=uuid.uuid4().hex, event=HACKATHON, team_id=team, registration=person["id"], by_organiser="o"
        )
        await call(client, Teams.JOIN, join, Membership)
    finally:
        await client.drain()
    return person


@pytest.fixture
async def jury(demo: Web, http: httpx.AsyncClient) -> Jury:
    await logged_in(http)
    teams = await create_teams(demo, "Les Trayeurs", "Circuit Malin", "Météo Locale")
    for name, email in (("Claire Moreau", "claire@example.org"), ("Marc Dubois", "marc@example.org")):
        added = await post_form(http, JURY + "/", JURY + "/jurors", name=name, email=email, language="fr")
        assert added.status_code == 303, added.text
    page = Page((await http.get(JURY + "/")).text)
    links = {}
    for element_id, attributes in page.by_id.items():
        if element_id.startswith("link-"):
            links[element_id[5:]] = attributes["value"]
    names = re.findall(r'<article class="card" id="j-([^"]+)">\s*<h3>([^<]+)</h3>', page.source)
    jurors = {name: httpx.URL(links[juror_id]).raw_path.decode() for juror_id, name in names}
    assert set(jurors) == {"Claire Moreau", "Marc Dubois"}
    return Jury(teams=teams, jurors=jurors)


async def score(http: httpx.AsyncClient, link: str, team: str, criterion: str, points: str) -> httpx.Response:
    path, _, query = link.partition("?")
    form_page = await http.get(f"{path}/{team}?{query}&c={criterion}")
    assert form_page.status_code == 200, form_page.text
    fields = Page(form_page.text).fields
    data = {"_csrf_token": fields["_csrf_token"], "criterion": criterion, "points": points}
    data["command_id"] = uuid.uuid4().hex
    return await http.post(f"{path}/{team}?{query}", data=data)


async def standings(http: httpx.AsyncClient) -> dict[str, dict[str, object]]:
    reply = await http.get(f"/api/v1/events/{HACKATHON}/standings")
    assert reply.status_code == 200, reply.text
    return {line["team"]["id"]: line for line in reply.json()["standings"]}


async def test_a_juror_scores_each_criterion_in_turn_with_plain_forms(jury: Jury, http: httpx.AsyncClient) -> None:
    link = jury.link("Claire Moreau")
    overview = await http.get(link)
    assert overview.status_code == 200
    assert "Bonjour Claire Moreau" in overview.text and "Les Trayeurs" in overview.text
    team = jury.teams[0]
    path, _, query = link.partition("?")
    first = await http.get(f"{path}/{team}?{query}")
    assert 'data-criterion="utilite">' in first.text.replace("\n", "")  # the first criterion is the one shown
    assert re.search(r'data-criterion="realisation" hidden disabled', first.text)
    steps = []
    for criterion, points in zip(CRITERIA, ["8", "6", "7", "4"], strict=True):
        reply = await score(http, link, team, criterion, points)
        assert reply.status_code == 303, reply.text
        steps.append(reply.headers["location"])
    assert steps[0].endswith("&c=realisation") and steps[2].endswith("&c=pitch")
    assert "saved=1" in steps[-1]
    line = (await standings(http))[team]
    assert line["given"] == 4 and line["expected"] == 8  # two jurors, four criteria
    # usefulness weighs 2: (2 × 8/10 + 6/10 + 7/10 + 4/5) / 5 = 0.74, so 74 out of 100
    assert line["total"] == 74.0
    done = await http.get(link)
    assert "Notée" in done.text
    sheet = await http.get(f"/api/v1/events/{HACKATHON}/standings.csv")
    rows = sheet.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("rang,équipe,défi,Utilité pour les agriculteurs (/10)")
    assert "Les Trayeurs" in sheet.text and rows[1].endswith(",74.0,4/8")


async def test_a_juror_changes_a_score_and_only_the_last_one_counts(jury: Jury, http: httpx.AsyncClient) -> None:
    link, team = jury.link("Marc Dubois"), jury.teams[1]
    assert (await score(http, link, team, "pitch", "2")).status_code == 303
    assert (await score(http, link, team, "pitch", "5")).status_code == 303
    line = (await standings(http))[team]
    pitch = next(c for c in line["criteria"] if c["criterion"] == "pitch")  # type: ignore[attr-defined]
    assert pitch == {"criterion": "pitch", "average": 5.0, "count": 1}


async def test_bad_scores_get_a_clear_answer_in_the_page_language_and_change_nothing(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    link, team = jury.link("Claire Moreau"), jury.teams[0]
    missing = await score(http, link, team, "utilite", "")
    assert missing.status_code == 422
    assert Page(missing.text).text_of("err-utilite") == "Choisissez une note avant d'enregistrer."
    for wrong in ("9", "150", "-3", "99999999999"):
        too_high = await score(http, link, team, "pitch", wrong)
        assert too_high.status_code == 422
        assert Page(too_high.text).text_of("err-pitch") == "Cette note n'est pas dans l'échelle proposée."
    path, _, query = link.partition("?")
    english = await http.get(f"{path}/{team}?{query}&lang=en")
    fields = Page(english.text).fields
    data = {"_csrf_token": fields["_csrf_token"], "criterion": "nope", "points": "3", "command_id": uuid.uuid4().hex}
    unknown = await http.post(f"{path}/{team}?{query}", data=data, headers={"Accept": "application/json"})
    assert unknown.status_code == 422
    assert unknown.json() == {
        "saved": False,
        "field": "criterion",
        "message": "This criterion does not exist for this event.",
    }
    assert (await standings(http))[team]["given"] == 0


async def test_a_jury_link_opens_only_its_own_sheet(jury: Jury, http: httpx.AsyncClient) -> None:
    claire, marc = jury.link("Claire Moreau"), jury.link("Marc Dubois")
    stolen = claire.split("?")[0].replace(jury.juror_id("Claire Moreau"), jury.juror_id("Marc Dubois"))
    forged = await http.get(f"{stolen}?{claire.split('?')[1]}")
    assert forged.status_code == 403
    assert "Ce lien de jury n'est pas valable" in html.unescape(forged.text)
    assert (await http.get(marc.split("?")[0] + "?key=" + "0" * 32)).status_code == 403
    # The organiser narrows Marc's sheet to one team: the others are no longer his to score.
    await post_form(http, JURY + "/", f"{JURY}/assign/{jury.juror_id('Marc Dubois')}", team=jury.teams[2])
    sheet = await http.get(marc)
    assert "Météo Locale" in sheet.text and "Les Trayeurs" not in sheet.text
    path, _, query = marc.partition("?")
    token = Page(sheet.text).fields.get("_csrf_token") or Page((await http.get(JURY + "/")).text).fields["_csrf_token"]
    data = {"_csrf_token": token, "criterion": "pitch", "points": "3", "command_id": uuid.uuid4().hex}
    refused = await http.post(f"{path}/{jury.teams[0]}?{query}", data=data, headers={"Accept": "application/json"})
    assert refused.status_code == 422 and refused.json()["message"] == "Cette équipe ne vous est pas attribuée."
    lines = await standings(http)
    assert lines[jury.teams[0]]["expected"] == 4 and lines[jury.teams[2]]["expected"] == 8
    # A juror whose registration is cancelled loses the link too.
    marc_id = jury.juror_id("Marc Dubois")
    cancelled = await post_form(http, f"/organiser/e/{HACKATHON}", f"/organiser/r/{marc_id}/cancel")
    assert cancelled.status_code == 303
    assert (await http.get(marc)).status_code == 403


async def test_results_stay_hidden_until_the_organiser_publishes_them(jury: Jury, http: httpx.AsyncClient) -> None:
    link = jury.link("Claire Moreau")
    for team, points in zip(jury.teams, ["9", "5", "7"], strict=True):
        for criterion in CRITERIA:
            assert (
                await score(http, link, team, criterion, min(points, "5") if criterion == "pitch" else points)
            ).status_code == 303
    public = await http.get(f"/e/{HACKATHON}/results")
    assert public.status_code == 200 and "ne sont pas encore publiés" in public.text
    assert "Les Trayeurs" not in public.text
    assert (await http.get(f"/api/v1/events/{HACKATHON}/results")).status_code == 404

    too_early = await post_form(http, RESULTS + "/", RESULTS + "/publish")
    assert too_early.status_code == 409 and "Closez d'abord la notation" in html.unescape(too_early.text)
    assert (await http.get(f"/api/v1/events/{HACKATHON}/results")).status_code == 404

    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    late = await score(http, link, jury.teams[1], "utilite", "10")
    assert late.status_code == 422 and "les notes ne peuvent plus être modifiées" in late.text
    published = await post_form(http, RESULTS + "/", RESULTS + "/publish", note="Bravo à toutes les équipes !")
    assert published.status_code == 303

    page = await http.get(f"/e/{HACKATHON}/results")
    order = [page.text.index(name) for name in ("Les Trayeurs", "Météo Locale", "Circuit Malin")]
    assert order == sorted(order) and "Bravo à toutes les équipes !" in page.text
    api = (await http.get(f"/api/v1/events/{HACKATHON}/results")).json()
    assert [(line["rank"], line["team_name"]) for line in api["lines"]] == [
        (1, "Les Trayeurs"),
        (2, "Météo Locale"),
        (3, "Circuit Malin"),
    ]
    assert "Claire" not in page.text  # results never name jurors

    assert (await post_form(http, RESULTS + "/", RESULTS + "/withdraw")).status_code == 303
    assert (await http.get(f"/api/v1/events/{HACKATHON}/results")).status_code == 404


async def test_a_juror_reaches_the_form_from_their_registration_page(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    jury_web = demo
    event_page = Page((await http.get(f"/organiser/e/{HACKATHON}")).text)
    assert "Jury" in event_page.source
    figures = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", event_page.source.split("Équipes et jury")[1][:600]))
    assert "3 équipes formées" in figures and "0 / 24 notes du jury" in figures and "notation ouverte" in figures
    juror_id = jury.juror_id("Claire Moreau")
    client = await connect(jury_web.nats_url, "test-reader")
    try:
        query = GetRegistration(registration_id=juror_id, by_organiser="o")
        view = await call(client, Registration.GET, query, RegistrationView)
    finally:
        await client.drain()
    page = await http.get(f"/r/{juror_id}", params={"token": view.manage_token})
    assert "Ouvrir ma grille de notation" in page.text
    assert jury.link("Claire Moreau").replace("&", "&amp;") in page.text


async def test_the_formed_teams_are_brought_into_the_agenda_with_their_members(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await logged_in(http)
    [team] = await create_teams(demo, "Les Trayeurs")
    person = await mentor_in(demo, http, team)
    agenda_page = f"/organiser/e/{HACKATHON}/agenda/"
    assert "1 équipe est formée par les participants." in (await http.get(agenda_page)).text
    imported = await post_form(http, agenda_page, f"/organiser/e/{HACKATHON}/agenda/teams/import")
    assert imported.status_code == 303, imported.text
    draft = (await http.get(f"/api/v1/events/{HACKATHON}/agenda/draft")).json()
    assert {"id": team, "name": "Les Trayeurs", "members": [person["id"]]} in draft["agenda"]["teams"]


async def test_the_venue_screen_shows_the_results_the_moment_they_are_published(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    link = jury.link("Marc Dubois")
    for criterion in CRITERIA:
        assert (await score(http, link, jury.teams[2], criterion, "5")).status_code == 303
    assert "Résultats du jury" not in (await http.get(f"/e/{HACKATHON}/screen/board")).text
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    async with http.stream("GET", f"/e/{HACKATHON}/screen/stream") as stream:
        lines = stream.aiter_lines()
        assert await anext(lines) == "event: ready"
        assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303
        received = []
        async with asyncio.timeout(10):
            while "event: change" not in received:
                received.append(await anext(lines))
    board = (await http.get(f"/e/{HACKATHON}/screen/board")).text
    assert "Résultats du jury" in board and "Météo Locale" in board and "Les Trayeurs" not in board


async def test_the_agendas_jury_panels_become_the_jurors_sheets(
    jury: Jury, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    first, second, third = jury.teams
    assert (
        await post_form(http, f"/organiser/e/{HACKATHON}/agenda/", f"/organiser/e/{HACKATHON}/agenda/teams/import")
    ).status_code == 303
    claire, marc = jury.juror_id("Claire Moreau"), jury.juror_id("Marc Dubois")

    def pitch(team: str, hour: int, *people: str) -> dict[str, object]:
        session = {"id": f"pitch-{team}", "title": f"Pitch {team}", "kind": "pitch", "room": "amphi", "team": team}
        times = {"starts_at": shifted(f"2027-06-13T{hour}:00:00"), "ends_at": shifted(f"2027-06-13T{hour}:30:00")}
        return {"type": "put_session", "session": {**session, **times, "people": list(people)}}

    edits = [
        {
            "type": "put_contributor",
            "contributor": {"id": "claire", "name": "Claire", "role": "juror", "registration": claire},
        },
        {
            "type": "put_contributor",
            "contributor": {"id": "marc", "name": "Marc", "role": "juror", "registration": marc},
        },
        pitch(first, 14, "claire"),
        pitch(second, 15, "marc"),
        pitch(third, 16, "claire", "marc"),
    ]
    assert (await edit(http, organiser_headers, HACKATHON, *edits)).status_code == 200
    assert (await release(http, organiser_headers, HACKATHON, accept=True)).status_code == 201
    await released(http, HACKATHON, 2)
    page = await http.get(JURY + "/")
    assert "Reprendre les jurys du programme" in page.text
    assert (await post_form(http, JURY + "/", JURY + "/panels")).status_code == 303
    lines = await standings(http)
    assert [lines[t]["expected"] for t in (first, second, third)] == [4, 4, 8]
    assert "Les Trayeurs" not in (await http.get(jury.link("Marc Dubois"))).text


async def test_jurors_registered_on_the_jury_page_are_the_jurors_the_pitch_rounds_use(
    jury: Jury, demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    """No juror in the agenda, two on the jury page: « Générer les passages » gives them the pitches,
    the agenda names them, their sheets follow, and the log holds their registrations, not their names."""
    await released(http, HACKATHON)
    agenda_page = f"/organiser/e/{HACKATHON}/agenda/"
    assert "Les 2 membres du jury inscrits sur la page Jury passent" in (await http.get(agenda_page)).text
    assert (await post_form(http, agenda_page, f"/organiser/e/{HACKATHON}/agenda/teams/import")).status_code == 303
    generated = await post_form(
        http,
        agenda_page,
        f"/organiser/e/{HACKATHON}/agenda/rounds",
        starts_at=shifted("2027-06-13T14:00:00")[:16],
        rooms="amphi",
        jurors_per_team="2",
        pitch_minutes="10",
        changeover_minutes="5",
        break_every="0",
        break_minutes="15",
        deliberation_minutes="0",
    )
    assert generated.status_code == 303, generated.text
    draft = (await http.get(f"/api/v1/events/{HACKATHON}/agenda/draft")).json()["agenda"]
    registration_of = {p["id"]: p["registration"] for p in draft["people"]}
    pitches = [s for s in draft["sessions"] if s["kind"] == "pitch" and s["origin"] == "generated"]
    assert sorted(s["team"] for s in pitches) == sorted(jury.teams)
    claire, marc = jury.juror_id("Claire Moreau"), jury.juror_id("Marc Dubois")
    assert all(sorted(registration_of[p] for p in s["people"]) == sorted([claire, marc]) for s in pitches)
    page = (await http.get(agenda_page)).text
    # The agenda holds registrations; the organisers' page shows whose they are.
    assert f"<li>Claire Moreau (jury) · inscription <code>{claire}</code>" in page
    assert f"<li>Marc Dubois (jury) · inscription <code>{marc}</code>" in page
    # Released, the panels become the jurors' sheets, as for jurors the agenda knew by itself.
    assert (await release(http, organiser_headers, HACKATHON, accept=True)).status_code == 201
    await released(http, HACKATHON, 2)
    assert (await post_form(http, JURY + "/", JURY + "/panels")).status_code == 303
    lines = await standings(http)
    assert [lines[t]["expected"] for t in jury.teams] == [8, 8, 8]
    client = await connect(demo.nats_url, "inspector")
    try:
        js = client.jetstream()
        info = await js.stream_info("PERCHE_SCHEDULE")
        logged = b"".join(
            [(await js.get_msg("PERCHE_SCHEDULE", seq)).data or b"" for seq in range(1, info.state.last_seq + 1)]
        )
    finally:
        await client.drain()
    assert claire.encode() in logged
    # (The event file's speakers share the jurors' names; the jurors' own would be these.)
    assert b'"Claire Moreau"' not in logged and b'"Marc Dubois"' not in logged
    assert b"claire@example.org" not in logged and b"marc@example.org" not in logged


async def test_a_juror_leaves_words_for_a_team_that_organisers_pass_on_without_names(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    link, team = jury.link("Claire Moreau"), jury.teams[0]
    path, _, query = link.partition("?")
    page = Page((await http.get(f"{path}/{team}?{query}")).text)
    data = {
        "_csrf_token": page.fields["_csrf_token"],
        "command_id": uuid.uuid4().hex,
        "text": "  Très utile à la traite.  ",
    }
    saved = await http.post(f"{path}/{team}/feedback?{query}", data=data)
    assert saved.status_code == 303 and "feedback=1" in saved.headers["location"]
    again = await http.get(saved.headers["location"])
    assert "Votre mot est enregistré." in again.text and ">Très utile à la traite.</textarea>" in again.text
    too_long = {**data, "command_id": uuid.uuid4().hex, "text": "x" * 2001}
    refused = await http.post(f"{path}/{team}/feedback?{query}", data=too_long, headers={"Accept": "application/json"})
    assert refused.status_code == 422 and refused.json()["saved"] is False
    line = (await standings(http))[team]
    assert line["feedback"] == ["Très utile à la traite."]
    results_page = await http.get(RESULTS + "/")
    assert (
        "Très utile à la traite." in results_page.text
        and "Claire" not in results_page.text.split("Les mots du jury")[1]
    )
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    late = {**data, "command_id": uuid.uuid4().hex, "text": "Trop tard"}
    closed = await http.post(f"{path}/{team}/feedback?{query}", data=late, headers={"Accept": "application/json"})
    assert closed.status_code == 409
    assert (await standings(http))[team]["feedback"] == ["Très utile à la traite."]


async def test_the_limits_in_schemas_are_the_ones_the_judging_service_holds_over_nats(jury: Jury, demo: Web) -> None:
    target = {"event": HACKATHON, "juror": jury.juror_id("Claire Moreau"), "team": jury.teams[0]}
    client = await connect(demo.nats_url, "test-limits")
    try:

        async def refusal(subject: str, **fields: object) -> tuple[str, str | None, str | None]:
            payload = {"command_id": uuid.uuid4().hex, **target, **fields}
            reply = await client.request(subject, msgspec.json.encode(payload), timeout=5)
            error = msgspec.json.decode(reply.data, type=ErrorReply)
            return error.code, error.field, error.key

        too_high = await refusal(Judging.SCORE, criterion="utilite", points=MAX_POINTS + 1)
        assert too_high == ("invalid", "points", None)
        # Within MAX_POINTS, a score still answers to its criterion's own scale (10 for this one).
        assert await refusal(Judging.SCORE, criterion="utilite", points=MAX_POINTS) == (
            "invalid",
            "points",
            "judging_points_range",
        )
        too_long = await refusal(Judging.FEEDBACK, text="x" * (MAX_FEEDBACK_LENGTH + 1))
        assert too_long == ("invalid", "text", "too_long")
        longest = msgspec.convert(
            {"command_id": uuid.uuid4().hex, **target, "text": "x" * MAX_FEEDBACK_LENGTH}, GiveFeedback
        )
        sheet = await call(client, Judging.FEEDBACK, longest, Sheet)
        assert len(sheet.feedback[jury.teams[0]]) == MAX_FEEDBACK_LENGTH
    finally:
        await client.drain()


async def test_once_published_a_teams_members_read_its_rank_and_the_jurys_words(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    team = jury.teams[1]
    person = await mentor_in(demo, http, team)
    team_page = person["manage_url"].replace(f"/r/{person['id']}?", f"/r/{person['id']}/team?")
    link = jury.link("Claire Moreau")
    for t, points in zip(jury.teams, ("9", "5", "7"), strict=True):
        for criterion in CRITERIA:
            assert (
                await score(http, link, t, criterion, min(points, "5") if criterion == "pitch" else points)
            ).status_code == 303
    path, _, query = link.partition("?")
    fields = Page((await http.get(f"{path}/{team}?{query}")).text).fields
    words = {"_csrf_token": fields["_csrf_token"], "command_id": uuid.uuid4().hex, "text": "Belle idée, à creuser."}
    assert (await http.post(f"{path}/{team}/feedback?{query}", data=words)).status_code == 303
    assert "Le verdict du jury" not in (await http.get(team_page)).text  # nothing before publication
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303
    page = html.unescape((await http.get(team_page)).text)
    assert "Votre équipe est classée 3 sur 3." in page and "Belle idée, à creuser." in page
    assert "Claire" not in page


async def test_several_jurors_sheets_come_in_one_answer_in_the_order_asked(
    demo: Web,
    jury: Jury,
    http: httpx.AsyncClient,
) -> None:
    assert (await score(http, jury.link("Marc Dubois"), jury.teams[1], "pitch", "4")).status_code == 303
    claire, marc = jury.juror_id("Claire Moreau"), jury.juror_id("Marc Dubois")
    client = await connect(demo.nats_url, "test-sheets")
    try:
        both = await call(client, Judging.SHEETS, GetSheets(event=HACKATHON, jurors=[marc, claire]), Sheets)
        alone = [await call(client, Judging.SHEET, GetSheet(event=HACKATHON, juror=j), Sheet) for j in (marc, claire)]
        with pytest.raises(ServiceError) as refused:
            await call(client, Judging.SHEETS, GetSheets(event="nothing-here", jurors=[marc]), Sheets)
    finally:
        await client.drain()
    assert both.sheets == alone
    assert [(s.team, s.criterion, s.points) for s in both.sheets[0].scores] == [(jury.teams[1], "pitch", 4)]
    assert both.sheets[1].scores == []
    assert refused.value.reply.code == "not_found"


async def withdraw_form(http: httpx.AsyncClient, link: str, team: str, criterion: str) -> tuple[str, dict[str, str]]:
    """The withdraw form of `criterion` on the team's page, as a browser sends it: action and fields."""
    path, _, query = link.partition("?")
    page = await http.get(f"{path}/{team}?{query}&c={criterion}")
    assert page.status_code == 200, page.text
    found = re.search(
        rf'<form method="post" action="([^"]+)" id="withdraw-{criterion}"[^>]*>(.*?)</form>', page.text, re.S
    )
    assert found, "no withdraw form"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(2)))
    return html.unescape(found.group(1)), fields


async def test_a_juror_withdraws_a_score_and_the_standings_and_sheet_forget_it(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    claire, marc, team = jury.link("Claire Moreau"), jury.link("Marc Dubois"), jury.teams[0]
    for criterion, points in (("utilite", "8"), ("pitch", "4")):
        assert (await score(http, claire, team, criterion, points)).status_code == 303
    assert (await score(http, marc, team, "pitch", "2")).status_code == 303
    before = (await standings(http))[team]
    assert before["given"] == 3
    path, _, query = claire.partition("?")
    page = await http.get(f"{path}/{team}?{query}&c=pitch")
    assert "Retirer ma note" in page.text and 'form="withdraw-pitch"' in page.text
    assert 'form="withdraw-realisation"' not in page.text  # nothing given there: nothing to take back

    action, fields = await withdraw_form(http, claire, team, "pitch")
    withdrawn = await http.post(action, data=fields)
    assert withdrawn.status_code == 303 and withdrawn.headers["location"].endswith("&c=pitch&withdrawn=pitch")
    after_page = Page((await http.get(withdrawn.headers["location"])).text)
    assert after_page.text_of("saved-pitch") == "Votre note est retirée : ce critère compte comme non noté."
    assert 'form="withdraw-pitch"' not in after_page.source
    line = (await standings(http))[team]
    pitch = next(c for c in line["criteria"] if c["criterion"] == "pitch")  # type: ignore[attr-defined]
    assert pitch == {"criterion": "pitch", "average": 2.0, "count": 1} and line["given"] == 2
    overview = await http.get(claire)
    assert "1 critère(s) noté(s) sur 4" in overview.text
    reply = await http.get(f"/api/v1/events/{HACKATHON}/standings")
    progress = {p["juror"]: p["given"] for p in reply.json()["jurors"]}
    assert progress[jury.juror_id("Claire Moreau")] == 1

    # The same form sent twice (a double tap): its first outcome stands, nothing more changes.
    again = await http.post(action, data=fields)
    assert again.status_code == 303
    assert (await standings(http))[team] == line
    # A new withdraw of a score no longer there: a clear refusal by the criterion, in the page's language.
    _, fresh = await withdraw_form(http, claire, team, "utilite")
    nothing = await http.post(action, data={**fresh, "criterion": "pitch"})
    assert nothing.status_code == 422
    assert Page(nothing.text).text_of("err-pitch") == (
        "Vous n'avez pas (ou plus) de note pour ce critère : rien à retirer."
    )
    english = await http.post(
        action + "&lang=en",
        data={**fresh, "criterion": "pitch", "command_id": uuid.uuid4().hex},
        headers={"Accept": "application/json", "Accept-Language": "en"},
    )
    assert english.status_code == 409
    assert english.json() == {
        "saved": False,
        "field": "criterion",
        "message": "You have no score (or no longer) for this criterion: nothing to withdraw.",
    }
    # Given again, the score counts again: correcting works after a withdrawal.
    assert (await score(http, claire, team, "pitch", "5")).status_code == 303
    pitch = next(c for c in (await standings(http))[team]["criteria"] if c["criterion"] == "pitch")  # type: ignore[attr-defined]
    assert pitch == {"criterion": "pitch", "average": 3.5, "count": 2}


async def test_once_judging_is_closed_a_score_cannot_be_withdrawn(jury: Jury, http: httpx.AsyncClient) -> None:
    link, team = jury.link("Marc Dubois"), jury.teams[1]
    assert (await score(http, link, team, "pitch", "3")).status_code == 303
    action, fields = await withdraw_form(http, link, team, "pitch")
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    before = await standings(http)
    refused = await http.post(action, data=fields)
    assert refused.status_code == 422
    assert Page(refused.text).text_of("err-pitch") == "Le jury a terminé : les notes ne peuvent plus être modifiées."
    assert "Retirer ma note" not in refused.text
    script = await http.post(
        action, data={**fields, "command_id": uuid.uuid4().hex}, headers={"Accept": "application/json"}
    )
    assert script.status_code == 409 and script.json()["saved"] is False
    assert await standings(http) == before


async def test_a_team_marked_absent_by_a_juror_leaves_the_standings_until_the_organiser_undoes_it(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    link, team = jury.link("Claire Moreau"), jury.teams[2]
    assert (await score(http, link, team, "pitch", "1")).status_code == 303
    path, _, query = link.partition("?")
    page = Page((await http.get(f"{path}/{team}?{query}")).text)
    assert page.by_id["absent"]["action"].endswith(f"/{team}/absent?{query}")
    data = {"_csrf_token": page.fields["_csrf_token"], "command_id": uuid.uuid4().hex}
    marked = await http.post(f"{path}/{team}/absent?{query}", data=data)
    assert marked.status_code == 303
    again = Page((await http.get(marked.headers["location"])).text)
    assert "Équipe marquée absente" in again.text_of("absent-note") and "absent" not in again.by_id
    reply = (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()
    assert team not in {line["team"]["id"] for line in reply["standings"]}  # not a zero at the bottom
    assert [t["id"] for t in reply["absent"]] == [team]
    assert "absente" in (await http.get(link)).text
    results = Page((await http.get(RESULTS + "/")).text)
    assert "Hors classement" in results.text and "Météo Locale — absente" in results.text
    # While absent, nobody scores it.
    refused = await score(http, link, team, "utilite", "5")
    assert refused.status_code == 422
    assert (
        Page(refused.text).text_of("err-utilite") == "Cette équipe est marquée absente : elle ne peut pas être notée."
    )
    # The organiser sees it on the jury page and undoes it: it is back with its scores.
    jury_page = Page((await http.get(JURY + "/")).text)
    assert "absente" in jury_page.text_of(f"absent-{team}") and "Annuler l'absence" in jury_page.text_of(
        f"absent-{team}"
    )
    undo = await post_form(http, JURY + "/", f"{JURY}/absent/{team}", absent="0")
    assert undo.status_code == 303 and "saved=present" in undo.headers["location"]
    line = (await standings(http))[team]
    assert line["given"] == 1
    assert (await score(http, link, team, "utilite", "5")).status_code == 303


async def test_the_organiser_marks_a_team_absent_and_a_closed_judging_refuses_it(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    team = jury.teams[1]
    marked = await post_form(http, JURY + "/", f"{JURY}/absent/{team}", absent="1")
    assert marked.status_code == 303 and "saved=absent" in marked.headers["location"]
    assert team not in await standings(http)
    # A juror cannot take the absence back.
    link = jury.link("Marc Dubois")
    path, _, query = link.partition("?")
    page = Page((await http.get(f"{path}/{team}?{query}")).text)
    assert "absent" not in page.by_id  # no button once absent
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    refused = await post_form(http, JURY + "/", f"{JURY}/absent/{team}", absent="0")
    assert refused.status_code == 409
    assert Page(refused.text).text_of("err-absent") == "Le jury a terminé : les notes ne peuvent plus être modifiées."
    assert team not in await standings(http)


async def test_published_results_list_an_absent_team_apart_and_tell_its_members(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    absent, scored = jury.teams[1], [jury.teams[0], jury.teams[2]]
    person = await mentor_in(demo, http, absent)
    team_page = person["manage_url"].replace(f"/r/{person['id']}?", f"/r/{person['id']}/team?")
    link = jury.link("Claire Moreau")
    for team, points in zip(scored, ("4", "2"), strict=True):
        assert (await score(http, link, team, "pitch", points)).status_code == 303
    assert (await post_form(http, JURY + "/", f"{JURY}/absent/{absent}", absent="1")).status_code == 303
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303
    published = (await http.get(f"/api/v1/events/{HACKATHON}/results")).json()
    assert [line["team"] for line in published["lines"]] == scored  # not a zero at the bottom
    assert [a["team"] for a in published["absent"]] == [absent]
    public = Page((await http.get(f"/e/{HACKATHON}/results")).text)
    assert "Circuit Malin" in public.text_of("absent") and "non pas notées zéro" in public.text_of("absent")
    member = Page((await http.get(team_page)).text)
    assert "Votre équipe ne s'est pas présentée devant le jury" in member.text_of("outcome")
    assert "Votre équipe est classée" not in member.text_of("outcome")
    english = Page((await http.get(f"/e/{HACKATHON}/results", params={"lang": "en"})).text)
    assert "Absent teams" in english.text_of("absent")


async def test_a_juror_given_only_chosen_teams_with_none_ticked_has_an_empty_sheet(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    """« Seulement celles-ci » with no team ticked is a sheet with nothing on it, not an error page."""
    marc = jury.juror_id("Marc Dubois")
    saved = await post_form(http, JURY + "/", f"{JURY}/assign/{marc}")
    assert saved.status_code == 303
    sheet = (await http.get(jury.link("Marc Dubois"))).text
    assert all(name not in sheet for name in ("Les Trayeurs", "Météo Locale", "Circuit Malin"))
    assert (await standings(http))[jury.teams[0]]["expected"] == 4  # Claire alone scores it now
