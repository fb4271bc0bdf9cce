"""The organiser's standings in a real Chromium: a juror's score appears on the open results page by
itself (fetched and swapped in, not reloaded), under the CSP (the `page` fixture fails on a violation)."""

from typing import Any

import httpx
import pytest

from tests.browser.test_registration_in_chromium import login
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import Jury, jury, score  # noqa: F401 (jury is a fixture)

pytestmark = pytest.mark.browser


async def test_the_organisers_standings_update_by_themselves_when_a_score_arrives(
    demo: Web,
    page: Any,
    http: httpx.AsyncClient,
    jury: Jury,  # noqa: F811
) -> None:
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/results/")
    await page.wait_for_selector("body[data-live='1']")
    row = page.locator("#standings tr", has_text="Circuit Malin")
    assert (await row.inner_text()).strip().endswith("0 / 8")
    await page.evaluate("window.stillTheSamePage = true")
    assert (await score(http, jury.link("Claire Moreau"), jury.teams[1], "utilite", "7")).status_code == 303
    await page.locator("#standings tr", has_text="Circuit Malin").filter(has_text="1 / 8").wait_for()
    assert "7" in await row.inner_text()
    assert await page.evaluate("window.stillTheSamePage === true")
    assert await page.get_attribute("body", "data-live") == "1"
