"""Every service in its own OS process: they share nothing but NATS.

The services and the web app are started as separate processes on the test's
nats-server; registering over HTTP works, killing one service is seen by
/healthz and answered 503, and starting it again brings its state back from
its stream. Two registration instances share the work without overselling.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.kit.connection import connect
from services.kit.nats_server import NatsServer, free_port
from tests.conftest import EVENTS_DIR, ROOT

BACKEND = ["catalog", "registration", "teams", "schedule", "judging", "publishing", "notify"]


class Processes:
    def __init__(self, nats_url: str, tmp_path: Path) -> None:
        self.env = {
            **os.environ,
            "PERCHE_NATS_URL": nats_url,
            "PERCHE_DATA_DIR": str(tmp_path),
            "PERCHE_RATE_LIMIT": "0",
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.web_port = free_port()

    def start(self, name: str, *extra: str) -> None:
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "service", name.split("#")[0], *extra],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.kill()
        process.wait()

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def processes(nats_server: NatsServer, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(nats_server.url, tmp_path)
    for name in BACKEND:
        procs.start(name)
    procs.start("web", "--port", str(procs.web_port))
    yield procs
    procs.stop_all()


def test_services_in_separate_processes_work_together_over_nats_only(processes: Processes) -> None:
    web = httpx.Client(base_url=f"http://127.0.0.1:{processes.web_port}", timeout=10)
    wait_for(lambda: web.get("/healthz").status_code == 200)
    assert web.get("/healthz").json()["services"] == {name: True for name in BACKEND}
    loaded = subprocess.run(
        [sys.executable, "-m", "services.cli", "load", str(EVENTS_DIR / "table-ronde-numerique-education-2027.toml")],
        cwd=ROOT,
        env=processes.env,
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    slug = "table-ronde-numerique-education-2027"
    wait_for(lambda: web.get(f"/api/v1/events/{slug}").status_code == 200)
    made = web.post(
        f"/api/v1/events/{slug}/registrations", json={"name": "A", "email": "a@example.org", "consent": True}
    )
    assert made.status_code == 201, made.text
    registration = made.json()
    token = registration["manage_url"].split("token=")[1]

    processes.kill("registration")
    wait_for(lambda: web.get("/healthz").status_code == 503)
    assert web.get("/healthz").json()["services"]["registration"] is False
    refused = web.post(
        f"/api/v1/events/{slug}/registrations", json={"name": "B", "email": "b@example.org", "consent": True}
    )
    assert refused.status_code == 503
    assert refused.json()["code"] == "unavailable"

    processes.start("registration")
    wait_for(lambda: web.get("/healthz").status_code == 200)
    again = web.get(f"/api/v1/registrations/{registration['id']}", params={"token": token})
    assert again.status_code == 200
    assert (again.json()["name"], again.json()["status"]) == ("A", "confirmed")


def test_two_registration_instances_share_the_work_without_overselling(processes: Processes, tmp_path: Path) -> None:
    processes.start("registration#2")
    web = httpx.Client(base_url=f"http://127.0.0.1:{processes.web_port}", timeout=10)
    wait_for(lambda: web.get("/healthz").status_code == 200)
    event = tmp_path / "tiny.toml"
    text = (EVENTS_DIR / "table-ronde-numerique-education-2027.toml").read_text()
    event.write_text(
        text.replace('slug = "table-ronde-numerique-education-2027"', 'slug = "tiny"').replace(
            "capacity = 80", "capacity = 3"
        )
    )
    subprocess.run(
        [sys.executable, "-m", "services.cli", "load", str(event)],
        cwd=ROOT,
        env=processes.env,
        check=True,
        capture_output=True,
    )
    wait_for(lambda: web.get("/api/v1/events/tiny").status_code == 200)
    time.sleep(0.3)  # both instances follow the catalog stream

    import concurrent.futures

    def register(i: int) -> str:
        reply = web.post(
            "/api/v1/events/tiny/registrations", json={"name": f"P{i}", "email": f"p{i}@example.org", "consent": True}
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["status"])

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(register, range(30)))
    assert statuses.count("confirmed") == 3
    assert statuses.count("waitlisted") == 27
    served = asyncio.run(requests_served_per_instance(processes.env["PERCHE_NATS_URL"], "registration"))
    assert len(served) == 2
    assert all(count > 0 for count in served)  # the queue group spread the work


async def requests_served_per_instance(nats_url: str, service: str) -> list[int]:
    """Ask `$SRV.STATS` and count the register requests each instance answered."""
    nc = await connect(nats_url, "stats")
    replies: list[int] = []
    try:
        inbox = nc.new_inbox()

        async def collect(msg: object) -> None:
            stats = json.loads(msg.data)  # type: ignore[attr-defined]
            replies.append(sum(e["num_requests"] for e in stats["endpoints"] if e["subject"].endswith(".register")))

        await nc.subscribe(inbox, cb=collect)
        await nc.publish(f"$SRV.STATS.{service}", b"", reply=inbox)
        await asyncio.sleep(0.5)
    finally:
        await nc.drain()
    return replies
