"""Agenda releases by mail, over a real NATS and a real SMTP server (aiosmtpd): the people a
release concerns are told once each, in their language, and nobody else."""

import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage

import msgspec
import pytest

from schemas.catalog import Category, EventReply, EventSpec, GetEvent
from schemas.registration import Cancel, Register, RegistrationView, short_code
from schemas.schedule import (
    AgendaView,
    Contributor,
    DraftView,
    Edit,
    EditDraft,
    PutContributor,
    PutRoom,
    PutSession,
    PutTeam,
    ReleaseAgenda,
    Room,
    Session,
    Team,
)
from schemas.subjects import Catalog, Notify, Registration, Schedule, stream_name
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.i18n import Formatter, localised, translations
from services.kit.lifecycle import Service
from services.registration.service import RegistrationService
from services.schedule.service import ScheduleService
from tests.integration.notify_support import (
    BASE_URL,
    Inbox,
    Stack,
    define,
    drained,
    register,
    small_event,
    text_of,
    wait_until,
)

SLUG = "atelier-programme"


@pytest.fixture
def notify_backend() -> list[Service]:
    """Catalog, registration and schedule (the `stack` fixture runs notify apart)."""
    return [CatalogService(), RegistrationService(), ScheduleService()]


def agenda_mails(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Perche-Kind"] == "agenda_changed"]


def all_agenda_mails(inbox: Inbox) -> list[EmailMessage]:
    return [m for m in inbox.messages if m["X-Perche-Kind"] == "agenda_changed"]


async def edit(stack: Stack, *edits: Edit) -> DraftView:
    command = EditDraft(command_id=uuid.uuid4().hex, event=SLUG, by_organiser="orga-1", edits=list(edits))
    return await call(stack.nc, Schedule.EDIT, command, DraftView)


async def release(stack: Stack, note: str = "") -> AgendaView:
    command = ReleaseAgenda(command_id=uuid.uuid4().hex, event=SLUG, by_organiser="orga-1", note=note)
    return await call(stack.nc, Schedule.RELEASE, command, AgendaView)


async def settled(stack: Stack) -> None:
    """Notify has handled every release and every registration event so far."""
    await wait_until(lambda: drained(stack.nc, "schedule"))
    await wait_until(lambda: drained(stack.nc, "registration"))


def session(spec: EventSpec, ident: str, title: str, start: datetime, **fields: object) -> Session:
    return Session(
        id=ident,
        title=title,
        title_en=f"{title} (en)",
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        room="grange",
        **fields,  # type: ignore[arg-type]
    )


async def event_with_agenda(stack: Stack) -> tuple[EventSpec, dict[str, RegistrationView], Session, Session]:
    """The event and its first release: a team of three pitching to a juror, a speaker's talk,
    and someone registered who has no part in the agenda."""
    await define(stack.nc, small_event(SLUG))
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug=SLUG), EventReply)).event
    people = {
        "lea": await register(stack.nc, SLUG, "Léa Martin", "lea@example.org", "fr"),
        "sam": await register(stack.nc, SLUG, "Sam Taylor", "sam@example.org", "en"),
        "quentin": await register(stack.nc, SLUG, "Quentin Roux", "quentin@example.org", "fr"),
        "jo": await register(stack.nc, SLUG, "Jo Lefèvre", "jo@example.org", "en"),
        "ana": await register(stack.nc, SLUG, "Ana Perrin", "ana@example.org", "fr"),
        "yves": await register(stack.nc, SLUG, "Yves Blanc", "yves@example.org", "fr"),
    }
    start = spec.starts_at + timedelta(hours=1)
    pitch = session(spec, "pitch-foin", "Pitch de l'équipe Foin", start, kind="pitch", people=["jo"], team="foin")
    talk = session(spec, "atelier-sol", "Atelier sols vivants", spec.starts_at + timedelta(hours=2), people=["ana"])
    await edit(
        stack,
        PutRoom(room=Room(id="grange", name="La grange", name_en="The barn")),
        PutContributor(contributor=Contributor(id="jo", name="Jo Lefèvre", role="juror", registration=people["jo"].id)),
        PutContributor(contributor=Contributor(id="ana", name="Ana Perrin", registration=people["ana"].id)),
        PutTeam(team=Team(id="foin", name="Foin", members=[people[w].id for w in ("lea", "sam", "quentin")])),
        PutSession(session=pitch),
        PutSession(session=talk),
    )
    assert (await release(stack)).version == 1
    return spec, people, pitch, talk


async def test_a_release_that_moves_a_pitch_mails_its_team_and_juror_once_each_in_their_language(
    stack: Stack, inbox: Inbox
) -> None:
    spec, people, pitch, talk = await event_with_agenda(stack)
    await settled(stack)
    assert all_agenda_mails(inbox) == []  # the first release publishes the agenda: it changes nothing

    # Quentin leaves the event before the pitch moves: he is told nothing more.
    quentin = people["quentin"]
    cancel = Cancel(command_id=uuid.uuid4().hex, registration_id=quentin.id, token=quentin.manage_token)
    await call(stack.nc, Registration.CANCEL, cancel, RegistrationView)
    moved_to = pitch.starts_at + timedelta(minutes=90)
    # The line below is the one for a move within the day (small_event starts at 10:00 local time).
    assert (
        Formatter("fr").local(moved_to, spec.timezone).date()
        == Formatter("fr").local(pitch.starts_at, spec.timezone).date()
    )
    pitch_moved = session(spec, pitch.id, pitch.title, moved_to, kind="pitch", people=["jo"], team="foin")
    await edit(stack, PutSession(session=pitch_moved))
    assert (await release(stack, note="La grange est prise par le concours de labours.")).version == 2
    await settled(stack)

    told = {"lea", "sam", "jo"}
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in all_agenda_mails(inbox)) == sorted(
        people[w].email for w in told
    )
    for who in told:
        view = people[who]
        [message] = agenda_mails(inbox, view.email)
        gettext = translations(view.language).gettext
        fmt = Formatter(view.language)
        assert message["Subject"] == gettext("Programme modifié : %(event)s") % {
            "event": localised(spec, "title", view.language)
        }
        assert message["Content-Language"] == view.language
        title = pitch.title_en if view.language == "en" else pitch.title
        line = gettext("« %(session)s » : déplacé de %(before)s à %(after)s, %(date)s") % {
            "session": title,
            "before": fmt.time(pitch.starts_at, spec.timezone),
            "after": fmt.time(moved_to, spec.timezone),
            "date": fmt.date(moved_to, spec.timezone),
        }
        text = text_of(message)
        assert line in text
        assert talk.title not in text and talk.title_en not in text  # not theirs
        assert f"{BASE_URL}/m/{short_code(view.manage_token)}" in text
        assert f"{BASE_URL}/r/{view.id}/calendar.ics?token={view.calendar_token}" in text
    # The speaker's talk did not change, and Yves has no part in the agenda.
    assert agenda_mails(inbox, people["ana"].email) == agenda_mails(inbox, people["yves"].email) == []
    assert agenda_mails(inbox, quentin.email) == []


async def test_a_release_mails_only_the_people_of_what_changed_and_restarts_send_nothing_again(
    stack: Stack, inbox: Inbox
) -> None:
    spec, people, pitch, talk = await event_with_agenda(stack)
    later = talk.starts_at + timedelta(minutes=30)
    await edit(stack, PutSession(session=session(spec, talk.id, talk.title, later, people=["ana"])))
    assert (await release(stack)).version == 2
    await settled(stack)
    [told] = all_agenda_mails(inbox)
    assert told["To"].addresses[0].addr_spec == people["ana"].email
    fmt = Formatter("fr")
    assert f"de {fmt.time(talk.starts_at, spec.timezone)} à {fmt.time(later, spec.timezone)}" in text_of(told)

    # Restarted, and as if every ack had been lost: the releases all come again, no mail does.
    await stack.stop_notify()
    await stack.nc.jetstream().delete_consumer(stream_name("schedule"), Notify.SCHEDULE_CONSUMER)
    await stack.start_notify()
    await settled(stack)
    info = await stack.nc.jetstream().consumer_info(stream_name("schedule"), Notify.SCHEDULE_CONSUMER)
    assert info.delivered.consumer_seq == 4  # two edits and two releases, all delivered again
    assert len(all_agenda_mails(inbox)) == 1

    # A second instance joins; the next release still reaches each person once.
    await stack.start_notify()
    earlier = pitch.starts_at - timedelta(minutes=30)
    pitch_moved = session(spec, pitch.id, pitch.title, earlier, kind="pitch", people=["jo"], team="foin")
    await edit(stack, PutSession(session=pitch_moved))
    assert (await release(stack)).version == 3
    await settled(stack)
    expected = sorted([people["ana"].email] + [people[w].email for w in ("lea", "sam", "quentin", "jo")])
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in all_agenda_mails(inbox)) == expected
    ids = [str(m["Message-ID"]) for m in all_agenda_mails(inbox)]
    assert len(ids) == len(set(ids))


async def test_a_released_change_to_the_participants_workshop_mails_every_confirmed_participant_once(
    stack: Stack, inbox: Inbox
) -> None:
    """A session for a category's audience concerns that category's confirmed people, named or not:
    the participants hear that their workshop moved, in their language; visitors, cancelled and
    waitlisted people do not."""
    base = small_event(SLUG)
    participant = Category(id="participant", name="Participant·e", name_en="Participant", capacity=3, default=True)
    visitor = Category(id="visiteur", name="Visiteur", name_en="Visitor", capacity=5)
    await define(stack.nc, msgspec.structs.replace(base, categories=[participant, visitor]))
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug=SLUG), EventReply)).event
    lea = await register(stack.nc, SLUG, "Léa Martin", "lea@example.org", "fr")
    sam = await register(stack.nc, SLUG, "Sam Taylor", "sam@example.org", "en")
    gone = await register(stack.nc, SLUG, "Gaston Roux", "gaston@example.org", "fr")
    waiting = await register(stack.nc, SLUG, "Wanda Noir", "wanda@example.org", "fr")
    assert (lea.status, sam.status, gone.status, waiting.status) == (
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    )
    command = Register(
        command_id=uuid.uuid4().hex, event=SLUG, name="Vic Blanc", email="vic@example.org", consent=True,
        category="visiteur",
    )  # fmt: skip
    vic = await call(stack.nc, Registration.REGISTER, command, RegistrationView)
    cancel = Cancel(command_id=uuid.uuid4().hex, registration_id=gone.id, token=gone.manage_token)
    await call(stack.nc, Registration.CANCEL, cancel, RegistrationView)
    # Cancelling frees a seat that Wanda is offered, not given: she stays waitlisted.

    workshop = session(spec, "atelier", "Atelier des participants", spec.starts_at + timedelta(hours=1),
                       audience="participants")  # fmt: skip
    await edit(
        stack, PutRoom(room=Room(id="grange", name="La grange", name_en="The barn")), PutSession(session=workshop)
    )
    assert (await release(stack)).version == 1
    moved_to = workshop.starts_at + timedelta(minutes=60)
    later = session(spec, workshop.id, workshop.title, moved_to, audience="participants")
    await edit(stack, PutSession(session=later))
    assert (await release(stack)).version == 2
    await settled(stack)

    assert sorted(str(m["To"].addresses[0].addr_spec) for m in all_agenda_mails(inbox)) == sorted(
        [lea.email, sam.email]
    )
    for view in (lea, sam):
        [message] = agenda_mails(inbox, view.email)
        gettext = translations(view.language).gettext
        fmt = Formatter(view.language)
        line = gettext("« %(session)s » : déplacé de %(before)s à %(after)s, %(date)s") % {
            "session": workshop.title_en if view.language == "en" else workshop.title,
            "before": fmt.time(workshop.starts_at, spec.timezone),
            "after": fmt.time(moved_to, spec.timezone),
            "date": fmt.date(moved_to, spec.timezone),
        }
        assert line in text_of(message)
        assert message["Content-Language"] == view.language
    for view in (vic, gone, waiting):
        assert agenda_mails(inbox, view.email) == []
