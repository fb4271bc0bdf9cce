"""Chromium driven by Playwright: the machine's /usr/bin/chromium, headless, never a
downloaded browser (no `playwright install`).

Without Playwright or Chromium these tests are skipped, unless PERCHE_REQUIRE_BROWSER=1
(as in CI), where that is a failure. Every page opened with the `page` fixture must run
without a JavaScript error.

Playwright's async objects belong to the event loop that made them, so `browser` and
`page` follow the test's loop:

- tests on the session loop (`pytest.mark.asyncio(loop_scope="session")`) share one
  Chromium, started once and closed after the last browser test; they drive `live_app`,
  Perche started once by `perche up` as a separate process, which needs nothing in the
  test's loop;
- tests on their own loop (the default), which serve the app in-process with the `demo`
  fixture, get a Chromium of their own.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from services.kit.nats_server import free_port
from tests.conftest import ROOT, Web
from tests.demo_events import demo_events_dir

CHROMIUM = os.environ.get("PERCHE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason: str) -> None:
    if os.environ.get("PERCHE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (PERCHE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"no browser: {reason} (set PERCHE_REQUIRE_BROWSER=1 to make this a failure)")


def require_chromium() -> None:
    """Skip (or fail, in CI) unless Playwright and the system's Chromium are there."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        unavailable("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} does not exist")


@asynccontextmanager
async def launched() -> AsyncIterator[Any]:
    """Playwright's driver and a headless Chromium, closed when the caller is done."""
    require_chromium()
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as playwright:
        try:
            chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        except Error as error:
            unavailable(f"Chromium did not start: {error.message.splitlines()[0]}")
            raise
        yield chromium
        await chromium.close()


# Reports every Content-Security-Policy violation of every page of a context to the test.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__percheViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " in " + e.sourceFile + ":" + e.lineNumber + " on " + document.location.pathname);
});
"""


@dataclass
class Guard:
    """What a browser context did that Perche's pages must never do: break the CSP, ask another host."""

    violations: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.violations == [], f"Content-Security-Policy violations: {self.violations}"
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"


async def guarded(context: Any) -> Guard:
    """Watch a context: its CSP violations, and its requests to any host but 127.0.0.1."""
    guard = Guard()
    await context.expose_binding("__percheViolation", lambda _source, text: guard.violations.append(text))
    await context.add_init_script(_REPORT_VIOLATIONS)

    def on_request(request: Any) -> None:
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob") and url.hostname != "127.0.0.1":
            guard.foreign.append(request.url)

    context.on("request", on_request)
    return guard


@asynccontextmanager
async def watched_page(browser: Any) -> AsyncIterator[Any]:
    """A fresh French-speaking page in the Paris time zone; fails the test on any JavaScript error,
    any Content-Security-Policy violation and any request to another host."""
    context = await browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    guard = await guarded(context)
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    await context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    guard.assert_clean()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def shared_browser() -> AsyncIterator[Any]:
    async with launched() as chromium:
        yield chromium


@pytest_asyncio.fixture(loop_scope="session")
async def shared_page(shared_browser: Any) -> AsyncIterator[Any]:
    async with watched_page(shared_browser) as opened:
        yield opened


@pytest.fixture
async def own_browser() -> AsyncIterator[Any]:
    async with launched() as chromium:
        yield chromium


@pytest.fixture
async def own_page(own_browser: Any) -> AsyncIterator[Any]:
    async with watched_page(own_browser) as opened:
        yield opened


def on_session_loop(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("asyncio")
    return marker is not None and marker.kwargs.get("loop_scope") == "session"


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Any:
    """Chromium (Playwright's async API): shared by the tests on the session loop, else the test's own."""
    return request.getfixturevalue("shared_browser" if on_session_loop(request) else "own_browser")


@pytest.fixture
def page(request: pytest.FixtureRequest) -> Any:
    """A fresh page in a fresh context, French and in the Paris time zone; JavaScript errors fail the test."""
    return request.getfixturevalue("shared_page" if on_session_loop(request) else "own_page")


@dataclass(frozen=True)
class LiveApp:
    """Perche as `perche up` runs it: its own process, embedded NATS, a temporary data directory."""

    url: str
    admin_email: str
    admin_password: str
    data_dir: Path
    log: Path

    @asynccontextmanager
    async def organiser_api(self) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the JSON API logged in as the organiser, for checking what the browser did."""
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            body = {"email": self.admin_email, "password": self.admin_password}
            reply = await client.post("/api/v1/auth/token", json=body)
            assert reply.status_code == 200, reply.text
            client.headers["Authorization"] = f"Bearer {reply.json()['token']}"
            yield client


@pytest.fixture(scope="package")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    require_chromium()  # it serves browser tests: skip before starting anything
    folder = tmp_path_factory.mktemp("live-app")
    app = LiveApp(
        url=f"http://127.0.0.1:{free_port()}",
        admin_email="organisation@perche.example",
        admin_password="une phrase de passe assez longue",
        data_dir=folder / "var",
        log=folder / "perche-up.log",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERCHE_")}
    env.update(PERCHE_ADMIN_EMAIL=app.admin_email, PERCHE_ADMIN_PASSWORD=app.admin_password, PERCHE_RATE_LIMIT="0")
    env["PERCHE_EVENTS_DIR"] = str(demo_events_dir())  # the demo events, moved ahead of today
    port = app.url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "services.cli", "up", "--data-dir", str(app.data_dir), "--port", port]
    with app.log.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Ready once it says so: the demo events are loaded and the organiser exists.
        deadline = time.monotonic() + 60
        while "Perche is running on" not in app.log.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"perche up did not start (exit {process.poll()}):\n{app.log.read_text()[-3000:]}")
            time.sleep(0.05)
        yield app
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        assert code == 0, f"perche up did not stop cleanly (exit {code}):\n{app.log.read_text()[-3000:]}"


class PhoneNetwork:
    """The phone's one way to Perche: a TCP relay on loopback that the test can cut.

    Playwright's routes do not see what a service worker fetches, and whether Chromium's offline
    emulation holds it back has changed between versions (microsoft/playwright#2311); neither can
    prove that nothing left the phone. Cut here, nothing gets through, from a page or a worker,
    and a request on a connection kept open fails at once. Pages use `url` as the server's."""

    def __init__(self, server_url: str) -> None:
        target = urlsplit(server_url)
        self._host, self._port = target.hostname or "127.0.0.1", target.port or 80
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        """Connected again: new connections reach the server."""
        if self._server is None:
            self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """No server any more: connecting is refused and every open connection is dropped."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._open):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            writer.transport.abort()
            return
        if self._server is None:  # cut while this connection was being made
            writer.transport.abort()
            upstream_writer.transport.abort()
            return
        self._open.update((writer, upstream_writer))
        try:
            await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        finally:
            self._open.difference_update((writer, upstream_writer))
            writer.transport.abort()
            upstream_writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()  # one side gone, the whole connection goes


@pytest.fixture
async def phone_network(web: Web) -> AsyncIterator[PhoneNetwork]:
    """The phone's network to the app served in-process, up at first (see PhoneNetwork)."""
    network = PhoneNetwork(web.url)
    await network.restore()
    yield network
    await network.cut()
