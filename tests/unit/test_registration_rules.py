"""Registration's pure rules: seats, the waitlist and its offers, answers, and state from events."""

import copy
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from schemas.catalog import Category, Challenge, EventSpec, Question, Venue
from schemas.errors import Rejected
from schemas.registration import (
    CheckedIn,
    PersonErased,
    Register,
    RegistrationCancelled,
    RegistrationEvent,
)
from schemas.validation import looks_like_email, normalise_email
from services.registration.rules import (
    MAX_TEXT_ANSWER,
    RegistrationState,
    category_status,
    check_answers,
    check_answers_change,
    decide_cancel,
    decide_check_in,
    decide_claim,
    decide_offer,
    decide_promote,
    decide_register,
    due_for_purge,
    event_status,
    lapsed_offers,
    payload_fingerprint,
)

NOW = datetime(2027, 5, 2, 10, 0, tzinfo=UTC)
SLUG = "atelier-2027"

EVENT = EventSpec(
    slug=SLUG,
    title="Atelier",
    kind="workshop",
    starts_at=datetime(2027, 6, 12, 7, 0, tzinfo=UTC),
    ends_at=datetime(2027, 6, 12, 15, 0, tzinfo=UTC),
    venue=Venue(name="École"),
    waitlist_offer_hours=24,
    purge_after_days=30,
    categories=[
        Category(id="participant", name="Participant", capacity=2, default=True),
        Category(id="mentor", name="Mentor", capacity=1),
        Category(id="juror", name="Jury", capacity=3, public=False),
    ],
    questions=[
        Question(
            id="level",
            kind="choice",
            label="Niveau",
            choices=["débutant", "confirmé"],
            required=True,
            categories=["participant"],
        ),
        Question(id="skills", kind="multi_choice", label="Compétences", choices=["web", "données", "design"]),
        Question(id="lunch", kind="yes_no", label="Déjeuner ?"),
        Question(id="note", kind="text", label="Un mot ?"),
    ],
)


def command(n: int = 1, **changes: object) -> Register:
    base = Register(
        command_id=f"command-{n:04d}",
        event=SLUG,
        name=f"Personne {n}",
        email=f"p{n}@example.org",
        consent=True,
        category="mentor",
    )
    return msgspec.structs.replace(base, **changes)


class Ledger:
    """A state fed only by the events the rules decide, as the service does after each append."""

    def __init__(self, spec: EventSpec = EVENT) -> None:
        self.spec = spec
        self.state = RegistrationState()
        self.log: list[RegistrationEvent] = []

    def apply(self, event: RegistrationEvent) -> RegistrationEvent:
        self.state.evolve(event)
        self.log.append(event)
        return event

    def register(self, n: int, **changes: object) -> str:
        event, _ = decide_register(self.state, self.spec, command(n, **changes), f"r{n}", NOW)
        self.apply(event)
        return event.registration_id

    def cancel(self, registration_id: str, at: datetime = NOW) -> None:
        self.apply(decide_cancel(self.state, registration_id, f"cancel-{registration_id}", None, at))

    def offer(self, category: str, at: datetime = NOW) -> str | None:
        offered = decide_offer(self.state, self.spec, category, at)
        if offered is None:
            return None
        self.apply(offered)
        return offered.registration_id

    def statuses(self) -> dict[str, str]:
        return {r.id: r.status for r in self.state.records.values()}


def refusal(call: object) -> tuple[str, str | None, str | None]:
    with pytest.raises(Rejected) as caught:
        call()  # type: ignore[operator]
    reply = caught.value.reply
    return reply.code, reply.field, reply.key


# --- registering ---


def test_the_first_person_gets_the_first_seat_of_the_default_category() -> None:
    event, answers = decide_register(
        RegistrationState(), EVENT, command(category=None, answers={"level": "débutant"}), "r1", NOW
    )
    assert (event.status, event.category, event.seat, event.registration_id) == ("confirmed", "participant", 1, "r1")
    assert (event.event, event.command_id, event.at, event.language) == (SLUG, "command-0001", NOW, "fr")
    assert answers == {"level": "débutant"}


def test_people_beyond_capacity_wait_in_order() -> None:
    ledger = Ledger()
    ids = [ledger.register(n) for n in range(1, 4)]  # mentors: one seat
    assert ledger.statuses() == {ids[0]: "confirmed", ids[1]: "waitlisted", ids[2]: "waitlisted"}
    assert [ledger.state.position(i) for i in ids] == [None, 1, 2]
    tally = ledger.state.tally(SLUG, "mentor")
    assert (tally.confirmed, tally.waitlist, tally.holders) == (1, ids[1:], {1: ids[0]})


def test_seats_being_claimed_by_concurrent_requests_are_not_given_twice() -> None:
    state = RegistrationState()
    participant = command(answers={"level": "confirmé"}, category="participant")
    event, _ = decide_register(state, EVENT, participant, "r1", NOW, reserved={1})
    assert event.seat == 2
    full, _ = decide_register(state, EVENT, participant, "r1", NOW, reserved={1, 2})
    assert (full.status, full.seat) == ("waitlisted", None)


def test_a_newcomer_does_not_jump_the_queue_when_a_seat_frees_up() -> None:
    ledger = Ledger()
    first, waiting = ledger.register(1), ledger.register(2)
    ledger.cancel(first)
    newcomer = ledger.register(3)
    assert (ledger.statuses()[newcomer], ledger.state.position(newcomer)) == ("waitlisted", 2)
    assert ledger.state.position(waiting) == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "   "}, ("invalid", "name", "name_required")),
        ({"email": "jeanne.example.org"}, ("invalid", "email", "email_invalid")),
        ({"email": "jeanne@localhost"}, ("invalid", "email", "email_invalid")),
        ({"consent": False}, ("invalid", "consent", "consent_required")),
        ({"category": "bénévole"}, ("invalid", "category", "unknown_category")),
        ({"category": "juror"}, ("invalid", "category", "unknown_category")),  # by invitation only
        ({"category": "participant"}, ("invalid", "answers.level", "answer_required")),
        (
            {"answers": {"level": "expert"}, "category": "participant"},
            ("invalid", "answers.level", "answer_not_a_choice"),
        ),
        ({"answers": {"age": "42"}}, ("invalid", "answers.age", "unknown_question")),
    ],
)
def test_a_refused_registration_says_which_field_and_why(
    changes: dict[str, object], expected: tuple[str, str, str]
) -> None:
    state = RegistrationState()
    assert refusal(lambda: decide_register(state, EVENT, command(**changes), "r1", NOW)) == expected
    assert state.records == {} and state.tallies == {}


def problems(call: object) -> list[tuple[str | None, str | None]]:
    """Every problem a refusal names, as (field, key)."""
    with pytest.raises(Rejected) as caught:
        call()  # type: ignore[operator]
    return [(p.field, p.key) for p in caught.value.reply.every_problem()]


def test_a_registration_with_several_mistakes_is_refused_naming_every_one_the_first_as_before() -> None:
    state = RegistrationState()
    wrong = command(
        name=" ",
        email="jeanne.example.org",
        consent=False,
        category="participant",
        answers={"age": "42", "lunch": "oui"},
    )
    with pytest.raises(Rejected) as caught:
        decide_register(state, EVENT, wrong, "r1", NOW)
    reply = caught.value.reply
    # The first problem stays where clients that read one look: code, field, key and message.
    assert (reply.code, reply.field, reply.key, reply.message) == (
        "invalid",
        "name",
        "name_required",
        "Please give your name",
    )
    assert [(p.field, p.key) for p in reply.problems] == [
        ("name", "name_required"),
        ("email", "email_invalid"),
        ("consent", "consent_required"),
        ("answers.age", "unknown_question"),
        ("answers.level", "answer_required"),
        ("answers.lunch", "answer_wrong_kind"),
    ]
    assert all(p.message for p in reply.problems)
    assert state.records == {} and state.tallies == {}


def test_a_single_mistake_is_refused_as_it_always_was_without_a_list() -> None:
    with pytest.raises(Rejected) as caught:
        decide_register(RegistrationState(), EVENT, command(consent=False), "r1", NOW)
    assert caught.value.reply.problems == []
    assert problems(lambda: decide_register(RegistrationState(), EVENT, command(consent=False), "r1", NOW)) == [
        ("consent", "consent_required")
    ]


def test_an_unknown_category_is_reported_with_the_others_and_its_answers_are_not_judged() -> None:
    wrong = command(name="", category="bénévole", answers={"age": "42"})
    assert problems(lambda: decide_register(RegistrationState(), EVENT, wrong, "r1", NOW)) == [
        ("name", "name_required"),
        ("category", "unknown_category"),
    ]


def test_a_closed_window_comes_after_the_forms_mistakes_and_alone_when_there_are_none() -> None:
    closed = with_windows(mentor=(None, NOW - timedelta(hours=1)))
    state = RegistrationState()
    assert refusal(lambda: decide_register(state, closed, command(answers={"age": "1"}), "r1", NOW)) == (
        "conflict",
        "category",
        "closed",
    )
    # As before, a mistake on the form is said first; then every one of them, never the window.
    wrong = command(name="", answers={"age": "1"})
    assert problems(lambda: decide_register(state, closed, wrong, "r1", NOW)) == [
        ("name", "name_required"),
        ("answers.age", "unknown_question"),
    ]


def test_wrong_answers_are_all_named_at_once() -> None:
    answers = {"lunch": "oui", "skills": ["cuisine"], "note": "x" * (MAX_TEXT_ANSWER + 1), "age": "42"}
    assert problems(lambda: check_answers(EVENT, "participant", answers)) == [  # type: ignore[arg-type]
        ("answers.age", "unknown_question"),
        ("answers.level", "answer_required"),
        ("answers.skills", "answer_not_a_choice"),
        ("answers.lunch", "answer_wrong_kind"),
        ("answers.note", "answer_too_long"),
    ]


def test_a_change_of_answers_names_the_name_and_every_wrong_answer() -> None:
    change = check_answers_change
    assert change(EVENT, "mentor", "Anne", "a@example.org", {"lunch": True}) == {"lunch": True}
    assert problems(lambda: change(EVENT, "participant", " ", "a@example.org", {"lunch": "oui"})) == [
        ("name", "name_required"),
        ("answers.level", "answer_required"),
        ("answers.lunch", "answer_wrong_kind"),
    ]


def test_registration_is_refused_outside_its_window() -> None:
    windowed = msgspec.structs.replace(
        EVENT,
        registration_opens_at=NOW + timedelta(days=1),
        registration_closes_at=NOW + timedelta(days=10),
    )
    state = RegistrationState()
    early = refusal(lambda: decide_register(state, windowed, command(), "r1", NOW))
    late = refusal(lambda: decide_register(state, windowed, command(), "r1", NOW + timedelta(days=10)))
    after_the_event = refusal(lambda: decide_register(state, EVENT, command(), "r1", EVENT.ends_at))
    assert early == ("conflict", "category", "not_open_yet")
    assert late == after_the_event == ("conflict", "category", "closed")
    opened, _ = decide_register(state, windowed, command(), "r1", NOW + timedelta(days=1))
    assert opened.status == "confirmed"


def test_a_category_window_overrides_the_event_window() -> None:
    mentors_later = msgspec.structs.replace(
        EVENT,
        categories=[
            msgspec.structs.replace(EVENT.categories[0]),
            msgspec.structs.replace(EVENT.categories[1], opens_at=NOW + timedelta(hours=1)),
        ],
    )
    state = RegistrationState()
    assert refusal(lambda: decide_register(state, mentors_later, command(), "r1", NOW))[2] == "not_open_yet"
    participant, _ = decide_register(
        state, mentors_later, command(category="participant", answers={"level": "débutant"}), "r1", NOW
    )
    assert participant.status == "confirmed"


# --- the status the counts report (what the public form offers now) ---


def statuses(spec: EventSpec, now: datetime, remaining: dict[str, int] | None = None) -> dict[str, str]:
    """Each category's status and the event's (under "*"), `remaining` seats by category (default: some)."""
    by_category = {
        c.id: category_status(spec, c, (remaining or {}).get(c.id, c.capacity), now) for c in spec.categories
    }
    return {**by_category, "*": event_status(spec, by_category)}


def with_windows(**windows: tuple[datetime | None, datetime | None]) -> EventSpec:
    """EVENT with the categories named given their own (opens_at, closes_at)."""
    categories = [
        msgspec.structs.replace(c, opens_at=windows[c.id][0], closes_at=windows[c.id][1]) if c.id in windows else c
        for c in EVENT.categories
    ]
    return msgspec.structs.replace(EVENT, categories=categories)


def test_without_category_windows_the_status_follows_the_events_window_and_seats() -> None:
    windowed = msgspec.structs.replace(
        EVENT, registration_opens_at=NOW + timedelta(days=1), registration_closes_at=NOW + timedelta(days=10)
    )
    assert set(statuses(windowed, NOW).values()) == {"not_open"}
    assert set(statuses(windowed, NOW + timedelta(days=1)).values()) == {"open"}
    assert set(statuses(windowed, NOW + timedelta(days=10)).values()) == {"closed"}
    assert set(statuses(EVENT, EVENT.ends_at).values()) == {"closed"}
    # Full once every public category is: the invitation-only jurors' free seats do not count.
    full = statuses(EVENT, NOW, {"participant": 0, "mentor": 0})
    assert full == {"participant": "full", "mentor": "full", "juror": "open", "*": "full"}
    assert statuses(EVENT, NOW, {"participant": 0})["*"] == "open"


def test_a_category_whose_own_window_closed_is_closed_while_the_event_stays_open_through_another() -> None:
    spec = with_windows(mentor=(None, NOW - timedelta(hours=1)))
    assert statuses(spec, NOW) == {"participant": "open", "mentor": "closed", "juror": "open", "*": "open"}
    # The rule that refuses the registration says the same.
    assert refusal(lambda: decide_register(RegistrationState(), spec, command(), "r1", NOW))[2] == "closed"


def test_with_every_public_category_closed_by_its_own_window_the_event_is_closed() -> None:
    spec = with_windows(participant=(None, NOW - timedelta(days=1)), mentor=(None, NOW - timedelta(hours=1)))
    assert statuses(spec, NOW) == {"participant": "closed", "mentor": "closed", "juror": "open", "*": "closed"}


def test_the_event_says_the_most_hopeful_of_its_public_categories() -> None:
    later, closed = (NOW + timedelta(days=1), None), (None, NOW - timedelta(hours=1))
    # Opening later is worth coming back for, even if the other category is full or closed.
    assert statuses(with_windows(participant=later, mentor=closed), NOW)["*"] == "not_open"
    assert statuses(with_windows(participant=later), NOW, {"mentor": 0})["*"] == "not_open"
    # A full category still takes people on its waitlist: better than closed.
    assert statuses(with_windows(mentor=closed), NOW, {"participant": 0})["*"] == "full"
    invitation_only = msgspec.structs.replace(EVENT, categories=[EVENT.categories[2]])
    assert statuses(invitation_only, NOW) == {"juror": "open", "*": "closed"}


# --- answers ---


def test_answers_are_cleaned_blanks_dropped_and_choices_kept_in_the_events_order() -> None:
    answers = check_answers(
        EVENT,
        "participant",
        {"level": "confirmé", "skills": ["design", "web"], "lunch": False, "note": "  bonjour  "},
    )
    assert answers == {"level": "confirmé", "skills": ["web", "design"], "lunch": False, "note": "bonjour"}
    assert check_answers(EVENT, "mentor", {"note": "   ", "skills": [], "lunch": True}) == {"lunch": True}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"lunch": "oui"}, ("invalid", "answers.lunch", "answer_wrong_kind")),
        ({"skills": "web"}, ("invalid", "answers.skills", "answer_wrong_kind")),
        ({"skills": ["web", "cuisine"]}, ("invalid", "answers.skills", "answer_not_a_choice")),
        ({"note": "x" * (MAX_TEXT_ANSWER + 1)}, ("invalid", "answers.note", "answer_too_long")),
        ({"level": "débutant"}, ("invalid", "answers.level", "unknown_question")),  # participants only
    ],
)
def test_a_wrong_answer_is_refused_naming_the_question(
    answers: dict[str, object], expected: tuple[str, str, str]
) -> None:
    assert refusal(lambda: check_answers(EVENT, "mentor", answers)) == expected  # type: ignore[arg-type]


# --- ranking answers (issue 13) ---

HACKATHON = msgspec.structs.replace(
    EVENT,
    kind="hackathon",
    questions=[
        Question(id="challenges", kind="ranking", label="Classez les défis", required=True),
        Question(id="food", kind="ranking", label="Repas", choices=["crêpes", "galettes", "cidre"], ranks=2),
    ],
    challenges=[
        Challenge(id="traite", title="La traite"),
        Challenge(id="meteo", title="La météo"),
        Challenge(id="circuit", title="Le circuit court"),
        Challenge(id="sol", title="Le sol"),
    ],
)


def test_a_ranking_answer_keeps_the_persons_order_with_blank_places_dropped() -> None:
    answers = check_answers(
        HACKATHON, "participant", {"challenges": ["meteo", "", "traite"], "food": ["galettes", "crêpes"]}
    )
    assert answers == {"challenges": ["meteo", "traite"], "food": ["galettes", "crêpes"]}
    assert check_answers(HACKATHON, "participant", {"challenges": ["sol"], "food": ["", ""]}) == {"challenges": ["sol"]}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"challenges": ["", "", ""]}, ("invalid", "answers.challenges", "answer_required")),
        ({"challenges": "traite"}, ("invalid", "answers.challenges", "answer_wrong_kind")),
        ({"challenges": ["traite", "traite"]}, ("invalid", "answers.challenges", "answer_ranked_twice")),
        (
            {"challenges": ["traite", "meteo", "circuit", "sol"]},
            ("invalid", "answers.challenges", "answer_too_many_ranked"),
        ),
        ({"challenges": ["La traite"]}, ("invalid", "answers.challenges", "answer_not_a_choice")),
        (
            {"challenges": ["traite"], "food": ["cidre", "crêpes", "galettes"]},
            ("invalid", "answers.food", "answer_too_many_ranked"),
        ),
        ({"challenges": ["traite"], "food": ["traite"]}, ("invalid", "answers.food", "answer_not_a_choice")),
    ],
)
def test_a_wrong_ranking_answer_is_refused_naming_the_question(
    answers: dict[str, object], expected: tuple[str, str, str]
) -> None:
    assert refusal(lambda: check_answers(HACKATHON, "participant", answers)) == expected  # type: ignore[arg-type]


# --- cancelling, offers and claims ---


def test_cancelling_frees_the_seat_and_cannot_happen_twice() -> None:
    ledger = Ledger()
    person = ledger.register(1)
    ledger.cancel(person)
    assert ledger.statuses() == {person: "cancelled"}
    tally = ledger.state.tally(SLUG, "mentor")
    assert (tally.confirmed, tally.holders, tally.released) == (0, {}, {1})
    assert refusal(lambda: decide_cancel(ledger.state, person, "again", None, NOW)) == (
        "conflict",
        None,
        "already_cancelled",
    )
    assert refusal(lambda: decide_cancel(ledger.state, "nobody", "x", None, NOW))[0] == "not_found"


def test_an_organiser_cancellation_names_the_organiser() -> None:
    ledger = Ledger()
    person = ledger.register(1)
    event = decide_cancel(ledger.state, person, "c", "orga-1", NOW)
    assert event == RegistrationCancelled(
        registration_id=person, command_id="c", event=SLUG, by_organiser="orga-1", at=NOW
    )


def test_a_freed_seat_is_offered_to_the_first_person_waiting_who_claims_it() -> None:
    ledger = Ledger()
    first, second, third = ledger.register(1), ledger.register(2), ledger.register(3)
    assert ledger.offer("mentor") is None  # no seat is free
    ledger.cancel(first)
    offered = decide_offer(ledger.state, EVENT, "mentor", NOW)
    assert offered is not None
    assert (offered.registration_id, offered.seat, offered.expires_at) == (second, 1, NOW + timedelta(hours=24))
    # Two instances deciding the same offer choose the same id, so JetStream keeps one.
    same = decide_offer(ledger.state, EVENT, "mentor", NOW + timedelta(seconds=5))
    assert same is not None and same.command_id == offered.command_id
    ledger.apply(offered)
    assert ledger.offer("mentor") is None  # the offered seat is held
    assert (ledger.state.position(third), ledger.state.tally(SLUG, "mentor").offered) == (1, 1)

    claimed = decide_claim(ledger.state, second, "claim-1", NOW + timedelta(hours=1))
    ledger.apply(claimed)
    assert (ledger.statuses()[second], ledger.state.records[second].offer_expires_at) == ("confirmed", None)
    assert refusal(lambda: decide_claim(ledger.state, second, "claim-2", NOW))[2] == "already_confirmed"
    assert refusal(lambda: decide_claim(ledger.state, third, "claim-3", NOW))[2] == "no_offer"


def test_an_unclaimed_offer_lapses_and_passes_to_the_next_person() -> None:
    ledger = Ledger()
    first, second, third = ledger.register(1), ledger.register(2), ledger.register(3)
    ledger.cancel(first)
    ledger.offer("mentor")
    deadline = ledger.state.records[second].offer_expires_at
    assert deadline is not None
    assert lapsed_offers(ledger.state, deadline - timedelta(seconds=1)) == []
    assert refusal(lambda: decide_claim(ledger.state, second, "late", deadline))[2] == "offer_expired"

    lapses = lapsed_offers(ledger.state, deadline)
    assert [lapse.registration_id for lapse in lapses] == [second]
    ledger.apply(lapses[0])
    assert ledger.statuses()[second] == "cancelled"
    assert ledger.offer("mentor", deadline) == third
    assert ledger.state.records[third].seat == 1


def test_seats_added_to_a_full_category_go_to_the_first_people_waiting_and_no_further() -> None:
    ledger = Ledger()
    seated, *waiting = (ledger.register(n) for n in range(1, 5))
    ledger.spec = msgspec.structs.replace(
        EVENT,
        categories=[msgspec.structs.replace(c, capacity=3) if c.id == "mentor" else c for c in EVENT.categories],
    )
    offers = [ledger.offer("mentor"), ledger.offer("mentor"), ledger.offer("mentor")]
    assert offers == [waiting[0], waiting[1], None]
    assert [ledger.state.records[w].seat for w in waiting] == [2, 3, None]
    assert ledger.state.position(waiting[2]) == 1
    assert ledger.state.tally(SLUG, "mentor").holders[1] == seated


def test_a_registration_remembers_when_it_ended() -> None:
    ledger = Ledger()
    first, second = ledger.register(1), ledger.register(2)
    assert ledger.state.records[first].cancelled_at is None
    ledger.cancel(first, NOW + timedelta(hours=2))
    assert ledger.state.records[first].cancelled_at == NOW + timedelta(hours=2)
    ledger.offer("mentor", NOW + timedelta(hours=2))
    deadline = ledger.state.records[second].offer_expires_at
    assert deadline is not None
    [lapse] = lapsed_offers(ledger.state, deadline)
    ledger.apply(lapse)
    assert ledger.state.records[second].cancelled_at == lapse.at


def test_an_organiser_gives_a_seat_only_when_one_is_free() -> None:
    ledger = Ledger()
    first, waiting = ledger.register(1), ledger.register(2)
    assert refusal(lambda: decide_promote(ledger.state, EVENT, waiting, "p1", "orga", NOW))[2] == "no_free_seat"
    assert refusal(lambda: decide_promote(ledger.state, EVENT, first, "p2", "orga", NOW))[2] == "already_confirmed"
    ledger.cancel(first)
    ledger.apply(decide_promote(ledger.state, EVENT, waiting, "p3", "orga", NOW))
    assert ledger.statuses()[waiting] == "confirmed"
    assert ledger.state.tally(SLUG, "mentor").confirmed == 1


def test_a_freed_seat_is_reused_before_a_new_one_is_opened() -> None:
    ledger = Ledger()
    a = ledger.register(1, category="participant", answers={"level": "débutant"})
    ledger.register(2, category="participant", answers={"level": "débutant"})
    ledger.cancel(a)
    again = ledger.register(3, category="participant", answers={"level": "débutant"})
    assert ledger.state.records[again].seat == 1
    assert sorted(ledger.state.tally(SLUG, "participant").holders) == [1, 2]


# --- check-in and personal data ---


def test_check_in_happens_once_and_only_for_confirmed_people() -> None:
    ledger = Ledger()
    person, waiting = ledger.register(1), ledger.register(2)
    assert refusal(lambda: decide_check_in(ledger.state, waiting, "c0", "orga", NOW))[2] == "not_confirmed"
    event = decide_check_in(ledger.state, person, "c1", "orga", NOW)
    assert event == CheckedIn(registration_id=person, command_id="c1", event=SLUG, by_organiser="orga", at=NOW)
    ledger.apply(event)
    assert refusal(lambda: decide_check_in(ledger.state, person, "c2", "orga", NOW))[2] == "already_checked_in"
    assert ledger.state.tally(SLUG, "mentor").checked_in == 1


def test_personal_data_is_due_for_purge_after_the_events_retention() -> None:
    ledger = Ledger()
    kept, erased = ledger.register(1), ledger.register(2)
    ledger.apply(PersonErased(registration_id=erased, command_id="e", event=SLUG, at=NOW))
    end = EVENT.ends_at + timedelta(days=EVENT.purge_after_days)
    assert due_for_purge(ledger.state, {SLUG: EVENT}, end - timedelta(seconds=1)) == []
    assert due_for_purge(ledger.state, {SLUG: EVENT}, end) == [kept]
    assert due_for_purge(ledger.state, {}, end) == []  # an unknown event is never purged blindly


# --- state from events ---


def test_replaying_the_same_events_gives_the_same_state() -> None:
    ledger = Ledger()
    people = [ledger.register(n) for n in range(1, 5)]
    ledger.cancel(people[0])
    ledger.offer("mentor")
    ledger.apply(decide_claim(ledger.state, people[1], "claim", NOW))

    replayed = RegistrationState()
    for event in ledger.log:
        replayed.evolve(event)
    assert replayed == ledger.state
    assert {r.id: r.history for r in replayed.records.values()} == {
        r.id: r.history for r in ledger.state.records.values()
    }
    assert replayed.commands == {(e.registration_id, e.command_id) for e in ledger.log}


# --- shared validation ---


@pytest.mark.parametrize(
    "address", ["jeanne@example.org", "j.dupont+perche@mairie-laloupe.fr", "a@b.co", "lea@café-du-comice.fr"]
)
def test_ordinary_email_addresses_are_accepted(address: str) -> None:
    assert looks_like_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "jeanne",
        "jeanne@",
        "@example.org",
        "jeanne@example",
        "a b@example.org",
        "a@b@example.org",
        "jeanne@example.o",
        "<a@example.org>",
        "a@example.org,",
        "x" * 250 + "@example.org",
        "léa@example.org",
    ],
)
def test_things_that_are_not_email_addresses_are_refused(address: str) -> None:
    assert not looks_like_email(address)


def test_emails_are_compared_without_case_or_surrounding_spaces() -> None:
    assert normalise_email("  Jeanne.Dupont@Example.ORG ") == "jeanne.dupont@example.org"


def test_a_request_sent_again_has_the_same_fingerprint_and_any_other_request_another() -> None:
    key, first = b"k" * 32, command(answers={"skills": ["Code", "Design"], "diet": "aucun"})
    same = msgspec.structs.replace(
        first,
        name=f"  {first.name} ",
        email=first.email.upper(),
        answers={"diet": " aucun ", "skills": ["Design", "Code"], "team": ""},
    )
    assert payload_fingerprint(same, key) == payload_fingerprint(first, key)
    others = [
        msgspec.structs.replace(first, name="Quelqu'un d'autre"),
        msgspec.structs.replace(first, email="autre@example.org"),
        msgspec.structs.replace(first, answers={"skills": ["Code"], "diet": "aucun"}),
        msgspec.structs.replace(first, language="en"),
        msgspec.structs.replace(first, category="public"),
        msgspec.structs.replace(first, event="another-event"),
    ]
    prints = {payload_fingerprint(other, key) for other in others}
    assert len(prints) == len(others) and payload_fingerprint(first, key) not in prints
    # Under another person's key the same request signs differently: nothing links them in the log.
    assert payload_fingerprint(first, b"x" * 32) != payload_fingerprint(first, key)


def test_a_second_registered_event_for_one_registration_changes_nothing() -> None:
    ledger = Ledger()
    first = ledger.register(1)
    before = copy.deepcopy(ledger.state)
    again, _ = decide_register(RegistrationState(), EVENT, command(1, language="en"), first, NOW)
    ledger.state.evolve(again)
    assert (ledger.state.records, ledger.state.tallies, ledger.state.by_event) == (
        before.records,
        before.tallies,
        before.by_event,
    )
