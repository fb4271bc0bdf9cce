"""Accounts in a real Chromium, in French and in English: an organiser invites someone, who follows
the mailed link (real SMTP, aiosmtpd), sets a password and lands logged in; an organiser turns on
two-step login from the displayed key and logs in again with a code. JavaScript off: the pages
need none."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from services.catalog.service import CatalogService
from services.registration.service import RegistrationService
from tests.browser.conftest import guarded
from tests.conftest import (
    HACKATHON,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    Web,
    create_organiser,
    define_events,
    running_web,
)
from tests.integration.notify_support import Inbox, running_stack, text_of, wait_until

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "locale": "fr-FR",
        "sent": "C'est fait.",
        "create": "Créer mon compte",
        "on": "La connexion en deux étapes est activée",
        "code": "Connexion en deux étapes",
        "replayed": "Ce code a déjà servi",
        "status": "Activée :",
        "required": "Votre organisation demande la connexion en deux étapes",
    },
    "en": {
        "locale": "en-GB",
        "sent": "Done.",
        "create": "Create my account",
        "on": "Two-step login is on",
        "code": "Two-step login",
        "replayed": "This code was already used",
        "status": "On:",
        "required": "Your organisation requires two-step login",
    },
}
LINK = re.compile(r"https://perche\.example(/organiser/welcome/[A-Za-z0-9_-]+)")


@pytest.fixture
async def site(nats_url: str, tmp_path: Path) -> AsyncIterator[tuple[Web, Inbox]]:
    """The catalog, registration and notify (mailing to aiosmtpd), one web instance, the demo organiser."""
    inbox = Inbox().start()
    try:
        async with running_stack(nats_url, inbox, tmp_path, [CatalogService(), RegistrationService()]):
            await create_organiser(nats_url)
            await define_events(nats_url)
            async with running_web(nats_url, tmp_path / "web") as web:
                yield web, inbox
    finally:
        inbox.stop()


async def new_page(browser: Any, language: str) -> tuple[Any, Any, list[str]]:
    context = await browser.new_context(
        locale=WORDS[language]["locale"], timezone_id="Europe/Paris", java_script_enabled=False
    )
    guard = await guarded(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.guard = guard
    return context, page, errors


async def log_in(page: Any, url: str, email: str = ORGANISER_EMAIL, password: str = ORGANISER_PASSWORD) -> None:
    await page.goto(f"{url}/organiser/login")
    await page.fill("#f-email", email)
    await page.fill("#f-password", password)
    await page.click("button[type=submit]")


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_invited_person_follows_the_mailed_link_sets_a_password_and_lands_logged_in(
    site: tuple[Web, Inbox], browser: Any, language: str
) -> None:
    web, inbox = site
    words = WORDS[language]
    invited = f"benevole-{language}@example.org"
    context, page, errors = await new_page(browser, language)
    try:
        await log_in(page, web.url)
        await page.wait_for_url("**/organiser/")
        await page.click("a[href='/organiser/account']")
        # Inviting is giving a role: a door volunteer, for the hackathon.
        await page.click("a[href='/organiser/o/perche/members']")
        await page.fill("#f-email", invited)
        await page.select_option("#f-role", "door")
        await page.check(f"#f-events input[value='{HACKATHON}']")
        await page.select_option("#f-language", language)
        await page.click("#add-member button[type=submit]")
        assert words["sent"] in await page.inner_text("main")
        assert invited in await page.inner_text("table")
    finally:
        await context.close()

    await wait_until(lambda: len(inbox.to(invited)) == 1)
    found = LINK.search(text_of(inbox.to(invited)[0]))
    assert found
    context, page, errors = await new_page(browser, language)
    try:
        await page.goto(web.url + found.group(1))
        assert invited in await page.inner_text("main")
        await page.fill("#f-password", "mon beau mot de passe")
        await page.fill("#f-confirm_password", "mon beau mot de passe")
        await page.click(f'button:has-text("{words["create"]}")')
        await page.wait_for_url("**/organiser/")
        assert invited in await page.inner_text(".bar")
        # The door's dashboard: the check-in page of their event, nothing else.
        links = await page.eval_on_selector_all("main a", "links => links.map(a => a.getAttribute('href'))")
        assert f"/organiser/e/{HACKATHON}/checkin" in links
        assert not {f"/organiser/e/{HACKATHON}", "/organiser/new", "/organiser/mails/"} & set(links)
        # The link worked once: followed again, it says so and opens no form.
        await page.goto(web.url + found.group(1))
        assert await page.locator("#err-link").count() == 1
        assert await page.locator("#f-password").count() == 0
        page.guard.assert_clean()
    finally:
        await context.close()
    assert errors == []


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_organiser_turns_on_two_step_login_and_logs_in_again_with_a_code(
    site: tuple[Web, Inbox], browser: Any, language: str
) -> None:
    web, _inbox = site
    words = WORDS[language]
    context, page, errors = await new_page(browser, language)
    try:
        await log_in(page, web.url)
        await page.wait_for_url("**/organiser/")
        await page.goto(f"{web.url}/organiser/account")
        await page.click("a[href='/organiser/account/two-step']")
        assert await page.locator("figure.qr svg").count() == 1
        secret = (await page.inner_text("#two-step-secret")).replace(" ", "")
        confirmed = datetime.now(UTC)
        await page.fill("#f-code", code_at(secret, confirmed))
        await page.click("form[action='/organiser/account/two-step'] button[type=submit]")
        assert words["on"] in await page.inner_text("h1")
        assert await page.locator("#recovery-codes li").count() == 10
        await page.goto(f"{web.url}/organiser/account")
        assert words["status"] in await page.inner_text("#two-step-status")
        page.guard.assert_clean()
    finally:
        await context.close()

    context, page, errors = await new_page(browser, language)
    try:
        await log_in(page, web.url)
        await page.wait_for_url("**/organiser/login/code**")
        assert words["code"] in await page.inner_text("h1")
        # The code that turned it on cannot be used again.
        await page.fill("#f-code", code_at(secret, confirmed))
        await page.click("button[type=submit]")
        assert words["replayed"] in await page.inner_text("#err-code")
        # The app's next code (a phone a little ahead is accepted): logged in.
        await page.fill("#f-code", code_at(secret, confirmed + timedelta(seconds=30)))
        await page.click("button[type=submit]")
        await page.wait_for_url("**/organiser/")
        assert ORGANISER_EMAIL in await page.inner_text(".bar")
        page.guard.assert_clean()
    finally:
        await context.close()
    assert errors == []


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_owner_requires_two_step_login_for_the_organisation_and_turns_it_on(
    site: tuple[Web, Inbox], browser: Any, language: str
) -> None:
    web, _inbox = site
    words = WORDS[language]
    context, page, errors = await new_page(browser, language)
    try:
        await log_in(page, web.url)
        await page.wait_for_url("**/organiser/")
        await page.goto(f"{web.url}/organiser/o/perche/members")
        await page.check("input[name=require_two_step]")
        await page.click("form[action='/organiser/o/perche/settings'] button[type=submit]")
        # From now on this session, made without a code, leads only to turning two-step login on.
        await page.goto(f"{web.url}/organiser/")
        await page.wait_for_url("**/organiser/account/two-step")
        assert words["required"] in await page.inner_text("#two-step-required")
        secret = (await page.inner_text("#two-step-secret")).replace(" ", "")
        await page.fill("#f-code", code_at(secret, datetime.now(UTC)))
        await page.click("form[action='/organiser/account/two-step'] button[type=submit]")
        assert words["on"] in await page.inner_text("h1")
        # This browser's new session was made with the code: the dashboard opens again.
        await page.goto(f"{web.url}/organiser/")
        assert page.url.endswith("/organiser/")
        assert ORGANISER_EMAIL in await page.inner_text(".bar")
        page.guard.assert_clean()
    finally:
        await context.close()
    assert errors == []
