"""The agenda: sessions, rooms, speakers and jurors, teams; drafts, releases and feeds.

Organisers edit a draft and release it. A release is a full snapshot with a version,
a changelog, and for every session a `sequence` that grows each time it changes, so
calendar apps update items in place. Sessions are never dropped from a release once
published: a removed session stays, cancelled.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Audience, Ident, Language, LongText, RoomSpec, SessionKind, Span, Text
from schemas.speakers import InvitationWithdrawn, SpeakerAnswered, SpeakerInvited, SpeakerReminded

__all__ = [
    "Agenda",
    "AgendaReleased",
    "AgendaVersion",
    "AgendaView",
    "Audience",
    "Change",
    "Contributor",
    "DraftEdited",
    "DraftView",
    "Edit",
    "EditDraft",
    "Feed",
    "GenerateRounds",
    "GetAgenda",
    "GetAgendaVersion",
    "GetDraft",
    "GetFeed",
    "Issue",
    "ListReleases",
    "PutContributor",
    "PutRoom",
    "PutSession",
    "PutTeam",
    "ReleaseAgenda",
    "ReleaseList",
    "ReleaseSummary",
    "RemoveContributor",
    "RemoveRoom",
    "RemoveSession",
    "RemoveTeam",
    "Room",
    "RoundsPlan",
    "ScheduleEvent",
    "Session",
    "Slot",
    "Span",
    "Team",
    "feed_key",
]

Room = RoomSpec
Origin = Literal["file", "organiser", "generated"]
Role = Literal["speaker", "juror"]
RegistrationId = Annotated[str, Meta(max_length=100)]
# Longer than other ids so generated ones (« pitch-<team> ») fit; never derived from a position.
SessionId = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]


class Contributor(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A speaker or a juror: someone who must not be in two places at once."""

    id: Ident
    # With the person's role (« Claire Moreau, présidente de … »); `name_en` has it in English.
    name: Text
    name_en: Annotated[str, Meta(max_length=200)] = ""
    role: Role = "speaker"
    # Their registration, so their private calendar lists the sessions they take part in.
    registration: RegistrationId | None = None
    # Empty means available throughout the event.
    availability: list[Span] = []
    # Teams this juror must not judge (conflict of interest).
    conflicts: list[Ident] = []


class Team(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: Ident
    name: Text
    # Registration ids of the members: their private calendars list the team's pitch.
    members: list[RegistrationId] = []


class Session(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: SessionId
    title: Text
    title_en: str = ""
    kind: SessionKind = "talk"
    starts_at: datetime
    ends_at: datetime
    room: Ident | None = None
    # Contributors taking part: the speakers of a talk, the jurors of a pitch.
    people: list[Ident] = []
    # The team that pitches, for pitch sessions.
    team: Ident | None = None
    audience: Audience = "everyone"
    description: LongText = ""
    description_en: LongText = ""
    cancelled: bool = False
    origin: Origin = "organiser"
    # Set by a release: grows each time the session changes, for calendar apps.
    sequence: int = 0
    # Set by a release: when this session last changed (DTSTAMP and LAST-MODIFIED).
    updated_at: datetime | None = None


class Agenda(msgspec.Struct, frozen=True, kw_only=True):
    rooms: list[Room] = []
    people: list[Contributor] = []
    teams: list[Team] = []
    sessions: list[Session] = []

    def room(self, room_id: str | None) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None) if room_id else None

    def person(self, person_id: str) -> Contributor | None:
        return next((p for p in self.people if p.id == person_id), None)

    def team(self, team_id: str | None) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None) if team_id else None


# --- edits of the draft: a tagged union, applied in order, all or nothing ---


class PutSession(msgspec.Struct, frozen=True, kw_only=True, tag="put_session"):
    """Add a session, or replace the one with the same id. Naive times are local to the event."""

    session: Session


class RemoveSession(msgspec.Struct, frozen=True, kw_only=True, tag="remove_session"):
    """Take a session out of the draft; once released, it stays in feeds as cancelled."""

    id: str


class PutRoom(msgspec.Struct, frozen=True, kw_only=True, tag="put_room"):
    room: Room


class RemoveRoom(msgspec.Struct, frozen=True, kw_only=True, tag="remove_room"):
    id: str


class PutContributor(msgspec.Struct, frozen=True, kw_only=True, tag="put_contributor"):
    contributor: Contributor


class RemoveContributor(msgspec.Struct, frozen=True, kw_only=True, tag="remove_contributor"):
    id: str


class PutTeam(msgspec.Struct, frozen=True, kw_only=True, tag="put_team"):
    team: Team


class RemoveTeam(msgspec.Struct, frozen=True, kw_only=True, tag="remove_team"):
    id: str


Edit = PutSession | RemoveSession | PutRoom | RemoveRoom | PutContributor | RemoveContributor | PutTeam | RemoveTeam


# --- commands and queries ---


class EditDraft(msgspec.Struct, frozen=True, kw_only=True):
    command_id: Annotated[str, Meta(min_length=8, max_length=100)]
    event: str
    by_organiser: str
    edits: Annotated[list[Edit], Meta(min_length=1, max_length=5000)]


# The API's body for pitch rounds, as it is; GenerateRounds adds the command's envelope.
class RoundsPlan(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Pitch rounds to generate: from when, in which rooms, how long, with how many jurors per team."""

    # Naive times are local to the event.
    starts_at: datetime
    # Pitches run in parallel in these rooms, one panel of jurors per room.
    rooms: Annotated[list[Ident], Meta(min_length=1, max_length=20)]
    jurors_per_team: Annotated[int, Meta(ge=1, le=20)] = 3
    pitch_minutes: Annotated[int, Meta(ge=1, le=240)] = 10
    changeover_minutes: Annotated[int, Meta(ge=0, le=120)] = 5
    # A break every this many pitches in a room (0: none), lasting `break_minutes`.
    break_every: Annotated[int, Meta(ge=0, le=100)] = 0
    break_minutes: Annotated[int, Meta(ge=1, le=240)] = 15
    # After the last pitch: the jury deliberates this long, all jurors together (0: no session).
    deliberation_minutes: Annotated[int, Meta(ge=0, le=600)] = 0
    deliberation_room: Ident | None = None
    # None: every team of the draft, and every juror (the draft's, and those registered on the jury page).
    teams: list[Ident] | None = None
    jurors: list[Ident] | None = None
    # None keeps the teams' order; a number shuffles it reproducibly.
    seed: int | None = None
    # Sessions the pitches take the place of (e.g. a « pitches » block from the event file).
    replace: list[SessionId] = []


class GenerateRounds(RoundsPlan, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """Pitch order and judging panels for the draft's teams and jurors."""

    command_id: Annotated[str, Meta(min_length=8, max_length=100)]
    event: str
    by_organiser: str
    # The jurors registered on the jury page (confirmed, in a jurors' category), by registration:
    # they judge with the draft's jurors, and join the draft as jurors named by their registration
    # alone (no name goes into the log). None: the draft's jurors only.
    registered_jurors: Annotated[list[RegistrationId], Meta(max_length=1000)] | None = None
    # Their conflicts of interest as judging knows them (declared, or in or mentoring the team):
    # registration -> team ids (the teams service's, which the agenda's imported teams keep).
    registered_conflicts: Annotated[
        dict[RegistrationId, Annotated[list[Ident], Meta(max_length=1000)]], Meta(max_length=1000)
    ] = {}


class ReleaseAgenda(msgspec.Struct, frozen=True, kw_only=True):
    command_id: Annotated[str, Meta(min_length=8, max_length=100)]
    event: str
    by_organiser: str
    note: Annotated[str, Meta(max_length=2000)] = ""
    note_en: Annotated[str, Meta(max_length=2000)] = ""
    # Conflicts are never accepted silently: releasing with some needs this set.
    accept_conflicts: bool = False


class GetDraft(msgspec.Struct, frozen=True, kw_only=True):
    event: str


class GetAgenda(msgspec.Struct, frozen=True, kw_only=True):
    """The last release: what the public sees."""

    event: str
    # Organisers may look at the agenda of an event that is not published yet.
    include_unpublished: bool = False


class GetAgendaVersion(msgspec.Struct, frozen=True, kw_only=True):
    event: str


class ListReleases(msgspec.Struct, frozen=True, kw_only=True):
    event: str


FeedKind = Literal["public", "room", "person", "speaker"]


class GetFeed(msgspec.Struct, frozen=True, kw_only=True):
    """An iCalendar feed of the last release: all of it, one room, or one person's items."""

    event: str
    kind: FeedKind = "public"
    room: str | None = None
    # For kind "person": the registration and its category (checked by the caller).
    registration: str | None = None
    category: str | None = None
    # For kind "person": when that registration was cancelled (every item is then shown cancelled).
    cancelled_at: datetime | None = None
    language: Language = "fr"
    # Where the web is reached, for the URL of each item.
    base_url: str = ""
    # For kind "speaker": the agenda person an invited speaker is (checked by the caller, issue 15).
    person: str | None = None

    @property
    def variant(self) -> tuple[object, ...]:
        """Which feed this is, whatever the version: the event first, then kind, room, person (and
        whether and when they cancelled), language, address."""
        return (
            self.event,
            self.kind,
            self.room,
            self.registration,
            self.category,
            self.cancelled_at,
            self.language,
            self.base_url,
            self.person,
        )


# --- replies ---

IssueKind = Literal[
    "room_double_booked",
    "person_double_booked",
    "outside_availability",
    "outside_event",
    "juror_conflict_of_interest",
]


class Issue(msgspec.Struct, frozen=True, kw_only=True):
    """A conflict in an agenda. `message` is the English text; pages word it from the fields."""

    kind: IssueKind
    message: str
    sessions: list[str]
    room: str | None = None
    person: str | None = None


class Slot(msgspec.Struct, frozen=True, kw_only=True):
    starts_at: datetime
    ends_at: datetime
    room: str | None = None


ChangeKind = Literal["added", "moved", "changed", "cancelled", "restored"]


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a release's changelog, e.g. a pitch moved from 14:00 to 15:30."""

    kind: ChangeKind
    session: str
    title: str
    title_en: str = ""
    before: Slot | None = None
    after: Slot | None = None
    # Registrations concerned (speakers, jurors, the team's members), to be told by mail.
    registrations: list[str] = []


class DraftView(msgspec.Struct, frozen=True, kw_only=True, tag="draft"):
    event: str
    agenda: Agenda
    issues: list[Issue]
    # What releasing now would change, against the last release.
    pending: list[Change]
    released_version: int
    edits: int


class AgendaView(msgspec.Struct, frozen=True, kw_only=True, tag="agenda"):
    event: str
    version: int
    released_at: datetime | None
    note: str
    agenda: Agenda
    changelog: list[Change]
    note_en: str = ""


class AgendaVersion(msgspec.Struct, frozen=True, kw_only=True, tag="agenda_version"):
    """What a cache needs to know whether its copy is current; cheap to ask."""

    event: str
    version: int
    catalog_revision: int
    # The later of the last release and the last change of the event itself.
    updated_at: datetime
    published: bool

    @property
    def key(self) -> str:
        """The event and its numbers: two events at the same version never share a key."""
        return f"{self.event}.{self.version}.{self.catalog_revision}"


class Feed(msgspec.Struct, frozen=True, kw_only=True, tag="feed"):
    body: str
    # Derived from the body and the feed's variant: an unchanged feed keeps its tag across
    # versions, and no two feeds (events, kinds, rooms, people, languages) share one.
    etag: str
    last_modified: datetime
    version_key: str


def feed_key(query: GetFeed, version: AgendaVersion) -> tuple[object, ...]:
    """A built feed's cache key: everything its bytes depend on, the event first (DESIGN.md « Caches »)."""
    if version.event != query.event:
        raise ValueError(f"The version of {version.event!r} cannot key a feed of {query.event!r}")
    event, *rest = query.variant
    return (event, version.version, version.catalog_revision, *rest)


class ReleaseSummary(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    at: datetime
    note: str
    by_organiser: str | None
    changelog: list[Change]
    note_en: str = ""


class ReleaseList(msgspec.Struct, frozen=True, kw_only=True, tag="release_list"):
    releases: list[ReleaseSummary]


# --- events in the schedule stream (one subject per event's agenda) ---


class DraftEdited(msgspec.Struct, frozen=True, kw_only=True, tag="draft_edited"):
    command_id: str
    event: str
    edits: list[Edit]
    at: datetime
    by_organiser: str | None = None
    # Set when the edits bring the draft in line with the event file (content hash).
    file_hash: str | None = None


class AgendaReleased(msgspec.Struct, frozen=True, kw_only=True, tag="released"):
    command_id: str
    event: str
    version: int
    agenda: Agenda
    changelog: list[Change]
    at: datetime
    by_organiser: str | None = None
    note: str = ""
    note_en: str = ""
    # Conflicts the organiser chose to release anyway.
    accepted_issues: list[Issue] = []


# Speakers' invitations and answers (issue 15) are on their own subject per event.
ScheduleEvent = DraftEdited | AgendaReleased | SpeakerInvited | SpeakerAnswered | InvitationWithdrawn | SpeakerReminded
