"""Events as organisers define them (TOML files, API), and the catalog's messages."""

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.organisations import Membership, OrganisationEvent, Role

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Ident = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Text = Annotated[str, Meta(min_length=1, max_length=200)]
LongText = Annotated[str, Meta(max_length=20_000)]

EventKind = Literal["hackathon", "round_table", "open_day", "workshop", "conference"]
# "ranking": the person orders the choices, most preferred first (the answer is that list); a
# ranking question without choices ranks the event's challenges (the answer is their ids).
QuestionKind = Literal["text", "choice", "multi_choice", "yes_no", "ranking"]
# How much programming a person has done, as team formation reads it (services/kit/team_formation.py).
Experience = Literal["beginner", "intermediate", "expert"]
Language = Literal["fr", "en"]
# Who a session of the agenda is for; each category of attendee belongs to one audience.
Audience = Literal["everyone", "participants", "jurors", "speakers"]
SessionKind = Literal[
    "opening", "talk", "workshop", "meal", "break", "round_table", "pitch", "judging", "ceremony", "other"
]


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
    # Which sessions of the agenda this category's private calendar lists; by default
    # from the id (juror: jurors, speaker: speakers, participant and mentor: participants).
    audience: Audience | None = None


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
    # A ranking question: how many choices a person ranks at most (the form offers that many places).
    ranks: Annotated[int, Meta(ge=1, le=10)] = 3


class TeamFormation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Which of the event's questions feed team formation, and the smallest team it forms.

    Each input names a question by its id; an input left out counts for nobody (everyone
    « happy with any challenge », nobody a domain expert...). The catalog checks each
    question exists and is of a kind that can feed its input.
    """

    min_size: Annotated[int, Meta(ge=1, le=50)] = 3
    # A ranking question without choices: the event's challenges, most preferred first.
    challenges: Ident | None = None
    # A multi_choice (or choice) question: each choice ticked is a skill.
    skills: Ident | None = None
    # A yes_no question, or a choice / multi_choice one whose choices in `codes_if` mean « codes ».
    codes: Ident | None = None
    codes_if: list[Text] = []
    # A choice question, and the level each of its choices means, in the same order.
    experience: Ident | None = None
    experience_levels: list[Experience] = []
    # A yes_no question, or a choice / multi_choice one whose choices in `domain_if` mean
    # « knows the domain » (a farmer at the agriculture hackathon).
    domain: Ident | None = None
    domain_if: list[Text] = []


class Challenge(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: Ident
    title: Text
    title_en: str = ""
    partner: str = ""
    description: LongText = ""
    description_en: LongText = ""


# The widest scale a judging criterion may have (schemas/judging.py MAX_POINTS: no score goes higher).
MAX_CRITERION_POINTS = 100


class Criterion(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One thing the jury scores each team on, from 0 to `max_points`."""

    id: Ident
    name: Text
    name_en: str = ""
    help: Annotated[str, Meta(max_length=500)] = ""
    help_en: Annotated[str, Meta(max_length=500)] = ""
    max_points: Annotated[int, Meta(ge=1, le=MAX_CRITERION_POINTS)] = 10
    # Share of the final score relative to the other criteria.
    weight: Annotated[float, Meta(ge=0.0, le=100.0)] = 1.0


class Span(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A stretch of time, e.g. when a speaker is available."""

    starts_at: datetime
    ends_at: datetime


class RoomSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: Ident
    name: Text
    name_en: str = ""
    # How to find it, shown on the agenda and in calendar locations: « 1er étage, aile nord ».
    location: Annotated[str, Meta(max_length=200)] = ""
    location_en: Annotated[str, Meta(max_length=200)] = ""
    capacity: Annotated[int, Meta(ge=0, le=100_000)] | None = None


class SpeakerSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Someone on the agenda: a speaker, or a juror. Names here are public programme text."""

    id: Ident
    # The name with the person's role, as the programme prints it: « Claire Moreau, présidente de … ».
    name: Text
    # The same in English: the role translated (« Claire Moreau, president of … »).
    name_en: Annotated[str, Meta(max_length=200)] = ""
    role: Literal["speaker", "juror"] = "speaker"
    # Empty means available throughout the event.
    availability: list[Span] = []


class SessionSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One item of the agenda as written in an event file; `id` must never be reused."""

    id: Ident
    title: Text
    title_en: str = ""
    kind: SessionKind = "talk"
    starts_at: datetime
    ends_at: datetime
    room: Ident | None = None
    speakers: list[Ident] = []
    audience: Audience = "everyone"
    description: LongText = ""
    description_en: LongText = ""
    cancelled: bool = False


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
    # Archived: kept whole, hidden from the public and from the organiser's default list; can be undone.
    archived: bool = False
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
    # Teams (hackathons): how many people a team may hold; participants form them, organisers adjust.
    team_max_size: Annotated[int, Meta(ge=1, le=50)] = 5
    # How the teams service forms teams for those who come alone (issue 13); None: from no question.
    team_formation: TeamFormation | None = None
    # Until when teams may describe their project (issue 14); local like the other times in a
    # file, UTC once loaded. None: until the event ends.
    project_deadline: datetime | None = None
    # What the jury scores; empty: this event has no judging.
    criteria: list[Criterion] = []
    # Correct each juror's severity: their mean on a criterion is brought to the jury's mean
    # before averaging, which is fairer when teams face different panels.
    normalise_jurors: bool = False
    # Rank teams with the jury model: each juror's severity and spread fitted together with
    # the teams' quality (services/kit/jury_model.py); the raw means stay beside it.
    jury_model: bool = True
    # The agenda the schedule service starts from; times are local to `timezone` like the rest.
    rooms: list[RoomSpec] = []
    speakers: list[SpeakerSpec] = []
    sessions: list[SessionSpec] = []

    def __post_init__(self) -> None:
        _check_agenda(self)

    @property
    def capacity(self) -> int:
        return sum(c.capacity for c in self.categories if c.public)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    @property
    def default_category(self) -> Category:
        public = [c for c in self.categories if c.public] or self.categories
        return next((c for c in public if c.default), public[0])

    def audience_of(self, category_id: str) -> Audience:
        """Whom a category's people are: jurors judge, participants form teams, and so on."""
        category = self.category(category_id)
        if category is not None and category.audience is not None:
            return category.audience
        return _AUDIENCE_BY_CATEGORY.get(category_id, "everyone")

    def questions_for(self, category_id: str) -> list[Question]:
        return [q for q in self.questions if not q.categories or category_id in q.categories]


_AUDIENCE_BY_CATEGORY: dict[str, Audience] = {
    "juror": "jurors",
    "jury": "jurors",
    "speaker": "speakers",
    "participant": "participants",
    "mentor": "participants",
}


def _check_agenda(spec: EventSpec) -> None:
    """References between rooms, speakers and sessions hold; msgspec reports a ValueError as invalid."""
    ids: tuple[tuple[str, list[str]], ...] = (
        ("criteria", [c.id for c in spec.criteria]),
        ("challenges", [c.id for c in spec.challenges]),
        ("rooms", [r.id for r in spec.rooms]),
        ("speakers", [s.id for s in spec.speakers]),
        ("sessions", [s.id for s in spec.sessions]),
    )
    for where, idents in ids:
        seen: set[str] = set()
        for i, ident in enumerate(idents):
            if ident in seen:
                raise ValueError(f"{where}[{i}]: the id {ident!r} is used twice")
            seen.add(ident)
    rooms = {r.id for r in spec.rooms}
    speakers = {s.id for s in spec.speakers}
    for i, speaker in enumerate(spec.speakers):
        for j, span in enumerate(speaker.availability):
            _check_span(span.starts_at, span.ends_at, f"speakers[{i}].availability[{j}]")
    for i, session in enumerate(spec.sessions):
        where = f"sessions[{i}] ({session.id!r})"
        _check_span(session.starts_at, session.ends_at, where)
        if session.room is not None and session.room not in rooms:
            known = ", ".join(sorted(rooms)) or "none defined"
            raise ValueError(f"{where}: unknown room {session.room!r} (rooms: {known})")
        for speaker_id in session.speakers:
            if speaker_id not in speakers:
                raise ValueError(f"{where}: unknown speaker {speaker_id!r}; add it under [[speakers]]")


def _check_span(starts_at: datetime, ends_at: datetime, where: str) -> None:
    if (starts_at.tzinfo is None) != (ends_at.tzinfo is None):
        raise ValueError(f"{where}: give both times with a UTC offset, or neither")
    if ends_at <= starts_at:
        raise ValueError(f"{where}: must end after it starts")


# --- commands, queries and replies ---


# The longest TOML text kept with a definition; a longer one is not kept (the editor then shows
# the definition encoded again, without its comments).
SOURCE_LIMIT = 64_000


def kept_source(text: str) -> str | None:
    """The TOML text to keep with a definition, or None when it is too long to keep."""
    return text if len(text) <= SOURCE_LIMIT else None


class DefineEvent(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    spec: EventSpec
    # The organiser who defines it (their id), for the event's history; None from files and scripts.
    by_organiser: Annotated[str, Meta(max_length=200)] | None = None
    # The TOML text the definition was decoded from, comments included (None: from a form or JSON).
    source: Annotated[str, Meta(max_length=SOURCE_LIMIT)] | None = None
    # A new event (the editor's « new event »): refused when one already has this slug, not replaced.
    create_only: bool = False
    # The organisation that owns a new event (None: the default one); an event never changes hands.
    organisation: Annotated[str, Meta(max_length=63)] | None = None


# What an organiser changes by hand from the event's page, without rewriting its definition.
StatusChange = Literal["publish", "unpublish", "close_registration", "open_registration", "archive", "unarchive"]


class ChangeEventStatus(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    slug: str
    change: StatusChange


class CopyEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A new event from an old one (last year's hackathon): every date moved by the same number of
    days, unpublished, and none of the old event's registrations."""

    command_id: str
    source: str
    slug: Slug
    title: Text
    starts_on: date
    # The organisation of the copy (None: the source's).
    organisation: Annotated[str, Meta(max_length=63)] | None = None
    by_organiser: Annotated[str, Meta(max_length=200)] | None = None


class EventDefinedReply(msgspec.Struct, frozen=True, kw_only=True, tag="event_defined"):
    slug: str
    revision: int
    changed: bool


class ListEvents(msgspec.Struct, frozen=True, kw_only=True):
    include_unpublished: bool = False
    # Only this organisation's events (None: every organisation's).
    organisation: str | None = None


class EventList(msgspec.Struct, frozen=True, kw_only=True, tag="event_list"):
    events: list[EventSpec]
    # The organisation of each event, by slug.
    organisations: dict[str, str] = {}


class GetEvent(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    include_unpublished: bool = False
    # The TOML text too (EventReply.source): only the editor asks, every other page does without it.
    with_source: bool = False


class EventReply(msgspec.Struct, frozen=True, kw_only=True, tag="event"):
    event: EventSpec
    revision: int
    # The last TOML text this event was defined from, when asked (GetEvent.with_source); it may no longer
    # describe `event` (a form or a status change came after): the editor shows it only when it still
    # decodes to the same.
    source: str | None = None
    organisation: str = ""


class CreateOrganiser(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    email: Annotated[str, Meta(max_length=254)]
    password: Annotated[str, Meta(max_length=1000)]
    # When true, an existing organiser's password is replaced instead of refused.
    replace: bool = False
    # The role a new account gets in the default organisation when it belongs to none yet
    # (an administrator making an organiser, as before organisations); None: no role.
    default_role: Role | None = "owner"


class OrganiserReply(msgspec.Struct, frozen=True, kw_only=True, tag="organiser"):
    organiser_id: str
    email: str
    # The organiser's password generation: a token names it, and a password change ends older tokens.
    epoch: int = 0
    # From Authenticate: the password is right but two-step login is on, so this is no login yet:
    # the code comes next (VerifySecondStep, schemas/accounts.py). Never make a session from it.
    second_step: bool = False


class Authenticate(msgspec.Struct, frozen=True, kw_only=True):
    email: Annotated[str, Meta(max_length=254)]
    password: Annotated[str, Meta(max_length=1000)]
    # The client's address as the web saw it: failed logins are throttled per address too.
    address: Annotated[str, Meta(max_length=100)] = ""


class CountOrganisers(msgspec.Struct, frozen=True, kw_only=True):
    pass


# How long an organiser's session token is valid; ended sessions are remembered as long.
SESSION_LIFETIME = 12 * 3600


class CheckSession(msgspec.Struct, frozen=True, kw_only=True):
    """Is this session still open: not ended, and made since the organiser's last password change?"""

    organiser_id: str
    session_id: str
    epoch: int


class SessionValid(msgspec.Struct, frozen=True, kw_only=True, tag="session_valid"):
    organiser_id: str
    email: str
    # Two-step login is on for this account: every session still open was made with a code
    # (turning it on ends the others), so an organisation that requires it can tell.
    two_step: bool = False
    # What the person may do: their role in each of their organisations.
    memberships: list[Membership] = []
    # One of their organisations asks for two-step login (enforced by the accounts side).
    require_two_step: bool = False


class EndSession(msgspec.Struct, frozen=True, kw_only=True):
    """Logout: that session's token is refused from now on, on every web instance."""

    command_id: str
    organiser_id: str
    session_id: str


class SessionEnded(msgspec.Struct, frozen=True, kw_only=True, tag="session_ended"):
    session_id: str


class ChangePassword(msgspec.Struct, frozen=True, kw_only=True):
    """An organiser changes their own password; every session made before it ends."""

    command_id: str
    organiser_id: str
    current_password: Annotated[str, Meta(max_length=1000)]
    new_password: Annotated[str, Meta(max_length=1000)]


class OrganiserCount(msgspec.Struct, frozen=True, kw_only=True, tag="organiser_count"):
    count: int


class GetDefinitionHistory(msgspec.Struct, frozen=True, kw_only=True):
    """An event's definitions over time, read from the catalog's stream."""

    slug: str


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    """One field of a definition that changed: `categories[participant].capacity`, 20 → 30.

    None for `old` means the field (or row) was added, None for `new` that it was removed.
    """

    path: str
    old: str | None = None
    new: str | None = None


class Definition(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    by_organiser: str | None = None
    # The first definition has none; each later one names the fields that changed.
    changes: list[FieldChange] = []
    first: bool = False


class DefinitionHistory(msgspec.Struct, frozen=True, kw_only=True, tag="definition_history"):
    definitions: list[Definition]


class NameOrganisers(msgspec.Struct, frozen=True, kw_only=True):
    """The emails of these organiser ids (for the history an organiser reads)."""

    organiser_ids: Annotated[list[str], Meta(max_length=1000)]


class OrganiserNames(msgspec.Struct, frozen=True, kw_only=True, tag="organiser_names"):
    # An id missing here names an organiser no longer known (erased).
    emails: dict[str, str]


# --- events in the catalog stream ---


class EventDefined(msgspec.Struct, frozen=True, kw_only=True, tag="event_defined"):
    command_id: str
    spec: EventSpec
    at: datetime
    # Who defined it (an organiser id); None for event files and definitions before issue 12.
    by_organiser: str | None = None
    # The TOML text it came from, as the organiser wrote it (DefineEvent.source); None before issue 12.
    source: str | None = None
    # The organisation that owns it; None (events before organisations): the default organisation.
    organisation: str | None = None


class OrganiserRegistered(msgspec.Struct, frozen=True, kw_only=True, tag="organiser_registered"):
    """The organiser's email and password hash live in a KV bucket, erasable."""

    organiser_id: str
    command_id: str
    at: datetime
    # The role the account gets in the default organisation if it belongs to none; organisers
    # registered before organisations have none stored, and become its owners.
    default_role: Role | None = "owner"


CatalogEvent = EventDefined | OrganiserRegistered | OrganisationEvent
