"""Stop everything, NATS included, and start again on the same store: nothing is missing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.cli import backend_services
from services.kit.lifecycle import Running
from services.kit.nats_server import NatsServer, free_port
from services.kit.settings import Settings
from services.web.service import WebService
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, ROOT, create_organiser, define_events


async def start_all(store: Path, port: int, web_port: int, data: Path) -> tuple[NatsServer, Running]:
    server = NatsServer(store, port=port).start()
    settings = Settings(data_dir=data, nats_url=server.url, base_url="", rate_limit_per_minute=0)
    running = Running([*backend_services(), WebService("127.0.0.1", web_port, settings)], server.url)
    await running.start()
    return server, running


async def test_registrations_events_and_organisers_survive_a_full_restart(tmp_path: Path) -> None:
    store, port, web_port = tmp_path / "nats", free_port(), free_port()
    server, running = await start_all(store, port, web_port, tmp_path)
    try:
        await define_events(server.url)
        await create_organiser(server.url)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}") as http:
            made = await http.post(
                f"/api/v1/events/{HACKATHON}/registrations",
                json={"name": "Léa", "email": "lea@example.org", "consent": True, "category": "public"},
            )
            assert made.status_code == 201
    finally:
        await running.stop()
        server.stop()

    server, running = await start_all(store, port, web_port, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}") as http:
            assert [e["slug"] for e in (await http.get("/api/v1/events")).json()] == [
                HACKATHON,
                "table-ronde-numerique-education-2027",
            ]
            login = await http.post(
                "/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}
            )
            assert login.status_code == 200
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            listed = (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=headers)).json()
            assert [(r["id"], r["name"], r["status"]) for r in listed] == [(made.json()["id"], "Léa", "confirmed")]
            token = made.json()["manage_url"].split("token=")[1]
            mine = await http.get(f"/api/v1/registrations/{made.json()['id']}", params={"token": token})
            assert mine.status_code == 200  # the manage link still works: the secret was kept
    finally:
        await running.stop()
        server.stop()


def wait_healthy(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became healthy")


def nats_pid_for(data_dir: Path) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"nats-server" in cmdline and str(data_dir).encode() in cmdline:
                return int(entry.name)
    return None


def test_perche_up_stops_cleanly_on_ctrl_c_and_keeps_the_data(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PERCHE_ADMIN_EMAIL": ORGANISER_EMAIL,
        "PERCHE_ADMIN_PASSWORD": ORGANISER_PASSWORD,
        "PERCHE_RATE_LIMIT": "0",
    }
    env.pop("PERCHE_NATS_URL", None)
    command = [sys.executable, "-m", "services.cli", "up", "--data-dir", str(tmp_path), "--port", str(port)]
    url = f"http://127.0.0.1:{port}"

    up = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url)
        made = httpx.post(
            f"{url}/api/v1/events/{HACKATHON}/registrations",
            json={"name": "Marc", "email": "marc@example.org", "consent": True, "category": "public"},
        )
        assert made.status_code == 201
        nats_pid = nats_pid_for(tmp_path)
        assert nats_pid is not None
    finally:
        up.send_signal(signal.SIGINT)
        assert up.wait(30) == 0
    assert not Path(f"/proc/{nats_pid}").exists()  # no orphaned nats-server

    again = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(url)
        token = made.json()["manage_url"].split("token=")[1]
        kept = httpx.get(f"{url}/api/v1/registrations/{made.json()['id']}", params={"token": token})
        assert kept.status_code == 200 and kept.json()["name"] == "Marc"
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(30)
