"""The organiser's live standings over real HTTP and NATS: a juror's score reaches the open stream
of the results page, whose standings fragment then shows it; nobody else gets either, and the
public results stay hidden until published."""

import asyncio
import re
import uuid
from typing import Any

import httpx

from schemas.organisations import DefineOrganisation, OrganisationChanged
from schemas.subjects import Catalog
from services.kit.client import call
from services.kit.connection import connect
from services.web.live import Live
from tests.conftest import HACKATHON, Web
from tests.integration.test_judging import (  # noqa: F401 (jury is a fixture)
    JURY,
    RESULTS,
    Jury,
    jury,
    post_form,
    score,
)
from tests.integration.test_route_access import _account, _bearer

STREAM = f"/organiser/e/{HACKATHON}/standings/stream"


async def next_event(lines: Any) -> tuple[str, str]:
    """The next server-sent event's name and data (comments skipped), or a failure after 10 s."""
    name = ""
    async with asyncio.timeout(10):
        while True:
            line = await anext(lines)
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name:
                return name, line.removeprefix("data: ")


def row_of(fragment: str, team: str) -> str:
    """The standings row of a team, its tags removed (cells separated by spaces)."""
    match = re.search(r"<tr><td>(?:(?!</tr>).)*?" + re.escape(team) + r".*?</tr>", fragment, re.S)
    assert match, fragment
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


async def test_a_score_reaches_the_organisers_open_stream_and_its_standings_fragment(
    jury: Jury,  # noqa: F811
    demo: Web,
    http: httpx.AsyncClient,
) -> None:
    link, team = jury.link("Claire Moreau"), jury.teams[0]
    before = await http.get(RESULTS + "/", params={"part": "standings"})
    assert before.status_code == 200 and "<html" not in before.text
    assert before.headers["cache-control"] == "no-store"
    assert row_of(before.text, "Les Trayeurs").endswith("0 / 8")
    page = await http.get(RESULTS + "/")
    assert f'new EventSource("{STREAM}")' in page.text and 'id="standings"' in page.text
    async with http.stream("GET", STREAM) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.headers
        lines = stream.aiter_lines()
        assert await next_event(lines) == ("ready", HACKATHON)
        assert (await score(http, link, team, "utilite", "9")).status_code == 303
        assert await next_event(lines) == ("change", HACKATHON)
        fragment = (await http.get(RESULTS + "/", params={"part": "standings"})).text
        assert row_of(fragment, "Les Trayeurs").endswith("1 / 8") and " 9 " in row_of(fragment, "Les Trayeurs")
        # One subscription for the event on this web instance, whoever listens.
        live: Live = demo.service.app.state.live
        assert live.listening() == 1
        # Closing the judging is a change the page shows too.
        assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303
        assert await next_event(lines) == ("change", HACKATHON)
        assert "notation close" in (await http.get(RESULTS + "/", params={"part": "standings"})).text
    async with asyncio.timeout(10):
        await live.idle.wait()
    assert live.listening() == 0
    # Scored, closed, not published: the public results still show nothing.
    public = await http.get(f"/e/{HACKATHON}/results")
    assert public.status_code == 200 and "ne sont pas encore publiés" in public.text
    assert "Les Trayeurs" not in public.text
    assert (await http.get(f"/api/v1/events/{HACKATHON}/results")).status_code == 404


async def test_only_the_events_organisers_get_the_stream_and_the_fragment(
    jury: Jury,  # noqa: F811
    demo: Web,
    http: httpx.AsyncClient,
) -> None:
    assert (await score(http, jury.link("Marc Dubois"), jury.teams[1], "pitch", "4")).status_code == 303
    anonymous = httpx.AsyncClient(base_url=demo.url)
    nc = await connect(demo.nats_url, "test-live-standings")
    try:
        owner_b = await _account(nc, "owner-b@example.org")
        define = DefineOrganisation(command_id=uuid.uuid4().hex, slug="ecole-b", name="École B", by_organiser=owner_b)
        await call(nc, Catalog.DEFINE_ORGANISATION, define, OrganisationChanged)
    finally:
        await nc.drain()
    async with anonymous:
        other = await _bearer(anonymous, "owner-b@example.org")
        for headers in ({}, other):
            for path, params in ((STREAM, {}), (RESULTS + "/", {"part": "standings"})):
                refused = await anonymous.get(path, params=params, headers=headers)
                assert refused.status_code in (303, 401, 403, 404), (path, headers, refused.status_code)
                assert "event:" not in refused.text and "Circuit Malin" not in refused.text
    # The stream of an event that does not exist is a 404, not an endless wait.
    assert (await http.get("/organiser/e/nothing-here/standings/stream")).status_code == 404
