"""Judging tracks over real NATS, JetStream and HTTP: the organiser gives a juror challenges,
their sheet keeps only those teams, and the standings rank each challenge apart beside the
overall ranking, on the organiser's pages (French and English) and in the JSON API."""

import html
import re
import uuid

import httpx
import msgspec
import pytest

from schemas.judging import GetSheet, GetStandings, GiveScore, GiveTracks, Sheet, Standings
from schemas.subjects import Judging, Teams
from schemas.teams import CreateTeam, TeamList
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import CRITERIA, JURY, RESULTS, Jury, jury, post_form
from tests.integration.test_printouts import pages_of

__all__ = ["jury"]  # the fixture, shared with the judging tests

# Teams on the hackathon's challenges (events/hackathon-comice-2027.toml), beside the jury
# fixture's three teams, which are on none.
ON_CHALLENGES = {"lait-malin": ("Lait Malin", "traite"), "traite-facile": ("Traite Facile", "traite")}
ON_CHALLENGES |= {"vente-directe": ("Vente Directe", "circuit-court")}
# Points each team gets from every juror who has it on their sheet.
POINTS = {"lait-malin": 4, "traite-facile": 8, "vente-directe": 6, "les-trayeurs": 9, "circuit-malin": 5}


@pytest.fixture
async def tracked(jury: Jury, demo: Web) -> Jury:
    """The jury fixture's event with three more teams, each on a challenge."""
    nc = await connect(demo.nats_url, "test-tracks")
    try:
        for team_id, (name, challenge) in ON_CHALLENGES.items():
            command = CreateTeam(
                command_id=uuid.uuid4().hex,
                event=HACKATHON,
                team_id=team_id,
                name=name,
                challenge=challenge,
                by_organiser="o",
            )
            await call(nc, Teams.CREATE, command, TeamList)
    finally:
        await nc.drain()
    return jury


async def score_sheets(demo: Web, jury: Jury) -> None:
    """Each juror scores every team on their sheet (as judging has it), on every criterion."""
    nc = await connect(demo.nats_url, "test-scores")
    try:
        for name in jury.jurors:
            juror = jury.juror_id(name)
            sheet = await call(nc, Judging.SHEET, GetSheet(event=HACKATHON, juror=juror), Sheet)
            for team in sheet.teams:
                for criterion in CRITERIA:
                    points = min(POINTS.get(team.id, 3), 5 if criterion == "pitch" else 10)
                    command = GiveScore(
                        command_id=uuid.uuid4().hex,
                        event=HACKATHON,
                        juror=juror,
                        team=team.id,
                        criterion=criterion,
                        points=points,
                    )
                    await call(nc, Judging.SCORE, command, Sheet)
    finally:
        await nc.drain()


async def test_tracks_given_over_nats_narrow_the_sheet_and_rank_each_challenge_apart(tracked: Jury, demo: Web) -> None:
    marc, claire = tracked.juror_id("Marc Dubois"), tracked.juror_id("Claire Moreau")
    nc = await connect(demo.nats_url, "test-tracks")
    try:
        give = GiveTracks(command_id=uuid.uuid4().hex, event=HACKATHON, juror=marc, tracks=["traite"], by_organiser="o")
        answer = await call(nc, Judging.TRACKS, give, Standings)
        assert next(p for p in answer.jurors if p.juror == marc).tracks == ["traite"]
        # The same command again changes nothing; the same id for other tracks is refused.
        again = await call(nc, Judging.TRACKS, give, Standings)
        assert next(p for p in again.jurors if p.juror == marc).tracks == ["traite"]
        with pytest.raises(ServiceError) as reused:
            await call(nc, Judging.TRACKS, msgspec.structs.replace(give, tracks=["circuit-court"]), Standings)
        assert reused.value.reply.key == "command_id_reused"
        # A challenge the event does not have is refused, naming it, and nothing changes.
        unknown = GiveTracks(
            command_id=uuid.uuid4().hex, event=HACKATHON, juror=marc, tracks=["traite", "nope"], by_organiser="o"
        )
        with pytest.raises(ServiceError) as refused:
            await call(nc, Judging.TRACKS, unknown, Standings)
        assert (refused.value.reply.key, refused.value.reply.field) == ("judging_no_track", "tracks[1]")
        sheet = await call(nc, Judging.SHEET, GetSheet(event=HACKATHON, juror=marc), Sheet)
        assert sorted(t.id for t in sheet.teams) == ["lait-malin", "traite-facile"]
        claire_sheet = await call(nc, Judging.SHEET, GetSheet(event=HACKATHON, juror=claire), Sheet)
        assert len(claire_sheet.teams) == 6  # no tracks: every challenge, and the teams on none
        # Marc may not score a team of another challenge.
        off_track = GiveScore(
            command_id=uuid.uuid4().hex, event=HACKATHON, juror=marc, team="vente-directe", criterion="pitch", points=3
        )
        with pytest.raises(ServiceError) as not_his:
            await call(nc, Judging.SCORE, off_track, Sheet)
        assert not_his.value.reply.key == "judging_not_assigned"
        await score_sheets(demo, tracked)
        standings = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON, jurors=[marc, claire]), Standings)
    finally:
        await nc.drain()
    assert len(standings.standings) == 6 and standings.model
    tracks = {t.challenge: t for t in standings.tracks}
    assert list(tracks) == ["traite", "circuit-court", "meteo-parcelle"]
    assert tracks["traite"].title_en == "Paperless milking records"
    traite = tracks["traite"].standings
    assert [(s.team.id, s.rank) for s in traite] == [("traite-facile", 1), ("lait-malin", 2)]
    # Both jurors judge « traite »; only Claire « circuit-court ».
    assert [s.expected for s in traite] == [2 * len(CRITERIA)] * 2
    assert [(s.team.id, s.rank, s.expected) for s in tracks["circuit-court"].standings] == [
        ("vente-directe", 1, len(CRITERIA))
    ]
    assert tracks["meteo-parcelle"].standings == []
    # The overall ranking places everybody among everybody: the challenge's second is lower there.
    overall = {s.team.id: s.rank for s in standings.standings}
    assert overall["les-trayeurs"] == 1 and overall["lait-malin"] > 2


async def test_the_organiser_gives_tracks_on_the_jury_page_and_sees_each_challenge_ranked(
    tracked: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    marc = tracked.juror_id("Marc Dubois")
    page = html.unescape((await http.get(JURY + "/")).text)
    assert page.count("Défis à juger") == 2 and page.count("Défis jugés : tous les défis") == 2
    assert f'action="/organiser/e/{HACKATHON}/jury/tracks/{marc}"' in page
    given = await post_form(http, JURY + "/", f"{JURY}/tracks/{marc}", track="traite")
    assert given.status_code == 303 and given.headers["location"].endswith(f"#j-{marc}")
    page = html.unescape((await http.get(JURY + "/?saved=tracks")).text)
    assert "Défis jugés : Suivre la traite sans papier" in page
    assert re.search(r'value="traite" checked', page) and "sa fiche ne garde que leurs équipes" in page
    # Marc's own sheet keeps the teams of « traite » alone.
    sheet = html.unescape((await http.get(tracked.link("Marc Dubois"))).text)
    assert "Lait Malin" in sheet and "Traite Facile" in sheet
    assert "Vente Directe" not in sheet and "Les Trayeurs" not in sheet
    # And so does his paper sheet (one page per juror, by name: Claire, then Marc).
    claire_paper, marc_paper = pages_of(await http.get(f"{JURY}/sheets.pdf"))
    assert "Lait Malin" in marc_paper and "Vente Directe" not in marc_paper and "Les Trayeurs" not in marc_paper
    assert "Vente Directe" in claire_paper and "Les Trayeurs" in claire_paper
    # A forged challenge is refused in the organiser's language, next to the juror, and changes nothing.
    forged = await post_form(http, JURY + "/", f"{JURY}/tracks/{marc}", track="nope")
    assert forged.status_code == 422 and "Ce défi n'existe pas pour cet événement." in html.unescape(forged.text)
    assert f'id="err-tracks-{marc}"' in forged.text
    script = await post_form(http, JURY + "/", f"{JURY}/tracks/{marc}", track="<script>alert(1)</script>")
    assert script.status_code == 422 and "<script>alert(1)" not in script.text
    many = await post_form(http, JURY + "/", f"{JURY}/tracks/{marc}", track=["traite"] * 101)
    assert many.status_code == 422
    english = html.unescape((await http.get(JURY + "/?lang=en")).text)
    assert "Challenges judged: Paperless milking records" in english and "Challenges to judge" in english
    forged_en = await post_form(http, JURY + "/", f"{JURY}/tracks/{marc}?lang=en", track="nope")
    assert forged_en.status_code == 422 and "This challenge does not exist for this event." in forged_en.text
    # The language chosen stays (a cookie): French again, explicitly.
    assert "Défis jugés : Suivre la traite sans papier" in html.unescape((await http.get(JURY + "/?lang=fr")).text)

    await score_sheets(demo, tracked)
    results = html.unescape((await http.get(RESULTS + "/")).text)
    assert "Classement par défi" in results and "Classement provisoire" in results
    traite = _section(results, "traite")
    assert "Suivre la traite sans papier" in traite and traite.index("Traite Facile") < traite.index("Lait Malin")
    assert "Vente Directe" not in traite and "Les Trayeurs" not in traite
    assert "Vente Directe" in _section(results, "circuit-court")
    assert "Aucune équipe pour le moment." in _section(results, "meteo-parcelle")
    english = html.unescape((await http.get(RESULTS + "/?lang=en")).text)
    assert "Ranking per challenge" in english and "Paperless milking records" in _section(english, "traite")
    # The live refresh fetches the same sections.
    fragment = html.unescape((await http.get(RESULTS + "/?part=standings&lang=fr")).text)
    assert "Classement par défi" in fragment and _section(fragment, "traite") == traite
    # The JSON API gives the tracks beside the overall ranking.
    api = (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()
    assert [t["challenge"] for t in api["tracks"]] == ["traite", "circuit-court", "meteo-parcelle"]
    assert [s["team"]["id"] for s in api["tracks"][0]["standings"]] == ["traite-facile", "lait-malin"]
    assert len(api["standings"]) == 6
    assert next(j for j in api["jurors"] if j["juror"] == marc)["tracks"] == ["traite"]
    # Ticking none gives every challenge back.
    assert (await post_form(http, JURY + "/", f"{JURY}/tracks/{marc}")).status_code == 303
    assert html.unescape((await http.get(JURY + "/?lang=fr")).text).count("Défis jugés : tous les défis") == 2


def _section(page: str, challenge: str) -> str:
    """One challenge's section of the standings."""
    start = page.index(f'<section id="track-{challenge}">')
    return page[start : page.index("</section>", start)]


async def test_published_results_rank_each_challenge_apart_beside_the_overall_ranking(
    tracked: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    await score_sheets(demo, tracked)
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303
    published = (await http.get(f"/api/v1/events/{HACKATHON}/results")).json()
    tracks = {t["challenge"]: [line["team"] for line in t["lines"]] for t in published["tracks"]}
    # Only challenges with scored teams, each with its own teams alone, best first.
    assert tracks == {"traite": ["traite-facile", "lait-malin"], "circuit-court": ["vente-directe"]}
    assert [line["rank"] for line in published["tracks"][0]["lines"]] == [1, 2]
    page = html.unescape((await http.get(f"/e/{HACKATHON}/results")).text)
    traite = page[page.index('id="track-traite"') :].split("</section>")[0]
    assert "Traite Facile" in traite and "Lait Malin" in traite and "Vente Directe" not in traite
    assert "Les Trayeurs" in page  # and the overall ranking keeps every scored team
