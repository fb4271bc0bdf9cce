"""Registration messages. Names, emails and answers never enter the event log (invariant 4)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Language

Status = Literal["confirmed", "waitlisted", "cancelled"]
Answer = str | bool | list[str]

Name = Annotated[str, Meta(max_length=200)]
Email = Annotated[str, Meta(max_length=254)]


class Register(msgspec.Struct, frozen=True, kw_only=True):
    command_id: Annotated[str, Meta(min_length=8, max_length=100)]
    event: str
    name: Name
    email: Email
    consent: bool
    language: Language = "fr"
    category: str | None = None
    answers: dict[str, Answer] = {}


class Cancel(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    registration_id: str
    # The private manage token; organisers cancel with `by_organiser` instead.
    token: str | None = None
    by_organiser: str | None = None


class GetRegistration(msgspec.Struct, frozen=True, kw_only=True):
    registration_id: str
    token: str | None = None
    by_organiser: str | None = None


class ListRegistrations(msgspec.Struct, frozen=True, kw_only=True):
    event: str


class GetCounts(msgspec.Struct, frozen=True, kw_only=True):
    event: str


class RegistrationView(msgspec.Struct, frozen=True, kw_only=True, tag="registration"):
    id: str
    event: str
    category: str
    status: Status
    position: int | None = None
    name: str
    email: str
    language: Language
    answers: dict[str, Answer] = {}
    registered_at: datetime
    manage_token: str
    calendar_token: str


class RegistrationList(msgspec.Struct, frozen=True, kw_only=True, tag="registration_list"):
    registrations: list[RegistrationView]


class CategoryCount(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    capacity: int
    confirmed: int
    waitlisted: int

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.confirmed)


class Counts(msgspec.Struct, frozen=True, kw_only=True, tag="counts"):
    event: str
    categories: list[CategoryCount]


# --- events in the registration stream (no personal data) ---


class Registered(msgspec.Struct, frozen=True, kw_only=True, tag="registered"):
    registration_id: str
    command_id: str
    event: str
    category: str
    status: Literal["confirmed", "waitlisted"]
    language: Language
    at: datetime


class RegistrationCancelled(msgspec.Struct, frozen=True, kw_only=True, tag="cancelled"):
    registration_id: str
    command_id: str
    event: str
    by_organiser: str | None = None
    at: datetime


class WaitlistPromoted(msgspec.Struct, frozen=True, kw_only=True, tag="promoted"):
    """A seat freed up and the first waiting person on that category got it."""

    registration_id: str
    command_id: str
    event: str
    at: datetime


class SeatOffered(msgspec.Struct, frozen=True, kw_only=True, tag="offered"):
    """A seat freed up: the first person waiting may claim it until `expires_at`."""

    registration_id: str
    command_id: str
    event: str
    category: str
    expires_at: datetime
    at: datetime


class OfferLapsed(msgspec.Struct, frozen=True, kw_only=True, tag="offer_lapsed"):
    """An offer was not claimed in time: the person leaves the waitlist, the next one is offered."""

    registration_id: str
    command_id: str
    event: str
    at: datetime


class AnswersChanged(msgspec.Struct, frozen=True, kw_only=True, tag="answers_changed"):
    """The person changed their answers (the answers themselves are in the people bucket)."""

    registration_id: str
    command_id: str
    event: str
    at: datetime


class CheckedIn(msgspec.Struct, frozen=True, kw_only=True, tag="checked_in"):
    registration_id: str
    command_id: str
    event: str
    by_organiser: str
    at: datetime


class PersonErased(msgspec.Struct, frozen=True, kw_only=True, tag="erased"):
    """Personal data was deleted (on request or by the automatic purge); the seat count stays."""

    registration_id: str
    command_id: str
    event: str
    by_organiser: str | None = None
    reason: Literal["request", "purge"] = "request"
    at: datetime


RegistrationEvent = (
    Registered
    | RegistrationCancelled
    | WaitlistPromoted
    | SeatOffered
    | OfferLapsed
    | AnswersChanged
    | CheckedIn
    | PersonErased
)


class PersonalData(msgspec.Struct, frozen=True, kw_only=True):
    """Stored in the registration service's KV bucket, keyed by registration id."""

    name: str
    email: str
    answers: dict[str, Answer] = {}
