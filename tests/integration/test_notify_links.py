"""What a confirmation mail gives its reader, over a real SMTP server (aiosmtpd) and a real web:
when the event starts, a short link that opens the private page, the calendar feed to subscribe
to (https and webcal://), and a Reply-To that reaches the organisers."""

import dataclasses
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import msgspec

from schemas.catalog import EventReply, GetEvent
from schemas.subjects import Catalog
from services.kit.client import call
from services.kit.i18n import Formatter, translations
from tests.conftest import running_web
from tests.integration.notify_support import (
    BASE_URL,
    MAIL_FROM,
    Inbox,
    Stack,
    define,
    register,
    small_event,
    text_of,
    wait_until,
)

ORGANISERS = "Équipe du comice <comice@perche.example>"


async def test_a_confirmation_says_when_the_event_starts_with_a_short_link_a_webcal_link_and_a_reply_to(
    stack: Stack, inbox: Inbox, tmp_path: Path
) -> None:
    await stack.stop_notify()
    stack.settings = dataclasses.replace(stack.settings, reply_to=ORGANISERS)
    await stack.start_notify()
    # Over two days: the span alone says only the dates.
    two_days = small_event("comice-liens")
    await define(stack.nc, msgspec.structs.replace(two_days, ends_at=two_days.starts_at + timedelta(days=1, hours=6)))
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug="comice-liens"), EventReply)).event
    lea = await register(stack.nc, spec.slug, "Léa Martin", "lea@example.org", "fr")
    sam = await register(stack.nc, spec.slug, "Sam Taylor", "sam@example.org", "en")
    await wait_until(lambda: len(inbox.messages) == 2)

    async with running_web(stack.nats_url, tmp_path / "web") as web, httpx.AsyncClient(base_url=web.url) as http:
        for view in (lea, sam):
            [message] = inbox.to(view.email)
            text = text_of(message)
            fmt = Formatter(view.language)
            assert fmt.time(spec.starts_at, spec.timezone) in text  # 10 h 00, 10:00 AM
            span = fmt.span(spec.starts_at, spec.ends_at, spec.timezone)
            starts = translations(view.language).gettext("%(span)s, début à %(time)s") % {
                "span": span,
                "time": fmt.time(spec.starts_at, spec.timezone),
            }
            assert starts in text

            assert message["Reply-To"] == ORGANISERS
            assert message["From"] == MAIL_FROM

            calendar = f"{BASE_URL}/r/{view.id}/calendar.ics?token={view.calendar_token}"
            assert calendar in text
            assert calendar.replace("https://", "webcal://") in text
            html = message.get_body(preferencelist=("html",))
            assert html is not None and 'href="webcal://' in html.get_content()

            [short] = re.findall(rf"{re.escape(BASE_URL)}/m/\S+", text)
            assert len(short) < len(f"{BASE_URL}/r/{view.id}?token={view.manage_token}") - 25
            assert view.manage_token not in text  # the long token is in no link any more
            opened = await http.get(urlsplit(short).path, follow_redirects=True)
            assert opened.status_code == 200
            assert opened.url.path == f"/r/{view.id}"
            assert view.name in opened.text
            assert opened.headers["cache-control"] == "no-store"
            # The long links of mails sent before still work.
            old = await http.get(f"/r/{view.id}", params={"token": view.manage_token})
            assert old.status_code == 200 and view.name in old.text

        forged = await http.get("/m/aaaaaaaaaaaaaaaa")
        assert forged.status_code == 404
        assert (await http.get("/m/not-a-code")).status_code == 404
