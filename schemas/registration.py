"""Registration messages. Names, emails and answers never enter the event log (invariant 4)."""

import base64
import hashlib
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Language

Status = Literal["confirmed", "waitlisted", "cancelled"]
# What a public registration form offers now: a seat, a place on the waitlist, nothing yet or any
# more. The registration service decides it (services/registration/rules.py category_status).
RegistrationStatus = Literal["open", "full", "closed", "not_open"]

Name = Annotated[str, Meta(max_length=200)]
Email = Annotated[str, Meta(max_length=254)]
# Ids, slugs and private tokens: ours are far shorter; the bound only stops what could not be one.
Ref = Annotated[str, Meta(max_length=200)]
CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
CommandRef = Annotated[str, Meta(max_length=100)]

# The longest text answer the registration rules accept.
MAX_TEXT_ANSWER = 2000
# What one answer may hold. The registration rules accept at most 2 000 characters of text
# (MAX_TEXT_ANSWER) and name the question that is too long; these bounds are looser, so that
# precise message reaches the form, and stop only what no form could send.
AnswerText = Annotated[str, Meta(max_length=10_000)]
Choice = Annotated[str, Meta(max_length=200)]
Answer = AnswerText | bool | Annotated[list[Choice], Meta(max_length=100)]
Answers = Annotated[dict[Annotated[str, Meta(max_length=40)], Answer], Meta(max_length=100)]


class Register(msgspec.Struct, frozen=True, kw_only=True):
    # The client's Idempotency-Key: it names one registration of this event, and a repeat
    # returns it only if it asks the same (otherwise: conflict, idempotency_key_reused).
    command_id: CommandId
    event: Ref
    name: Name
    email: Email
    consent: bool
    language: Language = "fr"
    category: Ref | None = None
    answers: Answers = {}
    # Organisers may register people in invitation-only categories (jurors, press).
    by_organiser: Ref | None = None


class Cancel(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandRef
    registration_id: Ref
    # The private manage token; organisers cancel with `by_organiser` instead.
    token: Ref | None = None
    by_organiser: Ref | None = None


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """The person offered a freed seat takes it, with their manage token."""

    command_id: CommandRef
    registration_id: Ref
    token: Ref


class Promote(msgspec.Struct, frozen=True, kw_only=True):
    """An organiser gives a free seat to this waiting person, out of turn if need be."""

    command_id: CommandRef
    registration_id: Ref
    by_organiser: Ref


class UpdateAnswers(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandRef
    registration_id: Ref
    token: Ref
    name: Name
    answers: Answers = {}


class CheckIn(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandRef
    registration_id: Ref
    by_organiser: Ref


class Erase(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandRef
    registration_id: Ref
    by_organiser: Ref


class ExportPersonalData(msgspec.Struct, frozen=True, kw_only=True):
    registration_id: Ref
    by_organiser: Ref


class FindRegistrations(msgspec.Struct, frozen=True, kw_only=True):
    """Check-in search: by a part of the name or email, or by registration id."""

    event: Ref
    text: Annotated[str, Meta(max_length=200)]
    limit: Annotated[int, Meta(ge=1, le=100)] = 20


class GetRegistration(msgspec.Struct, frozen=True, kw_only=True):
    registration_id: Ref
    token: Ref | None = None
    by_organiser: Ref | None = None


class CalendarAccess(msgspec.Struct, frozen=True, kw_only=True):
    """Check a private calendar link: the registration and its calendar token."""

    registration_id: Ref
    token: Ref


def short_code(manage_token: str) -> str:
    """The code of the short link to a registration's private page (`/m/<code>`): 16 letters and
    digits (base32) made from its manage token. Whoever holds the token can make it; nobody can
    guess it (80 bits)."""
    digest = hashlib.blake2b(manage_token.encode(), digest_size=10, person=b"perche-short").digest()
    return base64.b32encode(digest).decode("ascii").lower()


class OpenShortLink(msgspec.Struct, frozen=True, kw_only=True):
    """Which private page a short link opens; a code that is none (mistyped, cut) opens none."""

    code: Annotated[str, Meta(max_length=100)]


class ShortLinkTarget(msgspec.Struct, frozen=True, kw_only=True, tag="short_link_target"):
    """The private page a short link opens: the registration and its manage token."""

    registration_id: str
    token: str


class CalendarHolder(msgspec.Struct, frozen=True, kw_only=True, tag="calendar_holder"):
    """Who a valid calendar link belongs to, without personal data."""

    registration_id: str
    event: str
    category: str
    status: Status
    language: Language
    erased: bool = False
    # When the registration ended (cancelled, or an offer not claimed): the feed then shows
    # every item cancelled, as of that moment.
    cancelled_at: datetime | None = None


class ListRegistrations(msgspec.Struct, frozen=True, kw_only=True):
    event: Ref


class GetCounts(msgspec.Struct, frozen=True, kw_only=True):
    event: Ref


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
    offer_expires_at: datetime | None = None
    checked_in_at: datetime | None = None
    erased: bool = False


class RegistrationList(msgspec.Struct, frozen=True, kw_only=True, tag="registration_list"):
    registrations: list[RegistrationView]


class PersonalDataExport(msgspec.Struct, frozen=True, kw_only=True, tag="personal_data_export"):
    registration: RegistrationView
    history: list[str]


class CategoryCount(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    capacity: int
    confirmed: int
    waitlisted: int
    offered: int = 0
    checked_in: int = 0
    # This category's own status, its own window honoured (added in issue 10; the default reads
    # the replies of older services).
    status: RegistrationStatus = "open"

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.confirmed - self.offered)


class Counts(msgspec.Struct, frozen=True, kw_only=True, tag="counts"):
    event: str
    categories: list[CategoryCount]
    # The event's status from its public categories' (added in issue 10, see CategoryCount.status).
    status: RegistrationStatus = "open"


# --- events in the registration stream (no personal data) ---


class Registered(msgspec.Struct, frozen=True, kw_only=True, tag="registered"):
    registration_id: str
    command_id: str
    event: str
    category: str
    status: Literal["confirmed", "waitlisted"]
    language: Language
    at: datetime
    seat: int | None = None
    # HMAC of the request under the person's own key (services/registration/rules.py
    # payload_fingerprint): a repeat of the Idempotency-Key must match it. Added in issue 9.
    fingerprint: str | None = None


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
    seat: int | None = None
    by_organiser: str | None = None


class SeatOffered(msgspec.Struct, frozen=True, kw_only=True, tag="offered"):
    """A seat freed up: the first person waiting may claim it until `expires_at`."""

    registration_id: str
    command_id: str
    event: str
    category: str
    seat: int
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


class PersonalDataExported(msgspec.Struct, frozen=True, kw_only=True, tag="exported"):
    """Audit trail: an organiser exported this person's data."""

    registration_id: str
    command_id: str
    event: str
    by_organiser: str
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
    | PersonalDataExported
)


class PersonalData(msgspec.Struct, frozen=True, kw_only=True):
    """Stored in the registration service's KV bucket, keyed by registration id."""

    name: str
    email: str
    answers: dict[str, Answer] = {}


# --- the history of organisers' actions on people (read from the stream, issue 12) ---

PersonAction = Literal["cancelled", "promoted", "checked_in", "erased"]


class GetActionHistory(msgspec.Struct, frozen=True, kw_only=True):
    event: str


class PersonActionEntry(msgspec.Struct, frozen=True, kw_only=True):
    action: PersonAction
    registration_id: str
    at: datetime
    by_organiser: str | None = None
    # The person's name as organisers see it today; None once erased.
    name: str | None = None


class ActionHistory(msgspec.Struct, frozen=True, kw_only=True, tag="action_history"):
    actions: list[PersonActionEntry]
