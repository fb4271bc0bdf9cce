"""The round table's Q&A from end to end in a real Chromium, in French and in English (issue 15): the
organiser opens the questions on the moderators' tablet; two phones without an account (each its own
browser context, so its own device cookie) ask the same thing twice; the moderator merges the
duplicate into the first question on the tablet (the typed field and its datalist of targets; a
question arriving meanwhile does not wipe what is typed), approves it and rejects an off-topic one;
the phones vote, the projector (opened first, never reloaded) follows live, and the same phone's
second vote is refused in words; the question is answered; once the event is over the organiser
publishes the record from the tablet page: the event page shows the summary and the answered
question (hostile text as text), never the merged or rejected ones, and the registrant gets the link
by mail through a real SMTP server (aiosmtpd).

The speakers part of the same scenario (two invited, one confirms with a bio and a photo and
appears on the event page) is covered by test_speakers_in_chromium.py and not repeated here.
Every page is watched: a JavaScript error, a CSP violation or a request to another host fails."""

from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.catalog.service import CatalogService
from services.qa.service import QaService
from services.registration.service import RegistrationService
from tests.browser.conftest import guarded, watched_page
from tests.browser.test_registration_in_chromium import login
from tests.conftest import Web, create_organiser, running_web
from tests.integration.notify_support import Inbox, Stack, define, running_stack, small_event, text_of, wait_until

pytestmark = pytest.mark.browser

SLUG = "table-ronde-du-numerique"

# What each language asks and shows (the labels are the .po file's).
WORDS = {
    "fr": {
        "q1": "<script>window.pwned = 1</script> Quand la fibre arrivera-t-elle à Meaucé ?",
        "q1_mark": "arrivera-t-elle",
        "q2": "La fibre, elle arrive-t-elle un jour à Meaucé ?",
        "q2_mark": "arrive-t-elle",
        "q3": "Une question hors sujet sur le football du dimanche",
        "q3_mark": "football",
        "open_phase": "Changer la phase",
        "send": "Envoyer la question",
        "thanks": "Merci ! Votre question attend la modération",
        "waiting": "En attente de modération : vous seul·e la voyez.",
        "approve": "Accepter",
        "reject": "Refuser",
        "answered": "Répondue",
        "edit_or_merge": "Modifier ou fusionner",
        "merge": "Fusionner (voix et auteurs réunis)",
        "asked_by_two": "2 personnes l'ont posée",
        "merged": "doublons fusionnés :",
        "vote": "Je veux entendre la réponse",
        "withdraw": "Retirer ma voix",
        "already": "Vous avez déjà voté pour cette question : votre voix compte une fois.",
        "next": "Questions suivantes",
        "two_votes": "2 voix",
        "publish": "Publier le compte rendu",
        "published": "Publié (version 1)",
        "summary": "Une soirée riche en échanges.",
        "record": "Compte rendu",
        "answered_questions": "Les questions auxquelles on a répondu",
        "mail": "Le compte rendu de",
    },
    "en": {
        "q1": "<script>window.pwned = 1</script> When will fibre reach Meaucé at last?",
        "q1_mark": "When will fibre",
        "q2": "Fibre in Meaucé: when does it come?",
        "q2_mark": "when does it come",
        "q3": "An off-topic question about Sunday football",
        "q3_mark": "football",
        "open_phase": "Change the phase",
        "send": "Send the question",
        "thanks": "Thank you! Your question is waiting for the moderators",
        "waiting": "Waiting for moderation: only you can see it.",
        "approve": "Approve",
        "reject": "Reject",
        "answered": "Answered",
        "edit_or_merge": "Edit or merge",
        "merge": "Merge (votes and askers combined)",
        "asked_by_two": "asked by 2 people",
        "merged": "merged duplicates:",
        "vote": "I want to hear the answer",
        "withdraw": "Withdraw my vote",
        "already": "You already voted for this question: your vote counts once.",
        "next": "Next questions",
        "two_votes": "2 votes",
        "publish": "Publish the record",
        "published": "Published (version 1)",
        "summary": "An evening full of exchanges.",
        "record": "Record",
        "answered_questions": "The questions that were answered",
        "mail": "The record of",
    },
}


# The test's own ear on the tablet's stream: it hears a change when the page's script does.
CHANGES = """
var ear = new EventSource(document.querySelector("#queue").dataset.stream);
ear.addEventListener("ready", function () { document.body.dataset.earReady = "1"; });
ear.addEventListener("change", function () { document.body.dataset.heard = "1"; });
"""


@pytest.fixture
async def site(nats_url: str, tmp_path: Path) -> AsyncIterator[tuple[Web, Stack, Inbox]]:
    """Catalog, registration, Q&A and notify (mailing to aiosmtpd), one web instance, the organiser,
    and the round table ten days ahead of today (at a fixed local hour: see small_event)."""
    inbox = Inbox().start()
    try:
        services = [CatalogService(), RegistrationService(), QaService()]
        async with running_stack(nats_url, inbox, tmp_path, services) as stack:
            await create_organiser(nats_url)
            await define(stack.nc, small_event(SLUG, starts_in=10))
            async with running_web(nats_url, tmp_path / "web") as web:
                yield web, stack, inbox
    finally:
        inbox.stop()


def record_mails(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Perche-Kind"] == "message"]


async def ask(phone: Any, url: str, text: str, words: dict[str, str]) -> None:
    await phone.goto(url)
    await phone.fill("#text", text)
    await phone.click(f"button:has-text('{words['send']}')")
    await phone.locator("[role=status]", has_text=words["thanks"]).wait_for()
    mine = await phone.locator("#mine").inner_text()
    assert text in mine and words["waiting"] in mine


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_two_phones_ask_a_moderator_merges_the_projector_follows_and_the_record_is_mailed(
    site: tuple[Web, Stack, Inbox], browser: Any, lang: str
) -> None:
    web, stack, inbox = site
    words = WORDS[lang]
    registrant = f"camille-{lang}@example.org"
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as http:
        body = {"name": "Camille Roux", "email": registrant, "consent": True, "language": lang}
        made = await http.post(f"/api/v1/events/{SLUG}/registrations", json=body)
        assert made.status_code == 201, made.text

    questions = f"{web.url}/e/{SLUG}/questions?lang={lang}"
    # The same phone as B, without JavaScript: its page keeps the form it was given.
    stale = await browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", java_script_enabled=False)
    stale_guard = await guarded(stale)
    try:
        async with (
            watched_page(browser) as tablet,
            watched_page(browser) as projector,
            watched_page(browser) as phone_a,
            watched_page(browser) as phone_b,
        ):
            await login(tablet, web.url)
            # ?lang= is remembered (a cookie) by each browser from then on.
            await tablet.goto(f"{web.url}/organiser/e/{SLUG}/qa/?lang={lang}")
            await tablet.check("input[name=phase][value=open]")
            await tablet.select_option("#language", lang)
            await tablet.click(f"button:has-text('{words['open_phase']}')")
            await tablet.wait_for_selector("body[data-live='1']")

            await projector.goto(f"{web.url}/e/{SLUG}/qa/screen?lang={lang}")
            await projector.wait_for_selector("body[data-live='1']")
            await projector.evaluate("window.stillTheSamePage = true")

            await ask(phone_a, questions, words["q1"], words)
            await ask(phone_b, questions, words["q2"], words)

            # The tablet's queue receives both by itself; the projector shows neither.
            pending = tablet.locator("#status-pending")
            first = pending.locator("li", has_text=words["q1_mark"])
            duplicate = pending.locator("li", has_text=words["q2_mark"])
            for card in (first, duplicate):
                await card.wait_for()
            assert words["q1"] in await first.inner_text()  # the hostile text as text
            assert await projector.locator("#upcoming, #current").count() == 0
            q1, q2 = await first.get_attribute("id"), await duplicate.get_attribute("id")
            assert q1 and q2
            assert await tablet.locator(f"#merge-targets option[value={q1}]").count() == 1

            # The duplicate is merged into the first question, typed into the field the datalist fills.
            # A question arrives while the moderator types: the queue waits, what is typed stays.
            await tablet.evaluate(CHANGES)
            await tablet.wait_for_selector("body[data-ear-ready='1']")
            await duplicate.locator("summary", has_text=words["edit_or_merge"]).click()
            await duplicate.locator("input[name=into]").fill(q1)
            await ask(phone_a, questions, words["q3"], words)
            await tablet.wait_for_selector("body[data-heard='1']")
            await duplicate.locator("button", has_text=words["merge"]).click()
            merged = tablet.locator("#status-merged li", has_text=words["q2_mark"])
            await merged.wait_for()
            kept = await tablet.locator(f"#{q1}").inner_text()
            assert words["asked_by_two"] in kept and f"{words['merged']} {q2}" in kept

            await tablet.locator("#status-pending li", has_text=words["q3_mark"]).wait_for()
            await tablet.locator(f"#{q1} button", has_text=words["approve"]).click()
            await tablet.locator("#status-approved li", has_text=words["q1_mark"]).wait_for()
            await (
                tablet.locator("#status-pending li", has_text=words["q3_mark"])
                .locator("button", has_text=words["reject"])
                .click()
            )
            await tablet.locator("#status-rejected li", has_text=words["q3_mark"]).wait_for()

            # The projector shows the approved question by itself, as text; never the duplicate.
            upcoming = projector.locator("#upcoming li", has_text=words["q1_mark"])
            await upcoming.wait_for()
            assert await projector.get_by_text(words["next"], exact=True).count() == 1  # shown in capitals
            assert words["q1"] in await upcoming.inner_text()
            assert await upcoming.locator(".votes").inner_text() == "0"

            # Phone B votes (live: its page shows the question without a reload), and says so after.
            await phone_b.locator(f"#{q1} button", has_text=words["vote"]).wait_for()
            late = await stale.new_page()
            await stale.add_cookies(await phone_b.context.cookies())
            await late.goto(questions)
            await phone_b.locator(f"#{q1} button", has_text=words["vote"]).click()
            await phone_b.locator(f"#{q1} button", has_text=words["withdraw"]).wait_for()
            await upcoming.locator(".votes", has_text="1").wait_for()
            # The same phone's second vote, from the page it still holds, is refused in words.
            await late.locator(f"#{q1} button", has_text=words["vote"]).click()
            assert words["already"] in await late.locator("#error").inner_text()
            # Phone A votes too: two votes, on the projector and the tablet, by themselves.
            await phone_a.locator(f"#{q1} button", has_text=words["vote"]).click()
            await phone_a.locator(f"#{q1} button", has_text=words["withdraw"]).wait_for()
            await upcoming.locator(".votes", has_text="2").wait_for()
            await tablet.locator(f"#{q1}", has_text=words["two_votes"]).wait_for()
            assert await projector.locator(f"text={words['q2_mark']}").count() == 0
            assert await projector.locator(f"text={words['q3_mark']}").count() == 0
            assert await projector.evaluate("window.pwned === undefined && window.stillTheSamePage === true")

            await tablet.locator(f"#status-approved #{q1} button", has_text=words["answered"]).click()
            await tablet.locator(f"#status-answered #{q1}").wait_for()

            # The event is over (the same round table, ten days ago): the record is published.
            await define(stack.nc, small_event(SLUG, starts_in=-10))
            await tablet.goto(f"{web.url}/organiser/e/{SLUG}/qa/")
            await tablet.fill("#summary-fr", WORDS["fr"]["summary"])
            if lang == "en":
                await tablet.fill("#summary-en", words["summary"])
            await tablet.click(f"#record button:has-text('{words['publish']}')")
            assert words["published"] in await tablet.locator("#record").inner_text()

            await phone_a.goto(f"{web.url}/e/{SLUG}")
            record = await phone_a.locator("#record").inner_text()
            assert words["record"] in record and words["summary"] in record
            assert words["answered_questions"] in record and words["q1"] in record
            if lang == "en":
                assert WORDS["fr"]["summary"] not in record
            page = await phone_a.inner_text("body")
            assert words["q2_mark"] not in page and words["q3_mark"] not in page
            assert await phone_a.evaluate("window.pwned === undefined")

        # The registrant gets one mail with the link, in their language, through real SMTP.
        await wait_until(lambda: len(record_mails(inbox, registrant)) == 1)
        mail = text_of(record_mails(inbox, registrant)[0])
        assert words["mail"] in mail and f"/e/{SLUG}#record" in mail
    finally:
        await stale.close()
    stale_guard.assert_clean()
