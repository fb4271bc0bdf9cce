"""The record of an event's Q&A: published only once the event has ended, a summary needed,
republishing makes a new version; the record shows answered questions only; the organiser's counts."""

from datetime import UTC, datetime, timedelta

import pytest

from schemas.errors import Rejected
from schemas.qa import MAX_SUMMARY_LENGTH, AskQuestion, CastVote, ModerateQuestion, PublishRecord, SetPhase
from services.qa.rules import QaState, clean_summary, counts_view, decide, paragraphs, public_view, record_view

SLUG = "table-ronde-numerique"
START = datetime(2027, 3, 20, 17, 0, tzinfo=UTC)
ENDS = datetime(2027, 3, 20, 20, 0, tzinfo=UTC)
AFTER = datetime(2027, 3, 21, 9, 0, tzinfo=UTC)


class Room:
    def __init__(self) -> None:
        self.state = QaState()
        self.ids = 0

    def run(self, command: object, now: datetime = START) -> None:
        self.state.evolve(decide(self.state.of(SLUG), command, now, ENDS))  # type: ignore[arg-type]

    def cid(self) -> str:
        self.ids += 1
        return f"command-{self.ids:04d}"

    def ask(self, asker: str, text: str) -> str:
        self.run(AskQuestion(command_id=self.cid(), event=SLUG, asker=asker, text=text))
        return max(self.state.of(SLUG).questions, key=lambda q: int(q[1:]))

    def moderate(self, question: str, action: str) -> None:
        self.run(
            ModerateQuestion(command_id=self.cid(), event=SLUG, question=question, action=action, by_organiser="o")
        )  # type: ignore[arg-type]

    def vote(self, question: str, voter: str) -> None:
        self.run(CastVote(command_id=self.cid(), event=SLUG, question=question, voter=voter))

    def publish(self, fr: str, en: str = "", now: datetime = AFTER) -> None:
        self.run(PublishRecord(command_id=self.cid(), event=SLUG, summary_fr=fr, summary_en=en, by_organiser="o"), now)

    def refusal(self, fr: str, en: str = "", now: datetime = AFTER) -> str | None:
        with pytest.raises(Rejected) as refused:
            self.publish(fr, en, now)
        return refused.value.reply.key


@pytest.fixture
def room() -> Room:
    made = Room()
    made.run(SetPhase(command_id="open-phase", event=SLUG, phase="open", by_organiser="o"))
    answered = made.ask("dev:aline0000", "Quand ouvrira le centre de formation ?")
    made.moderate(answered, "approve")
    made.vote(answered, "reg:bruno-registration")
    made.vote(answered, "dev:claire000")
    made.moderate(answered, "answer")
    shown = made.ask("dev:aline0000", "Une question approuvée mais sans réponse")
    made.moderate(shown, "approve")
    made.vote(shown, "dev:claire000")
    made.ask("dev:denis0000", "Une question restée en attente de modération")
    rejected = made.ask("dev:denis0000", "Une question refusée par la modération")
    made.moderate(rejected, "reject")
    archived = made.ask("dev:emile0000", "Une question archivée après coup")
    made.moderate(archived, "archive")
    return made


def test_the_record_is_refused_before_the_event_ends_and_without_a_summary(room: Room) -> None:
    assert room.refusal("Un résumé", now=ENDS - timedelta(minutes=1)) == "qa_record_too_early"
    assert room.refusal("   \n\n  ", "An English one") == "qa_record_empty"
    assert room.refusal("x" * (MAX_SUMMARY_LENGTH + 1)) == "qa_record_too_long"
    assert room.refusal("Un résumé", "y" * (MAX_SUMMARY_LENGTH + 1)) == "qa_record_too_long"
    assert room.state.of(SLUG).record is None
    assert record_view(room.state.of(SLUG)) is None
    # At the end itself, it may be published.
    room.publish("Un résumé", now=ENDS)
    assert room.state.of(SLUG).record is not None


def test_the_record_shows_answered_questions_only_and_republishing_replaces_the_summary(room: Room) -> None:
    room.publish("Une soirée riche.\r\n\r\n\r\n  Merci   à tous. ", "A rich evening.")
    record = record_view(room.state.of(SLUG))
    assert record is not None
    assert (record.version, record.summary_fr, record.summary_en) == (
        1,
        "Une soirée riche.\n\nMerci à tous.",
        "A rich evening.",
    )
    assert [(q.text, q.votes) for q in record.questions] == [("Quand ouvrira le centre de formation ?", 2)]
    assert paragraphs(record.summary_fr) == ["Une soirée riche.", "Merci à tous."]
    # The public view carries it too.
    assert public_view(room.state.of(SLUG)).record == record
    room.publish("Deuxième version.")
    again = record_view(room.state.of(SLUG))
    assert again is not None and (again.version, again.summary_fr, again.summary_en) == (2, "Deuxième version.", "")


def test_the_counts_of_the_session(room: Room) -> None:
    counts = counts_view(room.state.of(SLUG))
    assert (counts.asked, counts.approved, counts.answered, counts.rejected, counts.votes) == (5, 2, 1, 1, 3)
    # Askers and voters, each once: aline, denis, emile, bruno, claire.
    assert counts.audience == 5


def test_a_summary_keeps_its_paragraphs_and_lines() -> None:
    assert clean_summary("  a  b \n c\n\n\n\nd  ") == "a b\nc\n\nd"
    assert paragraphs("a\nb\n\nc") == ["a\nb", "c"]
