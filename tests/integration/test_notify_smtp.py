"""Notify over a real SMTP server (aiosmtpd) and a real NATS: the right mail, once, in the right language."""

import asyncio
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from schemas.catalog import EventReply, GetEvent
from schemas.notify import ListMails, MailList
from schemas.registration import Cancel, Claim, GetRegistration, RegistrationView, short_code
from schemas.subjects import Catalog, Notify, Registration, stream_name
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.connection import connect
from services.kit.i18n import Formatter, localised, translations
from services.kit.lifecycle import Running
from services.notify.service import NotifyService
from services.registration.service import RegistrationService
from tests.integration.notify_support import (
    BASE_URL,
    MAIL_FROM,
    Inbox,
    Stack,
    calendar_part,
    define,
    drained,
    mail_settings,
    register,
    small_event,
    text_of,
    wait_until,
)


async def test_confirmations_reach_a_real_smtp_server_in_each_registrants_language_with_link_and_invitation(
    stack: Stack, inbox: Inbox
) -> None:
    await define(stack.nc, small_event("atelier-courriels"))
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug="atelier-courriels"), EventReply)).event
    lea = await register(stack.nc, spec.slug, "Léa Martin", "lea@example.org", "fr")
    sam = await register(stack.nc, spec.slug, "Sam Taylor", "sam@example.org", "en")
    await wait_until(lambda: len(inbox.messages) == 2)

    for view, address in ((lea, "lea@example.org"), (sam, "sam@example.org")):
        [message] = inbox.to(address)
        gettext = translations(view.language).gettext
        title = localised(spec, "title", view.language)
        assert message["Subject"] == gettext("Inscription confirmée : %(event)s") % {"event": title}
        assert message["Content-Language"] == view.language
        assert message["From"] == MAIL_FROM
        assert message["To"].addresses[0].display_name == view.name
        text = text_of(message)
        assert f"{BASE_URL}/m/{short_code(view.manage_token)}" in text
        assert Formatter(view.language).span(spec.starts_at, spec.ends_at, spec.timezone) in text

        invitation = Calendar.from_ical(calendar_part(message))
        assert invitation["METHOD"] == "PUBLISH"
        [event] = invitation.walk("VEVENT")
        assert [str(z["TZID"]) for z in invitation.walk("VTIMEZONE")] == [spec.timezone]
        assert event["DTSTART"].params["TZID"] == spec.timezone
        assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (spec.starts_at, spec.ends_at)
        assert view.id in str(event["UID"])
        assert str(event["SUMMARY"]) == title


async def test_the_waitlist_runs_by_mail_waiting_then_offer_then_confirmed_seat_and_a_withdrawn_invitation(
    stack: Stack, inbox: Inbox
) -> None:
    await define(stack.nc, small_event("atelier-une-place", capacity=1))
    slug = "atelier-une-place"
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug=slug), EventReply)).event
    first = await register(stack.nc, slug, "Ana", "ana@example.org")
    second = await register(stack.nc, slug, "Bob", "bob@example.org", "en")
    assert (first.status, second.status, second.position) == ("confirmed", "waitlisted", 1)
    await wait_until(lambda: len(inbox.messages) == 2)
    [waiting] = inbox.to("bob@example.org")
    english = translations("en").gettext
    assert english("Votre rang sur la liste d'attente : %(position)s") % {"position": 1} in text_of(waiting)

    cancel = Cancel(command_id=uuid.uuid4().hex, registration_id=first.id, token=first.manage_token)
    await call(stack.nc, Registration.CANCEL, cancel, RegistrationView)
    await wait_until(lambda: len(inbox.messages) == 4)
    assert inbox.kinds("ana@example.org") == ["confirmed", "cancelled"]
    invited, cancelled = inbox.to("ana@example.org")
    added = next(iter(Calendar.from_ical(calendar_part(invited)).walk("VEVENT")))
    withdrawal = Calendar.from_ical(calendar_part(cancelled))
    [removed] = withdrawal.walk("VEVENT")
    assert withdrawal["METHOD"] == "CANCEL"
    assert str(removed["UID"]) == str(added["UID"])
    assert int(removed["SEQUENCE"]) > int(added["SEQUENCE"])

    offered = await call(
        stack.nc,
        Registration.GET,
        GetRegistration(registration_id=second.id, token=second.manage_token),
        RegistrationView,
    )
    assert offered.offer_expires_at is not None
    offer = inbox.to("bob@example.org")[1]
    assert offer["X-Perche-Kind"] == "offered"
    deadline = Formatter("en").datetime(offered.offer_expires_at, spec.timezone)
    assert english("Confirmez-la avant le %(deadline)s : ouvrez ce lien puis choisissez « Je confirme ma place ».") % {
        "deadline": deadline
    } in text_of(offer)
    assert f"{BASE_URL}/m/{short_code(second.manage_token)}" in text_of(offer)

    claim = Claim(command_id=uuid.uuid4().hex, registration_id=second.id, token=second.manage_token)
    await call(stack.nc, Registration.CLAIM, claim, RegistrationView)
    await wait_until(lambda: len(inbox.messages) == 5)
    assert inbox.kinds("bob@example.org") == ["waitlisted", "offered", "promoted"]
    promoted = inbox.to("bob@example.org")[2]
    assert Calendar.from_ical(calendar_part(promoted))["METHOD"] == "PUBLISH"
    assert promoted["Subject"] == english("Votre place est confirmée : %(event)s") % {"event": spec.title_en}


async def test_a_cancellation_by_an_organiser_says_the_organisers_cancelled(stack: Stack, inbox: Inbox) -> None:
    await define(stack.nc, small_event("atelier-annule"))
    view = await register(stack.nc, "atelier-annule", "Chloé", "chloe@example.org")
    cancel = Cancel(command_id=uuid.uuid4().hex, registration_id=view.id, by_organiser="orga-1")
    await call(stack.nc, Registration.CANCEL, cancel, RegistrationView)
    await wait_until(lambda: len(inbox.messages) == 2)
    # Chosen by kind: a confirmation retried (its registration not yet readable) may arrive second.
    [cancelled] = [m for m in inbox.to("chloe@example.org") if m["X-Perche-Kind"] == "cancelled"]
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug="atelier-annule"), EventReply)).event
    french = translations("fr").gettext
    expected = french("L'équipe organisatrice a annulé votre inscription à « %(event)s ».") % {"event": spec.title}
    assert expected in text_of(cancelled)


async def test_a_reminder_goes_out_once_days_before_the_event_whichever_instance_looks(
    stack: Stack, inbox: Inbox
) -> None:
    await define(stack.nc, small_event("atelier-rappel", starts_in=10))
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug="atelier-rappel"), EventReply)).event
    view = await register(stack.nc, spec.slug, "Dora", "dora@example.org")
    await wait_until(lambda: len(inbox.messages) == 1)
    other = await stack.start_notify()
    await wait_until(lambda: view.id in other.state.people)

    moment = spec.starts_at - timedelta(days=stack.settings.reminder_days)
    await stack.service(0).housekeeping(moment - timedelta(hours=1))
    assert inbox.kinds("dora@example.org") == ["confirmed"]
    await stack.service(0).housekeeping(moment)
    assert inbox.kinds("dora@example.org") == ["confirmed", "reminder"]
    await other.housekeeping(moment + timedelta(hours=1))
    await stack.service(0).housekeeping(moment + timedelta(hours=2))
    assert inbox.kinds("dora@example.org") == ["confirmed", "reminder"]
    reminder = inbox.to("dora@example.org")[1]
    french = translations("fr").gettext
    date = Formatter("fr").date(spec.starts_at, spec.timezone)
    assert reminder["Subject"] == french("Rappel : %(event)s, %(date)s") % {"event": spec.title, "date": date}
    assert f"{BASE_URL}/m/{short_code(view.manage_token)}" in text_of(reminder)


async def test_no_mail_is_sent_twice_across_restarts_even_when_every_event_is_delivered_again(
    stack: Stack, inbox: Inbox
) -> None:
    await define(stack.nc, small_event("atelier-redemarrage"))
    for i in range(3):
        await register(stack.nc, "atelier-redemarrage", f"Personne {i}", f"p{i}@example.org")
    await wait_until(lambda: len(inbox.messages) == 3)
    await wait_until(lambda: drained(stack.nc))

    await stack.stop_notify()
    for i in range(3, 5):
        await register(stack.nc, "atelier-redemarrage", f"Personne {i}", f"p{i}@example.org")
    await stack.start_notify()
    await wait_until(lambda: len(inbox.messages) == 5)
    await wait_until(lambda: drained(stack.nc))

    # As if every ack had been lost: the consumer starts over from the first event.
    await stack.stop_notify()
    await stack.nc.jetstream().delete_consumer(stream_name("registration"), Notify.REGISTRATION_CONSUMER)
    await stack.start_notify()
    await wait_until(lambda: drained(stack.nc))
    info = await stack.nc.jetstream().consumer_info(stream_name("registration"), Notify.REGISTRATION_CONSUMER)
    assert info.delivered.consumer_seq == 5  # all five events came again

    assert len(inbox.messages) == 5
    assert sorted(str(m["Message-ID"]) for m in inbox.messages) == sorted(
        {str(m["Message-ID"]) for m in inbox.messages}
    )
    assert sorted(r[0] for r in inbox.recipients) == [f"p{i}@example.org" for i in range(5)]


async def test_two_notify_instances_share_the_work_and_send_each_mail_once(stack: Stack, inbox: Inbox) -> None:
    await stack.start_notify()
    await define(stack.nc, small_event("atelier-deux-instances", capacity=100))
    people = [f"q{i}@example.org" for i in range(30)]
    await asyncio.gather(*(register(stack.nc, "atelier-deux-instances", a.split("@")[0], a) for a in people))
    await wait_until(lambda: len(inbox.messages) == len(people))
    await wait_until(lambda: drained(stack.nc))
    assert sorted(r[0] for r in inbox.recipients) == sorted(people)
    mails = (await call(stack.nc, Notify.LIST_MAILS, ListMails(event="atelier-deux-instances"), MailList)).mails
    assert sorted(m.status for m in mails) == ["sent"] * len(people)


async def test_an_unreadable_message_is_terminated_and_logged_and_mail_goes_on(
    stack: Stack, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="perche.notify")
    await define(stack.nc, small_event("atelier-poison"))
    js = stack.nc.jetstream()
    await js.publish(Registration.person_subject("atelier-poison", "bogus"), b'{"type": "no such event"}')
    await register(stack.nc, "atelier-poison", "Eve", "eve@example.org")
    await wait_until(lambda: len(inbox.messages) == 1)
    await wait_until(lambda: drained(stack.nc))
    info = await js.consumer_info(stream_name("registration"), Notify.REGISTRATION_CONSUMER)
    assert info.num_redelivered == 0
    assert any("unreadable" in r.getMessage() and "bogus" in r.getMessage() for r in caplog.records)


async def test_a_mail_that_fails_while_the_smtp_server_is_down_arrives_once_it_is_back(
    nats_url: str, tmp_path: Path
) -> None:
    down = Inbox()  # its port is chosen, its server not started yet
    backend = Running(
        [CatalogService(), RegistrationService(), NotifyService(mail_settings(tmp_path, down.port))], nats_url
    )
    await backend.start()
    nc = await connect(nats_url, "test-outage")
    try:
        await define(nc, small_event("atelier-panne"))
        await register(nc, "atelier-panne", "Fred", "fred@example.org")

        async def failed_once() -> bool:
            mails = (await call(nc, Notify.LIST_MAILS, ListMails(event="atelier-panne"), MailList)).mails
            return len(mails) == 1 and mails[0].status == "failed"

        await wait_until(failed_once)
        mails = (await call(nc, Notify.LIST_MAILS, ListMails(event="atelier-panne"), MailList)).mails
        assert "@" not in mails[0].error  # the log says what failed, never to whom
        down.start()
        await wait_until(lambda: len(down.messages) == 1)
        await wait_until(lambda: drained(nc))
        mails = (await call(nc, Notify.LIST_MAILS, ListMails(event="atelier-panne"), MailList)).mails
        assert [(m.status, m.transport) for m in mails] == [("sent", "smtp")]
        assert down.recipients == [["fred@example.org"]]
    finally:
        down.stop()
        await nc.drain()
        await backend.stop()
