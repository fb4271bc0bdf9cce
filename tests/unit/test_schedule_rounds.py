"""Pitch order and jury rounds: every team once, enough jurors, no conflicts, balanced loads."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from schemas.catalog import Category, EventSpec, RoomSpec, Span, Venue
from schemas.errors import Rejected
from schemas.schedule import (
    Agenda,
    Contributor,
    GenerateRounds,
    PutContributor,
    PutSession,
    RemoveContributor,
    RemoveSession,
    Session,
    Team,
)
from services.schedule.rounds import REGISTERED_JUROR_NAME, generate_rounds, registered_juror_id
from services.schedule.rules import apply_edits, find_issues, overlaps

START = datetime(2027, 6, 13, 12, 0, tzinfo=UTC)
EVENT = EventSpec(
    slug="essai",
    title="Essai",
    kind="hackathon",
    starts_at=START - timedelta(days=2),
    ends_at=START + timedelta(hours=10),
    venue=Venue(name="École"),
    categories=[Category(id="participant", name="Participant", capacity=10)],
)
ROOMS = [RoomSpec(id=f"salle-{i}", name=f"Salle {i}") for i in range(1, 4)]


def draft(teams: int, jurors: int, conflicts: dict[int, list[int]] | None = None) -> Agenda:
    conflicts = conflicts or {}
    return Agenda(
        rooms=ROOMS,
        teams=[Team(id=f"t{i}", name=f"Équipe {i}") for i in range(teams)],
        people=[
            Contributor(id=f"j{i}", name=f"Juré {i}", role="juror", conflicts=[f"t{t}" for t in conflicts.get(i, [])])
            for i in range(jurors)
        ]
        + [Contributor(id="speaker", name="Intervenante")],
    )


def rounds(agenda: Agenda, rooms: int = 2, per_team: int = 3, **options: object) -> list[Session]:
    command = GenerateRounds(
        command_id="rounds-1",
        event="essai",
        by_organiser="orga",
        starts_at=START,
        rooms=[r.id for r in ROOMS[:rooms]],
        jurors_per_team=per_team,
        **options,  # type: ignore[arg-type]
    )
    edits = generate_rounds(agenda, EVENT, command)
    return [e.session for e in edits if isinstance(e, PutSession)]


def check(agenda: Agenda, sessions: list[Session], per_team: int) -> None:
    """The invariants every generated schedule must keep, whatever the input."""
    pitches = [s for s in sessions if s.kind == "pitch"]
    assert sorted(s.team or "" for s in pitches) == sorted(t.id for t in agenda.teams)
    for pitch in pitches:
        assert len(set(pitch.people)) == per_team
        for juror in pitch.people:
            person = agenda.person(juror)
            assert person is not None and person.role == "juror"
            assert pitch.team not in person.conflicts
    for a in pitches:
        for b in pitches:
            if a is not b and overlaps(a, b):
                assert a.room != b.room
                assert not set(a.people) & set(b.people)
    merged = apply_edits(agenda, [PutSession(session=s) for s in sessions])
    assert find_issues(merged, EVENT.starts_at, EVENT.ends_at) == []


def test_every_team_pitches_once_before_enough_jurors_with_loads_balanced() -> None:
    agenda = draft(teams=11, jurors=7)
    sessions = rounds(agenda, rooms=2, per_team=3)
    check(agenda, sessions, per_team=3)
    loads = Counter(j for s in sessions if s.kind == "pitch" for j in s.people)
    assert set(loads) == {f"j{i}" for i in range(7)}
    assert max(loads.values()) - min(loads.values()) <= 1


def test_jurors_never_judge_a_team_they_have_a_conflict_of_interest_with() -> None:
    agenda = draft(teams=6, jurors=5, conflicts={0: [0, 1, 2], 1: [0], 2: [3, 4, 5]})
    check(agenda, rounds(agenda, rooms=1, per_team=2), per_team=2)


def test_random_inputs_always_give_a_valid_schedule() -> None:
    generator = random.Random(2027)
    for _ in range(60):
        rooms = generator.randint(1, 3)
        per_team = generator.randint(1, 3)
        jurors = rooms * per_team + generator.randint(0, 4)
        teams = generator.randint(1, 14)
        conflicts = {j: generator.sample(range(teams), k=min(teams, generator.randint(0, 2))) for j in range(jurors)}
        agenda = draft(teams, jurors, conflicts)
        try:
            sessions = rounds(agenda, rooms=rooms, per_team=per_team, break_every=generator.randint(0, 4))
        except Rejected as refused:
            # Only when some team really lacks jurors free of conflicts.
            assert refused.reply.key == "rounds_conflicts"
            free = [sum(f"t{t}" not in p.conflicts for p in agenda.people if p.role == "juror") for t in range(teams)]
            assert min(free) < per_team
            continue
        check(agenda, sessions, per_team)


def test_breaks_come_after_the_given_number_of_pitches_and_the_jury_then_deliberates() -> None:
    agenda = draft(teams=6, jurors=3)
    sessions = rounds(
        agenda, rooms=1, per_team=3, pitch_minutes=10, changeover_minutes=5, break_every=2, deliberation_minutes=45
    )
    kinds = [s.kind for s in sorted(sessions, key=lambda s: s.starts_at)]
    assert kinds == ["pitch", "pitch", "break", "pitch", "pitch", "break", "pitch", "pitch", "judging"]
    deliberation = sessions[-1]
    last_pitch = max((s for s in sessions if s.kind == "pitch"), key=lambda s: s.ends_at)
    assert deliberation.starts_at == last_pitch.ends_at
    assert deliberation.ends_at - deliberation.starts_at == timedelta(minutes=45)
    assert sorted(deliberation.people) == ["j0", "j1", "j2"]
    assert deliberation.audience == "jurors"


def test_the_same_seed_gives_the_same_order_and_ids_follow_teams_not_positions() -> None:
    agenda = draft(teams=8, jurors=6)
    first, again = rounds(agenda, seed=7), rounds(agenda, seed=7)
    other = rounds(agenda, seed=8)
    assert first == again
    assert [s.team for s in first] != [s.team for s in other]
    assert {s.id: s.team for s in first} == {s.id: s.team for s in other}


def test_regenerating_replaces_the_old_pitches_and_the_placeholder_block() -> None:
    agenda = draft(teams=4, jurors=3)
    block = Session(id="pitchs", title="Pitchs", kind="pitch", starts_at=START, ends_at=START + timedelta(hours=2))
    old = Session(id="pitch-old", title="Old", kind="pitch", starts_at=START, ends_at=START, origin="generated")
    agenda = apply_edits(agenda, [PutSession(session=block), PutSession(session=old)])
    command = GenerateRounds(
        command_id="rounds-2",
        event="essai",
        by_organiser="orga",
        starts_at=START,
        rooms=["salle-1"],
        jurors_per_team=2,
        replace=["pitchs"],
    )
    edits = generate_rounds(agenda, EVENT, command)
    removed = sorted(e.id for e in edits if isinstance(e, RemoveSession))
    assert removed == ["pitch-old", "pitchs"]
    assert find_issues(apply_edits(agenda, edits), EVENT.starts_at, EVENT.ends_at) == []


def test_jurors_are_only_given_pitches_when_they_are_available() -> None:
    agenda = draft(teams=4, jurors=3)
    late = Contributor(
        id="j2",
        name="Juré 2",
        role="juror",
        availability=[Span(starts_at=START + timedelta(hours=1), ends_at=START + timedelta(hours=5))],
    )
    agenda = Agenda(rooms=agenda.rooms, teams=agenda.teams, people=[*agenda.people[:2], late])
    sessions = rounds(agenda, rooms=1, per_team=3, pitch_minutes=20, changeover_minutes=10)
    check(agenda, sessions, per_team=3)
    assert min(s.starts_at for s in sessions) >= START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("teams", "jurors", "rooms", "per_team", "key"),
    [
        (0, 3, 1, 2, "rounds_no_team"),
        (3, 2, 1, 3, "rounds_too_few_jurors"),
        (3, 5, 2, 3, "rounds_too_few_jurors"),
    ],
)
def test_impossible_rounds_are_refused_with_the_reason(
    teams: int, jurors: int, rooms: int, per_team: int, key: str
) -> None:
    with pytest.raises(Rejected) as refused:
        rounds(draft(teams, jurors), rooms=rooms, per_team=per_team)
    assert refused.value.reply.key == key


def test_a_team_every_juror_is_conflicted_with_is_named_in_the_refusal() -> None:
    with pytest.raises(Rejected) as refused:
        rounds(draft(3, 3, {0: [1], 1: [1]}), rooms=1, per_team=2)
    assert "Équipe 1" in refused.value.reply.message


def test_jurors_registered_on_the_jury_page_judge_with_the_drafts_and_join_it_by_registration_alone() -> None:
    agenda = draft(teams=4, jurors=1)
    registered = ["reg-a", "reg-b", "reg-c"]
    command = GenerateRounds(
        command_id="rounds-1",
        event="essai",
        by_organiser="orga",
        starts_at=START,
        rooms=[ROOMS[0].id],
        jurors_per_team=3,
        deliberation_minutes=30,
        registered_jurors=registered,
    )
    edits = generate_rounds(agenda, EVENT, command)
    joined = [e.contributor for e in edits if isinstance(e, PutContributor)]
    assert [p.registration for p in joined] == registered
    assert {p.role for p in joined} == {"juror"} and {p.name for p in joined} == {REGISTERED_JUROR_NAME}
    merged = apply_edits(agenda, edits)
    sessions = [e.session for e in edits if isinstance(e, PutSession)]
    check(merged, sessions, per_team=3)
    judging = {merged.person(j).registration for s in sessions if s.kind == "pitch" for j in s.people}  # type: ignore[union-attr]
    assert judging == {None, *registered}  # the draft's own juror (no registration) and the registered ones
    # Generating again adds nobody twice; a juror who cancelled no longer judges and leaves the draft.
    later = msgspec.structs.replace(command, registered_jurors=registered[:2] + ["reg-d"])
    again = generate_rounds(merged, EVENT, later)
    assert [e.contributor.registration for e in again if isinstance(e, PutContributor)] == ["reg-d"]
    assert [e.id for e in again if isinstance(e, RemoveContributor)] == [registered_juror_id("reg-c")]
    after = apply_edits(merged, again)
    assert sorted(p.registration or "" for p in after.people if p.role == "juror") == ["", "reg-a", "reg-b", "reg-d"]
    # Without the registered jurors, the draft's single juror cannot make a panel of three.
    with pytest.raises(Rejected):
        generate_rounds(agenda, EVENT, msgspec.structs.replace(command, registered_jurors=None))


def test_registered_jurors_bring_judging_s_conflicts_and_no_panel_seats_them_before_those_teams() -> None:
    agenda = draft(teams=4, jurors=1)
    command = GenerateRounds(
        command_id="rounds-1",
        event="essai",
        by_organiser="orga",
        starts_at=START,
        rooms=[ROOMS[0].id],
        jurors_per_team=2,
        registered_jurors=["reg-a", "reg-b", "reg-c"],
        registered_conflicts={"reg-a": ["t0", "t2"], "reg-b": ["t1"]},
    )
    edits = generate_rounds(agenda, EVENT, command)
    joined = {e.contributor.registration: e.contributor.conflicts for e in edits if isinstance(e, PutContributor)}
    assert joined == {"reg-a": ["t0", "t2"], "reg-b": ["t1"], "reg-c": []}
    merged = apply_edits(agenda, edits)
    sessions = [e.session for e in edits if isinstance(e, PutSession)]
    check(merged, sessions, per_team=2)
    seated = {s.team: {merged.person(j).registration for j in s.people} for s in sessions if s.kind == "pitch"}  # type: ignore[union-attr]
    assert "reg-a" not in seated["t0"] | seated["t2"] and "reg-b" not in seated["t1"]
    assert not [
        i for i in find_issues(merged, EVENT.starts_at, EVENT.ends_at) if i.kind == "juror_conflict_of_interest"
    ]
    # A conflict judging learns later reaches the juror already in the draft, who is put again.
    later = msgspec.structs.replace(command, command_id="rounds-2", registered_conflicts={"reg-c": ["t3"]})
    again = generate_rounds(merged, EVENT, later)
    put = {e.contributor.registration: e.contributor.conflicts for e in again if isinstance(e, PutContributor)}
    assert put == {"reg-c": ["t3"]}
    after = apply_edits(merged, again)
    assert all(
        after.person(j).registration != "reg-c"  # type: ignore[union-attr]
        for s in after.sessions
        if s.team == "t3"
        for j in s.people
    )
    # Too many conflicts for a team: refused, said plainly.
    crowded = msgspec.structs.replace(command, registered_conflicts={r: ["t0"] for r in ("reg-a", "reg-b", "reg-c")})
    with pytest.raises(Rejected) as refused:
        generate_rounds(agenda, EVENT, crowded)
    assert refused.value.reply.key == "rounds_conflicts"
