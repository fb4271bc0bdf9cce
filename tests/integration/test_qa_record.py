"""The Q&A's record over real HTTP and NATS: refused before the event ends and without a summary;
once published, the summary (as text, its paragraphs kept) and the answered questions only, on the
event page, the audience page and a PDF; a waiting or rejected question never in it."""

import io
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pypdf
import pytest

from schemas.notify import ListMails, MailList
from schemas.qa import GetModeration, Moderation
from schemas.subjects import Notify, Qa
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.lifecycle import Service
from services.qa.service import QaService
from services.registration.service import RegistrationService
from tests.conftest import Web, create_organiser, running_web
from tests.integration.login_support import logged_in
from tests.integration.notify_support import Inbox, Stack, define, register, small_event, text_of, wait_until
from tests.integration.test_qa import HOSTILE, Moderator, send

PAST = "table-ronde-passee"


@pytest.fixture
def notify_backend() -> list[Service]:
    return [CatalogService(), RegistrationService(), QaService()]


@pytest.fixture
async def web(stack: Stack, tmp_path: Path) -> AsyncIterator[Web]:
    await create_organiser(stack.nats_url)
    async with running_web(stack.nats_url, tmp_path / "web") as running:
        yield running


@pytest.fixture
async def http(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as client:
        yield client


@pytest.fixture
async def moderator(web: Web) -> AsyncIterator[Moderator]:
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as client:
        yield Moderator(client, await logged_in(client))


def records(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Perche-Kind"] == "message"]


async def publish(by: Moderator, slug: str, fr: str, en: str = "") -> httpx.Response:
    form = {"_csrf_token": by.csrf, "command_id": uuid.uuid4().hex, "summary_fr": fr, "summary_en": en}
    return await by.client.post(f"/organiser/e/{slug}/qa/record", data=form)


async def test_the_record_is_refused_before_the_end_and_empty_then_shows_answered_questions_as_text(
    stack: Stack, inbox: Inbox, web: Web, http: httpx.AsyncClient, moderator: Moderator
) -> None:
    nats = stack.nc
    # Ahead of today: too early. People register while it is.
    await define(nats, small_event(PAST, starts_in=10))
    for name, address, language in (("Anne", "anne@example.org", "fr"), ("Cara", "cara@example.org", "en")):
        await register(nats, PAST, name, address, language)
    early = await publish(moderator, PAST, "Un résumé")
    assert early.status_code == 409 and "Le compte rendu se publie une fois" in early.text
    assert (await http.get(f"/e/{PAST}/record.pdf")).status_code == 404
    # The same event, ten days ago.
    await define(nats, small_event(PAST, starts_in=-10))
    audience = f"/e/{PAST}/questions"
    base = f"/organiser/e/{PAST}/qa"
    form = {"_csrf_token": moderator.csrf, "command_id": uuid.uuid4().hex, "phase": "open", "language": "fr"}
    assert (await moderator.client.post(f"{base}/phase", data=form)).status_code == 303
    aline = httpx.AsyncClient(base_url=web.url, timeout=10)
    assert (await aline.get(audience)).status_code == 200
    for text in (HOSTILE, "Une question qui attend encore la modération", "Une question refusée, hors sujet"):
        assert (await send(aline, f"{audience}/ask", text=text, name="Aline <b>M.</b>")).status_code == 303
    view = await call(nats, Qa.MODERATION, GetModeration(event=PAST), Moderation)
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
    # Each registrant gets one mail with the link, in their language.
    await wait_until(lambda: len(records(inbox, "anne@example.org")) == len(records(inbox, "cara@example.org")) == 1)
    french, english = records(inbox, "anne@example.org")[0], records(inbox, "cara@example.org")[0]
    assert f"/e/{PAST}#record" in text_of(french) and "Le compte rendu de" in text_of(french)
    assert f"/e/{PAST}#record" in text_of(english) and "The record of" in text_of(english)
    # Publishing again replaces the summary, and mails nobody again.
    assert (await publish(moderator, PAST, "Deuxième version.")).status_code == 303
    assert "Deuxième version." in (await http.get(f"/e/{PAST}")).text
    mails = await call(nats, Notify.LIST_MAILS, ListMails(event=PAST), MailList)
    sent = [m.registration_id for m in mails.mails if m.kind == "message"]
    assert len(sent) == len(set(sent)) == 2
    await aline.aclose()
