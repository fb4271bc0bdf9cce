"""With no SMTP server configured, mails go to a Maildir under the data directory; organisers read
them in the dashboard, and erasing a person deletes their mails too."""

import email.policy
import html
import mailbox
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
from icalendar import Calendar

from schemas.notify import ListMails, MailList
from schemas.registration import short_code
from schemas.subjects import Notify
from services.kit.client import call
from services.kit.connection import connect
from services.kit.i18n import translations
from tests.conftest import ROUND_TABLE, Web
from tests.integration.notify_support import calendar_part, drained, text_of, wait_until


def stored(data_dir: Path) -> list[EmailMessage]:
    if not (data_dir / "maildir").exists():
        return []
    box = mailbox.Maildir(data_dir / "maildir", create=False)
    messages = []
    for key in box.iterkeys():
        with box.get_file(key) as f:
            message = BytesParser(policy=email.policy.default).parse(f)  # type: ignore[arg-type]
            assert isinstance(message, EmailMessage)
            messages.append(message)
    return messages


async def register(http: httpx.AsyncClient, name: str, address: str, language: str = "fr") -> dict[str, str]:
    made = await http.post(
        f"/api/v1/events/{ROUND_TABLE}/registrations",
        json={"name": name, "email": address, "consent": True, "language": language},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert made.status_code == 201, made.text
    body: dict[str, str] = made.json()
    return body


async def test_without_smtp_each_mail_is_written_to_the_maildir_under_the_data_directory(
    demo: Web, http: httpx.AsyncClient, data_dir: Path
) -> None:
    made = await register(http, "Léa Martin", "lea@example.org", "en")
    await wait_until(lambda: len(stored(data_dir)) == 1)
    [message] = stored(data_dir)
    assert message["To"].addresses[0].addr_spec == "lea@example.org"
    assert message["X-Perche-Registration"] == made["id"]
    assert message["Content-Language"] == "en"
    assert "/m/" + short_code(made["manage_url"].split("token=")[1]) in text_of(message)
    invitation = Calendar.from_ical(calendar_part(message))
    assert made["id"] in str(next(iter(invitation.walk("VEVENT")))["UID"])
    # Every mail written is in the log organisers list, with nothing personal in the log itself.
    nc = await connect(demo.nats_url, "test-maildir")
    try:
        await wait_until(lambda: drained(nc))
        reply = await call(nc, Notify.LIST_MAILS, ListMails(event=ROUND_TABLE), MailList)
    finally:
        await nc.drain()
    assert reply.transport == "maildir" and reply.maildir == str(data_dir / "maildir")
    assert [(m.registration_id, m.kind, m.status, m.to) for m in reply.mails] == [
        (made["id"], "confirmed", "sent", str(message["To"]))
    ]


async def test_organisers_read_the_mails_in_the_dashboard_and_erasure_deletes_them(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], data_dir: Path
) -> None:
    made = await register(http, "Hélène Dupré", "helene@example.org")
    await wait_until(lambda: len(stored(data_dir)) == 1)
    [message] = stored(data_dir)
    mail_id = str(message["X-Perche-Mail-Id"])

    listing = await http.get("/organiser/mails/", headers=organiser_headers)
    assert listing.status_code == 200
    page = html.unescape(listing.text)
    assert str(message["Subject"]) in page
    assert "helene@example.org" in page
    assert f"/organiser/mails/{mail_id}" in page
    assert translations("fr").gettext("envoyé") in page

    filtered = await http.get("/organiser/mails/", params={"event": "no-such-event"}, headers=organiser_headers)
    assert filtered.status_code == 200 and mail_id not in filtered.text

    one = await http.get(f"/organiser/mails/{mail_id}", headers=organiser_headers)
    assert one.status_code == 200
    assert "/m/" + short_code(made["manage_url"].split("token=")[1]) in html.unescape(one.text)
    assert "invitation.ics" in one.text

    english = await http.get(f"/organiser/mails/{mail_id}", params={"lang": "en"}, headers=organiser_headers)
    assert translations("en").gettext("Pièces jointes :") in english.text

    erased = await http.post(
        f"/api/v1/registrations/{made['id']}/erase",
        headers={**organiser_headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert erased.status_code == 200, erased.text
    await wait_until(lambda: stored(data_dir) == [])
    after = await http.get("/organiser/mails/", headers=organiser_headers)
    assert "helene@example.org" not in after.text
    assert mail_id in after.text  # the log stays: which mail went out, not to whom
    gone = await http.get(f"/organiser/mails/{mail_id}", headers=organiser_headers)
    assert gone.status_code == 200 and "helene@example.org" not in gone.text


async def test_the_mail_pages_are_for_organisers_only(demo: Web, http: httpx.AsyncClient) -> None:
    page = await http.get("/organiser/mails/")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/organiser/login")
    unknown = await http.get("/organiser/mails/no-such-mail", headers={"Authorization": "Bearer forged.token"})
    assert unknown.status_code == 303


async def test_an_unknown_mail_is_answered_not_found(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    missing = await http.get("/organiser/mails/no-such-mail", headers=organiser_headers)
    assert missing.status_code == 404
