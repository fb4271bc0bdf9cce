"""Speakers and the moderator (issue 15): pure rules for invitations and answers.

State is fed only by decided events; each decide function raises Rejected and writes nothing.
The clock is passed in. A link works while the invitation stands (not withdrawn) and until
SPEAKER_LINK_DAYS after the event's end.
"""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec

from schemas.catalog import EventSpec, Span
from schemas.errors import Rejected
from schemas.schedule import Agenda
from schemas.speakers import (
    MAX_SPEAKER_BIO,
    MAX_SPEAKER_NAME,
    MAX_SPEAKER_TITLE,
    SPEAKER_LINK_DAYS,
    AnswerInvitation,
    InvitationList,
    InvitationView,
    InvitationWithdrawn,
    InviteSpeaker,
    PublicSpeaker,
    SpeakerAnswered,
    SpeakerInvited,
    SpeakerList,
    SpeakerPhoto,
    SpeakerReminded,
    WithdrawInvitation,
)
from schemas.validation import looks_like_email, normalise_email

SpeakersEvent = SpeakerInvited | SpeakerAnswered | InvitationWithdrawn | SpeakerReminded


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def link_expires(spec: EventSpec) -> datetime:
    return spec.ends_at + timedelta(days=SPEAKER_LINK_DAYS)


@dataclass
class Invitation:
    invited: SpeakerInvited
    answer: SpeakerAnswered | None = None
    withdrawn: bool = False
    reminded: bool = False


@dataclass
class EventSpeakers:
    # In the order they were invited.
    invitations: dict[str, Invitation] = field(default_factory=dict)
    commands: set[str] = field(default_factory=set)


class SpeakersState:
    def __init__(self) -> None:
        self.events: dict[str, EventSpeakers] = {}

    def of(self, slug: str) -> EventSpeakers:
        return self.events.get(slug) or EventSpeakers()

    def done(self, slug: str, command_id: str) -> bool:
        return command_id in self.of(slug).commands

    def evolve(self, event: SpeakersEvent) -> None:
        speakers = self.events.setdefault(event.event, EventSpeakers())
        speakers.commands.add(event.command_id)
        match event:
            case SpeakerInvited():
                speakers.invitations[event.invitation] = Invitation(invited=event)
            case SpeakerAnswered():
                if (found := speakers.invitations.get(event.invitation)) is not None:
                    found.answer = event
            case InvitationWithdrawn():
                if (found := speakers.invitations.get(event.invitation)) is not None:
                    found.withdrawn = True
            case SpeakerReminded():
                if (found := speakers.invitations.get(event.invitation)) is not None:
                    found.reminded = True


def clean_line(value: str) -> str:
    """One line as typed, without control characters, its spaces collapsed."""
    return " ".join("".join(c if unicodedata.category(c) != "Cc" else " " for c in value).split())


def clean_text(value: str) -> str:
    """Lines as typed, without control characters other than line breaks, trimmed."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = ["".join(c for c in line if unicodedata.category(c) != "Cc").rstrip() for line in lines]
    return "\n".join(kept).strip()


def decide_invite(
    state: SpeakersState, spec: EventSpec, command: InviteSpeaker, invitation: str, key: str, now: datetime
) -> SpeakerInvited | None:
    """The invitation to append (None for a repeat). The address is checked, never kept."""
    if state.done(spec.slug, command.command_id):
        return None
    problems: list[Rejected] = []
    name, name_en = clean_line(command.name), clean_line(command.name_en)
    if not name:
        problems.append(Rejected("invalid", "Give the person's name", "name", key="speaker_name_required"))
    elif len(name) > MAX_SPEAKER_NAME or len(name_en) > MAX_SPEAKER_NAME:
        problems.append(Rejected("invalid", "A name is at most 200 characters", "name", key="speaker_title_too_long"))
    if not looks_like_email(normalise_email(command.email)):
        problems.append(
            Rejected("invalid", f"{command.email[:80]!r} is not an email address", "email", key="speaker_email_invalid")
        )
    if now > link_expires(spec):
        problems.append(Rejected("invalid", "The event is over", "event", key="speaker_link_expired"))
    if problems:
        raise Rejected.every(problems)
    return SpeakerInvited(
        command_id=command.command_id,
        event=spec.slug,
        invitation=invitation,
        name=name,
        name_en=name_en,
        role=command.role,
        contributor=command.contributor,
        language=command.language,
        key_hash=key_hash(key),
        at=now,
        by_organiser=command.by_organiser,
    )


def opened(state: SpeakersState, spec: EventSpec, invitation: str, key: str, now: datetime) -> Invitation:
    """The invitation a link opens, or why it opens nothing."""
    found = state.of(spec.slug).invitations.get(invitation)
    if found is None or not hmac.compare_digest(found.invited.key_hash, key_hash(key)):
        raise Rejected("not_found", "This link is not valid", "key", key="speaker_link_unknown")
    if found.withdrawn:
        raise Rejected("conflict", "The organisers withdrew this invitation", "key", key="speaker_link_withdrawn")
    if now > link_expires(spec):
        raise Rejected("conflict", "This link expired after the event", "key", key="speaker_link_expired")
    return found


def checked_availability(spec: EventSpec, spans: list[Span]) -> list[Span]:
    """Spans within the event, each ending after it starts, in order; an empty list means throughout."""
    for span in spans:
        if span.ends_at <= span.starts_at:
            raise Rejected(
                "invalid", "Each time span must end after it starts", "availability", key="speaker_availability_bad"
            )
        if span.starts_at < spec.starts_at or span.ends_at > spec.ends_at:
            raise Rejected(
                "invalid", "Each time span must be within the event", "availability", key="speaker_availability_bad"
            )
    return sorted(spans, key=lambda s: s.starts_at)


def decide_answer(
    state: SpeakersState,
    spec: EventSpec,
    command: AnswerInvitation,
    now: datetime,
    photo: SpeakerPhoto | None,
) -> SpeakerAnswered | None:
    """The answer to append (None for a repeat); `photo` is the new one kept for it, if any."""
    found = opened(state, spec, command.invitation, command.key, now)
    if state.done(spec.slug, command.command_id):
        return None
    problems: list[Rejected] = []
    title, title_en = clean_line(command.title), clean_line(command.title_en)
    bio, bio_en = clean_text(command.bio), clean_text(command.bio_en)
    if len(title) > MAX_SPEAKER_TITLE or len(title_en) > MAX_SPEAKER_TITLE:
        field_name = "title" if len(title) > MAX_SPEAKER_TITLE else "title_en"
        problems.append(
            Rejected("invalid", "A title is at most 150 characters", field_name, key="speaker_title_too_long")
        )
    for name, text in (("bio", bio), ("bio_en", bio_en)):
        if len(text) > MAX_SPEAKER_BIO:
            problems.append(Rejected("invalid", "A bio is at most 1000 characters", name, key="speaker_bio_too_long"))
    try:
        availability = checked_availability(spec, command.availability)
    except Rejected as refused:
        problems.append(refused)
        availability = []
    if problems:
        raise Rejected.every(problems)
    before = found.answer
    kept_photo = photo or (None if command.remove_photo or before is None else before.photo)
    return SpeakerAnswered(
        command_id=command.command_id,
        event=spec.slug,
        invitation=command.invitation,
        answer=command.answer,
        title=title,
        title_en=title_en,
        bio=bio,
        bio_en=bio_en,
        availability=availability,
        photo=kept_photo,
        at=now,
    )


def decide_withdraw(
    state: SpeakersState, spec: EventSpec, command: WithdrawInvitation, now: datetime
) -> InvitationWithdrawn | None:
    if state.done(spec.slug, command.command_id):
        return None
    found = state.of(spec.slug).invitations.get(command.invitation)
    if found is None:
        raise Rejected("not_found", "No such invitation", "invitation", key="speaker_link_unknown")
    if found.withdrawn:
        return None
    return InvitationWithdrawn(
        command_id=command.command_id,
        event=spec.slug,
        invitation=command.invitation,
        at=now,
        by_organiser=command.by_organiser,
    )


def reminder_due(spec: EventSpec, now: datetime, days: float) -> bool:
    """Reminders go out from `days` before the event starts until it starts."""
    return spec.starts_at - timedelta(days=days) <= now < spec.starts_at


def decide_reminder(state: SpeakersState, spec: EventSpec, invitation: str, now: datetime) -> SpeakerReminded | None:
    """The reminder of a confirmed speaker whose invitation stands, once; None when not (or no longer) due."""
    found = state.of(spec.slug).invitations.get(invitation)
    if found is None or found.withdrawn or found.reminded or found.answer is None or found.answer.answer != "confirmed":
        return None
    return SpeakerReminded(command_id=f"remind-{invitation}", event=spec.slug, invitation=invitation, at=now)


def due_reminders(state: SpeakersState, spec: EventSpec, now: datetime, days: float) -> list[str]:
    """The invitations whose reminder is due now."""
    if not reminder_due(spec, now, days):
        return []
    return [i for i in state.of(spec.slug).invitations if decide_reminder(state, spec, i, now) is not None]


def with_answered_availability(agenda: Agenda, state: SpeakersState, slug: str) -> Agenda:
    """The agenda with each confirmed speaker's own availability for the person their invitation
    names, so conflicts are found against what the speaker said."""
    given = {
        i.invited.contributor: i.answer.availability
        for i in state.of(slug).invitations.values()
        if i.invited.contributor and not i.withdrawn and i.answer is not None and i.answer.answer == "confirmed"
        and i.answer.availability
    }  # fmt: skip
    if not given:
        return agenda
    people = [msgspec.structs.replace(p, availability=given[p.id]) if p.id in given else p for p in agenda.people]
    return msgspec.structs.replace(agenda, people=people)


def invitation_view(spec: EventSpec, found: Invitation) -> InvitationView:
    invited, answer = found.invited, found.answer
    return InvitationView(
        event=spec.slug,
        invitation=invited.invitation,
        name=invited.name,
        name_en=invited.name_en,
        role=invited.role,
        language=invited.language,
        contributor=invited.contributor,
        answer=answer.answer if answer else None,
        title=answer.title if answer else "",
        title_en=answer.title_en if answer else "",
        bio=answer.bio if answer else "",
        bio_en=answer.bio_en if answer else "",
        availability=answer.availability if answer else [],
        photo=answer.photo if answer else None,
        invited_at=invited.at,
        answered_at=answer.at if answer else None,
        withdrawn=found.withdrawn,
        expires_at=link_expires(spec),
    )


def invitation_list(state: SpeakersState, spec: EventSpec) -> InvitationList:
    found = state.of(spec.slug).invitations.values()
    return InvitationList(event=spec.slug, invitations=[invitation_view(spec, i) for i in found])


def public_speakers(state: SpeakersState, spec: EventSpec) -> SpeakerList:
    """Those who confirmed and whose invitation stands; the moderator first, then by invitation."""
    shown = [
        i for i in state.of(spec.slug).invitations.values()
        if not i.withdrawn and i.answer is not None and i.answer.answer == "confirmed"
    ]  # fmt: skip
    shown.sort(key=lambda i: i.invited.role != "moderator")
    return SpeakerList(
        event=spec.slug,
        speakers=[
            PublicSpeaker(
                invitation=i.invited.invitation,
                name=i.invited.name,
                name_en=i.invited.name_en,
                role=i.invited.role,
                title=i.answer.title if i.answer else "",
                title_en=i.answer.title_en if i.answer else "",
                bio=i.answer.bio if i.answer else "",
                bio_en=i.answer.bio_en if i.answer else "",
                photo=i.answer.photo if i.answer else None,
            )
            for i in shown
        ],
    )
