"""Perche's pages under their Content-Security-Policy in a real Chromium: every main page
runs its scripts and styles with no violation and asks no other host, the API
documentation included, and the policy really refuses what it should."""

from typing import Any

import httpx
import pytest

from tests.browser.conftest import Guard, guarded
from tests.browser.test_jury_in_chromium import juror_link
from tests.browser.test_registration_in_chromium import PHONE, fill_registration, login
from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import shifted
from tests.integration.agenda_support import released
from tests.integration.test_judging import create_teams

pytestmark = pytest.mark.browser


async def guarded_page(browser: Any, **options: Any) -> tuple[Any, Any, Guard, list[str]]:
    context = await browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    guard = await guarded(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, guard, errors


async def test_the_main_pages_run_under_the_policy_and_ask_no_other_host(
    demo: Web, browser: Any, http: httpx.AsyncClient
) -> None:
    await released(http, ROUND_TABLE)
    [team] = await create_teams(demo, "Les Trayeurs")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    context, page, guard, errors = await guarded_page(browser, viewport=PHONE)
    try:
        # The public: the event page's script shows the chosen category's questions.
        await page.goto(f"{demo.url}/e/{HACKATHON}")
        await fill_registration(page, "Claire Martin", "claire.martin@example.org")
        await page.click("button[type=submit]")
        await page.wait_for_url("**/r/**")
        assert await page.locator(".qr svg").count() == 1  # the check-in QR code, inline SVG
        await page.goto(page.url.split("?")[0] + "/team?" + page.url.split("?")[1])
        await page.goto(f"{demo.url}/e/{ROUND_TABLE}/agenda")
        assert await page.locator("ol.agenda").count() > 0

        # The venue screen: its live stream opens (connect-src) and its styles apply.
        await page.goto(f"{demo.url}/e/{ROUND_TABLE}/screen?at={shifted('2027-07-08T19:30')}")
        await page.wait_for_selector("body[data-live='1']")

        # The juror: the outbox script runs, the service worker registers and keeps the pages.
        path, _, query = link.partition("?")
        await page.goto(f"{path}/{team}?{query}")
        await page.wait_for_selector("html[data-kept='1']", state="attached")
        assert await page.evaluate("navigator.serviceWorker.ready.then(function (r) { return !!r.active; })")
        await page.click("fieldset:not([hidden]) .scale label:has(input[value='8'])")
        await page.click("fieldset:not([hidden]) button[type=submit]")
        await page.locator("fieldset:not([hidden]) legend", has_text="2").wait_for()

        # The organiser: dashboard, event, agenda editor, check-in (with its live figures), teams, jury.
        await login(page, demo.url)
        for where in ["", "/agenda", "/checkin", "/teams", "/jury/", "/results", "/edit"]:
            await page.goto(f"{demo.url}/organiser/e/{HACKATHON}{where}")
        colour = "getComputedStyle(document.querySelector('.bar')).display"
        assert await page.evaluate(colour) == "flex"  # the organiser bar's style moved into the stylesheet
        await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/checkin")
        async with page.expect_response(lambda r: r.url.endswith("/checkin/counts"), timeout=20_000) as counts:
            pass
        assert (await counts.value).ok

        # The API documentation: Swagger UI from Perche's own files, the operations listed.
        await page.goto(f"{demo.url}/schema")
        one_event = page.locator(".opblock-get").filter(has=page.locator("[data-path='/api/v1/events/{slug}']"))
        await one_event.locator(".opblock-summary").click()
        await one_event.get_by_role("button", name="Try it out").click()
        await one_event.locator("input[placeholder='slug']").fill(HACKATHON)
        await one_event.locator(".execute").click()
        await one_event.locator(".live-responses-table .response-col_status", has_text="200").wait_for()
    finally:
        await context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    guard.assert_clean()


async def test_the_policy_refuses_a_script_or_a_style_that_was_not_given_the_nonce(demo: Web, browser: Any) -> None:
    context, page, guard, _ = await guarded_page(browser)
    try:
        await page.goto(f"{demo.url}/e/{HACKATHON}")
        with pytest.raises(Exception, match="Content Security Policy|Refused"):
            await page.add_script_tag(content="window.injected = true")
        assert await page.evaluate("window.injected === undefined")
        await page.evaluate(
            "() => { var d = document.createElement('div'); d.innerHTML = '<p id=x style=\"color:red\">x</p>';"
            " document.body.append(d); }"
        )
        assert await page.evaluate("getComputedStyle(document.getElementById('x')).color") != "rgb(255, 0, 0)"
        await page.evaluate("fetch('https://cdn.example.org/x.js').catch(function () {})")
        # The reports come back from the page one by one: wait for all three, within a deadline.
        wanted = ("script-src", "style-src", "connect-src")
        for _ in range(200):
            if all(any(w in v for v in guard.violations) for w in wanted):
                break
            await page.wait_for_timeout(50)
    finally:
        await context.close()
    assert all(any(w in v for v in guard.violations) for w in wanted), guard.violations
    assert guard.foreign == []  # the policy stopped the request before it left the browser
