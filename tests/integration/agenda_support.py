"""What the agenda tests share: waiting for a release, organiser edits, reading feeds."""

import asyncio
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from services.web.agenda.cache import AgendaCache
from tests.conftest import Web
from tests.icaljs import IcalJs


@pytest.fixture(scope="session")
def icaljs() -> IcalJs:
    return IcalJs.ready()


async def released(http: httpx.AsyncClient, slug: str, version: int = 1) -> dict[str, Any]:
    """The public agenda once it reaches `version` (releases are applied asynchronously)."""
    for _ in range(400):
        reply = await http.get(f"/api/v1/events/{slug}/agenda")
        if reply.status_code == 200 and reply.json()["version"] >= version:
            body: dict[str, Any] = reply.json()
            return body
        await asyncio.sleep(0.025)
    raise AssertionError(f"{slug} never reached version {version}: {reply.status_code} {reply.text[:300]}")


async def edit(http: httpx.AsyncClient, headers: dict[str, str], slug: str, *edits: dict[str, Any]) -> httpx.Response:
    return await http.post(
        f"/api/v1/events/{slug}/agenda/edits",
        json={"edits": list(edits)},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


async def release(
    http: httpx.AsyncClient, headers: dict[str, str], slug: str, note: str = "", accept: bool = False
) -> httpx.Response:
    return await http.post(
        f"/api/v1/events/{slug}/agenda/releases",
        json={"note": note, "accept_conflicts": accept},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def session_json(agenda: dict[str, Any], session_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in agenda["agenda"]["sessions"] if s["id"] == session_id)
    return found


def moved(session: dict[str, Any], starts_at: str, ends_at: str) -> dict[str, Any]:
    """A PutSession edit for this session at other times (naive: local to the event)."""
    fields = {k: v for k, v in session.items() if k not in ("sequence", "updated_at")}
    return {"type": "put_session", "session": {**fields, "starts_at": starts_at, "ends_at": ends_at}}


def parse_icalendar(body: str) -> Calendar:
    calendar = Calendar.from_ical(body)
    for component in calendar.walk():
        assert component.errors == [], component.errors
    return calendar


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def cache_of(web: Web) -> AgendaCache:
    """This web instance's feed cache, to count what it had to fetch."""
    server = web.service._server
    assert server is not None
    cache: AgendaCache = server.config.app.state.agenda_cache  # type: ignore[attr-defined]
    return cache
