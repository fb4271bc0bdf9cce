"""Pure rules for the hackathon's pitch order and jury rounds: every team once, k jurors each,
no conflict of interest, nobody in two rooms, loads balanced, with breaks."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.schedule import (
    Agenda,
    Contributor,
    DraftEdited,
    Edit,
    GenerateRounds,
    PutSession,
    RemoveSession,
    Session,
    Team,
)
from services.schedule.rules import EventAgenda, _pick, to_utc


def _available(person: Contributor, starts: datetime, ends: datetime) -> bool:
    return not person.availability or any(s.starts_at <= starts and ends <= s.ends_at for s in person.availability)


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
    jurors = [p for p in agenda.people if p.role == "juror"]
    if command.jurors is not None:
        jurors = _pick(agenda.people, command.jurors, "jurors", "person")
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
    edits += [PutSession(session=s) for s in sessions]
    return edits


def decide_rounds(agenda: EventAgenda, spec: EventSpec, command: GenerateRounds, now: datetime) -> DraftEdited:
    edits = generate_rounds(agenda.draft, spec, command)
    return DraftEdited(
        command_id=command.command_id, event=spec.slug, edits=edits, at=now, by_organiser=command.by_organiser
    )
