"""Forming teams in a real Chromium, in French and in English: two participants register, the
first founds a team, the second joins it with its code, the organiser sees the team. Pages work
on a phone without JavaScript and with the keyboard alone; axe-core finds no serious or critical
violation on any of them."""

from typing import Any

import httpx
import pytest

from services.cli.demo_day import plain
from tests.axe import serious_violations
from tests.browser.test_registration_in_chromium import PHONE, login, screenshot
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import CRITERIA, JURY, RESULTS, Jury, jury, post_form, score
from tests.integration.test_pages import Page
from tests.integration.test_teams import register, send
from tests.integration.test_teams_frozen import FROZEN_FR

pytestmark = pytest.mark.browser
__all__ = ["jury"]  # the fixture, shared with the judging tests

WORDS = {
    "fr": {
        "locale": "fr-FR",
        "confirmed": "Merci, votre inscription est confirmée",
        "my_team": "Mon équipe",
        "create": "Créer l'équipe",
        "join": "Rejoindre l'équipe",
        "created": "Votre équipe est créée.",
        "joined": "Vous avez rejoint l'équipe.",
        "size": "Membres : 2 sur 5",
        "challenge": "Défi : Vendre en circuit court",
    },
    "en": {
        "locale": "en-GB",
        "confirmed": "Thank you, your registration is confirmed",
        "my_team": "My team",
        "create": "Create the team",
        "join": "Join the team",
        "created": "Your team is created.",
        "joined": "You joined the team.",
        "size": "Members: 2 of 5",
        "challenge": "Challenge: Selling direct to local buyers",
    },
}


async def phone(browser: Any, locale: str) -> tuple[Any, Any]:
    """A phone-sized page without JavaScript, in that language."""
    context = await browser.new_context(
        java_script_enabled=False, viewport=PHONE, locale=locale, timezone_id="Europe/Paris"
    )
    return context, await context.new_page()


def with_language(url: str, language: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


async def register_participant(page: Any, url: str, name: str, email: str, words: dict[str, str]) -> None:
    await page.goto(f"{url}/e/{HACKATHON}")
    await page.fill("#f-name", name)
    await page.fill("#f-email", email)
    await page.check("input[name=category][value=participant]")
    await page.check("input[name=q_level][value='Quelques projets']")
    await page.check("input[name=q_team][value='Seul·e, je cherche une équipe']")
    await page.check("input[name=consent]")
    await page.click("button[type=submit]")
    assert words["confirmed"] in await page.inner_text("main")


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_two_participants_form_a_team_and_the_organiser_sees_it(
    demo: Web, browser: Any, page: Any, language: str
) -> None:
    """Phones without JavaScript walk the path; axe (which needs JavaScript) then checks each page seen."""
    words = WORDS[language]
    seen: list[str] = []
    founder_context, founder = await phone(browser, words["locale"])
    joiner_context, joiner = await phone(browser, words["locale"])
    try:
        await register_participant(founder, demo.url, "Alice Martin", "alice@example.org", words)
        await founder.click(f"text={words['my_team']}")
        seen.append(founder.url)
        await screenshot(founder, f"team-none-{language}")
        await founder.fill("#f-name", "Les Épis")
        await founder.select_option("#f-challenge", "circuit-court")
        await founder.check("input[name=open][value=no]")
        await founder.get_by_role("button", name=words["create"], exact=True).click()
        assert words["created"] in await founder.inner_text("[role=status]")
        assert await founder.inner_text("#team-title") == "Les Épis"
        code = await founder.inner_text("#team-code")
        seen.append(founder.url)
        await screenshot(founder, f"team-founder-{language}")

        await register_participant(joiner, demo.url, "Bruno Petit", "bruno@example.org", words)
        await joiner.click(f"text={words['my_team']}")
        assert "Les Épis" not in await joiner.inner_text("main")  # a closed team is joined by its code
        await joiner.fill("#f-code", code.lower())
        await joiner.get_by_role("button", name=words["join"], exact=True).click()
        assert words["joined"] in await joiner.inner_text("[role=status]")
        assert await joiner.inner_text("#team-size") == words["size"]
        assert words["challenge"] in await joiner.inner_text("#team")
        seen.append(joiner.url)
    finally:
        await founder_context.close()
        await joiner_context.close()

    organiser_context, organiser = await phone(browser, words["locale"])
    try:
        await login(organiser, demo.url)
        await organiser.goto(f"{demo.url}/organiser/e/{HACKATHON}?lang={language}")
        await organiser.click(f"a[href='/organiser/e/{HACKATHON}/teams']")
        card = organiser.locator("article", has_text="Les Épis")
        assert "Alice Martin" in await card.inner_text() and "Bruno Petit" in await card.inner_text()
        assert code in await card.inner_text()
        seen.append(organiser.url)
        await screenshot(organiser, f"team-organiser-{language}")
        await organiser.goto(f"{demo.url}/e/{HACKATHON}/teams?lang={language}")
        assert "Les Épis" in await organiser.inner_text("main")
        assert "Alice" not in await organiser.inner_text("main")
        seen.append(organiser.url)
    finally:
        await organiser_context.close()

    problems: dict[str, list[str]] = {}
    await login(page, demo.url)
    for url in seen:
        await page.goto(with_language(url, language))
        problems[url] = await serious_violations(page)
    assert {url: found for url, found in problems.items() if found} == {}


async def test_a_wrong_code_is_announced_and_tied_to_its_field(demo: Web, page: Any) -> None:
    await register_participant(page, demo.url, "Chloé Durand", "chloe@example.org", WORDS["fr"])
    await page.click("text=Mon équipe")
    await page.fill("#f-code", "ZZZZZ9")
    await page.get_by_role("button", name="Rejoindre l'équipe", exact=True).click()
    alert = page.locator("[role=alert]")
    assert "Ce code ne correspond à aucune équipe" in await alert.inner_text()
    field = page.locator("#f-code")
    assert await field.get_attribute("aria-invalid") == "true"
    assert "err-code" in (await field.get_attribute("aria-describedby")).split()
    assert await field.input_value() == "ZZZZZ9"
    assert await serious_violations(page) == []


async def test_a_team_is_created_and_joined_with_the_keyboard_alone(
    demo: Web, page: Any, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = []
    for name in ("Driss Keyboard", "Emma Keyboard"):
        body = {
            "name": name,
            "email": f"{plain(name.split()[0])}@example.org",
            "consent": True,
            "category": "participant",
            "answers": {"level": "Débutant·e", "team": "Seul·e, je cherche une équipe"},
        }
        made = (await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)).json()
        people.append(f"{demo.url}/r/{made['id']}/team?token={made['manage_url'].split('token=')[1]}")

    await page.goto(people[0])
    await page.focus("#f-name")
    await page.keyboard.type("Les Claviers")
    await page.keyboard.press("Tab")  # the challenge
    await page.keyboard.press("ArrowDown")
    for _ in range(10):  # on to the button, leaving the team open
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    await page.keyboard.press("Enter")
    await page.wait_for_url("**done=created**")
    assert await page.inner_text("#team-title") == "Les Claviers"

    await page.goto(people[1])
    join = page.get_by_role("button", name="Rejoindre l'équipe Les Claviers")
    await join.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url("**done=joined**")
    assert await page.inner_text("#team-size") == "Membres : 2 sur 5"
    teams = (await http.get(f"/api/v1/events/{HACKATHON}/teams", headers=organiser_headers)).json()
    [team] = teams["teams"]
    assert (team["name"], team["challenge"], [m["name"] for m in team["members"]]) == (
        "Les Claviers",
        "traite",
        ["Driss Keyboard", "Emma Keyboard"],
    )


async def test_after_judging_closed_and_results_published_the_winning_team_cannot_be_joined_by_its_code(
    demo: Web, page: Any, http: httpx.AsyncClient, jury: Jury
) -> None:
    """Chloé opened her team page while judging was open; she types the winners' code after the results are out."""
    winners = jury.teams[0]
    alice = await register(http, "Alice Martin")
    assert (await send(http, alice, "join", team_id=winners)).status_code == 303
    code = Page((await http.get(alice["team_url"])).text).text_of("team-code")
    await register_participant(page, demo.url, "Chloé Durand", "chloe@example.org", WORDS["fr"])
    await page.click("text=Mon équipe")
    await page.wait_for_selector("#f-code")

    link = jury.link("Claire Moreau")
    for team, points in zip(jury.teams, ("9", "5", "7"), strict=True):
        for criterion in CRITERIA:
            given = min(points, "5") if criterion == "pitch" else points
            assert (await score(http, link, team, criterion, given)).status_code == 303
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
    assert (await post_form(http, RESULTS + "/", RESULTS + "/publish")).status_code == 303

    await page.fill("#f-code", code)
    await page.get_by_role("button", name="Rejoindre l'équipe", exact=True).click()
    await page.wait_for_selector("#errors, #outcome")  # refused, or (before the fix) in the team with its rank
    main = await page.inner_text("main")
    assert "classée" not in main and "Vous avez rejoint l'équipe" not in main
    assert FROZEN_FR in await page.inner_text("[role=alert]")
    assert await page.locator("#teams-frozen").is_visible()
    assert await page.locator("#f-code").count() == 0  # nothing left to join, found or leave
    await page.reload()
    assert "classée" not in await page.inner_text("main")
    assert await page.get_by_role("button", name="Créer l'équipe").count() == 0
    assert await serious_violations(page) == []
    teams = (await http.get(f"/api/v1/events/{HACKATHON}/teams")).json()
    assert [m["name"] for m in next(t for t in teams["teams"] if t["id"] == winners)["members"]] == ["Alice Martin"]
