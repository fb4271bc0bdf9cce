"""The public's and the organisers' main paths in a real Chromium, in both languages.

Registration works without JavaScript on a phone-sized screen, errors are announced
and tied to their fields, the door check-in works from the QR code's link, axe-core
finds no serious or critical violation, and the registration page is light and
usable on a slow 3G profile. Screenshots land in docs/screenshots/ for the README.
"""

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.kit.i18n import Formatter
from tests.axe import serious_violations
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, ROOT, Web
from tests.demo_events import demo_event

pytestmark = pytest.mark.browser

SHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}


async def screenshot(page: Any, name: str) -> None:
    """Pictures for the README, taken when asked (PERCHE_SCREENSHOTS=1) so runs leave the tree clean."""
    if os.environ.get("PERCHE_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def phone_without_javascript(browser: Any, language: str = "fr-FR") -> Any:
    context = await browser.new_context(
        java_script_enabled=False, viewport=PHONE, locale=language, timezone_id="Europe/Paris"
    )
    return context, await context.new_page()


async def fill_registration(page: Any, name: str, email: str) -> None:
    await page.fill("#f-name", name)
    await page.fill("#f-email", email)
    await page.check("input[name=category][value=public]")
    await page.check("input[name=consent]")


async def test_a_visitor_registers_on_a_phone_without_javascript_once_and_cancels(
    demo: Web, browser: Any, organiser_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    context, page = await phone_without_javascript(browser)
    try:
        await page.goto(f"{demo.url}/")
        await screenshot(page, "home")
        await page.click(f"a[href='/e/{HACKATHON}']")
        hackathon = demo_event(HACKATHON)  # « vendredi 11 juin 2027 » as written, moved (tests/demo_events.py)
        assert Formatter("fr").date(hackathon.starts_at, hackathon.timezone) in await page.inner_text("main")
        await screenshot(page, "event")
        await fill_registration(page, "Claire Martin", "claire@example.org")
        await page.click("button[type=submit]")
        assert "Merci, votre inscription est confirmée" in await page.inner_text("main")
        assert await page.locator(".qr svg").count() == 1
        await screenshot(page, "confirmation")

        # Back to the filled form and submit again, as an impatient person would.
        await page.go_back()
        await page.click("button[type=submit]")
        listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
        assert [r["email"] for r in listed] == ["claire@example.org"]

        await page.click("text=Annuler mon inscription")
        await page.click("text=Oui, annuler mon inscription")  # it asks first
        assert "annulée" in await page.inner_text(".badge")
        listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
        assert [r["status"] for r in listed] == ["cancelled"]
    finally:
        await context.close()


async def test_form_errors_are_announced_and_tied_to_their_fields_in_english(
    demo: Web, browser: Any, organiser_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    context, page = await phone_without_javascript(browser, "en-GB")
    try:
        await page.goto(f"{demo.url}/e/{HACKATHON}")
        assert await page.locator("h1").inner_text() == "Agriculture hackathon at the La Loupe county fair"
        await fill_registration(page, "Sam", "not-an-email")
        await page.click("button[type=submit]")
        alert = page.locator("[role=alert]")
        assert "The registration was not saved" in await alert.inner_text()
        email = page.locator("#f-email")
        assert await email.get_attribute("aria-invalid") == "true"
        described = await email.get_attribute("aria-describedby")
        assert await page.locator(f"#{described}").inner_text() == (
            "This email address does not look valid: please check it."
        )
        assert await email.input_value() == "not-an-email"  # nothing typed is lost
        listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
        assert listed == []
    finally:
        await context.close()


async def test_the_form_works_with_the_keyboard_alone(demo: Web, page: Any, http: httpx.AsyncClient) -> None:
    await page.goto(f"{demo.url}/e/table-ronde-numerique-education-2027")
    await page.focus("#f-name")
    await page.keyboard.type("Yves Keyboard")
    await page.keyboard.press("Tab")
    await page.keyboard.type("yves@example.org")
    # Tab on to the consent box, tick it with the space bar, then send with Enter on the button.
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.name") == "consent":
            break
    await page.keyboard.press("Space")
    while await page.evaluate("document.activeElement.tagName") != "BUTTON":
        await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/r/**")
    assert "Merci, votre inscription est confirmée" in await page.inner_text("main")


async def login(page: Any, url: str) -> None:
    await page.goto(f"{url}/organiser/login")
    await page.fill("#f-email", ORGANISER_EMAIL)
    await page.fill("#f-password", ORGANISER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/organiser/")


async def test_an_organiser_checks_a_person_in_from_the_qr_code_link(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    made = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={"name": "Hélène Dubois", "email": "helene@example.org", "consent": True, "category": "public"},
    )
    person = made.json()
    await page.set_viewport_size(PHONE)
    await login(page, demo.url)
    await screenshot(page, "organiser")
    # What the phone's camera opens from the QR code on the confirmation page.
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/checkin?code={person['id']}")
    assert await page.locator("article h2").inner_text() == "Hélène Dubois"
    await page.click("text=Enregistrer l'arrivée")
    assert "Arrivée enregistrée" in await page.inner_text("main")
    assert await page.inner_text("#arrived") == "1"
    await page.fill("#f-q", "helene")
    await page.click("button:text('Chercher')")
    assert "Arrivé·e à" in await page.inner_text("article")
    await screenshot(page, "checkin")


async def test_every_page_type_has_no_serious_accessibility_violation_in_both_languages(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    made = (
        await http.post(
            f"/api/v1/events/{HACKATHON}/registrations",
            json={"name": "Axe", "email": "axe@example.org", "consent": True, "category": "public"},
        )
    ).json()
    manage = made["manage_url"].replace("http://localhost", "").split("/r/", 1)[1]
    public_pages = [
        "/",
        f"/e/{HACKATHON}",
        f"/r/{manage}",
        f"/r/{manage.replace('?', '/cancel?', 1)}",  # cancelling asks first
        f"/e/{HACKATHON}/agenda",
        f"/e/{HACKATHON}/screen",
        "/e/nope",
        "/organiser/login",
        "/organiser/forgot",
        "/o/perche",
    ]
    organiser_pages = [
        "/organiser/",
        f"/organiser/e/{HACKATHON}",
        f"/organiser/e/{HACKATHON}/checkin?q=axe",
        f"/organiser/r/{made['id']}/cancel",
        f"/organiser/r/{made['id']}/erase",
        f"/organiser/e/{HACKATHON}/edit",
        f"/organiser/e/{HACKATHON}/form",
        "/organiser/new",
        f"/organiser/e/{HACKATHON}/agenda",
        "/organiser/mails/",
        "/organiser/o/perche/members",
        "/organiser/o/perche/tokens",
        "/organiser/organisations/",
        "/organiser/account",
        "/organiser/account/two-step",
    ]
    problems: dict[str, list[str]] = {}
    for language in ("fr", "en"):
        for path in public_pages:
            await page.goto(f"{demo.url}{path}{'&' if '?' in path else '?'}lang={language}")
            problems[f"{language} {path}"] = await serious_violations(page)
    await login(page, demo.url)
    for language in ("fr", "en"):
        for path in organiser_pages:
            await page.goto(f"{demo.url}{path}{'&' if '?' in path else '?'}lang={language}")
            problems[f"{language} {path}"] = await serious_violations(page)
    assert {page_: found for page_, found in problems.items() if found} == {}


async def on_slow_3g(browser: Any, url: str) -> tuple[float | None, int, set[str]]:
    """First contentful paint (ms), bytes transferred and hosts asked, loading `url` on a phone
    under Chrome DevTools' "Slow 3G": 400 ms latency, 400 kbit/s down, 400 kbit/s up."""
    context = await browser.new_context(viewport=PHONE, locale="fr-FR")
    page = await context.new_page()
    transferred: list[int] = []
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    client = await context.new_cdp_session(page)
    await client.send("Network.enable")
    client.on("Network.loadingFinished", lambda event: transferred.append(event["encodedDataLength"]))
    await client.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    )
    try:
        await page.goto(url, wait_until="load")
        paint = await page.evaluate(
            "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0] || null"
        )
        return paint, sum(transferred), hosts
    finally:
        await context.close()


async def test_the_registration_page_is_light_and_fast_on_slow_3g(demo: Web, browser: Any) -> None:
    paint, transferred, hosts = await on_slow_3g(browser, f"{demo.url}/e/{HACKATHON}")
    assert paint is not None and paint < 2000, f"first contentful paint {paint} ms"
    assert transferred <= 50 * 1024, f"{transferred} bytes transferred"
    assert hosts == {demo.url.split("/")[2]}, f"third-party requests: {hosts}"


def test_screenshots_are_where_the_readme_expects_them() -> None:
    readme = Path(ROOT / "README.md")
    if not readme.exists():
        pytest.skip("no README yet")
    for name in ("home", "event", "confirmation", "organiser"):
        if f"docs/screenshots/{name}.png" in readme.read_text(encoding="utf-8"):
            assert (SHOTS / f"{name}.png").exists() or not SHOTS.exists()


async def test_with_javascript_only_the_chosen_categorys_questions_show(demo: Web, page: Any) -> None:
    await page.goto(f"{demo.url}/e/{HACKATHON}")
    level = page.locator("#f-q_level")
    assert await level.is_visible()  # participants are the default category
    await page.check("input[name=category][value=public]")
    assert not await level.is_visible()
    assert await page.locator("#f-q_accessibility").is_visible()  # asked of everyone
    await page.check("input[name=category][value=participant]")
    assert await level.is_visible()


async def test_a_waiting_person_claims_a_freed_seat_and_changes_answers_from_the_manage_page(
    demo: Web, page: Any, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = []
    for i in range(11):  # mentors have 10 seats
        reply = await http.post(
            f"/api/v1/events/{HACKATHON}/registrations",
            json={"name": f"Mentor {i}", "email": f"m{i}@example.org", "consent": True, "category": "mentor"},
        )
        people.append(reply.json())
    waiting = people[10]
    await page.goto(waiting["manage_url"].replace("http://localhost", demo.url))
    assert "Votre rang sur la liste d'attente : 1" in await page.inner_text("main")

    await http.post(f"/api/v1/registrations/{people[0]['id']}/cancel", headers=organiser_headers)
    await page.reload()
    assert "Une place s'est libérée pour vous" in await page.inner_text("main")
    await page.click("text=Je confirme ma place")
    assert "Merci, votre inscription est confirmée" in await page.inner_text("main")

    await page.click("summary:text('Modifier mes réponses')")
    await page.fill("#f-name", "Mentor Dix")
    await page.check("input[name=q_skills][value='Données']")
    await page.click("button:text('Enregistrer')")
    assert "Vos réponses sont enregistrées" in await page.inner_text("main")
    token = waiting["manage_url"].split("token=")[1]
    mine = (await http.get(f"/api/v1/registrations/{waiting['id']}", params={"token": token})).json()
    assert (mine["status"], mine["name"], mine["answers"]) == ("confirmed", "Mentor Dix", {"skills": ["Données"]})


async def test_an_organiser_gives_a_seat_and_erases_data_from_the_event_page(
    demo: Web, page: Any, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    for i in range(11):
        await http.post(
            f"/api/v1/events/{HACKATHON}/registrations",
            json={"name": f"Mentor {i}", "email": f"m{i}@example.org", "consent": True, "category": "mentor"},
        )
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}")
    rows = page.locator("tbody tr")
    await rows.filter(has_text="Mentor 0").get_by_role("button", name="Annuler").click()
    await page.get_by_role("button", name="Oui, annuler cette inscription").click()  # it asks first
    await page.locator("tbody tr").filter(has_text="Mentor 10").get_by_role("button", name="Donner une place").click()
    listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
    assert {r["name"]: r["status"] for r in listed}["Mentor 10"] == "confirmed"
    await page.locator("tbody tr").filter(has_text="Mentor 3").get_by_role("button", name="Effacer ses données").click()
    await page.get_by_role("button", name="Effacer définitivement").click()  # it asks first
    assert "(données effacées)" in await page.locator("tbody").last.inner_text()
    listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
    assert "m3@example.org" not in [r["email"] for r in listed]


async def test_in_english_a_visitor_registers_changes_answers_is_checked_in_and_cancels(
    demo: Web, browser: Any, page: Any, organiser_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    context, phone = await phone_without_javascript(browser, "en-GB")
    try:
        await phone.goto(f"{demo.url}/e/{HACKATHON}")
        await fill_registration(phone, "Sam Taylor", "sam@example.org")
        await phone.click("button[type=submit]")
        assert "Thank you, your registration is confirmed!" in await phone.inner_text("main")
        manage_url = phone.url

        await phone.click("text=Change my answers")
        await phone.fill("details #f-name", "Sam J. Taylor")
        await phone.click("details button[type=submit]")
        assert "Your answers are saved." in await phone.inner_text("main")

        # The language switch keeps the private link working.
        await phone.click("text=Français")
        assert "Annuler mon inscription" in await phone.inner_text("main")
        assert "Sam J. Taylor" in await phone.input_value("details #f-name")
        await phone.click("text=English")

        # The organiser, in English too, checks Sam in from the QR code's link.
        await login(page, demo.url)
        person_id = manage_url.split("/r/")[1].split("?")[0]
        await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/checkin?code={person_id}&lang=en")
        await page.click("text=Record arrival")
        assert "Arrival recorded." in await page.inner_text("main")

        await phone.goto(manage_url)
        await phone.click("text=Cancel my registration")
        await phone.click("text=Yes, cancel my registration")  # it asks first
        assert "cancelled" in await phone.inner_text(".badge")
        listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
        assert [(r["name"], r["status"]) for r in listed] == [("Sam J. Taylor", "cancelled")]
    finally:
        await context.close()


async def fill_with_mistakes(page: Any) -> None:
    """A participant's form with five problems: no name, a wrong address, two required answers
    left out and the consent not ticked; an answer that is right and must be kept."""
    await page.fill("#f-name", "")
    await page.fill("#f-email", "claire.example.org")
    await page.check("input[name=category][value=participant]")
    await page.check("input[name=q_skills][value='Données']")
    await page.fill("#f-q_diet", "Sans gluten")
    await page.click("button[type=submit]")


async def in_viewport(page: Any, selector: str) -> bool:
    box = await page.locator(selector).bounding_box()
    height = (page.viewport_size or PHONE)["height"]
    # Its top (at least its first 100 px) on the screen; scrolled to, it may start a fraction of a pixel above.
    return box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 100) <= height


async def test_a_form_with_several_mistakes_lists_them_all_at_once_and_lands_on_the_summary(
    demo: Web, browser: Any, page: Any, organiser_headers: dict[str, str], http: httpx.AsyncClient
) -> None:
    fields = ["#f-name", "#f-email", "#f-q_level", "#f-q_team", "#f-consent"]
    # Without JavaScript, on a phone: the answer opens on the summary (the form is far down the page).
    context, phone = await phone_without_javascript(browser)
    try:
        await phone.goto(f"{demo.url}/e/{HACKATHON}")
        await fill_with_mistakes(phone)
        summary = phone.locator("#errors")
        assert await summary.locator("h2").inner_text() == "Il y a un problème"
        links = summary.locator("a")
        assert [await links.nth(i).get_attribute("href") for i in range(await links.count())] == fields
        assert await links.nth(1).inner_text() == "Cette adresse e-mail ne semble pas valide : vérifiez-la."
        assert await in_viewport(phone, "#errors")
        assert await phone.locator("#errors:focus").count() == 1
        # What was typed is kept.
        assert await phone.input_value("#f-email") == "claire.example.org"
        assert await phone.input_value("#f-q_diet") == "Sans gluten"
        assert await phone.is_checked("input[name=category][value=participant]")
        assert await phone.is_checked("input[name=q_skills][value='Données']")
    finally:
        await context.close()

    # With JavaScript: the summary is focused, and each link focuses its field's first input.
    await page.set_viewport_size(PHONE)
    await page.goto(f"{demo.url}/e/{HACKATHON}")
    await fill_with_mistakes(page)
    await page.wait_for_selector("#errors:focus")
    assert await in_viewport(page, "#errors")
    assert await serious_violations(page) == []
    for href, name in zip(fields, ["name", "email", "q_level", "q_team", "consent"], strict=True):
        await page.click(f"#errors a[href='{href}']")
        assert await page.evaluate("document.activeElement.name") == name, href
        assert await in_viewport(page, ":focus")
        await page.locator("#errors").scroll_into_view_if_needed()
    listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)).json()
    assert listed == []


async def test_the_answers_form_lists_every_problem_and_lands_on_them(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    made = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={
            "name": "Lucie Petit",
            "email": "lucie@example.org",
            "consent": True,
            "category": "participant",
            "answers": {"level": "Débutant·e", "team": "Seul·e, je cherche une équipe"},
        },
    )
    await page.set_viewport_size(PHONE)
    await page.goto(made.json()["manage_url"].replace("http://localhost", demo.url))
    await page.click("summary:text('Modifier mes réponses')")
    await page.fill("details #f-name", " ")
    await page.fill("#f-q_diet", "Sans lactose")
    # A chosen radio cannot be unchosen by hand; a page left open while the event changed can.
    await page.evaluate("document.querySelectorAll('input[name=q_level]').forEach(r => { r.checked = false; })")
    await page.click("details button[type=submit]")
    await page.wait_for_selector("#errors:focus")
    links = page.locator("#errors a")
    hrefs = [await links.nth(i).get_attribute("href") for i in range(await links.count())]
    assert hrefs == ["#f-name", "#f-q_level"]
    assert await page.locator("#errors h2").inner_text() == "Il y a un problème"
    assert await in_viewport(page, "#errors")
    assert await page.input_value("#f-q_diet") == "Sans lactose"
    await page.click("#errors a[href='#f-q_level']")
    assert await page.evaluate("document.activeElement.name") == "q_level"
