"""Teams frozen once judging is closed, over real HTTP, NATS and JetStream: a participant can no
longer join the winning team (even from a page loaded before closing), nor leave one; an organiser
still corrects who is in a team, and the correction shows on the board and on the team's page;
the published ranks and the standings stay what they were."""

import uuid

import httpx
import pytest

from schemas.judging import AssignJuror, Standings
from schemas.subjects import Judging
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import CRITERIA, JURY, RESULTS, Jury, jury, post_form, score, standings
from tests.integration.test_pages import Page
from tests.integration.test_teams import form_fields, register, send

__all__ = ["jury"]  # the fixture, shared with the judging tests

FROZEN_FR = (
    "Le jury est clos : les équipes sont figées. Seule l'organisation peut encore y placer ou en retirer quelqu'un."
)
CORRECTED_FR = "Modifié par l'organisation après la clôture du jury."
BOARD = f"/organiser/e/{HACKATHON}/teams"


async def published_lines(http: httpx.AsyncClient) -> list[tuple[int, str]]:
    page = await http.get(f"/api/v1/events/{HACKATHON}/results")
    assert page.status_code == 200, page.text
    return [(line["rank"], line["team"]) for line in page.json()["lines"]]


async def test_after_closing_teams_are_frozen_for_participants_and_an_organisers_correction_shows(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    winners = jury.teams[0]
    alice, chloe = await register(http, "Alice Martin"), await register(http, "Chloé Durand")
    assert (await send(http, alice, "join", team_id=winners)).status_code == 303
    code = Page((await http.get(alice["team_url"])).text).text_of("team-code")
    # Chloé's page, loaded while judging is open: it still offers to join with a code.
    stale = await http.get(chloe["team_url"])
    join_fields = form_fields(stale.text, f"/r/{chloe['id']}/team/join")

    link = jury.link("Claire Moreau")
    for team, points in zip(jury.teams, ("9", "5", "7"), strict=True):
        for criterion in CRITERIA:
            given = min(points, "5") if criterion == "pitch" else points
            assert (await score(http, link, team, criterion, given)).status_code == 303
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303
    published = await published_lines(http)
    assert published[0] == (1, winners)
    ranks = await standings(http)

    # Joining the winning team by its code, from the page loaded before closing, is refused.
    refused = await http.post(f"/r/{chloe['id']}/team/join", data={**join_fields, "code": code})
    assert refused.status_code == 409
    assert FROZEN_FR in Page(refused.text).text
    page = Page((await http.get(chloe["team_url"])).text)
    assert "teams-frozen" in page.by_id and "classée" not in page.text
    assert f'action="/r/{chloe["id"]}/team/join' not in page.source
    assert f'action="/r/{chloe["id"]}/team/create' not in page.source
    # Nor may a member leave: her team's page offers no way to.
    mine = Page((await http.get(alice["team_url"])).text)
    assert "Quitter l'équipe" not in mine.text and "Votre équipe est classée 1 sur 3." in mine.text
    left = await http.post(
        f"/r/{alice['id']}/team/leave",
        data={"_csrf_token": join_fields["_csrf_token"], "token": alice["token"], "command_id": uuid.uuid4().hex},
    )
    assert left.status_code == 409 and FROZEN_FR in Page(left.text).text

    # The organiser still corrects, visibly: on the board, on the team's page, for whom it concerns.
    board = await http.get(BOARD)
    assert "teams-frozen" in Page(board.text).by_id
    assert f'action="{BOARD}/create"' not in board.text and f'action="{BOARD}/{winners}/disband"' not in board.text
    action = f"{BOARD}/{winners}/place"
    placed = await http.post(action, data={**form_fields(board.text, action), "registration": chloe["id"]})
    assert placed.status_code == 303
    card = Page((await http.get(BOARD)).text).text_of(f"t-{winners}")
    assert CORRECTED_FR in card and "Chloé Durand (placé·e après la clôture du jury)" in card
    assert "Alice Martin (placé" not in card
    theirs = Page((await http.get(alice["team_url"])).text)
    assert theirs.text_of("team-corrected") == CORRECTED_FR
    assert "Votre équipe est classée 1 sur 3." in theirs.text
    hers = Page((await http.get(chloe["team_url"])).text)
    assert hers.text_of("team-title") == "Les Trayeurs" and hers.text_of("team-corrected") == CORRECTED_FR
    assert "Vous avez rejoint l'équipe après la clôture du jury : son classement, arrêté sans vous, est 1 sur 3." in (
        hers.text
    )
    assert "Votre équipe est classée" not in hers.text

    # Disbanding a team would change the standings: even an organiser must reopen the judging first.
    action = f"{BOARD}/{jury.teams[1]}/disband"
    disbanded = await post_form(http, BOARD, action)
    assert disbanded.status_code == 409 and FROZEN_FR in Page(disbanded.text).text
    # So would a juror's new sheet: judging refuses it once closed.
    client = await connect(demo.nats_url, "test-frozen")
    try:
        reassign = AssignJuror(
            command_id=uuid.uuid4().hex,
            event=HACKATHON,
            juror=jury.juror_id("Claire Moreau"),
            teams=[jury.teams[1]],
            by_organiser="o",
        )
        with pytest.raises(ServiceError) as error:
            await call(client, Judging.ASSIGN, reassign, Standings)
        assert error.value.reply.key == "judging_closed"
    finally:
        await client.drain()
    assert await published_lines(http) == published
    assert await standings(http) == ranks
