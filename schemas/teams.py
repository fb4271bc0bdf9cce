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


TeamsEvent = TeamCreated | MemberJoined | MemberLeft | TeamDisbanded


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
