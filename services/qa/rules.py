"""Pure rules of the audience Q&A: who may ask and vote when, and what moderators may do.

State is evolved only by decided events; every decide_* takes the clock as `now`, raises
Rejected and decides nothing when a rule says no.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.errors import ErrorKey, Rejected, command_id_reused
from schemas.qa import (
    MAX_CHOICE_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PENDING_PER_ASKER,
    MAX_POLL_CHOICES,
    MAX_POLL_TEXT_LENGTH,
    MAX_POLLS,
    MAX_QUESTION_LENGTH,
    MAX_QUESTIONS,
    MAX_SUMMARY_LENGTH,
    MIN_POLL_CHOICES,
    MIN_QUESTION_LENGTH,
    PUBLIC_STATUSES,
    Action,
    AskQuestion,
    CastVote,
    CreatePoll,
    EditQuestion,
    Language,
    MergeQuestion,
    ModeratedQuestion,
    ModerateQuestion,
    Moderation,
    Phase,
    PhaseSet,
    PollChoice,
    PollCreated,
    PollState,
    PollStateSet,
    PollView,
    PollVoted,
    PublicQa,
    PublicQuestion,
    PublishRecord,
    QaCommand,
    QaCounts,
    QaEvent,
    QuestionAsked,
    QuestionEdited,
    QuestionMerged,
    QuestionModerated,
    Record,
    RecordPublished,
    RecordQuestion,
    SetPhase,
    SetPollState,
    Status,
    VoteCast,
    VotePoll,
    VoteWithdrawn,
)

# What each moderation action may start from, and the status it leads to (None: the status stays).
_ACTIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    "approve": (frozenset({"pending", "rejected", "archived"}), "approved"),
    "reject": (frozenset({"pending", "approved"}), "rejected"),
    "pin": (frozenset({"approved"}), None),
    "unpin": (frozenset({"approved", "answered"}), None),
    "answer": (frozenset({"approved"}), "answered"),
    "archive": (frozenset({"pending", "approved", "answered", "rejected"}), "archived"),
}
# What a duplicate may be merged into: a question still on its way to the room, or answered.
_MERGE_TARGETS: frozenset[Status] = frozenset({"pending", "approved", "answered"})


def clean(text: str) -> str:
    """One line of words: what the projector shows and what the bounds count."""
    return " ".join(text.split())


def _refused(key: ErrorKey, message: str, field: str | None = None, code: str = "conflict") -> Rejected:
    return Rejected("invalid" if code == "invalid" else "conflict", message, field, key=key)


@dataclass
class Question:
    id: str
    asker: str
    name: str
    text: str
    asked_at: datetime
    original: str | None = None
    status: Status = "pending"
    voters: set[str] = field(default_factory=set)
    # The asker first, then those of the duplicates merged into it, each once.
    askers: list[str] = field(default_factory=list)
    merged_into: str | None = None
    merged: list[str] = field(default_factory=list)
    # Where the asker's name is kept (the names bucket); None: no name given, or `name` holds it.
    name_key: str | None = None


@dataclass
class Poll:
    id: str
    text: str
    text_en: str
    choices: list[str]
    state: PollState = "draft"
    # voter -> the index of their choice: only counts ever leave the service.
    votes: dict[str, int] = field(default_factory=dict)


@dataclass
class Session:
    event: str
    enabled: bool = False
    phase: Phase = "closed"
    language: Language = "fr"
    questions: dict[str, Question] = field(default_factory=dict)
    pinned: str | None = None
    # command id -> what it asked: a repeat changes nothing, the same id for another request is refused.
    commands: dict[str, tuple[object, ...]] = field(default_factory=dict)
    # command id -> the question it asked (or the poll it made), so a repeat answers with the same id.
    asked: dict[str, str] = field(default_factory=dict)
    polls: dict[str, Poll] = field(default_factory=dict)
    # The open poll, if any (at most one); `shown_poll`: the open one, or else the one closed last.
    open_poll: str | None = None
    shown_poll: str | None = None
    # The record's latest version, once published after the event.
    record: RecordPublished | None = None

    def poll(self, poll_id: str) -> Poll:
        found = self.polls.get(poll_id)
        if found is None:
            raise Rejected("not_found", "There is no such poll", "poll", key="qa_unknown_poll")
        return found

    def question(self, question_id: str) -> Question:
        found = self.questions.get(question_id)
        if found is None:
            raise Rejected("not_found", "There is no such question", "question", key="qa_unknown_question")
        return found


def request_of(item: QaCommand | QaEvent) -> tuple[object, ...]:
    """What a command asks, read the same from the command and from the event it made."""
    match item:
        case SetPhase() | PhaseSet():
            return ("phase", item.event, item.phase, item.language)
        case AskQuestion():
            return ("ask", item.event, item.asker, clean(item.text), bool(clean(item.name)))
        case QuestionAsked():
            return ("ask", item.event, item.asker, item.text, bool(item.name or item.name_key))
        case CastVote():
            return ("vote", item.event, item.question, item.voter, item.withdraw)
        case VoteCast():
            return ("vote", item.event, item.question, item.voter, False)
        case VoteWithdrawn():
            return ("vote", item.event, item.question, item.voter, True)
        case ModerateQuestion() | QuestionModerated():
            return ("moderate", item.event, item.question, item.action)
        case EditQuestion() | QuestionEdited():
            return ("edit", item.event, item.question, clean(item.text))
        case MergeQuestion() | QuestionMerged():
            return ("merge", item.event, item.question, item.into)
        case CreatePoll() | PollCreated():
            return ("poll", item.event, clean(item.text), clean(item.text_en), tuple(_choices(item.choices)))
        case SetPollState() | PollStateSet():
            return ("poll_state", item.event, item.poll, item.state)
        case VotePoll() | PollVoted():
            return ("poll_vote", item.event, item.poll, item.voter, item.choice)
        case PublishRecord() | RecordPublished():
            return ("record", item.event, clean_summary(item.summary_fr), clean_summary(item.summary_en))


def _choices(choices: list[str]) -> list[str]:
    """The choices as shown: trimmed, the blank ones (an empty field of the form) left out."""
    return [c for c in (clean(choice) for choice in choices) if c]


def is_repeat(session: Session, command: QaCommand) -> bool:
    """True when this command was applied already (its first outcome stands); its id once used
    for another request is refused, never ignored."""
    known = session.commands.get(command.command_id)
    if known is None:
        return False
    if known == request_of(command):
        return True
    raise command_id_reused()


@dataclass
class QaState:
    sessions: dict[str, Session] = field(default_factory=dict)

    def of(self, slug: str) -> Session:
        return self.sessions.get(slug) or Session(event=slug)

    def evolve(self, event: QaEvent) -> None:
        session = self.sessions.setdefault(event.event, Session(event=event.event))
        session.commands[event.command_id] = request_of(event)
        evolve(session, event)


def evolve(session: Session, event: QaEvent) -> None:
    match event:
        case PhaseSet():
            session.enabled, session.phase, session.language = True, event.phase, event.language
        case QuestionAsked():
            session.questions[event.question] = Question(
                id=event.question,
                asker=event.asker,
                name=event.name,
                text=event.text,
                asked_at=event.at,
                askers=[event.asker],
                name_key=event.name_key,
            )
            session.asked[event.command_id] = event.question
        case VoteCast():
            session.questions[event.question].voters.add(event.voter)
        case VoteWithdrawn():
            session.questions[event.question].voters.discard(event.voter)
        case QuestionModerated():
            question = session.questions[event.question]
            status = _ACTIONS[event.action][1]
            if status is not None:
                question.status = status
            if event.action == "pin":
                session.pinned = question.id
            elif session.pinned == question.id and event.action != "approve":
                session.pinned = None  # unpinned, answered, rejected or archived: off the stage
        case QuestionEdited():
            question = session.questions[event.question]
            if question.original is None:
                question.original = question.text
            question.text = event.text
        case QuestionMerged():
            duplicate, kept = session.questions[event.question], session.questions[event.into]
            duplicate.status, duplicate.merged_into = "merged", kept.id
            kept.merged.append(duplicate.id)
            # A set: who voted for both counts once.
            kept.voters |= duplicate.voters
            kept.askers.extend(a for a in duplicate.askers if a not in kept.askers)
            if session.pinned == duplicate.id:
                session.pinned = None
        case PollCreated():
            session.polls[event.poll] = Poll(
                id=event.poll, text=event.text, text_en=event.text_en, choices=list(event.choices)
            )
            session.asked[event.command_id] = event.poll
        case PollStateSet():
            poll = session.polls[event.poll]
            poll.state = event.state
            session.shown_poll = poll.id
            session.open_poll = poll.id if event.state == "open" else None
        case PollVoted():
            session.polls[event.poll].votes[event.voter] = event.choice
        case RecordPublished():
            session.record = event


# --- decisions ---


def decide(session: Session, command: QaCommand, now: datetime, ends_at: datetime | None = None) -> QaEvent:
    """`ends_at`: the event's end, which only publishing the record needs."""
    match command:
        case SetPhase():
            return decide_phase(command, now)
        case AskQuestion():
            return decide_ask(session, command, now)
        case CastVote():
            return decide_vote(session, command, now)
        case ModerateQuestion():
            return decide_moderate(session, command, now)
        case EditQuestion():
            return decide_edit(session, command, now)
        case MergeQuestion():
            return decide_merge(session, command, now)
        case CreatePoll():
            return decide_create_poll(session, command, now)
        case SetPollState():
            return decide_poll_state(session, command, now)
        case VotePoll():
            return decide_poll_vote(session, command, now)
        case PublishRecord():
            if ends_at is None:
                raise ValueError("publishing the record needs the event's end")
            return decide_publish_record(session, command, now, ends_at)


def decide_phase(command: SetPhase, now: datetime) -> PhaseSet:
    return PhaseSet(
        command_id=command.command_id,
        event=command.event,
        phase=command.phase,
        language=command.language,
        by_organiser=command.by_organiser,
        at=now,
    )


def checked_text(text: str) -> str:
    """The question as it will be shown, within its bounds."""
    cleaned = clean(text)
    if len(cleaned) < MIN_QUESTION_LENGTH:
        raise _refused(
            "qa_question_too_short",
            f"A question needs {MIN_QUESTION_LENGTH} characters at least",
            "text",
            "invalid",
        )
    if len(cleaned) > MAX_QUESTION_LENGTH:
        raise _refused(
            "qa_question_too_long", f"A question has {MAX_QUESTION_LENGTH} characters at most", "text", "invalid"
        )
    return cleaned


def name_key_of(slug: str, command_id: str) -> str:
    """The names bucket's key of the name a command gave: its event, then a digest of the command id."""
    return f"{slug}.{hashlib.sha256(command_id.encode()).hexdigest()[:32]}"


def checked_name(name: str) -> str:
    cleaned = clean(name)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise _refused("qa_name_too_long", f"A name has {MAX_NAME_LENGTH} characters at most", "name", "invalid")
    return cleaned


def decide_ask(session: Session, command: AskQuestion, now: datetime) -> QuestionAsked:
    if session.phase == "voting":
        raise _refused("qa_voting_only", "Questions are no longer taken: only voting is open")
    if session.phase != "open":
        raise _refused("qa_closed", "The questions session is not open")
    text = checked_text(command.text)
    name = checked_name(command.name)
    waiting = sum(1 for q in session.questions.values() if q.asker == command.asker and q.status == "pending")
    if waiting >= MAX_PENDING_PER_ASKER:
        raise _refused("qa_too_many_pending", "Wait until the moderators have read your questions")
    if len(session.questions) >= MAX_QUESTIONS:
        raise _refused("qa_full", "This session takes no more questions")
    return QuestionAsked(
        command_id=command.command_id,
        event=command.event,
        question=f"q{len(session.questions) + 1}",
        asker=command.asker,
        text=text,
        # The name itself goes to the names bucket (the service writes it there before appending).
        name_key=name_key_of(command.event, command.command_id) if name else None,
        at=now,
    )


def decide_vote(session: Session, command: CastVote, now: datetime) -> VoteCast | VoteWithdrawn:
    if session.phase not in ("open", "voting"):
        raise _refused("qa_voting_closed", "Voting is closed")
    question = session.question(command.question)
    if question.status != "approved":
        raise _refused("qa_not_votable", "Only questions on the screen can be voted for", "question")
    voted = command.voter in question.voters
    if command.withdraw:
        if not voted:
            raise _refused("qa_not_voted", "You have not voted for this question", "question")
        return VoteWithdrawn(
            command_id=command.command_id, event=command.event, question=question.id, voter=command.voter, at=now
        )
    if voted:
        raise _refused("qa_already_voted", "You already voted for this question", "question")
    return VoteCast(
        command_id=command.command_id, event=command.event, question=question.id, voter=command.voter, at=now
    )


def decide_moderate(session: Session, command: ModerateQuestion, now: datetime) -> QuestionModerated:
    question = session.question(command.question)
    starts, _ = _ACTIONS[command.action]
    if question.status not in starts or (command.action == "unpin" and session.pinned != question.id):
        raise _refused("qa_wrong_status", f"A question {question.status} cannot be given « {command.action} »")
    return QuestionModerated(
        command_id=command.command_id,
        event=command.event,
        question=question.id,
        action=command.action,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_edit(session: Session, command: EditQuestion, now: datetime) -> QuestionEdited:
    question = session.question(command.question)
    if question.status == "merged":
        raise _refused("qa_wrong_status", "A merged question cannot be edited")
    return QuestionEdited(
        command_id=command.command_id,
        event=command.event,
        question=question.id,
        text=checked_text(command.text),
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_merge(session: Session, command: MergeQuestion, now: datetime) -> QuestionMerged:
    duplicate = session.question(command.question)
    kept = session.question(command.into)
    if duplicate.id == kept.id:
        raise _refused("qa_merge_itself", "A question cannot be merged into itself", "into", "invalid")
    if duplicate.status == "merged" or kept.status not in _MERGE_TARGETS:
        raise _refused("qa_merge_target", "Merge a question into one that is waiting, shown or answered", "into")
    return QuestionMerged(
        command_id=command.command_id,
        event=command.event,
        question=duplicate.id,
        into=kept.id,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_create_poll(session: Session, command: CreatePoll, now: datetime) -> PollCreated:
    """A draft poll within its bounds: a question of 3 to 200 characters, 2 to 6 distinct choices."""
    text, text_en = clean(command.text), clean(command.text_en)
    for value, field_name in ((text, "text"), (text_en, "text_en")):
        if len(value) > MAX_POLL_TEXT_LENGTH:
            raise _refused(
                "qa_poll_text_too_long",
                f"A poll's question has {MAX_POLL_TEXT_LENGTH} characters at most",
                field_name,
                "invalid",
            )
    if len(text) < 3:
        raise _refused("qa_poll_text_too_short", "A poll needs a question (3 characters at least)", "text", "invalid")
    choices = _choices(command.choices)
    if len(choices) < MIN_POLL_CHOICES:
        raise _refused(
            "qa_poll_too_few_choices", f"A poll needs {MIN_POLL_CHOICES} choices at least", "choices", "invalid"
        )
    if len(choices) > MAX_POLL_CHOICES:
        raise _refused(
            "qa_poll_too_many_choices", f"A poll has {MAX_POLL_CHOICES} choices at most", "choices", "invalid"
        )
    if any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
        raise _refused(
            "qa_poll_choice_too_long", f"A choice has {MAX_CHOICE_LENGTH} characters at most", "choices", "invalid"
        )
    if len({choice.casefold() for choice in choices}) < len(choices):
        raise _refused("qa_poll_choice_twice", "Two choices are the same", "choices", "invalid")
    if len(session.polls) >= MAX_POLLS:
        raise _refused("qa_polls_full", "This session takes no more polls")
    return PollCreated(
        command_id=command.command_id,
        event=command.event,
        poll=f"p{len(session.polls) + 1}",
        text=text,
        text_en=text_en,
        choices=choices,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_poll_state(session: Session, command: SetPollState, now: datetime) -> PollStateSet:
    """Open a draft while no other poll is open; close the open one. A closed poll stays closed."""
    poll = session.poll(command.poll)
    if command.state == "open":
        if session.open_poll is not None:
            raise _refused("qa_poll_other_open", "Close the open poll before opening another", "poll")
        if poll.state != "draft":
            raise _refused("qa_poll_wrong_state", "Only a poll not opened yet can be opened", "poll")
    elif poll.state != "open":
        raise _refused("qa_poll_wrong_state", "Only the open poll can be closed", "poll")
    return PollStateSet(
        command_id=command.command_id,
        event=command.event,
        poll=poll.id,
        state=command.state,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_poll_vote(session: Session, command: VotePoll, now: datetime) -> PollVoted:
    """One choice per person while the poll is open; choosing again replaces the former choice."""
    poll = session.poll(command.poll)
    if poll.state != "open":
        raise _refused("qa_poll_closed", "This poll is not open for votes", "poll")
    if command.choice >= len(poll.choices):
        raise _refused("qa_poll_unknown_choice", "Choose one of the poll's choices", "choice", "invalid")
    if poll.votes.get(command.voter) == command.choice:
        raise _refused("qa_poll_same_choice", "This is already your choice", "choice")
    return PollVoted(
        command_id=command.command_id,
        event=command.event,
        poll=poll.id,
        choice=command.choice,
        voter=command.voter,
        at=now,
    )


def clean_summary(text: str) -> str:
    """A summary as shown: plain text, its paragraphs kept (blank lines between them), each line's
    spaces collapsed, no more than one blank line in a row."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def paragraphs(text: str) -> list[str]:
    """A summary's paragraphs (its lines within one kept as lines)."""
    return [p for p in text.split("\n\n") if p.strip()]


def decide_publish_record(
    session: Session, command: PublishRecord, now: datetime, ends_at: datetime
) -> RecordPublished:
    """Only once the event has ended; a French summary is needed; each summary is bounded."""
    if now < ends_at:
        raise _refused("qa_record_too_early", "The record can be published once the event has ended")
    summary_fr, summary_en = clean_summary(command.summary_fr), clean_summary(command.summary_en)
    if not summary_fr:
        raise _refused("qa_record_empty", "Write the summary (in French at least)", "summary_fr", "invalid")
    for value, field_name in ((summary_fr, "summary_fr"), (summary_en, "summary_en")):
        if len(value) > MAX_SUMMARY_LENGTH:
            raise _refused(
                "qa_record_too_long",
                f"A summary has {MAX_SUMMARY_LENGTH} characters at most",
                field_name,
                "invalid",
            )
    return RecordPublished(
        command_id=command.command_id,
        event=command.event,
        version=session.record.version + 1 if session.record else 1,
        summary_fr=summary_fr,
        summary_en=summary_en,
        by_organiser=command.by_organiser,
        at=now,
    )


# --- views ---


def poll_view(poll: Poll) -> PollView:
    """The counts only: who chose what stays in the service."""
    counts = [0] * len(poll.choices)
    for choice in poll.votes.values():
        counts[choice] += 1
    total = len(poll.votes)
    return PollView(
        id=poll.id,
        text=poll.text,
        text_en=poll.text_en,
        state=poll.state,
        choices=[
            PollChoice(text=text, votes=count, percent=round(100 * count / total) if total else 0)
            for text, count in zip(poll.choices, counts, strict=True)
        ],
        total=total,
    )


def _order(session: Session, question: Question) -> tuple[object, ...]:
    return (session.pinned != question.id, question.status == "answered", -len(question.voters), question.asked_at)


NO_NAMES: Mapping[str, str] = {}


def name_of(question: Question, names: Mapping[str, str]) -> str:
    """The asker's name: from the names bucket (erasable), or as the first version stored it."""
    return question.name or (names.get(question.name_key, "") if question.name_key else "")


def _public(session: Session, question: Question, names: Mapping[str, str]) -> PublicQuestion:
    return PublicQuestion(
        id=question.id,
        text=question.text,
        name=name_of(question, names),
        votes=len(question.voters),
        status=question.status,
        pinned=session.pinned == question.id,
        asked_at=question.asked_at,
    )


def public_view(session: Session, person: str | None = None, names: Mapping[str, str] = NO_NAMES) -> PublicQa:
    """Approved and answered questions only; a person's own waiting or refused ones beside, for them."""
    shown = sorted(
        (q for q in session.questions.values() if q.status in PUBLIC_STATUSES), key=lambda q: _order(session, q)
    )
    poll = session.polls.get(session.shown_poll) if session.shown_poll else None
    mine = []
    voted = []
    if person is not None:
        mine = [
            _public(session, q, names)
            for q in session.questions.values()
            if person in q.askers and q.status in ("pending", "rejected")
        ]
        voted = [q.id for q in shown if person in q.voters]
    return PublicQa(
        event=session.event,
        enabled=session.enabled,
        phase=session.phase,
        language=session.language,
        questions=[_public(session, q, names) for q in shown],
        mine=mine,
        voted=voted,
        poll=poll_view(poll) if poll else None,
        poll_choice=poll.votes.get(person) if poll and person is not None else None,
        record=record_view(session, names),
    )


def record_view(session: Session, names: Mapping[str, str] = NO_NAMES) -> Record | None:
    """The published record: its summary and the answered questions only (most voted first)."""
    if session.record is None:
        return None
    answered = sorted(
        (q for q in session.questions.values() if q.status == "answered"),
        key=lambda q: (-len(q.voters), q.asked_at),
    )
    return Record(
        version=session.record.version,
        summary_fr=session.record.summary_fr,
        summary_en=session.record.summary_en,
        published_at=session.record.at,
        questions=[RecordQuestion(id=q.id, text=q.text, name=name_of(q, names), votes=len(q.voters)) for q in answered],
    )


def counts_view(session: Session) -> QaCounts:
    """Questions asked (merged duplicates not counted twice), approved (answered included), answered,
    rejected, votes, and the distinct people who asked or voted."""
    questions = [q for q in session.questions.values() if q.status != "merged"]
    people = {q.asker for q in session.questions.values()}
    for q in session.questions.values():
        people |= q.voters
    return QaCounts(
        asked=len(questions),
        approved=sum(1 for q in questions if q.status in ("approved", "answered")),
        answered=sum(1 for q in questions if q.status == "answered"),
        rejected=sum(1 for q in questions if q.status == "rejected"),
        votes=sum(len(q.voters) for q in questions),
        audience=len(people),
    )


def moderation_view(session: Session, names: Mapping[str, str] = NO_NAMES) -> Moderation:
    waiting = sorted((q for q in session.questions.values() if q.status == "pending"), key=lambda q: q.asked_at)
    others = sorted((q for q in session.questions.values() if q.status != "pending"), key=lambda q: _order(session, q))
    return Moderation(
        event=session.event,
        enabled=session.enabled,
        phase=session.phase,
        language=session.language,
        questions=[
            ModeratedQuestion(
                id=q.id,
                text=q.text,
                original=q.original,
                name=name_of(q, names),
                votes=len(q.voters),
                status=q.status,
                pinned=session.pinned == q.id,
                asked_at=q.asked_at,
                askers=list(q.askers),
                merged_into=q.merged_into,
                merged=list(q.merged),
            )
            for q in [*waiting, *others]
        ],
        polls=[poll_view(p) for p in reversed(session.polls.values())],
        shown_poll=session.shown_poll,
        counts=counts_view(session),
        record=record_view(session, names),
    )
