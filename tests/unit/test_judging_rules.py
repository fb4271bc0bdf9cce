"""The rules of judging and publishing, without a network: who may score what, how scores add
up to standings (weights, ties, partial sheets), and what may be published when."""

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from schemas.catalog import Criterion, EventSpec
from schemas.errors import Rejected
from schemas.judging import (
    MAX_FEEDBACK_LENGTH,
    MAX_POINTS,
    MAX_POINTS_DIGITS,
    MIN_POINTS,
    AssignJuror,
    CloseJudging,
    GiveFeedback,
    GiveScore,
    ImportScores,
    MarkAbsent,
    ReopenJudging,
    ScoresGiven,
    ScoreWithdrawn,
    Standings,
    WithdrawScore,
)
from schemas.publishing import PublishResults, ResultsWithdrawn, WithdrawResults
from schemas.teams import TeamCreated, TeamDisbanded
from services.catalog.files import read_event_file
from services.judging.rules import (
    JudgingState,
    decide_absent,
    decide_assign,
    decide_close,
    decide_feedback,
    decide_import,
    decide_score,
    decide_withdraw_score,
    is_repeat,
    progress,
    standings,
)
from services.kit.codec import describe_validation_error
from services.publishing.rules import PublishingState, decide_publish, decide_withdraw

NOW = datetime(2027, 6, 13, 14, 0, tzinfo=UTC)
SLUG = "hackathon-comice-2027"
EVENT_FILE = Path(__file__).resolve().parents[2] / "events" / f"{SLUG}.toml"


@pytest.fixture
def spec() -> EventSpec:
    return read_event_file(EVENT_FILE)


class Day:
    """One judging day, evolved only through the rules' own events."""

    def __init__(self, spec: EventSpec, *teams: str) -> None:
        self.spec = spec
        self.state = JudgingState()
        self.n = 0
        for team in teams:
            self.state.evolve_teams(
                TeamCreated(command_id=f"t-{team}", event=SLUG, team_id=team, name=team.title(), code="ABC123", at=NOW)
            )

    @property
    def judging(self):  # type: ignore[no-untyped-def]
        return self.state.of(SLUG)

    def _id(self) -> str:
        self.n += 1
        return f"command-{self.n:04d}"

    def score(self, juror: str, team: str, criterion: str, points: int) -> bool:
        command = GiveScore(
            command_id=self._id(), event=SLUG, juror=juror, team=team, criterion=criterion, points=points
        )
        event = decide_score(self.judging, self.spec, command, NOW)
        if event is not None:
            self.state.evolve(event)
        return event is not None

    def sheet(self, juror: str, team: str, points: dict[str, int]) -> None:
        for criterion, value in points.items():
            self.score(juror, team, criterion, value)

    def withdraw(self, juror: str, team: str, criterion: str, command_id: str | None = None) -> ScoreWithdrawn | None:
        """The juror takes back a score; None when the command was applied already."""
        command = WithdrawScore(
            command_id=command_id or self._id(), event=SLUG, juror=juror, team=team, criterion=criterion
        )
        if is_repeat(self.state, command):
            return None
        event = decide_withdraw_score(self.judging, self.spec, command, NOW)
        self.state.evolve(event)
        return event

    def absent(self, team: str, absent: bool = True, by_juror: str | None = None) -> bool:
        """The team marked absent (or back) by a juror, or else by the organiser."""
        command = MarkAbsent(
            command_id=self._id(),
            event=SLUG,
            team=team,
            absent=absent,
            by_juror=by_juror,
            by_organiser=None if by_juror else "o",
        )
        event = decide_absent(self.judging, self.spec, command, NOW)
        if event is not None:
            self.state.evolve(event)
        return event is not None

    def assign(self, juror: str, teams: list[str] | None) -> None:
        command = AssignJuror(command_id=self._id(), event=SLUG, juror=juror, teams=teams, by_organiser="o")
        event = decide_assign(self.judging, self.spec, command, NOW)
        if event is not None:
            self.state.evolve(event)

    def close(self, reopen: bool = False) -> None:
        kind = ReopenJudging if reopen else CloseJudging
        event = decide_close(self.judging, self.spec, kind(command_id=self._id(), event=SLUG, by_organiser="o"), NOW)
        if event is not None:
            self.state.evolve(event)

    def standings(self, jurors: list[str] | None = None) -> Standings:
        return Standings(
            event=SLUG,
            closed=self.judging.closed,
            standings=standings(self.judging, self.spec, jurors or []),
            jurors=progress(self.judging, self.spec, jurors or []),
            absent=[t for t in self.judging.teams.values() if t.id in self.judging.absent],
        )


FULL = {"utilite": 10, "realisation": 10, "simplicite": 10, "pitch": 5}


def refusal(call: object) -> str | None:
    try:
        call()  # type: ignore[operator]
    except Rejected as rejected:
        return rejected.reply.key
    return None


def test_the_total_is_the_weighted_share_of_each_maximum(spec: EventSpec) -> None:
    day = Day(spec, "a")
    day.sheet("j1", "a", {"utilite": 8, "realisation": 6, "simplicite": 7, "pitch": 4})
    # utilite weighs 2: (2 × 0.8 + 0.6 + 0.7 + 0.8) / 5 = 0.74
    [line] = day.standings().standings
    assert line.total == 74.0 and line.given == 4 and line.expected == 4


def test_each_criterion_is_averaged_over_the_jurors_who_scored_it(spec: EventSpec) -> None:
    day = Day(spec, "a")
    day.sheet("j1", "a", {"utilite": 10, "pitch": 5})
    day.sheet("j2", "a", {"utilite": 5})
    [line] = day.standings().standings
    averages = {r.criterion: (r.average, r.count) for r in line.criteria}
    assert averages == {"utilite": (7.5, 2), "realisation": (None, 0), "simplicite": (None, 0), "pitch": (5.0, 1)}
    assert (line.given, line.expected) == (3, 8)


def test_equal_totals_share_a_rank_and_the_next_rank_is_skipped(spec: EventSpec) -> None:
    day = Day(spec, "a", "b", "c")
    day.sheet("j1", "a", FULL)
    day.sheet("j1", "b", FULL)
    day.sheet("j1", "c", {**FULL, "pitch": 0})
    assert [(s.team.id, s.rank) for s in day.standings().standings] == [("a", 1), ("b", 1), ("c", 3)]


def test_giving_a_score_again_replaces_it_and_the_same_score_writes_nothing(spec: EventSpec) -> None:
    day = Day(spec, "a")
    assert day.score("j1", "a", "pitch", 2)
    assert not day.score("j1", "a", "pitch", 2)
    assert day.score("j1", "a", "pitch", 5)
    [line] = day.standings().standings
    assert next(r for r in line.criteria if r.criterion == "pitch").average == 5.0


def test_scores_outside_the_rules_are_refused(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    assert refusal(lambda: day.score("j1", "a", "pitch", 6)) == "judging_points_range"
    assert refusal(lambda: day.score("j1", "a", "nope", 1)) == "judging_no_criterion"
    assert refusal(lambda: day.score("j1", "zz", "pitch", 1)) == "judging_no_team"
    day.assign("j1", ["b"])
    assert refusal(lambda: day.score("j1", "a", "pitch", 1)) == "judging_not_assigned"
    assert day.score("j1", "b", "pitch", 1)
    day.close()
    assert refusal(lambda: day.score("j1", "b", "pitch", 3)) == "judging_closed"
    day.close(reopen=True)
    assert day.score("j1", "b", "pitch", 3)


def test_once_closed_no_juror_can_move_the_standings_and_no_sheet_can_change(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.sheet("j1", "a", FULL)
    day.sheet("j2", "b", FULL)
    day.sheet("j2", "a", {**FULL, "pitch": 0})
    day.close()
    before = day.standings()
    assert refusal(lambda: day.score("j2", "a", "pitch", 5)) == "judging_closed"
    # Taking team a off j2's sheet would drop j2's low score for it and lift a's total.
    assert refusal(lambda: day.assign("j2", ["b"])) == "judging_closed"
    assert day.standings() == before
    day.close(reopen=True)
    day.assign("j2", ["b"])
    assert day.standings() != before


def test_the_limits_of_a_score_and_of_feedback_are_the_same_for_the_messages_and_the_rules(spec: EventSpec) -> None:
    assert (MIN_POINTS, MAX_POINTS, MAX_POINTS_DIGITS, MAX_FEEDBACK_LENGTH) == (0, 100, 3, 2000)
    score = {"command_id": "score-0001", "event": SLUG, "juror": "j1", "team": "a", "criterion": "pitch"}
    for points in (MIN_POINTS, MAX_POINTS):
        assert msgspec.convert({**score, "points": points}, GiveScore).points == points
    for points in (MIN_POINTS - 1, MAX_POINTS + 1):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({**score, "points": points}, GiveScore)
    # No criterion has a wider scale than a score may have.
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"id": "x", "name": "X", "max_points": MAX_POINTS + 1}, Criterion)
    words = {"command_id": "words-0001", "event": SLUG, "juror": "j1", "team": "a"}
    assert msgspec.convert({**words, "text": "é" * MAX_FEEDBACK_LENGTH}, GiveFeedback)
    with pytest.raises(msgspec.ValidationError) as error:
        msgspec.json.decode(msgspec.json.encode({**words, "text": "é" * (MAX_FEEDBACK_LENGTH + 1)}), type=GiveFeedback)
    assert describe_validation_error(error.value)[1:] == ("text", "too_long")

    # The rules hold the same limits for a command made in the process (no boundary checked it).
    day = Day(spec, "a")
    assert refusal(lambda: day.score("j1", "a", "pitch", MIN_POINTS - 1)) == "judging_points_range"
    too_long = GiveFeedback(**words, text="x" * (MAX_FEEDBACK_LENGTH + 1))
    with pytest.raises(Rejected) as refused:
        decide_feedback(day.judging, spec, too_long, NOW)
    reply = refused.value.reply
    assert (reply.code, reply.field, reply.key) == ("invalid", "text", "too_long")
    assert decide_feedback(day.judging, spec, msgspec.structs.replace(too_long, text="x" * MAX_FEEDBACK_LENGTH), NOW)


def test_an_event_without_criteria_has_no_judging(spec: EventSpec) -> None:
    bare = msgspec.structs.replace(spec, criteria=[])
    day = Day(bare, "a")
    assert refusal(lambda: day.score("j1", "a", "pitch", 1)) == "judging_none"


def test_a_disbanded_team_leaves_the_standings_and_the_sheets(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.sheet("j1", "a", FULL)
    day.state.evolve_teams(TeamDisbanded(command_id="d", event=SLUG, team_id="a", by_organiser="o", at=NOW))
    assert [s.team.id for s in day.standings().standings] == ["b"]
    assert day.judging.scores_of("j1") == []


def test_progress_counts_each_jurors_own_sheet(spec: EventSpec) -> None:
    day = Day(spec, "a", "b", "c")
    day.assign("j2", ["c"])
    day.sheet("j1", "a", FULL)
    day.sheet("j2", "c", {"pitch": 3})
    progress_by_juror = {p.juror: (p.given, p.expected) for p in day.standings(["j1", "j2", "j3"]).jurors}
    assert progress_by_juror == {"j1": (4, 12), "j2": (1, 4), "j3": (0, 12)}


def test_assigning_an_unknown_team_is_refused(spec: EventSpec) -> None:
    day = Day(spec, "a")
    command = AssignJuror(command_id="command-x", event=SLUG, juror="j1", teams=["a", "zz"], by_organiser="o")
    with pytest.raises(Rejected) as refused:
        decide_assign(day.judging, spec, command, NOW)
    assert refused.value.reply.field == "teams[1]"


def test_results_are_published_only_from_a_closed_judging_with_scores(spec: EventSpec) -> None:
    day = Day(spec, "a", "b", "unscored")
    publish = PublishResults(command_id="publish-1", event=SLUG, by_organiser="o", note=" Bravo ! ")
    assert refusal(lambda: decide_publish(spec, day.standings(), publish, NOW)) == "results_judging_open"
    day.close()
    assert refusal(lambda: decide_publish(spec, day.standings(), publish, NOW)) == "results_nothing_scored"
    day.close(reopen=True)
    day.sheet("j1", "a", {**FULL, "pitch": 1})
    day.sheet("j1", "b", FULL)
    day.close()
    event = decide_publish(spec, day.standings(), publish, NOW)
    assert [(line.rank, line.team) for line in event.lines] == [(1, "b"), (2, "a")]  # unscored teams are left out
    assert event.note == "Bravo !"
    state = PublishingState()
    state.evolve(event)
    assert state.of(SLUG).version == 1 and state.of(SLUG).lines == event.lines
    withdraw = WithdrawResults(command_id="withdraw-1", event=SLUG, by_organiser="o")
    withdrawn = decide_withdraw(state.of(SLUG), withdraw, NOW)
    assert withdrawn is not None
    state.evolve(withdrawn)
    assert state.of(SLUG).version == 0 and state.of(SLUG).lines == []
    assert decide_withdraw(state.of(SLUG), withdraw, NOW) is None


def test_words_for_a_team_are_kept_anonymous_replaced_and_taken_back(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")

    def write(juror: str, team: str, text: str) -> bool:
        command = GiveFeedback(command_id=day._id(), event=SLUG, juror=juror, team=team, text=text)
        event = decide_feedback(day.judging, spec, command, NOW)
        if event is not None:
            day.state.evolve(event)
        return event is not None

    assert write("j1", "a", " Bravo ")
    assert not write("j1", "a", "Bravo")  # the same words write nothing
    assert write("j2", "a", "Pensez au hors-ligne")
    [a, b] = sorted(day.standings().standings, key=lambda s: s.team.id)
    assert a.feedback == ["Bravo", "Pensez au hors-ligne"] and b.feedback == []
    assert write("j1", "a", "")
    assert next(s for s in day.standings().standings if s.team.id == "a").feedback == ["Pensez au hors-ligne"]
    day.assign("j3", ["b"])
    assert refusal(lambda: write("j3", "a", "Hors de ma fiche")) == "judging_not_assigned"
    day.close()
    assert refusal(lambda: write("j2", "a", "Trop tard")) == "judging_closed"


def test_with_normalisation_a_severe_and_a_lenient_panel_rank_equal_teams_equally(spec: EventSpec) -> None:
    fair = msgspec.structs.replace(spec, normalise_jurors=True)
    for rules, expected in ((spec, ["c", "d"]), (fair, None)):
        day = Day(rules, "a", "b", "c", "d")
        day.assign("severe", ["a", "b"])
        day.assign("lenient", ["c", "d"])
        # Teams a and c are as good, b and d too; the severe juror gives 4 points less.
        for juror, team, points in (("severe", "a", 4), ("severe", "b", 6), ("lenient", "c", 8), ("lenient", "d", 10)):
            day.score(juror, team, "utilite", points)
        totals = {s.team.id: s.total for s in day.standings().standings}
        if expected is not None:
            assert sorted(totals, key=lambda t: -totals[t])[:2] == ["d", "c"]  # raw: the lenient panel wins
        else:
            assert totals["a"] == totals["c"] and totals["b"] == totals["d"] and totals["b"] > totals["a"]


def test_a_juror_with_one_score_on_a_criterion_is_not_corrected(spec: EventSpec) -> None:
    fair = msgspec.structs.replace(spec, normalise_jurors=True)
    day = Day(fair, "a", "b")
    day.assign("once", ["a"])
    day.score("once", "a", "pitch", 1)
    day.score("twice", "a", "pitch", 5)
    day.score("twice", "b", "pitch", 3)
    pitch = {
        s.team.id: next(r.average for r in s.criteria if r.criterion == "pitch") for s in day.standings().standings
    }
    # "twice" averages 4 against a jury mean of 3: one point less; "once" keeps its 1.
    assert pitch == {"a": 2.5, "b": 2.0}


def test_a_command_id_used_for_another_score_is_refused_not_ignored(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    first = GiveScore(command_id="score-0001", event=SLUG, juror="j1", team="a", criterion="pitch", points=4)
    event = decide_score(day.judging, spec, first, NOW)
    assert event is not None
    day.state.evolve(event)
    assert is_repeat(day.state, first)  # the same request again: its first outcome stands
    for other in (
        msgspec.structs.replace(first, juror="j2"),
        msgspec.structs.replace(first, team="b"),
        msgspec.structs.replace(first, points=5),
        GiveFeedback(command_id="score-0001", event=SLUG, juror="j1", team="a", text="Bravo"),
    ):
        assert refusal(lambda other=other: is_repeat(day.state, other)) == "command_id_reused"
    assert [(s.team, s.points) for s in day.judging.scores_of("j1")] == [("a", 4)]
    assert day.judging.scores_of("j2") == []


def test_a_command_id_is_known_only_in_the_event_it_was_given_for(spec: EventSpec) -> None:
    """Judging and publishing remember command ids per event: the same key elsewhere is another command."""
    day = Day(spec, "epis")
    assert day.score("j1", "epis", "utilite", 7)
    assert day.state.done(SLUG, "command-0001")
    assert not day.state.done("table-ronde-numerique-education-2027", "command-0001")
    published = PublishingState()
    published.evolve(ResultsWithdrawn(command_id="withdraw-1", event=SLUG, by_organiser="o", at=NOW))
    assert published.done(SLUG, "withdraw-1")
    assert not published.done("table-ronde-numerique-education-2027", "withdraw-1")


def test_a_withdrawn_score_counts_as_not_given_in_the_standings_progress_and_sheet(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.sheet("j1", "a", FULL)
    day.sheet("j2", "a", {**FULL, "pitch": 0})
    day.sheet("j1", "b", {"utilite": 5})
    before = {s.team.id: s for s in day.standings(["j1", "j2"]).standings}
    assert next(r for r in before["a"].criteria if r.criterion == "pitch").average == 2.5
    event = day.withdraw("j2", "a", "pitch")
    assert event is not None and (event.juror, event.team, event.criterion) == ("j2", "a", "pitch")
    after = day.standings(["j1", "j2"])
    line = next(s for s in after.standings if s.team.id == "a")
    pitch = next(r for r in line.criteria if r.criterion == "pitch")
    assert (pitch.average, pitch.count) == (5.0, 1)
    assert line.given == before["a"].given - 1 and line.total > before["a"].total
    assert {p.juror: p.given for p in after.jurors} == {"j1": 5, "j2": 3}
    assert ("a", "pitch") not in {(s.team, s.criterion) for s in day.judging.scores_of("j2")}
    # Taking back the only score of a criterion leaves it without an average.
    day.withdraw("j1", "b", "utilite")
    line_b = next(s for s in day.standings().standings if s.team.id == "b")
    assert line_b.given == 0 and all(r.average is None for r in line_b.criteria)
    # Given again, it counts again.
    assert day.score("j2", "a", "pitch", 1)
    assert next(r for r in day.standings().standings[0].criteria if r.criterion == "pitch").count == 2


def test_withdrawing_is_refused_when_closed_without_a_score_or_off_the_sheet(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.sheet("j1", "a", FULL)
    assert refusal(lambda: day.withdraw("j1", "a", "nope")) == "judging_no_score"
    assert refusal(lambda: day.withdraw("j2", "a", "pitch")) == "judging_no_score"
    assert refusal(lambda: day.withdraw("j1", "zz", "pitch")) == "judging_no_team"
    day.close()
    before = day.standings()
    assert refusal(lambda: day.withdraw("j1", "a", "pitch")) == "judging_closed"
    assert day.standings() == before
    day.close(reopen=True)
    day.assign("j1", ["b"])
    assert refusal(lambda: day.withdraw("j1", "a", "pitch")) == "judging_not_assigned"
    day.assign("j1", None)
    assert day.withdraw("j1", "a", "pitch") is not None
    assert refusal(lambda: day.withdraw("j1", "a", "pitch")) == "judging_no_score"


def test_a_repeated_withdraw_keeps_its_first_outcome_and_its_id_cannot_ask_something_else(spec: EventSpec) -> None:
    day = Day(spec, "a")
    day.score("j1", "a", "pitch", 4)
    assert day.withdraw("j1", "a", "pitch", command_id="withdraw-0001") is not None
    day.score("j1", "a", "pitch", 3)
    # The same command again (a double tap, a resend from the phone) does not take back the new score.
    assert day.withdraw("j1", "a", "pitch", command_id="withdraw-0001") is None
    assert [(s.criterion, s.points) for s in day.judging.scores_of("j1")] == [("pitch", 3)]
    assert refusal(lambda: day.withdraw("j1", "a", "utilite", command_id="withdraw-0001")) == "command_id_reused"


def test_correcting_a_score_moves_the_standings_and_keeps_one_score(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.sheet("j1", "a", FULL)
    day.sheet("j1", "b", {**FULL, "pitch": 4})
    assert [s.team.id for s in day.standings().standings] == ["a", "b"]
    assert day.score("j1", "a", "utilite", 2)
    assert [s.team.id for s in day.standings().standings] == ["b", "a"]
    assert len(day.judging.scores_of("j1")) == 8
    assert {p.juror: p.given for p in day.standings().jurors} == {"j1": 8}


def test_an_absent_team_leaves_the_standings_is_not_scored_zero_and_comes_back_when_undone(spec: EventSpec) -> None:
    day = Day(spec, "a", "b", "c")
    day.sheet("j1", "a", {**FULL, "pitch": 1})
    day.sheet("j1", "b", FULL)
    day.sheet("j1", "c", {"utilite": 3})
    assert day.absent("b", by_juror="j1")
    marked = day.standings(["j1"])
    assert [s.team.id for s in marked.standings] == ["a", "c"]
    assert [s.rank for s in marked.standings] == [1, 2]  # not a zero at the bottom: out of the ranking
    assert [t.id for t in marked.absent] == ["b"]
    assert {p.juror: (p.given, p.expected) for p in marked.jurors} == {"j1": (5, 8)}
    assert refusal(lambda: day.score("j1", "b", "pitch", 2)) == "judging_team_absent"
    assert not day.absent("b", by_juror="j1")  # already absent: nothing written
    # Only the organiser takes it back; the scores given before count again.
    assert refusal(lambda: day.absent("b", absent=False, by_juror="j1")) == "judging_absent_undo"
    assert day.absent("b", absent=False)
    back = day.standings(["j1"])
    assert [s.team.id for s in back.standings] == ["b", "a", "c"] and back.absent == []
    assert day.score("j1", "b", "pitch", 2)


def test_marking_a_team_absent_is_refused_off_the_sheet_when_closed_or_from_nobody(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.assign("j1", ["a"])
    assert refusal(lambda: day.absent("b", by_juror="j1")) == "judging_not_assigned"
    assert refusal(lambda: day.absent("zz")) == "judging_no_team"
    nobody = MarkAbsent(command_id="absent-0001", event=SLUG, team="a")
    assert refusal(lambda: decide_absent(day.judging, spec, nobody, NOW)) == "judging_absent_by"
    both = MarkAbsent(command_id="absent-0002", event=SLUG, team="a", by_juror="j1", by_organiser="o")
    assert refusal(lambda: decide_absent(day.judging, spec, both, NOW)) == "judging_absent_by"
    day.close()
    assert refusal(lambda: day.absent("a")) == "judging_closed"
    assert day.judging.absent == set()


def test_with_the_jury_model_an_absent_team_is_left_out_of_the_fit(spec: EventSpec) -> None:
    modelled = msgspec.structs.replace(spec, jury_model=True)
    day = Day(modelled, "a", "b", "c")
    for juror, points in (("j1", 8), ("j2", 6)):
        day.sheet(juror, "a", {"utilite": points})
        day.sheet(juror, "b", {"utilite": points - 4})
        day.sheet(juror, "c", {"utilite": points - 2})
    day.absent("a")
    lines = day.standings().standings
    assert [s.team.id for s in lines] == ["c", "b"] and lines[0].rank == 1


# --- Paper backup: the organiser imports the printed sheets as one CSV file ---

PAPER_JURORS = {"j1": "Anne Fermière", "j2": "Bruno Élu"}


def imported(day: Day, text: str, command_id: str = "paper-import-1") -> list[tuple[int, str | None]] | None:
    """The file imported (None), or every (row, key) refused, with nothing imported."""
    command = ImportScores(command_id=command_id, event=SLUG, csv_text=text, jurors=PAPER_JURORS, by_organiser="o")
    if is_repeat(day.state, command):
        return None
    before = dict(day.judging.scores)
    try:
        event = decide_import(day.judging, day.spec, command, NOW)
    except Rejected as rejected:
        assert day.judging.scores == before
        return [(int((p.field or "row:0").removeprefix("row:")), p.key) for p in rejected.reply.every_problem()]
    day.state.evolve(event)
    return None


def test_a_paper_file_gives_the_same_standings_as_the_same_scores_on_phones(spec: EventSpec) -> None:
    phones = Day(spec, "a", "b")
    phones.sheet("j1", "a", {"utilite": 8, "pitch": 4})
    phones.sheet("j2", "b", {"utilite": 6, "realisation": 7})
    paper = Day(spec, "a", "b")
    text = (
        "juror,team,criterion,score\n"
        "j1,a,utilite,8\n"
        # A juror and a team may be written by name, a criterion by its French or English name.
        "anne fermière,A,Pitch,4\n"
        "Bruno Élu,b,utilite,6\n"
        "j2,b,Qualité de la réalisation,7\n"
    )
    assert imported(paper, text) is None
    assert paper.standings().standings == phones.standings().standings


def test_a_paper_score_replaces_a_phone_score_for_the_same_cell(spec: EventSpec) -> None:
    day = Day(spec, "a")
    day.score("j1", "a", "pitch", 1)
    assert imported(day, "juror,team,criterion,score\nj1,a,pitch,5\n") is None
    assert day.judging.scores[("j1", "a", "pitch")].points == 5


def test_every_bad_row_is_listed_with_its_problem_and_nothing_is_imported(spec: EventSpec) -> None:
    day = Day(spec, "a", "b", "c")
    day.absent("c")
    day.assign("j2", ["b"])
    text = (
        "juror,team,criterion,score\n"
        "j1,a,utilite,8\n"  # 2: fine, yet not imported
        "nobody,a,utilite,8\n"  # 3
        "j1,zz,utilite,8\n"  # 4
        "j1,a,beauty,8\n"  # 5
        "j1,a,pitch,6\n"  # 6: pitch is out of 5
        "j1,a,realisation,7.5\n"  # 7
        "j1,a,simplicite,huit\n"  # 8
        "j1,a,utilite,9\n"  # 9: row 2 again
        "j1,c,utilite,5\n"  # 10: absent
        "j2,a,utilite,5\n"  # 11: not on j2's sheet
        "j1,,pitch,3\n"  # 12
        "Anne Fermière,a,utilite,4\n"  # 13: row 2 again, by name
    )
    assert imported(day, text) == [
        (3, "judging_csv_unknown_juror"),
        (4, "judging_csv_unknown_team"),
        (5, "judging_csv_unknown_criterion"),
        (6, "judging_csv_off_scale"),
        (7, "judging_csv_not_whole"),
        (8, "judging_csv_not_a_number"),
        (9, "judging_csv_duplicate"),
        (10, "judging_csv_team_absent"),
        (11, "judging_csv_not_assigned"),
        (12, "judging_csv_empty_cell"),
        (13, "judging_csv_duplicate"),
    ]
    assert day.judging.scores == {}


def test_a_file_without_its_header_or_rows_or_once_judging_closed_is_refused(spec: EventSpec) -> None:
    day = Day(spec, "a")
    assert imported(day, "juror,team,points\nj1,a,8\n") == [(1, "judging_csv_columns")]
    assert imported(day, "juror,team,criterion,score\n") == [(1, "judging_csv_no_rows")]
    assert imported(day, "") == [(1, "judging_csv_columns")]
    day.close()
    # Row 0: the whole file, not one row.
    assert imported(day, "juror,team,criterion,score\nj1,a,pitch,5\n") == [(0, "judging_closed")]


def test_an_import_repeated_returns_its_first_outcome_and_its_id_serves_one_file(spec: EventSpec) -> None:
    day = Day(spec, "a")
    text = "juror,team,criterion,score\nj1,a,pitch,5\n"
    assert imported(day, text, "paper-once-1") is None
    day.score("j1", "a", "pitch", 2)
    assert imported(day, text, "paper-once-1") is None  # a repeat: the phone's 2 stands
    assert day.judging.scores[("j1", "a", "pitch")].points == 2
    assert refusal(lambda: imported(day, text + "j1,a,utilite,3\n", "paper-once-1")) == "command_id_reused"


def test_scores_given_together_apply_each_as_its_own_and_a_draft_leaves_the_state_alone(spec: EventSpec) -> None:
    """Scores decided one after the other on a draft, as a batch is, then stored as one event."""
    day = Day(spec, "a", "b")
    day.score("j1", "a", "pitch", 2)
    draft = day.state.draft(SLUG)
    given = []
    for i, (juror, points) in enumerate((("j1", 4), ("j2", 3), ("j1", 5))):
        command = GiveScore(
            command_id=f"batch-{i:04d}", event=SLUG, juror=juror, team="a", criterion="pitch", points=points
        )
        event = decide_score(draft.of(SLUG), spec, command, NOW)
        assert event is not None
        draft.evolve(event)
        given.append(event)
    # Nothing reached the state itself: its judging and its commands are as they were.
    assert day.judging.scores[("j1", "a", "pitch")].points == 2 and ("j2", "a", "pitch") not in day.judging.scores
    assert not day.state.done(SLUG, "batch-0000")
    day.state.evolve(ScoresGiven(event=SLUG, scores=given))
    # The last of the same cell counts, and each command is known as its own: a repeat changes nothing.
    assert day.judging.scores[("j1", "a", "pitch")].points == 5 and day.judging.scores[("j2", "a", "pitch")].points == 3
    repeat = GiveScore(command_id="batch-0001", event=SLUG, juror="j2", team="a", criterion="pitch", points=3)
    assert is_repeat(day.state, repeat)
    with pytest.raises(Rejected):  # the same id for another score is refused, inside a batch or not
        is_repeat(day.state, msgspec.structs.replace(repeat, points=1))
