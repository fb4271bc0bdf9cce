"""Pure rules of formation (issue 13): links between people, the draft proposal, and its confirmation.

Like services/teams/rules.py, nothing here touches the network or the clock; each decision
raises Rejected and writes nothing, or returns the one event to append (None: a repeat,
whose first outcome stands). The confirmation is decided on the teams as they are at that
moment and appended with the expected sequence: a participant who joins a team at the same
moment lands either before it (and is left out) or after it (and is refused as any joiner
of a full team or anyone already in one).
"""

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.teams import (
    ConfirmedTeam,
    ConfirmProposal,
    DiscardProposal,
    LinkPeople,
    LockProposed,
    MoveProposed,
    PeopleLinked,
    PeopleUnlinked,
    ProposalConfirmed,
    ProposalDiscarded,
    ProposedTeam,
    ProposeTeams,
    TeamsProposed,
    UnlinkPeople,
)
from services.kit.team_formation import ExistingTeam, Formation, Person, Problem, form
from services.teams.formation import placement, problem_of, proposed_teams
from services.teams.rules import (
    CONFIRM_MARK,
    DISCARD_MARK,
    DRAFT_MARK,
    LINK_MARK,
    Draft,
    EventTeams,
    TeamsState,
    check_event,
    check_not_frozen,
    check_participant,
    folded,
    link_detail,
    pair,
    repeated,
    unique_code,
    unplaced,
)

NEW_TEAM_NAME = "Équipe {n}"


# --- links ---


def decide_link(state: TeamsState, spec: EventSpec | None, command: LinkPeople, now: datetime) -> PeopleLinked | None:
    """« Together » or « apart » for two eligible people; None for a repeat or a link already there."""
    detail = link_detail(True, command.kind, command.first, command.second)
    if repeated(state, command.command_id, command.event, LINK_MARK, detail):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    if command.first == command.second:
        raise Rejected("invalid", "A link needs two different people", "second", key="link_same_person")
    check_participant(state, spec, command.first, "first")
    check_participant(state, spec, command.second, "second")
    links = state.of(spec.slug).links
    current = links.get(pair(command.first, command.second))
    if current == command.kind:
        return None
    if current is not None:
        raise Rejected(
            "conflict",
            f"These two are already linked {current!r}: remove that link first",
            "kind",
            key="link_contradicts",
        )
    return PeopleLinked(
        command_id=command.command_id,
        event=spec.slug,
        kind=command.kind,
        first=command.first,
        second=command.second,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_unlink(
    state: TeamsState, spec: EventSpec | None, command: UnlinkPeople, now: datetime
) -> PeopleUnlinked | None:
    detail = link_detail(False, command.kind, command.first, command.second)
    if repeated(state, command.command_id, command.event, LINK_MARK, detail):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    if state.of(spec.slug).links.get(pair(command.first, command.second)) != command.kind:
        raise Rejected("not_found", "There is no such link between these two", "second", key="link_not_found")
    return PeopleUnlinked(
        command_id=command.command_id,
        event=spec.slug,
        kind=command.kind,
        first=command.first,
        second=command.second,
        by_organiser=command.by_organiser,
        at=now,
    )


# --- the draft ---


def decide_propose(
    state: TeamsState,
    spec: EventSpec | None,
    command: ProposeTeams,
    now: datetime,
    people: Mapping[str, Person],
    formed: Callable[[Problem, int], Formation] = form,
) -> TeamsProposed | None:
    """A new draft: the locked teams of the current one kept exactly, everyone else in no team formed again.

    The seed is the new revision, so asking again may give other teams. `people` are the
    registrations' answers as formation reads them (services/teams/formation.py people_of);
    `formed` runs the formation (the service passes one that reuses what it computed ahead).
    """
    if repeated(state, command.command_id, command.event, DRAFT_MARK, ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    problem, revision, locked = proposal_problem(state, spec, command, people)
    return TeamsProposed(
        command_id=command.command_id,
        event=spec.slug,
        revision=revision,
        min_size=command.min_size,
        max_size=command.max_size,
        top_up=command.top_up,
        teams=proposed_teams(formed(problem, revision), locked),
        by_organiser=command.by_organiser,
        at=now,
    )


def proposal_problem(
    state: TeamsState, spec: EventSpec, command: ProposeTeams, people: Mapping[str, Person]
) -> tuple[Problem, int, list[ProposedTeam]]:
    """What a proposal forms on the state as it is: the problem, the new revision (its seed), the locked teams kept."""
    check_not_frozen(state, spec.slug, command.by_organiser, correction=False)
    check_sizes(spec, command.min_size, command.max_size)
    teams = state.of(spec.slug)
    locked = [t for t in teams.draft.teams if t.locked] if teams.draft else []
    held = {m for t in locked for m in t.members}
    free = [r for r in unplaced(state, spec) if r not in held]
    if not free:
        raise Rejected("conflict", "Everyone who may be in a team is in one", key="formation_nobody")
    short = _short_teams(state, teams, command.min_size, {t.existing for t in locked}) if command.top_up else []
    ids = [m for t in short for m in t.members] + free
    problem = problem_of(spec, teams, people, ids, short, command.min_size, command.max_size)
    return problem, teams.revision + 1, locked


def check_sizes(spec: EventSpec, min_size: int, max_size: int) -> None:
    if min_size > max_size:
        raise Rejected("invalid", "The smallest size is above the largest", "min_size", key="formation_sizes")
    if max_size > spec.team_max_size:
        raise Rejected(
            "invalid",
            f"This event's teams hold {spec.team_max_size} people at most",
            "max_size",
            key="formation_above_event",
        )


def _short_teams(state: TeamsState, teams: EventTeams, min_size: int, held: set[str | None]) -> list[ExistingTeam]:
    """The live teams below `min_size` (a locked top-up of the draft keeps its own)."""
    return [
        ExistingTeam(t.id, tuple(state.members(t)), t.challenge)
        for t in teams.live()
        if len(state.members(t)) < min_size and t.id not in held
    ]


def decide_move(
    state: TeamsState, spec: EventSpec | None, command: MoveProposed, now: datetime
) -> TeamsProposed | None:
    """One person to another proposed team, or to a new one of their own (`to_team` None)."""
    if repeated(state, command.command_id, command.event, DRAFT_MARK, ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    draft = current_draft(state, spec, command.revision)
    source = draft.team_with(command.registration)
    if source is None:
        raise Rejected("not_found", "This person is not in the proposal", "registration", key="formation_not_proposed")
    target = draft.team(command.to_team) if command.to_team is not None else None
    if command.to_team is not None and target is None:
        raise Rejected("not_found", f"No proposed team {command.to_team!r}", "to_team", key="formation_unknown_team")
    if source.locked or (target is not None and target.locked) or _kept_in(state, spec, source, command.registration):
        raise Rejected("conflict", "A locked team keeps its members", "to_team", key="formation_locked")
    if target is not None and target.id == source.id:
        return None
    moved: list[ProposedTeam] = []
    for team in draft.teams:
        if team.id == source.id:
            members = [m for m in team.members if m != command.registration]
            if members or team.existing is not None:
                moved.append(
                    ProposedTeam(id=team.id, members=members, challenge=team.challenge, existing=team.existing)
                )
        elif target is not None and team.id == target.id:
            moved.append(
                ProposedTeam(
                    id=team.id,
                    members=[*team.members, command.registration],
                    challenge=team.challenge,
                    locked=team.locked,
                    existing=team.existing,
                )
            )
        else:
            moved.append(team)
    if target is None:
        moved.append(ProposedTeam(id=_free_id(draft), members=[command.registration]))
    return _redrafted(spec, draft, command.command_id, command.by_organiser, moved, now)


def _kept_in(state: TeamsState, spec: EventSpec, team: ProposedTeam, registration: str) -> bool:
    """A member an existing team already had when it was topped up: the proposal does not move them."""
    if team.existing is None:
        return False
    existing = state.of(spec.slug).team(team.existing)
    return existing is not None and registration in existing.members


def _free_id(draft: Draft) -> str:
    taken = {t.id for t in draft.teams}
    number = 1
    while f"p{number}" in taken:
        number += 1
    return f"p{number}"


def decide_lock(
    state: TeamsState, spec: EventSpec | None, command: LockProposed, now: datetime
) -> TeamsProposed | None:
    """Lock (or unlock) a proposed team: a locked one is kept as it is when the draft is proposed again."""
    if repeated(state, command.command_id, command.event, DRAFT_MARK, ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    draft = current_draft(state, spec, command.revision)
    if draft.team(command.team) is None:
        raise Rejected("not_found", f"No proposed team {command.team!r}", "team", key="formation_unknown_team")
    teams = [
        ProposedTeam(
            id=t.id, members=list(t.members), challenge=t.challenge, locked=command.locked, existing=t.existing
        )
        if t.id == command.team
        else t
        for t in draft.teams
    ]
    return _redrafted(spec, draft, command.command_id, command.by_organiser, teams, now)


def _redrafted(
    spec: EventSpec, draft: Draft, command_id: str, by: str, teams: list[ProposedTeam], now: datetime
) -> TeamsProposed:
    return TeamsProposed(
        command_id=command_id,
        event=spec.slug,
        revision=draft.revision + 1,
        min_size=draft.min_size,
        max_size=draft.max_size,
        top_up=draft.top_up,
        teams=teams,
        by_organiser=by,
        at=now,
    )


def current_draft(state: TeamsState, spec: EventSpec, revision: int) -> Draft:
    """The draft the organiser saw: none, or one changed since, is not changed blindly."""
    draft = state.of(spec.slug).draft
    if draft is None:
        raise Rejected("not_found", "There is no proposal to change", key="formation_no_proposal")
    if draft.revision != revision:
        raise Rejected(
            "conflict",
            f"The proposal changed since (revision {draft.revision}, not {revision}): reload it",
            "revision",
            key="formation_changed",
        )
    return draft


def decide_discard(
    state: TeamsState, spec: EventSpec | None, command: DiscardProposal, now: datetime
) -> ProposalDiscarded | None:
    if repeated(state, command.command_id, command.event, DISCARD_MARK, ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    draft = current_draft(state, spec, command.revision)
    return ProposalDiscarded(
        command_id=command.command_id,
        event=spec.slug,
        revision=draft.revision,
        by_organiser=command.by_organiser,
        at=now,
    )


# --- confirmation ---


def decide_confirm(
    state: TeamsState, spec: EventSpec | None, command: ConfirmProposal, now: datetime
) -> ProposalConfirmed | None:
    """The draft becomes teams, as the teams are now: new teams « Équipe N », top-ups within the team size.

    Whoever joined a team meanwhile or is no longer a confirmed participant is left out, and
    so is whoever a full or gone team to top up cannot take (services/teams/formation.py placement).
    """
    if repeated(state, command.command_id, command.event, CONFIRM_MARK, ""):
        return None
    spec = check_event(spec, command.event, now, command.by_organiser)
    check_not_frozen(state, spec.slug, command.by_organiser, correction=False)
    draft = current_draft(state, spec, command.revision)
    teams = state.of(spec.slug)
    placed, left_out = placement(state, spec, draft)
    names = {folded(t.name) for t in teams.live()}
    codes: set[str] = set()
    confirmed: list[ConfirmedTeam] = []
    for p in placed:
        if not p.added:
            continue
        if p.team.existing is not None:
            existing = teams.teams[p.team.existing]
            confirmed.append(
                ConfirmedTeam(
                    team_id=existing.id,
                    name=existing.name,
                    code=existing.code,
                    challenge=existing.challenge,
                    members=p.members,
                    added=p.added,
                    existing=True,
                )
            )
            continue
        name = _free_name(names)
        names.add(folded(name))
        team_id = _new_team_id(teams, command.command_id, name, {c.team_id for c in confirmed})
        code = unique_code(teams, spec.slug, f"{command.command_id}:{team_id}", codes)
        codes.add(code)
        confirmed.append(
            ConfirmedTeam(
                team_id=team_id, name=name, code=code, challenge=p.team.challenge, members=p.added, added=p.added
            )
        )
    return ProposalConfirmed(
        command_id=command.command_id,
        event=spec.slug,
        revision=draft.revision,
        teams=confirmed,
        left_out=left_out,
        by_organiser=command.by_organiser,
        at=now,
    )


def _free_name(taken: set[str]) -> str:
    """« Équipe N » with the smallest N no live team's name already is (accents and case aside)."""
    n = 1
    while folded(NEW_TEAM_NAME.format(n=n)) in taken:
        n += 1
    return NEW_TEAM_NAME.format(n=n)


def _new_team_id(teams: EventTeams, command_id: str, name: str, also_taken: set[str]) -> str:
    """Like the ids the web makes (« equipe-3-a1b2c3 »), the same for the same command on every instance."""
    number = name.rsplit(" ", 1)[-1]
    attempt = 0
    while True:
        digest = hashlib.sha256(f"{command_id}:{name}:{attempt}".encode()).hexdigest()[:6]
        team_id = f"equipe-{number}-{digest}"
        if team_id not in teams.teams and team_id not in also_taken:
            return team_id
        attempt += 1
