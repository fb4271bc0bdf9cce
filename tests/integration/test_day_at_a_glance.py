"""The day at a glance over real HTTP: the figures after registrations and check-ins, its charts,
its weight, its reload without JavaScript, and only for organisers."""

import asyncio
import re
from typing import Any

import httpx

from services.web.live import Live
from services.web.organiser.glance import live_subjects
from tests.conftest import HACKATHON, Web
from tests.integration.login_support import logged_in
from tests.integration.test_judging import CRITERIA, Jury, jury, score  # noqa: F401 (jury is a fixture)
from tests.integration.test_pages import Page

DAY = f"/organiser/e/{HACKATHON}/day"
REGISTRATIONS = f"/api/v1/events/{HACKATHON}/registrations"


async def register(http: httpx.AsyncClient, email: str, category: str) -> str:
    body = {"name": f"Personne {email}", "email": email, "consent": True, "category": category}
    reply = await http.post(REGISTRATIONS, json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


async def test_the_day_shows_arrivals_waitlist_teams_and_charts_for_organisers_only(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    anonymous = await http.get(DAY)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/organiser/login")
    assert "Arrivées" not in anonymous.text
    mentors = [await register(http, f"m{i}@example.org", "mentor") for i in range(11)]  # the 11th waits
    public = [await register(http, f"p{i}@example.org", "public") for i in range(3)]
    for person in [*mentors[:2], public[0]]:
        done = await http.post(f"/api/v1/registrations/{person}/check-in", headers=organiser_headers)
        assert done.status_code == 200, done.text
    await logged_in(http)
    reply = await http.get(DAY)
    assert reply.status_code == 200
    assert len(reply.content) < 60_000  # light enough for the venue's poor network
    page = Page(reply.text)
    assert re.search(r'<noscript><meta http-equiv="refresh" content="30"></noscript>', reply.text)
    assert page.by_id["refresh-toggle"]["href"] == "?pause=1"
    # Checked in / confirmed, per category.
    assert (page.text_of("arrived-mentor"), page.text_of("arrived-public")) == ("2 / 10", "1 / 3")
    assert page.text_of("waitlisted") == "1"
    assert page.text_of("teams-formed") == "0" and page.text_of("unplaced") == "10"  # confirmed mentors may join a team
    assert page.text_of("mails-failed") == "0"
    # Two categories' running totals, and one bar for this hour's three arrivals, each with its words.
    assert reply.text.count('class="series"') == 2
    bars = re.findall(r'<rect class="bar"[^>]*>', reply.text)
    assert len(bars) == 1
    # Every registration still standing counts, the waiting mentor too.
    assert re.search(
        r'<title id="t-registrations">[^<]+</title>\s*<desc id="d-registrations">[^<]*: 11, [^<]*: 3</desc>', reply.text
    )
    assert page.by_id["chart-arrivals"]["role"] == "img"
    # Whoever reads at their own pace stops the reloading (and starts it again).
    paused = await http.get(DAY, params={"pause": "1"})
    assert 'http-equiv="refresh"' not in paused.text and "location.reload" not in paused.text
    assert Page(paused.text).by_id["refresh-toggle"]["href"] == "?"
    event_page = await http.get(f"/organiser/e/{HACKATHON}")
    assert f'href="{DAY}"' in event_page.text
    english = (await http.get(DAY, params={"lang": "en"})).text
    assert "<h1>The day at a glance</h1>" in english and "Arrivals per hour" in english


async def test_the_day_spreads_each_jurors_scores_as_shares_of_the_scale(
    jury: Jury,  # noqa: F811
    http: httpx.AsyncClient,
) -> None:
    for juror, points in (("Claire Moreau", ["8", "6", "7", "4"]), ("Marc Dubois", ["3", "9", "5", "2"])):
        for team in jury.teams:
            for criterion, given in zip(CRITERIA, points, strict=True):
                assert (await score(http, jury.link(juror), team, criterion, given)).status_code == 303
    reply = await http.get(DAY)
    assert reply.status_code == 200 and len(reply.content) < 60_000
    page = Page(reply.text)
    assert page.text_of("scores-given") == "24 / 24"
    # Claire: 8/10, 6/10, 7/10, 4/5 is a mean of 72 %; Marc: 3/10, 9/10, 5/10, 2/5 is 52 %.
    rows = re.findall(r"<tr><td>\d</td><td>([^<]+)</td><td>(\d+)</td><td>(\d+) %</td></tr>", reply.text)
    assert rows == [("Claire Moreau", "12", "72"), ("Marc Dubois", "12", "52")]
    # Each juror's row has a dot per distinct share, three teams' same scores drawn once.
    assert reply.text.count('class="score"') == 7


async def _next_event(lines: Any) -> str:
    """The name of the next server-sent event (comments and data lines skipped)."""
    async with asyncio.timeout(10):
        while not (line := await anext(lines)).startswith("event: "):
            pass
    return line.removeprefix("event: ")


async def test_the_day_streams_a_change_for_each_burst_of_arrivals_and_only_to_organisers(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    anonymous = await http.get(f"{DAY}/stream")
    assert anonymous.status_code in (303, 401) and "event:" not in anonymous.text
    person = await register(http, "door@example.org", "public")
    await logged_in(http)
    async with http.stream("GET", f"{DAY}/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.headers
        lines = stream.aiter_lines()
        assert await _next_event(lines) == "ready"
        done = await http.post(f"/api/v1/registrations/{person}/check-in", headers=organiser_headers)
        assert done.status_code == 200, done.text
        assert await _next_event(lines) == "change"
        live: Live = demo.service.app.state.live
        assert live.listening() == len(live_subjects(HACKATHON))
    # The page gone, this instance stops listening to the event.
    async with asyncio.timeout(10):
        await live.idle.wait()
    assert live.listening() == 0
    # What the live page fetches again: the figures alone, light, for organisers only.
    figures = await http.get(DAY, params={"part": "figures"})
    assert figures.status_code == 200 and "<html" not in figures.text and 'id="arrived-public">1 / 1' in figures.text
    assert (await httpx.AsyncClient(base_url=demo.url).get(DAY, params={"part": "figures"})).status_code == 303
    # The stream of an event that does not exist is a 404, not an endless wait.
    assert (await http.get("/organiser/e/nothing-here/day/stream")).status_code == 404
