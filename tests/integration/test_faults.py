"""Invariant 1: nothing acknowledged is lost, even when the NATS server dies mid-stream."""

import asyncio
import time

import httpx

from services.catalog.service import CatalogService
from services.kit.lifecycle import Running
from services.kit.nats_server import NatsServer
from services.registration.service import RegistrationService
from tests.conftest import HACKATHON, Web

REGISTRATIONS = f"/api/v1/events/{HACKATHON}/registrations"


async def register_until_acknowledged(http: httpx.AsyncClient, i: int, deadline: float) -> str:
    """A client that retries with the same idempotency key until it gets an answer."""
    body = {"name": f"P {i}", "email": f"p{i}@example.org", "consent": True, "category": "public"}
    while True:
        try:
            reply = await http.post(REGISTRATIONS, json=body, headers={"Idempotency-Key": f"fault-test-{i:04d}"})
            if reply.status_code == 201:
                return str(reply.json()["id"])
            assert reply.status_code in (500, 503), reply.text
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"registration {i} never acknowledged"
        await asyncio.sleep(0.1)


async def test_killing_the_nats_server_loses_no_acknowledged_registration(
    demo: Web, http: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    deadline = time.monotonic() + 60
    before = [await register_until_acknowledged(http, i, deadline) for i in range(20)]

    nats_server.kill()  # SIGKILL: no clean shutdown
    during = asyncio.gather(*(register_until_acknowledged(http, i, deadline) for i in range(20, 30)))
    await asyncio.sleep(0.5)
    nats_server.start()
    after_restart = await during
    after = [await register_until_acknowledged(http, i, deadline) for i in range(30, 40)]

    acknowledged = set(before + after_restart + after)
    assert len(acknowledged) == 40
    # A fresh instance rebuilds its state from the stream alone.
    fresh = RegistrationService()
    running = Running([CatalogService(), fresh], nats_server.url)
    await running.start()
    try:
        stored = {r for r in fresh.state.records if fresh.state.records[r].event == HACKATHON}
    finally:
        await running.stop()
    assert acknowledged <= stored
    assert len(stored) == 40  # and retries with the same key registered nobody twice
