"""The organiser imports the paper sheets in a real Chromium: a bad file first (each row and
problem listed, nothing imported), then the corrected file (the count, and the standings)."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.test_jury_in_chromium import assert_accessible, juror_link
from tests.browser.test_registration_in_chromium import login
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import JURY, create_teams

pytestmark = pytest.mark.browser


async def test_the_organiser_uploads_the_paper_scores_and_the_standings_follow(
    demo: Web, page: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    [team, _] = await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    bad = tmp_path / "fiches.csv"
    bad.write_text("juror,team,criterion,score\nClaire Moreau,Les Trayeurs,utilite,8\nClaire Moreau,Inconnue,pitch,3\n")
    await login(page, demo.url)
    await page.goto(f"{demo.url}{JURY}/?lang=fr")
    form = page.locator("form[action$='/jury/import']")
    await form.locator("input[type=file]").set_input_files(str(bad))
    await form.get_by_role("button", name="Importer les notes").click()
    alert = page.locator("#err-paper")
    assert "Ligne 3 : Cette équipe n'est pas connue pour cet événement." in await alert.inner_text()
    assert "Ligne 2" not in await alert.inner_text()
    await assert_accessible(page)
    reply = (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()
    assert all(line["given"] == 0 for line in reply["standings"])

    good = tmp_path / "fiches-corrigees.csv"
    good.write_text(
        "juror,team,criterion,score\nClaire Moreau,Les Trayeurs,utilite,8\nClaire Moreau,Les Trayeurs,pitch,3\n"
    )
    form = page.locator("form[action$='/jury/import']")
    await form.locator("textarea").fill("")
    await form.locator("input[type=file]").set_input_files(str(good))
    await form.get_by_role("button", name="Importer les notes").click()
    await page.get_by_role("status").filter(has_text="2 notes papier importées.").wait_for()
    reply = (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()
    assert next(line["given"] for line in reply["standings"] if line["team"]["id"] == team) == 2
