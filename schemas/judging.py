"""Judging on the day: jurors score teams on the event's criteria, one criterion at a time.

A juror is a registration in a category whose audience is « jurors »; its id is
the only thing stored here. All scores of an event are one aggregate, so « one
score per juror, team and criterion » and « judging is closed » are decided on
one ordered state.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import MAX_CRITERION_POINTS, Ident, Slug

# The limits of what a juror sends, for the rules, the messages and the forms alike.
# A score runs from MIN_POINTS to its criterion's max_points, which is MAX_POINTS at most.
MIN_POINTS = 0
MAX_POINTS = MAX_CRITERION_POINTS
# A score typed in a form has this many digits at most: anything longer cannot be one.
MAX_POINTS_DIGITS = len(str(MAX_POINTS))
# The longest words a juror may write for a team.
MAX_FEEDBACK_LENGTH = 2000

# The largest paper CSV the organiser may import at once (a 60-team, 20-juror day is ~100 kB).
MAX_IMPORT_BYTES = 200_000

RegistrationId = Annotated[str, Meta(min_length=1, max_length=100)]
CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
Points = Annotated[int, Meta(ge=MIN_POINTS, le=MAX_POINTS)]
FeedbackText = Annotated[str, Meta(max_length=MAX_FEEDBACK_LENGTH)]


# --- commands ---


class GiveScore(msgspec.Struct, frozen=True, kw_only=True):
    """A juror's score for one team on one criterion; giving it again replaces it."""

    command_id: CommandId
    event: Slug
    juror: RegistrationId
    team: Ident
    criterion: Ident
    points: Points


class WithdrawScore(msgspec.Struct, frozen=True, kw_only=True):
    """A juror takes back their score for one team on one criterion, until judging is closed:
    it then counts as not given."""

    command_id: CommandId
    event: Slug
    juror: RegistrationId
    team: Ident
    criterion: Ident


class MarkAbsent(msgspec.Struct, frozen=True, kw_only=True):
    """A team that did not show up, said by a juror (on their sheet) or the organiser; absent, it is
    not scored zero: it leaves the standings, listed apart, and cannot be scored. Only the
    organiser takes it back (absent=False)."""

    command_id: CommandId
    event: Slug
    team: Ident
    absent: bool = True
    by_juror: RegistrationId | None = None
    by_organiser: str | None = None


class ImportScores(msgspec.Struct, frozen=True, kw_only=True):
    """The paper sheets typed into a CSV file (`juror,team,criterion,score`), imported by the
    organiser: every row is checked and, on any problem, each is listed and nothing is imported.
    A juror is written as their registration id or name, a team as its id or name."""

    command_id: CommandId
    event: Slug
    csv_text: Annotated[str, Meta(max_length=MAX_IMPORT_BYTES)]
    # The event's jurors the web knows (registrations of the jurors' categories): id -> name.
    jurors: Annotated[dict[RegistrationId, str], Meta(max_length=1000)] = {}
    by_organiser: str


class GiveFeedback(msgspec.Struct, frozen=True, kw_only=True):
    """A juror's words for a team, passed on by the organisers; empty text takes them back."""

    command_id: CommandId
    event: Slug
    juror: RegistrationId
    team: Ident
    text: FeedbackText


class AssignJuror(msgspec.Struct, frozen=True, kw_only=True):
    """The teams a juror scores; None gives them every team (the default)."""

    command_id: CommandId
    event: Slug
    juror: RegistrationId
    teams: list[Ident] | None = None
    by_organiser: str


class GiveTracks(msgspec.Struct, frozen=True, kw_only=True):
    """The challenges (tracks) a juror judges: only their teams stay on the juror's sheet, within
    any teams assigned (AssignJuror); none gives them every challenge (the default). Apart from the
    teams so that taking the agenda's panels again keeps each juror's tracks."""

    command_id: CommandId
    event: Slug
    juror: RegistrationId
    tracks: Annotated[list[Ident], Meta(max_length=100)] = []
    by_organiser: str


# Why a juror may not judge a team: they are in it, they mentor it, or something else they or the
# organiser declared (a friend, an employer...).
ConflictReason = Literal["member", "mentor", "other"]


class DeclareConflict(msgspec.Struct, frozen=True, kw_only=True):
    """A conflict of interest between a juror and a team: the team leaves the juror's sheet, their
    scores for it stop counting. Declared by the juror (from their sheet: never taken back) or by
    the organiser, who alone lifts one (conflicted=False)."""

    command_id: CommandId
    event: Slug
    juror: RegistrationId
    team: Ident
    reason: ConflictReason = "other"
    conflicted: bool = True
    by_juror: RegistrationId | None = None
    by_organiser: str | None = None


class GetConflicts(msgspec.Struct, frozen=True, kw_only=True):
    """The event's conflicts of interest, declared and found (the same person in a team)."""

    event: Slug


class CloseJudging(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    by_organiser: str


class ReopenJudging(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    by_organiser: str


class GetSheet(msgspec.Struct, frozen=True, kw_only=True):
    """One juror's sheet: their teams and the scores they gave."""

    event: Slug
    juror: RegistrationId


class GetSheets(msgspec.Struct, frozen=True, kw_only=True):
    """Several jurors' sheets in one answer (the day at a glance: the spread of each juror's scores)."""

    event: Slug
    jurors: Annotated[list[RegistrationId], Meta(max_length=1000)]


class GetStandings(msgspec.Struct, frozen=True, kw_only=True):
    event: Slug
    # Jurors the organiser expects (registrations of the jurors' categories), for progress.
    jurors: list[RegistrationId] = []


# --- replies ---


class TeamToJudge(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    challenge: str | None = None


class Score(msgspec.Struct, frozen=True, kw_only=True):
    team: str
    criterion: str
    points: int
    at: datetime


class Sheet(msgspec.Struct, frozen=True, kw_only=True, tag="jury_sheet"):
    event: str
    juror: str
    closed: bool
    teams: list[TeamToJudge]
    scores: list[Score]
    # The juror's words for each team they wrote to: team id -> text.
    feedback: dict[str, str] = {}
    # The teams of the sheet marked absent: they cannot be scored while absent.
    absent: list[str] = []
    # The event's criteria, in their order: which one comes next after a score.
    criteria: list[str] = []
    # The teams the juror may not judge (a conflict of interest): off the sheet, listed apart.
    conflicted: list[TeamToJudge] = []


class Sheets(msgspec.Struct, frozen=True, kw_only=True, tag="jury_sheets"):
    """The sheets asked for, in the order of the jurors asked for."""

    sheets: list[Sheet]


class CriterionResult(msgspec.Struct, frozen=True, kw_only=True):
    criterion: str
    # Mean of the jurors' points; None when nobody scored it yet.
    average: float | None
    count: int


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    rank: int
    team: TeamToJudge
    # Weighted mean of the criteria, each as a share of its maximum, out of 100.
    total: float
    criteria: list[CriterionResult]
    given: int
    expected: int
    # What jurors wrote for the team, without their names.
    feedback: list[str] = []
    # The jury model (services/kit/jury_model.py), when the event uses it: the score an
    # average juror of this jury would give, out of 100, which decides `rank`; `total`
    # stays the weighted mean of the raw scores, shown beside it.
    score: float | None = None
    # Its standard error, and the best and worst places the scores allow.
    error: float | None = None
    rank_best: int | None = None
    rank_worst: int | None = None
    # A podium place the scores cannot settle: say so rather than invent an order.
    too_close: bool = False
    # How many jurors scored the team.
    jurors: int = 0


class JurorProgress(msgspec.Struct, frozen=True, kw_only=True):
    juror: str
    teams: list[str] | None
    given: int
    expected: int
    # The challenges the juror judges (GiveTracks); empty: every challenge.
    tracks: list[str] = []


class TrackStandings(msgspec.Struct, frozen=True, kw_only=True):
    """One challenge's ranking: its teams alone, by the scores given to them, ranked the same way
    as the whole event (the jury model when on, the raw means otherwise)."""

    challenge: str
    title: str
    title_en: str = ""
    standings: list[Standing]


class Standings(msgspec.Struct, frozen=True, kw_only=True, tag="standings"):
    event: str
    closed: bool
    standings: list[Standing]
    jurors: list[JurorProgress]
    # True when the ranks come from the jury model rather than from `total`.
    model: bool = False
    # Teams marked absent: out of the ranking (not scored zero), listed apart.
    absent: list[TeamToJudge] = []
    # One ranking per challenge of the event, in the event's order; teams without a challenge
    # are only in `standings`.
    tracks: list[TrackStandings] = []


class JurorConflict(msgspec.Struct, frozen=True, kw_only=True):
    juror: str
    team: str
    reason: ConflictReason
    # Found by judging (the juror's person is in or mentors the team), not declared: it cannot be lifted.
    automatic: bool = False


class Conflicts(msgspec.Struct, frozen=True, kw_only=True, tag="jury_conflicts"):
    event: str
    conflicts: list[JurorConflict]

    def teams_by_juror(self) -> dict[str, list[str]]:
        """Each conflicted juror's teams, as the agenda's panels need them."""
        found: dict[str, list[str]] = {}
        for conflict in self.conflicts:
            found.setdefault(conflict.juror, []).append(conflict.team)
        return found


# --- events (perche.judging.evt.<slug>.scores) ---


class ScoreGiven(msgspec.Struct, frozen=True, kw_only=True, tag="score_given"):
    command_id: str
    event: str
    juror: str
    team: str
    criterion: str
    points: int
    at: datetime


class ScoresGiven(msgspec.Struct, frozen=True, kw_only=True, tag="scores_given"):
    """Scores several jurors gave at the same moment, appended as one event: a hundred jurors
    scoring at once would otherwise wait for the event's one subject one after the other. Each
    applies as its own score given, its command id as its own."""

    event: str
    scores: Annotated[list[ScoreGiven], Meta(min_length=1)]


class ScoreWithdrawn(msgspec.Struct, frozen=True, kw_only=True, tag="score_withdrawn"):
    command_id: str
    event: str
    juror: str
    team: str
    criterion: str
    at: datetime


class TeamMarkedAbsent(msgspec.Struct, frozen=True, kw_only=True, tag="team_marked_absent"):
    command_id: str
    event: str
    team: str
    absent: bool
    by_juror: str | None = None
    by_organiser: str | None = None
    at: datetime


class ImportedScore(msgspec.Struct, frozen=True, kw_only=True):
    juror: str
    team: str
    criterion: str
    points: int


class ScoresImported(msgspec.Struct, frozen=True, kw_only=True, tag="scores_imported"):
    """Paper scores, all rows of one file at once; each applies as a score given (it replaces
    a phone score for the same juror, team and criterion)."""

    command_id: str
    event: str
    scores: list[ImportedScore]
    # The SHA-256 of the file imported: a repeat of the command must send the same file.
    digest: str
    by_organiser: str
    at: datetime


class FeedbackGiven(msgspec.Struct, frozen=True, kw_only=True, tag="feedback_given"):
    command_id: str
    event: str
    juror: str
    team: str
    text: str
    at: datetime


class JurorAssigned(msgspec.Struct, frozen=True, kw_only=True, tag="juror_assigned"):
    command_id: str
    event: str
    juror: str
    teams: list[str] | None = None
    by_organiser: str
    at: datetime


class JurorTracksGiven(msgspec.Struct, frozen=True, kw_only=True, tag="juror_tracks_given"):
    command_id: str
    event: str
    juror: str
    # Sorted, without repeats; empty: every challenge.
    tracks: list[str] = []
    by_organiser: str
    at: datetime


class JudgingClosed(msgspec.Struct, frozen=True, kw_only=True, tag="judging_closed"):
    command_id: str
    event: str
    by_organiser: str
    at: datetime


class JudgingReopened(msgspec.Struct, frozen=True, kw_only=True, tag="judging_reopened"):
    command_id: str
    event: str
    by_organiser: str
    at: datetime


class ConflictDeclared(msgspec.Struct, frozen=True, kw_only=True, tag="conflict_declared"):
    command_id: str
    event: str
    juror: str
    team: str
    reason: ConflictReason
    conflicted: bool
    by_juror: str | None = None
    by_organiser: str | None = None
    at: datetime


# The events one command makes; ScoresGiven holds several of them.
CommandEvent = (
    ScoreGiven
    | ScoreWithdrawn
    | TeamMarkedAbsent
    | FeedbackGiven
    | JurorAssigned
    | JudgingClosed
    | JudgingReopened
    | ScoresImported
    | JurorTracksGiven
    | ConflictDeclared
)
JudgingEvent = CommandEvent | ScoresGiven
