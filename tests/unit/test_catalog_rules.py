"""The catalog's pure rules: checking a definition, times to UTC, and state from events."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from schemas.catalog import (
    Category,
    Challenge,
    EventDefined,
    EventSpec,
    OrganiserRegistered,
    Question,
    TeamFormation,
    Venue,
)
from schemas.errors import Rejected
from services.catalog.account_rules import ACCOUNT_LOGINS, LOGIN_ATTEMPTS, LOGIN_WINDOW, Attempts, decide_attempt
from services.catalog.files import read_event_file
from services.catalog.rules import CatalogState, copied, decide_define, normalise, with_status

NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def spec(**changes: object) -> EventSpec:
    """A small open day, written as a person would: local times, no offset."""
    base = EventSpec(
        slug="portes-ouvertes-2027",
        title="Portes ouvertes de l'école",
        kind="open_day",
        starts_at=datetime(2027, 6, 12, 9, 0),
        ends_at=datetime(2027, 6, 12, 17, 0),
        venue=Venue(name="École du numérique"),
        categories=[
            Category(id="public", name="Visiteur", capacity=50, default=True),
            Category(id="press", name="Presse", capacity=5),
        ],
        questions=[
            Question(id="diet", kind="choice", label="Régime", choices=["aucun", "végétarien"]),
            Question(id="note", kind="text", label="Un mot ?", categories=["press"]),
        ],
    )
    return msgspec.structs.replace(base, **changes)


def rejection(candidate: EventSpec) -> tuple[str, str | None]:
    with pytest.raises(Rejected) as caught:
        normalise(candidate)
    return caught.value.reply.code, caught.value.reply.field


def test_local_times_are_read_in_the_event_zone_and_stored_in_utc() -> None:
    summer = normalise(spec())
    assert (summer.starts_at, summer.ends_at) == (
        datetime(2027, 6, 12, 7, 0, tzinfo=UTC),
        datetime(2027, 6, 12, 15, 0, tzinfo=UTC),
    )
    winter = normalise(spec(starts_at=datetime(2027, 1, 16, 9, 0), ends_at=datetime(2027, 1, 16, 17, 0)))
    assert winter.starts_at == datetime(2027, 1, 16, 8, 0, tzinfo=UTC)
    montreal = normalise(spec(timezone="America/Montreal"))
    assert montreal.starts_at == datetime(2027, 6, 12, 13, 0, tzinfo=UTC)


def test_times_with_an_offset_keep_their_instant() -> None:
    given = datetime(2027, 6, 12, 9, 0, tzinfo=UTC)
    assert normalise(spec(starts_at=given, ends_at=given + timedelta(hours=2))).starts_at == given


def test_registration_windows_move_to_utc_with_the_event() -> None:
    windowed = spec(
        registration_opens_at=datetime(2027, 5, 1, 8, 0),
        registration_closes_at=datetime(2027, 6, 11, 20, 0),
        categories=[Category(id="public", name="Visiteur", capacity=50, opens_at=datetime(2027, 5, 15, 8, 0))],
        questions=[],
    )
    normalised = normalise(windowed)
    assert normalised.registration_opens_at == datetime(2027, 5, 1, 6, 0, tzinfo=UTC)
    assert normalised.registration_closes_at == datetime(2027, 6, 11, 18, 0, tzinfo=UTC)
    assert normalised.categories[0].opens_at == datetime(2027, 5, 15, 6, 0, tzinfo=UTC)


def test_normalising_twice_changes_nothing() -> None:
    once = normalise(spec())
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Europe/La_Loupe"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"ends_at": datetime(2027, 6, 12, 8, 0)}, "ends_at"),
        ({"ends_at": datetime(2027, 6, 12, 9, 0)}, "ends_at"),
        (
            {"categories": [Category(id="public", name="A", capacity=1), Category(id="public", name="B", capacity=1)]},
            "categories[1].id",
        ),
        (
            {
                "categories": [
                    Category(id="a", name="A", capacity=1, default=True),
                    Category(id="b", name="B", capacity=1, default=True),
                ]
            },
            "categories",
        ),
        ({"questions": [Question(id="diet", kind="choice", label="Régime")]}, "questions[0].choices"),
        ({"questions": [Question(id="skills", kind="multi_choice", label="Compétences")]}, "questions[0].choices"),
        ({"questions": [Question(id="note", kind="text", label="Un mot", choices=["a"])]}, "questions[0].choices"),
        (
            {"questions": [Question(id="d", kind="choice", label="R", choices=["a", "b"], choices_en=["a"])]},
            "questions[0].choices_en",
        ),
        (
            {"questions": [Question(id="n", kind="text", label="N"), Question(id="n", kind="text", label="M")]},
            "questions[1].id",
        ),
        ({"questions": [Question(id="n", kind="text", label="N", categories=["jury"])]}, "questions[0].categories"),
        (
            {
                "registration_opens_at": datetime(2027, 6, 1, 9, 0),
                "registration_closes_at": datetime(2027, 5, 1, 9, 0),
            },
            "registration_closes_at",
        ),
    ],
)
def test_a_wrong_definition_is_refused_naming_its_field(changes: dict[str, object], field: str) -> None:
    code, refused_field = rejection(spec(**changes))
    assert (code, refused_field) == ("invalid", field)


def test_refusals_say_what_is_wrong_in_a_sentence() -> None:
    with pytest.raises(Rejected) as caught:
        normalise(spec(timezone="Europe/La_Loupe"))
    assert "Europe/La_Loupe" in caught.value.reply.message
    assert "Europe/Paris" in caught.value.reply.message  # says what a valid value looks like


def test_a_new_definition_is_appended_normalised() -> None:
    event = decide_define(CatalogState(), spec(), "cmd-1", NOW)
    # A new event names its organisation: the default one when none is asked for.
    assert event == EventDefined(command_id="cmd-1", spec=normalise(spec()), at=NOW, organisation="perche")


def test_loading_the_same_definition_twice_appends_nothing() -> None:
    state = CatalogState()
    first = decide_define(state, spec(), "cmd-1", NOW)
    assert first is not None
    state.evolve(first)
    assert decide_define(state, spec(), "cmd-2", NOW) is None


def test_a_wrong_definition_is_refused_with_a_key_a_page_translates() -> None:
    with pytest.raises(Rejected) as caught:
        normalise(spec(questions=[Question(id="diet", kind="choice", label="Régime")]))
    assert caught.value.reply.key == "question_needs_choices"
    with pytest.raises(Rejected) as caught:
        normalise(spec(ends_at=datetime(2027, 6, 12, 8, 0)))
    assert caught.value.reply.key == "event_ends_first"


def test_a_definition_keeps_its_toml_text_and_a_new_text_alone_is_kept_too() -> None:
    state = CatalogState()
    first = decide_define(state, spec(), "cmd-1", NOW, source="# v1\n")
    assert first is not None and first.source == "# v1\n"
    state.evolve(first)
    assert decide_define(state, spec(), "cmd-2", NOW, source="# v1\n") is None  # loading twice
    assert decide_define(state, spec(), "cmd-3", NOW) is None  # a form's save of the same
    comment = decide_define(state, spec(), "cmd-4", NOW, source="# v2, a comment changed\n")
    assert comment is not None
    state.evolve(comment)
    state.evolve(EventDefined(command_id="cmd-5", spec=normalise(spec(title="Autre")), at=NOW))
    assert state.sources == {"portes-ouvertes-2027": "# v2, a comment changed\n"}  # the web judges if it still fits


def test_a_changed_definition_is_appended_as_the_next_revision() -> None:
    state = CatalogState()
    state.evolve(EventDefined(command_id="cmd-1", spec=normalise(spec()), at=NOW))
    bigger = spec(categories=[Category(id="public", name="Visiteur", capacity=80, default=True)], questions=[])
    event = decide_define(state, bigger, "cmd-2", NOW)
    assert event is not None
    state.evolve(event)
    assert state.revisions == {"portes-ouvertes-2027": 2}
    assert state.events["portes-ouvertes-2027"].categories[0].capacity == 80
    assert state.commands == {"cmd-1": "portes-ouvertes-2027", "cmd-2": "portes-ouvertes-2027"}


def test_a_refused_definition_leaves_the_state_as_it_was() -> None:
    state = CatalogState()
    state.evolve(EventDefined(command_id="cmd-1", spec=normalise(spec()), at=NOW))
    before = (dict(state.events), dict(state.revisions), dict(state.commands))
    with pytest.raises(Rejected):
        decide_define(state, spec(timezone="Mars/Olympus"), "cmd-2", NOW)
    assert (state.events, state.revisions, state.commands) == before


def test_only_published_events_are_listed_soonest_first() -> None:
    state = CatalogState()
    later = normalise(spec(slug="later", starts_at=datetime(2027, 9, 1, 9), ends_at=datetime(2027, 9, 1, 17)))
    sooner = normalise(spec(slug="sooner"))
    hidden = normalise(spec(slug="hidden", published=False, starts_at=datetime(2027, 3, 1, 9)))
    for i, item in enumerate((later, hidden, sooner)):
        state.evolve(EventDefined(command_id=f"c{i}", spec=item, at=NOW))
    assert [e.slug for e in state.published()] == ["sooner", "later"]
    assert set(state.events) == {"later", "sooner", "hidden"}


def test_organisers_are_known_by_id_and_their_commands_remembered() -> None:
    state = CatalogState()
    state.evolve(OrganiserRegistered(organiser_id="abc", command_id="c-org", at=NOW))
    state.evolve(OrganiserRegistered(organiser_id="abc", command_id="c-org-again", at=NOW))
    assert state.organisers == {"abc"}
    assert state.commands == {"c-org": "abc", "c-org-again": "abc"}


# One account's failed logins are counted by the catalog's one throttle, with the account's limit.
LoginFailures = Attempts


def decide_login_attempt(failures: Attempts, now: datetime) -> Attempts:
    return decide_attempt(failures, ACCOUNT_LOGINS, now)


def attempts(times: list[datetime]) -> LoginFailures:
    """The stored failures after these attempts, each decided at its own moment."""
    failures = LoginFailures()
    for moment in times:
        failures = decide_login_attempt(failures, moment)
    return failures


def test_each_login_attempt_counts_as_a_failure_until_it_succeeds() -> None:
    assert decide_login_attempt(LoginFailures(), NOW) == LoginFailures(at=(NOW,))
    two = attempts([NOW, NOW + timedelta(seconds=1)])
    assert two.at == (NOW, NOW + timedelta(seconds=1))


def test_the_attempt_after_five_failures_in_fifteen_minutes_is_refused_and_writes_nothing() -> None:
    failures = attempts([NOW + timedelta(minutes=i) for i in range(LOGIN_ATTEMPTS)])
    assert len(failures.at) == LOGIN_ATTEMPTS == 5
    with pytest.raises(Rejected) as refused:
        decide_login_attempt(failures, NOW + timedelta(minutes=10))
    assert refused.value.reply.code == "rate_limited"
    assert refused.value.reply.key == "login_throttled"
    # The oldest failure leaves the window at NOW + 15 min: five minutes from then.
    assert refused.value.reply.message == "Too many failed logins for this account: try again in 5 minutes"
    assert refused.value.reply.retry_after == 300


def test_failures_older_than_the_window_no_longer_count() -> None:
    failures = attempts([NOW + timedelta(minutes=i) for i in range(LOGIN_ATTEMPTS)])
    later = NOW + LOGIN_WINDOW + timedelta(seconds=1)  # the first failure has just left the window
    allowed = decide_login_attempt(failures, later)
    assert allowed.at == (*failures.at[1:], later)
    with pytest.raises(Rejected):
        decide_login_attempt(allowed, later)
    much_later = later + LOGIN_WINDOW
    assert decide_login_attempt(allowed, much_later) == LoginFailures(at=(much_later,))


def test_failures_stored_by_an_instance_whose_clock_is_ahead_still_count() -> None:
    # Dropping them would let guesses spread over instances with skewed clocks slip through.
    ahead = LoginFailures(at=tuple(NOW + timedelta(seconds=2) for _ in range(LOGIN_ATTEMPTS)))
    with pytest.raises(Rejected):
        decide_login_attempt(ahead, NOW)


def test_a_copy_shifts_every_date_by_the_same_days_in_the_events_zone_and_is_unpublished() -> None:
    root = Path(__file__).resolve().parents[2]
    hackathon = normalise(read_event_file(root / "events" / "hackathon-comice-2027.toml"))
    hackathon = with_status(hackathon, "archive", datetime(2027, 1, 1, tzinfo=UTC))
    copy = normalise(copied(hackathon, "hackathon-2028", "Hackathon 2028", date(2028, 6, 9)))
    assert (copy.slug, copy.title, copy.published, copy.archived) == ("hackathon-2028", "Hackathon 2028", False, False)
    days = timedelta(days=(date(2028, 6, 9) - date(2027, 6, 11)).days)
    assert copy.starts_at - hackathon.starts_at == days  # both in summer time: the same hour
    assert [s.starts_at - o.starts_at for s, o in zip(copy.sessions, hackathon.sessions, strict=True)] == [days] * len(
        copy.sessions
    )
    assert copy.sessions and [c.id for c in copy.categories] == [c.id for c in hackathon.categories]
    spans = [
        (a, b)
        for p, q in zip(copy.speakers, hackathon.speakers, strict=True)
        for a, b in zip(p.availability, q.availability, strict=True)
    ]
    assert all(a.starts_at - b.starts_at == days for a, b in spans)
    if hackathon.registration_closes_at:
        assert copy.registration_closes_at == hackathon.registration_closes_at + days


def test_closing_registration_by_hand_ends_the_window_now_and_opening_it_clears_what_was_past() -> None:
    now = datetime(2027, 5, 1, 12, tzinfo=UTC)
    event = spec(registration_opens_at=now - timedelta(days=3), registration_closes_at=now + timedelta(days=30))
    closed = with_status(event, "close_registration", now)
    assert (closed.registration_opens_at, closed.registration_closes_at) == (now - timedelta(days=3), now)
    opened = with_status(closed, "open_registration", now + timedelta(hours=1))
    assert (opened.registration_opens_at, opened.registration_closes_at) == (now - timedelta(days=3), None)
    assert with_status(event, "unpublish", now).published is False
    assert with_status(event, "archive", now).archived is True


# --- Ranking questions and the inputs of team formation (issue 13)


def hackathon(**changes: object) -> EventSpec:
    """A small hackathon with two challenges and the questions team formation reads."""
    base = spec(
        kind="hackathon",
        categories=[Category(id="participant", name="Participant", capacity=30, default=True)],
        questions=[
            Question(id="challenges", kind="ranking", label="Classez les défis"),
            Question(id="skills", kind="multi_choice", label="Compétences", choices=["Web", "Agriculture"]),
            Question(id="level", kind="choice", label="Expérience", choices=["Jamais", "Un peu", "Beaucoup"]),
            Question(id="codes", kind="yes_no", label="Codez-vous ?"),
            Question(id="note", kind="text", label="Un mot ?"),
        ],
        challenges=[Challenge(id="traite", title="La traite"), Challenge(id="meteo", title="La météo")],
    )
    return msgspec.structs.replace(base, **changes)


def formation(**inputs: object) -> TeamFormation:
    return TeamFormation(**inputs)  # type: ignore[arg-type]


def refusal(candidate: EventSpec) -> tuple[str | None, str | None]:
    with pytest.raises(Rejected) as caught:
        normalise(candidate)
    return caught.value.reply.key, caught.value.reply.field


def test_a_ranking_question_without_choices_ranks_the_challenges_and_one_with_choices_ranks_them() -> None:
    ranked = Question(id="food", kind="ranking", label="Repas", choices=["Crêpes", "Galettes"], ranks=2)
    normalised = normalise(hackathon(questions=[*hackathon().questions, ranked]))
    assert [q.kind for q in normalised.questions] == ["ranking", "multi_choice", "choice", "yes_no", "text", "ranking"]
    assert normalise(hackathon(challenges=[], questions=[ranked])).questions == [ranked]


def test_a_complete_team_formation_section_is_accepted_as_written() -> None:
    inputs = formation(
        min_size=3,
        challenges="challenges",
        skills="skills",
        codes="level",
        codes_if=["Un peu", "Beaucoup"],
        experience="level",
        experience_levels=["beginner", "intermediate", "expert"],
        domain="skills",
        domain_if=["Agriculture"],
    )
    assert normalise(hackathon(team_formation=inputs)).team_formation == inputs
    assert normalise(hackathon(team_formation=formation(codes="codes"))).team_formation == formation(codes="codes")


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        (
            {"challenges": [], "questions": [Question(id="challenges", kind="ranking", label="Classez")]},
            ("question_ranking_needs_choices", "questions[0].choices"),
        ),
        (
            {"questions": [Question(id="r", kind="ranking", label="R", choices=["a", "b"], choices_en=["a"])]},
            ("question_choices_en", "questions[0].choices_en"),
        ),
        ({"team_formation": formation(min_size=6)}, ("formation_sizes", "team_formation.min_size")),
        ({"team_formation": formation(skills="languages")}, ("formation_unknown_question", "team_formation.skills")),
        ({"team_formation": formation(challenges="skills")}, ("formation_wrong_kind", "team_formation.challenges")),
        (
            {
                "questions": [Question(id="food", kind="ranking", label="Repas", choices=["a", "b"])],
                "team_formation": formation(challenges="food"),
            },
            ("formation_wrong_kind", "team_formation.challenges"),
        ),
        ({"team_formation": formation(skills="note")}, ("formation_wrong_kind", "team_formation.skills")),
        ({"team_formation": formation(codes="note")}, ("formation_wrong_kind", "team_formation.codes")),
        ({"team_formation": formation(domain="challenges")}, ("formation_wrong_kind", "team_formation.domain")),
        ({"team_formation": formation(experience="skills")}, ("formation_wrong_kind", "team_formation.experience")),
        ({"team_formation": formation(codes="level")}, ("formation_if_needed", "team_formation.codes_if")),
        (
            {"team_formation": formation(codes="level", codes_if=["Souvent"])},
            ("formation_unknown_choice", "team_formation.codes_if"),
        ),
        (
            {"team_formation": formation(domain="skills", domain_if=["Farming"])},
            ("formation_unknown_choice", "team_formation.domain_if"),
        ),
        (
            {"team_formation": formation(codes="codes", codes_if=["oui"])},
            ("formation_unknown_choice", "team_formation.codes_if"),
        ),
        ({"team_formation": formation(domain_if=["Web"])}, ("formation_unknown_choice", "team_formation.domain_if")),
        (
            {"team_formation": formation(experience="level", experience_levels=["beginner", "expert"])},
            ("formation_levels_count", "team_formation.experience_levels"),
        ),
        (
            {"team_formation": formation(experience_levels=["beginner"])},
            ("formation_levels_count", "team_formation.experience_levels"),
        ),
    ],
)
def test_a_wrong_ranking_question_or_formation_input_is_refused_with_its_key_next_to_its_field(
    changes: dict[str, object], refused: tuple[str, str]
) -> None:
    assert refusal(hackathon(**changes)) == refused


def test_a_formation_refusal_says_which_question_and_what_it_needs() -> None:
    with pytest.raises(Rejected) as caught:
        normalise(hackathon(team_formation=formation(skills="note")))
    assert "'note'" in caught.value.reply.message
    assert "multi_choice" in caught.value.reply.message
