"""`perche bench live`: how soon the organiser's live standings follow a juror's score.

An embedded nats-server, every service and the real web app in their own processes; this
process is one organiser (the results page's stream, `/organiser/e/{slug}/standings/stream`,
open the whole time) and 100 jurors, each with their own scoring link and session, who score
at the same moment, one criterion per round. For every score it measures:

- its reply: the juror's POST until its `303` (web → NATS → judging → JetStream ack → reply);
- reply → stream event: from that reply to the organiser's first `change` that surely covers it
  (judging announces before it replies, so an event may come first: then 0);
- submitted → standings fetched: from the POST sent to the standings fragment (`?part=standings`)
  fetched after that event, as the page's script does: what the organiser sees.

Events coalesce (one pending change says it all), so one fetch may cover many scores. Target: the
last one's p99 under 200 ms. The organiser and each juror's first page use httpx (the `test`
extra); the scores go through the light keep-alive client of `load`, which costs the two cores far
less than the servers it measures. Scoring starts once notify has written the jurors' mails.
"""

import asyncio
import os
import re
import ssl
import sys
import tempfile
import time
import uuid
from bisect import bisect_left
from pathlib import Path
from urllib.parse import urlencode

import msgspec
from nats.aio.client import Client

from services.bench.load import http_request, read_response, spawn_perche, stop, wait_http

JURORS = 100
TEAMS = 10
EVENT = "bench-live"
EMAIL, PASSWORD = "bench-live@example.org", "bench-live-password-2027"
TARGET_P99_MS = 200.0
DEMO = Path(__file__).resolve().parents[2] / "events" / "hackathon-comice-2027.toml"
QUIET = 1.0  # after a round's replies, the stream is over once it says nothing for this long


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def _prepare(nats_url: str, jurors: int) -> tuple[str, list[str], list[str]]:
    """The bench event (the demo hackathon, room for 100 jurors), its teams, its jurors and an organiser."""
    from schemas.catalog import CreateOrganiser, DefineEvent, EventDefinedReply, OrganiserReply
    from schemas.event_file import decode_event_toml
    from schemas.registration import Register, RegistrationView
    from schemas.subjects import Catalog, Registration, Teams
    from schemas.teams import CreateTeam, TeamList
    from services.kit.client import call
    from services.kit.connection import connect

    spec = decode_event_toml(DEMO.read_bytes())  # noqa: ASYNC240 (one small file, before the measure)
    categories = [
        msgspec.structs.replace(c, capacity=jurors) if spec.audience_of(c.id) == "jurors" else c
        for c in spec.categories
    ]
    juror_category = next(c.id for c in categories if spec.audience_of(c.id) == "jurors")
    spec = msgspec.structs.replace(spec, slug=EVENT, categories=categories)
    nc = await connect(nats_url, "bench-live")
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=EMAIL, password=PASSWORD)
        organiser = (await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)).organiser_id
        await call(nc, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)
        teams = []
        for t in range(TEAMS):
            team = CreateTeam(
                command_id=uuid.uuid4().hex, event=EVENT, team_id=f"equipe-{t}", name=f"Équipe {t}", by_organiser="o"
            )
            await call(nc, Teams.CREATE, team, TeamList)
            teams.append(f"equipe-{t}")
        for j in range(jurors):
            register = Register(
                command_id=uuid.uuid4().hex,
                event=EVENT,
                name=f"Juré {j}",
                email=f"jure{j}@example.org",
                consent=True,
                category=juror_category,
                by_organiser=organiser,
            )
            await call(nc, Registration.REGISTER, register, RegistrationView)
        await _mails_written(nc)
    finally:
        await nc.drain()
    return organiser, teams, [c.id for c in spec.criteria]


async def _mails_written(nc: Client) -> None:
    """Until notify has written the jurors' confirmations: on the day they were written long
    before, and their QR codes would be measured with the scores."""
    from schemas.subjects import Notify, stream_name

    js = nc.jetstream()
    for _ in range(600):
        info = await js.consumer_info(stream_name("registration"), Notify.REGISTRATION_CONSUMER)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.1)  # polled: notify announces nothing when its queue is empty
    raise RuntimeError("notify still had confirmations to write after 60 s")


async def _measure(port: int, teams: list[str], criteria: list[str], jurors: int) -> dict[str, list[float]]:
    import httpx

    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=jurors + 10)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as organiser:
        token = (await organiser.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})).json()
        organiser.headers["Authorization"] = f"Bearer {token['token']}"
        jury = await organiser.get(f"/organiser/e/{EVENT}/jury/")
        links = [
            httpx.URL(value).raw_path.decode() for value in re.findall(r'id="link-[^"]+" value="([^"]+)"', jury.text)
        ]
        assert len(links) == jurors, (jury.status_code, len(links))
        # Each juror opens their sheet once (their session and CSRF cookies), then posts on a
        # keep-alive connection of their own through the light client of `load`: an httpx
        # request costs the machine about 2 ms, which the servers would be measured with.
        tls = ssl.create_default_context()  # one for all: httpx builds one per client otherwise
        tokens, cookies, connections = [], [], []
        for index, link in enumerate(links):
            path, _, query = link.partition("?")
            async with httpx.AsyncClient(base_url=base, timeout=30, verify=tls) as client:
                page = await client.get(f"{path}/{teams[index % TEAMS]}?{query}&c={criteria[0]}")
                tokens.append(re.findall(r'name="_csrf_token" value="([^"]+)"', page.text)[0])
                cookies.append("; ".join(f"{name}={value}" for name, value in client.cookies.items()))
            connections.append(await asyncio.open_connection("127.0.0.1", port))

        # (event read, fragment fetched) for every `change` the organiser's page receives.
        updates: list[tuple[float, float]] = []
        ready = asyncio.Event()

        async def follow() -> None:
            async with organiser.stream("GET", f"/organiser/e/{EVENT}/standings/stream") as stream:
                async for line in stream.aiter_lines():
                    if line == "event: ready":
                        ready.set()
                    elif line == "event: change":
                        seen = time.perf_counter()
                        fragment = await organiser.get(f"/organiser/e/{EVENT}/results/", params={"part": "standings"})
                        assert fragment.status_code == 200
                        updates.append((seen, time.perf_counter()))

        follower = asyncio.create_task(follow())
        await asyncio.wait_for(ready.wait(), 10)
        replies, to_event, to_update = [], [], []
        refusals: list[str] = []
        try:
            for criterion in criteria:

                async def give(index: int, criterion: str = criterion) -> tuple[float, float]:
                    """One juror's score; refused as « unavailable » (too many at once), sent again with
                    the same command id, as the page's script does: its time counts from the first send."""
                    path, _, query = links[index].partition("?")
                    form = {
                        "_csrf_token": tokens[index],
                        "criterion": criterion,
                        "points": "3",
                        "command_id": uuid.uuid4().hex,
                    }
                    body = urlencode(form).encode()
                    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies[index]}
                    request = http_request("POST", port, f"{path}/{teams[index % TEAMS]}?{query}", headers, body)
                    reader, writer = connections[index]
                    sent = time.perf_counter()
                    for _ in range(20):
                        writer.write(request)
                        status, page = await read_response(reader)
                        if status == 303:
                            return sent, time.perf_counter()
                        refusals.append((re.findall(r'role="alert">([^<]*)', page.decode()) or [str(status)])[0])
                    raise AssertionError(f"a score refused 20 times: {refusals[-1]}")

                done = await asyncio.gather(*(give(i) for i in range(jurors)))
                while True:  # the stream has told everything once it stays quiet
                    count = len(updates)
                    await asyncio.sleep(QUIET)
                    if len(updates) == count:
                        break
                seen = [u[0] for u in updates]
                for sent, replied in done:
                    after = bisect_left(seen, replied)
                    if after < len(updates):
                        event, fetched = updates[after]
                    else:  # the last change came before this reply (judging announces first)
                        event, fetched = updates[-1]
                        assert event >= sent, "no stream event after a score"
                    replies.append(replied - sent)
                    to_event.append(max(0.0, event - replied))
                    to_update.append(fetched - sent)
            standings = (await organiser.get(f"/api/v1/events/{EVENT}/standings")).json()
            given = sum(juror["given"] for juror in standings["jurors"])
            assert given == jurors * len(criteria), f"{given} scores stored, not {jurors * len(criteria)}"
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
            for _, writer in connections:
                writer.close()
    reasons = ", ".join(sorted({r for r in refusals if r})) or "none"
    print(f"scores refused then sent again: {len(refusals)} ({reasons})")
    return {"reply": replies, "event": to_event, "update": to_update, "fetches": [float(len(updates))]}


def run_bench_live(jurors: int = JURORS) -> int:
    """The bench with `jurors` scoring at once (fewer: the suite's short run, for nothing to rot)."""
    import logging

    from services.kit.nats_server import NatsServer, free_port

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    print(f"perche bench live: {jurors} jurors scoring at once, {TEAMS} teams, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="perche-bench-live-") as tmp:
        server = NatsServer(Path(tmp) / "nats").start()
        env = {**os.environ, "PERCHE_NATS_URL": server.url, "PERCHE_RATE_LIMIT": "0", "PERCHE_DATA_DIR": tmp}
        port = free_port()
        processes = spawn_perche(env, port)
        try:
            wait_http(port, "/api/v1/events")
            _, teams, criteria = asyncio.run(_prepare(server.url, jurors))
            results = asyncio.run(_measure(port, teams, criteria, jurors))
        finally:
            stop(processes)
            server.stop()
    rows = [
        ("score reply (POST → 303)", results["reply"]),
        ("reply → organiser's stream event", results["event"]),
        ("submitted → standings fetched", results["update"]),
    ]
    print(
        f"\n{len(results['reply'])} scores in {len(criteria)} rounds of {jurors}; {int(results['fetches'][0])} fetches"
    )
    print(f"{'':36}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, values in rows:
        print(f"{label:36}{_percentile(values, 0.5):>9.1f}{_percentile(values, 0.99):>9.1f}{max(values) * 1000:>9.1f}")
    p99 = _percentile(results["update"], 0.99)
    met = p99 < TARGET_P99_MS
    live = _percentile(results["event"], 0.99)
    print(
        f"\ntarget: submitted → standings p99 {p99:.1f} ms < {TARGET_P99_MS:.0f} ms: {'met' if met else 'MISSED'}"
        f" (the live part alone, reply → stream event: p99 {live:.1f} ms)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(run_bench_live())
