"""The organiser's standings over real HTTP and NATS: the jury model's order, its certainty, the raw mean beside it."""

import html
import uuid

import httpx

from schemas.judging import CloseJudging, GiveScore, Sheet, Standings
from schemas.subjects import Judging
from services.kit.client import call
from services.kit.connection import connect
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import CRITERIA, RESULTS, Jury, jury, post_form, standings

__all__ = ["jury"]  # the fixture, shared with the judging tests

# Claire gives a lot, Marc little; both find Les Trayeurs and Circuit Malin as good, Météo Locale weaker.
# Points for the jury fixture's teams, in its order: Les Trayeurs, Circuit Malin, Météo Locale.
SCORES = {"Claire Moreau": [9, 9, 6], "Marc Dubois": [4, 4, 1]}


async def give_scores(demo: Web, jury: Jury) -> None:
    nc = await connect(demo.nats_url, "test-scores")
    try:
        for name, given in SCORES.items():
            for team, points in zip(jury.teams, given, strict=True):
                for criterion in CRITERIA:
                    top = 5 if criterion == "pitch" else 10
                    command = GiveScore(
                        command_id=uuid.uuid4().hex,
                        event=HACKATHON,
                        juror=jury.juror_id(name),
                        team=team,
                        criterion=criterion,
                        points=min(points, top),
                    )
                    await call(nc, Judging.SCORE, command, Sheet)
    finally:
        await nc.drain()


async def test_the_standings_say_too_close_to_call_and_keep_the_raw_mean_beside(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    await give_scores(demo, jury)
    lines = await standings(http)
    top, second, third = (lines[team] for team in jury.teams)
    assert top["rank"] == second["rank"] == 1 and third["rank"] == 3
    assert top["too_close"] and second["too_close"] and (top["rank_best"], top["rank_worst"]) == (1, 2)
    assert top["jurors"] == 2 and top["score"] is not None and third["score"] < top["score"]
    assert top["total"] != top["score"]  # the raw mean is kept as it was
    page = html.unescape((await http.get(RESULTS + "/")).text)
    assert "Score corrigé / 100" in page and "Moyenne brute / 100" in page
    assert page.count("trop serré pour trancher") == 2 and "places 1 à 2" in page
    assert page.index("Les Trayeurs") < page.index("Météo Locale")
    english = html.unescape((await http.get(RESULTS + "/?lang=en")).text)
    assert "Corrected score / 100" in english and "Raw mean / 100" in english
    assert english.count("too close to call") == 2 and "places 1 to 2" in english
    sheet = (await http.get(f"/api/v1/events/{HACKATHON}/standings.csv")).text.splitlines()
    assert sheet[0].endswith(",score corrigé /100,places,jurés,moyenne brute /100,notes")
    line = next(row for row in sheet if row.startswith("1,Les Trayeurs,"))  # equal first, by name after Circuit
    assert line.endswith(f",{top['score']},1 à 2,2,{top['total']},8/8")


async def test_published_results_follow_the_jury_models_order(jury: Jury, demo: Web, http: httpx.AsyncClient) -> None:
    await give_scores(demo, jury)
    nc = await connect(demo.nats_url, "test-close")
    try:
        await call(
            nc, Judging.CLOSE, CloseJudging(command_id=uuid.uuid4().hex, event=HACKATHON, by_organiser="o"), Standings
        )
    finally:
        await nc.drain()
    model = await standings(http)
    assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303
    published = (await http.get(f"/api/v1/events/{HACKATHON}/results")).json()["lines"]
    assert [(line["team"], line["total"]) for line in published] == sorted(
        ((team, line["score"]) for team, line in model.items()), key=lambda item: -item[1]
    )
