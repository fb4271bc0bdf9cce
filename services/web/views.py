"""What the JSON API returns: stable shapes documented in the OpenAPI schema."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from schemas.catalog import EventKind, QuestionKind, Venue
from schemas.registration import Answer, Status

RegistrationStatus = Literal["open", "full", "closed", "not_open"]


class CategoryOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    capacity: int
    remaining: int
    waitlist: int
    default: bool


class QuestionOut(msgspec.Struct, kw_only=True):
    id: str
    kind: QuestionKind
    label: str
    required: bool
    choices: list[str]
    categories: list[str]


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


class RegistrationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    email: str
    consent: bool
    language: Literal["fr", "en"] = "fr"
    category: str | None = None
    answers: dict[str, Answer] = {}


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
    name: str
    answers: dict[str, Answer] = {}


class PersonalDataOut(msgspec.Struct, kw_only=True):
    registration: RegistrationOut
    history: list[str]


class CredentialsIn(msgspec.Struct, kw_only=True):
    email: str
    password: str


class PasswordIn(msgspec.Struct, kw_only=True):
    current_password: Annotated[str, msgspec.Meta(max_length=1000)]
    new_password: Annotated[str, msgspec.Meta(min_length=10, max_length=1000)]


class TokenOut(msgspec.Struct, kw_only=True):
    token: str
    expires_in: int


class ErrorOut(msgspec.Struct, kw_only=True):
    code: str
    message: str
    field: str | None = None


class HealthOut(msgspec.Struct, kw_only=True):
    status: Literal["ok", "degraded"]
    # True when the service answers and can write now.
    services: dict[str, bool]
    # What is wrong with each service that cannot work (empty when ok).
    problems: dict[str, list[str]] = {}
