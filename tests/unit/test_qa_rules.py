"""The rules of the audience Q&A, without a network: phases, the bounds of a question, one vote
per person, moderation (edits keep the original, merges combine votes without counting twice)
and repeated commands."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from schemas.errors import Rejected
from schemas.qa import (
    MAX_PENDING_PER_ASKER,
    Action,
    AskQuestion,
    CastVote,
    CreatePoll,
    EditQuestion,
    MergeQuestion,
    ModerateQuestion,
    Phase,
    QaCommand,
    QuestionAsked,
    SetPhase,
    SetPollState,
    VotePoll,
)
from services.kit.codec import decoder
from services.qa.rules import QaState, decide, is_repeat, moderation_view, name_key_of, public_view

SLUG = "table-ronde-numerique"
NOW = datetime(2027, 3, 20, 17, 0, tzinfo=UTC)
ALINE, BRUNO, CLAIRE = "dev:aline0000", "reg:bruno-registration", "dev:claire000"
QUESTION = "Quand ouvrira le centre de formation numérique à La Loupe ?"


class Room:
    """One event's Q&A, evolved only through the rules' own events."""

    def __init__(self) -> None:
        self.state = QaState()
        self.ids = 0
        self.clock = NOW

    @property
    def session(self):  # type: ignore[no-untyped-def]
        return self.state.of(SLUG)

    def run(self, command: QaCommand) -> None:
        if is_repeat(self.session, command):
            return
        self.clock += timedelta(seconds=1)
        self.state.evolve(decide(self.session, command, self.clock))

    def cid(self) -> str:
        self.ids += 1
        return f"command-{self.ids:04d}"

    def phase(self, phase: Phase) -> None:
        self.run(SetPhase(command_id=self.cid(), event=SLUG, phase=phase, by_organiser="org-1"))

    def ask(self, asker: str = ALINE, text: str = QUESTION, name: str = "") -> str:
        self.run(AskQuestion(command_id=self.cid(), event=SLUG, asker=asker, text=text, name=name))
        return max(self.session.questions, key=lambda q: int(q[1:]))

    def vote(self, question: str, voter: str, withdraw: bool = False) -> None:
        self.run(CastVote(command_id=self.cid(), event=SLUG, question=question, voter=voter, withdraw=withdraw))

    def moderate(self, question: str, action: Action) -> None:
        self.run(
            ModerateQuestion(command_id=self.cid(), event=SLUG, question=question, action=action, by_organiser="o")
        )

    def merge(self, question: str, into: str) -> None:
        self.run(MergeQuestion(command_id=self.cid(), event=SLUG, question=question, into=into, by_organiser="o"))

    def key_of(self, command: QaCommand) -> str | None:
        with pytest.raises(Rejected) as refused:
            self.run(command)
        return refused.value.reply.key


@pytest.fixture
def room() -> Room:
    made = Room()
    made.phase("open")
    return made


def test_a_session_starts_closed_and_not_enabled_so_nobody_can_ask() -> None:
    fresh = Room()
    view = public_view(fresh.session)
    assert (view.enabled, view.phase, view.questions) == (False, "closed", [])
    asked = AskQuestion(command_id="ask-before-open", event=SLUG, asker=ALINE, text=QUESTION)
    assert fresh.key_of(asked) == "qa_closed"
    assert fresh.session.questions == {}


def test_every_question_starts_pending_and_the_public_does_not_see_it(room: Room) -> None:
    question = room.ask(name="  Aline   Martin ")
    assert room.session.questions[question].status == "pending"
    assert public_view(room.session).questions == []
    # Its asker sees it waiting, nobody else does.
    assert [q.id for q in public_view(room.session, ALINE).mine] == [question]
    assert public_view(room.session, BRUNO).mine == []
    # The name is personal data: the event names where it is kept (the names bucket), never the name.
    asked = room.session.questions[question]
    assert (asked.name, asked.name_key) == ("", name_key_of(SLUG, "command-0002"))
    names = {asked.name_key: "Aline Martin"}
    assert public_view(room.session, ALINE, names).mine[0].name == "Aline Martin"
    assert moderation_view(room.session, names).questions[0].name == "Aline Martin"
    assert name_key_of(SLUG, "command-0002") != name_key_of(SLUG, "command-0003")


def test_a_question_is_trimmed_and_must_hold_10_to_300_characters(room: Room) -> None:
    short = AskQuestion(command_id="ask-too-short", event=SLUG, asker=ALINE, text="   Pourquoi?   ")
    assert room.key_of(short) == "qa_question_too_short"
    long = AskQuestion(command_id="ask-too-long1", event=SLUG, asker=ALINE, text="x" * 301)
    assert room.key_of(long) == "qa_question_too_long"
    assert room.session.questions == {}
    # 300 characters once trimmed: the spaces around are not counted.
    room.ask(text="   " + "y" * 300 + "\n\n")
    room.ask(text="Dix lettre")
    assert sorted(len(q.text) for q in room.session.questions.values()) == [10, 300]


def test_a_2000_character_question_is_refused_by_the_rules_and_a_1_mb_one_by_the_decoder(room: Room) -> None:
    assert room.key_of(AskQuestion(command_id="ask-2000-chars", event=SLUG, asker=ALINE, text="a" * 2000)) == (
        "qa_question_too_long"
    )
    with pytest.raises(msgspec.ValidationError):
        decoder(AskQuestion).decode(
            msgspec.json.encode({"command_id": "ask-1mb-field", "event": SLUG, "asker": ALINE, "text": "a" * 1_000_000})
        )
    assert room.session.questions == {}


def test_asking_is_refused_while_only_voting_is_open_and_voting_once_closed(room: Room) -> None:
    question = room.ask()
    room.moderate(question, "approve")
    room.phase("voting")
    asked = AskQuestion(command_id="ask-while-voting", event=SLUG, asker=BRUNO, text=QUESTION)
    assert room.key_of(asked) == "qa_voting_only"
    room.vote(question, BRUNO)  # voting still open
    room.phase("closed")
    assert room.key_of(CastVote(command_id="vote-closed", event=SLUG, question=question, voter=CLAIRE)) == (
        "qa_voting_closed"
    )
    assert room.key_of(AskQuestion(command_id="ask-closed-1", event=SLUG, asker=BRUNO, text=QUESTION)) == "qa_closed"
    assert public_view(room.session).questions[0].votes == 1


def test_one_vote_per_person_and_question_which_can_be_withdrawn(room: Room) -> None:
    question = room.ask()
    # Pending: no vote yet.
    assert room.key_of(CastVote(command_id="vote-pending", event=SLUG, question=question, voter=BRUNO)) == (
        "qa_not_votable"
    )
    room.moderate(question, "approve")
    room.vote(question, BRUNO)
    second = CastVote(command_id="vote-second", event=SLUG, question=question, voter=BRUNO)
    assert room.key_of(second) == "qa_already_voted"
    room.vote(question, CLAIRE)
    assert public_view(room.session).questions[0].votes == 2
    assert public_view(room.session, BRUNO).voted == [question]
    room.vote(question, BRUNO, withdraw=True)
    assert public_view(room.session).questions[0].votes == 1
    assert public_view(room.session, BRUNO).voted == []
    again = CastVote(command_id="unvote-again", event=SLUG, question=question, voter=BRUNO, withdraw=True)
    assert room.key_of(again) == "qa_not_voted"


def test_an_edit_keeps_the_asker_s_words_for_the_moderators_only(room: Room) -> None:
    question = room.ask(text="Quand ouvrira le centre de formation a la loupe ??")
    room.moderate(question, "approve")
    for text in ("Quand ouvrira le centre de formation à La Loupe ?", "Quand ouvrira le centre de La Loupe ?"):
        room.run(EditQuestion(command_id=room.cid(), event=SLUG, question=question, text=text, by_organiser="o"))
    [moderated] = moderation_view(room.session).questions
    assert (moderated.text, moderated.original) == (
        "Quand ouvrira le centre de La Loupe ?",
        "Quand ouvrira le centre de formation a la loupe ??",
    )
    [public] = public_view(room.session).questions
    assert public.text == "Quand ouvrira le centre de La Loupe ?"
    assert "original" not in msgspec.structs.asdict(public) and "askers" not in msgspec.structs.asdict(public)
    too_short = EditQuestion(command_id="edit-short", event=SLUG, question=question, text="Quoi ?", by_organiser="o")
    assert room.key_of(too_short) == "qa_question_too_short"


def test_a_merge_combines_votes_and_askers_and_a_voter_of_both_counts_once(room: Room) -> None:
    kept = room.ask(asker=ALINE)
    duplicate = room.ask(asker=BRUNO, text="Le centre numérique de La Loupe, c'est pour quand ?")
    for question in (kept, duplicate):
        room.moderate(question, "approve")
    room.vote(kept, CLAIRE)
    room.vote(duplicate, CLAIRE)  # voted for both
    room.vote(duplicate, ALINE)
    room.merge(duplicate, kept)
    [shown] = public_view(room.session).questions
    assert (shown.id, shown.votes) == (kept, 2)
    moderated = {q.id: q for q in moderation_view(room.session).questions}
    assert moderated[kept].askers == [ALINE, BRUNO]
    assert (moderated[kept].merged, moderated[duplicate].merged_into) == ([duplicate], kept)
    assert moderated[duplicate].status == "merged"
    # The duplicate takes no more votes; the one kept still counts each person once.
    assert room.key_of(CastVote(command_id="vote-merged", event=SLUG, question=duplicate, voter=BRUNO)) == (
        "qa_not_votable"
    )
    assert room.key_of(CastVote(command_id="vote-kept-twice", event=SLUG, question=kept, voter=CLAIRE)) == (
        "qa_already_voted"
    )
    # A merged duplicate cannot be merged again, nor a question into itself.
    assert room.key_of(
        MergeQuestion(command_id="merge-again", event=SLUG, question=duplicate, into=kept, by_organiser="o")
    ) == ("qa_merge_target")
    assert room.key_of(
        MergeQuestion(command_id="merge-itself", event=SLUG, question=kept, into=kept, by_organiser="o")
    ) == ("qa_merge_itself")


def test_rejected_questions_stay_hidden_and_their_asker_sees_them_refused(room: Room) -> None:
    question = room.ask()
    room.moderate(question, "reject")
    assert public_view(room.session).questions == []
    [mine] = public_view(room.session, ALINE).mine
    assert (mine.id, mine.status) == (question, "rejected")
    # A moderator may change their mind.
    room.moderate(question, "approve")
    assert [q.id for q in public_view(room.session).questions] == [question]


def test_one_pinned_question_comes_first_and_answering_it_takes_it_off_the_stage(room: Room) -> None:
    first, second, third = room.ask(), room.ask(asker=BRUNO), room.ask(asker=CLAIRE)
    for question in (first, second, third):
        room.moderate(question, "approve")
    room.vote(second, ALINE)
    assert [q.id for q in public_view(room.session).questions] == [second, first, third]
    room.moderate(third, "pin")
    room.moderate(first, "pin")  # one pinned at a time: the new one replaces it
    view = public_view(room.session)
    assert [(q.id, q.pinned) for q in view.questions] == [(first, True), (second, False), (third, False)]
    room.moderate(first, "answer")
    view = public_view(room.session)
    # Answered questions stay on the page, after the ones still to answer.
    assert [(q.id, q.status, q.pinned) for q in view.questions] == [
        (second, "approved", False),
        (third, "approved", False),
        (first, "answered", False),
    ]
    assert room.key_of(
        ModerateQuestion(command_id="pin-answered", event=SLUG, question=first, action="pin", by_organiser="o")
    ) == ("qa_wrong_status")
    room.moderate(second, "archive")
    assert second not in [q.id for q in public_view(room.session).questions]


def test_moderating_a_question_that_does_not_exist_is_not_found(room: Room) -> None:
    with pytest.raises(Rejected) as refused:
        room.moderate("q42", "approve")
    assert (refused.value.reply.code, refused.value.reply.key) == ("not_found", "qa_unknown_question")


def test_a_person_has_a_few_questions_waiting_at_most(room: Room) -> None:
    for n in range(MAX_PENDING_PER_ASKER):
        room.ask(text=f"Question numéro {n} pour la table ronde")
    extra = AskQuestion(command_id="ask-one-too-many", event=SLUG, asker=ALINE, text=QUESTION)
    assert room.key_of(extra) == "qa_too_many_pending"
    room.ask(asker=BRUNO)  # others still may
    room.moderate("q1", "approve")
    room.run(extra)  # one read by the moderators: room for one more
    assert len(room.session.questions) == MAX_PENDING_PER_ASKER + 2


def test_a_repeated_command_changes_nothing_and_its_id_for_another_request_is_refused(room: Room) -> None:
    asked = AskQuestion(command_id="ask-double-click", event=SLUG, asker=ALINE, text=QUESTION)
    room.run(asked)
    room.run(asked)
    assert list(room.session.questions) == ["q1"]
    assert room.session.asked["ask-double-click"] == "q1"
    other = AskQuestion(command_id="ask-double-click", event=SLUG, asker=ALINE, text="Une tout autre question ?")
    assert room.key_of(other) == "command_id_reused"
    room.moderate("q1", "approve")
    vote = CastVote(command_id="vote-double-click", event=SLUG, question="q1", voter=BRUNO)
    room.run(vote)
    room.run(vote)  # the same vote sent twice: one vote, no refusal
    assert public_view(room.session).questions[0].votes == 1
    withdraw = CastVote(command_id="vote-double-click", event=SLUG, question="q1", voter=BRUNO, withdraw=True)
    assert room.key_of(withdraw) == "command_id_reused"
    assert public_view(room.session).questions[0].votes == 1


def test_a_question_stored_with_its_name_by_the_first_version_still_shows_it() -> None:
    old = QuestionAsked(
        command_id="ask-old-version", event=SLUG, question="q1", asker=ALINE, text=QUESTION, name="Aline", at=NOW
    )
    state = QaState()
    state.evolve(old)
    assert moderation_view(state.of(SLUG)).questions[0].name == "Aline"
    # Its repeat is still recognised as the same request.
    assert is_repeat(
        state.of(SLUG), AskQuestion(command_id="ask-old-version", event=SLUG, asker=ALINE, text=QUESTION, name="Aline")
    )


def test_a_person_is_a_registration_or_a_device_never_an_email() -> None:
    for asker in ("aline@example.org", "email:aline", "dev:", "reg:a b"):
        with pytest.raises(msgspec.ValidationError):
            decoder(AskQuestion).decode(
                msgspec.json.encode({"command_id": "ask-bad-person", "event": SLUG, "asker": asker, "text": QUESTION})
            )


# --- the live poll ---


def poll(room: Room, choices: list[str] | None = None, text: str = "Faut-il une fibre dans chaque école ?") -> str:
    room.run(
        CreatePoll(
            command_id=room.cid(),
            event=SLUG,
            text=text,
            text_en="Should every school have fibre?",
            choices=["Oui", "Non", " "] if choices is None else choices,
            by_organiser="o",
        )
    )
    return max(room.session.polls, key=lambda p: int(p[1:]))


def poll_state(room: Room, poll_id: str, state: str) -> None:
    room.run(SetPollState(command_id=room.cid(), event=SLUG, poll=poll_id, state=state, by_organiser="o"))  # type: ignore[arg-type]


def choose(room: Room, poll_id: str, voter: str, choice: int) -> VotePoll:
    return VotePoll(command_id=room.cid(), event=SLUG, poll=poll_id, choice=choice, voter=voter)


def test_a_poll_needs_a_question_and_2_to_6_distinct_choices_of_80_characters_at_most(room: Room) -> None:
    def create(text: str, choices: list[str]) -> CreatePoll:
        return CreatePoll(command_id=room.cid(), event=SLUG, text=text, choices=choices, by_organiser="o")

    assert room.key_of(create("  ", ["Oui", "Non"])) == "qa_poll_text_too_short"
    assert room.key_of(create("x" * 201, ["Oui", "Non"])) == "qa_poll_text_too_long"
    assert room.key_of(create("Fibre ?", ["Oui", "  "])) == "qa_poll_too_few_choices"
    assert room.key_of(create("Fibre ?", [f"choix {n}" for n in range(7)])) == "qa_poll_too_many_choices"
    assert room.key_of(create("Fibre ?", ["Oui", "n" * 81])) == "qa_poll_choice_too_long"
    assert room.key_of(create("Fibre ?", ["Oui", " oui "])) == "qa_poll_choice_twice"
    assert room.session.polls == {}
    # Blank choices (the form's empty fields) are left out; the words are trimmed.
    made = poll(room, ["  Oui  d'accord ", "", "Non"])
    assert room.session.polls[made].choices == ["Oui d'accord", "Non"]
    assert room.session.polls[made].state == "draft"
    # A draft is no one's to see yet.
    assert public_view(room.session).poll is None


def test_one_poll_open_at_a_time_and_a_closed_poll_keeps_its_results_on_screen(room: Room) -> None:
    first, second = poll(room), poll(room, ["Bleu", "Vert"])
    poll_state(room, first, "open")
    refused = SetPollState(command_id=room.cid(), event=SLUG, poll=second, state="open", by_organiser="o")
    assert room.key_of(refused) == "qa_poll_other_open"
    room.run(choose(room, first, ALINE, 1))
    poll_state(room, first, "closed")
    # Closed: still shown with its results, until the next one opens; it cannot be opened again.
    shown = public_view(room.session)
    assert shown.poll is not None and (shown.poll.id, shown.poll.state, shown.poll.total) == (first, "closed", 1)
    again = SetPollState(command_id=room.cid(), event=SLUG, poll=first, state="open", by_organiser="o")
    assert room.key_of(again) == "qa_poll_wrong_state"
    closing = SetPollState(command_id=room.cid(), event=SLUG, poll=second, state="closed", by_organiser="o")
    assert room.key_of(closing) == "qa_poll_wrong_state"
    poll_state(room, second, "open")
    assert public_view(room.session).poll.id == second  # type: ignore[union-attr]
    view = moderation_view(room.session)
    assert [p.id for p in view.polls] == [second, first] and view.shown_poll == second
    assert view.polls[1].choices[1].votes == 1


def test_one_vote_per_person_which_may_change_while_open_and_is_refused_once_closed(room: Room) -> None:
    made = poll(room)
    assert room.key_of(choose(room, made, ALINE, 0)) == "qa_poll_closed"  # a draft takes no vote
    poll_state(room, made, "open")
    room.run(choose(room, made, ALINE, 0))
    room.run(choose(room, made, BRUNO, 0))
    room.run(choose(room, made, CLAIRE, 1))
    assert room.key_of(choose(room, made, ALINE, 0)) == "qa_poll_same_choice"
    assert room.key_of(choose(room, made, ALINE, 2)) == "qa_poll_unknown_choice"
    room.run(choose(room, made, ALINE, 1))  # changed: counted once, in its new place
    shown = public_view(room.session, ALINE)
    assert shown.poll is not None and shown.poll_choice == 1
    assert [(c.text, c.votes, c.percent) for c in shown.poll.choices] == [("Oui", 1, 33), ("Non", 2, 67)]
    assert shown.poll.total == 3
    # Nobody else learns what Aline chose; the view holds counts, never voters.
    assert public_view(room.session).poll_choice is None
    assert b"dev:" not in msgspec.json.encode(public_view(room.session, BRUNO))
    poll_state(room, made, "closed")
    assert room.key_of(choose(room, made, CLAIRE, 0)) == "qa_poll_closed"
    unknown = VotePoll(command_id=room.cid(), event=SLUG, poll="p99", choice=0, voter=ALINE)
    assert room.key_of(unknown) == "qa_unknown_poll"


def test_a_repeated_poll_command_changes_nothing_and_its_id_reused_is_refused(room: Room) -> None:
    made = poll(room)
    poll_state(room, made, "open")
    vote = choose(room, made, ALINE, 0)
    room.run(vote)
    room.run(vote)
    assert public_view(room.session).poll.total == 1  # type: ignore[union-attr]
    other = VotePoll(command_id=vote.command_id, event=SLUG, poll=made, choice=1, voter=ALINE)
    assert room.key_of(other) == "command_id_reused"


def test_the_decoder_refuses_a_poll_of_a_thousand_choices_before_any_rule() -> None:
    raw = msgspec.json.encode(
        {"command_id": "command-0001", "event": SLUG, "text": "Fibre ?", "choices": ["x"] * 1000, "by_organiser": "o"}
    )
    with pytest.raises(msgspec.ValidationError):
        decoder(CreatePoll).decode(raw)
