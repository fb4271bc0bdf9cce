"""Pure rules of judging: who may score what, and the standings the scores add up to."""

import copy
import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import lru_cache

from schemas.catalog import Criterion, EventSpec
from schemas.errors import ErrorKey, Rejected, command_id_reused
from schemas.judging import (
    MAX_FEEDBACK_LENGTH,
    MIN_POINTS,
    AssignJuror,
    CloseJudging,
    CommandEvent,
    ConflictDeclared,
    ConflictReason,
    CriterionResult,
    DeclareConflict,
    FeedbackGiven,
    GiveFeedback,
    GiveScore,
    GiveTracks,
    ImportedScore,
    ImportScores,
    JudgingClosed,
    JudgingEvent,
    JudgingReopened,
    JurorAssigned,
    JurorConflict,
    JurorProgress,
    JurorTracksGiven,
    MarkAbsent,
    ReopenJudging,
    Score,
    ScoreGiven,
    ScoresGiven,
    ScoresImported,
    ScoreWithdrawn,
    Standing,
    TeamMarkedAbsent,
    TeamToJudge,
    TrackStandings,
    WithdrawScore,
)
from schemas.teams import MemberJoined, MemberLeft, ProposalConfirmed, TeamCreated, TeamDisbanded, TeamsEvent
from services.kit.jury_model import CriterionScale, Mark, Placed
from services.kit.jury_model import rank as model_rank
from services.kit.score_sheet import SheetProblem, read_sheet

JudgingCommand = (
    GiveScore
    | WithdrawScore
    | MarkAbsent
    | GiveFeedback
    | AssignJuror
    | CloseJudging
    | ReopenJudging
    | ImportScores
    | GiveTracks
    | DeclareConflict
)


def digest_of(csv_text: str) -> str:
    return hashlib.sha256(csv_text.encode("utf-8")).hexdigest()


def request_of(item: JudgingCommand | CommandEvent) -> tuple[object, ...]:
    """What a command asks, read the same from the command and from the event it made."""
    match item:
        case GiveScore() | ScoreGiven():
            return ("score", item.event, item.juror, item.team, item.criterion, item.points)
        case WithdrawScore() | ScoreWithdrawn():
            return ("withdraw", item.event, item.juror, item.team, item.criterion)
        case MarkAbsent() | TeamMarkedAbsent():
            return ("absent", item.event, item.team, item.absent, item.by_juror, item.by_organiser)
        case GiveFeedback() | FeedbackGiven():
            return ("feedback", item.event, item.juror, item.team, item.text.strip())
        case AssignJuror() | JurorAssigned():
            return ("assign", item.event, item.juror, None if item.teams is None else tuple(sorted(set(item.teams))))
        case CloseJudging() | JudgingClosed():
            return ("close", item.event)
        case ReopenJudging() | JudgingReopened():
            return ("reopen", item.event)
        case ImportScores():
            return ("import", item.event, digest_of(item.csv_text))
        case ScoresImported():
            return ("import", item.event, item.digest)
        case GiveTracks() | JurorTracksGiven():
            return ("tracks", item.event, item.juror, tuple(sorted(set(item.tracks))))
        case DeclareConflict() | ConflictDeclared():
            return (
                "conflict",
                item.event,
                item.juror,
                item.team,
                item.reason,
                item.conflicted,
                item.by_juror,
                item.by_organiser,
            )


def is_repeat(state: "JudgingState", command: JudgingCommand) -> bool:
    """True when this command was applied already (its first outcome stands); its id once used
    for another request (another juror, team, criterion or value) is refused, never ignored."""
    known = state.commands.get((command.event, command.command_id))
    if known is None:
        return False
    if known == request_of(command):
        return True
    raise command_id_reused()


@dataclass
class EventJudging:
    """One event's judging, evolved from the judging stream and the teams stream."""

    teams: dict[str, TeamToJudge] = field(default_factory=dict)
    # (juror, team, criterion) -> the one score that counts: the last one given.
    scores: dict[tuple[str, str, str], Score] = field(default_factory=dict)
    # (juror, team) -> what the juror wrote for the team.
    feedback: dict[tuple[str, str], str] = field(default_factory=dict)
    # A juror absent here, or assigned None, scores every team.
    assignments: dict[str, list[str] | None] = field(default_factory=dict)
    closed: bool = False
    # Teams marked absent: out of the standings and the progress, not to be scored.
    absent: set[str] = field(default_factory=set)
    # juror -> the challenges they judge (GiveTracks); absent or empty: every challenge.
    tracks: dict[str, list[str]] = field(default_factory=dict)
    # Each team's members (registration ids), from the teams stream: whom a juror may be.
    members: dict[str, set[str]] = field(default_factory=dict)
    # (juror, team) -> why: the conflicts declared in the judging log...
    declared: dict[tuple[str, str], ConflictReason] = field(default_factory=dict)
    # ... and those found from the registrations' e-mails (automatic_conflicts), kept in memory
    # only by the service: e-mails never enter this state or the log.
    automatic: dict[tuple[str, str], ConflictReason] = field(default_factory=dict)

    def conflicts_of(self, juror: str) -> dict[str, ConflictReason]:
        """The teams this juror may not judge, and why (what the team itself says comes first)."""
        found = {team: reason for (who, team), reason in self.declared.items() if who == juror}
        found.update({team: reason for (who, team), reason in self.automatic.items() if who == juror})
        return found

    def conflicts(self) -> list[JurorConflict]:
        every = self.declared | self.automatic
        return [
            JurorConflict(juror=juror, team=team, reason=reason, automatic=(juror, team) in self.automatic)
            for (juror, team), reason in sorted(every.items())
        ]

    def present(self) -> list[TeamToJudge]:
        """The teams that count: every team but the absent ones."""
        return [t for t in self.teams.values() if t.id not in self.absent]

    def teams_of(self, juror: str) -> list[TeamToJudge]:
        assigned = self.assignments.get(juror)
        conflicted = self.conflicts_of(juror)
        if assigned is None:
            return self.on_tracks(juror, [t for t in self.teams.values() if t.id not in conflicted])
        return self.on_tracks(juror, [self.teams[t] for t in assigned if t in self.teams and t not in conflicted])

    def on_tracks(self, juror: str, teams: list[TeamToJudge]) -> list[TeamToJudge]:
        """The teams of the juror's challenges among `teams`; all of them for a juror without tracks."""
        tracks = self.tracks.get(juror)
        return [t for t in teams if t.challenge in tracks] if tracks else teams

    def scores_of(self, juror: str) -> list[Score]:
        teams = {t.id for t in self.teams_of(juror)}
        return [s for (who, team, _), s in self.scores.items() if who == juror and team in teams]


@dataclass
class JudgingState:
    events: dict[str, EventJudging] = field(default_factory=dict)
    # (event, command id) -> what it asked (request_of): ids are scoped to their event, and a
    # repeat must ask the same.
    commands: dict[tuple[str, str], tuple[object, ...]] = field(default_factory=dict)

    def of(self, slug: str) -> EventJudging:
        return self.events.setdefault(slug, EventJudging())

    def draft(self, slug: str) -> "JudgingState":
        """One event's judging as it would be after commands not yet appended: deciding a batch
        of them one after the other on it changes nothing here. It starts with no commands: a
        repeat of one already applied is told by this state (is_repeat on both)."""
        judging = self.of(slug)
        # Each field's own copy is enough: evolving replaces the values kept in them (a juror's
        # list of teams, a score), it never changes one in place.
        draft = copy.copy(judging)
        for f in fields(draft):
            value = getattr(draft, f.name)
            if isinstance(value, dict | set | list):
                setattr(draft, f.name, value.copy())
        return JudgingState(events={slug: draft})

    def done(self, slug: str, command_id: str) -> bool:
        """Whether this event already has this command: a repeat changes nothing."""
        return (slug, command_id) in self.commands

    def evolve(self, event: JudgingEvent) -> None:
        if isinstance(event, ScoresGiven):
            for score in event.scores:
                self.evolve(score)
            return
        self.commands[event.event, event.command_id] = request_of(event)
        judging = self.of(event.event)
        if isinstance(event, ScoreGiven):
            key = (event.juror, event.team, event.criterion)
            judging.scores[key] = Score(team=event.team, criterion=event.criterion, points=event.points, at=event.at)
        elif isinstance(event, ScoreWithdrawn):
            judging.scores.pop((event.juror, event.team, event.criterion), None)
        elif isinstance(event, TeamMarkedAbsent):
            if event.absent:
                judging.absent.add(event.team)
            else:
                judging.absent.discard(event.team)
        elif isinstance(event, FeedbackGiven):
            if event.text:
                judging.feedback[(event.juror, event.team)] = event.text
            else:
                judging.feedback.pop((event.juror, event.team), None)
        elif isinstance(event, JurorAssigned):
            judging.assignments[event.juror] = event.teams
        elif isinstance(event, JurorTracksGiven):
            judging.tracks[event.juror] = list(event.tracks)
        elif isinstance(event, JudgingClosed):
            judging.closed = True
        elif isinstance(event, JudgingReopened):
            judging.closed = False
        elif isinstance(event, ScoresImported):
            # Each row as a score given: a paper score replaces a phone one for the same cell.
            for row in event.scores:
                key = (row.juror, row.team, row.criterion)
                judging.scores[key] = Score(team=row.team, criterion=row.criterion, points=row.points, at=event.at)
        elif isinstance(event, ConflictDeclared):
            if event.conflicted:
                judging.declared[(event.juror, event.team)] = event.reason
            else:
                judging.declared.pop((event.juror, event.team), None)

    def evolve_teams(self, event: TeamsEvent) -> None:
        """Teams are the teams service's facts; judging keeps their ids, names and challenges."""
        judging = self.of(event.event)
        if isinstance(event, TeamCreated):
            judging.teams[event.team_id] = TeamToJudge(id=event.team_id, name=event.name, challenge=event.challenge)
        elif isinstance(event, TeamDisbanded):
            judging.teams.pop(event.team_id, None)
        evolve_members(judging, event)


def evolve_members(judging: EventJudging, event: TeamsEvent) -> None:
    """Who is in which team, for the conflicts of interest (registration ids only)."""
    match event:
        case TeamCreated(founder=str(founder)) if founder:
            judging.members.setdefault(event.team_id, set()).add(founder)
        case MemberJoined():
            judging.members.setdefault(event.team_id, set()).add(event.registration)
        case MemberLeft():
            judging.members.get(event.team_id, set()).discard(event.registration)
        case TeamDisbanded():
            judging.members.pop(event.team_id, None)
        case ProposalConfirmed():
            for confirmed in event.teams:
                if not confirmed.existing and confirmed.team_id not in judging.teams:
                    # A team the formation made is a team to judge, like one created by hand.
                    judging.teams[confirmed.team_id] = TeamToJudge(
                        id=confirmed.team_id, name=confirmed.name, challenge=confirmed.challenge
                    )
                judging.members.setdefault(confirmed.team_id, set()).update(confirmed.members)
        case _:
            pass


def is_membership(event: TeamsEvent) -> bool:
    """Whether this teams event may change who is in which team."""
    return isinstance(event, TeamCreated | MemberJoined | MemberLeft | TeamDisbanded | ProposalConfirmed)


# --- conflicts of interest ---


@dataclass(frozen=True)
class Person:
    """One registration as the conflicts need it: its e-mail is read from registration, never kept."""

    registration: str
    email: str
    category: str


MENTOR_CATEGORY = "mentor"


def same_person_key(email: str) -> str:
    """Two registrations are the same person when their e-mails match, case and spaces aside."""
    return email.strip().casefold()


def automatic_conflicts(people: list[Person], members: dict[str, set[str]]) -> dict[tuple[str, str], ConflictReason]:
    """(registration, team) -> why, for every registration whose person is in a team (member) or
    mentors it (their registration in that team is a mentor's): such a juror may not judge it."""
    by_id = {p.registration: p for p in people}
    same: dict[str, list[str]] = {}
    for p in people:
        if same_person_key(p.email):
            same.setdefault(same_person_key(p.email), []).append(p.registration)
    found: dict[tuple[str, str], ConflictReason] = {}
    for team, registrations in members.items():
        for member in registrations:
            person = by_id.get(member)
            reason: ConflictReason = "mentor" if person and person.category == MENTOR_CATEGORY else "member"
            key = same_person_key(person.email) if person else ""
            for registration in same.get(key, []) if key else [member]:
                if found.get((registration, team)) != "member":  # a member of it, first of all
                    found[(registration, team)] = reason
    return found


def _criterion(spec: EventSpec, criterion_id: str) -> Criterion:
    if not spec.criteria:
        raise Rejected("conflict", "This event has no judging criteria", "criterion", key="judging_none")
    for criterion in spec.criteria:
        if criterion.id == criterion_id:
            return criterion
    raise Rejected("invalid", f"No criterion {criterion_id!r} in this event", "criterion", key="judging_no_criterion")


def _check_open(judging: EventJudging) -> None:
    if judging.closed:
        raise Rejected("conflict", "Judging is closed: scores can no longer change", key="judging_closed")


def _check_no_conflict(judging: EventJudging, juror: str, team: str) -> None:
    if team in judging.conflicts_of(juror):
        raise Rejected(
            "conflict",
            "You have a conflict of interest with this team: you may not judge it",
            "team",
            key="judging_conflict",
        )


def _check_on_sheet(judging: EventJudging, juror: str, team: str) -> None:
    """Judging is open, the team exists and is on this juror's sheet."""
    _check_open(judging)
    if team not in judging.teams:
        raise Rejected("not_found", f"No team {team!r} in this event", "team", key="judging_no_team")
    _check_no_conflict(judging, juror, team)
    if all(t.id != team for t in judging.teams_of(juror)):
        raise Rejected("invalid", "This team is not on your sheet", "team", key="judging_not_assigned")


def decide_score(judging: EventJudging, spec: EventSpec, command: GiveScore, now: datetime) -> ScoreGiven | None:
    """The score to record, None when it changes nothing; Rejected when it may not be given."""
    criterion = _criterion(spec, command.criterion)
    _check_on_sheet(judging, command.juror, command.team)
    if command.team in judging.absent:
        raise Rejected("conflict", "This team is marked absent: it cannot be scored", "team", key="judging_team_absent")
    if not MIN_POINTS <= command.points <= criterion.max_points:
        raise Rejected(
            "invalid",
            f"Give between {MIN_POINTS} and {criterion.max_points} points",
            "points",
            key="judging_points_range",
        )
    current = judging.scores.get((command.juror, command.team, command.criterion))
    if current is not None and current.points == command.points:
        return None
    return ScoreGiven(
        command_id=command.command_id,
        event=spec.slug,
        juror=command.juror,
        team=command.team,
        criterion=command.criterion,
        points=command.points,
        at=now,
    )


def decide_withdraw_score(
    judging: EventJudging, spec: EventSpec, command: WithdrawScore, now: datetime
) -> ScoreWithdrawn:
    """A juror takes back a score they gave, while judging is open; it then counts as not given
    (standings, progress, sheet). Rejected when there is no such score to take back."""
    _check_on_sheet(judging, command.juror, command.team)
    if (command.juror, command.team, command.criterion) not in judging.scores:
        raise Rejected(
            "conflict", "You have no score for this team on this criterion", "criterion", key="judging_no_score"
        )
    return ScoreWithdrawn(
        command_id=command.command_id,
        event=spec.slug,
        juror=command.juror,
        team=command.team,
        criterion=command.criterion,
        at=now,
    )


def decide_absent(
    judging: EventJudging, spec: EventSpec, command: MarkAbsent, now: datetime
) -> TeamMarkedAbsent | None:
    """A team marked absent (or back) while judging is open: by a juror who has it on their
    sheet, or by the organiser; only the organiser takes an absence back. The same state writes nothing."""
    if (command.by_juror is None) == (command.by_organiser is None):
        raise Rejected("invalid", "Say who marks the team: a juror or an organiser", key="judging_absent_by")
    _check_open(judging)
    if command.team not in judging.teams:
        raise Rejected("not_found", f"No team {command.team!r} in this event", "team", key="judging_no_team")
    if command.by_juror is not None:
        _check_no_conflict(judging, command.by_juror, command.team)
        if all(t.id != command.team for t in judging.teams_of(command.by_juror)):
            raise Rejected("invalid", "This team is not on your sheet", "team", key="judging_not_assigned")
        if not command.absent:
            raise Rejected("conflict", "Only the organisers take an absence back", key="judging_absent_undo")
    if (command.team in judging.absent) == command.absent:
        return None
    return TeamMarkedAbsent(
        command_id=command.command_id,
        event=spec.slug,
        team=command.team,
        absent=command.absent,
        by_juror=command.by_juror,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_feedback(
    judging: EventJudging, spec: EventSpec, command: GiveFeedback, now: datetime
) -> FeedbackGiven | None:
    """A juror's words for a team on their sheet, while judging is open; the same words write nothing."""
    # The message's own bound says the same at the NATS boundary; this holds for any caller.
    if len(command.text) > MAX_FEEDBACK_LENGTH:
        raise Rejected("invalid", f"Write {MAX_FEEDBACK_LENGTH} characters at most", "text", key="too_long")
    _check_on_sheet(judging, command.juror, command.team)
    text = command.text.strip()
    if judging.feedback.get((command.juror, command.team), "") == text:
        return None
    return FeedbackGiven(
        command_id=command.command_id, event=spec.slug, juror=command.juror, team=command.team, text=text, at=now
    )


def decide_assign(judging: EventJudging, spec: EventSpec, command: AssignJuror, now: datetime) -> JurorAssigned | None:
    """The teams a juror scores, while judging is open: a juror's sheet decides which of their
    scores count, so changing it after closing would move the standings."""
    _check_open(judging)
    if command.teams is not None:
        for i, team in enumerate(command.teams):
            if team not in judging.teams:
                raise Rejected("not_found", f"No team {team!r} in this event", f"teams[{i}]", key="judging_no_team")
        conflicted = judging.conflicts_of(command.juror)
        for i, team in enumerate(command.teams):
            if team in conflicted:
                raise Rejected(
                    "conflict",
                    f"This juror has a conflict of interest with team {judging.teams[team].name!r}",
                    f"teams[{i}]",
                    key="judging_conflict_assign",
                )
    teams = None if command.teams is None else sorted(set(command.teams))
    if command.juror in judging.assignments and judging.assignments[command.juror] == teams:
        return None
    return JurorAssigned(
        command_id=command.command_id,
        event=spec.slug,
        juror=command.juror,
        teams=teams,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_tracks(
    judging: EventJudging, spec: EventSpec, command: GiveTracks, now: datetime
) -> JurorTracksGiven | None:
    """The challenges a juror judges, while judging is open (like their teams, they decide which of
    their scores count); each must be one of the event's challenges. The same tracks write nothing."""
    _check_open(judging)
    known = {c.id for c in spec.challenges}
    for i, track in enumerate(command.tracks):
        if track not in known:
            raise Rejected("invalid", f"No challenge {track!r} in this event", f"tracks[{i}]", key="judging_no_track")
    tracks = sorted(set(command.tracks))
    if judging.tracks.get(command.juror, []) == tracks:
        return None
    return JurorTracksGiven(
        command_id=command.command_id,
        event=spec.slug,
        juror=command.juror,
        tracks=tracks,
        by_organiser=command.by_organiser,
        at=now,
    )


_SHEET_KEYS: dict[str, ErrorKey] = {
    "columns": "judging_csv_columns",
    "unreadable": "judging_csv_unreadable",
    "empty_cell": "judging_csv_empty_cell",
    "not_a_number": "judging_csv_not_a_number",
    "duplicate": "judging_csv_duplicate",
    "no_rows": "judging_csv_no_rows",
}


def _sheet_words(problem: SheetProblem) -> str:
    match problem.kind:
        case "columns":
            return f"missing column {problem.detail} (the header is juror,team,criterion,score)"
        case "unreadable":
            return "not a CSV file that can be read"
        case "empty_cell":
            return f"no {problem.detail}"
        case "not_a_number":
            return f"score {problem.detail!r} is not a number"
        case "duplicate":
            return f"the same juror, team and criterion as row {problem.detail}"
        case "no_rows":
            return "no scores in the file"


def _row_problem(line: int, key: ErrorKey, words: str) -> Rejected:
    """One row's problem: `field` names the row (`row:3`, the header being row 1)."""
    return Rejected("invalid", f"Row {line}: {words}", f"row:{line}", key=key)


def _named(names: dict[str, str], written: str) -> str | None:
    """The id `written` stands for: an id itself, or the one name that matches (case aside)."""
    if written in names:
        return written
    matches = [ident for ident, name in names.items() if name.strip().casefold() == written.casefold()]
    return matches[0] if len(matches) == 1 else None


def _criterion_named(spec: EventSpec, written: str) -> Criterion | None:
    """The criterion `written` stands for: its id, or its French or English name (case aside)."""
    for criterion in spec.criteria:
        if written == criterion.id:
            return criterion
    matches = [
        c for c in spec.criteria if written.casefold() in {c.name.strip().casefold(), c.name_en.strip().casefold()}
    ]
    return matches[0] if len(matches) == 1 else None


def decide_import(judging: EventJudging, spec: EventSpec, command: ImportScores, now: datetime) -> ScoresImported:
    """Paper scores from a CSV file, all rows or none: each row is checked against the event
    (its jurors, teams, criteria and scales, absences, sheets); any problem refuses the whole
    file, listing every row and problem."""
    if not spec.criteria:
        raise Rejected("conflict", "This event has no judging criteria", "criterion", key="judging_none")
    _check_open(judging)
    rows, sheet_problems = read_sheet(command.csv_text)
    problems = [_row_problem(p.line, _SHEET_KEYS[p.kind], _sheet_words(p)) for p in sheet_problems]
    # The jurors the web knows, and any the judging was told of (assigned teams).
    jurors = {who: who for who in [*judging.assignments, *judging.tracks]} | dict(command.jurors)
    teams = {t.id: t.name for t in judging.teams.values()}
    criteria = {c.id: c for c in spec.criteria}
    scores: list[ImportedScore] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        juror = _named(jurors, row.juror)
        team = _named(teams, row.team)
        criterion = _criterion_named(spec, row.criterion)
        found: list[Rejected] = []
        if juror is None:
            found.append(_row_problem(row.line, "judging_csv_unknown_juror", f"no juror {row.juror!r} in this event"))
        if team is None:
            found.append(_row_problem(row.line, "judging_csv_unknown_team", f"no team {row.team!r} in this event"))
        if criterion is None:
            words = f"no criterion {row.criterion!r} (the criteria are {', '.join(criteria)})"
            found.append(_row_problem(row.line, "judging_csv_unknown_criterion", words))
        if row.score != int(row.score):
            found.append(_row_problem(row.line, "judging_csv_not_whole", f"score {row.written} is not a whole number"))
        elif criterion is not None and not MIN_POINTS <= row.score <= criterion.max_points:
            words = f"score {row.written} is off the scale {MIN_POINTS}–{criterion.max_points} of {criterion.id}"
            found.append(_row_problem(row.line, "judging_csv_off_scale", words))
        if team is not None and team in judging.absent:
            found.append(_row_problem(row.line, "judging_csv_team_absent", f"team {row.team!r} is marked absent"))
        elif juror is not None and team is not None and team in judging.conflicts_of(juror):
            words = f"juror {row.juror!r} has a conflict of interest with team {row.team!r}"
            found.append(_row_problem(row.line, "judging_csv_conflict", words))
        elif juror is not None and team is not None and all(t.id != team for t in judging.teams_of(juror)):
            words = f"team {row.team!r} is not on the sheet of juror {row.juror!r}"
            found.append(_row_problem(row.line, "judging_csv_not_assigned", words))
        if juror is not None and team is not None and criterion is not None and not found:
            key = (juror, team, criterion.id)
            if key in seen:  # the same cell written two ways (an id, then a name)
                words = f"the same juror, team and criterion as row {seen[key]}"
                found.append(_row_problem(row.line, "judging_csv_duplicate", words))
            else:
                seen[key] = row.line
                scores.append(ImportedScore(juror=juror, team=team, criterion=criterion.id, points=int(row.score)))
        problems.extend(found)
    if problems:
        problems.sort(key=lambda p: int((p.reply.field or "row:0").removeprefix("row:")))
        raise Rejected.every(problems)
    return ScoresImported(
        command_id=command.command_id,
        event=spec.slug,
        scores=scores,
        digest=digest_of(command.csv_text),
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_conflict(
    judging: EventJudging, spec: EventSpec, command: DeclareConflict, now: datetime
) -> ConflictDeclared | None:
    """A conflict declared, by the juror themself or the organiser, or lifted by the organiser,
    while judging is open (it moves the standings). A conflict found from the team's members
    cannot be lifted: it is a fact, not a declaration. The same state writes nothing."""
    if (command.by_juror is None) == (command.by_organiser is None) or command.by_juror not in (None, command.juror):
        raise Rejected("invalid", "Say who declares the conflict: the juror or an organiser", key="judging_conflict_by")
    _check_open(judging)
    if command.team not in judging.teams:
        raise Rejected("not_found", f"No team {command.team!r} in this event", "team", key="judging_no_team")
    key = (command.juror, command.team)
    if not command.conflicted:
        if command.by_juror is not None:
            raise Rejected("conflict", "Only the organisers lift a conflict of interest", key="judging_conflict_undo")
        if key in judging.automatic:
            raise Rejected(
                "conflict",
                "This juror is in or mentors this team: the conflict cannot be lifted",
                "team",
                key="judging_conflict_automatic",
            )
        if key not in judging.declared:
            return None
    elif judging.declared.get(key) == command.reason:
        return None
    return ConflictDeclared(
        command_id=command.command_id,
        event=spec.slug,
        juror=command.juror,
        team=command.team,
        reason=command.reason,
        conflicted=command.conflicted,
        by_juror=command.by_juror,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_close(
    judging: EventJudging, spec: EventSpec, command: CloseJudging | ReopenJudging, now: datetime
) -> JudgingClosed | JudgingReopened | None:
    if isinstance(command, CloseJudging):
        if judging.closed:
            return None
        return JudgingClosed(command_id=command.command_id, event=spec.slug, by_organiser=command.by_organiser, at=now)
    if not judging.closed:
        return None
    return JudgingReopened(command_id=command.command_id, event=spec.slug, by_organiser=command.by_organiser, at=now)


def _share(criteria: list[Criterion], results: list[CriterionResult]) -> float:
    """Weighted mean of each criterion's average as a share of its maximum, out of 100."""
    weights = sum(c.weight for c in criteria)
    if not weights:
        return 0.0
    total = sum(c.weight * (r.average or 0.0) / c.max_points for c, r in zip(criteria, results, strict=True))
    return round(100 * total / weights, 2)


def _everyone(judging: EventJudging, jurors: list[str]) -> list[str]:
    """The jurors expected (the organiser's list) and any who were assigned teams or tracks or gave scores."""
    given = {who for who, _, _ in judging.scores}
    return sorted(set(jurors) | set(judging.assignments) | set(judging.tracks) | given)


def severity_offsets(
    judging: EventJudging, spec: EventSpec, among: set[str] | None = None
) -> dict[tuple[str, str], float]:
    """How far each juror's mean on a criterion sits from the whole jury's mean on it, over the
    teams present (or those of them `among`, for one challenge's ranking).

    Only jurors who scored at least two teams on the criterion get an offset: one score
    says nothing about how severe its juror is.
    """
    teams = {t.id for t in judging.present() if among is None or t.id in among}
    # A conflicted juror's scores for the team do not count, so they say nothing of their severity.
    blocked = judging.declared.keys() | judging.automatic.keys()
    offsets: dict[tuple[str, str], float] = {}
    for criterion in spec.criteria:
        given: dict[str, list[int]] = {}
        for (juror, team, about), score in judging.scores.items():
            if about == criterion.id and team in teams and (juror, team) not in blocked:
                given.setdefault(juror, []).append(score.points)
        everything = [p for points in given.values() for p in points]
        if not everything:
            continue
        mean = sum(everything) / len(everything)
        for juror, points in given.items():
            if len(points) >= 2:
                offsets[(juror, criterion.id)] = sum(points) / len(points) - mean
    return offsets


def standings(
    judging: EventJudging, spec: EventSpec, jurors: list[str], among: set[str] | None = None
) -> list[Standing]:
    """Every team present (or those of them `among`: one challenge's teams) with its averages and
    total; equal totals share a rank (1, 1, 3). Ranked among themselves, by the scores given to them."""
    ranked = [t for t in judging.present() if among is None or t.id in among]
    sheets = {juror: {t.id for t in judging.teams_of(juror)} for juror in _everyone(judging, jurors)}
    offsets = severity_offsets(judging, spec, {t.id for t in ranked}) if spec.normalise_jurors else {}

    def points_of(juror: str, team: str, criterion: str) -> float:
        raw = judging.scores[(juror, team, criterion)].points
        if not offsets:
            return raw
        top = next(c.max_points for c in spec.criteria if c.id == criterion)
        return min(max(raw - offsets.get((juror, criterion), 0.0), 0.0), float(top))

    lines: list[tuple[TeamToJudge, list[CriterionResult], int, int]] = []
    for team in ranked:
        panel = [juror for juror, teams in sheets.items() if team.id in teams]
        results = []
        for criterion in spec.criteria:
            points = [
                points_of(j, team.id, criterion.id) for j in panel if (j, team.id, criterion.id) in judging.scores
            ]
            average = round(sum(points) / len(points), 2) if points else None
            results.append(CriterionResult(criterion=criterion.id, average=average, count=len(points)))
        given = sum(r.count for r in results)
        lines.append((team, results, given, len(panel) * len(spec.criteria)))
    # A conflicted juror's words for the team are passed on no more than their scores count.
    blocked = judging.declared.keys() | judging.automatic.keys()
    words = {
        team.id: [
            text
            for (who, about), text in sorted(judging.feedback.items())
            if about == team.id and (who, about) not in blocked
        ]
        for team in ranked
    }
    totals = {team.id: _share(spec.criteria, results) for team, results, _, _ in lines}
    if spec.jury_model and spec.criteria:
        return _modelled(judging, spec, sheets, lines, totals, words)
    lines.sort(key=lambda line: (-totals[line[0].id], line[0].name.casefold()))
    return [
        Standing(
            rank=1 + sum(1 for other in totals.values() if other > totals[team.id]),
            team=team,
            total=totals[team.id],
            criteria=results,
            given=given,
            expected=expected,
            feedback=words[team.id],
            jurors=len({j for j, t, _ in judging.scores if t == team.id and team.id in sheets.get(j, set())}),
        )
        for team, results, given, expected in lines
    ]


@lru_cache(maxsize=64)
def _placed(marks: tuple[Mark, ...], scales: tuple[CriterionScale, ...], teams: tuple[str, ...]) -> list[Placed]:
    """The model's places, fitted once for the same scores: every page and query asks for standings."""
    return model_rank(list(marks), list(scales), list(teams))


def _modelled(
    judging: EventJudging,
    spec: EventSpec,
    sheets: dict[str, set[str]],
    lines: list[tuple[TeamToJudge, list[CriterionResult], int, int]],
    totals: dict[str, float],
    words: dict[str, list[str]],
) -> list[Standing]:
    """The standings in the jury model's order, each with its rank range, the raw mean beside it:
    fitted on the scores of the teams of `lines` alone (all present, or one challenge's)."""
    by_team = {line[0].id: line for line in lines}
    marks = [
        Mark(juror, team, criterion, float(score.points))
        for (juror, team, criterion), score in sorted(judging.scores.items())
        if team in by_team and team in sheets.get(juror, set())
    ]
    scales = [CriterionScale(c.id, c.max_points, c.weight) for c in spec.criteria]
    placed = {p.team: p for p in _placed(tuple(marks), tuple(scales), tuple(sorted(by_team)))}
    out = []
    for team_id, p in placed.items():
        team, results, given, expected = by_team[team_id]
        out.append(
            Standing(
                rank=p.rank,
                team=team,
                total=totals[team_id],
                criteria=results,
                given=given,
                expected=expected,
                feedback=words[team_id],
                score=p.score,
                error=p.error,
                rank_best=p.best,
                rank_worst=p.worst,
                too_close=p.too_close,
                jurors=p.jurors,
            )
        )
    # Placed lists unscored teams last; among equals, by name as before.
    out.sort(key=lambda s: (s.rank, s.team.name.casefold()))
    return out


def track_standings(judging: EventJudging, spec: EventSpec, jurors: list[str]) -> list[TrackStandings]:
    """One ranking per challenge of the event, in its order: the challenge's teams alone, ranked
    as the whole event is (standings); teams without a challenge are in none."""
    return [
        TrackStandings(
            challenge=challenge.id,
            title=challenge.title,
            title_en=challenge.title_en,
            standings=standings(
                judging, spec, jurors, {t.id for t in judging.teams.values() if t.challenge == challenge.id}
            ),
        )
        for challenge in spec.challenges
    ]


def progress(judging: EventJudging, spec: EventSpec, jurors: list[str]) -> list[JurorProgress]:
    criteria = {c.id for c in spec.criteria}
    return [
        JurorProgress(
            juror=juror,
            teams=judging.assignments.get(juror),
            given=sum(1 for s in judging.scores_of(juror) if s.criterion in criteria and s.team not in judging.absent),
            expected=sum(1 for t in judging.teams_of(juror) if t.id not in judging.absent) * len(criteria),
            tracks=judging.tracks.get(juror, []),
        )
        for juror in _everyone(judging, jurors)
    ]
