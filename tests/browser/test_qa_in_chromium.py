"""The audience Q&A in a real Chromium: a phone asks without an account, the moderators' tablet
receives it live, a moderator approves and pins it, and the projector shows it by itself (fetched
and swapped in, not reloaded), hostile text as text, under the CSP (watched pages fail on a
JavaScript error or a violation)."""

from typing import Any

import pytest

from tests.browser.conftest import watched_page
from tests.browser.test_registration_in_chromium import login
from tests.conftest import ROUND_TABLE, Web

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert('xss')</script> Quand ouvrira le centre de La Loupe ?"


async def test_a_question_from_a_phone_reaches_the_projector_live_once_approved(demo: Web, browser: Any) -> None:
    async with watched_page(browser) as tablet, watched_page(browser) as projector, watched_page(browser) as phone:
        await login(tablet, demo.url)
        await tablet.goto(f"{demo.url}/organiser/e/{ROUND_TABLE}/qa/")
        await tablet.check("input[name=phase][value=open]")
        await tablet.click("button:has-text('Changer la phase')")
        await tablet.wait_for_selector("body[data-live='1']")

        await projector.goto(f"{demo.url}/e/{ROUND_TABLE}/qa/screen")
        await projector.wait_for_selector("body[data-live='1']")
        assert await projector.locator(".join svg").count() == 1  # the QR code to the audience page
        await projector.evaluate("window.stillTheSamePage = true")

        await phone.goto(f"{demo.url}/e/{ROUND_TABLE}/questions")
        await phone.fill("#text", HOSTILE)
        await phone.click("button:has-text('Envoyer la question')")
        await phone.locator("#mine li", has_text="Quand ouvrira").wait_for()
        assert HOSTILE in await phone.locator("#mine").inner_text()

        # The tablet's queue shows it by itself; the projector does not, until it is approved.
        pending = tablet.locator("#status-pending li", has_text="Quand ouvrira")
        await pending.wait_for()
        assert await projector.locator("text=Quand ouvrira").count() == 0
        await pending.locator("button:has-text('Accepter')").click()
        await projector.locator("#upcoming li", has_text="Quand ouvrira").wait_for()
        assert HOSTILE in await projector.locator("#upcoming").inner_text()

        await tablet.wait_for_selector("body[data-live='1']")
        await tablet.locator("#status-approved li button", has_text="Épingler à l'écran").click()
        await projector.locator("#current", has_text="Quand ouvrira").wait_for()
        assert await projector.evaluate("window.stillTheSamePage === true")
