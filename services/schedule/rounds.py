"""Pure rules for the hackathon's pitch order and jury rounds: every team once, k jurors each,
no conflict of interest, nobody in two rooms, loads balanced, with breaks."""

import hashlib
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.schedule import (
    Agenda,
    Contributor,
    DraftEdited,
    Edit,
    GenerateRounds,
    PutContributor,
    PutSession,
    RemoveContributor,
    RemoveSession,
    Session,
    Team,
)
from services.schedule.rules import EventAgenda, _pick, to_utc


def _available(person: Contributor, starts: datetime, ends: datetime) -> bool:
    return not person.availability or any(s.starts_at <= starts and ends <= s.ends_at for s in person.availability)


# A juror registered on the jury page joins the draft under this name, not theirs: the log keeps
# no one's name (invariant 4); the organisers' pages show the registration's name instead.
REGISTERED_JUROR_NAME = "Juré·e"


def registered_juror_id(registration: str) -> str:
    """The contributor a registered juror is in the agenda: the same for the same registration, every time."""
    return "juror-" + hashlib.blake2b(registration.encode(), digest_size=8).hexdigest()


def with_registered_jurors(
    agenda: Agenda, registered: list[str] | None, conflicts: dict[str, list[str]] | None = None
) -> tuple[list[Contributor], list[Contributor], set[str]]:
    """The people who may judge: the draft's jurors and everyone registered as a juror, one list.

    Returns the people, those to put into the draft (registered jurors it does not know yet, and
    those whose conflicts of interest grew), and the ids of those it added earlier for a
    registration that is no longer a juror's (cancelled). A registration the draft already links
    to a contributor judges as that contributor. Judging's conflicts of interest (registration ->
    teams) join each registered juror's own.
    """
    if registered is None:
        return list(agenda.people), [], set()
    conflicts = conflicts or {}
    wanted = set(registered)
    linked = {p.registration for p in agenda.people if p.registration}
    leaving = {
        p.id
        for p in agenda.people
        if p.registration and p.id == registered_juror_id(p.registration) and p.registration not in wanted
    }
    joining = [
        Contributor(
            id=registered_juror_id(r),
            name=REGISTERED_JUROR_NAME,
            role="juror",
            registration=r,
            conflicts=list(dict.fromkeys(conflicts.get(r, []))),
        )
        for r in dict.fromkeys(registered)
        if r not in linked
    ]
    people = []
    for p in agenda.people:
        if p.id in leaving:
            continue
        if p.registration in wanted:
            more = [t for t in dict.fromkeys(conflicts.get(p.registration or "", [])) if t not in p.conflicts]
            if p.role != "juror" or more:
                p = msgspec.structs.replace(p, role="juror", conflicts=[*p.conflicts, *more])
            if more:
                joining.append(p)  # put again: the draft keeps the conflicts its panels respect
        people.append(p)
    return people + [j for j in joining if j.registration not in linked], joining, leaving


def generate_rounds(agenda: Agenda, spec: EventSpec, command: GenerateRounds) -> list[Edit]:
    """Every team pitches once before a panel of jurors free of conflicts of interest.

    Rooms run in step, slot after slot, so no juror can be in two rooms at once; each
    panel takes the least loaded free jurors, which keeps loads within one of each other
    when conflicts allow it.
    """
    zone = ZoneInfo(spec.timezone)
    for i, room_id in enumerate(command.rooms):
        if agenda.room(room_id) is None:
            raise Rejected("invalid", f"There is no room {room_id!r}", f"rooms[{i}]", key="agenda_unknown_room")
    if command.deliberation_room is not None and agenda.room(command.deliberation_room) is None:
        raise Rejected(
            "invalid",
            f"There is no room {command.deliberation_room!r}",
            "deliberation_room",
            key="agenda_unknown_room",
        )
    for i, ident in enumerate(command.replace):
        if not any(s.id == ident for s in agenda.sessions):
            raise Rejected("not_found", f"There is no session {ident!r}", f"replace[{i}]", key="agenda_no_session")
    teams = _pick(agenda.teams, command.teams, "teams", "team")
    people, joining, leaving = with_registered_jurors(agenda, command.registered_jurors, command.registered_conflicts)
    jurors = [p for p in people if p.role == "juror"]
    if command.jurors is not None:
        jurors = _pick(people, command.jurors, "jurors", "person")
    if not teams:
        raise Rejected("invalid", "There are no teams to schedule: add the teams first", "teams", key="rounds_no_team")
    k = command.jurors_per_team
    if len(jurors) < k:
        raise Rejected(
            "invalid",
            f"Each team needs {k} jurors and there are {len(jurors)}",
            "jurors_per_team",
            key="rounds_too_few_jurors",
        )
    parallel = len(command.rooms)
    if parallel * k > len(jurors):
        raise Rejected(
            "invalid",
            f"{parallel} rooms with {k} jurors each need {parallel * k} jurors and there are {len(jurors)}: "
            "use fewer rooms or fewer jurors per team",
            "rooms",
            key="rounds_too_few_jurors",
        )
    for team in teams:
        unconflicted = sum(1 for j in jurors if team.id not in j.conflicts)
        if unconflicted < k:
            raise Rejected(
                "conflict",
                f"Only {unconflicted} jurors have no conflict of interest with team {team.name!r}; {k} are needed",
                "jurors",
                key="rounds_conflicts",
            )
    order = list(teams)
    if command.seed is not None:
        random.Random(command.seed).shuffle(order)

    pitch = timedelta(minutes=command.pitch_minutes)
    step = pitch + timedelta(minutes=command.changeover_minutes)
    t = to_utc(command.starts_at, zone)
    loads = {j.id: 0 for j in jurors}
    rank = {j.id: i for i, j in enumerate(jurors)}
    sessions: list[Session] = []
    slots, empty, breaks = 0, 0, 0
    last_end = t
    while order:
        used: set[str] = set()
        placed = 0
        for room in command.rooms:
            choice: tuple[Team, list[Contributor]] | None = None
            for team in order:
                free = [
                    j for j in jurors if j.id not in used and team.id not in j.conflicts and _available(j, t, t + pitch)
                ]
                if len(free) >= k:
                    choice = (team, free)
                    break
            if choice is None:
                break
            team, free = choice
            order.remove(team)
            panel = sorted(free, key=lambda j: (loads[j.id], rank[j.id]))[:k]
            for juror in panel:
                loads[juror.id] += 1
                used.add(juror.id)
            sessions.append(
                Session(
                    id=f"pitch-{team.id}",
                    title=f"Pitch : {team.name}",
                    title_en=f"Pitch: {team.name}",
                    kind="pitch",
                    starts_at=t,
                    ends_at=t + pitch,
                    room=room,
                    people=[j.id for j in sorted(panel, key=lambda j: rank[j.id])],
                    team=team.id,
                    audience="everyone",
                    origin="generated",
                )
            )
            placed += 1
        if placed:
            empty = 0
            slots += 1
            last_end = t + pitch
            t += step
            if order and command.break_every and slots % command.break_every == 0:
                breaks += 1
                length = timedelta(minutes=command.break_minutes)
                sessions.append(
                    Session(
                        id=f"pitch-break-{breaks}",
                        title="Pause",
                        title_en="Break",
                        kind="break",
                        starts_at=t,
                        ends_at=t + length,
                        audience="everyone",
                        origin="generated",
                    )
                )
                t += length
        else:
            # Nobody free right now (availability): try later, but not forever.
            empty += 1
            t += step
            if empty > 500:
                names = ", ".join(team.name for team in order[:5])
                raise Rejected(
                    "conflict",
                    f"No panel of {k} available jurors can be found for: {names}",
                    "jurors",
                    key="rounds_unavailable",
                )
    if command.deliberation_minutes:
        sessions.append(
            Session(
                id="jury-deliberation",
                title="Délibération du jury",
                title_en="Jury deliberation",
                kind="judging",
                starts_at=last_end,
                ends_at=last_end + timedelta(minutes=command.deliberation_minutes),
                room=command.deliberation_room,
                people=[j.id for j in jurors],
                audience="jurors",
                origin="generated",
            )
        )
    new = {s.id for s in sessions}
    edits: list[Edit] = [RemoveSession(id=ident) for ident in command.replace if ident not in new]
    edits += [
        RemoveSession(id=s.id)
        for s in agenda.sessions
        if s.origin == "generated" and s.id not in new and s.id not in command.replace
    ]
    # Registered jurors join the draft before the sessions that name them.
    edits += [PutContributor(contributor=person) for person in joining]
    edits += [PutSession(session=s) for s in sessions]
    removed = {e.id for e in edits if isinstance(e, RemoveSession)}
    remaining = [s for s in agenda.sessions if s.id not in removed and s.id not in new] + sessions
    still_named = {ident for s in remaining for ident in s.people}
    edits += [RemoveContributor(id=ident) for ident in sorted(leaving - still_named)]
    return edits


def decide_rounds(agenda: EventAgenda, spec: EventSpec, command: GenerateRounds, now: datetime) -> DraftEdited:
    edits = generate_rounds(agenda.draft, spec, command)
    return DraftEdited(
        command_id=command.command_id, event=spec.slug, edits=edits, at=now, by_organiser=command.by_organiser
    )
