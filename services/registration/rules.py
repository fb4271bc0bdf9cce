"""Pure rules of registration: who gets a seat, who waits, what a valid answer is."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from schemas.catalog import Category, EventSpec, Question
from schemas.errors import Rejected
from schemas.registration import (
    Answer,
    Register,
    Registered,
    RegistrationCancelled,
    RegistrationEvent,
    Status,
    WaitlistPromoted,
)
from schemas.validation import looks_like_email

MAX_TEXT_ANSWER = 2000


@dataclass
class Record:
    id: str
    event: str
    category: str
    status: Status
    language: str
    registered_at: datetime


@dataclass
class CategoryTally:
    confirmed: int = 0
    waitlist: list[str] = field(default_factory=list)


@dataclass
class RegistrationState:
    records: dict[str, Record] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    tallies: dict[tuple[str, str], CategoryTally] = field(default_factory=lambda: defaultdict(CategoryTally))
    by_event: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def tally(self, event: str, category: str) -> CategoryTally:
        return self.tallies[(event, category)]

    def position(self, registration_id: str) -> int | None:
        record = self.records[registration_id]
        if record.status != "waitlisted":
            return None
        return self.tally(record.event, record.category).waitlist.index(registration_id) + 1

    def evolve(self, event: RegistrationEvent) -> None:
        match event:
            case Registered():
                self.records[event.registration_id] = Record(
                    id=event.registration_id,
                    event=event.event,
                    category=event.category,
                    status=event.status,
                    language=event.language,
                    registered_at=event.at,
                )
                self.commands[event.command_id] = event.registration_id
                self.by_event[event.event].append(event.registration_id)
                tally = self.tally(event.event, event.category)
                if event.status == "confirmed":
                    tally.confirmed += 1
                else:
                    tally.waitlist.append(event.registration_id)
            case RegistrationCancelled():
                record = self.records[event.registration_id]
                tally = self.tally(record.event, record.category)
                if record.status == "confirmed":
                    tally.confirmed -= 1
                elif record.status == "waitlisted":
                    tally.waitlist.remove(record.id)
                record.status = "cancelled"
                self.commands[event.command_id] = event.registration_id
            case WaitlistPromoted():
                record = self.records[event.registration_id]
                tally = self.tally(record.event, record.category)
                tally.waitlist.remove(record.id)
                tally.confirmed += 1
                record.status = "confirmed"
                self.commands[event.command_id] = event.registration_id


def check_answers(spec: EventSpec, category: str, answers: dict[str, Answer]) -> dict[str, Answer]:
    """Answers keyed by question id, each of the question's kind; blanks dropped."""
    questions = {q.id: q for q in spec.questions_for(category)}
    for key in answers:
        if key not in questions:
            raise Rejected("invalid", f"Unknown question {key!r}", f"answers.{key}", key="unknown_question")
    clean: dict[str, Answer] = {}
    for question in questions.values():
        value = _check_answer(question, answers.get(question.id))
        if value is None:
            if question.required:
                raise Rejected(
                    "invalid",
                    f"Please answer: {question.label}",
                    f"answers.{question.id}",
                    key="answer_required",
                )
            continue
        clean[question.id] = value
    return clean


def _check_answer(question: Question, value: Answer | None) -> Answer | None:
    where = f"answers.{question.id}"
    match question.kind, value:
        case _, None:
            return None
        case "text", str():
            text = value.strip()
            if len(text) > MAX_TEXT_ANSWER:
                raise Rejected("invalid", f"At most {MAX_TEXT_ANSWER} characters", where, key="answer_too_long")
            return text or None
        case "yes_no", bool():
            return value
        case "choice", str():
            if value == "":
                return None
            if value not in question.choices:
                raise Rejected(
                    "invalid",
                    f"{value!r} is not one of the choices",
                    where,
                    key="answer_not_a_choice",
                )
            return value
        case "multi_choice", list():
            unknown = [v for v in value if v not in question.choices]
            if unknown:
                raise Rejected(
                    "invalid",
                    f"{unknown[0]!r} is not one of the choices",
                    where,
                    key="answer_not_a_choice",
                )
            return [c for c in question.choices if c in value] or None
    raise Rejected(
        "invalid",
        f"Wrong kind of answer for a {question.kind} question",
        where,
        key="answer_wrong_kind",
    )


def registration_window_problem(spec: EventSpec, category: Category, now: datetime) -> Rejected | None:
    opens = category.opens_at or spec.registration_opens_at
    closes = category.closes_at or spec.registration_closes_at or spec.ends_at
    if opens and now < opens:
        return Rejected("conflict", "Registration is not open yet", "category", key="not_open_yet")
    if now >= closes:
        return Rejected("conflict", "Registration is closed", "category", key="closed")
    return None


def decide_register(
    state: RegistrationState,
    spec: EventSpec,
    command: Register,
    registration_id: str,
    now: datetime,
) -> tuple[Registered, dict[str, Answer]]:
    """The event to append and the cleaned answers. Raises Rejected and writes nothing."""
    if not command.name.strip():
        raise Rejected("invalid", "Please give your name", "name", key="name_required")
    if not looks_like_email(command.email.strip()):
        raise Rejected("invalid", f"{command.email!r} is not an email address", "email", key="email_invalid")
    if not command.consent:
        raise Rejected("invalid", "Please accept how your data is used", "consent", key="consent_required")
    category = spec.category(command.category) if command.category else spec.default_category
    if category is None or not category.public:
        raise Rejected(
            "invalid",
            f"No category {command.category!r} for this event",
            "category",
            key="unknown_category",
        )
    problem = registration_window_problem(spec, category, now)
    if problem:
        raise problem
    answers = check_answers(spec, category.id, command.answers)
    tally = state.tally(spec.slug, category.id)
    status = "confirmed" if tally.confirmed < category.capacity else "waitlisted"
    event = Registered(
        registration_id=registration_id,
        command_id=command.command_id,
        event=spec.slug,
        category=category.id,
        status=status,
        language=command.language,
        at=now,
    )
    return event, answers


def decide_cancel(
    state: RegistrationState,
    registration_id: str,
    command_id: str,
    by_organiser: str | None,
    now: datetime,
) -> RegistrationCancelled:
    record = state.records.get(registration_id)
    if record is None:
        raise Rejected("not_found", "No such registration", key="registration_not_found")
    if record.status == "cancelled":
        raise Rejected("conflict", "This registration is already cancelled", key="already_cancelled")
    return RegistrationCancelled(
        registration_id=registration_id,
        command_id=command_id,
        event=record.event,
        by_organiser=by_organiser,
        at=now,
    )


def next_in_line(state: RegistrationState, spec: EventSpec, category_id: str) -> str | None:
    """Whom to promote now that a seat may be free: first on the waitlist, if a seat is."""
    category = spec.category(category_id)
    tally = state.tally(spec.slug, category_id)
    if category is None or not tally.waitlist or tally.confirmed >= category.capacity:
        return None
    return tally.waitlist[0]
