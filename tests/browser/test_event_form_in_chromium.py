"""An organiser makes an open day from nothing in Chromium, without typing TOML, in French and in English:
rows added, moved and removed by buttons, and bad input refused next to its field with nothing stored."""

from typing import Any

import pytest

from schemas.catalog import EventReply, GetEvent
from schemas.subjects import Catalog
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from tests.browser.test_registration_in_chromium import login, screenshot
from tests.conftest import Web

MESSAGES = {
    "fr": (
        "la valeur doit être un nombre entier de 0 à 100\u202f000.",
        "Une question à choix a besoin de réponses possibles : écrivez-en une par ligne.",
    ),
    "en": (
        "the value must be a whole number from 0 to 100,000.",
        "A choice question needs possible answers: write one per line.",
    ),
}


def by_id(ident: str) -> str:
    """A selector for an id with brackets and dots in it (the input's path: `categories[0].capacity`)."""
    return f'[id="{ident}"]'


async def press(page: Any, action: str) -> None:
    async with page.expect_navigation():
        await page.click(f'button[name="action"][value="{action}"] >> nth=0')


async def is_stored(web: Web, slug: str) -> bool:
    client = await connect(web.nats_url, "test-reader")
    try:
        await call(client, Catalog.GET_EVENT, GetEvent(slug=slug, include_unpublished=True), EventReply)
    except ServiceError:
        return False
    finally:
        await client.drain()
    return True


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_an_organiser_creates_an_open_day_with_forms_only(demo: Web, page: Any, lang: str) -> None:
    slug = f"portes-ouvertes-{lang}-2031"
    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/?lang={lang}")
    await page.click('a[href="/organiser/new"]')
    await page.fill(by_id("f-slug"), slug)
    await page.fill(by_id("f-title"), "Portes ouvertes de l'école")
    await page.fill(by_id("f-title_en"), "The school's open day")
    await page.fill(by_id("f-starts_at"), "2031-09-20T10:00")
    await page.fill(by_id("f-ends_at"), "2031-09-20T17:00")
    await page.fill(by_id("f-venue.name"), "École du numérique")
    await page.fill(by_id("f-categories[0].name"), "Visiteur")
    await page.fill(by_id("f-categories[0].capacity"), "-3")

    # A second category, moved above the first and removed again: what was typed stays.
    await press(page, "add:categories")
    await page.fill(by_id("f-categories[1].id"), "presse")
    await page.fill(by_id("f-categories[1].name"), "Presse")
    await press(page, "up:categories:1")
    assert await page.input_value(by_id("f-categories[0].id")) == "presse"
    assert await page.input_value(by_id("f-categories[1].capacity")) == "-3"
    await press(page, "remove:categories:0")
    assert await page.input_value(by_id("f-categories[0].id")) == "public"
    assert await page.locator(by_id("f-categories[1].id")).count() == 0

    await press(page, "add:questions")
    await page.fill(by_id("f-questions[0].id"), "transport")
    await page.fill(by_id("f-questions[0].label"), "Comment venez-vous ?")
    await page.select_option(by_id("f-questions[0].kind"), "choice")
    await press(page, "add:challenges")
    await page.fill(by_id("f-challenges[0].id"), "eau")
    await page.fill(by_id("f-challenges[0].title"), "L'eau des champs")
    await page.fill(by_id("f-challenges[0].partner"), "Syndicat des eaux du Perche")
    await page.fill(by_id("f-challenges[0].description_en"), "Measure the water\nof the fields")
    assert await page.input_value(by_id("f-title")) == "Portes ouvertes de l'école"

    await press(page, "save")
    capacity, choices = MESSAGES[lang]
    assert await page.inner_text(by_id("err-categories[0].capacity")) == capacity
    assert await page.get_attribute(by_id("f-categories[0].capacity"), "aria-describedby") == (
        "err-categories[0].capacity"
    )
    assert not await is_stored(demo, slug)

    await page.fill(by_id("f-categories[0].capacity"), "40")
    await press(page, "save")
    assert await page.inner_text(by_id("err-questions[0].choices")) == choices
    assert await page.locator(by_id("err-categories[0].capacity")).count() == 0
    assert not await is_stored(demo, slug)

    await page.fill(by_id("f-questions[0].choices"), "À pied\nEn car")
    await screenshot(page, f"event-form-{lang}")
    await press(page, "save")
    assert page.url == f"{demo.url}/organiser/e/{slug}?saved=1"
    title = {"fr": "Portes ouvertes de l'école", "en": "The school's open day"}[lang]
    assert title in await page.inner_text("h1")
    assert await is_stored(demo, slug)

    # The form shows it back as it was made.
    await page.goto(f"{demo.url}/organiser/e/{slug}/form")
    assert await page.input_value(by_id("f-questions[0].choices")) == "À pied\nEn car"
    assert await page.input_value(by_id("f-challenges[0].description_en")) == "Measure the water\nof the fields"
    assert await page.input_value(by_id("f-starts_at")) == "2031-09-20T10:00"
