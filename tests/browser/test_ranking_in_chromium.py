"""Ranking the hackathon's challenges (issue 13) in a real Chromium: on a phone, without JavaScript,
one select per place, refused next to the question when a challenge is ranked twice (the places
kept), then registered, and the organiser's CSV reads the ranking in the organiser's language."""

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, Web

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


async def fill_participant(page: Any) -> None:
    await page.fill("#f-name", "Louise Bernard")
    await page.fill("#f-email", "louise@example.org")
    await page.check("input[name=category][value=participant]")
    await page.check("input[name=q_level][value='Quelques projets']")
    await page.check("input[name=q_team][value='Seul·e, je cherche une équipe']")
    await page.check("input[name=consent]")


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "fr-FR",
            {
                "places": ["1er choix", "2e choix", "3e choix"],
                "twice": "Vous avez classé deux fois le même choix : chaque place a son propre choix.",
                "confirmed": "Merci, votre inscription est confirmée",
                "column": "Classez les défis qui vous intéressent",
                "ranking": "1. La météo de ma parcelle ; 2. Suivre la traite sans papier",
            },
        ),
        (
            "en-GB",
            {
                "places": ["1st choice", "2nd choice", "3rd choice"],
                "twice": "You ranked the same choice twice: each place needs its own choice.",
                "confirmed": "Thank you, your registration is confirmed",
                "column": "Rank the challenges that interest you",
                "ranking": "1. Weather for my field; 2. Paperless milking records",
            },
        ),
    ],
)
async def test_a_participant_ranks_challenges_on_a_phone_without_javascript_and_the_organiser_reads_it(
    demo: Web, browser: Any, tmp_path: Path, locale: str, words: dict[str, Any]
) -> None:
    context = await browser.new_context(
        java_script_enabled=False, viewport=PHONE, locale=locale, timezone_id="Europe/Paris", accept_downloads=True
    )
    page = await context.new_page()
    try:
        await page.goto(f"{demo.url}/e/{HACKATHON}")
        places = [await page.locator(f"label[for=f-q_challenges-{n}]").inner_text() for n in (1, 2, 3)]
        assert places == words["places"]
        for n in (1, 2, 3):
            # Each select fits the phone's width: nothing to scroll sideways to reach it.
            box = await page.locator(f"#f-q_challenges-{n}").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
            assert box["height"] >= 24  # big enough for a finger
        await fill_participant(page)
        await page.select_option("#f-q_challenges-1", "traite")
        await page.select_option("#f-q_challenges-2", "traite")
        await page.click("button[type=submit]")
        assert await page.locator("#err-q_challenges").inner_text() == words["twice"]
        assert words["twice"] in await page.locator("[role=alert]").inner_text()
        assert await page.locator("#f-q_challenges-1").input_value() == "traite"  # the places are kept
        assert await page.locator("#f-q_challenges-2").input_value() == "traite"

        await page.select_option("#f-q_challenges-1", "meteo-parcelle")
        await page.select_option("#f-q_challenges-2", "traite")
        await page.check("input[name=consent]")
        await page.click("button[type=submit]")
        assert words["confirmed"] in await page.inner_text("main")

        await page.goto(f"{demo.url}/organiser/login")
        await page.fill("#f-email", ORGANISER_EMAIL)
        await page.fill("#f-password", ORGANISER_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/organiser/")
        await page.goto(f"{demo.url}/organiser/e/{HACKATHON}")
        async with page.expect_download() as download:
            await page.click("#export-csv")
        sheet = tmp_path / "registrations.csv"
        await (await download.value).save_as(sheet)
        text = sheet.read_text(encoding="utf-8-sig")
        assert words["column"] in text.splitlines()[0]
        assert words["ranking"] in text
    finally:
        await context.close()
