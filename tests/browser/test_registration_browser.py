"""Perche as `perche up` serves it, in Chromium on a phone with JavaScript turned off: a visitor
registers, comes back and sends the form again, cancels from the manage page; an organiser
logs in and finds the registration.

The app is one process for the whole session (`live_app`), so each test registers its own
person and looks only at them.
"""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.kit.i18n import Formatter
from tests.browser.conftest import LiveApp
from tests.conftest import HACKATHON
from tests.demo_events import demo_event

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PHONE = {"width": 360, "height": 740}
REGISTRATION_PAGE = re.compile(r".*/r/([0-9a-f]{20})\?token=.*")


async def registrations_of(app: LiveApp, email: str) -> list[dict[str, Any]]:
    """What the organiser API says about this person."""
    async with app.organiser_api() as api:
        reply = await api.get(f"/api/v1/events/{HACKATHON}/registrations")
    assert reply.status_code == 200
    return [r for r in reply.json() if r["email"] == email]


@pytest_asyncio.fixture(loop_scope="session")
async def phone(browser: Any) -> AsyncIterator[Any]:
    """A phone-sized page without JavaScript, in French, in the Paris time zone."""
    context = await browser.new_context(
        java_script_enabled=False, viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris"
    )
    yield await context.new_page()
    await context.close()


async def test_a_visitor_registers_once_on_a_phone_without_javascript_and_cancels(
    live_app: LiveApp, phone: Any
) -> None:
    email = f"claire.{uuid.uuid4().hex[:8]}@example.org"
    await phone.goto(f"{live_app.url}/")
    await phone.get_by_role("link", name="Hackathon agricole du comice de La Loupe").click()
    assert await phone.locator("h1").inner_text() == "Hackathon agricole du comice de La Loupe"
    hackathon = demo_event(HACKATHON)  # « du vendredi 11 juin 2027 au dimanche 13 juin 2027 » as written, moved
    when = Formatter("fr").span(hackathon.starts_at, hackathon.ends_at, hackathon.timezone)
    assert when in await phone.locator("main").inner_text()
    # Nothing is wider than the phone's screen.
    assert await phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    await phone.get_by_label("Nom et prénom").fill("Claire Martin")
    await phone.get_by_label("Adresse e-mail").fill(email)
    await phone.get_by_label("Visiteur (présentations du dimanche)").check()
    await phone.get_by_label("J'accepte que mes données soient utilisées").check()
    await phone.get_by_role("button", name="Je m'inscris").click()

    await phone.wait_for_url(REGISTRATION_PAGE)
    confirmation = phone.url
    registration_id = REGISTRATION_PAGE.fullmatch(confirmation).group(1)  # type: ignore[union-attr]
    assert "Merci, votre inscription est confirmée !" in await phone.get_by_role("status").inner_text()
    assert await phone.locator(".badge").inner_text() == "confirmée"
    [registered] = await registrations_of(live_app, email)
    assert (registered["id"], registered["status"], registered["name"]) == (
        registration_id,
        "confirmed",
        "Claire Martin",
    )

    # Back to the filled form and send it again, as an impatient person would.
    await phone.go_back()
    assert await phone.get_by_label("Adresse e-mail").input_value() == email
    await phone.get_by_role("button", name="Je m'inscris").click()
    await phone.wait_for_url(REGISTRATION_PAGE)
    assert REGISTRATION_PAGE.fullmatch(phone.url).group(1) == registration_id  # type: ignore[union-attr]
    assert [r["id"] for r in await registrations_of(live_app, email)] == [registration_id]

    # The manage page is the person's link to cancel.
    await phone.get_by_role("button", name="Annuler mon inscription").click()
    await phone.get_by_role("button", name="Oui, annuler mon inscription").click()  # it asks first
    await phone.wait_for_url(REGISTRATION_PAGE)
    assert await phone.locator(".badge").inner_text() == "annulée"
    assert await phone.get_by_role("button", name="Annuler mon inscription").count() == 0
    assert [r["status"] for r in await registrations_of(live_app, email)] == ["cancelled"]


async def test_an_organiser_logs_in_and_sees_the_registration(live_app: LiveApp, page: Any) -> None:
    email = f"paul.{uuid.uuid4().hex[:8]}@example.org"
    async with httpx.AsyncClient(base_url=live_app.url) as public:
        made = await public.post(
            f"/api/v1/events/{HACKATHON}/registrations",
            json={"name": "Paul Lefèvre", "email": email, "consent": True, "category": "public"},
        )
    assert made.status_code == 201

    await page.goto(f"{live_app.url}/organiser/")
    assert "/organiser/login" in page.url  # the dashboard asks for a login first
    await page.get_by_label("Adresse e-mail").fill(live_app.admin_email)
    await page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    await page.get_by_role("button", name="Se connecter").click()
    assert await page.get_by_role("alert").inner_text() == "Adresse e-mail ou mot de passe incorrect."

    await page.get_by_label("Mot de passe").fill(live_app.admin_password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{live_app.url}/organiser/")
    assert await page.locator("h1").inner_text() == "Événements"
    await page.get_by_role("link", name="Hackathon agricole du comice de La Loupe").click()
    await page.wait_for_url(f"**/organiser/e/{HACKATHON}")
    row = page.locator(f"#r-{made.json()['id']}")
    assert await row.locator("td").first.inner_text() == "Paul Lefèvre"
    assert await row.locator("td").nth(1).inner_text() == email
    assert await row.locator(".badge").inner_text() == "confirmée"
