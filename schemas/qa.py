"""A moderated audience Q&A for an event (a round table, or any event that enables it).

The room asks questions (10 to 300 characters, a name or anonymous) and votes for them; every
question waits for a moderator, who approves, edits (the original is kept), rejects, merges a
duplicate into another, pins one and marks it answered. The session moves through phases:
`open` (asking and voting), `voting` (voting only), `closed`.

An asker or voter is named by a registration (`reg:<id>`, from their private link) or a device
(`dev:<digest>`, a random token the web keeps in a cookie, stored here only as its digest): no
email ever comes here. One event's Q&A is one aggregate, so « one vote per person and question »
is decided on one ordered state.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Slug

# The bounds of a question, once trimmed: the rules refuse outside them with their own keys.
MIN_QUESTION_LENGTH = 10
MAX_QUESTION_LENGTH = 300
MAX_NAME_LENGTH = 60
# What a message may carry at all: longer is refused by the decoder before any rule (a 1 MB field).
MAX_TEXT_FIELD = 4000
# Pending questions one person may have waiting at once: a flood waits for the moderators, not the room.
MAX_PENDING_PER_ASKER = 5
# Questions one event's session holds at most (memory is bounded whatever the room does).
MAX_QUESTIONS = 5000
# A live poll: one question (French, English optional) and 2 to 6 choices, once trimmed.
MAX_POLL_TEXT_LENGTH = 200
MIN_POLL_CHOICES = 2
MAX_POLL_CHOICES = 6
MAX_CHOICE_LENGTH = 80
# Polls one event's session holds at most.
MAX_POLLS = 100
# How many approved questions the projector shows after the current one (the bench fills it so).
NEXT_ON_SCREEN = 5
# The record published after the event: a summary in French, optionally in English, each bounded.
MAX_SUMMARY_LENGTH = 5000
# What a summary field may carry on the wire (longer is refused in words by the rules below this).
MAX_SUMMARY_FIELD = 4 * MAX_SUMMARY_LENGTH
# The KV bucket of askers' names, by `name_key` (an event and a command's digest).
NAMES_BUCKET = "perche_qa_names"

CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
# `reg:<registration id>` or `dev:<digest of the device token>`.
Person = Annotated[str, Meta(pattern=r"^(reg|dev):[A-Za-z0-9_-]{1,80}$")]
QuestionId = Annotated[str, Meta(pattern=r"^q[0-9]{1,6}$")]
QuestionText = Annotated[str, Meta(max_length=MAX_TEXT_FIELD)]
AskerName = Annotated[str, Meta(max_length=MAX_TEXT_FIELD)]
PollId = Annotated[str, Meta(pattern=r"^p[0-9]{1,4}$")]
# What a poll's choices may be at all on the wire (the rules say 2 to 6 in words).
PollChoices = Annotated[list[Annotated[str, Meta(max_length=MAX_TEXT_FIELD)]], Meta(max_length=50)]
ChoiceIndex = Annotated[int, Meta(ge=0, le=1000)]
OrganiserId = Annotated[str, Meta(min_length=1, max_length=100)]

Phase = Literal["open", "voting", "closed"]
Status = Literal["pending", "approved", "answered", "rejected", "archived", "merged"]
# What a moderator does to one question (merge and edit carry more, they have their own commands).
Action = Literal["approve", "reject", "pin", "unpin", "answer", "archive"]
Language = Literal["fr", "en"]
# A poll is made as a draft, opened (one at a time per event), then closed for good.
PollState = Literal["draft", "open", "closed"]

# The statuses the public sees: everything else stays with the moderators (and the asker).
PUBLIC_STATUSES: frozenset[str] = frozenset({"approved", "answered"})


# --- commands ---


class SetPhase(msgspec.Struct, frozen=True, kw_only=True):
    """The organiser opens the session, keeps only voting open, or closes it; `language` is the projector's."""

    command_id: CommandId
    event: Slug
    phase: Phase
    language: Language = "fr"
    by_organiser: OrganiserId


class AskQuestion(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    asker: Person
    text: QuestionText
    # Empty: anonymous.
    name: AskerName = ""


class CastVote(msgspec.Struct, frozen=True, kw_only=True):
    """One vote for an approved question; `withdraw` takes it back."""

    command_id: CommandId
    event: Slug
    question: QuestionId
    voter: Person
    withdraw: bool = False


class ModerateQuestion(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    question: QuestionId
    action: Action
    by_organiser: OrganiserId


class EditQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """A moderator rewords a question (a typo, a name that should not be there); the original is kept."""

    command_id: CommandId
    event: Slug
    question: QuestionId
    text: QuestionText
    by_organiser: OrganiserId


class MergeQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """`question` is a duplicate of `into`: its votes and askers go to `into`, and it leaves every screen."""

    command_id: CommandId
    event: Slug
    question: QuestionId
    into: QuestionId
    by_organiser: OrganiserId


class CreatePoll(msgspec.Struct, frozen=True, kw_only=True):
    """A moderator prepares a poll (a draft): its question in French, optionally in English, and its choices."""

    command_id: CommandId
    event: Slug
    text: QuestionText
    text_en: QuestionText = ""
    choices: PollChoices
    by_organiser: OrganiserId


class SetPollState(msgspec.Struct, frozen=True, kw_only=True):
    """A moderator opens a draft poll (no other may be open) or closes the open one (its results stay)."""

    command_id: CommandId
    event: Slug
    poll: PollId
    state: Literal["open", "closed"]
    by_organiser: OrganiserId


class VotePoll(msgspec.Struct, frozen=True, kw_only=True):
    """One person's choice in the open poll (the index of a choice); a new choice replaces the former."""

    command_id: CommandId
    event: Slug
    poll: PollId
    choice: ChoiceIndex
    voter: Person


class PublishRecord(msgspec.Struct, frozen=True, kw_only=True):
    """After the event, the organiser publishes its record: a summary (French, English optional) and the
    answered questions. Publishing again replaces the summary (a new version)."""

    command_id: CommandId
    event: Slug
    summary_fr: Annotated[str, Meta(max_length=MAX_SUMMARY_FIELD)]
    summary_en: Annotated[str, Meta(max_length=MAX_SUMMARY_FIELD)] = ""
    by_organiser: OrganiserId


QaCommand = (
    SetPhase
    | AskQuestion
    | CastVote
    | ModerateQuestion
    | EditQuestion
    | MergeQuestion
    | CreatePoll
    | SetPollState
    | VotePoll
    | PublishRecord
)


# --- queries and replies ---


class GetPublicQa(msgspec.Struct, frozen=True, kw_only=True):
    """What the room and the projector see; with `person`, also that person's own waiting questions and votes."""

    event: Slug
    person: Person | None = None


class GetRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The record of a published event, if it has one."""

    event: Slug


class GetModeration(msgspec.Struct, frozen=True, kw_only=True):
    """Everything, for the moderators only (the web asks it behind the organiser guard)."""

    event: Slug


class RecordQuestion(msgspec.Struct, frozen=True, kw_only=True):
    """An answered question as the record shows it: its text, the name shown publicly, its votes."""

    id: str
    text: str
    name: str
    votes: int


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """The published record: never a pending, rejected, archived or merged question."""

    version: int
    summary_fr: str
    summary_en: str
    published_at: datetime
    # Answered questions only, most voted first, then oldest.
    questions: list[RecordQuestion]


class RecordReply(msgspec.Struct, frozen=True, kw_only=True, tag="qa_record"):
    record: Record | None = None


class QaCounts(msgspec.Struct, frozen=True, kw_only=True):
    """The organiser's counts: merged duplicates are not counted as questions of their own."""

    asked: int
    # Approved ones, answered included.
    approved: int
    answered: int
    rejected: int
    votes: int
    # Distinct people who asked or voted (registrations and devices).
    audience: int


class PublicQuestion(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    text: str
    name: str
    votes: int
    status: Status
    pinned: bool
    asked_at: datetime


class PollChoice(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    votes: int
    # Of the poll's votes, rounded to a whole number (0 while nobody voted).
    percent: int


class PollView(msgspec.Struct, frozen=True, kw_only=True):
    """A poll and its counts: never who chose what."""

    id: str
    text: str
    text_en: str
    state: PollState
    choices: list[PollChoice]
    total: int


class PublicQa(msgspec.Struct, frozen=True, kw_only=True, tag="public_qa"):
    event: str
    # False while no organiser ever opened a session for this event.
    enabled: bool
    phase: Phase
    language: Language
    # Approved and answered questions only: the pinned one first, then by votes (most first), then oldest.
    questions: list[PublicQuestion]
    # The person's own questions that are not public (waiting or turned down): only they see them.
    mine: list[PublicQuestion] = []
    # The ids of the questions the person voted for.
    voted: list[str] = []
    # The open poll, or else the one closed last (until the next opens); None: no poll shown.
    poll: PollView | None = None
    # The person's own choice in that poll (only theirs, only to them).
    poll_choice: int | None = None
    # The record, once the organiser published it after the event.
    record: Record | None = None


class ModeratedQuestion(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    text: str
    # The asker's own words when a moderator edited them; None when never edited.
    original: str | None
    name: str
    votes: int
    status: Status
    pinned: bool
    asked_at: datetime
    # Who asked it (merged duplicates bring their askers): registrations and device digests.
    askers: list[str]
    merged_into: str | None = None
    # The duplicates merged into this one.
    merged: list[str] = []


class Moderation(msgspec.Struct, frozen=True, kw_only=True, tag="moderation"):
    event: str
    enabled: bool
    phase: Phase
    language: Language
    # Every question, the pending ones first (oldest first), then the others by votes.
    questions: list[ModeratedQuestion]
    # Every poll, the newest first; `shown_poll` is the one the room and the projector see.
    polls: list[PollView] = []
    shown_poll: str | None = None
    counts: QaCounts | None = None
    record: Record | None = None


class QaDone(msgspec.Struct, frozen=True, kw_only=True, tag="qa_done"):
    """What a command answers: the question it concerned (a new question's id) and the phase."""

    event: str
    question: str | None
    phase: Phase
    # The poll a poll command concerned (a new poll's id).
    poll: str | None = None


# --- events (perche.qa.evt.<slug>.session) ---


class PhaseSet(msgspec.Struct, frozen=True, kw_only=True, tag="qa_phase_set"):
    command_id: str
    event: str
    phase: Phase
    language: Language = "fr"
    by_organiser: str
    at: datetime


class QuestionAsked(msgspec.Struct, frozen=True, kw_only=True, tag="qa_question_asked"):
    command_id: str
    event: str
    question: str
    asker: str
    text: str
    # Written here only by the first version; since, the asker's name is kept in the Q&A's KV bucket
    # under `name_key` (personal data that erasure can remove), and this stays empty.
    name: str = ""
    at: datetime
    name_key: str | None = None


class VoteCast(msgspec.Struct, frozen=True, kw_only=True, tag="qa_vote_cast"):
    command_id: str
    event: str
    question: str
    voter: str
    at: datetime


class VoteWithdrawn(msgspec.Struct, frozen=True, kw_only=True, tag="qa_vote_withdrawn"):
    command_id: str
    event: str
    question: str
    voter: str
    at: datetime


class QuestionModerated(msgspec.Struct, frozen=True, kw_only=True, tag="qa_question_moderated"):
    command_id: str
    event: str
    question: str
    action: Action
    by_organiser: str
    at: datetime


class QuestionEdited(msgspec.Struct, frozen=True, kw_only=True, tag="qa_question_edited"):
    command_id: str
    event: str
    question: str
    text: str
    by_organiser: str
    at: datetime


class QuestionMerged(msgspec.Struct, frozen=True, kw_only=True, tag="qa_question_merged"):
    command_id: str
    event: str
    question: str
    into: str
    by_organiser: str
    at: datetime


class PollCreated(msgspec.Struct, frozen=True, kw_only=True, tag="qa_poll_created"):
    command_id: str
    event: str
    poll: str
    text: str
    text_en: str = ""
    choices: list[str]
    by_organiser: str
    at: datetime


class PollStateSet(msgspec.Struct, frozen=True, kw_only=True, tag="qa_poll_state_set"):
    command_id: str
    event: str
    poll: str
    state: Literal["open", "closed"]
    by_organiser: str
    at: datetime


class PollVoted(msgspec.Struct, frozen=True, kw_only=True, tag="qa_poll_voted"):
    """A person's choice in a poll; a later one of the same person replaces it."""

    command_id: str
    event: str
    poll: str
    choice: int
    voter: str
    at: datetime


class RecordPublished(msgspec.Struct, frozen=True, kw_only=True, tag="qa_record_published"):
    """A version of the record's summary; a later one replaces it. `version` 1 is the first publication."""

    command_id: str
    event: str
    version: int
    summary_fr: str
    summary_en: str = ""
    by_organiser: str
    at: datetime


QaEvent = (
    PhaseSet
    | QuestionAsked
    | VoteCast
    | VoteWithdrawn
    | QuestionModerated
    | QuestionEdited
    | QuestionMerged
    | PollCreated
    | PollStateSet
    | PollVoted
    | RecordPublished
)
