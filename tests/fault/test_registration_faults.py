"""Fault drills: a burst of registrations while a process or a server dies, then an audit.

After each: every key a client saw acknowledged is stored once, with its person's name and
email; no seat is oversold, and no seat is left free while people wait. The figures are printed
(`pytest tests/fault -s`) and quoted in the README's Reliability section.
"""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client

from schemas.catalog import EventList, ListEvents
from schemas.registration import Counts, GetCounts
from schemas.subjects import Catalog, Registration, stream_name
from services.kit.client import ServiceError, call
from services.kit.nats_server import NatsServer
from tests.conftest import ROUND_TABLE
from tests.demo_events import demo_text
from tests.fault.burst import CAPACITY, SLUG, Burst, Figures, audit
from tests.fault.conftest import Cluster, ServiceProcesses, observer

pytestmark = pytest.mark.slow

TOTAL = 300  # people registering, for CAPACITY seats
FAULT_AFTER = 40  # acknowledged registrations before the fault: seats are still being given


def drill_event(folder: Path) -> Path:
    """The round table, renamed, with one public category of CAPACITY seats."""
    path = folder / f"{SLUG}.toml"
    text = demo_text(ROUND_TABLE)
    path.write_text(
        text.replace(f'slug = "{ROUND_TABLE}"', f'slug = "{SLUG}"').replace("capacity = 80", f"capacity = {CAPACITY}")
    )
    return path


async def ready(processes: ServiceProcesses, nc: Client, folder: Path) -> None:
    """Load the drill's event and wait until the web and registration know it."""

    async def catalog_answers() -> bool:
        try:
            await call(nc, Catalog.LIST_EVENTS, ListEvents(), EventList, timeout=2)
        except ServiceError:
            return False
        return True

    await processes.until(catalog_answers, "the catalog answers")
    await processes.perche("load", str(drill_event(folder)))

    async def known() -> bool:
        async with httpx.AsyncClient(base_url=processes.url, timeout=5) as web:
            if (await web.get(f"/api/v1/events/{SLUG}")).status_code != 200:
                return False
        try:
            await call(nc, Registration.COUNTS, GetCounts(event=SLUG), Counts, timeout=2)
        except ServiceError:
            return False
        return True

    await processes.until(known, "the drill's event known to the web and to registration")


def check(figures: Figures) -> None:
    print(f"\nfault drill: {figures.line()}")
    assert figures.acknowledged == TOTAL + 1, figures
    assert (figures.stored, figures.lost, figures.without_person, figures.duplicated) == (TOTAL + 1, 0, 0, 0), figures
    assert (figures.oversold, figures.leaked) == (0, 0), figures
    assert figures.internal_errors == 0, figures  # refusals are 503s, never 500s


async def test_a_registration_process_killed_mid_burst_and_restarted_loses_nothing_acknowledged(
    processes_on_one_server: ServiceProcesses, single_server: NatsServer, tmp_path: Path
) -> None:
    processes = processes_on_one_server
    for name in ("catalog", "registration", "web"):
        processes.start(name)
    nc = await observer(single_server.url)
    try:
        await ready(processes, nc, tmp_path)

        async def crash(burst: Burst) -> None:
            processes.kill("registration")  # SIGKILL, requests in flight
            burst.fault_at = time.monotonic()
            processes.start("registration")

        burst = Burst(processes.url, TOTAL)
        await burst.run(crash, FAULT_AFTER)
        check(await audit(nc, burst, "registration process SIGKILLed and restarted"))
    finally:
        await nc.drain()


async def test_the_nats_server_stopped_mid_burst_and_started_again_loses_nothing_acknowledged(
    processes_on_one_server: ServiceProcesses, single_server: NatsServer, tmp_path: Path
) -> None:
    processes = processes_on_one_server
    for name in ("catalog", "registration", "web"):
        processes.start(name)
    nc = await observer(single_server.url)
    try:
        await ready(processes, nc, tmp_path)

        async def restart(burst: Burst) -> None:
            await asyncio.to_thread(single_server.stop)
            burst.fault_at = time.monotonic()
            # Down until the clients have felt it (bounded): a refusal or a broken connection.
            await burst.until_refused_since(burst.fault_at, within=10.0)
            await asyncio.to_thread(single_server.start)  # same store, same port
            burst.restored_at = time.monotonic()

        burst = Burst(processes.url, TOTAL)
        await burst.run(restart, FAULT_AFTER)
        check(await audit(nc, burst, "NATS server stopped and started again"))
    finally:
        await nc.drain()


async def test_the_registration_stream_leader_killed_mid_burst_on_a_three_node_cluster_loses_nothing_acknowledged(
    processes_on_the_cluster: ServiceProcesses, cluster: Cluster, tmp_path: Path
) -> None:
    processes = processes_on_the_cluster
    nc = await observer(cluster.url)
    try:
        await jetstream_ready(nc)
        for name in ("catalog", "registration", "registration#2", "web"):
            processes.start(name)
        await ready(processes, nc, tmp_path)
        info = await nc.jetstream().stream_info(stream_name("registration"))
        assert info.config.num_replicas == 3 and info.cluster is not None and info.cluster.leader

        async def kill_the_leader(burst: Burst) -> None:
            leader = (await nc.jetstream().stream_info(stream_name("registration"))).cluster
            assert leader is not None and leader.leader
            cluster.node(leader.leader).kill()  # SIGKILL
            burst.fault_at = time.monotonic()

        burst = Burst(processes.url, TOTAL)
        await burst.run(kill_the_leader, FAULT_AFTER)
        check(await audit(nc, burst, "registration stream leader SIGKILLed (3-node cluster, R3)"))
    finally:
        await nc.drain()


async def jetstream_ready(nc: Client) -> None:
    """Wait (bounded) until the new cluster has elected its JetStream meta leader."""
    deadline = time.monotonic() + 30
    while True:
        try:
            await nc.jetstream(timeout=1).account_info()
            return
        except Exception:  # noqa: BLE001 - not ready yet
            assert time.monotonic() < deadline, "the cluster's JetStream never became ready"
            await asyncio.sleep(0.2)


async def test_with_two_of_three_nodes_down_health_says_so_and_registrations_are_refused_fast_with_503(
    processes_on_the_cluster: ServiceProcesses, cluster: Cluster, tmp_path: Path
) -> None:
    processes = processes_on_the_cluster
    nc = await observer(cluster.url)
    try:
        await jetstream_ready(nc)
        for name in ("catalog", "registration"):
            processes.start(name)
        # The web talks to the node that stays up: what is measured is JetStream, not a lost link.
        survivor, *others = cluster.nodes
        processes.nats_url = f"nats://127.0.0.1:{survivor.port}"
        processes.start("web")
        await ready(processes, nc, tmp_path)
        async with httpx.AsyncClient(base_url=processes.url, timeout=10) as web:
            assert "registration" not in (await web.get("/healthz")).json()["problems"]
            for node in others:
                node.kill()

            reported: list[dict[str, Any]] = []

            async def registration_reported() -> bool:
                reply = await web.get("/healthz")
                if reply.status_code == 503 and "registration" in reply.json()["problems"]:
                    reported.append(reply.json())
                return bool(reported)

            await processes.until(registration_reported, "/healthz naming registration")
            health = reported[0]
            assert health["status"] == "degraded" and health["services"]["registration"] is False
            print(f"\nfault drill: two of three nodes down, /healthz said {health['problems']['registration']}")

            body = {"name": "Léa Martin", "email": "lea@example.org", "consent": True, "category": "public"}
            sent = time.monotonic()
            refused = await web.post(
                f"/api/v1/events/{SLUG}/registrations", json=body, headers={"Idempotency-Key": "no-quorum-0001"}
            )
            seconds = round(time.monotonic() - sent, 2)
            print(f"\nfault drill: fault=two of three nodes down refused_with={refused.status_code} in {seconds}s")
            assert (refused.status_code, refused.json()["code"]) == (503, "unavailable"), refused.text
    finally:
        await nc.drain()
