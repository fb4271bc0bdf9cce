"""What destroys asks first, in a real Chromium.

A participant's cancel, an organiser's cancel and the irreversible erase each lead to a page that
says what will happen, with a confirm button and a way back, without JavaScript; only the confirm
acts. A cancelled participant can register again.
"""

import re
from typing import Any

import httpx
import pytest

from tests.browser.test_registration_in_chromium import fill_registration, login, phone_without_javascript
from tests.conftest import HACKATHON, Web

pytestmark = pytest.mark.browser


async def listed(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    reply = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=headers)
    assert reply.status_code == 200
    return list(reply.json())


async def test_a_participant_cancels_through_a_confirmation_page_then_registers_again(
    demo: Web, browser: Any, organiser_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    context, phone = await phone_without_javascript(browser)
    try:
        await phone.goto(f"{demo.url}/e/{HACKATHON}")
        await fill_registration(phone, "Claire Martin", "claire@example.org")
        await phone.click("button[type=submit]")
        await phone.wait_for_url("**/r/**")
        private_page = phone.url.removesuffix("&new=1")

        # One tap only asks: nothing is cancelled yet, and the way back keeps the registration.
        await phone.get_by_role("button", name="Annuler mon inscription").click()
        await phone.wait_for_url("**/cancel?**")
        assert await phone.locator("h1").inner_text() == "Annuler votre inscription ?"
        assert "Votre place sera libérée" in await phone.inner_text("main")
        assert [r["status"] for r in await listed(http, organiser_headers)] == ["confirmed"]
        await phone.get_by_role("link", name="Non, garder mon inscription").click()
        await phone.wait_for_url(private_page)
        assert await phone.locator(".badge").inner_text() == "confirmée"

        # Confirmed: cancelled, and the private page offers to register again.
        await phone.get_by_role("button", name="Annuler mon inscription").click()
        await phone.get_by_role("button", name="Oui, annuler mon inscription").click()
        await phone.wait_for_url(private_page)
        assert await phone.locator(".badge").inner_text() == "annulée"
        [first] = await listed(http, organiser_headers)
        assert first["status"] == "cancelled"

        # Registering again from the same browser makes a new registration, even with other answers.
        await phone.get_by_role("link", name="M'inscrire à nouveau").click()
        await phone.wait_for_url(f"**/e/{HACKATHON}?**")
        await fill_registration(phone, "Claire Martin", "claire@example.org")
        await phone.fill("#f-q_accessibility", "Une place près de la porte")
        await phone.click("button[type=submit]")
        await phone.wait_for_url("**/r/**")
        assert "Merci, votre inscription est confirmée" in await phone.inner_text("main")
        again = {r["id"]: r["status"] for r in await listed(http, organiser_headers)}
        assert len(again) == 2 and again[first["id"]] == "cancelled"
        assert sorted(again.values()) == ["cancelled", "confirmed"]
        assert first["id"] not in phone.url
    finally:
        await context.close()


async def test_an_organiser_is_asked_before_cancelling_or_erasing_a_registration(
    demo: Web, page: Any, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    for name, email in (("Anne Leroy", "anne@example.org"), ("Bruno Petit", "bruno@example.org")):
        made = await http.post(
            f"/api/v1/events/{HACKATHON}/registrations",
            json={"name": name, "email": email, "consent": True, "category": "public"},
        )
        assert made.status_code == 201
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}")

    # Cancel: asked first, and the way back leaves the registration as it was.
    await page.locator("tbody tr").filter(has_text="Anne Leroy").get_by_role("button", name="Annuler").click()
    await page.wait_for_url(re.compile(r".*/organiser/r/\w+/cancel\??"))  # a GET form: nothing changes
    assert "Anne Leroy" in await page.locator("h1").inner_text()
    assert {r["name"]: r["status"] for r in await listed(http, organiser_headers)}["Anne Leroy"] == "confirmed"
    await page.get_by_role("link", name="Retour aux inscriptions").click()
    await page.wait_for_url(f"**/organiser/e/{HACKATHON}#r-*")
    await page.locator("tbody tr").filter(has_text="Anne Leroy").get_by_role("button", name="Annuler").click()
    await page.get_by_role("button", name="Oui, annuler cette inscription").click()
    await page.wait_for_url(f"**/organiser/e/{HACKATHON}#r-*")
    assert {r["name"]: r["status"] for r in await listed(http, organiser_headers)}["Anne Leroy"] == "cancelled"

    # Erase: the page says it cannot be undone and what is kept; only the confirm erases.
    bruno = page.locator("tbody tr").filter(has_text="Bruno Petit")
    await bruno.get_by_role("button", name="Effacer ses données").click()
    await page.wait_for_url(re.compile(r".*/organiser/r/\w+/erase\??"))
    text = await page.inner_text("main")
    assert "irréversible" in text and "La place reste comptée" in text
    assert "bruno@example.org" in [r["email"] for r in await listed(http, organiser_headers)]
    await page.get_by_role("button", name="Effacer définitivement").click()
    await page.wait_for_url(f"**/organiser/e/{HACKATHON}#r-*")
    assert "(données effacées)" in await page.locator("tbody").last.inner_text()
    emails = [r["email"] for r in await listed(http, organiser_headers)]
    assert "bruno@example.org" not in emails and "anne@example.org" in emails
