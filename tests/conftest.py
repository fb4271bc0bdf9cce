"""Fixtures on real parts: a nats-server on a free port with a temporary store, the
services on their own NATS connections, and the web app served over real HTTP."""

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from schemas.catalog import CreateOrganiser, DefineEvent, EventDefinedReply, OrganiserReply
from schemas.subjects import Catalog
from services.catalog.files import read_event_file
from services.cli import backend_services
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.kit.nats_server import NatsServer, free_port
from services.kit.settings import Settings
from services.web.service import WebService

ROOT = Path(__file__).resolve().parents[1]
EVENTS_DIR = ROOT / "events"
HACKATHON = "hackathon-comice-2027"
ROUND_TABLE = "table-ronde-numerique-education-2027"
ORGANISER_EMAIL = "orga@example.org"
ORGANISER_PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Services that read the environment themselves (notify's Maildir) write under the test's directory."""
    monkeypatch.setenv("PERCHE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PERCHE_SMTP_HOST", raising=False)
    return tmp_path / "data"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[object]:
    client = await connect(nats_url, "test")
    yield client
    await client.drain()


@pytest.fixture
async def backend(nats_url: str) -> AsyncIterator[Running]:
    running = Running(backend_services(), nats_url)
    await running.start()
    yield running
    await running.stop()


@dataclass
class Web:
    url: str
    nats_url: str
    service: WebService


@pytest.fixture
async def web(backend: Running, nats_url: str, tmp_path: Path) -> AsyncIterator[Web]:
    settings = Settings(data_dir=tmp_path, nats_url=nats_url, base_url="", rate_limit_per_minute=0)
    service = WebService("127.0.0.1", free_port(), settings)
    running = Running([service], nats_url)
    await running.start()
    yield Web(url=f"http://127.0.0.1:{service.port}", nats_url=nats_url, service=service)
    await running.stop()


@pytest.fixture
async def http(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.url, timeout=10) as client:
        yield client


async def define_events(nats_url: str, *paths: Path) -> None:
    client = await connect(nats_url, "test-loader")
    try:
        for path in paths or sorted(EVENTS_DIR.glob("*.toml")):
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
