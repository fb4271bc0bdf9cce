"""Speakers and the moderator (issue 15) over real NATS, HTTP and SMTP (aiosmtpd): the organiser
invites, the mail's link opens the speaker's page without an account, the answer (bio, photo,
availability) shows on the event page once confirmed; a declined one, a withdrawn or expired
link, an overlong bio are refused with a message and change nothing."""

import asyncio
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest
from PIL import Image

from schemas.subjects import Schedule
from services.catalog.service import CatalogService
from services.kit.lifecycle import Running, Service
from services.registration.service import RegistrationService
from services.schedule.service import ScheduleService
from tests.conftest import Web, bucket_keys, create_organiser, running_web
from tests.demo_events import ROUND_TABLE, demo_event
from tests.integration.login_support import logged_in
from tests.integration.notify_support import Inbox, Stack, define, small_event, text_of, wait_until
from tests.integration.test_pages import Page

SLUG = "table-intervenants"
LINK = re.compile(r"https://perche\.example(/speaker/\S+)")
HOSTILE = '<script>alert("bio")</script> & <b>gras</b>'


@pytest.fixture
def notify_backend() -> list[Service]:
    return [CatalogService(), RegistrationService(), ScheduleService()]


@pytest.fixture
async def site(stack: Stack, tmp_path: Path) -> AsyncIterator[Web]:
    await create_organiser(stack.nats_url)
    await define(stack.nc, small_event(SLUG))
    async with running_web(stack.nats_url, tmp_path / "web") as web:
        yield web


def png(width: int = 1200, height: int = 800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 60)).save(out, format="PNG")
    return out.getvalue()


async def invite(http: httpx.AsyncClient, **values: str) -> httpx.Response:
    page = Page((await http.get(f"/organiser/e/{SLUG}/speakers/")).text)
    return await http.post(f"/organiser/e/{SLUG}/speakers/", data={**page.fields, **values})


async def link_for(inbox: Inbox, address: str) -> str:
    await wait_until(lambda: len(inbox.to(address)) >= 1)
    found = LINK.search(text_of(inbox.to(address)[0]))
    assert found, text_of(inbox.to(address)[0])
    return found.group(1)


async def answer(http: httpx.AsyncClient, link: str, photo: bytes | None = None, **values: str) -> httpx.Response:
    page = Page((await http.get(link)).text)
    path = link.split("?")[0]
    files = {"photo": ("photo.png", photo, "image/png")} if photo else {"photo": ("", b"", "application/octet-stream")}
    return await http.post(path, data={**page.fields, **values}, files=files)


async def test_an_invited_speaker_confirms_with_bio_and_photo_and_appears_on_the_event_page(
    site: Web, inbox: Inbox, stack: Stack, notify_backend: list[Service]
) -> None:
    # Three browsers: the organiser's, Claire's and Jules's (each keeps its own language).
    async with (
        httpx.AsyncClient(base_url=site.url, timeout=15) as organiser,
        httpx.AsyncClient(base_url=site.url, timeout=15) as speaker,
        httpx.AsyncClient(base_url=site.url, timeout=15) as moderator,
    ):
        await logged_in(organiser)
        command_id = uuid.uuid4().hex
        for _ in range(2):  # a double click invites once, mails once
            sent = await invite(
                organiser, command_id=command_id, name="Claire Moreau", email="claire@example.org", role="speaker"
            )
            assert sent.status_code == 303, sent.text
        invited = await invite(
            organiser, name="Jules Martin", email="jules@example.org", role="moderator", language="en"
        )
        assert invited.status_code == 303
        claire = await link_for(inbox, "claire@example.org")
        jules = await link_for(inbox, "jules@example.org")
        assert "Invitation à intervenir" in str(inbox.to("claire@example.org")[0]["Subject"])
        assert "moderate it" in text_of(inbox.to("jules@example.org")[0])
        assert "lang=en" in jules

        # The link opens the page without an account; only this key does.
        opened = await speaker.get(claire)
        assert opened.status_code == 200 and "Claire Moreau" in opened.text
        forged = await speaker.get(re.sub(r"key=[^&]+", "key=forged", claire))
        assert forged.status_code == 404 and "pas valide" in forged.text

        # Confirmed with availability within the event, a bio with markup, a photo.
        spec = small_event(SLUG)
        zone = ZoneInfo(spec.timezone)
        start = spec.starts_at.astimezone(zone)
        done = await answer(
            speaker,
            claire,
            png(),
            answer="confirmed",
            title="Députée d'Eure-et-Loir",
            title_en="Member of parliament",
            bio=HOSTILE,
            bio_en="Elected in 2022.",
            from_1=start.strftime("%Y-%m-%dT%H:%M"),
            to_1=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        )
        assert done.status_code == 303, done.text
        assert "Merci" in (await speaker.get(done.headers["location"])).text

        # Jules declines: he is not shown.
        declined = await answer(moderator, jules, answer="declined")
        assert declined.status_code == 303, declined.text

        public = await speaker.get(f"/e/{SLUG}?lang=fr")
        text = Page(public.text).text
        assert "Claire Moreau" in text and "Députée d'Eure-et-Loir" in text and "Jules Martin" not in text
        # The bio's markup is text, never markup.
        assert '<script>alert("bio")' not in public.text and "&lt;script&gt;" in public.text
        assert HOSTILE in text
        english = Page((await moderator.get(f"/e/{SLUG}")).text).text
        assert "Member of parliament" in english and "Elected in 2022." in english
        photo_url = re.search(r'src="(/e/' + SLUG + r'/speakers/[a-z0-9]+/photo\?v=[0-9a-f]+)"', public.text)
        assert photo_url, public.text
        photo = await speaker.get(photo_url.group(1))
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(photo.content)) as image:
            assert image.size == (600, 400)

        # The organiser sees who answered what.
        listed = Page((await organiser.get(f"/organiser/e/{SLUG}/speakers/")).text)
        rows = {listed.text_of(k).split()[0]: listed.text_of(k) for k in listed.by_id if k.startswith("invitation-")}
        assert "vient" in rows["Claire"] and "ne vient pas" in rows["Jules"]
        assert len(inbox.to("claire@example.org")) == 1

        # A 2,000-character bio is refused with a message; nothing changes.
        refused = await answer(speaker, claire, answer="confirmed", title="Autre", bio="x" * 2000)
        assert refused.status_code == 422
        assert "1 000 caractères" in Page(refused.text).text
        again = Page((await speaker.get(f"/e/{SLUG}?lang=fr")).text).text
        assert "Députée d'Eure-et-Loir" in again and "Autre" not in again
        # So is a file that is no image, however it is named.
        fake = await answer(speaker, claire, b"\x89PNG\r\n\x1a\n" + b"<svg onload=alert(1)>", answer="confirmed")
        assert fake.status_code == 422 and "JPEG, PNG ou WebP" in Page(fake.text).text
        assert photo.content == (await speaker.get(photo_url.group(1))).content

        # Withdrawn: the link says so, and Claire leaves the event page.
        invitation = claire.split("/")[3].split("?")[0]
        kept_form = Page((await speaker.get(claire)).text).fields
        page = Page((await organiser.get(f"/organiser/e/{SLUG}/speakers/")).text)
        withdrawn = await organiser.post(
            f"/organiser/e/{SLUG}/speakers/{invitation}/withdraw", data={**page.fields, "command_id": uuid.uuid4().hex}
        )
        assert withdrawn.status_code == 303
        gone = await speaker.get(claire)
        assert gone.status_code == 410 and "retiré cette invitation" in gone.text
        assert "Claire Moreau" not in Page((await speaker.get(f"/e/{SLUG}?lang=fr")).text).text
        late = await speaker.post(claire.split("?")[0], data={**kept_form, "answer": "confirmed", "bio": "Encore"})
        assert late.status_code == 410 and "retiré cette invitation" in late.text

        # Expired: once the event is over by more than a week, the link says so.
        past = msgspec.structs.replace(
            spec, starts_at=spec.starts_at - timedelta(days=40), ends_at=spec.ends_at - timedelta(days=40)
        )
        await define(stack.nc, past)
        expired = await moderator.get(jules)
        assert expired.status_code == 410 and "expired" in expired.text
        # And the addresses kept for the reminder are deleted (Claire's already was, on withdrawal).
        schedule = next(s for s in notify_backend if isinstance(s, ScheduleService))
        js = stack.nc.jetstream()
        assert await bucket_keys(js, Schedule.LINKS_BUCKET) == [jules.split("/")[3].split("?")[0]]
        await schedule.forget_links(datetime.now(UTC))
        assert await bucket_keys(js, Schedule.LINKS_BUCKET) == []


async def test_a_speaker_named_in_the_agenda_subscribes_to_their_own_feed_which_ends_when_withdrawn(
    site: Web, inbox: Inbox, stack: Stack
) -> None:
    await define(stack.nc, demo_event(ROUND_TABLE))
    async with (
        httpx.AsyncClient(base_url=site.url, timeout=15) as organiser,
        httpx.AsyncClient(base_url=site.url, timeout=15) as app,
    ):
        await logged_in(organiser)
        path = f"/organiser/e/{ROUND_TABLE}/speakers/"
        page = Page((await organiser.get(path)).text)
        assert 'value="claire-moreau"' in page.source  # the agenda's speakers, to name one
        sent = await organiser.post(
            path,
            data={
                **page.fields,
                "name": "Claire Moreau",
                "email": "claire@example.org",
                "contributor": "claire-moreau",
            },
        )
        assert sent.status_code == 303, sent.text
        link = await link_for(inbox, "claire@example.org")
        feed_path = re.search(r'href="(/speaker/[^"]+/calendar\.ics\?key=[^"]+)"', (await app.get(link)).text)
        assert feed_path
        feed_url = feed_path.group(1).replace("&amp;", "&")

        async def released() -> bool:
            reply = await app.get(feed_url)
            return reply.status_code == 200 and "SUMMARY:Point avec les intervenant·es" in reply.text

        await wait_until(released)  # the event file's agenda is released by the schedule service
        feed = await app.get(feed_url)
        assert feed.headers["content-type"].startswith("text/calendar")
        assert "SUMMARY:Table ronde : un pôle de formation" in feed.text.replace("\r\n ", "")
        assert (await app.get(re.sub(r"key=[^&]+", "key=forged", feed_url))).status_code == 404

        invitation = link.split("/")[3].split("?")[0]
        page = Page((await organiser.get(path)).text)
        await organiser.post(f"{path}{invitation}/withdraw", data={**page.fields, "command_id": uuid.uuid4().hex})
        assert (await app.get(feed_url)).status_code == 410


async def test_a_confirmed_speaker_gets_one_reminder_before_the_event_and_a_declined_one_none(
    stack: Stack, inbox: Inbox, tmp_path: Path, notify_backend: list[Service]
) -> None:
    """Two instances of the schedule service look for reminders due at the same moment: one is sent."""
    await create_organiser(stack.nats_url)
    await define(stack.nc, small_event(SLUG, starts_in=1))  # within PERCHE_REMINDER_DAYS (2)
    first = next(s for s in notify_backend if isinstance(s, ScheduleService))
    second = ScheduleService(housekeeping_seconds=3600)
    another = Running([second], stack.nats_url)
    await another.start()
    async with (
        running_web(stack.nats_url, tmp_path / "web") as web,
        httpx.AsyncClient(base_url=web.url, timeout=15) as organiser,
        httpx.AsyncClient(base_url=web.url, timeout=15) as speaker,
    ):
        await logged_in(organiser)
        for name, address in (("Claire Moreau", "claire@example.org"), ("Jules Martin", "jules@example.org")):
            assert (await invite(organiser, name=name, email=address)).status_code == 303
        claire, jules = await link_for(inbox, "claire@example.org"), await link_for(inbox, "jules@example.org")
        assert (await answer(speaker, claire, answer="confirmed", bio="Bio")).status_code == 303
        assert (await answer(speaker, jules, answer="declined")).status_code == 303
        now = datetime.now(UTC)
        await asyncio.gather(first.send_reminders(now), second.send_reminders(now))
        await wait_until(lambda: len(inbox.to("claire@example.org")) == 2)
        reminder = inbox.to("claire@example.org")[1]
        assert reminder["X-Perche-Kind"] == "speaker_reminder"
        assert claire.split("&")[0] in text_of(reminder)
        await asyncio.gather(first.send_reminders(now), second.send_reminders(now))
        # One more invitation mailed after: by then a second reminder would have arrived too.
        assert (await invite(organiser, name="Anne Lambert", email="anne@example.org")).status_code == 303
        await link_for(inbox, "anne@example.org")
    await another.stop()
    # Sent once, and nothing to the one who declined.
    assert [str(m["X-Perche-Kind"]) for m in inbox.to("claire@example.org")] == [
        "speaker_invitation",
        "speaker_reminder",
    ]
    assert [str(m["X-Perche-Kind"]) for m in inbox.to("jules@example.org")] == ["speaker_invitation"]
