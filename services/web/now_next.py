"""What is on now and what comes next in each room: the venue's screen and the organiser's day both show it."""

from datetime import datetime
from typing import Any

from schemas.catalog import RoomSpec
from schemas.schedule import Agenda


def board(agenda: Agenda, room_id: str | None, now: datetime) -> list[dict[str, Any]]:
    """For each room (or the one asked for): what is on now, and what comes next."""
    active = [s for s in agenda.sessions if not s.cancelled]
    rooms: list[RoomSpec | None] = [r for r in agenda.rooms if room_id is None or r.id == room_id]
    if room_id is None:
        rooms.append(None)  # sessions held everywhere or outside any room
    rows = []
    for room in rooms:
        mine = [s for s in active if s.room == (room.id if room else None)]
        current = [s for s in mine if s.starts_at <= now < s.ends_at]
        upcoming = sorted((s for s in mine if s.starts_at > now), key=lambda s: (s.starts_at, s.id))
        if room is None and not current and not upcoming:
            continue
        rows.append({"room": room, "now": current, "next": upcoming[0] if upcoming else None})
    return rows
