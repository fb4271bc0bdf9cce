"""Conflicts of interest over real HTTP, NATS and JetStream: a juror who is also in a team (the same
e-mail, written otherwise) never gets it; a juror declares one from their sheet; the organiser's
jury page lists, declares and lifts them; the agenda's generated panels respect them."""

import asyncio
import html
import re
import uuid

import httpx
from nats.aio.msg import Msg

from schemas.judging import Conflicts, GetConflicts, GetSheet, GiveScore, Sheet
from schemas.registration import Register, RegistrationView
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import JoinTeam, Membership
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from tests.conftest import HACKATHON, Web
from tests.demo_events import shifted
from tests.integration.formation_support import answers
from tests.integration.test_judging import JURY, Jury, jury, mentor_in, post_form, standings
from tests.integration.test_pages import Page
from tests.integration.test_printouts import pages_of

__all__ = ["jury"]  # the fixture, imported for the tests below


async def participant_in(demo: Web, team: str, name: str, email: str) -> str:
    """Someone registers as a participant and the organiser places them in `team`."""
    client = await connect(demo.nats_url, "test-conflicts")
    try:
        command = Register(
            command_id=uuid.uuid4().hex,
            event=HACKATHON,
            name=name,
            email=email,
            consent=True,
            category="participant",
            answers=answers(1),  # type: ignore[arg-type]
        )
        person = await call(client, Registration.REGISTER, command, RegistrationView)
        join = JoinTeam(
            command_id=uuid.uuid4().hex, event=HACKATHON, team_id=team, registration=person.id, by_organiser="o"
        )
        await call(client, Teams.JOIN, join, Membership)
        return person.id
    finally:
        await client.drain()


async def test_a_juror_also_in_a_team_never_gets_it_nor_scores_it(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    trayeurs, malin, _ = jury.teams
    claire = jury.juror_id("Claire Moreau")
    client = await connect(demo.nats_url, "test-conflicts")
    try:
        sheet = await call(client, Judging.SHEET, GetSheet(event=HACKATHON, juror=claire), Sheet)
        assert len(sheet.teams) == 3
        # A mentor in another team first: judging now asks registration who is who.
        await mentor_in(demo, http, malin)
        sheet = await call(client, Judging.SHEET, GetSheet(event=HACKATHON, juror=claire), Sheet)
        assert len(sheet.teams) == 3
        # Claire registers as a participant too, her address written otherwise, and joins a team.
        await participant_in(demo, trayeurs, "Claire Moreau", "  CLAIRE@Example.ORG ")
        sheet = await call(client, Judging.SHEET, GetSheet(event=HACKATHON, juror=claire), Sheet)
        assert trayeurs not in [t.id for t in sheet.teams] and [t.id for t in sheet.conflicted] == [trayeurs]
        found = await call(client, Judging.CONFLICTS, GetConflicts(event=HACKATHON), Conflicts)
        mine = [(c.team, c.reason, c.automatic) for c in found.conflicts if c.juror == claire]
        assert mine == [(trayeurs, "member", True)]
        command = GiveScore(
            command_id=uuid.uuid4().hex, event=HACKATHON, juror=claire, team=trayeurs, criterion="pitch", points=3
        )
        try:
            await call(client, Judging.SCORE, command, Sheet)
            raise AssertionError("a conflicted juror scored their own team")
        except ServiceError as refused:
            assert refused.reply.key == "judging_conflict"
    finally:
        await client.drain()
    # Her sheet on the web: the team is not there to score, and its page does not open.
    link = jury.link("Claire Moreau")
    page = await http.get(link)
    assert f'id="t-{trayeurs}"' not in page.text and f'id="t-{malin}"' in page.text
    assert "Les Trayeurs" in Page(page.text).text_of("conflicted")
    path, _, query = link.partition("?")
    assert (await http.get(f"{path}/{trayeurs}?{query}")).status_code == 404
    lines = await standings(http)
    assert lines[trayeurs]["expected"] == 4 and lines[malin]["expected"] == 8  # Marc alone judges Les Trayeurs


async def test_a_juror_who_also_mentors_a_team_is_conflicted_with_it(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    malin = jury.teams[1]
    await mentor_in(demo, http, malin)  # Nina Petit, nina@example.org
    added = await post_form(http, JURY + "/", JURY + "/jurors", name="Nina Petit", email="Nina@example.org")
    assert added.status_code == 303, added.text
    page = Page((await http.get(JURY + "/")).text)
    assert "Nina Petit — Circuit Malin (mentor·e de l'équipe, trouvé d'après les équipes)" in " ".join(
        page.text_of("conflict-list").split()
    )
    # A conflict found from the teams cannot be lifted: no button for it.
    assert "Lever le conflit" not in page.text_of("conflict-list")


async def test_a_juror_declares_a_conflict_from_their_sheet_and_only_the_organiser_lifts_it(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    trayeurs = jury.teams[0]
    link = jury.link("Marc Dubois")
    marc = jury.juror_id("Marc Dubois")
    path, _, query = link.partition("?")
    team_page = Page((await http.get(f"{path}/{trayeurs}?{query}")).text)
    assert "Je ne peux pas juger cette équipe" in team_page.source
    declared = await post_form(
        http, f"{path}/{trayeurs}?{query}", f"{path}/{trayeurs}/conflict?{query}", reason="other"
    )
    assert declared.status_code == 303, declared.text
    sheet = await http.get(declared.headers["location"])
    assert "Conflit d'intérêts déclaré : Les Trayeurs quitte votre fiche." in html.unescape(sheet.text)
    assert f'id="t-{trayeurs}"' not in sheet.text
    # In English too.
    english = await http.get(f"{link}&lang=en")
    assert "Teams you do not judge" in english.text
    # The organiser's page lists it, with its reason, in French and in English.
    page = Page((await http.get(JURY + "/?lang=fr")).text)
    assert "Marc Dubois — Les Trayeurs (autre raison)" in " ".join(page.text_of(f"conflict-{marc}-{trayeurs}").split())
    english_page = Page((await http.get(JURY + "/?lang=en")).text)
    assert "Conflicts of interest" in english_page.source
    assert "Marc Dubois — Les Trayeurs (another reason)" in " ".join(
        english_page.text_of(f"conflict-{marc}-{trayeurs}").split()
    )
    assert (await standings(http))[trayeurs]["expected"] == 4
    lifted = await post_form(http, JURY + "/", JURY + "/conflict", juror=marc, team=trayeurs, conflicted="0")
    assert lifted.status_code == 303 and "saved=conflict_lifted" in lifted.headers["location"]
    assert "The conflict of interest is lifted." in html.unescape((await http.get(lifted.headers["location"])).text)
    assert f'id="t-{trayeurs}"' in (await http.get(link)).text
    assert (await standings(http))[trayeurs]["expected"] == 8


async def test_the_organiser_declares_a_conflict_and_cannot_then_assign_that_team(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    trayeurs, malin, _ = jury.teams
    claire = jury.juror_id("Claire Moreau")
    declared = await post_form(http, JURY + "/", JURY + "/conflict", juror=claire, team=malin, reason="mentor")
    assert declared.status_code == 303, declared.text
    sheet = await http.get(jury.link("Claire Moreau"))
    assert f'id="t-{malin}"' not in sheet.text and "Circuit Malin" in Page(sheet.text).text_of("conflicted")
    page = Page((await http.get(JURY + "/?lang=fr")).text)
    assert page.text_of(f"conflicts-{claire}").startswith("Conflit d'intérêts, ne juge pas : Circuit Malin")
    # Its box cannot be ticked; a form sent anyway is refused, said by the juror's teams.
    assert re.search(rf'<input type="checkbox" name="team" value="{malin}" disabled>', page.source)
    assign = await post_form(http, JURY + "/", f"{JURY}/assign/{claire}", all="0", team=malin)
    assert assign.status_code == 409
    expected = "Ce membre du jury a un conflit d'intérêts avec cette équipe : elle ne peut pas lui être attribuée."
    assert Page(assign.text).text_of(f"err-assign-{claire}") == expected
    unknown = await post_form(http, JURY + "/", JURY + "/conflict", juror="nobody-at-all", team=trayeurs)
    assert unknown.status_code == 404


async def test_generated_pitch_panels_never_seat_a_registered_juror_before_a_team_they_may_not_judge(
    jury: Jury, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    trayeurs = jury.teams[0]
    claire = jury.juror_id("Claire Moreau")
    declared = await post_form(http, JURY + "/", JURY + "/conflict", juror=claire, team=trayeurs)
    assert declared.status_code == 303, declared.text
    agenda_page = f"/organiser/e/{HACKATHON}/agenda/"
    assert (await post_form(http, agenda_page, f"/organiser/e/{HACKATHON}/agenda/teams/import")).status_code == 303
    plan = {
        "starts_at": shifted("2027-06-13T14:00:00")[:16],
        "rooms": "amphi",
        "jurors_per_team": "1",
        "pitch_minutes": "10",
        "changeover_minutes": "5",
        "break_every": "0",
        "break_minutes": "15",
        "deliberation_minutes": "0",
    }
    generated = await post_form(http, agenda_page, f"/organiser/e/{HACKATHON}/agenda/rounds", **plan)
    assert generated.status_code == 303, generated.text

    async def seated() -> dict[str, list[str]]:
        draft = (await http.get(f"/api/v1/events/{HACKATHON}/agenda/draft")).json()["agenda"]
        registration_of = {p["id"]: p["registration"] for p in draft["people"]}
        contributor = next(p for p in draft["people"] if p["registration"] == claire)
        assert trayeurs in contributor["conflicts"]
        return {
            s["team"]: [registration_of[p] for p in s["people"]]
            for s in draft["sessions"]
            if s["kind"] == "pitch" and s["origin"] == "generated"
        }

    panels = await seated()
    assert sorted(panels) == sorted(jury.teams)
    assert claire not in panels[trayeurs] and panels[trayeurs] == [jury.juror_id("Marc Dubois")]
    # The API's rounds too, with two jurors per team: Les Trayeurs has only Marc, so it is refused.
    body = {
        "starts_at": shifted("2027-06-13T14:00:00"),
        "rooms": ["amphi"],
        "jurors_per_team": 2,
    }
    headers = {**organiser_headers, "Idempotency-Key": uuid.uuid4().hex}
    refused = await http.post(f"/api/v1/events/{HACKATHON}/agenda/rounds", json=body, headers=headers)
    assert refused.status_code == 409 and "Les Trayeurs" in refused.text, refused.text
    body["jurors_per_team"] = 1
    headers = {**organiser_headers, "Idempotency-Key": uuid.uuid4().hex}
    again = await http.post(f"/api/v1/events/{HACKATHON}/agenda/rounds", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert claire not in (await seated())[trayeurs]


async def test_the_paper_sheets_leave_out_a_jurors_conflicted_team(jury: Jury, http: httpx.AsyncClient) -> None:
    claire = jury.juror_id("Claire Moreau")
    declared = await post_form(http, JURY + "/", JURY + "/conflict", juror=claire, team=jury.teams[0])
    assert declared.status_code == 303, declared.text
    claire_page, marc_page = pages_of(await http.get(f"{JURY}/sheets.pdf"))
    assert "Claire Moreau" in claire_page and "Les Trayeurs" not in claire_page and "Circuit Malin" in claire_page
    assert "Les Trayeurs" in marc_page


async def test_scores_do_not_ask_registration_again_until_someone_changes(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    trayeurs, malin, meteo = jury.teams
    marc = jury.juror_id("Marc Dubois")
    client = await connect(demo.nats_url, "test-conflicts")
    asked = asyncio.Queue[bytes]()

    async def heard(msg: Msg) -> None:
        await asked.put(msg.data)

    try:
        # A listener beside registration's own (it never answers): it hears every LIST judging asks.
        listening = await client.subscribe(Registration.LIST, cb=heard)
        await mentor_in(demo, http, malin)  # someone in a team: judging now needs the e-mails
        await call(client, Judging.SHEET, GetSheet(event=HACKATHON, juror=marc), Sheet)
        await asyncio.wait_for(asked.get(), timeout=5)
        for team, criterion in ((trayeurs, "pitch"), (meteo, "pitch"), (trayeurs, "utilite")):
            command = GiveScore(
                command_id=uuid.uuid4().hex, event=HACKATHON, juror=marc, team=team, criterion=criterion, points=3
            )
            await call(client, Judging.SCORE, command, Sheet)
        # Someone joins a team: the conflicts are looked for again.
        await participant_in(demo, meteo, "Léa Martin", "lea@example.org")
        await call(client, Judging.SHEET, GetSheet(event=HACKATHON, juror=marc), Sheet)
        await asyncio.wait_for(asked.get(), timeout=5)
        await client.flush()
        # One LIST then, none for the three scores (messages on one subscription keep their order).
        assert asked.empty()
        await listening.unsubscribe()
    finally:
        await client.drain()


async def test_once_judging_is_closed_a_juror_declares_no_conflict_and_is_told_why(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    trayeurs = jury.teams[0]
    link = jury.link("Claire Moreau")
    path, _, query = link.partition("?")
    form_page = f"{path}/{trayeurs}?{query}"
    token = Page((await http.get(form_page)).text).fields["_csrf_token"]
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    assert 'id="conflict"' not in (await http.get(form_page)).text
    data = {"_csrf_token": token, "command_id": uuid.uuid4().hex, "reason": "other"}
    refused = await http.post(f"{path}/{trayeurs}/conflict?{query}", data=data)
    assert refused.status_code == 422  # the form's page again, with why
    assert Page(refused.text).text_of("err-conflict") == "Le jury a terminé : les notes ne peuvent plus être modifiées."
    assert f'id="t-{trayeurs}"' in (await http.get(link)).text
