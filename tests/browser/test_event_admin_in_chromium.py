"""The organiser's event pages in Chromium: a refused definition says why, in French, with the text kept."""

from typing import Any

from tests.browser.test_registration_in_chromium import login
from tests.conftest import HACKATHON, ROUND_TABLE, Web


async def test_a_refused_definition_shows_the_french_sentence_and_keeps_the_text(demo: Web, page: Any) -> None:
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{ROUND_TABLE}/edit?lang=fr")
    text = await page.input_value("#f-definition")
    typed = "# Revue en mars : à relire\n" + text.replace('kind = "round_table"', 'kind = "portes ouvertes"')
    await page.fill("#f-definition", typed)
    await page.click('form[action$="/edit"] button[type=submit]')
    await page.wait_for_selector("#err-definition")
    assert await page.inner_text("#err-definition") == (
        "Champ « kind » : « portes ouvertes » n'est pas une valeur possible ; choisissez parmi "
        "conference, hackathon, open_day, round_table, workshop."
    )
    assert await page.input_value("#f-definition") == typed
    assert await page.get_attribute("#f-definition", "aria-describedby") == "err-definition"


async def test_an_organiser_copies_last_years_hackathon_in_chromium(demo: Web, page: Any) -> None:
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}?lang=fr")
    await page.click("text=Copier cet événement")
    await page.wait_for_selector("#f-starts-on")
    await page.fill("#f-slug", "hackathon-comice-suivant")
    await page.fill("#f-title", "Hackathon du Comice, l'année suivante")
    await page.fill("#f-starts-on", "2029-06-08")
    await page.click("text=Copier l'événement")
    await page.wait_for_selector("#copied")
    assert page.url.startswith(f"{demo.url}/organiser/e/hackathon-comice-suivant")
    assert "Hackathon du Comice, l'année suivante" in await page.inner_text("h1")
    assert "8 juin 2029" in await page.inner_text("main")
    assert "Publier" in await page.inner_text("#event-status")  # unpublished
