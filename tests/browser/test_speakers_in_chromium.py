"""Speakers in a real Chromium, in French and in English: an organiser invites two people from the
event's speakers page; each follows their mailed link (real SMTP, aiosmtpd); one confirms with a
title, a bio and a photo and appears on the event page with it, the other declines and does not.
JavaScript off: the pages need none."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from services.catalog.service import CatalogService
from services.registration.service import RegistrationService
from services.schedule.service import ScheduleService
from tests.browser.conftest import guarded
from tests.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD, Web, create_organiser, define_events, running_web
from tests.demo_events import ROUND_TABLE
from tests.integration.notify_support import Inbox, running_stack, text_of, wait_until

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "locale": "fr-FR",
        "invited": "L'invitation part par e-mail",
        "coming": "vient",
        "not_coming": "ne vient pas",
        "thanks": "Merci !",
        "declined": "Votre réponse est enregistrée",
        "speakers": "Intervenants",
        "title": "Agricultrice à Meaucé",
        "bio": "Elle élève des chèvres et code le soir.",
    },
    "en": {
        "locale": "en-GB",
        "invited": "The invitation is on its way by email",
        "coming": "coming",
        "not_coming": "not coming",
        "thanks": "Thank you!",
        "declined": "Your answer is saved",
        "speakers": "Speakers",
        "title": "Farmer in Meaucé",
        "bio": "She raises goats and codes in the evening.",
    },
}
LINK = re.compile(r"https://perche\.example(/speaker/\S+)")


@pytest.fixture
async def site(nats_url: str, tmp_path: Path) -> AsyncIterator[tuple[Web, Inbox]]:
    """Catalog, registration, schedule and notify (mailing to aiosmtpd), one web instance, the demo organiser."""
    inbox = Inbox().start()
    try:
        services = [CatalogService(), RegistrationService(), ScheduleService()]
        async with running_stack(nats_url, inbox, tmp_path, services):
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


async def invite(page: Any, name: str, email: str, language: str, role: str = "speaker") -> None:
    await page.fill("#f-name", name)
    await page.fill("#f-email", email)
    await page.select_option("#f-role", role)
    await page.select_option("#f-language", language)
    await page.click("form[aria-labelledby=invite-title] button[type=submit]")


async def mailed_link(inbox: Inbox, address: str) -> str:
    await wait_until(lambda: len(inbox.to(address)) == 1)
    found = LINK.search(text_of(inbox.to(address)[0]))
    assert found
    return found.group(1)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_organiser_invites_two_speakers_and_the_one_who_confirms_appears_with_her_photo(
    site: tuple[Web, Inbox], browser: Any, language: str, tmp_path: Path
) -> None:
    web, inbox = site
    words = WORDS[language]
    context, page, errors = await new_page(browser, language)
    try:
        await page.goto(f"{web.url}/organiser/login")
        await page.fill("#f-email", ORGANISER_EMAIL)
        await page.fill("#f-password", ORGANISER_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/organiser/")
        await page.goto(f"{web.url}/organiser/e/{ROUND_TABLE}")
        await page.click(f"a[href='/organiser/e/{ROUND_TABLE}/speakers/']")
        await invite(page, "Claire Moreau", "claire@example.org", language)
        assert words["invited"] in await page.inner_text("main")
        await invite(page, "Jules Martin", "jules@example.org", language, role="moderator")
        assert words["invited"] in await page.inner_text("main")
    finally:
        await context.close()

    photo = tmp_path / "claire.png"
    with photo.open("wb") as out:
        Image.new("RGB", (900, 900), (200, 160, 40)).save(out, format="PNG")
    claire, jules = await mailed_link(inbox, "claire@example.org"), await mailed_link(inbox, "jules@example.org")

    context, speaker, speaker_errors = await new_page(browser, language)
    try:
        await speaker.goto(web.url + claire)
        assert "Claire Moreau" in await speaker.inner_text("main")
        await speaker.check("input[name=answer][value=confirmed]")
        await speaker.fill("#f-title", words["title"])
        await speaker.fill("#f-title_en", "Farmer in Meaucé")
        await speaker.fill("#f-bio", "Elle élève des chèvres et code le soir.")
        await speaker.fill("#f-bio_en", "She raises goats and codes in the evening.")
        await speaker.set_input_files("#f-photo-file", str(photo))
        await speaker.click("form button[type=submit]")
        assert words["thanks"] in await speaker.inner_text("main")
        # Her photo shows on her own page, resized.
        assert await speaker.eval_on_selector("img.speaker-photo", "img => img.naturalWidth") == 600
    finally:
        await context.close()

    context, moderator, moderator_errors = await new_page(browser, language)
    try:
        await moderator.goto(web.url + jules)
        await moderator.check("input[name=answer][value=declined]")
        await moderator.click("form button[type=submit]")
        assert words["declined"] in await moderator.inner_text("main")

        await moderator.goto(f"{web.url}/e/{ROUND_TABLE}")
        listed = await moderator.inner_text("#speakers + ul")
        assert await moderator.inner_text("#speakers") == words["speakers"]
        assert "Claire Moreau" in listed and words["title"] in listed and words["bio"] in listed
        assert "Jules Martin" not in await moderator.inner_text("main")
        assert await moderator.eval_on_selector(".speakers img.speaker-photo", "img => img.naturalWidth") == 600
    finally:
        await context.close()

    context, page, _ = await new_page(browser, language)
    try:
        await page.goto(f"{web.url}/organiser/login")
        await page.fill("#f-email", ORGANISER_EMAIL)
        await page.fill("#f-password", ORGANISER_PASSWORD)
        await page.click("button[type=submit]")
        await page.goto(f"{web.url}/organiser/e/{ROUND_TABLE}/speakers/")
        claire_row = await page.inner_text("#invitations tbody tr:nth-child(1) .answer")
        jules_row = await page.inner_text("#invitations tbody tr:nth-child(2) .answer")
        assert claire_row.startswith(words["coming"]) and jules_row.startswith(words["not_coming"])
    finally:
        await context.close()
    assert errors == speaker_errors == moderator_errors == []
