"""`perche bench qa`: how soon the projector shows a question a moderator approves, with a full room.

An embedded nats-server, every service and the real web app in their own processes, the round
table's Q&A open. Then, all over HTTP as the pages do:

- the room: `connections` devices (500), each with its own device cookie, got from the audience
  page `/e/{slug}/questions` as a phone gets it, and the stream that page listens to open
  (`/e/{slug}/qa/stream`, at most one `change` per 0.5 s). These connections read their events
  and count them; they do not fetch the list again on each `change` as the page's script does
  (what is measured is the live fan-out, not 500 phones' fetches);
- the room asks 20 questions and casts 200 votes a second, each from the next device in turn, on
  a keep-alive connection of its own bound to its own loopback address (127.0.x.y): the public
  POSTs are limited per client address (`PERCHE_RATE_LIMIT`, 30 a minute, left as deployed), and
  500 devices in turn stay under it. What the limit or a rule refuses is counted, not resent; a
  `303` is not followed to the page (a phone's browser does: one more whole page per vote);
- the projector: `/e/{slug}/qa/screen`'s own stream (`/e/{slug}/qa/screen/stream`, told at
  once), and on each `change` its board
  (`?part=board`) fetched again, one fetch at a time and one more if changes came meanwhile,
  as the page's script does;
- a moderator, logged in: their page's stream, the queue (`?part=queue`) fetched again on each
  change, and every new pending question approved. The board shows five questions (none pinned);
  so that each approved question can reach it, the moderator marks the oldest shown one answered
  before approving a sixth (the speaker works through them). Votes go to the questions on the board.

Measured: from the approval POST sent to the projector's first board fetch that shows the
question (p50, p95, p99; target p95 under 1 s), the POSTs' replies, and the web process's memory
per open stream (its VmRSS before and after the room's streams are opened, divided by their
number). A stream ends after 60 s (EventSource reconnects after 5 s): runs stay under it.
The light keep-alive client of `load` does the room's and moderator's requests and reads the
streams, so the load generator costs the two cores little next to the servers it measures.
"""

import asyncio
import os
import re
import ssl
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from schemas.qa import NEXT_ON_SCREEN
from services.bench.load import http_request, read_response, spawn_perche, stop, wait_http

CONNECTIONS = 500
SECONDS = 30.0
QUESTIONS_PER_SECOND = 20.0
VOTES_PER_SECOND = 200.0
EVENT = "table-ronde-numerique-education-2027"
EMAIL, PASSWORD = "bench-qa@example.org", "bench-qa-password-2027"
TARGET_P95_MS = 1000.0
DEMO = Path(__file__).resolve().parents[2] / "events" / f"{EVENT}.toml"
DRAIN = 20.0  # after the room stops: how long the last approvals may take to reach the projector
RETRY = 5.0  # what the stream asks EventSource to wait before reconnecting


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _text(n: int) -> str:
    """A question of the room, told apart on the board by its number."""
    return f"Question {n:05d} du banc : quand ouvrira le pôle de formation au numérique ?"


_NUMBER = re.compile(r"Question (\d{5}) du banc")


async def _events(port: int, path: str, cookie: str, ip: str = "127.0.0.1") -> AsyncIterator[str]:
    """The event names one server-sent-event stream carries (`ready`, `change`), until it ends."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ip, 0))
    try:
        headers = {"Accept": "text/event-stream", "Cookie": cookie} if cookie else {"Accept": "text/event-stream"}
        writer.write(http_request("GET", port, path, headers))
        head = await reader.readuntil(b"\r\n\r\n")
        if head[9:12] != b"200" or b"chunked" not in head.lower():
            raise RuntimeError(f"{path}: {head[:12]!r}, not a chunked stream")
        pending = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                return
            pending += (await reader.readexactly(size + 2))[:-2]
            pending = pending.replace(b"\r\n", b"\n")
            while b"\n\n" in pending:
                message, pending = pending.split(b"\n\n", 1)
                for line in message.split(b"\n"):
                    if line.startswith(b"event:"):
                        yield line[6:].strip().decode()
    finally:
        writer.close()


@dataclass
class Tally:
    """What the run counts: statuses of the room's POSTs, refusals by reason, events received."""

    asked: int = 0
    voted: int = 0
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: {kind: {} for kind in ("ask", "vote", "moderate", "fetch")}
    )
    reasons: dict[str, int] = field(default_factory=dict)
    replies: dict[str, list[float]] = field(default_factory=lambda: {"ask": [], "vote": [], "approve": []})
    audience_events: int = 0
    reconnects: int = 0
    no_question_to_vote: int = 0

    def count(self, kind: str, status: int, body: bytes) -> None:
        self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1
        if status >= 400:
            found = re.findall(rb'role="alert"[^>]*>(?:<p>)?([^<]*)', body)
            reason = found[0].decode().strip() if found else body[:80].decode(errors="replace")
            key = f"{kind} {status}: {reason}"
            self.reasons[key] = self.reasons.get(key, 0) + 1

    def server_errors(self) -> int:
        return sum(n for statuses in self.statuses.values() for status, n in statuses.items() if status >= 500)


class KeepAlive:
    """One keep-alive connection (from `ip`), opened again when the server closed it while idle
    (uvicorn does after 5 s), and the request sent again as a browser does: the same command id."""

    def __init__(self, port: int, ip: str = "127.0.0.1") -> None:
        self.port, self.ip = port, ip
        self.connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.lock = asyncio.Lock()  # one request at a time on the connection

    async def send(self, request: bytes) -> tuple[int, bytes]:
        async with self.lock:
            for attempt in range(2):
                fresh = self.connection is None
                if self.connection is None:
                    self.connection = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(self.ip, 0))
                reader, writer = self.connection
                try:
                    writer.write(request)
                    return await read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    writer.close()
                    self.connection = None
                    if fresh or attempt:
                        raise
            raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection[1].close()


class Device:
    """One phone in the room: its cookies, its address, its keep-alive connection for its POSTs."""

    def __init__(self, index: int, port: int, cookie: str, csrf: str) -> None:
        self.ip = f"127.0.{1 + index // 250}.{2 + index % 250}"
        self.port, self.cookie, self.csrf = port, cookie, csrf
        self.voted: set[str] = set()
        self.http = KeepAlive(port, self.ip)

    async def post(self, path: str, form: dict[str, str]) -> tuple[int, bytes]:
        body = urlencode({"_csrf_token": self.csrf, "command_id": uuid.uuid4().hex, **form}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        return await self.http.send(http_request("POST", self.port, path, headers, body))


async def _prepare(nats_url: str) -> None:
    """The round table (published), an organiser of it; the session is opened by the moderator."""
    from schemas.catalog import CreateOrganiser, DefineEvent, EventDefinedReply, OrganiserReply
    from schemas.event_file import decode_event_toml
    from schemas.subjects import Catalog
    from services.kit.client import call
    from services.kit.connection import connect

    spec = decode_event_toml(DEMO.read_bytes())  # noqa: ASYNC240 (one small file, before the measure)
    nc = await connect(nats_url, "bench-qa")
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=EMAIL, password=PASSWORD)
        await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
        await call(nc, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)
    finally:
        await nc.drain()


class Run:
    """One run of the bench against the web on `port` (pid `web_pid`)."""

    def __init__(self, port: int, web_pid: int, connections: int, seconds: float, qps: float, vps: float) -> None:
        self.port, self.web_pid = port, web_pid
        self.connections, self.seconds, self.qps, self.vps = connections, seconds, qps, vps
        self.tally = Tally()
        self.devices: list[Device] = []
        self.next_device = 0
        # The moderator's side: questions seen pending, approved (when sent), shown (when fetched).
        self.seen: set[str] = set()
        self.todo: asyncio.Queue[str] = asyncio.Queue()
        self.approved_at: dict[str, float] = {}
        self.number_of: dict[str, int] = {}  # question id -> the number in its text
        self.qid_of: dict[int, str] = {}
        self.shown_at: dict[int, float] = {}  # the number in a question's text -> when the board showed it
        self.shown = asyncio.Event()  # set at each question shown (the drain waits on it)
        self.on_board: deque[str] = deque()  # approved and not answered, oldest first
        self.voteable: list[str] = []  # on the board, shown, not being answered
        self.board_fetches = 0
        self.approvals: set[asyncio.Task[None]] = set()
        self.queue_fetches = 0

    # --- the organiser ---

    async def _login(self) -> tuple[str, str]:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=30) as client:
            page = await client.get("/organiser/login")
            csrf = re.findall(r'name="_csrf_token" value="([^"]+)"', page.text)[0]
            reply = await client.post(
                "/organiser/login", data={"email": EMAIL, "password": PASSWORD, "_csrf_token": csrf}
            )
            assert reply.status_code == 303, (reply.status_code, reply.text[:300])
            return "; ".join(f"{k}={v}" for k, v in client.cookies.items()), csrf

    async def _moderator_post(
        self, pool: asyncio.Queue[KeepAlive], path: str, form: dict[str, str]
    ) -> tuple[int, bytes]:
        body = urlencode({"_csrf_token": self.csrf, "command_id": uuid.uuid4().hex, **form}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.organiser_cookie}
        http = await pool.get()
        try:
            return await http.send(http_request("POST", self.port, f"/organiser/e/{EVENT}/qa{path}", headers, body))
        finally:
            pool.put_nowait(http)

    async def _follow(self, path: str, cookie: str, refresh: asyncio.Event) -> None:
        """A page's stream: each `change` asks its fetcher for one more fetch; reconnects as EventSource does."""
        while True:
            try:
                async for name in _events(self.port, path, cookie):
                    if name == "change":
                        refresh.set()
            except (OSError, asyncio.IncompleteReadError):
                pass
            self.tally.reconnects += 1
            await asyncio.sleep(RETRY)

    async def _queue_fetcher(self, refresh: asyncio.Event) -> None:
        """The moderator's page: the queue fetched again after each change; new pending questions to approve."""
        http = KeepAlive(self.port)
        request = http_request(
            "GET", self.port, f"/organiser/e/{EVENT}/qa/?part=queue", {"Cookie": self.organiser_cookie}
        )
        try:
            while True:
                await refresh.wait()
                refresh.clear()
                status, body = await http.send(request)
                self.queue_fetches += 1
                self.tally.count("fetch", status, body)
                if status != 200:
                    continue  # the page keeps what it shows (its script ignores a failed fetch)
                text = body.decode()
                start = text.find('id="status-pending"')
                end = text.find("<section", start + 1) if start >= 0 else -1
                pending = text[start : end if end >= 0 else len(text)] if start >= 0 else ""
                for qid, words in re.findall(
                    r'<li class="card" id="(q\d+)">.*?<p><strong>([^<]*)</strong>', pending, re.S
                ):
                    if qid not in self.seen:
                        self.seen.add(qid)
                        found = _NUMBER.search(words)
                        if found:
                            self.number_of[qid] = int(found.group(1))
                            self.qid_of[int(found.group(1))] = qid
                        self.todo.put_nowait(qid)
        finally:
            http.close()

    async def _moderate(self, pool: asyncio.Queue[KeepAlive]) -> None:
        """Approve each question as it comes; with the board full, the oldest shown one is answered first."""
        while True:
            qid = await self.todo.get()
            while len(self.on_board) >= NEXT_ON_SCREEN:
                oldest = self.on_board[0]
                while self.number_of[oldest] not in self.shown_at:
                    self.shown.clear()
                    await self.shown.wait()
                self.on_board.popleft()
                if oldest in self.voteable:
                    self.voteable.remove(oldest)
                status, body = await self._moderator_post(pool, f"/{oldest}/moderate", {"action": "answer"})
                self.tally.count("moderate", status, body)
            self.on_board.append(qid)
            self.approved_at[qid] = time.perf_counter()
            approval = asyncio.create_task(self._approve(pool, qid))
            self.approvals.add(approval)  # held: the loop keeps only a weak reference to its tasks
            approval.add_done_callback(self.approvals.discard)

    async def _approve(self, pool: asyncio.Queue[KeepAlive], qid: str) -> None:
        status, body = await self._moderator_post(pool, f"/{qid}/moderate", {"action": "approve"})
        self.tally.replies["approve"].append(time.perf_counter() - self.approved_at[qid])
        self.tally.count("moderate", status, body)

    # --- the projector ---

    async def _board_fetcher(self, refresh: asyncio.Event) -> None:
        http = KeepAlive(self.port)
        request = http_request("GET", self.port, f"/e/{EVENT}/qa/screen?part=board&lang=fr", {})
        try:
            while True:
                await refresh.wait()
                refresh.clear()
                status, body = await http.send(request)
                fetched = time.perf_counter()
                self.board_fetches += 1
                self.tally.count("fetch", status, body)
                if status != 200:
                    continue  # the page keeps what it shows (its script ignores a failed fetch)
                for found in _NUMBER.finditer(body.decode()):
                    number = int(found.group(1))
                    if number not in self.shown_at:
                        self.shown_at[number] = fetched
                        qid = self.qid_of.get(number)
                        if qid is not None and qid in self.on_board:
                            self.voteable.append(qid)
                        self.shown.set()
        finally:
            http.close()

    # --- the room ---

    async def _audience(self, device: Device, opened: asyncio.Event) -> None:
        path = f"/e/{EVENT}/qa/stream"
        while True:
            try:
                async for name in _events(self.port, path, device.cookie, device.ip):
                    if name == "ready":
                        opened.set()
                    else:
                        self.tally.audience_events += 1
            except (OSError, asyncio.IncompleteReadError):
                pass
            self.tally.reconnects += 1
            await asyncio.sleep(RETRY)

    def _device(self) -> Device:
        device = self.devices[self.next_device % len(self.devices)]
        self.next_device += 1
        return device

    async def _ask(self, n: int) -> None:
        device = self._device()
        sent = time.perf_counter()
        status, body = await device.post(f"/e/{EVENT}/questions/ask", {"text": _text(n), "name": ""})
        self.tally.replies["ask"].append(time.perf_counter() - sent)
        self.tally.count("ask", status, body)
        self.tally.asked += status == 303

    async def _vote(self) -> None:
        device = self._device()
        # The room votes for the newest question on the screen it has not voted for: at 20 approvals
        # a second the board's five change every 250 ms, and the oldest is about to be answered.
        qid = next((q for q in reversed(self.voteable) if q not in device.voted), None)
        if qid is None:
            self.tally.no_question_to_vote += 1
            return
        device.voted.add(qid)
        sent = time.perf_counter()
        status, body = await device.post(f"/e/{EVENT}/questions/{qid}/vote", {})
        self.tally.replies["vote"].append(time.perf_counter() - sent)
        self.tally.count("vote", status, body)
        self.tally.voted += status == 303

    async def _room(self) -> None:
        """Questions and votes at their rates, each at its planned time (late ones go at once)."""
        started = time.perf_counter()
        plan = sorted(
            [(k / self.qps, "ask", k) for k in range(int(self.seconds * self.qps))]
            + [(k / self.vps, "vote", k) for k in range(int(self.seconds * self.vps))]
        )
        tasks = []
        for at, kind, k in plan:
            delay = started + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._ask(k) if kind == "ask" else self._vote()))
        await asyncio.gather(*tasks)

    # --- the whole run ---

    async def measure(self) -> dict[str, object]:
        import httpx

        self.organiser_cookie, self.csrf = await self._login()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=30) as organiser:
            organiser.headers["Cookie"] = self.organiser_cookie
            opened = await organiser.post(
                f"/organiser/e/{EVENT}/qa/phase",
                data={"_csrf_token": self.csrf, "command_id": uuid.uuid4().hex, "phase": "open", "language": "fr"},
            )
            assert opened.status_code == 303, (opened.status_code, opened.text[:300])
        # Each phone opens the audience page once: its device and CSRF cookies.
        tls = ssl.create_default_context()  # one for all: httpx builds one per client otherwise
        for index in range(self.connections):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=30, verify=tls) as phone:
                page = await phone.get(f"/e/{EVENT}/questions")
                assert page.status_code == 200, page.status_code
                cookie = "; ".join(f"{k}={v}" for k, v in phone.cookies.items())
                self.devices.append(Device(index, self.port, cookie, phone.cookies["perche_csrf"]))

        rss_before = _rss_kib(self.web_pid)
        audience = []
        for start in range(0, self.connections, 50):
            batch = []
            for device in self.devices[start : start + 50]:
                ready = asyncio.Event()
                audience.append(asyncio.create_task(self._audience(device, ready)))
                batch.append(ready)
            await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in batch)), 60)
        await asyncio.sleep(1.0)  # the web's buffers settle before its memory is read again
        rss_after = _rss_kib(self.web_pid)

        board_refresh, queue_refresh = asyncio.Event(), asyncio.Event()
        pool: asyncio.Queue[KeepAlive] = asyncio.Queue()
        for _ in range(8):
            pool.put_nowait(KeepAlive(self.port))
        workers = [
            asyncio.create_task(self._follow(f"/e/{EVENT}/qa/screen/stream", "", board_refresh)),
            asyncio.create_task(self._follow(f"/organiser/e/{EVENT}/qa/stream", self.organiser_cookie, queue_refresh)),
            asyncio.create_task(self._board_fetcher(board_refresh)),
            asyncio.create_task(self._queue_fetcher(queue_refresh)),
            asyncio.create_task(self._moderate(pool)),
        ]
        board_refresh.set()
        queue_refresh.set()
        try:
            started = time.perf_counter()
            await self._room()
            room_seconds = time.perf_counter() - started
            # The last questions: approved and on the projector, or the drain's limit.
            deadline = time.perf_counter() + DRAIN
            while time.perf_counter() < deadline:
                waiting = len(self.seen) < self.tally.asked or len(self.approved_at) < len(self.seen)
                if not waiting and all(self.number_of[q] in self.shown_at for q in self.approved_at):
                    break
                self.shown.clear()
                try:
                    await asyncio.wait_for(self.shown.wait(), 1.0)
                except TimeoutError:
                    board_refresh.set()  # nothing new: the moderator's and projector's next events
                    queue_refresh.set()
            for worker in workers:
                if worker.done() and worker.exception():
                    raise worker.exception()  # type: ignore[misc]
        finally:
            for task in workers + audience:
                task.cancel()
            await asyncio.gather(*workers, *audience, return_exceptions=True)
            for device in self.devices:
                device.http.close()
            while not pool.empty():
                pool.get_nowait().close()
        delays = [
            self.shown_at[self.number_of[q]] - sent
            for q, sent in self.approved_at.items()
            if self.number_of[q] in self.shown_at
        ]
        return {
            "delays": delays,
            "room_seconds": room_seconds,
            "rss_before": rss_before,
            "rss_after": rss_after,
            "missing": len(self.approved_at) - len(delays),
        }


def run_bench_qa(
    connections: int = CONNECTIONS,
    seconds: float = SECONDS,
    questions_per_second: float = QUESTIONS_PER_SECOND,
    votes_per_second: float = VOTES_PER_SECOND,
) -> int:
    """The bench (fewer connections and seconds: the suite's short run, for nothing to rot).
    0: target met; 1: missed; 2: an approved question never reached the projector, or a 5xx."""
    import logging

    from services.kit.nats_server import NatsServer, free_port

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    print(
        f"perche bench qa: {connections} audience streams and a projector, {questions_per_second:g} questions"
        f" and {votes_per_second:g} votes a second for {seconds:g} s, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="perche-bench-qa-") as tmp:
        server = NatsServer(Path(tmp) / "nats").start()
        env = {**os.environ, "PERCHE_NATS_URL": server.url, "PERCHE_DATA_DIR": tmp}
        env.pop("PERCHE_RATE_LIMIT", None)  # the limit as deployed: the room's addresses keep under it
        port = free_port()
        processes = spawn_perche(env, port)
        try:
            wait_http(port, "/api/v1/events")
            asyncio.run(_prepare(server.url))
            run = Run(port, processes[-1].pid, connections, seconds, questions_per_second, votes_per_second)
            results = asyncio.run(run.measure())
        finally:
            stop(processes)
            server.stop()
    tally = run.tally
    delays: list[float] = results["delays"]  # type: ignore[assignment]
    per_connection = (int(results["rss_after"]) - int(results["rss_before"])) / connections  # type: ignore[call-overload]
    print(
        f"\nin {results['room_seconds']:.1f} s: {tally.asked} questions asked, {len(run.approved_at)} approved,"
        f" {len(delays)} shown on the projector; {tally.voted} votes cast"
    )
    if tally.asked > len(run.approved_at):
        print(f"asked but not yet approved {DRAIN:g} s after the room stopped: {tally.asked - len(run.approved_at)}")
    refused = sum(tally.reasons.values())
    print(f"refused: {refused}" + "".join(f"\n  {n:6} {reason}" for reason, n in sorted(tally.reasons.items())))
    if tally.no_question_to_vote:
        print(f"votes not sent (the device had voted for every question on the board): {tally.no_question_to_vote}")
    print(
        f"projector: {run.board_fetches} board fetches; moderator: {run.queue_fetches} queue fetches;"
        f" audience: {tally.audience_events} events on {connections} streams"
        f" ({tally.audience_events / connections:.0f} each); streams reopened: {tally.reconnects}"
    )
    print(
        f"web memory: {int(results['rss_before']) / 1024:.1f} MiB before the room's streams,"  # type: ignore[call-overload]
        f" {int(results['rss_after']) / 1024:.1f} MiB after: {per_connection:.1f} KiB a connection"  # type: ignore[call-overload]
    )
    rows = [
        ("approval sent → projector shows it", delays),
        ("approval POST → 303", tally.replies["approve"]),
        ("question POST → reply", tally.replies["ask"]),
        ("vote POST → reply", tally.replies["vote"]),
    ]
    print(f"\n{'':38}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, values in rows:
        print(
            f"{label:38}{_percentile(values, 0.5):>9.1f}{_percentile(values, 0.95):>9.1f}"
            f"{_percentile(values, 0.99):>9.1f}{max(values, default=0) * 1000:>9.1f}"
        )
    errors = tally.server_errors()
    if results["missing"] or errors:
        print(f"\nINCORRECT: {results['missing']} approved questions never on the projector, {errors} 5xx replies")
        return 2
    print("\nevery approved question reached the projector; no 5xx")
    p95 = _percentile(delays, 0.95)
    met = p95 < TARGET_P95_MS
    print(f"target: approval → projector p95 {p95:.1f} ms < {TARGET_P95_MS:.0f} ms: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(run_bench_qa())
