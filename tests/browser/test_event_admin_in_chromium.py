"""The organiser's event pages in Chromium: a refused definition says why, in French, with the text kept."""

from typing import Any

from tests.browser.test_registration_in_chromium import login
from tests.conftest import ROUND_TABLE, Web


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
