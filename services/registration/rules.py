"""Pure rules of registration: who gets a seat, who waits, what a valid answer is.

Seats are numbered per category. A confirmed person or a pending offer holds one
seat; a seat is claimed with an append that expects the seat's last sequence, so
no two writers can hold the same seat, whatever the number of instances.
"""

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from schemas.catalog import Category, EventSpec, Question
from schemas.errors import Rejected
from schemas.registration import (
    MAX_TEXT_ANSWER,
    Answer,
    AnswersChanged,
    CheckedIn,
    OfferLapsed,
    PersonActionEntry,
    PersonalDataExported,
    PersonErased,
    Register,
    Registered,
    RegistrationCancelled,
    RegistrationEvent,
    RegistrationStatus,
    SeatOffered,
    Status,
    WaitlistPromoted,
)
from schemas.validation import looks_like_email


@dataclass
class Record:
    id: str
    event: str
    category: str
    status: Status
    language: str
    registered_at: datetime
    seat: int | None = None
    offer_expires_at: datetime | None = None
    checked_in_at: datetime | None = None
    # When it ended: cancelled, or an offer not claimed in time.
    cancelled_at: datetime | None = None
    erased: bool = False
    history: list[str] = field(default_factory=list)
    # What a repeat of the request that made it must match (None: registered before issue 9).
    fingerprint: str | None = None


@dataclass
class CategoryTally:
    # seat number -> registration holding it (confirmed, or offered and not yet claimed)
    holders: dict[int, str] = field(default_factory=dict)
    # waiting people without an offer, in order of registration
    waitlist: list[str] = field(default_factory=list)
    confirmed: int = 0
    checked_in: int = 0
    # highest seat ever held, and the seats below it nobody holds: given back, or skipped
    # (a claim whose append failed while a later seat's succeeded)
    high: int = 0
    released: set[int] = field(default_factory=set)

    @property
    def offered(self) -> int:
        return len(self.holders) - self.confirmed

    def free_seat(self, capacity: int, reserved: set[int] | frozenset[int] = frozenset()) -> int | None:
        """The lowest seat in 1..capacity nobody holds or is claiming right now."""
        if len(self.holders) + len(reserved) >= capacity:
            return None
        for seat in sorted(self.released):
            if seat not in reserved and seat <= capacity:
                return seat
        seat = self.high + 1
        while seat in reserved or seat in self.holders:
            seat += 1
        return seat if seat <= capacity else None

    def take(self, seat: int, registration_id: str) -> None:
        self.holders[seat] = registration_id
        self.released.discard(seat)
        # Seats jumped over are as free as seats given back, or they would never be offered again.
        self.released.update(s for s in range(self.high + 1, seat) if s not in self.holders)
        self.high = max(self.high, seat)

    def release(self, seat: int) -> None:
        del self.holders[seat]
        self.released.add(seat)


@dataclass
class RegistrationState:
    records: dict[str, Record] = field(default_factory=dict)
    # (registration, command id) pairs applied: a client's id is only ever its own registration's.
    commands: set[tuple[str, str]] = field(default_factory=set)
    tallies: defaultdict[tuple[str, str], CategoryTally] = field(default_factory=lambda: defaultdict(CategoryTally))
    by_event: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def tally(self, event: str, category: str) -> CategoryTally:
        return self.tallies[(event, category)]

    def position(self, registration_id: str) -> int | None:
        record = self.records[registration_id]
        waitlist = self.tally(record.event, record.category).waitlist
        if record.status != "waitlisted" or registration_id not in waitlist:
            return None
        return waitlist.index(registration_id) + 1

    def applied(self, registration_id: str, command_id: str) -> bool:
        """Whether this command was already applied to this registration (a repeat)."""
        return (registration_id, command_id) in self.commands

    def evolve(self, event: RegistrationEvent) -> None:
        self.commands.add((event.registration_id, event.command_id))
        match event:
            case Registered():
                if event.registration_id in self.records:
                    return  # a second append for one registration is never applied twice
                record = Record(
                    id=event.registration_id,
                    event=event.event,
                    category=event.category,
                    status=event.status,
                    language=event.language,
                    registered_at=event.at,
                    fingerprint=event.fingerprint,
                )
                self.records[record.id] = record
                self.by_event[event.event].append(record.id)
                if event.status == "confirmed" and event.seat is not None:
                    self._take(record, event.seat, confirmed=True)
                else:
                    self.tally(record.event, record.category).waitlist.append(record.id)
                record.history.append(f"{event.at.isoformat()} registered ({event.status})")
            case RegistrationCancelled():
                record = self.records[event.registration_id]
                tally = self.tally(record.event, record.category)
                self._release(record)
                if record.id in tally.waitlist:
                    tally.waitlist.remove(record.id)
                record.status = "cancelled"
                record.cancelled_at = event.at
                record.history.append(f"{event.at.isoformat()} cancelled")
            case SeatOffered():
                record = self.records[event.registration_id]
                if record.status != "waitlisted" or record.seat is not None:
                    return  # a racing instance's duplicate offer, or cancelled meanwhile: seat stays free
                tally = self.tally(record.event, record.category)
                if record.id in tally.waitlist:
                    tally.waitlist.remove(record.id)
                self._take(record, event.seat, confirmed=False)
                record.offer_expires_at = event.expires_at
                record.history.append(f"{event.at.isoformat()} offered seat until {event.expires_at.isoformat()}")
            case WaitlistPromoted():
                record = self.records[event.registration_id]
                tally = self.tally(record.event, record.category)
                if record.id in tally.waitlist:
                    tally.waitlist.remove(record.id)
                seat = event.seat if event.seat is not None else record.seat
                if record.seat is None and seat is not None:
                    self._take(record, seat, confirmed=True)
                elif record.status != "confirmed":
                    tally.confirmed += 1
                record.status = "confirmed"
                record.offer_expires_at = None
                record.history.append(f"{event.at.isoformat()} promoted from the waitlist")
            case OfferLapsed():
                record = self.records[event.registration_id]
                if record.status != "waitlisted":
                    return  # claimed (or cancelled) before the lapse was written: nothing lapses
                self._release(record)
                record.status = "cancelled"
                record.cancelled_at = event.at
                record.offer_expires_at = None
                record.history.append(f"{event.at.isoformat()} offer not claimed in time")
            case CheckedIn():
                record = self.records[event.registration_id]
                if record.checked_in_at is None:
                    record.checked_in_at = event.at
                    self.tally(record.event, record.category).checked_in += 1
                record.history.append(f"{event.at.isoformat()} checked in")
            case AnswersChanged():
                self.records[event.registration_id].history.append(f"{event.at.isoformat()} answers changed")
            case PersonErased():
                record = self.records[event.registration_id]
                record.erased = True
                record.history.append(f"{event.at.isoformat()} personal data erased ({event.reason})")
            case PersonalDataExported():
                self.records[event.registration_id].history.append(f"{event.at.isoformat()} personal data exported")

    def _take(self, record: Record, seat: int, confirmed: bool) -> None:
        tally = self.tally(record.event, record.category)
        tally.take(seat, record.id)
        record.seat = seat
        if confirmed:
            tally.confirmed += 1
            record.status = "confirmed"

    def _release(self, record: Record) -> None:
        if record.seat is None:
            return
        tally = self.tally(record.event, record.category)
        if tally.holders.get(record.seat) == record.id:
            tally.release(record.seat)
            if record.status == "confirmed":
                tally.confirmed -= 1
        record.seat = None


def check_answers(spec: EventSpec, category: str, answers: dict[str, Answer]) -> dict[str, Answer]:
    """Answers keyed by question id, each of the question's kind; blanks dropped.

    Raises one Rejected naming every wrong answer."""
    clean, problems = answers_and_problems(spec, category, answers)
    if problems:
        raise Rejected.every(problems)
    return clean


def answers_and_problems(
    spec: EventSpec, category: str, answers: dict[str, Answer]
) -> tuple[dict[str, Answer], list[Rejected]]:
    """The clean answers (check_answers) and every problem found with them: unknown questions first,
    then the event's questions in their order (the form's)."""
    questions = {q.id: q for q in spec.questions_for(category)}
    problems = [
        Rejected("invalid", f"Unknown question {key!r}", f"answers.{key}", key="unknown_question")
        for key in answers
        if key not in questions
    ]
    clean: dict[str, Answer] = {}
    for question in questions.values():
        try:
            value = _check_answer(spec, question, answers.get(question.id))
        except Rejected as problem:
            problems.append(problem)
            continue
        if value is None:
            if question.required:
                problems.append(
                    Rejected(
                        "invalid", f"Please answer: {question.label}", f"answers.{question.id}", key="answer_required"
                    )
                )
            continue
        clean[question.id] = value
    return clean, problems


def ranked_among(spec: EventSpec, question: Question) -> list[str]:
    """What a ranking question ranks: its choices, or the event's challenges (their ids) when it has none."""
    return list(question.choices) or [c.id for c in spec.challenges]


def _ranked(question: Question, value: list[str], among: list[str], where: str) -> list[str] | None:
    """The person's order, most preferred first; blank places dropped."""
    ranked = [v for v in value if v.strip()]
    unknown = [v for v in ranked if v not in among]
    if unknown:
        raise Rejected("invalid", f"{unknown[0]!r} is not one of the choices", where, key="answer_not_a_choice")
    twice = next((v for i, v in enumerate(ranked) if v in ranked[:i]), None)
    if twice is not None:
        raise Rejected("invalid", f"{twice!r} is ranked twice", where, key="answer_ranked_twice")
    if len(ranked) > question.ranks:
        raise Rejected("invalid", f"Rank at most {question.ranks} choices", where, key="answer_too_many_ranked")
    return ranked or None


def _check_answer(spec: EventSpec, question: Question, value: Answer | None) -> Answer | None:
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
                raise Rejected("invalid", f"{value!r} is not one of the choices", where, key="answer_not_a_choice")
            return value
        case "multi_choice", list():
            unknown = [v for v in value if v not in question.choices]
            if unknown:
                raise Rejected("invalid", f"{unknown[0]!r} is not one of the choices", where, key="answer_not_a_choice")
            return [c for c in question.choices if c in value] or None
        case "ranking", list():
            return _ranked(question, value, ranked_among(spec, question), where)
    raise Rejected("invalid", f"Wrong kind of answer for a {question.kind} question", where, key="answer_wrong_kind")


def registration_window(spec: EventSpec, category: Category, now: datetime) -> Literal["not_open", "open", "closed"]:
    """Where `now` falls in the category's registration window (its own dates, else the event's)."""
    opens = category.opens_at or spec.registration_opens_at
    closes = category.closes_at or spec.registration_closes_at or spec.ends_at
    if opens and now < opens:
        return "not_open"
    if now >= closes:
        return "closed"
    return "open"


def registration_window_problem(spec: EventSpec, category: Category, now: datetime) -> Rejected | None:
    match registration_window(spec, category, now):
        case "not_open":
            return Rejected("conflict", "Registration is not open yet", "category", key="not_open_yet")
        case "closed":
            return Rejected("conflict", "Registration is closed", "category", key="closed")
    return None


# How event_status chooses among its public categories' statuses.
MOST_HOPEFUL_FIRST: tuple[RegistrationStatus, ...] = ("open", "not_open", "full")


def category_status(spec: EventSpec, category: Category, remaining: int, now: datetime) -> RegistrationStatus:
    """What the public form of this category offers at `now`: a seat ("open"), a place on the
    waitlist ("full", the window is open but no seat is left), or nothing yet or any more."""
    window = registration_window(spec, category, now)
    if window != "open":
        return window
    return "open" if remaining > 0 else "full"


def event_status(spec: EventSpec, statuses: Mapping[str, RegistrationStatus]) -> RegistrationStatus:
    """The event's status from its public categories' (`category_status`, by category id).

    The most hopeful answer wins: "open" if any public category has a seat, else "not_open"
    if one opens later (worth coming back for), else "full" if one still takes people on its
    waitlist, else "closed" (also when no category is public: the public form offers nothing).
    Invitation-only categories never count. With no category window of its own this says what
    the event's window and seats say: not open yet, closed, full when every seat is taken.
    """
    public = {statuses[c.id] for c in spec.categories if c.public and c.id in statuses}
    return next((status for status in MOST_HOPEFUL_FIRST if status in public), "closed")


def person_problems(name: str, email: str) -> list[Rejected]:
    """What is wrong with a person's name and email address (nothing: an empty list)."""
    problems = []
    if not name.strip():
        problems.append(Rejected("invalid", "Please give your name", "name", key="name_required"))
    if not looks_like_email(email.strip()):
        problems.append(Rejected("invalid", f"{email!r} is not an email address", "email", key="email_invalid"))
    return problems


def check_answers_change(
    spec: EventSpec, category: str, name: str, email: str, answers: dict[str, Answer]
) -> dict[str, Answer]:
    """A person's new name and answers: the clean answers, or one Rejected naming every problem."""
    clean, problems = answers_and_problems(spec, category, answers)
    problems = person_problems(name, email) + problems
    if problems:
        raise Rejected.every(problems)
    return clean


def _normal_answer(value: Answer) -> Answer | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        return sorted(v.strip() for v in value) or None
    return value


def payload_fingerprint(command: Register, key: bytes) -> str:
    """What a repeat of a registration request must match, signed with the person's own key.

    The event, category, name, email, answers and language, normalised as they are stored
    (spaces trimmed, the email's case and the order of answers ignored). The key dies with
    the person's data, so the fingerprint kept in the log then says nothing about them.
    """
    answers = {k: a for k, v in command.answers.items() if (a := _normal_answer(v)) is not None}
    payload = [
        command.event,
        command.category or "",
        command.name.strip(),
        command.email.strip().casefold(),
        answers,
        command.language,
    ]
    return hmac.new(key, msgspec.json.encode(payload, order="sorted"), hashlib.sha256).hexdigest()[:32]


def idempotency_key_reused() -> Rejected:
    return Rejected(
        "conflict",
        "This Idempotency-Key was already used for another registration request: "
        "send a new key to register someone, or the same request to get its registration again",
        key="idempotency_key_reused",
    )


def decide_register(
    state: RegistrationState,
    spec: EventSpec,
    command: Register,
    registration_id: str,
    now: datetime,
    reserved: set[int] | frozenset[int] = frozenset(),
    fingerprint: str | None = None,
) -> tuple[Registered, dict[str, Answer]]:
    """The event to append and the cleaned answers. Raises Rejected and writes nothing.

    `reserved` are seats other requests of this instance are claiming right now.
    Newcomers never jump the queue: while people wait without an offer, they wait too.
    """
    # Every problem of the form at once, the first in the order they were always checked in.
    problems = person_problems(command.name, command.email)
    if not command.consent:
        problems.append(Rejected("invalid", "Please accept how your data is used", "consent", key="consent_required"))
    category = spec.category(command.category) if command.category else spec.default_category
    if category is None or not (category.public or command.by_organiser):
        problems.append(
            Rejected("invalid", f"No category {command.category!r} for this event", "category", key="unknown_category")
        )
        raise Rejected.every(problems)
    # Organisers may still add people (a juror, a late speaker) once the public form is closed.
    window = None if command.by_organiser else registration_window_problem(spec, category, now)
    if window and not problems:
        raise window  # nothing to correct on the form would make it go through
    answers, answer_problems = answers_and_problems(spec, category.id, command.answers)
    problems += answer_problems
    if problems:
        raise Rejected.every(problems)
    tally = state.tally(spec.slug, category.id)
    seat = None if tally.waitlist else tally.free_seat(category.capacity, reserved)
    event = Registered(
        registration_id=registration_id,
        command_id=command.command_id,
        event=spec.slug,
        category=category.id,
        status="waitlisted" if seat is None else "confirmed",
        language=command.language,
        at=now,
        seat=seat,
        fingerprint=fingerprint,
    )
    return event, answers


def live_record(state: RegistrationState, registration_id: str) -> Record:
    record = state.records.get(registration_id)
    if record is None:
        raise Rejected("not_found", "No such registration", key="registration_not_found")
    if record.status == "cancelled":
        raise Rejected("conflict", "This registration is cancelled", key="already_cancelled")
    return record


def decide_cancel(
    state: RegistrationState, registration_id: str, command_id: str, by_organiser: str | None, now: datetime
) -> RegistrationCancelled:
    record = live_record(state, registration_id)
    return RegistrationCancelled(
        registration_id=registration_id, command_id=command_id, event=record.event, by_organiser=by_organiser, at=now
    )


def decide_offer(
    state: RegistrationState, spec: EventSpec, category_id: str, now: datetime, reserved: frozenset[int] = frozenset()
) -> SeatOffered | None:
    """Offer a free seat to the first person waiting, if there is both."""
    category = spec.category(category_id)
    tally = state.tally(spec.slug, category_id)
    if category is None or not tally.waitlist:
        return None
    seat = tally.free_seat(category.capacity, reserved)
    if seat is None:
        return None
    first = tally.waitlist[0]
    return SeatOffered(
        registration_id=first,
        # The same id for the same offer from any instance: JetStream keeps only one.
        command_id=f"offer-{first}-{len(state.records[first].history)}",
        event=spec.slug,
        category=category_id,
        seat=seat,
        expires_at=now + timedelta(hours=spec.waitlist_offer_hours),
        at=now,
    )


def decide_claim(state: RegistrationState, registration_id: str, command_id: str, now: datetime) -> WaitlistPromoted:
    record = live_record(state, registration_id)
    if record.status == "confirmed":
        raise Rejected("conflict", "This registration is already confirmed", key="already_confirmed")
    if record.seat is None or record.offer_expires_at is None:
        raise Rejected("conflict", "No seat is offered to you yet", key="no_offer")
    if now >= record.offer_expires_at:
        raise Rejected("conflict", "This offer has expired", key="offer_expired")
    return WaitlistPromoted(
        registration_id=registration_id, command_id=command_id, event=record.event, at=now, seat=record.seat
    )


def decide_promote(
    state: RegistrationState,
    spec: EventSpec,
    registration_id: str,
    command_id: str,
    by_organiser: str,
    now: datetime,
    reserved: frozenset[int] = frozenset(),
) -> WaitlistPromoted:
    """An organiser gives a seat by hand; still never more people than seats."""
    record = live_record(state, registration_id)
    if record.status == "confirmed":
        raise Rejected("conflict", "This registration is already confirmed", key="already_confirmed")
    if record.seat is not None:  # holds an offer: confirm it on the person's behalf
        seat: int | None = record.seat
    else:
        category = spec.category(record.category)
        capacity = category.capacity if category else 0
        seat = state.tally(record.event, record.category).free_seat(capacity, reserved)
        if seat is None:
            raise Rejected("conflict", "No seat is free in this category", key="no_free_seat")
    return WaitlistPromoted(
        registration_id=registration_id,
        command_id=command_id,
        event=record.event,
        at=now,
        seat=seat,
        by_organiser=by_organiser,
    )


def lapsed_offer(record: Record, now: datetime) -> OfferLapsed | None:
    """The end of the record's offer if it was not claimed in time (None: claimed, cancelled, not due)."""
    if record.status != "waitlisted" or record.offer_expires_at is None or record.offer_expires_at > now:
        return None
    return OfferLapsed(
        registration_id=record.id, command_id=f"lapse-{record.id}-{record.seat}", event=record.event, at=now
    )


def lapsed_offers(state: RegistrationState, now: datetime) -> list[OfferLapsed]:
    return [lapse for record in state.records.values() if (lapse := lapsed_offer(record, now)) is not None]


def decide_check_in(
    state: RegistrationState, registration_id: str, command_id: str, by_organiser: str, now: datetime
) -> CheckedIn:
    record = live_record(state, registration_id)
    if record.status != "confirmed":
        raise Rejected("conflict", "Only confirmed people can be checked in", key="not_confirmed")
    if record.checked_in_at is not None:
        raise Rejected(
            "conflict", f"Already checked in at {record.checked_in_at.isoformat()}", key="already_checked_in"
        )
    return CheckedIn(
        registration_id=registration_id, command_id=command_id, event=record.event, by_organiser=by_organiser, at=now
    )


def due_for_purge(state: RegistrationState, events: dict[str, EventSpec], now: datetime) -> list[str]:
    """Registrations whose event ended more than its `purge_after_days` ago and still hold data."""
    due: list[str] = []
    for slug, ids in state.by_event.items():
        spec = events.get(slug)
        if spec is None or now < spec.ends_at + timedelta(days=spec.purge_after_days):
            continue
        due.extend(i for i in ids if not state.records[i].erased)
    return due


def organiser_actions(events: list[RegistrationEvent]) -> list[PersonActionEntry]:
    """What organisers did to people, in stream order: cancellations and promotions they made,
    check-ins, and erasures (a purge's has no organiser). The people's own doings are not listed."""
    actions: list[PersonActionEntry] = []
    for event in events:
        match event:
            case RegistrationCancelled(by_organiser=str(by)):
                action = PersonActionEntry(
                    action="cancelled", registration_id=event.registration_id, at=event.at, by_organiser=by
                )
            case WaitlistPromoted(by_organiser=str(by)):
                action = PersonActionEntry(
                    action="promoted", registration_id=event.registration_id, at=event.at, by_organiser=by
                )
            case CheckedIn(by_organiser=by):
                action = PersonActionEntry(
                    action="checked_in", registration_id=event.registration_id, at=event.at, by_organiser=by
                )
            case PersonErased(by_organiser=by):
                action = PersonActionEntry(
                    action="erased", registration_id=event.registration_id, at=event.at, by_organiser=by
                )
            case _:
                continue
        actions.append(action)
    return actions
