"""The event's history in a real Chromium: the organiser follows the event page's link, in French
then in English, and finds who checked whom in (no CSP violation, nothing from other hosts)."""

from typing import Any

import httpx
import pytest

from tests.axe import serious_violations
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, Web

pytestmark = pytest.mark.browser


async def test_the_organiser_opens_the_history_from_the_event_page_in_french_and_english(
    demo: Web, page: Any, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    made = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={"name": "Hélène Dubois", "email": "helene@example.org", "consent": True, "category": "public"},
    )
    person = made.json()
    arrived = await http.post(f"/api/v1/registrations/{person['id']}/check-in", headers=organiser_headers)
    assert arrived.status_code == 200
    await page.goto(f"{demo.url}/organiser/login")
    await page.fill("#f-email", ORGANISER_EMAIL)
    await page.fill("#f-password", ORGANISER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/organiser/")
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}")
    await page.click(f'a[href="/organiser/e/{HACKATHON}/history"]')
    await page.wait_for_selector("#history")
    newest = await page.locator("#history tbody tr").first.inner_text()
    assert "Arrivée enregistrée : Hélène Dubois" in newest and ORGANISER_EMAIL in newest
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/history?lang=en")
    await page.wait_for_selector("#history")
    assert "Checked in: Hélène Dubois" in await page.locator("#history tbody tr").first.inner_text()
    assert await serious_violations(page) == []
