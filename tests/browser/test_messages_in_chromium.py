"""An organiser writes to an event's registrants in a real Chromium, without JavaScript needed:
compose, preview (the mail as a French and an English reader get it, and to how many people),
send; the mail log then lists the messages."""

from typing import Any

import httpx
import pytest

from tests.axe import serious_violations
from tests.browser.test_registration_in_chromium import login
from tests.conftest import HACKATHON, Web

pytestmark = pytest.mark.browser


async def test_an_organiser_composes_previews_and_sends_a_message_to_everyone(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    for name, email, language in (("Anne Leroy", "anne@example.org", "fr"), ("Sam Hill", "sam@example.org", "en")):
        made = await http.post(
            f"/api/v1/events/{HACKATHON}/registrations",
            json={"name": name, "email": email, "consent": True, "category": "public", "language": language},
        )
        assert made.status_code == 201, made.text
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}")
    await page.get_by_role("link", name="Écrire aux inscrits").click()
    await page.wait_for_selector("#compose")

    await page.select_option("#f-audience", "everyone")
    await page.fill("#f-subject_fr", "Horaires du samedi")
    await page.fill("#f-body_fr", "Les portes ouvrent à 8 h 30.\n\nÀ samedi !")
    await page.fill("#f-body_en", "Doors open at 8:30.")
    await page.get_by_role("button", name="Prévisualiser").click()
    await page.wait_for_selector("#preview")
    assert "Ce message ira à 2 personnes" in await page.inner_text("#preview-count")
    assert "Les portes ouvrent à 8 h 30." in await page.inner_text("#preview-fr")
    assert "Doors open at 8:30." in await page.inner_text("#preview-en")
    # What was typed stays in the form, to change it and preview again.
    assert await page.input_value("#f-subject_fr") == "Horaires du samedi"
    problems = await serious_violations(page)
    assert not problems, "\n".join(problems)

    await page.get_by_role("button", name="Envoyer").click()
    await page.wait_for_selector("p[role=status]")
    assert "Le message part par e-mail à 2 personnes." in await page.inner_text("p[role=status]")
    await page.get_by_role("link", name="Voir les courriels envoyés").click()
    await page.wait_for_selector("main table")
    for _ in range(50):
        if (await page.locator("text=Message des organisateurs").count()) >= 2:
            break
        await page.wait_for_timeout(200)
        await page.reload()
    assert await page.locator("text=Message des organisateurs").count() >= 2
