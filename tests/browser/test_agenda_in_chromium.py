"""The agenda page, the venue's screen and the organiser's agenda form in a real Chromium."""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from services.kit.i18n import Formatter
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, ROUND_TABLE, Web
from tests.demo_events import instant, shifted
from tests.integration.agenda_support import edit, moved, release, released, session_json

pytestmark = pytest.mark.browser


async def test_the_agenda_page_reads_well_on_a_phone_with_calendar_links(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], page: Any
) -> None:
    first = await released(http, HACKATHON)
    await edit(http, organiser_headers, HACKATHON, {"type": "remove_session", "id": "visite-ferme"})
    await release(http, organiser_headers, HACKATHON, "La visite de ferme est annulée.")
    await released(http, HACKATHON, 2)

    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto(f"{demo.url}/e/{HACKATHON}/agenda")
    assert await page.locator("h1").inner_text() == "Programme"
    assert await page.locator("li.session").count() == len(first["agenda"]["sessions"])
    assert await page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")

    cancelled = page.locator("#s-visite-ferme")
    assert await cancelled.get_attribute("class") == "session cancelled"
    assert await cancelled.locator("del").inner_text() == "Visite de la Ferme du Buisson"
    assert await cancelled.get_by_text("Ajouter à Google Agenda").count() == 0
    assert "La visite de ferme est annulée." in await page.locator("#changes").inner_text()

    webcal = await page.locator("#subscribe-webcal").get_attribute("href")
    assert webcal == f"webcal://{demo.url.split('://')[1]}/e/{HACKATHON}/calendar.ics"
    assert (await page.locator("#subscribe-google").get_attribute("href") or "").startswith(
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F"
    )
    room_links = page.get_by_role("link", name="écran de la salle")
    assert not await room_links.first.is_visible()
    await page.get_by_text("Le programme d'une seule salle").click()
    assert await room_links.count() == len(first["agenda"]["rooms"])
    assert await room_links.first.is_visible()

    await page.goto(f"{demo.url}/e/{HACKATHON}/agenda?lang=en")
    assert await page.locator("#s-ouverture h3").inner_text() == "Hackathon opening"


async def test_the_screen_follows_agenda_changes_live_without_reloading(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], page: Any
) -> None:
    first = await released(http, ROUND_TABLE)
    await page.goto(f"{demo.url}/e/{ROUND_TABLE}/screen?at={shifted('2027-07-08T19:30')}")
    await page.wait_for_selector("body[data-live='1']")
    await page.evaluate("window.notReloaded = true")
    council = page.locator("section[data-room='conseil']")
    assert await council.locator(".now .title").inner_text() == session_json(first, "table-ronde")["title"]
    assert await council.locator(".next .title").inner_text() == session_json(first, "questions")["title"]
    assert await page.locator("#clock").inner_text() == "19 h 30"

    renamed = {k: v for k, v in session_json(first, "table-ronde").items() if k not in ("sequence", "updated_at")}
    renamed["title"] = "Table ronde : former au numérique dans le Perche"
    await edit(http, organiser_headers, ROUND_TABLE, {"type": "put_session", "session": renamed})
    await release(http, organiser_headers, ROUND_TABLE)

    await council.locator(".now .title", has_text=renamed["title"]).wait_for(timeout=10_000)
    assert await page.evaluate("window.notReloaded === true")


async def test_the_screen_is_complete_without_javascript_and_refreshes_itself(
    demo: Web, http: httpx.AsyncClient, browser: Any
) -> None:
    await released(http, ROUND_TABLE)
    context = await browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        plain = await context.new_page()
        await plain.goto(f"{demo.url}/e/{ROUND_TABLE}/screen?room=hall&at={shifted('2027-07-08T18:35')}")
        assert await plain.locator("section.room").count() == 1
        assert await plain.locator(".now .title").inner_text() == "Accueil du public"
        assert await plain.locator(".next .title").inner_text() == "Verre de l'amitié"
        assert await plain.locator("noscript").count() == 1
    finally:
        await context.close()


async def test_an_organiser_adds_a_session_with_the_form_and_sees_the_conflict(
    demo: Web, http: httpx.AsyncClient, page: Any
) -> None:
    await released(http, ROUND_TABLE)
    await page.goto(f"{demo.url}/organiser/e/{ROUND_TABLE}/agenda")
    await page.get_by_label("Adresse e-mail").fill(ORGANISER_EMAIL)
    await page.get_by_label("Mot de passe").fill(ORGANISER_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"**/organiser/e/{ROUND_TABLE}/agenda")

    form = page.locator("#session-form")
    await form.get_by_label("Titre", exact=True).fill("Photo de groupe")
    await form.get_by_label("Début").fill(shifted("2027-07-08T20:45"))
    await form.get_by_label("Fin").fill(shifted("2027-07-08T20:55"))
    await form.get_by_label("Salle").select_option("hall")
    await form.get_by_role("button", name="Ajouter la session").click()
    await page.wait_for_url(f"**/organiser/e/{ROUND_TABLE}/agenda#sessions")

    assert await page.locator("#issues li[data-kind='room_double_booked']").count() == 1
    assert "Photo de groupe" in await page.locator("#release").inner_text()


async def test_the_release_screen_says_who_will_be_mailed_with_the_participants_counted(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], page: Any
) -> None:
    """Moving the participants' welcome coffee tells the confirmed participants and mentors (its
    audience), not the visitors: the screen says how many, before the organiser releases."""
    first = await released(http, HACKATHON)
    for name, category in (("Lea", "participant"), ("Sam", "participant"), ("Mo", "mentor"), ("Vic", "public")):
        body = {"name": name, "email": f"{name.lower()}@example.org", "consent": True, "category": category}
        if category == "participant":
            body["answers"] = {"level": "Débutant·e", "team": "Seul·e, je cherche une équipe"}
        created = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
        assert created.status_code == 201, created.text
    coffee = moved(session_json(first, "accueil"), shifted("2027-06-11T09:10:00"), shifted("2027-06-11T09:30:00"))
    assert (await edit(http, organiser_headers, HACKATHON, coffee)).status_code == 200

    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/agenda")
    await page.get_by_label("Adresse e-mail").fill(ORGANISER_EMAIL)
    await page.get_by_label("Mot de passe").fill(ORGANISER_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"**/organiser/e/{HACKATHON}/agenda")
    told = page.locator("#told")
    await told.wait_for()
    assert "3 personnes seront prévenues par mail" in await told.inner_text()
    participants = await told.locator("li[data-told='participants']").inner_text()
    assert participants.startswith("3 participant·es inscrit·es et confirmé·es")


async def test_the_english_agenda_reads_english_and_every_request_of_the_page_succeeds(
    demo: Web, http: httpx.AsyncClient, page: Any
) -> None:
    await released(http, HACKATHON)
    answered: dict[str, int] = {}
    page.on("response", lambda response: answered.__setitem__(urlsplit(response.url).path, response.status))
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    await page.goto(f"{demo.url}/e/{HACKATHON}/agenda?lang=en")
    friday = instant(datetime(2027, 6, 11, 9, 30))
    assert await page.locator("h2", has_text="Friday").first.inner_text() == Formatter("en").date(friday)
    opening = page.locator("#s-ouverture")
    assert "Lecture hall (ground floor)" in await opening.locator(".meta").inner_text()
    assert "Claire Moreau, president of the community of communes" in await opening.inner_text()
    # The icon the page names is there (no 404 in the logs), and so is every other request.
    icon = await page.evaluate("fetch('/favicon.ico').then(r => r.status + ' ' + r.headers.get('content-type'))")
    assert icon == "200 image/svg+xml"
    assert failed == [] and {path: status for path, status in answered.items() if status >= 400} == {}
