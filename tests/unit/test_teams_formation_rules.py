"""Formation's pure rules (issue 13): links, the draft (propose, move, lock, rerun, discard), its
confirmation on the teams as they are now, and what the organiser reads of it."""

from datetime import UTC, datetime

import pytest

from schemas.catalog import Category, Challenge, EventSpec, Question, TeamFormation, Venue
from schemas.errors import Rejected
from schemas.judging import JudgingClosed
from schemas.registration import Registered, RegistrationCancelled
from schemas.teams import (
    ConfirmProposal,
    CreateTeam,
    DisbandTeam,
    DiscardProposal,
    JoinTeam,
    LinkPeople,
    LockProposed,
    MoveProposed,
    ProposalConfirmed,
    ProposeTeams,
    TeamsEvent,
    TeamsProposed,
    UnlinkPeople,
)
from services.kit.team_formation import Person
from services.teams.formation import missing_inputs, people_of, person_of, proposal_view
from services.teams.proposals import (
    decide_confirm,
    decide_discard,
    decide_link,
    decide_lock,
    decide_move,
    decide_propose,
    decide_unlink,
)
from services.teams.rules import TeamsState, decide_create, decide_disband, decide_join, team_list

NOW = datetime(2027, 5, 2, 10, 0, tzinfo=UTC)
SLUG = "hack-2027"
ORGANISER = "orga-1"
CODES = "code"

EVENT = EventSpec(
    slug=SLUG,
    title="Hackathon",
    kind="hackathon",
    starts_at=datetime(2027, 6, 11, 7, 0, tzinfo=UTC),
    ends_at=datetime(2027, 6, 13, 16, 0, tzinfo=UTC),
    venue=Venue(name="École"),
    categories=[
        Category(id="participant", name="Participant", capacity=60, default=True),
        Category(id="public", name="Public", capacity=100),
    ],
    challenges=[
        Challenge(id="traite", title="Suivre la traite"),
        Challenge(id="meteo", title="La météo de ma parcelle"),
    ],
    questions=[
        Question(id="defis", kind="ranking", label="Vos défis préférés", ranks=2),
        Question(id="competences", kind="multi_choice", label="Compétences", choices=["Python", "Design", "Élevage"]),
        Question(id="code", kind="yes_no", label="Vous codez ?"),
        Question(id="niveau", kind="choice", label="Expérience", choices=["Débutant", "Confirmé", "Expert"]),
        Question(id="metier", kind="choice", label="Métier", choices=["Agriculteur", "Étudiant", "Autre"]),
    ],
    team_max_size=4,
    team_formation=TeamFormation(
        min_size=2,
        challenges="defis",
        skills="competences",
        codes="code",
        experience="niveau",
        experience_levels=["beginner", "intermediate", "expert"],
        domain="metier",
        domain_if=["Agriculteur"],
    ),
)
PEOPLE = ["r1", "r2", "r3", "r4", "r5", "r6"]


def registered(state: TeamsState, registration_id: str, category: str = "participant") -> str:
    state.evolve_registration(
        Registered(
            registration_id=registration_id,
            command_id=f"reg-{registration_id}",
            event=SLUG,
            category=category,
            status="confirmed",
            language="fr",
            at=NOW,
            seat=1,
        )
    )
    return registration_id


def apply(state: TeamsState, event: TeamsEvent | None) -> TeamsEvent:
    assert event is not None
    state.evolve(event)
    return event


def refusal(error: pytest.ExceptionInfo[Rejected]) -> tuple[str, str | None]:
    return error.value.reply.code, error.value.reply.key


@pytest.fixture
def state() -> TeamsState:
    fresh = TeamsState()
    for person in PEOPLE:
        registered(fresh, person)
    return fresh


# Half of them code, two are farmers: enough for formation to have something to weigh.
ANSWERS = {
    "r1": {"code": True, "niveau": "Expert", "defis": ["traite", "meteo"], "competences": ["Python"]},
    "r2": {"code": False, "metier": "Agriculteur", "defis": ["traite"], "competences": ["Élevage"]},
    "r3": {"code": True, "niveau": "Débutant", "defis": ["meteo"]},
    "r4": {"code": False, "metier": "Agriculteur", "defis": ["meteo", "traite"]},
    "r5": {"code": True, "niveau": "Confirmé", "competences": ["Design", "Python"]},
    "r6": {"code": False, "niveau": "Expert"},
}


def people() -> dict[str, Person]:
    return {r: person_of(EVENT, r, answers) for r, answers in ANSWERS.items()}  # type: ignore[arg-type]


def propose(state: TeamsState, command_id: str = "propose-1", **extra: object) -> TeamsProposed:
    fields: dict[str, object] = {"min_size": 2, "max_size": 3, **extra}
    command = ProposeTeams(command_id=command_id, event=SLUG, by_organiser=ORGANISER, **fields)  # type: ignore[arg-type]
    event = apply(state, decide_propose(state, EVENT, command, NOW, people()))
    assert isinstance(event, TeamsProposed)
    return event


def move(
    state: TeamsState, registration: str, to_team: str | None, revision: int, command_id: str = "move-1"
) -> MoveProposed:
    return MoveProposed(
        command_id=command_id,
        event=SLUG,
        revision=revision,
        registration=registration,
        to_team=to_team,
        by_organiser=ORGANISER,
    )


def lock(team: str, revision: int, command_id: str = "lock-1", locked: bool = True) -> LockProposed:
    return LockProposed(
        command_id=command_id, event=SLUG, revision=revision, team=team, locked=locked, by_organiser=ORGANISER
    )


def confirm(revision: int, command_id: str = "confirm-1") -> ConfirmProposal:
    return ConfirmProposal(command_id=command_id, event=SLUG, revision=revision, by_organiser=ORGANISER)


def link(kind: str, first: str, second: str, command_id: str = "link-1") -> LinkPeople:
    return LinkPeople(
        command_id=command_id,
        event=SLUG,
        kind=kind,  # type: ignore[arg-type]
        first=first,
        second=second,
        by_organiser=ORGANISER,
    )


def found(state: TeamsState, founder: str, team_id: str, name: str) -> None:
    command = CreateTeam(command_id=f"create-{team_id}", event=SLUG, team_id=team_id, name=name, founder=founder)
    apply(state, decide_create(state, EVENT, command, NOW))


def joined(state: TeamsState, registration: str, team_id: str) -> None:
    command = JoinTeam(command_id=f"join-{registration}", event=SLUG, team_id=team_id, registration=registration)
    apply(state, decide_join(state, EVENT, command, NOW))


def placed(state: TeamsState) -> dict[str, list[str]]:
    return {t.name: t.members for t in team_list(state, EVENT).teams}


# --- what people told us ---


def test_answers_become_what_formation_weighs_with_the_id_as_name() -> None:
    assert person_of(EVENT, "r1", ANSWERS["r1"]) == Person(  # type: ignore[arg-type]
        "r1", "r1", skills=("Python",), codes=True, experience="expert", challenges=("traite", "meteo")
    )
    assert person_of(EVENT, "r2", {**ANSWERS["r2"], "defis": ["inconnu", "traite", "traite"]}) == Person(
        "r2", "r2", skills=("Élevage",), domain_expert=True, challenges=("traite",)
    )
    assert person_of(EVENT, "r9", {}) == Person("r9", "r9")


def test_an_event_without_team_formation_misses_every_input_and_counts_nobody_for_them() -> None:
    plain = EventSpec(**{**{f: getattr(EVENT, f) for f in EVENT.__struct_fields__}, "team_formation": None})
    assert missing_inputs(plain) == ["challenges", "skills", "codes", "experience", "domain"]
    assert person_of(plain, "r1", ANSWERS["r1"]) == Person("r1", "r1")  # type: ignore[arg-type]
    partial = TeamFormation(codes="code")
    assert missing_inputs(
        EventSpec(**{**{f: getattr(EVENT, f) for f in EVENT.__struct_fields__}, "team_formation": partial})
    ) == [
        "challenges",
        "skills",
        "experience",
        "domain",
    ]
    assert missing_inputs(EVENT) == []


# --- links ---


def test_a_link_holds_for_the_pair_in_either_order_and_contradicting_it_is_refused(state: TeamsState) -> None:
    apply(state, decide_link(state, EVENT, link("together", "r2", "r1"), NOW))
    assert state.of(SLUG).links == {("r1", "r2"): "together"}
    assert decide_link(state, EVENT, link("together", "r1", "r2", "link-again"), NOW) is None
    with pytest.raises(Rejected) as error:
        decide_link(state, EVENT, link("apart", "r1", "r2", "link-2"), NOW)
    assert refusal(error) == ("conflict", "link_contradicts")


def test_a_link_needs_two_different_eligible_people(state: TeamsState) -> None:
    registered(state, "visitor", category="public")
    with pytest.raises(Rejected) as error:
        decide_link(state, EVENT, link("apart", "r1", "r1"), NOW)
    assert refusal(error) == ("invalid", "link_same_person")
    with pytest.raises(Rejected) as error:
        decide_link(state, EVENT, link("apart", "r1", "nobody"), NOW)
    assert refusal(error) == ("not_found", "registration_not_found")
    with pytest.raises(Rejected) as error:
        decide_link(state, EVENT, link("apart", "visitor", "r1"), NOW)
    assert refusal(error) == ("conflict", "team_not_participant")


def test_unlinking_removes_the_link_and_a_missing_one_is_refused(state: TeamsState) -> None:
    apply(state, decide_link(state, EVENT, link("apart", "r1", "r2"), NOW))
    unlink = UnlinkPeople(
        command_id="unlink-1", event=SLUG, kind="apart", first="r2", second="r1", by_organiser=ORGANISER
    )
    apply(state, decide_unlink(state, EVENT, unlink, NOW))
    assert state.of(SLUG).links == {}
    assert decide_unlink(state, EVENT, unlink, NOW) is None  # a repeat: the first outcome stands
    with pytest.raises(Rejected) as error:
        decide_unlink(
            state,
            EVENT,
            UnlinkPeople(**{**{f: getattr(unlink, f) for f in unlink.__struct_fields__}, "command_id": "unlink-2"}),
            NOW,
        )
    assert refusal(error) == ("not_found", "link_not_found")


def test_a_command_id_used_for_a_link_is_refused_for_another_one(state: TeamsState) -> None:
    apply(state, decide_link(state, EVENT, link("apart", "r1", "r2"), NOW))
    with pytest.raises(Rejected) as error:
        decide_link(state, EVENT, link("apart", "r1", "r3"), NOW)
    assert refusal(error) == ("conflict", "command_id_reused")


# --- proposing ---


def test_a_proposal_places_everyone_without_a_team_within_the_sizes(state: TeamsState) -> None:
    event = propose(state)
    assert event.revision == 1
    assert sorted(m for t in event.teams for m in t.members) == PEOPLE
    assert all(2 <= len(t.members) <= 3 for t in event.teams)
    assert [t.id for t in event.teams] == [f"p{i}" for i in range(1, len(event.teams) + 1)]
    assert team_list(state, EVENT).teams == []  # only a proposal: no team exists yet


def test_linked_people_are_proposed_together_or_apart(state: TeamsState) -> None:
    apply(state, decide_link(state, EVENT, link("together", "r1", "r3"), NOW))
    apply(state, decide_link(state, EVENT, link("apart", "r2", "r4", "link-2"), NOW))
    event = propose(state)
    team_of = {m: t.id for t in event.teams for m in t.members}
    assert team_of["r1"] == team_of["r3"]
    assert team_of["r2"] != team_of["r4"]


def test_sizes_out_of_order_or_above_the_events_are_refused(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        propose(state, min_size=4, max_size=3)
    assert refusal(error) == ("invalid", "formation_sizes")
    with pytest.raises(Rejected) as error:
        propose(state, max_size=5)
    assert refusal(error) == ("invalid", "formation_above_event")


def test_nobody_to_place_is_refused(state: TeamsState) -> None:
    found(state, "r1", "a", "A")
    for person in ("r2", "r3", "r4"):
        joined(state, person, "a")
    found(state, "r5", "b", "B")
    joined(state, "r6", "b")
    with pytest.raises(Rejected) as error:
        propose(state, top_up=True)
    assert refusal(error) == ("conflict", "formation_nobody")


def test_a_top_up_fills_a_short_team_and_keeps_its_members(state: TeamsState) -> None:
    found(state, "r1", "epis", "Les Épis")
    event = propose(state, min_size=3, top_up=True)
    [topped] = [t for t in event.teams if t.existing == "epis"]
    assert topped.members[0] == "r1" and 3 <= len(topped.members) <= 3
    assert sorted(m for t in event.teams for m in t.members) == PEOPLE
    view = proposal_view(state, EVENT, people())
    [shown] = [t for t in view.teams if t.existing == "epis"]
    assert (shown.existing_name, shown.facts.kept) == ("Les Épis", 1)


def test_without_top_up_a_short_team_is_left_alone(state: TeamsState) -> None:
    found(state, "r1", "epis", "Les Épis")
    event = propose(state, min_size=3)
    assert all(t.existing is None for t in event.teams)
    assert "r1" not in {m for t in event.teams for m in t.members}


def test_a_rerun_keeps_locked_teams_exactly_and_forms_the_rest_again(state: TeamsState) -> None:
    first = propose(state)
    kept = first.teams[1]
    apply(state, decide_lock(state, EVENT, lock(kept.id, 1), NOW))
    rerun = propose(state, command_id="propose-2")
    assert rerun.revision == 3
    assert rerun.teams[0].id == kept.id and rerun.teams[0].members == kept.members and rerun.teams[0].locked
    others = [m for t in rerun.teams[1:] for m in t.members]
    assert sorted(others + kept.members) == PEOPLE
    assert kept.id not in {t.id for t in rerun.teams[1:]}


def test_a_repeated_proposal_returns_the_first_one(state: TeamsState) -> None:
    propose(state)
    command = ProposeTeams(command_id="propose-1", event=SLUG, min_size=2, max_size=3, by_organiser=ORGANISER)
    assert decide_propose(state, EVENT, command, NOW, people()) is None
    assert state.of(SLUG).draft is not None and state.of(SLUG).draft.revision == 1


def test_judging_closed_refuses_proposing_and_confirming(state: TeamsState) -> None:
    propose(state)
    state.evolve_judging(JudgingClosed(command_id="close", event=SLUG, by_organiser=ORGANISER, at=NOW))
    with pytest.raises(Rejected) as error:
        propose(state, command_id="propose-2")
    assert refusal(error) == ("conflict", "teams_frozen")
    with pytest.raises(Rejected) as error:
        decide_confirm(state, EVENT, confirm(1), NOW)
    assert refusal(error) == ("conflict", "teams_frozen")


# --- moving and locking ---


def test_a_move_changes_the_draft_and_an_emptied_team_disappears(state: TeamsState) -> None:
    first = propose(state)
    source, target = first.teams[0], first.teams[1]
    person = source.members[0]
    moved = apply(state, decide_move(state, EVENT, move(state, person, target.id, 1), NOW))
    assert isinstance(moved, TeamsProposed) and moved.revision == 2
    after = {t.id: t.members for t in moved.teams}
    assert after[target.id] == [*target.members, person]
    assert after[source.id] == source.members[1:]
    # To no team: a new proposed team of their own, with a number no other team has.
    alone = apply(state, decide_move(state, EVENT, move(state, person, None, 2, "move-2"), NOW))
    assert isinstance(alone, TeamsProposed)
    [own] = [t for t in alone.teams if t.members == [person]]
    assert own.id not in {t.id for t in moved.teams}
    # Moving its only member out takes a proposed team away.
    back = apply(state, decide_move(state, EVENT, move(state, person, target.id, 3, "move-3"), NOW))
    assert isinstance(back, TeamsProposed)
    assert own.id not in {t.id for t in back.teams}
    assert {t.id: t.members for t in back.teams} == after


def test_a_move_on_a_stale_revision_is_refused(state: TeamsState) -> None:
    first = propose(state)
    person = first.teams[0].members[0]
    with pytest.raises(Rejected) as error:
        decide_move(state, EVENT, move(state, person, first.teams[1].id, 0), NOW)
    assert refusal(error) == ("conflict", "formation_changed")


def test_a_move_into_or_out_of_a_locked_team_is_refused(state: TeamsState) -> None:
    first = propose(state)
    locked, other = first.teams[0], first.teams[1]
    apply(state, decide_lock(state, EVENT, lock(locked.id, 1), NOW))
    with pytest.raises(Rejected) as error:
        decide_move(state, EVENT, move(state, locked.members[0], other.id, 2), NOW)
    assert refusal(error) == ("conflict", "formation_locked")
    with pytest.raises(Rejected) as error:
        decide_move(state, EVENT, move(state, other.members[0], locked.id, 2), NOW)
    assert refusal(error) == ("conflict", "formation_locked")


def test_a_move_to_an_unknown_team_or_of_someone_not_proposed_is_refused(state: TeamsState) -> None:
    first = propose(state)
    with pytest.raises(Rejected) as error:
        decide_move(state, EVENT, move(state, first.teams[0].members[0], "p99", 1), NOW)
    assert refusal(error) == ("not_found", "formation_unknown_team")
    registered(state, "late")
    with pytest.raises(Rejected) as error:
        decide_move(state, EVENT, move(state, "late", first.teams[0].id, 1), NOW)
    assert refusal(error) == ("not_found", "formation_not_proposed")


def test_a_member_a_topped_up_team_already_had_is_not_moved_out(state: TeamsState) -> None:
    found(state, "r1", "epis", "Les Épis")
    event = propose(state, min_size=3, top_up=True)
    [topped] = [t for t in event.teams if t.existing == "epis"]
    other = next(t for t in event.teams if t.id != topped.id)
    with pytest.raises(Rejected) as error:
        decide_move(state, EVENT, move(state, "r1", other.id, 1), NOW)
    assert refusal(error) == ("conflict", "formation_locked")
    added = topped.members[1]
    assert decide_move(state, EVENT, move(state, added, other.id, 1), NOW) is not None


def test_locking_an_unknown_team_or_without_a_draft_is_refused(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        decide_lock(state, EVENT, lock("p1", 0), NOW)
    assert refusal(error) == ("not_found", "formation_no_proposal")
    propose(state)
    with pytest.raises(Rejected) as error:
        decide_lock(state, EVENT, lock("p42", 1), NOW)
    assert refusal(error) == ("not_found", "formation_unknown_team")


def test_a_discarded_draft_is_gone_and_the_next_one_has_a_newer_revision(state: TeamsState) -> None:
    propose(state)
    discard = DiscardProposal(command_id="discard-1", event=SLUG, revision=1, by_organiser=ORGANISER)
    apply(state, decide_discard(state, EVENT, discard, NOW))
    assert state.of(SLUG).draft is None
    assert proposal_view(state, EVENT, people()).revision == 0
    assert propose(state, command_id="propose-2").revision == 2


# --- confirming ---


def test_confirming_makes_the_teams_named_equipe_n_and_clears_the_draft(state: TeamsState) -> None:
    found(state, "r6", "une", "equipe 1")
    draft = propose(state)
    event = apply(state, decide_confirm(state, EVENT, confirm(draft.revision), NOW))
    assert isinstance(event, ProposalConfirmed)
    assert [t.name for t in event.teams] == [f"Équipe {n}" for n in range(2, 2 + len(event.teams))]
    assert all(t.team_id.startswith(f"equipe-{n}-") for n, t in enumerate(event.teams, 2))
    assert len({t.code for t in event.teams}) == len(event.teams)
    assert event.left_out == []
    made = placed(state)
    assert sorted(m for ms in made.values() for m in ms) == PEOPLE
    assert state.of(SLUG).draft is None
    assert all(t.open for t in team_list(state, EVENT).teams)


def test_someone_who_joined_a_team_meanwhile_is_left_out_and_stays_where_they_are(state: TeamsState) -> None:
    draft = propose(state)
    mover = draft.teams[0].members[0]
    found(state, mover, "solo", "Solo")
    registered(state, "late")
    state.evolve_registration(
        RegistrationCancelled(command_id="cancel-r", event=SLUG, registration_id=draft.teams[1].members[0], at=NOW)
    )
    view = proposal_view(state, EVENT, people())
    assert mover not in {m for t in view.teams for m in t.members} and "late" in view.unplaced
    event = apply(state, decide_confirm(state, EVENT, confirm(draft.revision), NOW))
    assert isinstance(event, ProposalConfirmed)
    reasons = {o.registration: o.reason for o in event.left_out}
    assert reasons == {mover: "joined_a_team", draft.teams[1].members[0]: "not_eligible"}
    assert placed(state)["Solo"] == [mover]


def test_a_top_up_never_takes_a_team_past_the_events_size(state: TeamsState) -> None:
    found(state, "r1", "epis", "Les Épis")
    event = propose(state, min_size=3, top_up=True)
    [topped] = [t for t in event.teams if t.existing == "epis"]
    added = topped.members[1:]
    for i in range(EVENT.team_max_size - 1):
        registered(state, f"x{i}")
        joined(state, f"x{i}", "epis")
    confirmed = apply(state, decide_confirm(state, EVENT, confirm(event.revision), NOW))
    assert isinstance(confirmed, ProposalConfirmed)
    assert {(o.registration, o.reason) for o in confirmed.left_out} == {(a, "team_full") for a in added}
    assert len(placed(state)["Les Épis"]) == EVENT.team_max_size


def test_a_gone_team_to_top_up_gets_nobody_and_says_so_for_all_it_would_have_held(state: TeamsState) -> None:
    found(state, "r1", "epis", "Les Épis")
    event = propose(state, min_size=3, top_up=True)
    [topped] = [t for t in event.teams if t.existing == "epis"]
    disband = DisbandTeam(command_id="disband", event=SLUG, team_id="epis", by_organiser=ORGANISER)
    apply(state, decide_disband(state, EVENT, disband, NOW))
    confirmed = apply(state, decide_confirm(state, EVENT, confirm(event.revision), NOW))
    assert isinstance(confirmed, ProposalConfirmed)
    assert {(o.registration, o.reason) for o in confirmed.left_out} == {(a, "team_gone") for a in topped.members}


def test_a_confirmation_on_a_stale_revision_or_without_a_draft_is_refused(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        decide_confirm(state, EVENT, confirm(0), NOW)
    assert refusal(error) == ("not_found", "formation_no_proposal")
    propose(state)
    with pytest.raises(Rejected) as error:
        decide_confirm(state, EVENT, confirm(7), NOW)
    assert refusal(error) == ("conflict", "formation_changed")


def test_a_repeated_confirmation_returns_the_first_one(state: TeamsState) -> None:
    draft = propose(state)
    first = apply(state, decide_confirm(state, EVENT, confirm(draft.revision), NOW))
    assert decide_confirm(state, EVENT, confirm(draft.revision), NOW) is None
    assert state.of(SLUG).confirmations["confirm-1"] == first
    with pytest.raises(Rejected) as error:
        propose(state, command_id="confirm-1")
    assert refusal(error) == ("conflict", "command_id_reused")


# --- what the organiser reads ---


def test_the_view_scores_each_team_and_names_the_broken_rules_by_proposed_team(state: TeamsState) -> None:
    apply(state, decide_link(state, EVENT, link("apart", "r1", "r3"), NOW))
    draft = propose(state)
    team_of_r1 = next(t for t in draft.teams if "r1" in t.members)
    if "r3" not in team_of_r1.members:
        apply(state, decide_move(state, EVENT, move(state, "r3", team_of_r1.id, 1), NOW))
    view = proposal_view(state, EVENT, people())
    assert view.revision == state.of(SLUG).revision
    assert {(v.rule, v.team) for v in view.violations} >= {("apart", team_of_r1.id)}
    assert all(0 <= t.score <= 100 for t in view.teams)
    assert view.links[0].kind == "apart"
    assert view.unplaced == [] and view.missing_inputs == [] and view.event_max_size == 4


def test_people_of_reads_only_the_events_registrations() -> None:
    assert people_of(EVENT, []) == {}


def test_a_repeated_move_or_lock_changes_nothing_more(state: TeamsState) -> None:
    first = propose(state)
    person = first.teams[0].members[0]
    command = move(state, person, first.teams[1].id, 1)
    apply(state, decide_move(state, EVENT, command, NOW))
    assert decide_move(state, EVENT, command, NOW) is None
    apply(state, decide_lock(state, EVENT, lock(first.teams[1].id, 2), NOW))
    assert decide_lock(state, EVENT, lock(first.teams[1].id, 2), NOW) is None
    draft = state.of(SLUG).draft
    assert draft is not None and draft.revision == 3


def test_discarding_a_changed_draft_is_refused(state: TeamsState) -> None:
    propose(state)
    stale = DiscardProposal(command_id="discard-1", event=SLUG, revision=0, by_organiser=ORGANISER)
    with pytest.raises(Rejected) as error:
        decide_discard(state, EVENT, stale, NOW)
    assert refusal(error) == ("conflict", "formation_changed")
    assert state.of(SLUG).draft is not None
