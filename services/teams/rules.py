"""Pure rules of team formation: who may found, join or leave which team of an event.

Nothing here touches the network or the clock: the service passes `now` and the
event's definition in, and appends what these functions decide. State comes from three
streams, replayed in order: the teams stream (this service's own), the registration
stream (read only), which says who is a confirmed participant and who has gone, and the
judging stream (read only), which says whose judging is closed: from then on teams are
frozen, and only an organiser may still correct their members, visibly.

The state also holds formation's links and draft proposal (issue 13); the decisions on them
are in services/teams/proposals.py, what they read and show in services/teams/formation.py.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from schemas.catalog import EventSpec
from schemas.errors import Rejected, command_id_reused
from schemas.judging import JudgingClosed, JudgingEvent, JudgingReopened
from schemas.registration import (
    OfferLapsed,
    PersonErased,
    Registered,
    RegistrationCancelled,
    RegistrationEvent,
    Status,
    WaitlistPromoted,
)
from schemas.teams import (
    CreateTeam,
    DisbandTeam,
    Ineligibility,
    JoinTeam,
    LeaveTeam,
    LinkKind,
    MemberJoined,
    MemberLeft,
    Membership,
    PeopleLinked,
    PeopleUnlinked,
    PlacementEntry,
    ProjectDescribed,
    ProjectView,
    ProposalConfirmed,
    ProposalDiscarded,
    ProposedTeam,
    TeamCreated,
    TeamDisbanded,
    TeamList,
    TeamsEvent,
    TeamsProposed,
    TeamView,
)
from schemas.validation import without_accents

CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
CODE_LENGTH = 6

# Refusals that may only mean this instance has not read the registration stream far
# enough yet (a registration just made, promoted or cancelled): the service catches up
# with that stream and decides once more before answering.
STALE_REGISTRATION_KEYS = frozenset({"registration_not_found", "team_not_participant", "team_full"})


# --- state ---


@dataclass
class Person:
    """What the teams service knows of a registration: never a name, only where it stands."""

    event: str
    category: str
    status: Status
    erased: bool = False

    @property
    def gone(self) -> bool:
        """Cancelled or erased: no longer in any team, no longer counted."""
        return self.status == "cancelled" or self.erased


@dataclass
class Team:
    id: str
    name: str
    challenge: str | None
    open: bool
    code: str
    created_at: datetime
    members: list[str] = field(default_factory=list)
    disbanded: bool = False
    # Changed by an organiser while judging was closed, and the members placed then.
    corrected: bool = False
    late_members: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Draft:
    """The proposal the organiser is working on (issue 13): nothing exists until it is confirmed."""

    revision: int
    min_size: int
    max_size: int
    top_up: bool
    teams: tuple[ProposedTeam, ...]

    def team(self, proposed_id: str) -> ProposedTeam | None:
        return next((t for t in self.teams if t.id == proposed_id), None)

    def team_with(self, registration_id: str) -> ProposedTeam | None:
        return next((t for t in self.teams if registration_id in t.members), None)

    @property
    def people(self) -> set[str]:
        return {m for t in self.teams for m in t.members}


# A link's pair, unordered: (the smaller id, the larger one).
Pair = tuple[str, str]


def pair(first: str, second: str) -> Pair:
    return (first, second) if first <= second else (second, first)


@dataclass
class EventTeams:
    """Every team of one event: the aggregate each append is decided on."""

    # In order of creation; disbanded teams stay (their ids are never reused).
    teams: dict[str, Team] = field(default_factory=dict)
    # registration id -> team id, for the members of live teams
    member_of: dict[str, str] = field(default_factory=dict)
    # Formation: the organiser's « together » and « apart » links, in the order they were made.
    links: dict[Pair, LinkKind] = field(default_factory=dict)
    # The current draft (None: no proposal), and the last revision any draft had: revisions
    # only grow, so a page showing a discarded or confirmed draft is never taken as current.
    draft: Draft | None = None
    revision: int = 0
    # command id -> the confirmation it made, for a repeat to answer with.
    confirmations: dict[str, ProposalConfirmed] = field(default_factory=dict)
    # team id -> its project as last written (issue 14).
    projects: dict[str, ProjectView] = field(default_factory=dict)

    def team(self, team_id: str) -> Team | None:
        team = self.teams.get(team_id)
        return team if team is not None and not team.disbanded else None

    def live(self) -> list[Team]:
        return [t for t in self.teams.values() if not t.disbanded]


@dataclass
class TeamsState:
    events: defaultdict[str, EventTeams] = field(default_factory=lambda: defaultdict(EventTeams))
    people: dict[str, Person] = field(default_factory=dict)
    # (event, command id) -> (event, team id, registration id or ""): what a repeat answers.
    # Ids are scoped to their event: the same key sent for another event is another command.
    commands: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)
    # Events whose judging is closed (the judging stream's last word for them).
    judging_closed: set[str] = field(default_factory=set)

    def frozen(self, slug: str) -> bool:
        """Once judging is closed, the teams it judged stay as they were."""
        return slug in self.judging_closed

    def of(self, slug: str) -> EventTeams:
        return self.events[slug]

    def gone(self, registration_id: str) -> bool:
        person = self.people.get(registration_id)
        return person is not None and person.gone

    def members(self, team: Team) -> list[str]:
        """The members who still count: cancelled or erased registrations do not."""
        return [m for m in team.members if not self.gone(m)]

    def team_of(self, slug: str, registration_id: str) -> Team | None:
        if self.gone(registration_id):
            return None
        teams = self.of(slug)
        team_id = teams.member_of.get(registration_id)
        return teams.team(team_id) if team_id else None

    def evolve(self, event: TeamsEvent) -> None:
        teams = self.of(event.event)
        match event:
            case TeamCreated():
                team = Team(
                    id=event.team_id,
                    name=event.name,
                    challenge=event.challenge,
                    open=event.open,
                    code=event.code,
                    created_at=event.at,
                )
                teams.teams[team.id] = team
                if event.founder:
                    _add_member(teams, team, event.founder)
                self.commands[event.event, event.command_id] = (event.event, event.team_id, event.founder or "")
            case MemberJoined():
                joined = teams.team(event.team_id)
                if joined is not None:
                    _add_member(teams, joined, event.registration)
                    if event.while_judging_closed:
                        joined.corrected = True
                        joined.late_members.add(event.registration)
                self.commands[event.event, event.command_id] = (event.event, event.team_id, event.registration)
            case MemberLeft():
                left = teams.teams.get(event.team_id)
                if left is not None and event.registration in left.members:
                    left.members.remove(event.registration)
                if left is not None:
                    left.late_members.discard(event.registration)
                    left.corrected = left.corrected or event.while_judging_closed
                if teams.member_of.get(event.registration) == event.team_id:
                    del teams.member_of[event.registration]
                self.commands[event.event, event.command_id] = (event.event, event.team_id, event.registration)
            case TeamDisbanded():
                disbanded = teams.teams.get(event.team_id)
                if disbanded is not None:
                    disbanded.disbanded = True
                    for member in disbanded.members:
                        if teams.member_of.get(member) == disbanded.id:
                            del teams.member_of[member]
                    disbanded.members = []
                self.commands[event.event, event.command_id] = (event.event, event.team_id, "")
            case PeopleLinked() | PeopleUnlinked():
                key = pair(event.first, event.second)
                if isinstance(event, PeopleLinked):
                    teams.links[key] = event.kind
                elif teams.links.get(key) == event.kind:
                    del teams.links[key]
                self.commands[event.event, event.command_id] = (
                    event.event,
                    LINK_MARK,
                    link_detail(isinstance(event, PeopleLinked), event.kind, event.first, event.second),
                )
            case TeamsProposed():
                teams.draft = Draft(
                    revision=event.revision,
                    min_size=event.min_size,
                    max_size=event.max_size,
                    top_up=event.top_up,
                    teams=tuple(event.teams),
                )
                teams.revision = max(teams.revision, event.revision)
                self.commands[event.event, event.command_id] = (event.event, DRAFT_MARK, "")
            case ProposalDiscarded():
                teams.draft = None
                self.commands[event.event, event.command_id] = (event.event, DISCARD_MARK, "")
            case ProposalConfirmed():
                self._confirmed(teams, event)
                self.commands[event.event, event.command_id] = (event.event, CONFIRM_MARK, "")
            case ProjectDescribed():
                teams.projects[event.team_id] = ProjectView(
                    team_id=event.team_id,
                    title=event.title,
                    summary_fr=event.summary_fr,
                    summary_en=event.summary_en,
                    links=event.links,
                    photo=event.photo,
                    by_registration=event.by_registration,
                    at=event.at,
                )
                self.commands[event.event, event.command_id] = (event.event, PROJECT_MARK, event.request)

    def _confirmed(self, teams: EventTeams, event: ProposalConfirmed) -> None:
        """The teams a confirmed proposal made exist, its top-ups have their new members, the draft is gone."""
        for confirmed in event.teams:
            team = teams.team(confirmed.team_id)
            if team is None and not confirmed.existing:
                team = Team(
                    id=confirmed.team_id,
                    name=confirmed.name,
                    challenge=confirmed.challenge,
                    # Like a team an organiser creates: anyone may still join it while there is room.
                    open=True,
                    code=confirmed.code,
                    created_at=event.at,
                )
                teams.teams[team.id] = team
            if team is not None:
                for member in confirmed.added:
                    _add_member(teams, team, member)
        teams.draft = None
        teams.confirmations[event.command_id] = event

    def evolve_judging(self, event: JudgingEvent) -> None:
        """Follow only whether each event's judging is closed; scores are judging's business."""
        if isinstance(event, JudgingClosed):
            self.judging_closed.add(event.event)
        elif isinstance(event, JudgingReopened):
            self.judging_closed.discard(event.event)

    def evolve_registration(self, event: RegistrationEvent) -> None:
        """Follow who is confirmed, in which category, and who has gone."""
        match event:
            case Registered():
                self.people[event.registration_id] = Person(
                    event=event.event, category=event.category, status=event.status
                )
            case WaitlistPromoted():
                person = self.people.get(event.registration_id)
                if person is not None:
                    person.status = "confirmed"
            case RegistrationCancelled():
                person = self.people.get(event.registration_id)
                if person is not None:
                    person.status = "cancelled"
            case OfferLapsed():
                person = self.people.get(event.registration_id)
                if person is not None and person.status == "waitlisted":
                    person.status = "cancelled"
            case PersonErased():
                person = self.people.get(event.registration_id)
                if person is not None:
                    person.erased = True


# What `commands` records for formation's commands, in the place of a team id (never one: a
# team id starts with a letter or a digit), so that an id used for a team is not taken for them.
LINK_MARK = "~link"
DRAFT_MARK = "~draft"
DISCARD_MARK = "~discard"
CONFIRM_MARK = "~confirm"
PROJECT_MARK = "~project"


def link_detail(linking: bool, kind: str, first: str, second: str) -> str:
    """What a link command asks, so that a repeat with another request is refused."""
    low, high = pair(first, second)
    return f"{'link' if linking else 'unlink'}:{kind}:{low}:{high}"


def _add_member(teams: EventTeams, team: Team, registration_id: str) -> None:
    if registration_id not in team.members:
        team.members.append(registration_id)
    teams.member_of[registration_id] = team.id


# --- views ---


def team_view(state: TeamsState, team: Team) -> TeamView:
    members = state.members(team)
    return TeamView(
        id=team.id,
        name=team.name,
        challenge=team.challenge,
        open=team.open,
        code=team.code,
        members=members,
        created_at=team.created_at,
        corrected=team.corrected,
        late_members=[m for m in members if m in team.late_members],
    )


def team_list(state: TeamsState, spec: EventSpec, with_unplaced: bool = False) -> TeamList:
    teams = state.of(spec.slug).live()
    return TeamList(
        event=spec.slug,
        max_size=spec.team_max_size,
        teams=[team_view(state, t) for t in teams],
        unplaced=unplaced(state, spec) if with_unplaced else None,
        frozen=state.frozen(spec.slug),
    )


def membership(state: TeamsState, spec: EventSpec, registration_id: str) -> Membership:
    team = state.team_of(spec.slug, registration_id)
    why_not = ineligibility(state, spec, registration_id)
    return Membership(
        event=spec.slug,
        registration=registration_id,
        team=team_view(state, team) if team else None,
        max_size=spec.team_max_size,
        eligible=why_not is None,
        ineligibility=why_not,
        frozen=state.frozen(spec.slug),
    )


# --- who may be in a team ---


def ineligibility(state: TeamsState, spec: EventSpec, registration_id: str) -> Ineligibility | None:
    """Why this registration may not be in a team of this event; None when it may.

    Only a confirmed registration of this event, in a category whose audience is
    « participants », may be: cancelled, erased and waiting ones may not.
    """
    person = state.people.get(registration_id)
    if person is None or person.event != spec.slug:
        return "not_registered"
    if person.gone or person.status != "confirmed":
        return "not_confirmed"
    if spec.audience_of(person.category) != "participants":
        return "not_a_participant"
    return None


def unplaced(state: TeamsState, spec: EventSpec) -> list[str]:
    """The registrations of the event that may be in a team and are in none, in the order they registered."""
    return [
        registration_id
        for registration_id in state.people
        if ineligibility(state, spec, registration_id) is None and state.team_of(spec.slug, registration_id) is None
    ]


# --- helpers of the decisions ---


def join_code(event: str, command_id: str) -> str:
    """Six letters and digits, the same for the same command on every instance (so the rule stays pure)."""
    number = int.from_bytes(hashlib.sha256(f"{event}:{command_id}".encode()).digest()[:8], "big")
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[index])
    return "".join(letters)


def unique_code(teams: EventTeams, event: str, command_id: str, also_taken: set[str] | None = None) -> str:
    """A join code no other team of the event has, so a code alone finds its team (`also_taken`:
    codes given to teams decided in the same breath)."""
    taken = {t.code for t in teams.teams.values()} | (also_taken or set())
    code, attempt = join_code(event, command_id), 0
    while code in taken:
        attempt += 1
        code = join_code(event, f"{command_id}#{attempt}")
    return code


def folded(name: str) -> str:
    """« Les Épis » and « les epis » are the same team name: no case, no accents, single spaces."""
    return " ".join(without_accents(name.casefold()).split())


def check_event(spec: EventSpec | None, slug: str, now: datetime, by_organiser: str | None) -> EventSpec:
    """The event exists; once it is over, only organisers may still change its teams."""
    if spec is None:
        raise Rejected("not_found", f"No event {slug!r}", "event", key="event_not_found")
    if not by_organiser and now >= spec.ends_at:
        raise Rejected("conflict", "The event is over: teams can no longer change", key="teams_closed")
    return spec


def check_not_frozen(state: TeamsState, slug: str, by_organiser: str | None, correction: bool) -> bool:
    """Once judging is closed, nobody may change the teams it judged, except an organiser
    correcting who is in one (`correction`): True when the change is such a correction.

    Creating or disbanding a team would change the standings themselves: that needs the
    judging reopened first, even for an organiser.
    """
    if not state.frozen(slug):
        return False
    if by_organiser and correction:
        return True
    raise Rejected("conflict", "Judging is closed: teams are frozen", key="teams_frozen")


def check_participant(state: TeamsState, spec: EventSpec, registration_id: str, field_name: str) -> None:
    """Only a registration `ineligibility` finds nothing against may be in a team."""
    why_not = ineligibility(state, spec, registration_id)
    if why_not == "not_registered":
        raise Rejected(
            "not_found",
            f"No registration {registration_id!r} for this event",
            field_name,
            key="registration_not_found",
        )
    if why_not is not None:
        raise Rejected(
            "conflict",
            "Only confirmed participants can be in a team",
            field_name,
            key="team_not_participant",
        )


def check_free(state: TeamsState, spec: EventSpec, registration_id: str, field_name: str) -> None:
    """One team per person per event."""
    current = state.team_of(spec.slug, registration_id)
    if current is not None:
        raise Rejected(
            "conflict",
            f"Already in team {current.name!r}: leave it first",
            field_name,
            key="team_already_member",
        )


def live_team(state: TeamsState, spec: EventSpec, team_id: str) -> Team:
    team = state.of(spec.slug).team(team_id)
    if team is None:
        raise Rejected("not_found", f"No team {team_id!r} in this event", "team_id", key="team_not_found")
    return team


# --- decisions ---


def repeated(state: TeamsState, command_id: str, event: str, team_id: str | None, registration: str) -> bool:
    """True for a repeat of a command already applied (its first outcome stands); an id once
    used for another request is refused rather than silently ignored (None: any team)."""
    known = state.commands.get((event, command_id))
    if known is None:
        return False
    if known[0] == event and team_id in (None, known[1]) and known[2] == registration:
        return True
    raise command_id_reused()


def decide_create(state: TeamsState, spec: EventSpec | None, command: CreateTeam, now: datetime) -> TeamCreated | None:
    """A new team, with its founder as first member; None when this command was already applied."""
    if repeated(state, command.command_id, command.event, command.team_id, command.founder or ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    check_not_frozen(state, spec.slug, command.by_organiser, correction=False)
    name = " ".join(command.name.split())
    if not name:
        raise Rejected("invalid", "Please give the team a name", "name", key="team_name_required")
    if command.founder is None and not command.by_organiser:
        raise Rejected("invalid", "A team needs its founder, or an organiser", "founder", key="team_no_founder")
    if command.challenge is not None and all(c.id != command.challenge for c in spec.challenges):
        raise Rejected(
            "invalid", f"No challenge {command.challenge!r} in this event", "challenge", key="team_unknown_challenge"
        )
    teams = state.of(spec.slug)
    if command.team_id in teams.teams:
        raise Rejected("conflict", f"The team id {command.team_id!r} is taken", "team_id", key="team_exists")
    if any(folded(t.name) == folded(name) for t in teams.live()):
        raise Rejected("conflict", f"There is already a team named {name!r}", "name", key="team_name_taken")
    if command.founder is not None:
        check_participant(state, spec, command.founder, "founder")
        check_free(state, spec, command.founder, "founder")
    return TeamCreated(
        command_id=command.command_id,
        event=spec.slug,
        team_id=command.team_id,
        name=name,
        challenge=command.challenge,
        open=command.open,
        code=unique_code(teams, spec.slug, command.command_id),
        founder=command.founder,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_join(state: TeamsState, spec: EventSpec | None, command: JoinTeam, now: datetime) -> MemberJoined | None:
    """A member more, within the team's size; a closed team needs its code unless an organiser places them."""
    if repeated(state, command.command_id, command.event, command.team_id, command.registration):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    correction = check_not_frozen(state, spec.slug, command.by_organiser, correction=True)
    team = live_team(state, spec, command.team_id)
    check_participant(state, spec, command.registration, "registration")
    check_free(state, spec, command.registration, "registration")
    if not team.open and not command.by_organiser and command.code.strip().upper() != team.code:
        raise Rejected(
            "invalid", "This code does not open this team: ask a member for it", "code", key="team_wrong_code"
        )
    if len(state.members(team)) >= spec.team_max_size:
        raise Rejected(
            "conflict",
            f"Team {team.name!r} is full ({spec.team_max_size} people at most): join or create another",
            "team_id",
            key="team_full",
        )
    return MemberJoined(
        command_id=command.command_id,
        event=spec.slug,
        team_id=team.id,
        registration=command.registration,
        by_organiser=command.by_organiser,
        while_judging_closed=correction,
        at=now,
    )


def decide_leave(state: TeamsState, spec: EventSpec | None, command: LeaveTeam, now: datetime) -> MemberLeft | None:
    if repeated(state, command.command_id, command.event, None, command.registration):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    correction = check_not_frozen(state, spec.slug, command.by_organiser, correction=True)
    team_id = state.of(spec.slug).member_of.get(command.registration)
    team = state.of(spec.slug).team(team_id) if team_id else None
    if team is None:
        raise Rejected("conflict", "This person is in no team", "registration", key="team_not_member")
    return MemberLeft(
        command_id=command.command_id,
        event=spec.slug,
        team_id=team.id,
        registration=command.registration,
        by_organiser=command.by_organiser,
        while_judging_closed=correction,
        at=now,
    )


def decide_disband(
    state: TeamsState, spec: EventSpec | None, command: DisbandTeam, now: datetime
) -> TeamDisbanded | None:
    """Organisers only (the command names one): its members are free to join another team."""
    if repeated(state, command.command_id, command.event, command.team_id, ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    check_not_frozen(state, spec.slug, command.by_organiser, correction=False)
    team = live_team(state, spec, command.team_id)
    return TeamDisbanded(
        command_id=command.command_id, event=spec.slug, team_id=team.id, by_organiser=command.by_organiser, at=now
    )


def organiser_placements(events: list[TeamsEvent]) -> list[PlacementEntry]:
    """Who organisers placed in a team or took out of one, in stream order, with the team's name."""
    names: dict[str, str] = {}
    placements: list[PlacementEntry] = []
    for event in events:
        match event:
            case TeamCreated(team_id=team_id, name=name):
                names[team_id] = name
            case MemberJoined(by_organiser=str(by)):
                placements.append(
                    _placement("placed", event.registration, names.get(event.team_id, event.team_id), event.at, by)
                )
            case MemberLeft(by_organiser=str(by)):
                placements.append(
                    _placement("removed", event.registration, names.get(event.team_id, event.team_id), event.at, by)
                )
    return placements


def _placement(
    action: Literal["placed", "removed"], registration: str, team: str, at: datetime, by: str
) -> PlacementEntry:
    return PlacementEntry(action=action, registration=registration, team_name=team, at=at, by_organiser=by)
