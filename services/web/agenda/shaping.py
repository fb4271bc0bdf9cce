"""The agenda as readers get it: what the public may see, and sessions grouped by local day."""

from datetime import date
from zoneinfo import ZoneInfo

import msgspec

from schemas.schedule import Agenda, Session


def public_agenda(agenda: Agenda) -> Agenda:
    """What anyone may see: no registration ids, no conflicts of interest."""
    replace = msgspec.structs.replace
    return Agenda(
        rooms=agenda.rooms,
        people=[replace(p, registration=None, conflicts=[]) for p in agenda.people],
        teams=[replace(t, members=[]) for t in agenda.teams],
        sessions=agenda.sessions,
    )


def by_day(sessions: list[Session], zone: str) -> list[tuple[date, list[Session]]]:
    days: dict[date, list[Session]] = {}
    tz = ZoneInfo(zone)
    for session in sessions:
        days.setdefault(session.starts_at.astimezone(tz).date(), []).append(session)
    return sorted(days.items())
