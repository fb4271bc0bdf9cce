"""Events as organisers define them (TOML files, API), and the catalog's messages."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Ident = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Text = Annotated[str, Meta(min_length=1, max_length=200)]
LongText = Annotated[str, Meta(max_length=20_000)]

EventKind = Literal["hackathon", "round_table", "open_day", "workshop", "conference"]
QuestionKind = Literal["text", "choice", "multi_choice", "yes_no"]
Language = Literal["fr", "en"]


class Venue(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Text
    address: Annotated[str, Meta(max_length=300)] = ""


class Category(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A kind of attendee with its own seats: participant, mentor, visitor, juror..."""

    id: Ident
    name: Text
    name_en: str = ""
    capacity: Annotated[int, Meta(ge=0, le=100_000)]
    # The category the public form uses when none is asked for.
    default: bool = False
    # Invitation-only categories (juror, press) are not offered on the public form.
    public: bool = True
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class Question(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: Ident
    kind: QuestionKind
    label: Text
    label_en: str = ""
    help: str = ""
    help_en: str = ""
    required: bool = False
    choices: list[Text] = []
    choices_en: list[str] = []
    # Asked only of these categories; empty means everyone.
    categories: list[Ident] = []


class Challenge(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: Ident
    title: Text
    title_en: str = ""
    partner: str = ""
    description: LongText = ""


class EventSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One event. In TOML files times are local to `timezone`; once loaded they are UTC."""

    slug: Slug
    title: Text
    title_en: str = ""
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Paris"
    venue: Venue
    summary: Annotated[str, Meta(max_length=500)] = ""
    summary_en: str = ""
    description: LongText = ""
    description_en: LongText = ""
    published: bool = True
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    consent_text: LongText = ""
    consent_text_en: LongText = ""
    # How long a person offered a freed seat has to claim it before it passes to the next.
    waitlist_offer_hours: Annotated[int, Meta(ge=1, le=24 * 30)] = 48
    # Personal data of registrants is erased this many days after the event ends (RGPD).
    purge_after_days: Annotated[int, Meta(ge=1, le=3650)] = 180
    categories: Annotated[list[Category], Meta(min_length=1)]
    questions: list[Question] = []
    challenges: list[Challenge] = []

    @property
    def capacity(self) -> int:
        return sum(c.capacity for c in self.categories if c.public)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    @property
    def default_category(self) -> Category:
        public = [c for c in self.categories if c.public] or self.categories
        return next((c for c in public if c.default), public[0])

    def questions_for(self, category_id: str) -> list[Question]:
        return [q for q in self.questions if not q.categories or category_id in q.categories]


# --- commands, queries and replies ---


class DefineEvent(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    spec: EventSpec


class EventDefinedReply(msgspec.Struct, frozen=True, kw_only=True, tag="event_defined"):
    slug: str
    revision: int
    changed: bool


class ListEvents(msgspec.Struct, frozen=True, kw_only=True):
    include_unpublished: bool = False


class EventList(msgspec.Struct, frozen=True, kw_only=True, tag="event_list"):
    events: list[EventSpec]


class GetEvent(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    include_unpublished: bool = False


class EventReply(msgspec.Struct, frozen=True, kw_only=True, tag="event"):
    event: EventSpec
    revision: int


class CreateOrganiser(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    email: Annotated[str, Meta(max_length=254)]
    password: Annotated[str, Meta(max_length=1000)]
    # When true, an existing organiser's password is replaced instead of refused.
    replace: bool = False


class OrganiserReply(msgspec.Struct, frozen=True, kw_only=True, tag="organiser"):
    organiser_id: str
    email: str


class Authenticate(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    password: str


class CountOrganisers(msgspec.Struct, frozen=True, kw_only=True):
    pass


class OrganiserCount(msgspec.Struct, frozen=True, kw_only=True, tag="organiser_count"):
    count: int


# --- events in the catalog stream ---


class EventDefined(msgspec.Struct, frozen=True, kw_only=True, tag="event_defined"):
    command_id: str
    spec: EventSpec
    at: datetime


class OrganiserRegistered(msgspec.Struct, frozen=True, kw_only=True, tag="organiser_registered"):
    """The organiser's email and password hash live in a KV bucket, erasable."""

    organiser_id: str
    command_id: str
    at: datetime


CatalogEvent = EventDefined | OrganiserRegistered
