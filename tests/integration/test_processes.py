"""Every service in its own OS process, each with its own data directory: they share nothing
but the NATS server, and the application works.

Each backend service answers `$SRV.PING` under its name; registering over HTTP works;
a crashed registration process is seen by /healthz and answered 503 "unavailable", and
starting it again brings its state back from its stream. Two registration instances share
the requests (queue group) without ever giving more seats than there are.
"""

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client

from schemas.registration import GetCounts
from schemas.subjects import SERVICES, Registration
from services.kit.codec import encode
from services.kit.connection import connect
from services.kit.nats_server import NatsServer, free_port
from tests.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD, ROOT, ROUND_TABLE
from tests.demo_events import demo_file, demo_text

pytestmark = pytest.mark.real_clock  # Perche in another process keeps the real clock (tests/conftest.py)

DEADLINE = 30.0


class Processes:
    """`perche service NAME` processes on one NATS server; each logs to its own file."""

    def __init__(self, nats_url: str, folder: Path) -> None:
        self.nats_url = nats_url
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"

    def env(self, name: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PERCHE_")}
        data = self.folder / name
        data.mkdir(parents=True, exist_ok=True)
        return {**base, "PERCHE_DATA_DIR": str(data), "PERCHE_RATE_LIMIT": "0"}

    def start(self, name: str) -> None:
        """`name` is a service, or service#n for another instance of it."""
        service = name.split("#")[0]
        extra = ["--port", str(self.web_port)] if service == "web" else []
        with (self.folder / f"{name}.log").open("ab") as log:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "service", service, "--nats-url", self.nats_url, *extra],
                cwd=ROOT,
                env=self.env(name),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self, name: str) -> None:
        """A crash: SIGKILL, no clean shutdown."""
        process = self.running.pop(name)
        process.kill()
        process.wait()

    def stop_all(self) -> None:
        """Last started first, as `perche up` does: no service is left waiting on one already gone."""
        for process in reversed(self.running.values()):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(self.folder.glob("*.log")))

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """Poll `check` until it holds; on the deadline, fail with what each process logged."""
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while True:
            try:
                if await check():
                    return
            except httpx.TransportError:
                pass
            dead = {n: p.returncode for n, p in self.running.items() if p.poll() is not None}
            if dead or asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"{what}: not reached (exited: {dead})\n{self.logs()}")
            await asyncio.sleep(0.05)

    async def perche(self, *args: str) -> None:
        """A one-shot command (`perche load`, `perche organiser create`) against the same NATS."""
        command = [sys.executable, "-m", "services.cli", *args, "--nats-url", self.nats_url]
        done = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            env=self.env("commands"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await done.communicate()
        assert done.returncode == 0, errors.decode()


@pytest.fixture
async def processes(nats_server: NatsServer, tmp_path: Path) -> AsyncIterator[Processes]:
    procs = Processes(nats_server.url, tmp_path / "processes")
    yield procs
    procs.stop_all()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await connect(nats_url, "test-observer")
    yield client
    await client.drain()


ALL_UP = dict.fromkeys(SERVICES, True)


async def health_is(web: httpx.AsyncClient, status: int, services: dict[str, bool]) -> bool:
    reply = await web.get("/healthz")
    return (reply.status_code, reply.json()["services"]) == (status, services)


async def everyone_answers(
    nc: Client, service: str, instances: int, verb: str = "PING", timeout: float = 5.0
) -> list[dict[str, object]]:
    """Ask every instance of `service` (`$SRV.<verb>.<service>`) and wait for that many answers."""
    answers: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    inbox = nc.new_inbox()

    async def collect(msg: object) -> None:
        await answers.put(json.loads(msg.data))  # type: ignore[attr-defined]

    subscription = await nc.subscribe(inbox, cb=collect)
    try:
        await nc.publish(f"$SRV.{verb}.{service}", b"", reply=inbox)
        async with asyncio.timeout(timeout):
            return [await answers.get() for _ in range(instances)]
    finally:
        await subscription.unsubscribe()


async def test_services_in_separate_processes_work_together_over_nats_only(processes: Processes, nc: Client) -> None:
    for name in (*SERVICES, "web"):
        processes.start(name)
    async with httpx.AsyncClient(base_url=processes.url, timeout=10) as web:
        await processes.until(lambda: health_is(web, 200, ALL_UP), "every service healthy")

        for service in SERVICES:
            [pong] = await everyone_answers(nc, service, 1)
            assert (pong["name"], pong["type"]) == (service, "io.nats.micro.v1.ping_response")
            [info] = await everyone_answers(nc, service, 1, "INFO")
            # Each service answers only on its own subjects.
            assert all(str(e["subject"]).startswith(f"perche.{service}.") for e in info["endpoints"])  # type: ignore[attr-defined]

        await processes.perche("load", str(demo_file(ROUND_TABLE)))
        registrations = f"/api/v1/events/{ROUND_TABLE}/registrations"
        await processes.until(lambda: event_known(web, ROUND_TABLE), "the web sees the loaded event")
        made = await web.post(registrations, json={"name": "Aline", "email": "aline@example.org", "consent": True})
        assert made.status_code == 201, made.text
        first = made.json()
        token = first["manage_url"].split("token=")[1]

        processes.kill("registration")
        crashed = {**ALL_UP, "registration": False}
        await processes.until(lambda: health_is(web, 503, crashed), "the crash seen by /healthz")
        refused = await web.post(registrations, json={"name": "Bruno", "email": "b@example.org", "consent": True})
        assert (refused.status_code, refused.json()["code"]) == (503, "unavailable")
        page = await web.get(f"/r/{first['id']}", params={"token": token})
        assert page.status_code == 503

        processes.start("registration")
        await processes.until(lambda: health_is(web, 200, ALL_UP), "registration back")
        again = await web.get(f"/api/v1/registrations/{first['id']}", params={"token": token})
        assert again.status_code == 200
        assert (again.json()["name"], again.json()["status"]) == ("Aline", "confirmed")
        event = (await web.get(f"/api/v1/events/{ROUND_TABLE}")).json()
        public = next(c for c in event["categories"] if c["id"] == "public")
        assert public["remaining"] == public["capacity"] - 1  # the seat count came back too


async def event_known(web: httpx.AsyncClient, slug: str) -> bool:
    return (await web.get(f"/api/v1/events/{slug}")).status_code == 200


async def test_two_registration_instances_share_the_work_without_overselling(
    processes: Processes, nc: Client, tmp_path: Path
) -> None:
    for name in ("catalog", "registration", "registration#2", "web"):
        processes.start(name)
    tiny = tmp_path / "tiny.toml"
    text = demo_text(ROUND_TABLE)
    tiny.write_text(text.replace(f'slug = "{ROUND_TABLE}"', 'slug = "tiny"').replace("capacity = 80", "capacity = 3"))

    async def both_instances_up() -> bool:
        try:
            return len(await everyone_answers(nc, "registration", 2, timeout=0.2)) == 2
        except TimeoutError:
            return False

    await processes.until(both_instances_up, "two registration instances")
    await processes.perche("load", str(tiny))

    async def both_instances_know_tiny() -> bool:
        # Requests go to either instance at random: 20 answers in a row mean both know it.
        for _ in range(20):
            reply = json.loads((await nc.request(Registration.COUNTS, encode(GetCounts(event="tiny")))).data)
            if reply.get("type") != "counts":
                return False
        return True

    await processes.until(both_instances_know_tiny, "both instances follow the catalog")
    async with httpx.AsyncClient(base_url=processes.url, timeout=20) as web:
        await processes.until(lambda: event_known(web, "tiny"), "web up")

        async def register(i: int) -> str:
            body = {"name": f"P{i}", "email": f"p{i}@example.org", "consent": True}
            reply = await web.post("/api/v1/events/tiny/registrations", json=body)
            assert reply.status_code == 201, reply.text
            return str(reply.json()["status"])

        statuses = await asyncio.gather(*(register(i) for i in range(30)))
        assert (statuses.count("confirmed"), statuses.count("waitlisted")) == (3, 27)

    stats = await everyone_answers(nc, "registration", 2, "STATS")
    served = [
        sum(int(e["num_requests"]) for e in s["endpoints"] if str(e["subject"]) == Registration.REGISTER)  # type: ignore[attr-defined]
        for s in stats
    ]
    assert sum(served) == 30 and all(count > 0 for count in served), served  # the queue group spread the work


async def test_an_organiser_created_through_one_process_logs_in_through_another(processes: Processes) -> None:
    for name in ("catalog", "web"):
        processes.start(name)
    async with httpx.AsyncClient(base_url=processes.url, timeout=10) as web:
        await processes.until(lambda: health_of(web, "catalog"), "catalog answers")
        await processes.perche("organiser", "create", ORGANISER_EMAIL, "--password", ORGANISER_PASSWORD)
        login = await web.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
        assert login.status_code == 200 and login.json()["token"]


async def health_of(web: httpx.AsyncClient, service: str) -> bool:
    return bool((await web.get("/healthz")).json()["services"][service])
