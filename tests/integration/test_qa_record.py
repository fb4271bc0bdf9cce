"""The Q&A's record over real HTTP and NATS: refused before the event ends and without a summary;
once published, the summary (as text, its paragraphs kept) and the answered questions only, on the
event page, the audience page and a PDF; a waiting or rejected question never in it."""

import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pypdf
import pytest

from schemas.qa import GetModeration, Moderation
from schemas.subjects import Qa
from services.kit.client import call
from services.kit.connection import connect
from tests.conftest import ROOT, ROUND_TABLE, Web, define_events
from tests.integration.login_support import logged_in
from tests.integration.test_qa import HOSTILE, Moderator, send

PAST = "table-ronde-passee"
LOCAL = re.compile(r"(?<![\d-])(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})")


@pytest.fixture
async def moderator(demo: Web) -> AsyncIterator[Moderator]:
    async with httpx.AsyncClient(base_url=demo.url, timeout=10) as client:
        yield Moderator(client, await logged_in(client))


@pytest.fixture
async def nats(demo: Web) -> AsyncIterator[object]:
    client = await connect(demo.nats_url, "test-qa-record")
    yield client
    await client.drain()


def past_round_table(folder: Path) -> Path:
    """The round table as written, 104 weeks earlier (July 2025: over whatever day the test runs)."""
    text = (ROOT / "events" / f"{ROUND_TABLE}.toml").read_text(encoding="utf-8")
    text = text.replace(f'slug = "{ROUND_TABLE}"', f'slug = "{PAST}"')

    def earlier(match: re.Match[str]) -> str:
        moved = datetime.fromisoformat(f"{match[1]}T{match[2]}") - timedelta(weeks=104)
        return moved.isoformat()

    path = folder / f"{PAST}.toml"
    path.write_text(LOCAL.sub(earlier, text), encoding="utf-8")
    return path


async def publish(by: Moderator, slug: str, fr: str, en: str = "") -> httpx.Response:
    form = {"_csrf_token": by.csrf, "command_id": uuid.uuid4().hex, "summary_fr": fr, "summary_en": en}
    return await by.client.post(f"/organiser/e/{slug}/qa/record", data=form)


async def test_the_record_is_refused_before_the_end_and_empty_then_shows_answered_questions_as_text(
    demo: Web, http: httpx.AsyncClient, moderator: Moderator, nats: object, tmp_path: Path
) -> None:
    # The demo round table is ahead of today: too early.
    early = await publish(moderator, ROUND_TABLE, "Un résumé")
    assert early.status_code == 409 and "Le compte rendu se publie une fois" in early.text
    assert (await http.get(f"/e/{ROUND_TABLE}/record.pdf")).status_code == 404

    await define_events(demo.nats_url, past_round_table(tmp_path))
    audience = f"/e/{PAST}/questions"
    base = f"/organiser/e/{PAST}/qa"
    form = {"_csrf_token": moderator.csrf, "command_id": uuid.uuid4().hex, "phase": "open", "language": "fr"}
    assert (await moderator.client.post(f"{base}/phase", data=form)).status_code == 303
    aline = httpx.AsyncClient(base_url=demo.url, timeout=10)
    assert (await aline.get(audience)).status_code == 200
    for text in (HOSTILE, "Une question qui attend encore la modération", "Une question refusée, hors sujet"):
        assert (await send(aline, f"{audience}/ask", text=text, name="Aline <b>M.</b>")).status_code == 303
    view = await call(nats, Qa.MODERATION, GetModeration(event=PAST), Moderation)  # type: ignore[arg-type]
    ids = {q.text: q.id for q in view.questions}
    for question, action in (
        (ids[HOSTILE], "approve"),
        (ids[HOSTILE], "answer"),
        (ids["Une question refusée, hors sujet"], "reject"),
    ):
        form = {"_csrf_token": moderator.csrf, "command_id": uuid.uuid4().hex, "action": action}
        assert (await moderator.client.post(f"{base}/{question}/moderate", data=form)).status_code == 303

    assert (await http.get(f"/e/{PAST}/record.pdf")).status_code == 404
    empty = await publish(moderator, PAST, "  \n\n ", "Only English")
    assert empty.status_code == 422 and "Écrivez le résumé" in empty.text
    summary = "Une soirée <em>riche</em>.\n\nMerci à toutes et à tous."
    assert (await publish(moderator, PAST, summary, "A rich evening.")).status_code == 303

    page = (await http.get(f"/e/{PAST}")).text
    questions = (await http.get(audience)).text
    english = (await http.get(f"/e/{PAST}?lang=en")).text
    for body in (page, questions):
        assert "<p>Une soirée &lt;em&gt;riche&lt;/em&gt;.</p>" in body and "<p>Merci à toutes et à tous.</p>" in body
        assert "&lt;script&gt;alert(" in body and "<script>alert(" not in body
        assert "Aline &lt;b&gt;M.&lt;/b&gt;" in body
        assert "attend encore" not in body and "hors sujet" not in body
    assert "A rich evening." in english and "Une soirée" not in english
    # The organiser's page: the counts and the published version.
    organiser = (await moderator.client.get(f"{base}/")).text
    assert "Questions posées" in organiser and "version 1" in organiser

    reply = await http.get(f"/e/{PAST}/record.pdf")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    assert reply.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(reply.content)).pages)
    assert "<script>alert('xss')</script>" in " ".join(text.split())
    assert "attend encore" not in text and "hors sujet" not in text
    # Publishing again replaces the summary.
    assert (await publish(moderator, PAST, "Deuxième version.")).status_code == 303
    assert "Deuxième version." in (await http.get(f"/e/{PAST}")).text
    await aline.aclose()
