"""What the registration API returns and accepts, and how an event and a registration are shown to clients."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import EventKind, EventSpec, QuestionKind, Venue
from schemas.registration import (
    MAX_TEXT_ANSWER,
    Answer,
    Choice,
    Counts,
    Email,
    Name,
    RegistrationStatus,
    RegistrationView,
    Status,
)

# What a client may send as one answer: the limits the registration rules hold it to, in the schema.
AnswerIn = Annotated[str, Meta(max_length=MAX_TEXT_ANSWER)] | bool | Annotated[list[Choice], Meta(max_length=100)]
AnswerMap = Annotated[dict[Annotated[str, Meta(max_length=40)], AnswerIn], Meta(max_length=100)]


class CategoryOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    capacity: int
    remaining: int
    waitlist: int
    default: bool
    # Whether this category takes registrations now: its own window, then its seats.
    registration: RegistrationStatus


class QuestionOut(msgspec.Struct, kw_only=True):
    id: str
    kind: QuestionKind
    label: str
    required: bool
    # What an answer may hold; a ranking question without choices of its own ranks the challenges: their ids.
    choices: list[str]
    categories: list[str]
    # A ranking question: how many choices an answer ranks at most, most preferred first (other kinds
    # carry the definition's value, unused, so that what is shown can be sent back as a definition).
    ranks: int = 3


class EventOut(msgspec.Struct, kw_only=True):
    slug: str
    title: str
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: Venue
    capacity: int
    registration: RegistrationStatus
    summary: str
    url: str


class EventDetailOut(EventOut, kw_only=True):
    description: str
    consent_text: str
    categories: list[CategoryOut]
    questions: list[QuestionOut]


# What the registration rules accept (schemas.validation.looks_like_email), as a pattern: an ASCII
# local part, a domain with a dot, no spaces nor <>,; anywhere.
EMAIL_PATTERN = r"^[!-+\-.-:=?A-~]+@[^@\s<>,;]+\.[^@\s<>,;.]{2,}$"
# A name has at least one character that is not a space.
PersonName = Annotated[Name, Meta(min_length=1, pattern=r"\S")]


class RegistrationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: PersonName
    email: Annotated[Email, Meta(pattern=EMAIL_PATTERN)]
    consent: bool
    language: Literal["fr", "en"] = "fr"
    category: Annotated[str, Meta(max_length=40)] | None = None
    answers: AnswerMap = {}


class RegistrationOut(msgspec.Struct, kw_only=True):
    id: str
    event: str
    category: str
    status: Status
    position: int | None
    name: str
    email: str
    language: str
    answers: dict[str, Answer]
    registered_at: datetime
    manage_url: str
    calendar_url: str
    # Set while a freed seat is offered to this waiting person: claim it before then.
    offer_expires_at: datetime | None = None
    checked_in_at: datetime | None = None


class AnswersIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: PersonName
    answers: AnswerMap = {}


class PersonalDataOut(msgspec.Struct, kw_only=True):
    registration: RegistrationOut
    history: list[str]


def registration_status(counts: Counts | None) -> RegistrationStatus:
    """What the registration service says of registering now (each category's window honoured).
    No counts: it does not know the event yet, so it would refuse."""
    return counts.status if counts else "closed"


def event_out(spec: EventSpec, counts: Counts | None, base: str) -> EventOut:
    return EventOut(
        slug=spec.slug,
        title=spec.title,
        kind=spec.kind,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        timezone=spec.timezone,
        venue=spec.venue,
        capacity=spec.capacity,
        registration=registration_status(counts),
        summary=spec.summary,
        url=f"{base}/e/{spec.slug}",
    )


def event_detail_out(spec: EventSpec, counts: Counts | None, base: str) -> EventDetailOut:
    by_category = {c.category: c for c in counts.categories} if counts else {}
    categories = []
    for category in spec.categories:
        if not category.public:
            continue
        tally = by_category.get(category.id)
        categories.append(
            CategoryOut(
                id=category.id,
                name=category.name,
                capacity=category.capacity,
                remaining=tally.remaining if tally else category.capacity,
                waitlist=tally.waitlisted if tally else 0,
                default=category.id == spec.default_category.id,
                registration=tally.status if tally else "closed",
            )
        )
    summary = event_out(spec, counts, base)
    return EventDetailOut(
        **{f: getattr(summary, f) for f in summary.__struct_fields__},
        description=spec.description,
        consent_text=spec.consent_text,
        categories=categories,
        questions=[
            QuestionOut(
                id=q.id,
                kind=q.kind,
                label=q.label,
                required=q.required,
                choices=list(q.choices) or ([c.id for c in spec.challenges] if q.kind == "ranking" else []),
                categories=list(q.categories),
                ranks=q.ranks,
            )
            for q in spec.questions
        ],
    )


def registration_out(view: RegistrationView, base: str) -> RegistrationOut:
    return RegistrationOut(
        id=view.id,
        event=view.event,
        category=view.category,
        status=view.status,
        position=view.position,
        name=view.name,
        email=view.email,
        language=view.language,
        answers=view.answers,
        registered_at=view.registered_at,
        manage_url=f"{base}/r/{view.id}?token={view.manage_token}",
        calendar_url=f"{base}/r/{view.id}/calendar.ics?token={view.calendar_token}",
        offer_expires_at=view.offer_expires_at,
        checked_in_at=view.checked_in_at,
    )
