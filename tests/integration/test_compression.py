"""Pages and feeds go gzipped to clients that ask, over real HTTP; the venue screen's stream does not,
and still delivers each change at once; feeds still answer 304; the browser finds its /favicon.ico."""

import asyncio
import gzip
import re

import httpx

from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import shifted
from tests.integration.agenda_support import edit, moved, release, released, session_json

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
# What differs between two renderings of one page: the CSP nonce made for each request.
_PER_REQUEST = re.compile(r'nonce="[^"]*"')


async def raw(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as they travelled, before httpx decodes them."""
    async with http.stream("GET", path, headers=headers) as reply:
        body = b"".join([chunk async for chunk in reply.aiter_raw()])
    return reply, body


async def test_the_agenda_page_comes_gzipped_when_asked_and_reads_the_same(demo: Web, http: httpx.AsyncClient) -> None:
    await released(http, HACKATHON)
    page = f"/e/{HACKATHON}/agenda"
    zipped, sent = await raw(http, page, GZIP)
    plain, whole = await raw(http, page, PLAIN)
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert len(sent) * 3 < len(whole), (len(sent), len(whole))
    assert _PER_REQUEST.sub("", gzip.decompress(sent).decode()) == _PER_REQUEST.sub("", whole.decode())
    for reply in (zipped, plain):
        assert "accept-encoding" in reply.headers["vary"].lower()
    # The security headers hook still sees the compressed answer.
    assert zipped.headers["x-content-type-options"] == "nosniff"
    assert "nonce-" in zipped.headers["content-security-policy"]


async def test_a_feed_comes_gzipped_byte_for_byte_and_still_answers_304(demo: Web, http: httpx.AsyncClient) -> None:
    await released(http, HACKATHON)
    feed = f"/e/{HACKATHON}/calendar.ics"
    zipped, sent = await raw(http, feed, GZIP)
    plain, whole = await raw(http, feed, PLAIN)
    assert zipped.headers["content-encoding"] == "gzip" and gzip.decompress(sent) == whole
    assert zipped.headers["etag"] == plain.headers["etag"]
    assert "accept-encoding" in zipped.headers["vary"].lower()
    again = await http.get(feed, headers={**GZIP, "If-None-Match": zipped.headers["etag"]})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", zipped.headers["etag"])
    assert "accept-encoding" in again.headers["vary"].lower()


async def test_the_screen_stream_is_never_gzipped_and_each_change_arrives_at_once(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    first = await released(http, ROUND_TABLE)
    async with http.stream("GET", f"/e/{ROUND_TABLE}/screen/stream", headers=GZIP) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.headers
        lines = stream.aiter_lines()
        assert await anext(lines) == "event: ready"
        questions = session_json(first, "questions")
        later = moved(questions, shifted("2027-07-08T20:25:00"), shifted("2027-07-08T20:45:00"))
        assert (await edit(http, organiser_headers, ROUND_TABLE, later)).status_code == 200
        assert (await release(http, organiser_headers, ROUND_TABLE)).status_code == 201
        received: list[str] = []
        async with asyncio.timeout(10):
            while "event: change" not in received:
                received.append(await anext(lines))
        assert await anext(lines) == f"data: {ROUND_TABLE}"


async def test_the_favicon_is_the_logo_kept_a_day(demo: Web, http: httpx.AsyncClient) -> None:
    icon = await http.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/")
    assert icon.content.startswith(b"<svg")
    assert "max-age=86400" in icon.headers["cache-control"]
