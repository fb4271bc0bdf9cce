"""An owner adds a door volunteer, who then sees only the check-in page of their event, in both languages."""

import uuid
from typing import Any

import pytest

from schemas.catalog import CreateOrganiser, OrganiserReply
from schemas.subjects import Catalog
from services.kit.client import call
from services.kit.connection import connect
from tests.browser.test_registration_in_chromium import screenshot
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, Web

pytestmark = pytest.mark.browser

DOOR_PASSWORD = "la porte est ouverte"
UNKNOWN_ROLE = {"fr": "Ce rôle n'existe pas", "en": "This role does not exist"}


async def account_without_role(nats_url: str, email: str) -> None:
    """An account that belongs to no organisation (until invitations exist, made here)."""
    nc = await connect(nats_url, "test-door")
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=email, password=DOOR_PASSWORD, default_role=None)
        await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
    finally:
        await nc.drain()


async def log_in(page: Any, url: str, email: str, password: str) -> None:
    await page.goto(f"{url}/organiser/login")
    await page.fill("#f-email", email)
    await page.fill("#f-password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/organiser/")


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_owner_adds_a_door_volunteer_who_sees_only_the_check_in_page(
    demo: Web, browser: Any, language: str
) -> None:
    door = f"porte-{language}@example.org"
    await account_without_role(demo.nats_url, door)
    context = await browser.new_context(locale="fr-FR" if language == "fr" else "en-GB")
    page = await context.new_page()
    try:
        await log_in(page, demo.url, ORGANISER_EMAIL, ORGANISER_PASSWORD)
        await page.click("a[href='/organiser/o/perche/members']")
        # A role that does not exist (a tampered form): a precise message next to the field, nothing added.
        await page.fill("#f-email", door)
        await page.evaluate("document.querySelector('#f-role option').value = 'boss'")
        await page.select_option("#f-role", "boss")
        await page.click("#add-member button[type=submit]")
        assert UNKNOWN_ROLE[language] in await page.inner_text("#err-role")
        assert door not in await page.inner_text("table")

        await page.fill("#f-email", door)
        await page.select_option("#f-role", "door")
        await page.check(f"#f-events input[value='{HACKATHON}']")
        await page.click("#add-member button[type=submit]")
        assert door in await page.inner_text("table")
        await screenshot(page, f"members-{language}")
        await page.click(".bar button[type=submit]")  # log out

        await log_in(page, demo.url, door, DOOR_PASSWORD)
        links = await page.eval_on_selector_all("main a", "links => links.map(a => a.getAttribute('href'))")
        assert f"/organiser/e/{HACKATHON}/checkin" in links
        assert not {f"/organiser/e/{HACKATHON}", "/organiser/new", "/organiser/mails/"} & set(links)
        await page.click(f"a[href='/organiser/e/{HACKATHON}/checkin']")
        assert page.url.endswith(f"/organiser/e/{HACKATHON}/checkin")
        for refused in (f"/api/v1/events/{HACKATHON}/registrations.csv", f"/organiser/e/{HACKATHON}"):
            response = await page.goto(f"{demo.url}{refused}")
            assert response.status == 404, refused
    finally:
        await context.close()
