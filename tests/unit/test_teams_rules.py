"""Team formation's pure rules: founding, joining, leaving, disbanding, frozen once judging closes, and state
from the streams."""

import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from schemas.catalog import Category, Challenge, EventSpec, Venue
from schemas.errors import Rejected
from schemas.judging import JudgingClosed, JudgingReopened
from schemas.registration import (
    OfferLapsed,
    PersonErased,
    Registered,
    RegistrationCancelled,
    SeatOffered,
    WaitlistPromoted,
)
from schemas.teams import (
    CreateTeam,
    DisbandTeam,
    JoinTeam,
    LeaveTeam,
    MemberJoined,
    MemberLeft,
    TeamCreated,
    TeamsEvent,
)
from services.teams.rules import (
    TeamsState,
    decide_create,
    decide_disband,
    decide_join,
    decide_leave,
    folded,
    ineligibility,
    join_code,
    membership,
    team_list,
    unique_code,
    unplaced,
)

NOW = datetime(2027, 5, 2, 10, 0, tzinfo=UTC)
SLUG = "hack-2027"
ORGANISER = "orga-1"

EVENT = EventSpec(
    slug=SLUG,
    title="Hackathon",
    kind="hackathon",
    starts_at=datetime(2027, 6, 11, 7, 0, tzinfo=UTC),
    ends_at=datetime(2027, 6, 13, 16, 0, tzinfo=UTC),
    venue=Venue(name="École"),
    categories=[
        Category(id="participant", name="Participant", capacity=60, default=True),
        Category(id="mentor", name="Mentor", capacity=10),
        Category(id="public", name="Public", capacity=100),
        Category(id="juror", name="Jury", capacity=5, public=False),
    ],
    challenges=[
        Challenge(id="traite", title="Suivre la traite", title_en="Milking records"),
        Challenge(id="meteo", title="La météo de ma parcelle"),
    ],
    team_max_size=3,
)


def registered(
    state: TeamsState, registration_id: str, category: str = "participant", status: str = "confirmed"
) -> str:
    state.evolve_registration(
        Registered(
            registration_id=registration_id,
            command_id=f"reg-{registration_id}",
            event=SLUG,
            category=category,
            status="confirmed" if status == "confirmed" else "waitlisted",
            language="fr",
            at=NOW,
            seat=1 if status == "confirmed" else None,
        )
    )
    return registration_id


def apply(state: TeamsState, event: TeamsEvent | None) -> TeamsEvent:
    assert event is not None
    state.evolve(event)
    return event


def create(
    state: TeamsState,
    founder: str | None = "alice",
    name: str = "Les Épis",
    team_id: str = "epis",
    command_id: str = "create-epis",
    **extra: object,
) -> TeamCreated:
    command = CreateTeam(
        command_id=command_id,
        event=SLUG,
        team_id=team_id,
        name=name,
        founder=founder,
        by_organiser=None if founder else ORGANISER,
        **extra,  # type: ignore[arg-type]
    )
    event = decide_create(state, EVENT, command, NOW)
    assert isinstance(event, TeamCreated)
    state.evolve(event)
    return event


def join(state: TeamsState, registration: str, team_id: str = "epis", code: str = "", **extra: object) -> JoinTeam:
    return JoinTeam(
        command_id=f"join-{registration}-{team_id}",
        event=SLUG,
        team_id=team_id,
        registration=registration,
        code=code,
        **extra,  # type: ignore[arg-type]
    )


def refusal(error: pytest.ExceptionInfo[Rejected]) -> tuple[str, str | None, str | None]:
    reply = error.value.reply
    return reply.code, reply.field, reply.key


@pytest.fixture
def state() -> TeamsState:
    fresh = TeamsState()
    for person in ("alice", "bruno", "chloe", "driss", "emma"):
        registered(fresh, person)
    return fresh


# --- founding ---


def test_a_confirmed_participant_founds_a_team_and_is_its_first_member(state: TeamsState) -> None:
    event = create(state, challenge="traite", open=False)
    assert (event.name, event.challenge, event.open, event.founder) == ("Les Épis", "traite", False, "alice")
    assert re.fullmatch(r"[A-Z0-9]{6}", event.code)
    [team] = team_list(state, EVENT).teams
    assert (team.id, team.members, team.code, team.created_at) == ("epis", ["alice"], event.code, NOW)
    mine = membership(state, EVENT, "alice")
    assert mine.team == team and mine.max_size == 3
    assert membership(state, EVENT, "bruno").team is None


def test_the_join_code_is_derived_from_the_command_so_every_instance_decides_the_same() -> None:
    assert join_code(SLUG, "create-epis") == join_code(SLUG, "create-epis")
    assert join_code(SLUG, "create-epis") != join_code(SLUG, "create-other")
    assert re.fullmatch(r"[A-Z0-9]{6}", join_code(SLUG, "x" * 100))


def test_a_join_code_already_held_by_a_team_of_the_event_is_not_given_twice(state: TeamsState) -> None:
    first = create(state)
    teams = state.of(SLUG)
    assert unique_code(teams, SLUG, "create-epis") != first.code
    assert unique_code(teams, SLUG, "create-other") == join_code(SLUG, "create-other")


def test_an_organiser_creates_an_empty_team(state: TeamsState) -> None:
    event = create(state, founder=None)
    assert (event.founder, event.by_organiser) == (None, ORGANISER)
    assert team_list(state, EVENT).teams[0].members == []


def test_a_team_name_is_taken_whatever_its_case_accents_and_spaces(state: TeamsState) -> None:
    create(state)
    assert folded("  LES   epis ") == folded("Les Épis")
    with pytest.raises(Rejected) as error:
        create(state, founder="bruno", name="  LES   epis ", team_id="epis-2", command_id="create-2")
    assert refusal(error) == ("conflict", "name", "team_name_taken")
    assert "already a team named 'LES epis'" in error.value.reply.message


def test_a_blank_name_an_unknown_challenge_and_a_taken_id_are_refused_with_their_field(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        create(state, name="   ")
    assert refusal(error) == ("invalid", "name", "team_name_required")
    with pytest.raises(Rejected) as error:
        create(state, challenge="inconnu")
    assert refusal(error) == ("invalid", "challenge", "team_unknown_challenge")
    create(state)
    with pytest.raises(Rejected) as error:
        create(state, founder="bruno", name="Autre", command_id="create-3")
    assert refusal(error) == ("conflict", "team_id", "team_exists")


def test_nobody_is_in_two_teams_of_an_event(state: TeamsState) -> None:
    create(state)
    with pytest.raises(Rejected) as error:
        create(state, name="Deuxième", team_id="deux", command_id="create-deux")
    assert refusal(error) == ("conflict", "founder", "team_already_member")
    apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    create(state, founder="chloe", name="Deuxième", team_id="deux", command_id="create-deux")
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, join(state, "bruno", "deux"), NOW)
    assert refusal(error) == ("conflict", "registration", "team_already_member")
    assert "Already in team 'Les Épis'" in error.value.reply.message


def test_a_team_needs_its_founder_or_an_organiser(state: TeamsState) -> None:
    command = CreateTeam(command_id="create-nobody", event=SLUG, team_id="x", name="X")
    with pytest.raises(Rejected) as error:
        decide_create(state, EVENT, command, NOW)
    assert refusal(error) == ("invalid", "founder", "team_no_founder")


# --- who may be in a team ---


def test_only_confirmed_participants_of_the_event_may_be_in_a_team(state: TeamsState) -> None:
    create(state, founder=None)
    registered(state, "waiting", status="waitlisted")
    registered(state, "visitor", category="public")
    registered(state, "juror", category="juror")
    registered(state, "mentor", category="mentor")  # mentors work with participants
    for person in ("waiting", "visitor", "juror"):
        with pytest.raises(Rejected) as error:
            decide_join(state, EVENT, join(state, person), NOW)
        assert refusal(error) == ("conflict", "registration", "team_not_participant")
        assert error.value.reply.message == "Only confirmed participants can be in a team"
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, join(state, "stranger"), NOW)
    assert refusal(error) == ("not_found", "registration", "registration_not_found")
    assert decide_join(state, EVENT, join(state, "mentor"), NOW) is not None


def test_a_registration_promoted_from_the_waitlist_may_join(state: TeamsState) -> None:
    create(state)
    registered(state, "waiting", status="waitlisted")
    state.evolve_registration(WaitlistPromoted(registration_id="waiting", command_id="p", event=SLUG, at=NOW, seat=2))
    assert decide_join(state, EVENT, join(state, "waiting"), NOW) is not None


def test_eligibility_says_why_a_registration_may_not_be_in_a_team_and_the_refusals_agree(state: TeamsState) -> None:
    create(state, founder=None)
    registered(state, "waiting", status="waitlisted")
    registered(state, "visitor", category="public")
    registered(state, "juror", category="juror")
    registered(state, "mentor", category="mentor")
    state.evolve_registration(RegistrationCancelled(registration_id="bruno", command_id="c", event=SLUG, at=NOW))
    state.evolve_registration(PersonErased(registration_id="chloe", command_id="e", event=SLUG, at=NOW))
    state.evolve_registration(
        Registered(
            registration_id="elsewhere",
            command_id="reg-elsewhere",
            event="open-day-2027",
            category="participant",
            status="confirmed",
            language="fr",
            at=NOW,
        )
    )
    expected = {
        "alice": None,
        "mentor": None,
        "waiting": "not_confirmed",
        "bruno": "not_confirmed",
        "chloe": "not_confirmed",
        "visitor": "not_a_participant",
        "juror": "not_a_participant",
        "elsewhere": "not_registered",
        "stranger": "not_registered",
    }
    refusals = {"not_registered": "registration_not_found", "not_confirmed": "team_not_participant"}
    for person, why_not in expected.items():
        assert ineligibility(state, EVENT, person) == why_not, person
        mine = membership(state, EVENT, person)
        assert (mine.eligible, mine.ineligibility) == (why_not is None, why_not), person
        if why_not is None:
            assert decide_join(state, EVENT, join(state, person), NOW) is not None
            continue
        with pytest.raises(Rejected) as error:
            decide_join(state, EVENT, join(state, person), NOW)
        assert refusal(error)[2] == refusals.get(why_not, "team_not_participant"), person


def test_the_unplaced_are_those_who_may_be_in_a_team_and_are_in_none_in_registration_order(
    state: TeamsState,
) -> None:
    registered(state, "visitor", category="public")
    registered(state, "mentor", category="mentor")
    registered(state, "waiting", status="waitlisted")
    create(state)  # alice founds it
    apply(state, decide_join(state, EVENT, join(state, "chloe"), NOW))
    state.evolve_registration(RegistrationCancelled(registration_id="driss", command_id="c", event=SLUG, at=NOW))
    assert unplaced(state, EVENT) == ["bruno", "emma", "mentor"]
    assert team_list(state, EVENT, with_unplaced=True).unplaced == ["bruno", "emma", "mentor"]
    # Only when asked: the public list and the commands' replies carry nobody.
    assert team_list(state, EVENT).unplaced is None
    # Leaving a team, or a promotion from the waitlist, makes someone unplaced again.
    apply(state, decide_leave(state, EVENT, LeaveTeam(command_id="leave-c", event=SLUG, registration="chloe"), NOW))
    state.evolve_registration(WaitlistPromoted(registration_id="waiting", command_id="p", event=SLUG, at=NOW, seat=9))
    assert unplaced(state, EVENT) == ["bruno", "chloe", "emma", "mentor", "waiting"]


def test_an_unknown_event_and_an_event_that_is_over_are_refused(state: TeamsState) -> None:
    command = CreateTeam(command_id="create-x", event="nope", team_id="x", name="X", founder="alice")
    with pytest.raises(Rejected) as error:
        decide_create(state, None, command, NOW)
    assert refusal(error) == ("not_found", "event", "event_not_found")
    after = EVENT.ends_at + timedelta(minutes=1)
    with pytest.raises(Rejected) as error:
        decide_create(
            state, EVENT, CreateTeam(command_id="c", event=SLUG, team_id="x", name="X", founder="alice"), after
        )
    assert refusal(error)[2] == "teams_closed"
    create(state)
    with pytest.raises(Rejected) as error:
        decide_leave(state, EVENT, LeaveTeam(command_id="l", event=SLUG, registration="alice"), after)
    assert refusal(error)[2] == "teams_closed"
    # Organisers may still put things right afterwards.
    assert decide_join(state, EVENT, join(state, "bruno", by_organiser=ORGANISER), after) is not None


# --- joining ---


def test_a_team_holds_team_max_size_people_at_most_even_when_an_organiser_places_them(state: TeamsState) -> None:
    create(state)
    apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    apply(state, decide_join(state, EVENT, join(state, "chloe"), NOW))
    for command in (join(state, "driss"), join(state, "emma", by_organiser=ORGANISER)):
        with pytest.raises(Rejected) as error:
            decide_join(state, EVENT, command, NOW)
        assert refusal(error) == ("conflict", "team_id", "team_full")
        assert "is full (3 people at most)" in error.value.reply.message
    assert team_list(state, EVENT).teams[0].members == ["alice", "bruno", "chloe"]


def test_a_closed_team_needs_its_code_unless_an_organiser_places_the_person(state: TeamsState) -> None:
    code = create(state, open=False).code
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, join(state, "bruno", code="AAAAAA" if code != "AAAAAA" else "BBBBBB"), NOW)
    assert refusal(error) == ("invalid", "code", "team_wrong_code")
    with pytest.raises(Rejected):
        decide_join(state, EVENT, join(state, "bruno"), NOW)
    # Typed in lower case with spaces around, as people do on a phone.
    assert decide_join(state, EVENT, join(state, "bruno", code=f" {code.lower()} "), NOW) is not None
    assert decide_join(state, EVENT, join(state, "chloe", by_organiser=ORGANISER), NOW) is not None


def test_an_open_team_needs_no_code(state: TeamsState) -> None:
    create(state)
    assert decide_join(state, EVENT, join(state, "bruno"), NOW) is not None


def test_joining_an_unknown_or_disbanded_team_is_refused(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, join(state, "bruno", "nope"), NOW)
    assert refusal(error) == ("not_found", "team_id", "team_not_found")
    create(state)
    apply(
        state,
        decide_disband(
            state, EVENT, DisbandTeam(command_id="d", event=SLUG, team_id="epis", by_organiser=ORGANISER), NOW
        ),
    )
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, join(state, "bruno"), NOW)
    assert refusal(error)[2] == "team_not_found"


# --- people who leave, are cancelled or erased ---


def test_a_member_leaves_and_may_then_found_another_team(state: TeamsState) -> None:
    create(state)
    apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    left = apply(
        state, decide_leave(state, EVENT, LeaveTeam(command_id="leave-b", event=SLUG, registration="bruno"), NOW)
    )
    assert left.team_id == "epis"  # type: ignore[union-attr]
    assert membership(state, EVENT, "bruno").team is None
    assert team_list(state, EVENT).teams[0].members == ["alice"]
    create(state, founder="bruno", name="Les Sillons", team_id="sillons", command_id="create-sillons")
    with pytest.raises(Rejected) as error:
        decide_leave(state, EVENT, LeaveTeam(command_id="leave-c", event=SLUG, registration="chloe"), NOW)
    assert refusal(error) == ("conflict", "registration", "team_not_member")


def test_cancelled_and_erased_registrations_no_longer_count_and_free_their_place(state: TeamsState) -> None:
    create(state)
    apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    apply(state, decide_join(state, EVENT, join(state, "chloe"), NOW))
    state.evolve_registration(RegistrationCancelled(registration_id="bruno", command_id="c", event=SLUG, at=NOW))
    state.evolve_registration(PersonErased(registration_id="alice", command_id="e", event=SLUG, at=NOW))
    assert team_list(state, EVENT).teams[0].members == ["chloe"]
    assert membership(state, EVENT, "bruno").team is None
    apply(state, decide_join(state, EVENT, join(state, "driss"), NOW))
    apply(state, decide_join(state, EVENT, join(state, "emma"), NOW))
    assert team_list(state, EVENT).teams[0].members == ["chloe", "driss", "emma"]
    with pytest.raises(Rejected) as error:
        again = JoinTeam(command_id="join-again", event=SLUG, team_id="epis", registration="bruno")
        decide_join(state, EVENT, again, NOW)
    assert refusal(error)[2] == "team_not_participant"


def test_a_lapsed_offer_ends_a_waiting_registration_but_not_a_confirmed_one(state: TeamsState) -> None:
    registered(state, "waiting", status="waitlisted")
    state.evolve_registration(
        SeatOffered(
            registration_id="waiting",
            command_id="o",
            event=SLUG,
            category="participant",
            seat=3,
            expires_at=NOW,
            at=NOW,
        )
    )
    state.evolve_registration(OfferLapsed(registration_id="waiting", command_id="l", event=SLUG, at=NOW))
    assert state.people["waiting"].status == "cancelled"
    state.evolve_registration(OfferLapsed(registration_id="alice", command_id="l2", event=SLUG, at=NOW))
    assert state.people["alice"].status == "confirmed"


def test_an_organiser_removes_a_member_and_disbands_a_team_which_frees_everyone(state: TeamsState) -> None:
    create(state)
    apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    removed = LeaveTeam(command_id="rm-b", event=SLUG, registration="bruno", by_organiser=ORGANISER)
    apply(state, decide_leave(state, EVENT, removed, NOW))
    disband = DisbandTeam(command_id="disband", event=SLUG, team_id="epis", by_organiser=ORGANISER)
    apply(state, decide_disband(state, EVENT, disband, NOW))
    assert team_list(state, EVENT).teams == []
    assert membership(state, EVENT, "alice").team is None
    # The name is free again; the id stays taken (judging and agendas may still name it).
    create(state, name="Les Épis", team_id="epis-2", command_id="create-again")
    with pytest.raises(Rejected) as error:
        create(state, founder="bruno", name="Autre", team_id="epis", command_id="create-old-id")
    assert refusal(error)[2] == "team_exists"
    with pytest.raises(Rejected) as error:
        decide_disband(
            state, EVENT, DisbandTeam(command_id="d2", event=SLUG, team_id="epis", by_organiser=ORGANISER), NOW
        )
    assert refusal(error) == ("not_found", "team_id", "team_not_found")


# --- frozen once judging is closed ---


def close_judging(state: TeamsState, slug: str = SLUG) -> None:
    state.evolve_judging(JudgingClosed(command_id=f"close-{slug}", event=slug, by_organiser=ORGANISER, at=NOW))


def test_once_judging_is_closed_participants_can_no_longer_found_join_or_leave(state: TeamsState) -> None:
    create(state, open=False)
    code = state.of(SLUG).teams["epis"].code
    apply(state, decide_join(state, EVENT, join(state, "bruno", code=code), NOW))
    close_judging(state)
    before = team_list(state, EVENT).teams
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, join(state, "chloe", code=code), NOW)  # the winning team's code
    assert refusal(error) == ("conflict", None, "teams_frozen")
    with pytest.raises(Rejected) as error:
        decide_leave(state, EVENT, LeaveTeam(command_id="leave-b", event=SLUG, registration="bruno"), NOW)
    assert refusal(error)[2] == "teams_frozen"
    with pytest.raises(Rejected) as error:
        create(state, founder="chloe", name="Tard venus", team_id="tard", command_id="create-tard")
    assert refusal(error)[2] == "teams_frozen"
    assert team_list(state, EVENT).teams == before
    assert team_list(state, EVENT).frozen and membership(state, EVENT, "chloe").frozen


def test_after_closing_an_organiser_still_corrects_members_and_the_correction_shows(state: TeamsState) -> None:
    create(state)
    close_judging(state)
    placed = apply(state, decide_join(state, EVENT, join(state, "chloe", by_organiser=ORGANISER), NOW))
    assert isinstance(placed, MemberJoined) and placed.while_judging_closed
    [team] = team_list(state, EVENT).teams
    assert (team.members, team.corrected, team.late_members) == (["alice", "chloe"], True, ["chloe"])
    removed = LeaveTeam(command_id="rm-a", event=SLUG, registration="alice", by_organiser=ORGANISER)
    left = apply(state, decide_leave(state, EVENT, removed, NOW))
    assert isinstance(left, MemberLeft) and left.while_judging_closed
    hers = membership(state, EVENT, "chloe").team
    assert hers is not None and (hers.members, hers.corrected, hers.late_members) == (["chloe"], True, ["chloe"])


def test_creating_or_disbanding_a_team_after_closing_needs_the_judging_reopened_even_for_an_organiser(
    state: TeamsState,
) -> None:
    create(state)
    close_judging(state)
    disband = DisbandTeam(command_id="disband", event=SLUG, team_id="epis", by_organiser=ORGANISER)
    with pytest.raises(Rejected) as error:
        decide_disband(state, EVENT, disband, NOW)
    assert refusal(error)[2] == "teams_frozen"  # it would take a scored team out of the standings
    with pytest.raises(Rejected) as error:
        create(state, founder=None, name="Vide", team_id="vide", command_id="create-vide")
    assert refusal(error)[2] == "teams_frozen"
    state.evolve_judging(JudgingReopened(command_id="reopen", event=SLUG, by_organiser=ORGANISER, at=NOW))
    assert not team_list(state, EVENT).frozen
    apply(state, decide_disband(state, EVENT, disband, NOW))
    assert team_list(state, EVENT).teams == []


def test_closing_another_events_judging_freezes_nothing_here(state: TeamsState) -> None:
    create(state)
    close_judging(state, "another-2027")
    joined = apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    assert isinstance(joined, MemberJoined) and not joined.while_judging_closed
    assert not team_list(state, EVENT).teams[0].corrected


def test_a_correction_replayed_is_the_same_correction(state: TeamsState) -> None:
    events: list[TeamsEvent] = [create(state)]
    close_judging(state)
    events.append(apply(state, decide_join(state, EVENT, join(state, "bruno", by_organiser=ORGANISER), NOW)))
    replayed = TeamsState()
    for person in ("alice", "bruno"):
        registered(replayed, person)
    for event in events:  # the teams stream read before the judging stream: the events say it
        replayed.evolve(event)
    assert team_list(replayed, EVENT).teams == team_list(state, EVENT).teams


# --- idempotency ---


def test_a_repeated_command_decides_nothing_new(state: TeamsState) -> None:
    create(state)
    again = CreateTeam(command_id="create-epis", event=SLUG, team_id="epis", name="Les Épis", founder="alice")
    assert decide_create(state, EVENT, again, NOW) is None
    command = join(state, "bruno")
    apply(state, decide_join(state, EVENT, command, NOW))
    assert decide_join(state, EVENT, command, NOW) is None  # a double click: one member, not a refusal
    leave = LeaveTeam(command_id="leave-b", event=SLUG, registration="bruno")
    apply(state, decide_leave(state, EVENT, leave, NOW))
    assert decide_leave(state, EVENT, leave, NOW) is None
    disband = DisbandTeam(command_id="disband", event=SLUG, team_id="epis", by_organiser=ORGANISER)
    apply(state, decide_disband(state, EVENT, disband, NOW))
    assert decide_disband(state, EVENT, disband, NOW) is None
    assert state.commands[SLUG, "create-epis"] == (SLUG, "epis", "alice")


def test_a_command_id_used_in_one_event_is_another_command_in_another_event(state: TeamsState) -> None:
    create(state)
    other = msgspec.structs.replace(EVENT, slug="hack-bis-2027")
    again = CreateTeam(
        command_id="create-epis", event=other.slug, team_id="epis", name="Les Épis", by_organiser=ORGANISER
    )
    created = decide_create(state, other, again, NOW)
    assert isinstance(created, TeamCreated) and created.event == other.slug
    state.evolve(created)
    assert decide_create(state, other, again, NOW) is None
    assert [t.id for t in team_list(state, other).teams] == ["epis"]


def test_a_command_id_used_for_another_request_is_refused_and_changes_nothing(state: TeamsState) -> None:
    create(state)
    apply(state, decide_join(state, EVENT, join(state, "bruno"), NOW))
    before = team_list(state, EVENT)
    someone_else = JoinTeam(command_id="join-bruno-epis", event=SLUG, team_id="epis", registration="chloe")
    with pytest.raises(Rejected) as error:
        decide_join(state, EVENT, someone_else, NOW)
    assert refusal(error) == ("conflict", "command_id", "command_id_reused")
    another_team = CreateTeam(command_id="create-epis", event=SLUG, team_id="blés", name="Les Blés", founder="chloe")
    with pytest.raises(Rejected):
        decide_create(state, EVENT, another_team, NOW)
    with pytest.raises(Rejected):
        decide_leave(state, EVENT, LeaveTeam(command_id="join-bruno-epis", event=SLUG, registration="alice"), NOW)
    assert team_list(state, EVENT) == before


def test_state_replayed_from_the_same_events_is_the_same(state: TeamsState) -> None:
    events: list[TeamsEvent] = [create(state, open=False)]
    events.append(apply(state, decide_join(state, EVENT, join(state, "bruno", by_organiser=ORGANISER), NOW)))
    events.append(
        apply(state, decide_leave(state, EVENT, LeaveTeam(command_id="l", event=SLUG, registration="alice"), NOW))
    )
    replayed = TeamsState()
    for person in ("alice", "bruno"):
        registered(replayed, person)
    for event in events:
        replayed.evolve(event)
    assert team_list(replayed, EVENT) == team_list(state, EVENT)
    assert replayed.commands == state.commands
