"""Forming teams for people who came alone, in a real Chromium, in French and in English: the organiser
links two people « together », asks for a proposal, moves someone, locks a team, reruns for the rest and
confirms; the teams are then on the teams board. Every step is a plain form (no JavaScript needed); the
README's screenshots of the proposal are taken here."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.axe import serious_violations
from tests.browser.test_registration_in_chromium import login, screenshot
from tests.conftest import Web, define_events
from tests.integration.formation_support import answers, formation_event

pytestmark = pytest.mark.browser

SLUG = "hack-formation-chromium"
NAMES = [
    "Camille Roux",
    "Jules Martin",
    "Inès Benali",
    "Hugo Lefèvre",
    "Léa Moreau",
    "Yanis Girard",
    "Chloé Faure",
    "Noah Mercier",
    "Manon Blanc",
    "Lucas Garnier",
    "Sarah Chevalier",
    "Théo Lambert",
]
WORDS = {
    "fr": {
        "locale": "fr-FR",
        "add_link": "Ajouter le lien",
        "linked": "Le lien est ajouté",
        "together": "ensemble",
        "move": "Déplacer",
        "moved": "La personne est déplacée",
        "lock": "Verrouiller",
        "locked": "L'équipe est verrouillée",
        "rerun": "Relancer pour les équipes non verrouillées",
        "confirm": "Confirmer ces équipes",
        "created": "Équipes créées",
        "reasons": "qui cod",
    },
    "en": {
        "locale": "en-GB",
        "add_link": "Add the link",
        "linked": "The link is added",
        "together": "together",
        "move": "Move",
        "moved": "The person is moved",
        "lock": "Lock",
        "locked": "The team is locked",
        "rerun": "Rerun for the unlocked teams",
        "confirm": "Confirm these teams",
        "created": "Teams created",
        "reasons": "who code",
    },
}


async def register_everyone(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for i, name in enumerate(NAMES):
            body = {
                "name": name,
                "email": f"p{i}@example.org",
                "consent": True,
                "category": "participant",
                "answers": answers(i),
            }
            reply = await http.post(f"/api/v1/events/{SLUG}/registrations", json=body)
            assert reply.status_code in (200, 201), reply.text


async def members_of(article: Any) -> list[str]:
    return [await s.inner_text() for s in await article.locator(".members li > strong").all()]


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_organiser_forms_teams_for_people_who_came_alone(
    demo: Web, browser: Any, language: str, tmp_path: Path
) -> None:
    words = WORDS[language]
    await define_events(demo.nats_url, formation_event(tmp_path, SLUG))
    await register_everyone(demo.url)
    # The whole path without JavaScript: every step is a plain form.
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale=words["locale"]
    )
    page = await context.new_page()
    try:
        await login(page, demo.url)
        await page.goto(f"{demo.url}/organiser/e/{SLUG}/teams")
        await page.click("#formation-link")
        assert page.url.endswith(f"/organiser/e/{SLUG}/teams/formation")

        # Camille and Jules come together.
        await page.select_option("#f-first", label="Camille Roux")
        await page.select_option("#f-kind", "together")
        await page.select_option("#f-second", label="Jules Martin")
        await page.get_by_role("button", name=words["add_link"], exact=True).click()
        assert words["linked"] in await page.inner_text("#formation-done")
        assert words["together"] in await page.inner_text("#links")

        await page.fill("#f-min", "3")
        await page.fill("#f-max", "4")
        await page.click("#propose")
        teams = page.locator("#draft article")
        assert await teams.count() == 3
        first = teams.nth(0)
        assert "/100" in await first.inner_text() and words["reasons"] in await first.inner_text()
        # Everyone's challenges are ranked and the sizes hold: nothing is reported as missing or broken.
        assert await page.locator("#missing-title").count() == 0
        assert await page.locator("#violations").count() == 0
        # Each member's answers in the page's language (stored in French).
        experience = {"fr": "Quelques projets", "en": "A few projects"}[language]
        assert experience in await page.inner_text("#draft")
        if language == "en":
            assert "Débutant·e" not in await page.inner_text("#draft")
        await screenshot(page, f"team-formation-{language}")
        together = page.locator("#draft article", has_text="Camille Roux")
        assert "Jules Martin" in await together.inner_text()

        # Move someone of the second team into the first, then lock the first.
        first_id = await first.get_attribute("id")
        second = teams.nth(1)
        [mover, *_] = await members_of(second)
        item = second.locator(".members li", has_text=mover)
        await item.locator("select").select_option(first_id)
        await item.get_by_role("button", name=f"{words['move']} {mover}", exact=True).click()
        assert words["moved"] in await page.inner_text("#formation-done")
        first = page.locator(f"#{first_id}")
        assert mover in await members_of(first)
        locked_members = sorted(await members_of(first))
        await first.locator("form[action$='/lock'] button").click()
        assert words["locked"] in await page.inner_text("#formation-done")
        assert "locked" in (await page.locator(f"#{first_id}").get_attribute("class") or "")

        # Rerun for the rest: the locked team stays as it is.
        await page.get_by_role("button", name=words["rerun"], exact=True).click()
        kept = page.locator("#draft article.locked")
        assert await kept.count() == 1
        assert sorted(await members_of(kept)) == locked_members
        count = await page.locator("#draft article").count()
        # axe needs JavaScript: the same page, in a context of its own.
        checker = await browser.new_context(viewport={"width": 1280, "height": 900}, locale=words["locale"])
        try:
            await login(checked := await checker.new_page(), demo.url)
            await checked.goto(page.url)
            assert await serious_violations(checked) == []
        finally:
            await checker.close()

        await page.get_by_role("button", name=words["confirm"], exact=True).click()
        assert words["created"] in await page.inner_text("#confirmed")
        assert "Camille Roux" in await page.inner_text("#confirmed")

        await page.goto(f"{demo.url}/organiser/e/{SLUG}/teams")
        assert await page.inner_text("#count-teams") == str(count)
        assert await page.inner_text("#count-unplaced") == "0"
        board = page.locator("article", has_text=mover)
        assert sorted(await board.locator(".members li").all_inner_texts()) != []
        for name in locked_members:
            assert name in await board.inner_text()
    finally:
        await context.close()
