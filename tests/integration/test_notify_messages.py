"""An organiser's message to an event's registrants, over a real NATS, a real web and a real SMTP
server (aiosmtpd): the preview says how many people get it and shows it as each reader will; a
message to the waitlist reaches exactly the waiting people, once each, in their language, even
when the form is sent twice; the organiser's words arrive as written; the mails page lists it."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from schemas.notify import MessageSending, MessageText, SendMessage
from schemas.registration import Cancel, Register, RegistrationView
from schemas.subjects import Notify, Registration, Teams
from schemas.teams import CreateTeam, JoinTeam, Membership, TeamList
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.lifecycle import Service
from services.registration.service import RegistrationService
from services.teams.service import TeamsService
from tests.conftest import HACKATHON, create_organiser, define_events, running_web
from tests.demo_events import demo_file
from tests.integration.login_support import logged_in
from tests.integration.notify_support import Inbox, Stack, define, register, small_event, text_of, wait_until
from tests.integration.test_pages import Page

SLUG = "message-au-perche"
PAGE = f"/organiser/e/{SLUG}/message"
WORDS = "Rendez-vous salle B à 9 h.\n\nApportez <b>votre</b> ordinateur & un câble."
WORDS_EN = "Meet in room B at 9."


@pytest.fixture
def notify_backend() -> list[Service]:
    return [CatalogService(), RegistrationService(), TeamsService()]


@pytest.fixture
async def organiser(stack: Stack, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    await create_organiser(stack.nats_url)
    async with (
        running_web(stack.nats_url, tmp_path / "web") as web,
        httpx.AsyncClient(base_url=web.url, timeout=10) as http,
    ):
        await logged_in(http)
        yield http


def plain(message: EmailMessage) -> str:
    return text_of(message).replace("\r\n", "\n")


def messages(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Perche-Kind"] == "message"]


async def test_a_message_to_the_waitlist_reaches_each_waiting_person_once_in_their_language(
    stack: Stack, inbox: Inbox, organiser: httpx.AsyncClient
) -> None:
    http = organiser
    await define(stack.nc, small_event(SLUG, capacity=1))
    people: dict[str, RegistrationView] = {}
    for name, address, language in (
        ("Anne Seated", "anne@example.org", "fr"),
        ("Bruno Attente", "bruno@example.org", "fr"),
        ("Cara Waiting", "cara@example.org", "en"),
        ("Denis Parti", "denis@example.org", "fr"),
    ):
        people[address] = await register(stack.nc, SLUG, name, address, language)
    assert [people[a].status for a in sorted(people)] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    cancel = Cancel(
        command_id=uuid.uuid4().hex,
        registration_id=people["denis@example.org"].id,
        token=people["denis@example.org"].manage_token,
    )
    await call(stack.nc, Registration.CANCEL, cancel, RegistrationView)
    await wait_until(lambda: inbox.kinds("denis@example.org") == ["waitlisted", "cancelled"])

    page = Page((await http.get(PAGE + "/")).text)
    csrf = page.fields["_csrf_token"]
    typed = {"audience": "waitlist", "subject_fr": "Salle changée", "body_fr": WORDS, "body_en": WORDS_EN}

    # Empty texts are refused next to their fields, and nothing is sent.
    refused = await http.post(PAGE + "/preview", data={"_csrf_token": csrf, "audience": "waitlist"})
    assert refused.status_code == 422
    assert 'id="err-subject_fr"' in refused.text and "Indiquez un objet." in refused.text
    assert 'id="err-body_fr"' in refused.text and "Écrivez le message." in refused.text
    too_long = await http.post(PAGE + "/preview", data={"_csrf_token": csrf, **typed, "subject_en": "x" * 200})
    assert too_long.status_code == 422 and 'id="err-subject_en"' in too_long.text

    shown = await http.post(PAGE + "/preview", data={"_csrf_token": csrf, **typed})
    assert shown.status_code == 200, shown.text
    preview = Page(shown.text)
    assert "Ce message ira à 2 personnes" in shown.text
    assert "Apportez &lt;b&gt;votre&lt;/b&gt; ordinateur &amp; un câble." in preview.source
    assert "Meet in room B at 9." in preview.source
    command_id = preview.fields["command_id"]

    form = {"_csrf_token": csrf, "command_id": command_id, **typed}
    sent = await http.post(PAGE + "/send", data=form)
    assert sent.status_code == 303 and sent.headers["location"].endswith("?sent=2")
    assert "Le message part par e-mail à 2 personnes." in (await http.get(sent.headers["location"])).text
    # The same form again (a double click, a resent page) sends nothing twice.
    again = await http.post(PAGE + "/send", data=form)
    assert again.status_code == 303
    await wait_until(lambda: len(messages(inbox, "bruno@example.org")) == len(messages(inbox, "cara@example.org")) == 1)
    french, english = messages(inbox, "bruno@example.org")[0], messages(inbox, "cara@example.org")[0]
    assert french["Subject"] == "Salle changée" and english["Subject"] == "Salle changée"
    assert WORDS in plain(french) and "Un message des organisateurs" in plain(french)
    assert WORDS_EN in plain(english) and WORDS not in plain(english)
    assert "A message from the organisers" in plain(english)
    assert french.get_body(preferencelist=("html",)) is None  # plain text: the words as written

    # Once every mail of the message is out: the confirmed and the cancelled got none, and no one got two.
    await wait_until(lambda: stack.service().messages.background.idle)
    assert messages(inbox, "anne@example.org") == [] and messages(inbox, "denis@example.org") == []
    assert len(messages(inbox, "bruno@example.org")) == 1

    listed = (await http.get(f"/organiser/mails/?event={SLUG}")).text
    assert listed.count("Message des organisateurs") >= 2


async def test_a_message_to_a_team_reaches_its_members_only(
    stack: Stack, inbox: Inbox, organiser: httpx.AsyncClient
) -> None:
    http = organiser
    await define_events(stack.nats_url, demo_file(HACKATHON))
    people = []
    for name, address in (
        ("Lou Team", "lou@example.org"),
        ("Max Team", "max@example.org"),
        ("Noé Seul", "noe@example.org"),
    ):
        command = Register(
            command_id=uuid.uuid4().hex, event=HACKATHON, name=name, email=address, consent=True, category="mentor"
        )
        people.append(await call(stack.nc, Registration.REGISTER, command, RegistrationView))
    create = CreateTeam(
        command_id=uuid.uuid4().hex, event=HACKATHON, team_id="trayeurs", name="Les Trayeurs", by_organiser="o"
    )
    await call(stack.nc, Teams.CREATE, create, TeamList)
    for person in people[:2]:
        join = JoinTeam(
            command_id=uuid.uuid4().hex, event=HACKATHON, team_id="trayeurs", registration=person.id, by_organiser="o"
        )
        await call(stack.nc, Teams.JOIN, join, Membership)

    page = f"/organiser/e/{HACKATHON}/message"
    form = Page((await http.get(page + "/")).text)
    assert 'value="team:trayeurs"' in form.source
    typed = {"audience": "team:trayeurs", "subject_fr": "Votre équipe", "body_fr": "Table 4."}
    shown = await http.post(page + "/preview", data={"_csrf_token": form.fields["_csrf_token"], **typed})
    assert "Ce message ira à 2 personnes" in shown.text
    data = {"_csrf_token": form.fields["_csrf_token"], "command_id": Page(shown.text).fields["command_id"], **typed}
    assert (await http.post(page + "/send", data=data)).status_code == 303
    await wait_until(lambda: len(messages(inbox, "lou@example.org")) == len(messages(inbox, "max@example.org")) == 1)
    await wait_until(lambda: stack.service().messages.background.idle)
    assert messages(inbox, "noe@example.org") == []
    unknown = await http.post(
        page + "/preview", data={"_csrf_token": form.fields["_csrf_token"], **typed, "audience": "team:personne"}
    )
    assert unknown.status_code == 422 and 'id="err-audience"' in unknown.text


async def test_the_same_message_sent_twice_at_the_same_moment_reaches_each_person_once(
    stack: Stack, inbox: Inbox
) -> None:
    """A double click lands twice on one notify instance while the first mails are still going out."""
    await define(stack.nc, small_event(SLUG, capacity=3))
    people = [
        await register(stack.nc, SLUG, name, address, "fr")
        for name, address in (
            ("Anne", "anne@example.org"),
            ("Bruno", "bruno@example.org"),
            ("Cara", "cara@example.org"),
        )
    ]
    text = MessageText(subject_fr="Salle changée", body_fr="Rendez-vous salle B.")
    command = SendMessage(command_id=uuid.uuid4().hex, event=SLUG, by_organiser="o", audience="everyone", text=text)
    await asyncio.gather(*(call(stack.nc, Notify.SEND_MESSAGE, command, MessageSending) for _ in range(4)))
    addresses = [p.email for p in people]
    await wait_until(lambda: all(messages(inbox, a) for a in addresses))
    await wait_until(lambda: stack.service().messages.background.idle)
    assert [len(messages(inbox, a)) for a in addresses] == [1, 1, 1]
