"""Stop everything, NATS included, and start again on the same store: nothing is missing.

Once in-process (services, web and nats-server stopped and started on the same store
directory), and once as a person runs it: `perche up` on a temporary data directory,
stopped with Ctrl-C (SIGINT), which must exit cleanly and leave no nats-server behind.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from services.cli.hosting import backend_services
from services.kit.lifecycle import Running
from services.kit.nats_server import NatsServer, free_port
from services.kit.settings import Settings
from services.web.service import WebService
from tests.conftest import (
    HACKATHON,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    ROOT,
    ROUND_TABLE,
    create_organiser,
    define_events,
)
from tests.demo_events import demo_event, demo_events_dir

pytestmark = pytest.mark.real_clock  # Perche in another process keeps the real clock (tests/conftest.py)


class Stack:
    """nats-server, every backend service and the web app, on fixed ports and one store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.nats_port, self.web_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"

    async def start(self) -> None:
        self.server = NatsServer(self.folder / "nats", port=self.nats_port).start()
        settings = Settings(data_dir=self.folder, nats_url=self.server.url, base_url="", rate_limit_per_minute=0)
        web = WebService("127.0.0.1", self.web_port, settings)
        self.running = Running([*backend_services(), web], self.server.url)
        await self.running.start()

    async def stop(self) -> None:
        await self.running.stop()
        self.server.stop()


async def organiser_token(http: httpx.AsyncClient) -> dict[str, str]:
    login = await http.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


async def test_registrations_events_and_organisers_survive_a_full_restart(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    await stack.start()
    try:
        await define_events(stack.server.url)
        await create_organiser(stack.server.url)
        async with httpx.AsyncClient(base_url=stack.url) as http:
            made = []
            for i in range(12):  # mentors have 10 seats: two people wait
                body = {"name": f"Mentor {i}", "email": f"m{i}@example.org", "consent": True, "category": "mentor"}
                reply = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
                assert reply.status_code == 201
                made.append(reply.json())
            before = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=await organiser_token(http))
            events_before = (await http.get("/api/v1/events")).json()
    finally:
        await stack.stop()
    assert stack.server.process is not None and stack.server.process.poll() is not None

    await stack.start()
    try:
        async with httpx.AsyncClient(base_url=stack.url) as http:
            assert (await http.get("/api/v1/events")).json() == events_before
            assert [e["slug"] for e in events_before] == [HACKATHON, ROUND_TABLE]
            headers = await organiser_token(http)  # the organiser's password is still known
            after = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=headers)
            assert after.json() == before.json()
            assert [(r["status"], r["position"]) for r in after.json()][-2:] == [("waitlisted", 1), ("waitlisted", 2)]
            mine = made[0]
            token = mine["manage_url"].split("token=")[1]
            page = await http.get(f"/api/v1/registrations/{mine['id']}", params={"token": token})
            assert page.status_code == 200  # the manage link still works: its secret was kept

            # The seat counts came back too: one more mentor still waits, a cancel offers a seat.
            late = await http.post(
                f"/api/v1/events/{HACKATHON}/registrations",
                json={"name": "Late", "email": "late@example.org", "consent": True, "category": "mentor"},
            )
            assert (late.json()["status"], late.json()["position"]) == ("waitlisted", 3)
    finally:
        await stack.stop()


def wait_healthy(url: str, up: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if up.poll() is not None:
            pytest.fail(f"perche up exited with {up.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{url} never became healthy")


def nats_servers_storing_in(data_dir: Path) -> list[int]:
    """Pids of nats-server processes whose store is under `data_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline and cmdline[0].endswith(b"nats-server") and str(data_dir / "nats").encode() in cmdline:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


# What perche up prints once the demo events and the organiser are in place.
READY = "Perche is running on"


class PercheUp:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PERCHE_")}
        self.env.update(
            PERCHE_ADMIN_EMAIL=ORGANISER_EMAIL, PERCHE_ADMIN_PASSWORD=ORGANISER_PASSWORD, PERCHE_RATE_LIMIT="0"
        )
        self.env["PERCHE_EVENTS_DIR"] = str(demo_events_dir())  # the demo events, moved ahead of today

    def start(self) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "services.cli",
            "up",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
        ]
        log_path = self.data_dir.parent / "up.log"
        ready_before = log_path.read_text().count(READY) if log_path.exists() else 0
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_healthy(self.url, process)
        # Healthy is the services answering; the demo events and the organiser come just after.
        deadline = time.monotonic() + 30
        while log_path.read_text().count(READY) == ready_before:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"perche up never said it was running:\n{log_path.read_text()}")
            time.sleep(0.05)
        return process

    def ctrl_c(self, process: subprocess.Popen[bytes]) -> int:
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("perche up did not stop within 30 s of Ctrl-C")


def test_perche_up_stops_cleanly_on_ctrl_c_and_starts_again_with_the_data(tmp_path: Path) -> None:
    up = PercheUp(tmp_path / "var")
    first = up.start()
    try:
        [nats_pid] = nats_servers_storing_in(up.data_dir)
        made = httpx.post(
            f"{up.url}/api/v1/events/{HACKATHON}/registrations",
            json={"name": "Marc", "email": "marc@example.org", "consent": True, "category": "public"},
        )
        assert made.status_code == 201
        # perche up loaded the demo events moved ahead of today, as the tests do (PERCHE_EVENTS_DIR).
        hackathon = httpx.get(f"{up.url}/api/v1/events/{HACKATHON}").json()
        assert hackathon["starts_at"] == f"{demo_event(HACKATHON).starts_at:%Y-%m-%dT%H:%M:%SZ}"
        # An organiser changes the demo event; the next start must not undo it.
        login = httpx.post(
            f"{up.url}/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}
        )
        changed = httpx.put(
            f"{up.url}/api/v1/events/{HACKATHON}",
            json={
                **msgspec.to_builtins(demo_event(HACKATHON)),
                "title": "Hackathon du comice, édition changée",
            },
            headers={"Authorization": f"Bearer {login.json()['token']}"},
        )
        assert changed.status_code == 200, changed.text
    finally:
        code = up.ctrl_c(first)
    assert code == 0
    assert not alive(nats_pid), "the embedded nats-server outlived perche up"
    assert (up.data_dir / "nats" / "jetstream").is_dir()  # the store is under the data directory
    log = (tmp_path / "up.log").read_text()
    assert "Traceback" not in log, log

    again = up.start()
    try:
        token = made.json()["manage_url"].split("token=")[1]
        kept = httpx.get(f"{up.url}/api/v1/registrations/{made.json()['id']}", params={"token": token})
        assert (kept.status_code, kept.json()["name"], kept.json()["status"]) == (200, "Marc", "confirmed")
        login = httpx.post(
            f"{up.url}/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        listed = httpx.get(f"{up.url}/api/v1/events/{HACKATHON}/registrations", headers=headers).json()
        assert [r["name"] for r in listed] == ["Marc"]  # the demo events were loaded again, not duplicated
        assert [e["slug"] for e in httpx.get(f"{up.url}/api/v1/events").json()] == [HACKATHON, ROUND_TABLE]
        # The demo files are seeds: the organiser's change stands after the restart.
        assert (
            httpx.get(f"{up.url}/api/v1/events/{HACKATHON}").json()["title"] == "Hackathon du comice, édition changée"
        )
    finally:
        assert up.ctrl_c(again) == 0
    assert nats_servers_storing_in(up.data_dir) == []
