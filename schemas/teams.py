"""Teams of a hackathon: who works with whom on which challenge.

Members are registration ids (never names: those stay in the registration
service's erasable store). All teams of an event are one aggregate, so team size
and « one team per person » are decided on one ordered state.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Ident, Slug

TeamName = Annotated[str, Meta(min_length=1, max_length=80)]
RegistrationId = Annotated[str, Meta(max_length=100)]
CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
# What a member gives teammates so they can join a closed team: 6 letters and digits.
JoinCode = Annotated[str, Meta(pattern=r"^[A-Z0-9]{6}$")]
# Why a registration may not be in a team of an event (services/teams/rules.py `ineligibility`):
# not a registration of this event, not (or no longer) confirmed, or in a category whose
# audience is not « participants ». A team command for it is refused with the matching key.
Ineligibility = Literal["not_registered", "not_confirmed", "not_a_participant"]


# --- commands ---


class CreateTeam(msgspec.Struct, frozen=True, kw_only=True):
    """A participant founds a team (and is its first member), or an organiser creates an empty one."""

    command_id: CommandId
    event: Slug
    team_id: Ident
    name: TeamName
    challenge: Ident | None = None
    # Anyone may join an open team; a closed one needs its join code.
    open: bool = True
    founder: RegistrationId | None = None
    by_organiser: str | None = None


class JoinTeam(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    team_id: Ident
    registration: RegistrationId
    # Needed for a closed team unless an organiser places the person.
    code: str = ""
    by_organiser: str | None = None


class LeaveTeam(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    registration: RegistrationId
    by_organiser: str | None = None


class DisbandTeam(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    team_id: Ident
    by_organiser: str


class ListTeams(msgspec.Struct, frozen=True, kw_only=True):
    event: Slug
    # For organisers: also list who may be in a team and is in none (TeamList.unplaced).
    with_unplaced: bool = False


class GetMembership(msgspec.Struct, frozen=True, kw_only=True):
    event: Slug
    registration: RegistrationId


# --- replies ---


class TeamView(msgspec.Struct, frozen=True, kw_only=True):
    id: Ident
    name: str
    challenge: Ident | None
    open: bool
    code: str
    members: list[RegistrationId]
    created_at: datetime
    # An organiser changed its members while the event's judging was closed (a correction,
    # shown as such), and the members they placed then. Added in issue 11.
    corrected: bool = False
    late_members: list[RegistrationId] = []


class TeamList(msgspec.Struct, frozen=True, kw_only=True, tag="team_list"):
    event: Slug
    max_size: int
    teams: list[TeamView]
    # Registrations that may be in a team and are in none, in the order they registered;
    # None unless the query asked for them (ListTeams.with_unplaced). Added in issue 10.
    unplaced: list[RegistrationId] | None = None
    # The event's judging is closed: teams are frozen, only organisers may still correct
    # their members. Added in issue 11.
    frozen: bool = False


class Membership(msgspec.Struct, frozen=True, kw_only=True, tag="membership"):
    event: Slug
    registration: RegistrationId
    team: TeamView | None
    max_size: int
    # Whether this registration may found or join a team, and why not. Added in issue 10.
    eligible: bool = True
    ineligibility: Ineligibility | None = None
    # The event's judging is closed: this person may no longer found, join or leave a team.
    # Added in issue 11.
    frozen: bool = False


# --- events (perche.teams.evt.<slug>.teams) ---


class TeamCreated(msgspec.Struct, frozen=True, kw_only=True, tag="team_created"):
    command_id: str
    event: str
    team_id: str
    name: str
    challenge: str | None = None
    open: bool = True
    code: str
    founder: str | None = None
    by_organiser: str | None = None
    at: datetime


class MemberJoined(msgspec.Struct, frozen=True, kw_only=True, tag="member_joined"):
    command_id: str
    event: str
    team_id: str
    registration: str
    by_organiser: str | None = None
    # Made (by an organiser) while the event's judging was closed: a correction, shown as one.
    # Added in issue 11.
    while_judging_closed: bool = False
    at: datetime


class MemberLeft(msgspec.Struct, frozen=True, kw_only=True, tag="member_left"):
    command_id: str
    event: str
    team_id: str
    registration: str
    by_organiser: str | None = None
    # Made (by an organiser) while the event's judging was closed: a correction, shown as one.
    # Added in issue 11.
    while_judging_closed: bool = False
    at: datetime


class TeamDisbanded(msgspec.Struct, frozen=True, kw_only=True, tag="team_disbanded"):
    command_id: str
    event: str
    team_id: str
    by_organiser: str
    at: datetime


# --- formation: teams proposed for those who come alone, then confirmed (issue 13) ---
#
# The organiser links people (together / apart), asks for a proposal, moves people and locks
# teams in it, reruns it for the unlocked rest, and confirms: only then do teams exist. The
# proposal is stored in the teams stream (one draft per event, each change a new revision);
# it holds registration ids only, and its scores and reasons are computed when it is read,
# from the registrations' answers (which never enter the log).

LinkKind = Literal["together", "apart"]
# A proposed team: "p1", "p2"... within one draft.
ProposedId = Annotated[str, Meta(pattern=r"^p[0-9]{1,5}$")]
TeamSize = Annotated[int, Meta(ge=1, le=50)]
Revision = Annotated[int, Meta(ge=0)]
# Why someone of a confirmed proposal was not placed: they joined a team themselves meanwhile,
# are no longer a confirmed participant, or the existing team to top up is full or gone.
LeftOutReason = Literal["joined_a_team", "not_eligible", "team_full", "team_gone"]
# A hard rule of formation (services/kit/team_formation.py Violation.rule).
FormationRule = Literal["size", "together", "apart", "coder"]


class LinkPeople(msgspec.Struct, frozen=True, kw_only=True):
    """« Put these two together » or « keep them apart », for every later proposal."""

    command_id: CommandId
    event: Slug
    kind: LinkKind
    first: RegistrationId
    second: RegistrationId
    by_organiser: str


class UnlinkPeople(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    kind: LinkKind
    first: RegistrationId
    second: RegistrationId
    by_organiser: str


class ProposeTeams(msgspec.Struct, frozen=True, kw_only=True):
    """Form teams for every eligible person in no team and in no locked team of the current draft.

    Locked teams of the current draft are kept as they are; `top_up` also fills existing teams
    below `min_size` (their members stay). `max_size` may not exceed the event's team size.
    """

    command_id: CommandId
    event: Slug
    min_size: TeamSize
    max_size: TeamSize
    top_up: bool = False
    by_organiser: str


class MoveProposed(msgspec.Struct, frozen=True, kw_only=True):
    """Move one person of the draft to another proposed team (None: a new team of their own)."""

    command_id: CommandId
    event: Slug
    # The revision the organiser saw: a draft changed since is not changed blindly.
    revision: Revision
    registration: RegistrationId
    to_team: ProposedId | None = None
    by_organiser: str


class LockProposed(msgspec.Struct, frozen=True, kw_only=True):
    """A locked proposed team keeps its members when the draft is proposed again."""

    command_id: CommandId
    event: Slug
    revision: Revision
    team: ProposedId
    locked: bool = True
    by_organiser: str


class ConfirmProposal(msgspec.Struct, frozen=True, kw_only=True):
    """The draft becomes teams, decided on the teams as they are now: whoever joined a team
    meanwhile stays where they are and is reported, and no team grows past the event's size."""

    command_id: CommandId
    event: Slug
    revision: Revision
    by_organiser: str


class DiscardProposal(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    revision: Revision
    by_organiser: str


class GetProposal(msgspec.Struct, frozen=True, kw_only=True):
    event: Slug


# --- formation: what is stored ---


class ProposedTeam(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    members: list[str]
    challenge: str | None = None
    locked: bool = False
    # The existing team this one tops up (its members are in `members` too).
    existing: str | None = None


class PeopleLinked(msgspec.Struct, frozen=True, kw_only=True, tag="people_linked"):
    command_id: str
    event: str
    kind: LinkKind
    first: str
    second: str
    by_organiser: str
    at: datetime


class PeopleUnlinked(msgspec.Struct, frozen=True, kw_only=True, tag="people_unlinked"):
    command_id: str
    event: str
    kind: LinkKind
    first: str
    second: str
    by_organiser: str
    at: datetime


class TeamsProposed(msgspec.Struct, frozen=True, kw_only=True, tag="teams_proposed"):
    """The whole draft, as of this revision (a proposal, a move or a lock)."""

    command_id: str
    event: str
    revision: int
    min_size: int
    max_size: int
    top_up: bool = False
    teams: list[ProposedTeam]
    by_organiser: str
    at: datetime


class ProposalDiscarded(msgspec.Struct, frozen=True, kw_only=True, tag="proposal_discarded"):
    command_id: str
    event: str
    revision: int
    by_organiser: str
    at: datetime


class ConfirmedTeam(msgspec.Struct, frozen=True, kw_only=True):
    team_id: str
    name: str
    code: str
    challenge: str | None = None
    # Everyone now in the team; `added` are those the proposal placed (all of them for a new team).
    members: list[str]
    added: list[str]
    # True when an existing team was topped up rather than created.
    existing: bool = False


class LeftOut(msgspec.Struct, frozen=True, kw_only=True):
    registration: str
    reason: LeftOutReason


class ProposalConfirmed(msgspec.Struct, frozen=True, kw_only=True, tag="proposal_confirmed"):
    """Teams created and topped up at once, in one append (so nobody joins half of it)."""

    command_id: str
    event: str
    revision: int
    teams: list[ConfirmedTeam]
    left_out: list[LeftOut] = []
    by_organiser: str
    at: datetime


# --- projects: what each team makes, described by its members (issue 14) ---
#
# Any member writes or replaces the team's project from their team page until the event's
# `project_deadline` (or its end); jurors read it before scoring, organisers see who has none.
# The optional photo is kept in the teams service's object store (Teams.PHOTOS_BUCKET), named
# by team and digest; the web drops an upload in Teams.UPLOADS_BUCKET and names it here.

MAX_PROJECT_TITLE = 120
MAX_PROJECT_SUMMARY = 2000
MAX_PROJECT_LINKS = 5
MAX_PROJECT_LINK = 500
MAX_PROJECT_PHOTO = 2 * 1024 * 1024
PhotoType = Literal["image/jpeg", "image/png", "image/webp"]


class DescribeProject(msgspec.Struct, frozen=True, kw_only=True):
    """A member writes (or replaces) their team's project; without `photo_upload` the photo stays
    as it was unless `remove_photo`."""

    command_id: CommandId
    event: Slug
    team_id: Ident
    by_registration: RegistrationId
    title: str = ""
    summary_fr: str = ""
    summary_en: str = ""
    links: list[str] = []
    # The name of an object the web put in Teams.UPLOADS_BUCKET (checked, then moved by the service).
    photo_upload: str | None = None
    remove_photo: bool = False


class ProjectPhoto(msgspec.Struct, frozen=True, kw_only=True):
    content_type: PhotoType
    size: int
    # sha256 of the bytes, hex: the photo's object is `Teams.photo_object(event, team, sha256)`.
    sha256: str


class ProjectView(msgspec.Struct, frozen=True, kw_only=True):
    team_id: str
    title: str
    summary_fr: str
    summary_en: str
    links: list[str]
    photo: ProjectPhoto | None = None
    by_registration: str
    at: datetime


class GetProjects(msgspec.Struct, frozen=True, kw_only=True):
    event: Slug


class ProjectList(msgspec.Struct, frozen=True, kw_only=True, tag="project_list"):
    event: Slug
    # UTC; None: projects can be written until the event ends.
    deadline: datetime | None
    # Whether members may still write them (before the deadline, the event not over, teams not frozen).
    open: bool
    # By team id, for the live teams that wrote one.
    projects: dict[str, ProjectView]


class ProjectDescribed(msgspec.Struct, frozen=True, kw_only=True, tag="project_described"):
    command_id: str
    event: str
    team_id: str
    by_registration: str
    title: str = ""
    summary_fr: str = ""
    summary_en: str = ""
    links: list[str] = []
    photo: ProjectPhoto | None = None
    # What the command asked (services/teams/projects.py request_digest): a repeat of its id
    # with another request is refused.
    request: str = ""
    at: datetime


TeamsEvent = (
    TeamCreated
    | MemberJoined
    | MemberLeft
    | TeamDisbanded
    | PeopleLinked
    | PeopleUnlinked
    | TeamsProposed
    | ProposalDiscarded
    | ProposalConfirmed
    | ProjectDescribed
)


# --- formation: what the organiser reads ---


class ProposalFacts(msgspec.Struct, frozen=True, kw_only=True):
    """Why a proposed team scores what it does (services/kit/team_formation.py TeamFacts)."""

    size: int
    coders: int
    domain_experts: int
    levels: list[str]
    skills: list[str]
    # Members whose 1st or 2nd choice is the team's challenge, and those who ranked none.
    first_or_second: int
    no_preference: int
    # Members already in the team (a top-up).
    kept: int


class ProposalTeamView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    members: list[str]
    challenge: str | None
    locked: bool
    existing: str | None
    existing_name: str | None = None
    # Out of 100 (the objective in the README).
    score: float
    facts: ProposalFacts


class ViolationView(msgspec.Struct, frozen=True, kw_only=True):
    """A hard rule the draft breaks, and for whom; note: too_small, too_large, not_enough_coders or ""."""

    rule: FormationRule
    people: list[str]
    team: str | None = None
    note: str = ""


class LinkView(msgspec.Struct, frozen=True, kw_only=True):
    kind: LinkKind
    first: str
    second: str


class ProposalView(msgspec.Struct, frozen=True, kw_only=True, tag="proposal"):
    event: Slug
    # 0: no draft (`teams` empty); the draft's revision otherwise, to send back with a change.
    revision: int
    min_size: int
    max_size: int
    # The event's team size: a proposal's `max_size` may not exceed it.
    event_max_size: int
    top_up: bool
    teams: list[ProposalTeamView]
    violations: list[ViolationView]
    # Half the mean team score plus half the worst one (README).
    objective: float
    links: list[LinkView]
    # Eligible people in no team and not in the draft (registered since it was made).
    unplaced: list[str]
    # The formation inputs the event's questions do not feed (challenges, skills, codes,
    # experience, domain): the organiser is told the proposal cannot weigh them.
    missing_inputs: list[str] = []
    frozen: bool = False


class ProposalConfirmedReply(msgspec.Struct, frozen=True, kw_only=True, tag="proposal_confirmed"):
    event: Slug
    teams: list[TeamView]
    left_out: list[LeftOut]


# --- the history of organisers' placements (read from the stream, issue 12) ---

PlacementAction = Literal["placed", "removed"]


class GetPlacementHistory(msgspec.Struct, frozen=True, kw_only=True):
    event: str


class PlacementEntry(msgspec.Struct, frozen=True, kw_only=True):
    action: PlacementAction
    registration: str
    team_name: str
    at: datetime
    by_organiser: str


class PlacementHistory(msgspec.Struct, frozen=True, kw_only=True, tag="placement_history"):
    placements: list[PlacementEntry]
