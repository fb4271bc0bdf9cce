"""The door in a real Chromium: a badge scanned while logged out opens that person's check-in
once the organiser has logged in (the `code` survives the login)."""

from typing import Any

import httpx
import pytest

from tests.browser.test_registration_in_chromium import PHONE
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, Web

pytestmark = pytest.mark.browser


async def test_a_badge_scanned_while_logged_out_opens_that_persons_check_in_after_the_login(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    made = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={"name": "Hélène Dubois", "email": "helene@example.org", "consent": True, "category": "public"},
    )
    person = made.json()
    await page.set_viewport_size(PHONE)
    # What the phone's camera opens from the badge's QR code, before anyone logged in on this phone.
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/checkin?code={person['id']}")
    await page.wait_for_url("**/organiser/login?**")
    await page.fill("#f-email", ORGANISER_EMAIL)
    await page.fill("#f-password", ORGANISER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**/organiser/e/{HACKATHON}/checkin?code={person['id']}")
    assert await page.locator("article h2").inner_text() == "Hélène Dubois"
    await page.click("text=Enregistrer l'arrivée")
    assert "Arrivée enregistrée" in await page.inner_text("main")
