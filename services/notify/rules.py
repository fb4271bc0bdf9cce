"""Pure rules of notify: which mail an event calls for, when reminders are due, who sends.

Every mail has an id made from what caused it (the kind, the registration and the
causing command), so the same cause always names the same mail, whichever instance
sees it and however many times. A mail is sent by the instance that claims it in the
notify stream; the others skip it, or wait while the claim is fresh.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from schemas.catalog import Audience, EventSpec, Language
from schemas.notify import MailClaimed, MailFailed, MailKind, MailSent, MailStatus, MessageText, NotifyEvent, Transport
from schemas.publishing import ResultLine, ResultsPublished
from schemas.registration import (
    CheckedIn,
    OfferLapsed,
    PersonErased,
    Registered,
    RegistrationCancelled,
    RegistrationEvent,
    RegistrationView,
    SeatOffered,
    WaitlistPromoted,
)
from schemas.schedule import Agenda, AgendaReleased, Change, Room
from schemas.teams import ProposalConfirmed

# Attempts at one mail before it is given up (and shown as such to organisers).
MAX_ATTEMPTS = 20
# A claim older than this whose mail was never sent belongs to an instance that died.
CLAIM_TIMEOUT = timedelta(minutes=5)
RESULTS_NEWS_FOR = timedelta(days=7)

Invitation = Literal["publish", "cancel"]
Decision = Literal["claim", "skip", "wait"]


@dataclass
class Person:
    """What the registration log says of someone, without personal data."""

    id: str
    event: str
    category: str
    language: Language
    status: Literal["confirmed", "waitlisted", "cancelled"]
    registered_at: datetime
    confirmed_at: datetime | None = None
    # Once confirmed, the person got a calendar invitation that a cancellation must withdraw.
    ever_confirmed: bool = False
    erased: bool = False
    checked_in: bool = False


@dataclass
class MailRecord:
    mail_id: str
    kind: MailKind
    registration_id: str
    event: str
    language: Language
    claimed_at: datetime
    # None once a failure released the claim for the next attempt.
    claimed_by: str | None
    sent_at: datetime | None = None
    transport: Transport | None = None
    failures: int = 0
    error: str = ""
    abandoned: bool = False

    @property
    def status(self) -> MailStatus:
        if self.sent_at is not None:
            return "sent"
        if self.abandoned:
            return "abandoned"
        if self.claimed_by is None:
            return "failed"
        return "sending"


@dataclass
class NotifyState:
    people: dict[str, Person] = field(default_factory=dict)
    mails: dict[str, MailRecord] = field(default_factory=dict)

    def evolve_registration(self, event: RegistrationEvent) -> None:
        person = self.people.get(event.registration_id)
        match event:
            case Registered():
                confirmed = event.status == "confirmed"
                self.people[event.registration_id] = Person(
                    id=event.registration_id,
                    event=event.event,
                    category=event.category,
                    language="en" if event.language == "en" else "fr",
                    status=event.status,
                    registered_at=event.at,
                    confirmed_at=event.at if confirmed else None,
                    ever_confirmed=confirmed,
                )
            case RegistrationCancelled() | OfferLapsed() if person is not None:
                person.status = "cancelled"
            case WaitlistPromoted() if person is not None:
                if person.status != "confirmed":
                    person.confirmed_at = event.at
                person.status = "confirmed"
                person.ever_confirmed = True
            case PersonErased() if person is not None:
                person.erased = True
            case CheckedIn() if person is not None:
                person.checked_in = True

    def evolve_mail(self, event: NotifyEvent) -> None:
        record = self.mails.get(event.mail_id)
        match event:
            case MailClaimed():
                if record is None:
                    self.mails[event.mail_id] = MailRecord(
                        mail_id=event.mail_id,
                        kind=event.kind,
                        registration_id=event.registration_id,
                        event=event.event,
                        language=event.language,
                        claimed_at=event.at,
                        claimed_by=event.instance,
                    )
                else:
                    record.claimed_at, record.claimed_by = event.at, event.instance
            case MailSent() if record is not None:
                record.sent_at, record.transport = event.at, event.transport
            case MailFailed() if record is not None:
                record.failures += 1
                record.error = event.error
                record.claimed_by = None
                record.abandoned = record.abandoned or event.final


@dataclass(frozen=True)
class AgendaNotice:
    """What one agenda release changed for one person."""

    version: int
    changes: tuple[Change, ...]
    # The rooms those changes name, before and after, to write their names.
    rooms: tuple[Room, ...] = ()
    note: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class ResultsNotice:
    """The top of the published ranking, for the mail that says the results are out."""

    lines: tuple[ResultLine, ...]
    note: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class TeamNotice:
    """A team a confirmed formation made or topped up, as one member is told of it."""

    team_id: str
    name: str
    code: str
    challenge: str | None
    # The registrations to name: every other member of a new team, the newcomers of a topped-up one.
    teammates: tuple[str, ...]
    # Their first names, asked of the registration service just before sending (in memory only).
    first_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class MailOrder:
    """One mail to send: what it is about; the text is made from it at sending time."""

    mail_id: str
    kind: MailKind
    registration_id: str
    event: str
    # What the mail's calendar attachment does: add the event, or withdraw it.
    invitation: Invitation | None = None
    by_organiser: bool = False
    # Also when the mail's calendar entries are stamped: the time of what caused it.
    at: datetime | None = None
    offer_expires_at: datetime | None = None
    # For a mail about an agenda release: the changes that concern its reader.
    agenda: AgendaNotice | None = None
    # For the mail that says the results are published.
    results: ResultsNotice | None = None
    # For a juror's link mail: the scoring link the web signed (in memory only, never logged).
    jury_url: str = ""
    # For an organiser's message: their words (in memory only, never logged).
    message: MessageText | None = None
    # For the mails of a confirmed team formation.
    team: TeamNotice | None = None


def mail_id(kind: MailKind, registration_id: str, cause: str) -> str:
    digest = hashlib.blake2b(cause.encode(), digest_size=6).hexdigest()
    return f"{kind}-{registration_id}-{digest}"


def mail_for(event: RegistrationEvent, person: Person | None, spec: EventSpec, now: datetime) -> MailOrder | None:
    """The mail this registration event calls for, if any.

    Nothing is sent about an event that is over, to a person whose data is erased,
    or for an offer that has already expired.
    """
    if person is None or person.erased or spec.ends_at <= now:
        return None
    registration_id = event.registration_id
    match event:
        case Registered():
            kind: MailKind = event.status
            return MailOrder(
                mail_id=mail_id(kind, registration_id, event.command_id),
                kind=kind,
                registration_id=registration_id,
                event=event.event,
                invitation="publish" if kind == "confirmed" else None,
                at=event.at,
            )
        case WaitlistPromoted():
            return MailOrder(
                mail_id=mail_id("promoted", registration_id, event.command_id),
                kind="promoted",
                registration_id=registration_id,
                event=event.event,
                invitation="publish",
                by_organiser=event.by_organiser is not None,
                at=event.at,
            )
        case SeatOffered():
            # Expired, or already taken or given up by the time this is read: nothing to offer.
            if event.expires_at <= now or person.status != "waitlisted":
                return None
            return MailOrder(
                mail_id=mail_id("offered", registration_id, event.command_id),
                kind="offered",
                registration_id=registration_id,
                event=event.event,
                at=event.at,
                offer_expires_at=event.expires_at,
            )
        case RegistrationCancelled():
            return MailOrder(
                mail_id=mail_id("cancelled", registration_id, event.command_id),
                kind="cancelled",
                registration_id=registration_id,
                event=event.event,
                invitation="cancel" if person.ever_confirmed else None,
                by_organiser=event.by_organiser is not None,
                at=event.at,
            )
        case OfferLapsed():
            return MailOrder(
                mail_id=mail_id("offer_lapsed", registration_id, event.command_id),
                kind="offer_lapsed",
                registration_id=registration_id,
                event=event.event,
                at=event.at,
            )
    return None


def release_mail_id(registration_id: str, event: str, version: int) -> str:
    """One mail per person and release: the release is named by its event and version."""
    return mail_id("agenda_changed", registration_id, f"{event}#v{version}")


def release_recipients(
    event: str,
    changes: list[Change],
    agenda: Agenda,
    people: Mapping[str, Person],
    spec: EventSpec,
    released: Agenda | None = None,
) -> dict[str, list[Change]]:
    """Whom these changes concern, each with the changes that do, in the changelog's order.

    A change concerns the people it names (speakers, jurors, the team's members), and, for a
    session whose audience is a category of people (participants, jurors, speakers), that
    category's confirmed people. Nobody this instance does not know as registered to the event
    is told, nor anyone whose registration is cancelled or erased.

    A session removed from a draft is only in the `released` agenda: its audience is read there.
    """
    sessions = [*(released.sessions if released else []), *agenda.sessions]
    audiences = {s.id: s.audience for s in sessions}
    members: dict[Audience, list[str]] = {}
    for person in sorted(people.values(), key=lambda p: p.id):
        audience = spec.audience_of(person.category)
        # A session for everyone is told to the people it names only, not to every registrant.
        if person.event == event and person.status == "confirmed" and not person.erased and audience != "everyone":
            members.setdefault(audience, []).append(person.id)
    concerning: dict[str, list[Change]] = {}
    for change in changes:
        audience = audiences.get(change.session, "everyone")
        for registration_id in dict.fromkeys([*change.registrations, *members.get(audience, [])]):
            concerning.setdefault(registration_id, []).append(change)
    return {
        registration_id: found
        for registration_id, found in sorted(concerning.items())
        if (known := people.get(registration_id)) is not None
        and known.event == event
        and not known.erased
        and known.status != "cancelled"
    }


def recipients_summary(
    version: int,
    changes: list[Change],
    agenda: Agenda,
    people: Mapping[str, Person],
    spec: EventSpec,
    now: datetime,
    released: Agenda | None = None,
) -> tuple[int, int, dict[Audience, int]]:
    """Whom a release would mail (as `mails_for_release` does): everyone, the people its changes
    name, and the others by their category's audience."""
    if version <= 1 or spec.ends_at <= now:
        return 0, 0, {}
    told = release_recipients(spec.slug, changes, agenda, people, spec, released)
    named = {r for change in changes for r in change.registrations} & told.keys()
    audiences: dict[Audience, int] = {}
    for registration_id in told.keys() - named:
        audience = spec.audience_of(people[registration_id].category)
        audiences[audience] = audiences.get(audience, 0) + 1
    return len(told), len(named), dict(sorted(audiences.items()))


def mails_for_release(
    release: AgendaReleased, people: Mapping[str, Person], spec: EventSpec, now: datetime
) -> list[MailOrder]:
    """One mail to each person an agenda release concerns, listing only the changes that do.

    The first release publishes the agenda, it changes nothing anyone was told: no mail.
    Nor is anything sent about an event that is over.
    """
    if release.version <= 1 or spec.ends_at <= now:
        return []
    orders: list[MailOrder] = []
    for registration_id, changes in release_recipients(
        release.event, release.changelog, release.agenda, people, spec
    ).items():
        named = {slot.room for c in changes for slot in (c.before, c.after) if slot is not None and slot.room}
        notice = AgendaNotice(
            version=release.version,
            changes=tuple(changes),
            rooms=tuple(r for r in release.agenda.rooms if r.id in named),
            # An organiser's word on the release; the file's automatic note says nothing to them.
            note=release.note if release.by_organiser is not None else "",
            note_en=release.note_en if release.by_organiser is not None else "",
        )
        orders.append(
            MailOrder(
                mail_id=release_mail_id(registration_id, release.event, release.version),
                kind="agenda_changed",
                registration_id=registration_id,
                event=release.event,
                at=release.at,
                agenda=notice,
            )
        )
    return orders


def results_mail_id(registration_id: str, event: str) -> str:
    """One mail per person and event: publishing again (a correction) does not write again."""
    return mail_id("results_published", registration_id, event)


def mails_for_results(published: ResultsPublished, people: Mapping[str, Person], now: datetime) -> list[MailOrder]:
    """Everyone still registered to the event hears that the results are out, with the top three.

    Results published more than a week ago are news to no one: a new notify deployment replaying
    the stream sends nothing for them.
    """
    if published.at < now - RESULTS_NEWS_FOR:
        return []
    notice = ResultsNotice(lines=tuple(published.lines[:3]), note=published.note, note_en=published.note_en)
    return [
        MailOrder(
            mail_id=results_mail_id(person.id, published.event),
            kind="results_published",
            registration_id=person.id,
            event=published.event,
            at=published.at,
            results=notice,
        )
        for person in sorted(people.values(), key=lambda p: p.id)
        if person.event == published.event and person.status == "confirmed" and not person.erased
    ]


def mails_for_teams(
    confirmed: ProposalConfirmed, people: Mapping[str, Person], spec: EventSpec, now: datetime
) -> list[MailOrder]:
    """Each member of the teams an organiser confirmed hears of their team, once per confirmation.

    The people the proposal placed get their team (kind `team_formed`: its name, join code,
    challenge and every teammate); those already in a team it topped up are told who joined
    (kind `team_topped_up`). Nobody cancelled or erased is written to, nor anyone once the event
    is over.
    """
    if spec.ends_at <= now:
        return []
    orders: list[MailOrder] = []
    for team in confirmed.teams:
        added = set(team.added)
        for member in team.members:
            person = people.get(member)
            if person is None or person.erased or person.status == "cancelled" or person.event != confirmed.event:
                continue
            kind: MailKind = "team_formed" if member in added else "team_topped_up"
            others = [m for m in team.members if m != member] if kind == "team_formed" else team.added
            if not others and kind == "team_topped_up":
                continue
            notice = TeamNotice(
                team_id=team.team_id,
                name=team.name,
                code=team.code,
                challenge=team.challenge,
                teammates=tuple(others),
            )
            orders.append(
                MailOrder(
                    mail_id=mail_id(kind, member, f"{confirmed.event}:{confirmed.command_id}"),
                    kind=kind,
                    registration_id=member,
                    event=confirmed.event,
                    by_organiser=True,
                    at=confirmed.at,
                    team=notice,
                )
            )
    return orders


def first_name(name: str) -> str:
    """The first word of a registered name: all a teammate is told of another."""
    words = name.split()
    return words[0] if words else ""


def still_wanted(order: MailOrder, view: RegistrationView) -> bool:
    """Asked of the registration itself just before sending: is there still someone to tell?

    Agenda changes are for people still registered; a cancellation's own mail goes out regardless.
    """
    if view.erased or not view.email.strip():
        return False
    return not (
        order.kind in ("agenda_changed", "results_published", "jury_link", "message", "team_formed", "team_topped_up")
        and view.status == "cancelled"
    )


def reminder_id(registration_id: str) -> str:
    return f"reminder-{registration_id}"


def due_reminders(
    state: NotifyState, events: dict[str, EventSpec], now: datetime, days_before: float
) -> list[MailOrder]:
    """Reminders to send now: `days_before` the event, to people confirmed before that moment.

    Someone confirmed later has just had the confirmation with everything in it.
    """
    before = timedelta(days=days_before)
    due: list[MailOrder] = []
    for person in state.people.values():
        spec = events.get(person.event)
        if spec is None or person.status != "confirmed" or person.erased or person.confirmed_at is None:
            continue
        moment = spec.starts_at - before
        if not moment <= now < spec.starts_at or person.confirmed_at >= moment:
            continue
        record = state.mails.get(reminder_id(person.id))
        if record is not None and (record.sent_at is not None or record.abandoned):
            continue
        due.append(
            MailOrder(
                mail_id=reminder_id(person.id),
                kind="reminder",
                registration_id=person.id,
                event=person.event,
                at=moment,
            )
        )
    return due


def claim_decision(record: MailRecord | None, instance: str, now: datetime) -> Decision:
    """Send (after claiming), skip (sent or given up), or wait for another instance's fresh claim."""
    if record is None:
        return "claim"
    if record.sent_at is not None or record.abandoned:
        return "skip"
    if record.claimed_by in (None, instance) or now - record.claimed_at >= CLAIM_TIMEOUT:
        return "claim"
    return "wait"


def wait_seconds(record: MailRecord, now: datetime) -> float:
    """How long until another instance's claim counts as abandoned."""
    return max(1.0, (record.claimed_at + CLAIM_TIMEOUT - now).total_seconds())


def retry_delay(attempt: int) -> float:
    """Seconds before attempt `attempt + 1` after a failed send: 2, 4, 8… up to 15 minutes."""
    return float(min(2 ** max(attempt, 1), 900))


def error_label(error: BaseException) -> str:
    """What went wrong, fit for the log: the error's class and SMTP code, never its text.

    SMTP replies often quote the recipient's address, which must not enter the log.
    """
    code = getattr(error, "code", None)
    return f"{type(error).__name__} {code}" if isinstance(code, int) else type(error).__name__
