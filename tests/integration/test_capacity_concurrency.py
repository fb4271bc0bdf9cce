"""Exact capacity under concurrency, in the style of pretix's race tests.

Many people ask for the last seats at once, through several registration
service instances on a real NATS. The control runs the same race with the
capacity guard (the expected-sequence check on each seat) switched off, and
shows the test would catch the oversell.
"""

import asyncio
import uuid
from pathlib import Path

import msgspec
import pytest

from schemas.registration import Register, RegistrationView
from schemas.subjects import Registration
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.registration.service import RegistrationService
from tests.conftest import ROUND_TABLE, define_events
from tests.demo_events import demo_text

SEATS = 5
PEOPLE = 60
INSTANCES = 3


class UnguardedRegistrationService(RegistrationService):
    """The control: the same service without the capacity guard."""

    def expected_sequence(self, subject: str) -> int | None:
        return None


def small_event(tmp_path: Path, slug: str) -> Path:
    text = demo_text(ROUND_TABLE)
    text = text.replace('slug = "table-ronde-numerique-education-2027"', f'slug = "{slug}"')
    text = text.replace("capacity = 80", f"capacity = {SEATS}")
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{slug}.toml"
    path.write_text(text)
    return path


async def race(
    nats_url: str, tmp_path: Path, service_class: type[RegistrationService], slug: str = "last-seats"
) -> list[RegistrationView]:
    catalog = Running([CatalogService()], nats_url)
    await catalog.start()
    instances = Running([service_class() for _ in range(INSTANCES)], nats_url)
    await instances.start()
    client = await connect(nats_url, "crowd")
    try:
        await define_events(nats_url, small_event(tmp_path, slug))
        await asyncio.sleep(0.2)  # let every instance see the event from the catalog stream

        async def one(i: int) -> RegistrationView:
            command = Register(
                command_id=uuid.uuid4().hex,
                event=slug,
                name=f"Personne {i}",
                email=f"p{i}@example.org",
                consent=True,
            )
            return await call(client, Registration.REGISTER, command, RegistrationView, timeout=30)

        return await asyncio.gather(*(one(i) for i in range(PEOPLE)))
    finally:
        await client.drain()
        await instances.stop()
        await catalog.stop()


async def replayed_confirmed(nats_url: str, slug: str = "last-seats") -> int:
    """A fresh instance rebuilds state from the stream alone: what was really stored."""
    fresh = RegistrationService()
    running = Running([CatalogService(), fresh], nats_url)
    await running.start()
    try:
        return sum(1 for r in fresh.state.records.values() if r.status == "confirmed" and r.event == slug)
    finally:
        await running.stop()


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_registrations_never_confirm_more_people_than_seats(
    nats_url: str, tmp_path: Path, round_: int
) -> None:
    replies = await race(nats_url, tmp_path, RegistrationService)
    assert len(replies) == PEOPLE  # nobody lost
    confirmed = [r for r in replies if r.status == "confirmed"]
    waitlisted = [r for r in replies if r.status == "waitlisted"]
    assert len(confirmed) == SEATS
    assert len(waitlisted) == PEOPLE - SEATS
    assert len({r.id for r in replies}) == PEOPLE
    assert await replayed_confirmed(nats_url) == SEATS


async def test_control_without_the_guard_the_same_race_oversells(nats_url: str, tmp_path: Path) -> None:
    # Without the expected-sequence check, instances deciding on stale state both win.
    # A race depends on timing, so the control gets a few tries to show it.
    for attempt in range(5):
        replies = await race(nats_url, tmp_path / str(attempt), UnguardedRegistrationService, f"race-{attempt}")
        stored = await replayed_confirmed(nats_url, f"race-{attempt}")
        if sum(r.status == "confirmed" for r in replies) > SEATS and stored > SEATS:
            return
    raise AssertionError("five unguarded races never oversold: the test would not catch a missing guard")


async def test_the_log_holds_no_personal_data(nats_url: str, tmp_path: Path) -> None:
    await race(nats_url, tmp_path, RegistrationService)
    client = await connect(nats_url, "inspector")
    try:
        js = client.jetstream()
        info = await js.stream_info("PERCHE_REGISTRATION")
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg("PERCHE_REGISTRATION", seq)
            body = msgspec.json.decode(message.data or b"{}")
            assert "@example.org" not in (message.data or b"").decode()
            assert "name" not in body and "email" not in body
    finally:
        await client.drain()
