"""The jury's and the results' paths in a real Chromium, in both languages: a juror scores
on a phone-sized screen without JavaScript and with the keyboard alone, scores given while
the network is down reach the server once it is back, the organiser closes the judging and
publishes, and everyone reads the results. axe-core runs on every page."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.axe import serious_violations
from tests.browser.conftest import PhoneNetwork
from tests.browser.test_registration_in_chromium import PHONE, login, on_slow_3g, phone_without_javascript, screenshot
from tests.conftest import HACKATHON, Web
from tests.integration.login_support import logged_in
from tests.integration.test_judging import JURY, create_teams, post_form

pytestmark = pytest.mark.browser

CRITERIA = ["utilite", "realisation", "simplicite", "pitch"]
TEXTS = {
    "fr": {"locale": "fr-FR", "start": "Noter cette équipe", "step": "Critère 1 sur 4", "done": "Notée"},
    "en": {"locale": "en-GB", "start": "Score this team", "step": "Criterion 1 of 4", "done": "Scored"},
}


async def juror_link(demo: Web, http: httpx.AsyncClient, name: str, email: str, language: str = "fr") -> str:
    """The organiser registers a juror; the link their page shows is what the juror gets."""
    await logged_in(http)
    added = await post_form(http, JURY + "/", JURY + "/jurors", name=name, email=email, language=language)
    assert added.status_code == 303, added.text
    page = (await http.get(JURY + "/")).text
    start = page.index(f"<h3>{name}</h3>")
    value = page[page.index('value="', start) + 7 :]
    return value[: value.index('"')].replace("&amp;", "&")


async def given(http: httpx.AsyncClient, team: str) -> int:
    reply = await http.get(f"/api/v1/events/{HACKATHON}/standings")
    return next(line["given"] for line in reply.json()["standings"] if line["team"]["id"] == team)


async def all_given(http: httpx.AsyncClient, team: str, expected: int, seconds: float = 60) -> None:
    """Waits until the server holds `expected` scores for the team (the outbox retries within 30 s)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while await given(http, team) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"{await given(http, team)} scores, not {expected}"
        await asyncio.sleep(0.1)


async def ready_to_score(page: Any) -> None:
    """The page's outbox script is running: a score given now is kept on the phone first."""
    await page.wait_for_selector("html[data-outbox='ready']", state="attached")


async def assert_accessible(page: Any) -> None:
    problems = await serious_violations(page)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_juror_scores_a_team_on_a_phone_without_javascript_and_with_the_keyboard(
    demo: Web, browser: Any, http: httpx.AsyncClient, language: str
) -> None:
    text = TEXTS[language]
    [team, _] = await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org", language)
    context, page = await phone_without_javascript(browser, text["locale"])
    try:
        await page.goto(f"{link}&lang={language}")
        await screenshot(page, f"jury-sheet-{language}")
        await page.click(f"text={text['start']} >> nth=0")
        assert text["step"] in await page.inner_text("main")
        await screenshot(page, f"jury-score-{language}")

        # The first criterion with the keyboard alone: Tab to the scale, arrows to 8, Enter to save.
        for _ in range(40):
            await page.keyboard.press("Tab")
            # Each criterion's scale is its own radio group, named after the criterion.
            if await page.evaluate("document.activeElement.name") == "points-utilite":
                break
        else:
            pytest.fail("the score scale cannot be reached with Tab")
        await page.keyboard.press("Space")
        for _ in range(8):
            await page.keyboard.press("ArrowRight")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**c=realisation")

        # The others with taps; on a small screen the buttons are big enough to hit.
        for points in ("6", "7", "4"):
            box = await page.locator("fieldset:not([hidden]) .scale span").first.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44
            await page.click(f"fieldset:not([hidden]) .scale label:has(input[value='{points}'])")
            await page.click("fieldset:not([hidden]) button[type=submit]")
        assert text["done"] in await page.inner_text(f"#t-{team}")
        assert await given(http, team) == 4
    finally:
        await context.close()


async def test_scores_given_while_the_network_is_down_are_sent_when_it_comes_back(
    demo: Web, browser: Any, http: httpx.AsyncClient, phone_network: PhoneNetwork
) -> None:
    """The tent's Wi-Fi is up but leads nowhere: the phone believes it is online, every send fails."""
    [team] = await create_teams(demo, "Météo Locale")
    link = await juror_link(demo, http, "Marc Dubois", "marc@example.org")
    context = await browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        path, _, query = link.replace(demo.url, phone_network.url).partition("?")
        await page.goto(f"{path}/{team}?{query}")
        # The service worker has kept the list of teams the last score leads back to.
        await page.wait_for_selector("html[data-kept='1']", state="attached")
        await ready_to_score(page)
        await phone_network.cut()
        # A word for the team first, kept like the scores.
        await page.fill("#f-feedback", "Des capteurs bien pensés.")
        await page.click("#feedback button[type=submit]")
        assert await page.inner_text("#feedback [role=status]") == "Votre mot est gardé et sera transmis."
        for points in ("9", "8", "10", "5"):
            await page.click(f"fieldset:not([hidden]) .scale label:has(input[value='{points}'])")
            await page.click("fieldset:not([hidden]) button[type=submit]")
        # Back on the list of teams, the phone's copy, with everything waiting.
        await page.locator("#score-form").wait_for(state="detached")
        await page.locator("#outbox").filter(has_text="5 note(s) gardée(s) sur ce téléphone").wait_for()
        assert await given(http, team) == 0
        # The list as it is once everything is sent (…&saved=1) opens from the phone's copy too.
        await page.goto(f"{path}?{query}&saved=1#t-{team}")
        await page.locator("#outbox").filter(has_text="5 note(s) gardée(s) sur ce téléphone").wait_for()
        await phone_network.restore()  # no "online" event: the phone never knew it was cut off
        await all_given(http, team, 4)
        reply = await http.get(f"/api/v1/events/{HACKATHON}/standings")
        [line] = [s for s in reply.json()["standings"] if s["team"]["id"] == team]
        assert line["total"] == 92.0  # (2 × 0.9 + 0.8 + 1.0 + 1.0) / 5
        assert line["feedback"] == ["Des capteurs bien pensés."]
        assert not errors
    finally:
        await context.close()


async def test_the_organiser_closes_the_judging_publishes_and_everyone_reads_the_results(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    teams = await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    path, _, query = link.partition("?")
    for team, points in zip(teams, ("9", "4"), strict=True):
        for criterion in CRITERIA:
            score_page = await http.get(f"{path}/{team}?{query}&c={criterion}")
            token = score_page.text.split('name="_csrf_token" value="')[1].split('"')[0]
            value = min(points, "5") if criterion == "pitch" else points  # the pitch is scored out of 5
            data = {"_csrf_token": token, "criterion": criterion, "points": value, "command_id": f"{team}-{criterion}"}
            assert (await http.post(f"{path}/{team}?{query}", data=data)).status_code == 303

    await page.goto(f"{demo.url}/e/{HACKATHON}/results")
    assert "ne sont pas encore publiés" in await page.inner_text("main")
    # axe over every jury and results page type, in both languages (with JavaScript, which axe needs).
    for language in ("fr", "en"):
        for where in (f"{link}&", f"{path}/{teams[0]}?{query}&", f"{demo.url}/e/{HACKATHON}/results?"):
            await page.goto(f"{demo.url if where.startswith('/') else ''}{where}lang={language}")
            await assert_accessible(page)
    await login(page, demo.url)
    for language in ("fr", "en"):
        for where in (JURY + "/", f"/organiser/e/{HACKATHON}/results/"):
            await page.goto(f"{demo.url}{where}?lang={language}")
            await assert_accessible(page)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/results/?lang=fr")
    await screenshot(page, "organiser-standings")
    await page.goto(f"{demo.url}{JURY}/")
    await screenshot(page, "organiser-jury")
    await page.click("text=Clore la notation")
    assert "Le jury est clos" in await page.inner_text("main")
    await page.click("text=classement et résultats")
    await page.fill("#f-note", "Bravo à toutes les équipes !")
    # The ranking suggests the grand prize's winner; the organiser writes why. The other usual
    # prizes, left without a winner, are not awarded.
    await page.fill("#p0-line", "Un robot de traite que les éleveurs ont envie d'essayer.")
    await page.click("text=Publier les résultats")
    assert "Les résultats sont publiés." in await page.inner_text("main")

    for language, heading, prize in (("fr", "Résultats", "Grand prix"), ("en", "Results", "Grand prize")):
        await page.goto(f"{demo.url}/e/{HACKATHON}/results?lang={language}")
        main = await page.inner_text("main")
        assert heading in main and main.index("Les Trayeurs") < main.index("Circuit Malin")
        assert prize in main and "Prix du public" not in main and "Audience prize" not in main
        # The line was written in French only: the English page shows it rather than nothing.
        assert "Un robot de traite" in main
        await assert_accessible(page)
        await screenshot(page, f"results-{language}")


async def test_with_the_network_gone_a_juror_still_opens_another_team_and_scores_it(
    demo: Web, browser: Any, http: httpx.AsyncClient, phone_network: PhoneNetwork
) -> None:
    [_, second] = await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    link = await juror_link(demo, http, "Marc Dubois", "marc@example.org")
    context = await browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(link.replace(demo.url, phone_network.url))
        # The service worker has kept every team's page on the phone.
        # (Selectors, not wait_for_function: its polling evaluates a string, which the CSP refuses.)
        await page.wait_for_selector("html[data-kept='1']", state="attached")
        # The phone knows it is offline, and the server is out of its reach for real: Chromium's
        # offline emulation does not hold back what the service worker fetches.
        await context.set_offline(True)
        await phone_network.cut()
        await page.click(f"#t-{second} a.button")
        assert await page.inner_text("h1") == "Circuit Malin"
        await ready_to_score(page)
        for points in ("7", "7", "7", "3"):
            await page.click(f"fieldset:not([hidden]) .scale label:has(input[value='{points}'])")
            await page.click("fieldset:not([hidden]) button[type=submit]")
        # Back on the list of teams, from the phone's copy, with the scores waiting.
        await page.locator("#score-form").wait_for(state="detached")
        await page.locator("#outbox").filter(has_text="4 note(s) gardée(s)").wait_for()
        assert await given(http, second) == 0
        await phone_network.restore()
        await context.set_offline(False)
        # What a phone says when its network is back (the outbox's retries would get there too).
        await page.evaluate("window.dispatchEvent(new Event('online'))")
        await all_given(http, second, 4)
        assert not errors
    finally:
        await context.close()


async def test_the_jury_form_is_light_and_fast_on_slow_3g(demo: Web, browser: Any, http: httpx.AsyncClient) -> None:
    [team] = await create_teams(demo, "Les Trayeurs")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    path, _, query = link.partition("?")
    for url in (link, f"{path}/{team}?{query}"):
        paint, transferred, hosts = await on_slow_3g(browser, url)
        assert paint is not None and paint < 2000, f"{url}: first contentful paint {paint} ms"
        assert transferred <= 50 * 1024, f"{url}: {transferred} bytes transferred"
        assert hosts == {demo.url.split("/")[2]}, f"third-party requests: {hosts}"


@pytest.mark.parametrize("theme", [{"forced_colors": "active"}, {"contrast": "more"}, {}])
async def test_the_chosen_score_stands_out_in_every_theme(
    demo: Web, page: Any, http: httpx.AsyncClient, theme: dict[str, str]
) -> None:
    [team] = await create_teams(demo, "Les Trayeurs")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    path, _, query = link.partition("?")
    await page.emulate_media(**theme)
    await page.goto(f"{path}/{team}?{query}")
    await page.click("fieldset:not([hidden]) .scale label:has(input[value='7'])")
    look = """(value) => {
        const span = document.querySelector(`fieldset:not([hidden]) input[value='${value}'] + span`);
        const style = getComputedStyle(span);
        return [style.backgroundColor, style.color, style.outlineStyle];
    }"""
    chosen, other = await page.evaluate(look, "7"), await page.evaluate(look, "6")
    assert chosen != other, f"the chosen score looks like the others: {chosen}"


@pytest.mark.parametrize("javascript", [True, False])
async def test_a_juror_reviewing_a_team_sees_every_saved_score_chosen(
    demo: Web, browser: Any, http: httpx.AsyncClient, javascript: bool
) -> None:
    """Each criterion is its own group of buttons: the score saved for each one shows as chosen."""
    [team] = await create_teams(demo, "Les Trayeurs")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    path, _, query = link.partition("?")
    saved = {"utilite": "8", "realisation": "6", "simplicite": "3", "pitch": "4"}
    for criterion, points in saved.items():
        score_page = await http.get(f"{path}/{team}?{query}&c={criterion}")
        token = score_page.text.split('name="_csrf_token" value="')[1].split('"')[0]
        data = {"_csrf_token": token, "criterion": criterion, "points": points, "command_id": f"{team}-{criterion}"}
        assert (await http.post(f"{path}/{team}?{query}", data=data)).status_code == 303
    if javascript:
        context = await browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
        page = await context.new_page()
    else:
        context, page = await phone_without_javascript(browser, "fr-FR")
    try:
        for criterion, points in saved.items():
            await page.goto(f"{path}/{team}?{query}&c={criterion}")
            shown = page.locator("fieldset:not([hidden]) .scale input:checked")
            assert await shown.count() == 1, f"{criterion}: no score chosen"
            assert await shown.get_attribute("value") == points
        # With the script, stepping between criteria on one page keeps every saved score chosen.
        if javascript:
            await page.goto(f"{path}/{team}?{query}")
            await ready_to_score(page)
            for criterion, points in saved.items():
                group = page.locator(f"fieldset[data-criterion='{criterion}'] .scale input:checked")
                assert await group.get_attribute("value") == points, criterion
    finally:
        await context.close()


async def test_the_organiser_mails_the_jurors_their_links_from_the_jury_page(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    juror = link.partition("?")[0].rsplit("/", 1)[1]
    await login(page, demo.url)
    await page.goto(f"{demo.url}{JURY}/")
    await page.get_by_role("button", name="Envoyer les liens par e-mail").click()
    await page.get_by_role("status").filter(has_text="Les liens de notation partent par e-mail").wait_for()
    await page.locator(f"#j-{juror}").get_by_role("button", name="Lui envoyer son lien par e-mail").click()
    await page.wait_for_url(f"**#j-{juror}")
    await page.get_by_role("status").filter(has_text="Le lien de notation part par e-mail.").wait_for()
    await assert_accessible(page)
    # Both mails are in the organisers' log of mails, and each carries the juror's link.
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        await page.goto(f"{demo.url}/organiser/mails/?event={HACKATHON}")
        sent = page.locator("tr", has_text="Lien de notation du jury").filter(has_text="envoyé")
        if await sent.count() == 2:
            break
        assert asyncio.get_running_loop().time() < deadline, await page.inner_text("main")
        await asyncio.sleep(0.3)
    await sent.first.get_by_role("link").first.click()
    assert link in await page.inner_text("main")


async def test_the_jurors_registered_on_the_jury_page_get_the_pitches_generated_in_the_agenda(
    demo: Web, page: Any, http: httpx.AsyncClient
) -> None:
    await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    await login(page, demo.url)
    await page.goto(f"{demo.url}{JURY}/")
    for name, email in (("Claire Moreau", "claire@example.org"), ("Marc Dubois", "marc@example.org")):
        await page.fill("#f-name", name)
        await page.fill("#f-email", email)
        await page.get_by_role("button", name="Inscrire").click()
        await page.get_by_role("heading", name=name).wait_for()
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/agenda/")
    await page.get_by_role("button", name="Reprendre les équipes formées").click()
    await page.wait_for_url("**/agenda#teams")
    rounds = page.locator("#rounds")
    await rounds.get_by_label("Jurés par équipe").fill("2")
    await rounds.get_by_label("Amphithéâtre").check()
    await rounds.get_by_role("button", name="Générer dans le brouillon").click()
    await page.wait_for_url("**/agenda#sessions")
    for team in ("Les Trayeurs", "Circuit Malin"):
        cell = page.locator("td", has_text=f"Équipe : {team}")
        assert "Claire Moreau, Marc Dubois" in await cell.inner_text() or "Marc Dubois, Claire Moreau" in (
            await cell.inner_text()
        )


async def mobile_phone(browser: Any, javascript: bool = True) -> Any:
    """Chromium's mobile emulation: a phone's screen, touch, and a phone's browser as the site sees it."""
    context = await browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        java_script_enabled=javascript,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    return context, await context.new_page()


async def give_by_form(http: httpx.AsyncClient, link: str, team: str, scores: dict[str, str]) -> None:
    path, _, query = link.partition("?")
    for criterion, points in scores.items():
        score_page = await http.get(f"{path}/{team}?{query}&c={criterion}")
        token = score_page.text.split('name="_csrf_token" value="')[1].split('"')[0]
        data = {"_csrf_token": token, "criterion": criterion, "points": points, "command_id": f"{team}-{criterion}"}
        assert (await http.post(f"{path}/{team}?{query}", data=data)).status_code == 303


async def test_a_juror_withdraws_a_score_on_a_phone_without_javascript(
    demo: Web, browser: Any, http: httpx.AsyncClient
) -> None:
    [team] = await create_teams(demo, "Les Trayeurs")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    await give_by_form(http, link, team, {"utilite": "8", "pitch": "4"})
    path, _, query = link.partition("?")
    context, page = await mobile_phone(browser, javascript=False)
    try:
        await page.goto(f"{path}/{team}?{query}&c=pitch")
        assert "Note enregistrée : 4 sur 5." in await page.inner_text("#saved-pitch")
        withdraw = page.get_by_role("button", name="Retirer ma note")
        box = await withdraw.bounding_box()
        assert box is not None and box["height"] >= 44  # big enough for a finger
        await withdraw.tap()
        await page.wait_for_url("**withdrawn=pitch")
        status = await page.inner_text("#saved-pitch")
        assert status == "Votre note est retirée : ce critère compte comme non noté."
        assert await page.locator("fieldset:not([hidden]) .scale input:checked").count() == 0
        assert await page.get_by_role("button", name="Retirer ma note").count() == 0
        assert await given(http, team) == 1
        await assert_accessible_without_script(page)
        await page.goto(link)
        assert "1 critère(s) noté(s) sur 4" in await page.inner_text(f"#t-{team}")
    finally:
        await context.close()


async def assert_accessible_without_script(page: Any) -> None:
    """axe needs a script: the same page, read again with one."""
    context = await page.context.browser.new_context(viewport=PHONE, locale="fr-FR")
    try:
        other = await context.new_page()
        await other.goto(page.url)
        await assert_accessible(other)
    finally:
        await context.close()


async def test_a_score_withdrawn_while_the_network_is_down_is_withdrawn_when_it_comes_back(
    demo: Web, browser: Any, http: httpx.AsyncClient, phone_network: PhoneNetwork
) -> None:
    """Offline, a withdrawal waits in the phone's outbox behind the scores given before it, never lost."""
    [team] = await create_teams(demo, "Météo Locale")
    link = await juror_link(demo, http, "Marc Dubois", "marc@example.org")
    await give_by_form(http, link, team, {"utilite": "9"})
    context, page = await mobile_phone(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        path, _, query = link.replace(demo.url, phone_network.url).partition("?")
        await page.goto(f"{path}/{team}?{query}&c=utilite")
        # Once the service worker runs, this page read again is kept on the phone too.
        await page.wait_for_selector("html[data-kept='1']", state="attached")
        await page.reload()
        await ready_to_score(page)
        await phone_network.cut()
        await page.get_by_role("button", name="Retirer ma note").tap()
        assert await page.inner_text("#saved-utilite") == "Votre note est retirée : ce critère compte comme non noté."
        assert await page.locator("fieldset:not([hidden]) .scale input:checked").count() == 0
        await page.locator("#outbox").filter(has_text="1 note(s) gardée(s) sur ce téléphone").wait_for()
        assert await given(http, team) == 1
        # Read again from the phone's copy, the score still waiting to be taken back shows as not given.
        await page.reload()
        await ready_to_score(page)
        assert await page.locator("fieldset:not([hidden]) .scale input:checked").count() == 0
        await phone_network.restore()
        await page.evaluate("window.dispatchEvent(new Event('online'))")
        await all_given(http, team, 0)
        await page.locator("#outbox").filter(has_text="note(s) gardée(s)").wait_for(state="detached")
        assert not errors
    finally:
        await context.close()


async def test_a_juror_marks_a_team_absent_on_a_phone_and_the_organiser_undoes_it(
    demo: Web, browser: Any, page: Any, http: httpx.AsyncClient
) -> None:
    [team, other] = await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    link = await juror_link(demo, http, "Claire Moreau", "claire@example.org")
    path, _, query = link.partition("?")
    context, phone = await mobile_phone(browser, javascript=False)
    try:
        await phone.goto(f"{path}/{team}?{query}")
        await phone.get_by_role("button", name="Équipe absente").tap()
        await phone.wait_for_url("**#absent")
        assert "Équipe marquée absente" in await phone.inner_text("#absent-note")
        assert await phone.locator("fieldset:not([hidden]) button[type=submit]").count() == 0
        assert await phone.locator("fieldset:not([hidden]) .scale input:disabled").count() > 0
        await phone.goto(link)
        assert "absente" in await phone.inner_text(f"#t-{team}")
    finally:
        await context.close()
    reply = (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()
    assert [s["team"]["id"] for s in reply["standings"]] == [other]

    await login(page, demo.url)
    await page.goto(f"{demo.url}/organiser/e/{HACKATHON}/results/?lang=fr")
    assert "Les Trayeurs — absente" in await page.inner_text("#absent-teams + ul")
    await page.goto(f"{demo.url}{JURY}/")
    row = page.locator(f"#absent-{team}")
    assert "absente" in await row.inner_text()
    await assert_accessible(page)
    await row.get_by_role("button", name="Annuler l'absence").click()
    await page.get_by_role("status").filter(has_text="L'équipe n'est plus absente").wait_for()
    reply = (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()
    assert {s["team"]["id"] for s in reply["standings"]} == {team, other} and reply["absent"] == []


async def test_a_team_marked_absent_while_the_network_is_down_is_marked_when_it_comes_back(
    demo: Web, browser: Any, http: httpx.AsyncClient, phone_network: PhoneNetwork
) -> None:
    [team, _] = await create_teams(demo, "Les Trayeurs", "Circuit Malin")
    link = await juror_link(demo, http, "Marc Dubois", "marc@example.org")
    context, page = await mobile_phone(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        path, _, query = link.replace(demo.url, phone_network.url).partition("?")
        await page.goto(f"{path}/{team}?{query}")
        await ready_to_score(page)
        await phone_network.cut()
        await page.get_by_role("button", name="Équipe absente").tap()
        assert await page.inner_text("#absent [role=status]") == "L'équipe est marquée absente."
        await page.locator("#outbox").filter(has_text="1 note(s) gardée(s)").wait_for()
        await phone_network.restore()
        await page.evaluate("window.dispatchEvent(new Event('online'))")
        deadline = asyncio.get_running_loop().time() + 60
        while not (await http.get(f"/api/v1/events/{HACKATHON}/standings")).json()["absent"]:
            assert asyncio.get_running_loop().time() < deadline, "the absence never reached the server"
            await asyncio.sleep(0.1)
        assert not errors
    finally:
        await context.close()
