"""Fixtures on real parts: a nats-server on a free port with a temporary store, the
services on their own NATS connections, and the web app served over real HTTP."""

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine

from schemas.catalog import CreateOrganiser, DefineEvent, EventDefinedReply, OrganiserReply
from schemas.subjects import Catalog
from services.catalog.files import read_event_file
from services.cli.hosting import backend_services
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.kit.nats_server import NatsServer, free_port
from services.kit.settings import Settings
from services.web.service import WebService
from tests.demo_events import HACKATHON, ROOT, ROUND_TABLE, demo_files
from tests.nats_accounts import AccountsServer

__all__ = ["HACKATHON", "ROOT", "ROUND_TABLE"]
ORGANISER_EMAIL = "orga@example.org"
ORGANISER_PASSWORD = "correct horse battery"


# PERCHE_TEST_CLOCK=2027-03-27T23:30:00+01:00 starts every test at that moment, its clock ticking
# on from there (time-machine), so that the suite proves it does not depend on the hour or the day
# it runs: `PERCHE_TEST_CLOCK=2027-12-31T23:30:00+01:00 make test`. Only this process's clock
# travels. The services the tests run in-process on a real nats-server travel with it: Perche takes
# every time from Python, none from NATS (JetStream's timestamps, ages and ack waits decide nothing),
# so a nats-server on the real clock changes no answer. Chromium and Perche started as another
# process (`perche up`, the CLI) keep the real clock: the browser tests and the tests marked
# real_clock stay on it, as a test whose parts disagree on the date would test nothing real.
CLOCK_VARIABLE = "PERCHE_TEST_CLOCK"


def travelled_to() -> datetime | None:
    """The moment every test starts at, from PERCHE_TEST_CLOCK; None to keep the real clock."""
    text = os.environ.get(CLOCK_VARIABLE, "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise pytest.UsageError(f"{CLOCK_VARIABLE}={text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise pytest.UsageError(f"{CLOCK_VARIABLE}={text!r} needs its UTC offset, e.g. 2027-03-27T23:30:00+01:00")
    return moment


def pytest_configure(config: pytest.Config) -> None:
    travelled_to()  # a mistyped clock stops the run before any test


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = travelled_to()
    return None if moment is None else f"clock: every test starts at {moment.isoformat()} ({CLOCK_VARIABLE})"


@pytest.fixture(autouse=True)
def travelled_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """The test runs on the clock PERCHE_TEST_CLOCK sets (see above), or on the real one."""
    moment = travelled_to()
    if moment is None or request.node.get_closest_marker("browser") or request.node.get_closest_marker("real_clock"):
        yield
        return
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Services that read the environment themselves (notify's Maildir) write under the test's directory."""
    monkeypatch.setenv("PERCHE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PERCHE_SMTP_HOST", raising=False)
    return tmp_path / "data"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[AccountsServer]:
    """With production's users and permissions: what a service's user may not do fails its test."""
    server = AccountsServer(tmp_path / "nats").start()
    yield server
    server.stop()
    refused = server.violations()
    assert not refused, "NATS refused a service what deploy/nats/accounts.conf does not allow:\n" + "\n".join(refused)


@pytest.fixture
def service_urls(nats_server: AccountsServer) -> Callable[[str], str]:
    """Each service's URL: its own NATS user, as in production."""
    return nats_server.url_for


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[object]:
    client = await connect(nats_url, "test")
    yield client
    await client.drain()


@pytest.fixture
async def backend(service_urls: Callable[[str], str]) -> AsyncIterator[Running]:
    running = Running(backend_services(), service_urls)
    await running.start()
    yield running
    await running.stop()


@dataclass
class Web:
    url: str
    nats_url: str
    service: WebService


@asynccontextmanager
async def running_web(
    nats_url: str,
    data_dir: Path,
    base_url: str = "",
    rate_limit_per_minute: int = 0,
    service_urls: Callable[[str], str] | None = None,
) -> AsyncIterator[Web]:
    """A web instance on this NATS, served over real HTTP on a free port (no rate limit unless asked).

    With `service_urls` it connects as the `web` user; `nats_url` stays the tests' own.
    """
    own_url = service_urls("web") if service_urls else nats_url
    settings = Settings(
        data_dir=data_dir, nats_url=own_url, base_url=base_url, rate_limit_per_minute=rate_limit_per_minute
    )
    service = WebService("127.0.0.1", free_port(), settings)
    running = Running([service], own_url)
    await running.start()
    try:
        yield Web(url=f"http://127.0.0.1:{service.port}", nats_url=nats_url, service=service)
    finally:
        await running.stop()


@pytest.fixture
async def web(
    backend: Running, nats_url: str, service_urls: Callable[[str], str], tmp_path: Path
) -> AsyncIterator[Web]:
    async with running_web(nats_url, tmp_path, service_urls=service_urls) as web:
        yield web


@pytest.fixture
async def http(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as client:
        yield client


async def bucket_keys(js: Any, bucket: str) -> list[str]:
    """The keys a KV bucket holds now, deleted ones left out, read from its stream's state.

    Not nats-py's `KeyValue.keys()`: its watcher can signal "no more" before an entry already
    delivered is counted, and then says the bucket is empty when it is not (a random failure).
    """
    stream = f"KV_{bucket}"
    info = await js.stream_info(stream, subjects_filter=">")
    keys = []
    for subject in sorted(info.state.subjects or {}):
        last = await js.get_last_msg(stream, subject)
        if (last.headers or {}).get("KV-Operation") not in ("DEL", "PURGE"):
            keys.append(subject.removeprefix(f"$KV.{bucket}."))
    return keys


async def define_events(nats_url: str, *paths: Path) -> None:
    """Define the events of `paths`, by default the demo events moved ahead of today (tests/demo_events.py)."""
    client = await connect(nats_url, "test-loader")
    try:
        for path in paths or demo_files():
            command = DefineEvent(command_id=uuid.uuid4().hex, spec=read_event_file(path))
            await call(client, Catalog.DEFINE_EVENT, command, EventDefinedReply)
    finally:
        await client.drain()


async def create_organiser(nats_url: str, email: str = ORGANISER_EMAIL, password: str = ORGANISER_PASSWORD) -> None:
    client = await connect(nats_url, "test-admin")
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=email, password=password)
        await call(client, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
    finally:
        await client.drain()


@pytest.fixture
async def demo(web: Web) -> Web:
    """The web app with the demo events loaded and one organiser."""
    await define_events(web.nats_url)
    await create_organiser(web.nats_url)
    return web


@pytest.fixture
async def organiser_headers(demo: Web, http: httpx.AsyncClient) -> dict[str, str]:
    reply = await http.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}
