"""Jurors' scoring links by mail, over a real NATS, a real web and a real SMTP server (aiosmtpd):
a juror's confirmation says where the link is; the organiser sends every juror's link, or one
juror's, each in the juror's language; the link opens that juror's sheet; a repeat of the same
click sends nothing twice; the notify log never holds a link."""

import re
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from services.catalog.service import CatalogService
from services.judging.service import JudgingService
from services.kit.connection import connect
from services.kit.lifecycle import Service
from services.registration.service import RegistrationService
from services.schedule.service import ScheduleService
from services.teams.service import TeamsService
from tests.conftest import HACKATHON, create_organiser, define_events, running_web
from tests.demo_events import demo_file
from tests.integration.login_support import logged_in
from tests.integration.notify_support import Inbox, Stack, text_of, wait_until
from tests.integration.test_judging import JURY, post_form
from tests.integration.test_pages import Page


@pytest.fixture
def notify_backend() -> list[Service]:
    """What the jury page needs (the `stack` fixture runs notify apart, over SMTP)."""
    return [CatalogService(), RegistrationService(), TeamsService(), JudgingService(), ScheduleService()]


@pytest.fixture
async def organiser(stack: Stack, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    await define_events(stack.nats_url, demo_file(HACKATHON))
    await create_organiser(stack.nats_url)
    async with (
        running_web(stack.nats_url, tmp_path / "web") as web,
        httpx.AsyncClient(base_url=web.url, timeout=10) as http,
    ):
        await logged_in(http)
        yield http


def link_mails(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Perche-Kind"] == "jury_link"]


async def test_the_organiser_mails_each_juror_their_scoring_link_in_their_language(
    stack: Stack, inbox: Inbox, organiser: httpx.AsyncClient
) -> None:
    http = organiser
    for name, email, language in (("Claire Moreau", "claire@example.org", "fr"), ("Sam Hill", "sam@example.org", "en")):
        added = await post_form(http, JURY + "/", JURY + "/jurors", name=name, email=email, language=language)
        assert added.status_code == 303, added.text
    await wait_until(lambda: inbox.kinds("claire@example.org") == ["confirmed"] and bool(inbox.to("sam@example.org")))
    # The confirmation says where the scoring link is; it does not carry it (only the web signs it).
    confirmation = text_of(inbox.to("claire@example.org")[0])
    assert "Vous faites partie du jury" in confirmation and "/jury/" not in confirmation
    assert "You are on the jury" in text_of(inbox.to("sam@example.org")[0])

    page = Page((await http.get(JURY + "/")).text)
    links = {key[5:]: value["value"] for key, value in page.by_id.items() if key.startswith("link-")}
    ids = dict(re.findall(r'<article class="card" id="j-([^"]+)">\s*<h3>([^<]+)</h3>', page.source))
    claire, sam = (next(i for i, n in ids.items() if n == name) for name in ("Claire Moreau", "Sam Hill"))
    data = {"_csrf_token": page.fields["_csrf_token"], "command_id": uuid.uuid4().hex}
    sent = await http.post(JURY + "/links", data=data)
    assert sent.status_code == 303 and sent.headers["location"].endswith("saved=links")
    assert "Les liens de notation partent par e-mail" in (await http.get(sent.headers["location"])).text
    await wait_until(
        lambda: len(link_mails(inbox, "claire@example.org")) == len(link_mails(inbox, "sam@example.org")) == 1
    )
    french, english = link_mails(inbox, "claire@example.org")[0], link_mails(inbox, "sam@example.org")[0]
    assert french["Subject"].startswith("Votre lien de notation") and english["Subject"].startswith("Your scoring link")
    assert links[claire] in text_of(french) and links[sam] in text_of(english)
    base = str(http.base_url).rstrip("/")
    assert links[claire].startswith(f"{base}/jury/{HACKATHON}/{claire}?key=")
    # The link in the mail opens that juror's sheet, and no one else's.
    path = links[claire].removeprefix(base)
    assert (await http.get(path)).status_code == 200
    assert (await http.get(path.replace(claire, sam))).status_code in (403, 404)

    # The same click again (a double click, a resent form) sends nothing twice.
    again = await http.post(JURY + "/links", data=data)
    assert again.status_code == 303
    # One juror's link alone, sent again on purpose.
    one = await post_form(http, JURY + "/", f"{JURY}/links/{sam}")
    assert one.status_code == 303 and one.headers["location"].endswith(f"saved=link#j-{sam}")
    await wait_until(lambda: len(link_mails(inbox, "sam@example.org")) == 2)
    assert len(link_mails(inbox, "claire@example.org")) == 1
    assert (await post_form(http, JURY + "/", f"{JURY}/links/nobody")).status_code == 404

    # The notify log says which mails went out, never the links they carried.
    client = await connect(stack.nats_url, "inspector")
    try:
        js = client.jetstream()
        info = await js.stream_info("PERCHE_NOTIFY")
        logged = b"".join(
            [(await js.get_msg("PERCHE_NOTIFY", seq)).data or b"" for seq in range(1, info.state.last_seq + 1)]
        )
    finally:
        await client.drain()
    assert b"jury_link" in logged
    assert b"key=" not in logged and links[claire].partition("key=")[2].encode() not in logged
