"""Conflicts of interest in judging, without a network: declared ones (by the juror, by the
organiser), those found from the teams' members and the registrations' e-mails, and every
place they are respected (sheets, scores, words, absences, paper, assignments, standings)."""

from datetime import UTC, datetime

import msgspec
import pytest

from schemas.catalog import EventSpec
from schemas.judging import ConflictReason, DeclareConflict, GiveFeedback
from schemas.teams import ConfirmedTeam, MemberJoined, MemberLeft, ProposalConfirmed, TeamCreated
from services.catalog.files import read_event_file
from services.judging.rules import (
    Person,
    automatic_conflicts,
    decide_conflict,
    decide_feedback,
    is_repeat,
    severity_offsets,
)
from tests.unit.test_judging_rules import EVENT_FILE, FULL, SLUG, Day, imported, refusal

NOW = datetime(2027, 6, 13, 15, 0, tzinfo=UTC)


@pytest.fixture
def spec() -> EventSpec:
    return read_event_file(EVENT_FILE)


def declare(
    day: Day,
    juror: str,
    team: str,
    reason: ConflictReason = "other",
    conflicted: bool = True,
    by_juror: bool = True,
    command_id: str | None = None,
) -> bool:
    """The conflict declared (or lifted); True when it changed something."""
    command = DeclareConflict(
        command_id=command_id or day._id(),
        event=SLUG,
        juror=juror,
        team=team,
        reason=reason,
        conflicted=conflicted,
        by_juror=juror if by_juror else None,
        by_organiser=None if by_juror else "o",
    )
    if is_repeat(day.state, command):
        return False
    event = decide_conflict(day.judging, day.spec, command, NOW)
    if event is not None:
        day.state.evolve(event)
    return event is not None


def sheet_of(day: Day, juror: str) -> list[str]:
    return [t.id for t in day.judging.teams_of(juror)]


# --- declared conflicts ---


def test_a_juror_who_declares_a_conflict_loses_the_team_from_their_sheet_and_cannot_take_it_back(
    spec: EventSpec,
) -> None:
    day = Day(spec, "a", "b")
    assert declare(day, "j1", "a")
    assert sheet_of(day, "j1") == ["b"] and sheet_of(day, "j2") == ["a", "b"]
    assert day.judging.conflicts_of("j1") == {"a": "other"}
    assert refusal(lambda: declare(day, "j1", "a", conflicted=False)) == "judging_conflict_undo"
    # Declaring it again (even with another reason from the juror) keeps it; the organiser lifts it.
    assert not declare(day, "j1", "a")
    assert declare(day, "j1", "a", conflicted=False, by_juror=False)
    assert sheet_of(day, "j1") == ["a", "b"]
    assert not declare(day, "j1", "a", conflicted=False, by_juror=False)  # nothing left to lift


def test_who_declares_must_be_said_and_a_juror_declares_only_for_themself(spec: EventSpec) -> None:
    day = Day(spec, "a")
    both = DeclareConflict(
        command_id="conflict-0001", event=SLUG, juror="j1", team="a", by_juror="j1", by_organiser="o"
    )
    neither = DeclareConflict(command_id="conflict-0002", event=SLUG, juror="j1", team="a")
    other = DeclareConflict(command_id="conflict-0003", event=SLUG, juror="j1", team="a", by_juror="j2")
    for command in (both, neither, other):
        assert (
            refusal(lambda command=command: decide_conflict(day.judging, spec, command, NOW)) == "judging_conflict_by"
        )
    assert refusal(lambda: declare(day, "j1", "zz")) == "judging_no_team"
    day.close()
    assert refusal(lambda: declare(day, "j1", "a")) == "judging_closed"
    assert day.judging.declared == {}


def test_a_repeated_declaration_keeps_its_first_outcome_and_its_id_serves_one_request(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    assert declare(day, "j1", "a", command_id="conflict-once")
    assert not declare(day, "j1", "a", command_id="conflict-once")
    assert refusal(lambda: declare(day, "j1", "b", command_id="conflict-once")) == "command_id_reused"
    assert sheet_of(day, "j1") == ["b"]


def test_a_conflicted_team_cannot_be_scored_withdrawn_given_words_or_marked_absent_by_that_juror(
    spec: EventSpec,
) -> None:
    day = Day(spec, "a", "b")
    day.score("j1", "a", "pitch", 4)
    declare(day, "j1", "a")
    assert refusal(lambda: day.score("j1", "a", "pitch", 5)) == "judging_conflict"
    assert refusal(lambda: day.withdraw("j1", "a", "pitch")) == "judging_conflict"
    words = GiveFeedback(command_id="words-0001", event=SLUG, juror="j1", team="a", text="Bravo")
    assert refusal(lambda: decide_feedback(day.judging, spec, words, NOW)) == "judging_conflict"
    assert refusal(lambda: day.absent("a", by_juror="j1")) == "judging_conflict"
    # Others still judge it, and the organiser still marks it absent.
    assert day.score("j2", "a", "pitch", 3)
    assert day.absent("a")


def test_a_conflicted_team_cannot_be_assigned_to_that_juror(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    declare(day, "j1", "a", by_juror=False)
    assert refusal(lambda: day.assign("j1", ["b", "a"])) == "judging_conflict_assign"
    day.assign("j1", ["b"])
    assert sheet_of(day, "j1") == ["b"]
    # « Every team » leaves the conflicted one out.
    day.assign("j1", None)
    assert sheet_of(day, "j1") == ["b"]


def test_paper_rows_for_a_conflicted_team_are_refused_by_their_own_key(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    declare(day, "j1", "a")
    text = "juror,team,criterion,score\nj1,b,pitch,3\nj1,a,pitch,4\nj2,a,pitch,2\n"
    assert imported(day, text) == [(3, "judging_csv_conflict")]
    assert day.judging.scores == {}


def test_scores_given_before_the_conflict_was_known_stop_counting(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    words = GiveFeedback(command_id="words-0001", event=SLUG, juror="j1", team="a", text="Bravo")
    day.state.evolve(decide_feedback(day.judging, spec, words, NOW))  # type: ignore[arg-type]
    day.sheet("j1", "a", FULL)
    day.sheet("j2", "a", {**FULL, "pitch": 0})
    day.sheet("j1", "b", FULL)
    before = {s.team.id: s for s in day.standings(["j1", "j2"]).standings}
    assert before["a"].jurors == 2
    declare(day, "j1", "a", by_juror=False)
    after = day.standings(["j1", "j2"])
    lines = {s.team.id: s for s in after.standings}
    pitch = next(r for r in lines["a"].criteria if r.criterion == "pitch")
    assert (pitch.average, pitch.count, lines["a"].jurors) == (0.0, 1, 1)
    assert (lines["a"].given, lines["a"].expected) == (4, 4)
    assert lines["a"].feedback == []  # nor are their words passed on
    progress = {p.juror: (p.given, p.expected) for p in after.jurors}
    # j1 still has b (and its 4 scores); j2 has both teams.
    assert progress == {"j1": (4, 8 // 2), "j2": (4, 8)}
    # Lifting it brings the scores back: they were never lost.
    declare(day, "j1", "a", conflicted=False, by_juror=False)
    assert {s.team.id: s.jurors for s in day.standings(["j1", "j2"]).standings}["a"] == 2


def test_a_conflicted_score_says_nothing_of_its_juror_s_severity(spec: EventSpec) -> None:
    day = Day(spec, "a", "b")
    day.spec = msgspec.structs.replace(spec, normalise_jurors=True)
    day.sheet("j1", "a", FULL)
    day.sheet("j1", "b", dict.fromkeys(FULL, 0))
    day.sheet("j2", "a", dict.fromkeys(FULL, 1))
    day.sheet("j2", "b", dict.fromkeys(FULL, 1))
    assert ("j1", "pitch") in severity_offsets(day.judging, day.spec)
    declare(day, "j1", "a", by_juror=False)
    # One score left on each criterion: too few to say how severe j1 is.
    assert ("j1", "pitch") not in severity_offsets(day.judging, day.spec)
    assert {s.team.id: s.jurors for s in day.standings(["j1", "j2"]).standings} == {"a": 1, "b": 2}


# --- automatic conflicts: the same person in a team ---


def people(*rows: tuple[str, str, str]) -> list[Person]:
    return [Person(registration=r, email=e, category=c) for r, e, c in rows]


def test_a_juror_whose_person_is_in_a_team_or_mentors_it_is_conflicted_with_it() -> None:
    registrations = people(
        ("juror-claire", "Claire@Example.org ", "jury"),
        ("part-claire", "claire@example.org", "participant"),
        ("juror-nina", "nina@example.org", "jury"),
        ("mentor-nina", " NINA@example.ORG", "mentor"),
        ("juror-paul", "paul@example.org", "jury"),
        ("part-lea", "lea@example.org", "participant"),
    )
    members = {"a": {"part-claire", "part-lea"}, "b": {"mentor-nina"}, "c": set()}
    assert automatic_conflicts(registrations, members) == {
        ("juror-claire", "a"): "member",
        ("part-claire", "a"): "member",
        ("part-lea", "a"): "member",
        ("juror-nina", "b"): "mentor",
        ("mentor-nina", "b"): "mentor",
    }


def test_an_empty_e_mail_makes_nobody_the_same_person() -> None:
    registrations = people(("juror-x", "", "jury"), ("part-x", " ", "participant"))
    # The member itself only (an erased registration has no e-mail left).
    assert automatic_conflicts(registrations, {"a": {"part-x"}}) == {("part-x", "a"): "member"}


def test_members_follow_the_teams_stream_and_an_automatic_conflict_cannot_be_lifted(spec: EventSpec) -> None:
    day = Day(spec)
    day.state.evolve_teams(
        TeamCreated(command_id="t-a", event=SLUG, team_id="a", name="A", code="ABC123", founder="p1", at=NOW)
    )
    day.state.evolve_teams(MemberJoined(command_id="m-1", event=SLUG, team_id="a", registration="p2", at=NOW))
    formed = ConfirmedTeam(team_id="f", name="Formée", code="DEF456", members=["p3"], added=["p3"])
    day.state.evolve_teams(
        ProposalConfirmed(command_id="conf-1", event=SLUG, revision=1, teams=[formed], by_organiser="o", at=NOW)
    )
    day.state.evolve_teams(MemberLeft(command_id="m-2", event=SLUG, team_id="a", registration="p2", at=NOW))
    assert day.judging.members == {"a": {"p1"}, "f": {"p3"}}
    # A team the formation made is a team to judge.
    assert "f" in day.judging.teams
    day.judging.automatic = automatic_conflicts(
        people(("j1", "p3@example.org", "jury"), ("p3", "P3@example.org", "participant")), day.judging.members
    )
    assert sheet_of(day, "j1") == ["a"]
    assert refusal(lambda: declare(day, "j1", "f", conflicted=False, by_juror=False)) == "judging_conflict_automatic"
    assert refusal(lambda: day.score("j1", "f", "pitch", 3)) == "judging_conflict"
    assert [(c.juror, c.team, c.reason, c.automatic) for c in day.judging.conflicts()] == [
        ("j1", "f", "member", True),
        ("p1", "a", "member", True),
        ("p3", "f", "member", True),
    ]


@pytest.mark.parametrize("reason", ["member", "mentor"])
def test_what_the_teams_say_wins_over_a_reason_declared(spec: EventSpec, reason: ConflictReason) -> None:
    day = Day(spec, "a")
    declare(day, "j1", "a", "other", by_juror=False)
    day.judging.automatic = {("j1", "a"): reason}
    assert day.judging.conflicts_of("j1") == {"a": reason}
