"""The day at a glance in a real Chromium: its SVG charts draw under the CSP (the `page` fixture
fails on a violation), axe finds no serious problem, and the README's screenshot is taken here."""

from typing import Any

import httpx
import pytest

from tests.axe import serious_violations
from tests.browser.test_registration_in_chromium import PHONE, login, screenshot
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import Jury, jury, score  # noqa: F401 (jury is a fixture)

pytestmark = pytest.mark.browser


async def test_the_day_at_a_glance_draws_its_charts_and_is_accessible(
    demo: Web,
    page: Any,
    http: httpx.AsyncClient,
    organiser_headers: dict[str, str],
    jury: Jury,  # noqa: F811
) -> None:
    for index, category in enumerate(["public", "public", "mentor", "participant"]):
        body = {"name": f"Personne {index}", "email": f"p{index}@example.org", "consent": True, "category": category}
        person = (await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)).json()
        if index < 3:
            done = await http.post(f"/api/v1/registrations/{person['id']}/check-in", headers=organiser_headers)
            assert done.status_code == 200, done.text
    for juror, points in (("Claire Moreau", ["8", "6", "7", "4"]), ("Marc Dubois", ["3", "9", "5", "2"])):
        for criterion, given in zip(["utilite", "realisation", "simplicite", "pitch"], points, strict=True):
            assert (await score(http, jury.link(juror), jury.teams[0], criterion, given)).status_code == 303
    await page.set_viewport_size(PHONE)
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}")
    await page.click("text=la journée en un coup d'œil")
    await page.wait_for_selector("#chart-spread circle.score", state="attached")
    assert await page.locator("#chart-registrations polyline.series").count() == 3
    assert await page.locator("#chart-arrivals rect.bar").count() >= 1
    # One dot per distinct share of the scale: Claire's 8/10 and 4/5 are one.
    assert await page.locator("#chart-spread circle.score").count() == 7
    assert await page.inner_text("#arrived-public") == "2 / 2"
    assert await page.inner_text("#scores-given") == "8 / 24"  # two jurors, three teams, four criteria
    problems = await serious_violations(page)
    assert not problems, "\n".join(problems)
    await screenshot(page, "day-fr")


async def test_the_day_follows_arrivals_live_without_reloading(
    demo: Web, page: Any, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = []
    for index in range(2):
        body = {"name": f"Visiteur {index}", "email": f"v{index}@example.org", "consent": True, "category": "public"}
        people.append((await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)).json()["id"])
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/day?lang=en")
    await page.wait_for_selector("body[data-live='1']")
    assert await page.inner_text("#arrived-public") == "0 / 2"
    await page.evaluate("window.stillTheSamePage = true")
    done = await http.post(f"/api/v1/registrations/{people[1]}/check-in", headers=organiser_headers)
    assert done.status_code == 200, done.text
    await page.locator("#arrived-public", has_text="1 / 2").wait_for()
    # Fetched and swapped in, not reloaded: the page's own state is still there, and so is the stream.
    assert await page.evaluate("window.stillTheSamePage === true")
    assert await page.get_attribute("body", "data-live") == "1"
