"""What the JSON API returns: stable shapes documented in the OpenAPI schema."""

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi import ResponseSpec
from msgspec import Meta

from schemas.catalog import EventKind, QuestionKind, Venue
from schemas.registration import MAX_TEXT_ANSWER, Answer, Choice, Email, Name, Status

# What a client may send as one answer: the limits the registration rules hold it to, in the schema.
AnswerIn = Annotated[str, Meta(max_length=MAX_TEXT_ANSWER)] | bool | Annotated[list[Choice], Meta(max_length=100)]
AnswerMap = Annotated[dict[Annotated[str, Meta(max_length=40)], AnswerIn], Meta(max_length=100)]

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


class ErrorOut(msgspec.Struct, kw_only=True):
    """Every error of the API: a stable code, a sentence in the caller's language (Accept-Language),
    and the field at fault when there is one. Codes: invalid, not_found, conflict, unauthorized,
    forbidden, unavailable, rate_limited, too_large, method_not_allowed."""

    code: str
    message: str
    field: str | None = None


class HealthOut(msgspec.Struct, kw_only=True):
    status: Literal["ok", "degraded"]
    # True when the service answers and can write now.
    services: dict[str, bool]
    # What is wrong with each service that cannot work (empty when ok).
    problems: dict[str, list[str]] = {}


_ERRORS = {
    400: "The request is malformed: a parameter or a field of the body breaks its schema.",
    401: "An organiser's bearer token is missing, expired or wrong.",
    403: "This link or token does not give access to it.",
    404: "No such event, registration or page (or it is not published).",
    409: "The current state does not allow it (full, closed, already done, key reused for another request).",
    413: "The body is larger than the server accepts.",
    422: "Well formed, but it breaks a rule of the event (a required answer, an unknown category...).",
    429: "Too many requests from this address: wait a minute.",
    503: "A service did not answer in time: retry in a moment.",
}


def error_responses(*statuses: int, media_type: str = "application/json") -> dict[int, ResponseSpec]:
    """The error answers of an operation, as they really are: an ErrorOut (or, for feeds, the HTML page)."""
    body: Any = ErrorOut if media_type == "application/json" else str
    return {
        status: ResponseSpec(
            data_container=body, description=_ERRORS[status], media_type=media_type, generate_examples=False
        )
        for status in statuses
    }
