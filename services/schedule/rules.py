"""Pure rules of the agenda: edits, conflicts, releases, the event file, pitch rounds, who sees what.

Nothing here touches the network or the clock: the service passes `now` and the
event's definition in, and appends what these functions decide.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from schemas.catalog import Audience, EventSpec, Span
from schemas.errors import ErrorKey, Rejected
from schemas.schedule import (
    Agenda,
    AgendaReleased,
    Change,
    ChangeKind,
    Contributor,
    DraftEdited,
    Edit,
    EditDraft,
    Issue,
    PutContributor,
    PutRoom,
    PutSession,
    PutTeam,
    ReleaseAgenda,
    ReleaseSummary,
    RemoveContributor,
    RemoveRoom,
    RemoveSession,
    RemoveTeam,
    ScheduleEvent,
    Session,
    Slot,
)

# --- time ---


def to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """Naive times (event files, forms) are local to the event's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def overlaps(a: Session, b: Session) -> bool:
    # Equal starts always clash, even for a zero-length item (pretalx let those through).
    return a.starts_at == b.starts_at or (a.starts_at < b.ends_at and b.starts_at < a.ends_at)


# --- state ---


@dataclass
class EventAgenda:
    """One event's agenda as the stream tells it: the draft and the releases."""

    draft: Agenda = field(default_factory=Agenda)
    released: AgendaReleased | None = None
    history: list[ReleaseSummary] = field(default_factory=list)
    edits: int = 0
    file_hash: str | None = None

    @property
    def version(self) -> int:
        return self.released.version if self.released else 0


@dataclass
class ScheduleState:
    agendas: dict[str, EventAgenda] = field(default_factory=dict)
    # (event, command id) -> release version, or 0 for an edit: a repeat returns the first outcome.
    # Ids are scoped to their event: the same key sent for another event is another command.
    commands: dict[tuple[str, str], int] = field(default_factory=dict)

    def of(self, slug: str) -> EventAgenda:
        return self.agendas.get(slug) or EventAgenda()

    def done(self, slug: str, command_id: str) -> bool:
        """Whether this event already has this command: a repeat returns the first outcome."""
        return (slug, command_id) in self.commands

    def evolve(self, event: ScheduleEvent) -> None:
        agenda = self.agendas.setdefault(event.event, EventAgenda())
        match event:
            case DraftEdited():
                agenda.draft = apply_edits(agenda.draft, event.edits)
                agenda.edits += 1
                if event.file_hash is not None:
                    agenda.file_hash = event.file_hash
                self.commands[event.event, event.command_id] = 0
            case AgendaReleased():
                agenda.released = event
                agenda.history.append(
                    ReleaseSummary(
                        version=event.version,
                        at=event.at,
                        note=event.note,
                        note_en=event.note_en,
                        by_organiser=event.by_organiser,
                        changelog=event.changelog,
                    )
                )
                self.commands[event.event, event.command_id] = event.version


# --- edits ---


def _by_start(sessions: Iterable[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.starts_at, s.ends_at, s.room or "", s.id))


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


def _put(items: list[T], item: T) -> list[T]:
    """Replace the item with the same id in place, or add it at the end."""
    if any(x.id == item.id for x in items):
        return [item if x.id == item.id else x for x in items]
    return [*items, item]


_UNKNOWN: dict[str, ErrorKey] = {"team": "agenda_unknown_team", "person": "agenda_unknown_person"}


def _pick(items: list[T], wanted: list[str] | None, where: str, what: Literal["team", "person"]) -> list[T]:
    if wanted is None:
        return list(items)
    known = {item.id: item for item in items}
    for i, ident in enumerate(wanted):
        if ident not in known:
            raise Rejected("invalid", f"There is no {what} {ident!r}", f"{where}[{i}]", key=_UNKNOWN[what])
    return [known[ident] for ident in wanted]


def apply_edit(agenda: Agenda, edit: Edit) -> Agenda:
    """Evolve a draft by one edit that was already checked; unknown ids are ignored."""
    replace = msgspec.structs.replace
    match edit:
        case PutSession(session=session):
            kept = [s for s in agenda.sessions if s.id != session.id]
            return replace(agenda, sessions=_by_start([*kept, session]))
        case RemoveSession(id=ident):
            return replace(agenda, sessions=[s for s in agenda.sessions if s.id != ident])
        case PutRoom(room=room):
            return replace(agenda, rooms=_put(list(agenda.rooms), room))
        case RemoveRoom(id=ident):
            return replace(agenda, rooms=[r for r in agenda.rooms if r.id != ident])
        case PutContributor(contributor=person):
            return replace(agenda, people=_put(list(agenda.people), person))
        case RemoveContributor(id=ident):
            return replace(agenda, people=[p for p in agenda.people if p.id != ident])
        case PutTeam(team=team):
            return replace(agenda, teams=_put(list(agenda.teams), team))
        case RemoveTeam(id=ident):
            return replace(agenda, teams=[t for t in agenda.teams if t.id != ident])
    return agenda


def apply_edits(agenda: Agenda, edits: Iterable[Edit]) -> Agenda:
    for edit in edits:
        agenda = apply_edit(agenda, edit)
    return agenda


def _spans_utc(spans: list[Span], zone: ZoneInfo, where: str) -> list[Span]:
    out = []
    for j, span in enumerate(spans):
        starts, ends = to_utc(span.starts_at, zone), to_utc(span.ends_at, zone)
        if ends <= starts:
            raise Rejected("invalid", "An availability must end after it starts", f"{where}[{j}].ends_at")
        out.append(Span(starts_at=starts, ends_at=ends))
    return out


def check_edit(agenda: Agenda, edit: Edit, zone: ZoneInfo, where: str) -> Edit:
    """The edit with its times in UTC, or Rejected with the field at fault."""
    replace = msgspec.structs.replace
    match edit:
        case PutSession(session=session):
            starts, ends = to_utc(session.starts_at, zone), to_utc(session.ends_at, zone)
            if ends <= starts:
                raise Rejected(
                    "invalid", "A session must end after it starts", f"{where}.session.ends_at", key="agenda_ends_first"
                )
            if session.room is not None and agenda.room(session.room) is None:
                raise Rejected(
                    "invalid",
                    f"There is no room {session.room!r}: add it first",
                    f"{where}.session.room",
                    key="agenda_unknown_room",
                )
            for person in session.people:
                if agenda.person(person) is None:
                    raise Rejected(
                        "invalid",
                        f"There is no speaker or juror {person!r}: add them first",
                        f"{where}.session.people",
                        key="agenda_unknown_person",
                    )
            if session.team is not None and agenda.team(session.team) is None:
                raise Rejected(
                    "invalid",
                    f"There is no team {session.team!r}: add it first",
                    f"{where}.session.team",
                    key="agenda_unknown_team",
                )
            # Sequence and update time belong to releases, never to an edit.
            return PutSession(
                session=replace(session, starts_at=starts, ends_at=ends, sequence=0, updated_at=None),
            )
        case RemoveSession(id=ident):
            if not any(s.id == ident for s in agenda.sessions):
                raise Rejected("not_found", f"There is no session {ident!r}", f"{where}.id", key="agenda_no_session")
            return edit
        case PutRoom():
            return edit
        case RemoveRoom(id=ident):
            if agenda.room(ident) is None:
                raise Rejected("not_found", f"There is no room {ident!r}", f"{where}.id", key="agenda_unknown_room")
            _refuse_if_used([s for s in agenda.sessions if s.room == ident], f"Room {ident!r}", where)
            return edit
        case PutContributor(contributor=person):
            for team in person.conflicts:
                if agenda.team(team) is None:
                    raise Rejected(
                        "invalid",
                        f"There is no team {team!r}: add it first",
                        f"{where}.contributor.conflicts",
                        key="agenda_unknown_team",
                    )
            spans = _spans_utc(person.availability, zone, f"{where}.contributor.availability")
            return PutContributor(contributor=replace(person, availability=spans))
        case RemoveContributor(id=ident):
            if agenda.person(ident) is None:
                raise Rejected(
                    "not_found", f"There is no speaker or juror {ident!r}", f"{where}.id", key="agenda_unknown_person"
                )
            _refuse_if_used([s for s in agenda.sessions if ident in s.people], f"{ident!r}", where)
            return edit
        case PutTeam():
            return edit
        case RemoveTeam(id=ident):
            if agenda.team(ident) is None:
                raise Rejected("not_found", f"There is no team {ident!r}", f"{where}.id", key="agenda_unknown_team")
            _refuse_if_used([s for s in agenda.sessions if s.team == ident], f"Team {ident!r}", where)
            return edit
    return edit


def _refuse_if_used(sessions: list[Session], what: str, where: str) -> None:
    if sessions:
        titles = ", ".join(repr(s.title) for s in sessions[:5])
        raise Rejected(
            "conflict",
            f"{what} is still in {len(sessions)} session(s) ({titles}): change or remove them first",
            f"{where}.id",
            key="agenda_still_used",
        )


def decide_edit(agenda: EventAgenda, spec: EventSpec, command: EditDraft, now: datetime) -> DraftEdited:
    """All edits apply in order, or none: the first bad one is refused with its field."""
    zone = ZoneInfo(spec.timezone)
    draft = agenda.draft
    checked: list[Edit] = []
    for i, edit in enumerate(command.edits):
        edit = check_edit(draft, edit, zone, f"edits[{i}]")
        if isinstance(edit, PutSession):
            edit = PutSession(session=msgspec.structs.replace(edit.session, origin="organiser"))
        draft = apply_edit(draft, edit)
        checked.append(edit)
    return DraftEdited(
        command_id=command.command_id, event=spec.slug, edits=checked, at=now, by_organiser=command.by_organiser
    )


# --- conflicts ---


def find_issues(agenda: Agenda, starts_at: datetime, ends_at: datetime) -> list[Issue]:
    """Every conflict of the agenda; cancelled sessions take no room and no one's time."""
    active = _by_start(s for s in agenda.sessions if not s.cancelled)
    issues: list[Issue] = []
    by_room: defaultdict[str, list[Session]] = defaultdict(list)
    by_person: defaultdict[str, list[Session]] = defaultdict(list)
    for session in active:
        if session.room:
            by_room[session.room].append(session)
        for ident in session.people:
            by_person[ident].append(session)
        if session.starts_at < starts_at or session.ends_at > ends_at:
            issues.append(
                Issue(
                    kind="outside_event",
                    message=f"{session.title!r} is outside the event's dates",
                    sessions=[session.id],
                )
            )
    for room, sessions in by_room.items():
        for a, b in _clashes(sessions):
            issues.append(
                Issue(
                    kind="room_double_booked",
                    message=f"Room {room!r} holds {a.title!r} and {b.title!r} at the same time",
                    sessions=[a.id, b.id],
                    room=room,
                )
            )
    for someone, sessions in by_person.items():
        for a, b in _clashes(sessions):
            issues.append(
                Issue(
                    kind="person_double_booked",
                    message=f"{someone!r} is in {a.title!r} and {b.title!r} at the same time",
                    sessions=[a.id, b.id],
                    person=someone,
                )
            )
    people = {p.id: p for p in agenda.people}
    for session in active:
        for person_id in session.people:
            person = people.get(person_id)
            if person is None:
                continue
            if person.availability and not any(
                span.starts_at <= session.starts_at and session.ends_at <= span.ends_at for span in person.availability
            ):
                issues.append(
                    Issue(
                        kind="outside_availability",
                        message=f"{person.name!r} is not available for {session.title!r}",
                        sessions=[session.id],
                        person=person_id,
                    )
                )
            if session.team is not None and session.team in person.conflicts:
                issues.append(
                    Issue(
                        kind="juror_conflict_of_interest",
                        message=f"{person.name!r} must not judge team {session.team!r} (conflict of interest)",
                        sessions=[session.id],
                        person=person_id,
                    )
                )
    return issues


def _clashes(sessions: list[Session]) -> list[tuple[Session, Session]]:
    """Overlapping pairs of sessions already sorted by start, by one sweep."""
    pairs: list[tuple[Session, Session]] = []
    running: list[Session] = []
    for session in sessions:
        running = [r for r in running if overlaps(r, session)]
        pairs.extend((r, session) for r in running)
        running.append(session)
    return pairs


# --- releases ---


def _fingerprint(session: Session, agenda: Agenda) -> tuple[object, ...]:
    """Everything a calendar app shows of a session: a change here is a new SEQUENCE."""
    room = agenda.room(session.room)
    team = agenda.team(session.team)
    people = [agenda.person(p) for p in session.people]
    return (
        session.title,
        session.title_en,
        session.kind,
        session.starts_at,
        session.ends_at,
        (room.name, room.name_en, room.location, room.location_en) if room else None,
        tuple((p.name, p.name_en) if p else "" for p in people),
        team.name if team else None,
        session.audience,
        session.description,
        session.description_en,
        session.cancelled,
    )


def _slot(session: Session) -> Slot:
    return Slot(starts_at=session.starts_at, ends_at=session.ends_at, room=session.room)


def _registrations(session: Session, agenda: Agenda) -> set[str]:
    found = {p.registration for p in agenda.people if p.id in session.people and p.registration}
    team = agenda.team(session.team)
    return {r for r in found if r} | set(team.members if team else [])


def stamp(previous: Agenda | None, draft: Agenda, now: datetime) -> tuple[Agenda, list[Change]]:
    """The agenda to release and its changelog; removed sessions stay, cancelled."""
    replace = msgspec.structs.replace
    before = {s.id: s for s in previous.sessions} if previous else {}
    sessions: list[Session] = []
    changes: list[tuple[datetime, Change]] = []
    old = previous or Agenda()

    def change(kind: ChangeKind, new: Session, was: Session | None) -> None:
        registrations = _registrations(new, draft) | (_registrations(was, old) if was else set())
        entry = Change(
            kind=kind,
            session=new.id,
            title=new.title,
            title_en=new.title_en,
            before=_slot(was) if was else None,
            after=_slot(new),
            registrations=sorted(registrations),
        )
        changes.append((new.starts_at, entry))

    for session in draft.sessions:
        was = before.get(session.id)
        if was is None:
            sessions.append(replace(session, sequence=0, updated_at=now))
            change("added", session, None)
        elif _fingerprint(session, draft) != _fingerprint(was, old):
            sessions.append(replace(session, sequence=was.sequence + 1, updated_at=now))
            if was.cancelled and not session.cancelled:
                kind: ChangeKind = "restored"
            elif session.cancelled and not was.cancelled:
                kind = "cancelled"
            elif _slot(was) != _slot(session):
                kind = "moved"
            else:
                kind = "changed"
            change(kind, session, was)
        else:
            sessions.append(replace(session, sequence=was.sequence, updated_at=was.updated_at))
    kept = {s.id for s in draft.sessions}
    rooms, people, teams = list(draft.rooms), list(draft.people), list(draft.teams)
    for was in old.sessions:
        if was.id in kept:
            continue
        if was.cancelled:
            sessions.append(was)
        else:
            cancelled = replace(was, cancelled=True, sequence=was.sequence + 1, updated_at=now)
            sessions.append(cancelled)
            change("cancelled", cancelled, was)
        # A session kept as cancelled still needs its room and names for its calendar entry.
        room = old.room(was.room)
        if room and not any(r.id == room.id for r in rooms):
            rooms.append(room)
        for person_id in was.people:
            person = old.person(person_id)
            if person and not any(p.id == person_id for p in people):
                people.append(person)
        team = old.team(was.team)
        if team and not any(t.id == team.id for t in teams):
            teams.append(team)
    agenda = Agenda(rooms=rooms, people=people, teams=teams, sessions=_by_start(sessions))
    return agenda, [c for _, c in sorted(changes, key=lambda pair: (pair[0], pair[1].session))]


def pending(agenda: EventAgenda, now: datetime) -> list[Change]:
    """What releasing the draft now would change."""
    previous = agenda.released.agenda if agenda.released else None
    return stamp(previous, agenda.draft, now)[1]


def decide_release(agenda: EventAgenda, spec: EventSpec, command: ReleaseAgenda, now: datetime) -> AgendaReleased:
    issues = find_issues(agenda.draft, spec.starts_at, spec.ends_at)
    if issues and not command.accept_conflicts:
        raise Rejected(
            "conflict",
            f"The draft has {len(issues)} conflict(s): solve them, or release accepting them",
            "accept_conflicts",
            key="agenda_has_conflicts",
        )
    previous = agenda.released.agenda if agenda.released else None
    # Whole seconds, one apart at least: HTTP dates (Last-Modified) have no finer grain,
    # and a feed changed twice in one second must still look newer to If-Modified-Since.
    at = now.replace(microsecond=0)
    if agenda.released is not None:
        at = max(at, agenda.released.at + timedelta(seconds=1))
    released, changelog = stamp(previous, agenda.draft, at)
    if not changelog:
        raise Rejected(
            "conflict",
            f"Nothing changed since version {agenda.version}",
            key="agenda_unchanged",
        )
    return AgendaReleased(
        command_id=command.command_id,
        event=spec.slug,
        version=agenda.version + 1,
        agenda=released,
        changelog=changelog,
        at=at,
        by_organiser=command.by_organiser,
        note=command.note.strip(),
        note_en=command.note_en.strip(),
        accepted_issues=issues,
    )


# --- the event file ---


def file_hash(spec: EventSpec) -> str | None:
    """Identifies the agenda an event file declares; None when it declares none."""
    if not (spec.rooms or spec.speakers or spec.sessions):
        return None
    content = msgspec.json.encode([spec.timezone, spec.rooms, spec.speakers, spec.sessions])
    return hashlib.sha256(content).hexdigest()[:24]


def import_edits(draft: Agenda, spec: EventSpec) -> list[Edit]:
    """The edits that bring the draft in line with the event file, keeping organisers' additions."""
    zone = ZoneInfo(spec.timezone)
    replace = msgspec.structs.replace
    edits: list[Edit] = []
    for room in spec.rooms:
        if draft.room(room.id) != room:
            edits.append(PutRoom(room=room))
    for speaker in spec.speakers:
        known = draft.person(speaker.id)
        person = Contributor(
            id=speaker.id,
            name=speaker.name,
            name_en=speaker.name_en,
            role=speaker.role,
            # Links and conflicts are set by organisers; a file reload keeps them.
            registration=known.registration if known else None,
            conflicts=list(known.conflicts) if known else [],
            availability=[
                Span(starts_at=to_utc(s.starts_at, zone), ends_at=to_utc(s.ends_at, zone)) for s in speaker.availability
            ],
        )
        if known != person:
            edits.append(PutContributor(contributor=person))
    declared = set()
    for item in spec.sessions:
        declared.add(item.id)
        session = Session(
            id=item.id,
            title=item.title,
            title_en=item.title_en,
            kind=item.kind,
            starts_at=to_utc(item.starts_at, zone),
            ends_at=to_utc(item.ends_at, zone),
            room=item.room,
            people=list(item.speakers),
            audience=item.audience,
            description=item.description,
            description_en=item.description_en,
            cancelled=item.cancelled,
            origin="file",
        )
        known_session = next((s for s in draft.sessions if s.id == item.id), None)
        if known_session is None or replace(known_session, sequence=0, updated_at=None) != session:
            edits.append(PutSession(session=session))
    for session in draft.sessions:
        if session.origin == "file" and session.id not in declared:
            edits.append(RemoveSession(id=session.id))
    return edits


# --- who sees what ---


def audience_of(spec: EventSpec, category_id: str) -> Audience:
    return spec.audience_of(category_id)


def sessions_for_person(agenda: Agenda, registration_id: str, audience: Audience) -> list[Session]:
    """A person's items: their audience's sessions, theirs as speaker or juror, their team's pitch."""
    mine = {p.id for p in agenda.people if p.registration == registration_id}
    teams = {t.id for t in agenda.teams if registration_id in t.members}
    return [
        s
        for s in agenda.sessions
        if s.audience in ("everyone", audience) or mine.intersection(s.people) or (s.team in teams)
    ]


def sessions_for_speaker(agenda: Agenda, person_id: str) -> list[Session]:
    """An invited speaker's items: the sessions for speakers, and those they take part in."""
    return [s for s in agenda.sessions if s.audience in ("everyone", "speakers") or person_id in s.people]


def cancelled_for_person(sessions: Iterable[Session], cancelled_at: datetime) -> list[Session]:
    """A cancelled person's items as their feed shows them: each one cancelled as of `cancelled_at`,
    under the same UID with a higher SEQUENCE, so calendar apps strike it out in place."""
    return [
        msgspec.structs.replace(
            s,
            cancelled=True,
            sequence=s.sequence + 1,
            updated_at=cancelled_at if s.updated_at is None else max(s.updated_at, cancelled_at),
        )
        for s in sessions
    ]


def sessions_in_room(agenda: Agenda, room_id: str) -> list[Session]:
    return [s for s in agenda.sessions if s.room == room_id]
