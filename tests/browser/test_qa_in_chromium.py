"""The audience Q&A in a real Chromium: a phone asks without an account, the moderators' tablet
receives it live, a moderator approves and pins it, and the projector shows it by itself (fetched
and swapped in, not reloaded), hostile text as text, under the CSP (watched pages fail on a
JavaScript error or a violation)."""

from typing import Any

import pytest

from tests.browser.conftest import guarded, watched_page
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


POLL_CHOICE = "<script>window.pwned = 1</script> Oui"
# What each language shows: the organiser's buttons, the room's, the refusal, the results.
POLL_TEXTS = {
    "fr": {
        "create": "Créer le sondage",
        "open": "Ouvrir le sondage",
        "close": "Fermer le sondage",
        "vote": "Voter",
        "counted": "Votre vote est compté",
        "refused": "Ce sondage est clos : votre vote n'a pas été pris en compte.",
        "half": "1 voix · 50 %",
        "closed": "Sondage clos : résultats",
    },
    "en": {
        "create": "Create the poll",
        "open": "Open the poll",
        "close": "Close the poll",
        "vote": "Vote",
        "counted": "Your vote is counted",
        "refused": "This poll is closed: your vote was not counted.",
        "half": "1 vote · 50 %",
        "closed": "Poll closed: results",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_a_poll_is_opened_two_phones_vote_the_projector_follows_live_and_a_late_vote_is_refused(
    demo: Web, browser: Any, lang: str
) -> None:
    texts = POLL_TEXTS[lang]
    # The second phone has no JavaScript: plain forms and redirects are enough to vote.
    plain = await browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", java_script_enabled=False)
    guard = await guarded(plain)
    try:
        async with watched_page(browser) as tablet, watched_page(browser) as projector, watched_page(browser) as phone:
            late = await plain.new_page()
            await login(tablet, demo.url)
            # ?lang= is remembered (a cookie) by each browser from then on.
            await tablet.goto(f"{demo.url}/organiser/e/{ROUND_TABLE}/qa/?lang={lang}")
            await tablet.fill("#poll-text", "Faut-il la fibre dans chaque école ?")
            await tablet.fill("#poll-text-en", "Should every school have fibre?")
            await tablet.fill("#poll-choice-1", POLL_CHOICE)
            await tablet.fill("#poll-choice-2", "Non")
            await tablet.click(f"button:has-text('{texts['create']}')")
            await tablet.locator("#polls button", has_text=texts["open"]).click()
            await tablet.locator("#polls button", has_text=texts["close"]).wait_for()

            await projector.goto(f"{demo.url}/e/{ROUND_TABLE}/qa/screen?lang={lang}")
            await projector.wait_for_selector("body[data-live='1']")
            question = "Should every school have fibre?" if lang == "en" else "Faut-il la fibre dans chaque école ?"
            assert question in await projector.locator("#poll").inner_text()
            await projector.evaluate("window.stillTheSamePage = true")

            await phone.goto(f"{demo.url}/e/{ROUND_TABLE}/questions?lang={lang}")
            await phone.check("#poll input[name=choice][value='0']")
            await phone.click(f"#poll button:has-text('{texts['vote']}')")
            await phone.locator("#poll [role=status]", has_text=texts["counted"]).wait_for()
            await projector.locator("#poll .poll-count", has_text="100 %").wait_for()

            await late.goto(f"{demo.url}/e/{ROUND_TABLE}/questions?lang={lang}")
            await late.check("#poll input[name=choice][value='1']")
            await late.click(f"#poll button:has-text('{texts['vote']}')")
            await late.locator("#poll [role=status]", has_text=texts["counted"]).wait_for()

            # The projector shows both votes by itself, the hostile choice as text.
            await projector.locator("#poll .poll-count", has_text=texts["half"]).nth(1).wait_for()
            assert await projector.locator("#poll .poll-choice").first.inner_text() == POLL_CHOICE
            assert await projector.evaluate("window.pwned === undefined && window.stillTheSamePage === true")
            await tablet.wait_for_selector("body[data-live='1']")
            await tablet.locator("#polls .poll-count", has_text=texts["half"]).nth(1).wait_for()

            await tablet.locator("#polls button", has_text=texts["close"]).click()
            await projector.locator("#poll", has_text=texts["closed"]).wait_for()
            await phone.locator("#poll", has_text=texts["closed"]).wait_for()  # live: no form left to vote with
            assert await phone.locator("#poll form").count() == 0
            # The phone without JavaScript still holds the open poll's form: its vote is refused in words.
            await late.check("#poll input[name=choice][value='0']")
            await late.click("#poll button[type=submit]")  # « change my vote »
            assert texts["refused"] in await late.locator("#error").inner_text()
            assert await projector.locator("#poll .poll-count", has_text=texts["half"]).count() == 2
    finally:
        await plain.close()
    guard.assert_clean()
