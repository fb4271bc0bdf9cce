"""`perche bench ical`: how long a 500-session feed takes to build, and how cheaply an
unchanged feed is answered, against a bare Litestar endpoint measured in the same run.

- build: the feed builder alone on a 500-session agenda (target: under 50 ms), next
  to the same feed made the naive way with `icalendar` objects, for reference;
- conditional GETs: the real web app in its own process (with the catalog, registration
  and schedule services in theirs, on an embedded nats-server), with one extra route,
  a bare endpoint, registered on the very same app, so both go through the same server
  and middleware. One keep-alive HTTP client in this process alternates between them.
  Target: a 304 for an unchanged feed at no less than 0.7 of the bare endpoint's rate.
  The web process's CPU time per request is shown as well, since the client may be the
  limit on a small machine;
- the feed is served from memory until the agenda changes: the schedule service's own
  request counters ($SRV.STATS) show how many feeds the web had to fetch.
"""

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from services.bench.load import cpu_seconds, http_request, load, spawn, stop, wait_http

CONNECTIONS = 32
SESSIONS = 500
EVENT = "bench-ical"
BARE = "/bench/bare"
TARGET_BUILD_MS = 50.0
TARGET_RATIO = 0.7


# --- the agenda ---


def bench_spec() -> Any:
    """A three-day event with 500 sessions in six rooms, without any conflict."""
    from schemas.catalog import Category, EventSpec, RoomSpec, SessionSpec, SpeakerSpec, Venue

    rooms = [
        RoomSpec(id=f"salle-{i}", name=f"Salle {i} — « Les Épis »", location="1er étage, aile nord") for i in range(6)
    ]
    speakers = [SpeakerSpec(id=f"p{i}", name=f"Intervenant·e n° {i}, Chambre d'agriculture") for i in range(80)]
    sessions = []
    for n in range(SESSIONS):
        slot, room = divmod(n, len(rooms))
        day, index = divmod(slot, 28)
        starts = datetime(2030, 6, 10 + day, 8, 0) + timedelta(minutes=25 * index)
        sessions.append(
            SessionSpec(
                id=f"session-{n}",
                title=f"Atelier {n} : données, capteurs; et météo de la parcelle",
                title_en=f"Workshop {n}: data, sensors; and field weather",
                kind="workshop",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=20),
                room=rooms[room].id,
                speakers=[speakers[(slot * len(rooms) + room) % len(speakers)].id],
                audience="participants" if n % 3 else "everyone",
                description="Une présentation concrète, avec des exemples, des questions et un temps d'échange. " * 2,
            )
        )
    return EventSpec(
        slug=EVENT,
        title="Bench iCal",
        kind="hackathon",
        starts_at=datetime(2030, 6, 10, 8, 0),
        ends_at=datetime(2030, 6, 12, 20, 0),
        venue=Venue(name="École du numérique", address="Place de l'Hôtel de Ville, 28240 La Loupe"),
        categories=[Category(id="participant", name="Participant", capacity=100_000, default=True)],
        rooms=rooms,
        speakers=speakers,
        sessions=sessions,
    )


def _released_agenda(spec: Any) -> tuple[Any, Any]:
    from schemas.schedule import Agenda
    from services.catalog.rules import normalise
    from services.schedule.rules import apply_edits, import_edits, stamp

    event = normalise(spec)
    draft = apply_edits(Agenda(), import_edits(Agenda(), event))
    agenda, _ = stamp(None, draft, datetime.now(UTC).replace(microsecond=0))
    return event, agenda


def _naive_icalendar(event: Any, agenda: Any) -> bytes:
    """The same feed built property by property with `icalendar` objects, for reference."""
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Perche//Agenda//FR")
    calendar.add("version", "2.0")
    rooms = {r.id: r for r in agenda.rooms}
    for s in agenda.sessions:
        item = Event()
        item.add("uid", f"{s.id}.{event.slug}@perche")
        item.add("sequence", s.sequence)
        item.add("dtstamp", s.updated_at)
        item.add("dtstart", s.starts_at.astimezone(zone))
        item.add("dtend", s.ends_at.astimezone(zone))
        item.add("summary", s.title)
        item.add("location", f"{rooms[s.room].name}, {event.venue.name}, {event.venue.address}")
        item.add("description", s.description)
        item.add("url", f"http://localhost/e/{event.slug}/agenda#s-{s.id}")
        item.add("status", "CANCELLED" if s.cancelled else "CONFIRMED")
        calendar.add_component(item)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def build_times(runs: int = 30) -> dict[str, float]:
    from services.schedule.ical import build_calendar, vtimezone

    event, agenda = _released_agenda(bench_spec())

    def once() -> float:
        started = time.perf_counter()
        build_calendar(
            event,
            agenda,
            agenda.sessions,
            name=event.title,
            language="fr",
            base_url="http://localhost",
            released_at=datetime.now(UTC),
        )
        return (time.perf_counter() - started) * 1000

    vtimezone.cache_clear()
    first = once()
    times = sorted(once() for _ in range(runs))
    naive = []
    for _ in range(5):
        started = time.perf_counter()
        _naive_icalendar(event, agenda)
        naive.append((time.perf_counter() - started) * 1000)
    return {
        "first": first,
        "median": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
        "naive": statistics.median(naive),
    }


# --- the web process: the real app, plus a bare endpoint on it ---


async def _serve(port: int) -> None:
    import uvicorn
    from litestar import Response, get

    from schemas.subjects import Web
    from services.kit.connection import connect
    from services.kit.kv import bucket, shared_secret
    from services.kit.settings import Settings
    from services.web.app import build_app
    from services.web.gateway import Gateway

    @get(BARE, exclude_from_csrf=True, include_in_schema=False)
    async def bare() -> Response[bytes]:
        return Response(b"ok", media_type="text/plain")

    settings = Settings()
    nc = await connect(os.environ["PERCHE_NATS_URL"], "bench-web")
    secret = await shared_secret(await bucket(nc.jetstream(), Web.SECRETS_BUCKET), "session")
    app = build_app(Gateway(nc, ""), secret, settings)
    app.register(bare)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, log_config=None)
    await uvicorn.Server(config).serve()


# --- the load ---


def _http(
    port: int, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One plain request with the standard library (a 304 is an answer, not an error)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


async def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.to_thread(_http, port, path, headers or {})


async def _feed_requests(nc: Any) -> int:
    """How many feed builds the schedule service was asked for (its $SRV.STATS counters)."""
    reply = await nc.request("$SRV.STATS.schedule", b"", timeout=2)
    stats = json.loads(reply.data)
    return sum(
        e.get("num_requests", 0) for e in stats.get("endpoints", []) if e.get("subject") == "perche.schedule.q.feed"
    )


async def _conditional(port: int, web_pid: int, seconds: float) -> dict[str, Any]:
    from schemas.catalog import DefineEvent, EventDefinedReply
    from schemas.subjects import Catalog
    from services.kit.client import call
    from services.kit.connection import connect

    nc = await connect(os.environ["PERCHE_NATS_URL"], "bench-loader")
    results: dict[str, Any] = {}
    try:
        await call(
            nc, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=bench_spec()), EventDefinedReply
        )
        feed = f"/e/{EVENT}/calendar.ics"
        for _ in range(400):  # the schedule service imports and releases the file's agenda
            status, headers, body = await _get(port, f"/api/v1/events/{EVENT}/agenda")
            if status == 200 and b'"version":1' in body:
                break
            await asyncio.sleep(0.05)
        started = time.perf_counter()
        status, headers, body = await _get(port, feed)
        results["first_get_ms"] = (time.perf_counter() - started) * 1000
        results["feed_bytes"] = len(body)
        assert status == 200, f"the feed answered {status}"
        etag = headers["etag"]

        registration = {"name": "Bench", "email": "bench@example.org", "consent": True}
        _, _, answer = await asyncio.to_thread(
            _http,
            port,
            f"/api/v1/events/{EVENT}/registrations",
            {"Content-Type": "application/json"},
            json.dumps(registration).encode(),
        )
        made = json.loads(answer)
        personal = "/" + made["calendar_url"].split("://", 1)[1].split("/", 1)[1]
        _, personal_headers, _ = await _get(port, personal)

        kinds = {
            "bare": (BARE, {}),
            "304": (feed, {"If-None-Match": etag}),
            "304 personal": (personal, {"If-None-Match": personal_headers["etag"]}),
            "200 cached": (feed, {}),
        }
        fetched_before = await _feed_requests(nc)
        totals = {k: [0, 0.0, 0.0, {}] for k in kinds}
        for _round in range(2):
            for kind, (path, extra) in kinds.items():
                cpu = cpu_seconds(web_pid)
                request = http_request("GET", port, path, extra)
                result = await load(port, lambda _i, r=request: r, seconds / 2, CONNECTIONS)  # type: ignore[misc]
                count, elapsed, statuses = result.count, result.elapsed, result.statuses
                totals[kind][0] += count
                totals[kind][1] += elapsed
                totals[kind][2] += cpu_seconds(web_pid) - cpu
                for code, n in statuses.items():
                    totals[kind][3][code] = totals[kind][3].get(code, 0) + n
        results["rates"] = {
            k: {"rate": v[0] / v[1], "cpu_us": v[2] * 1e6 / max(v[0], 1), "statuses": v[3]} for k, v in totals.items()
        }
        results["fetched_during_load"] = await _feed_requests(nc) - fetched_before
        # A change: the next request gets the new feed, fetched once, then served from memory again.
        spec = bench_spec()
        moved = [
            msgspec.structs.replace(s, title=s.title + " (déplacé)") if s.id == "session-0" else s
            for s in spec.sessions
        ]
        await call(
            nc,
            Catalog.DEFINE_EVENT,
            DefineEvent(command_id=uuid.uuid4().hex, spec=msgspec.structs.replace(spec, sessions=moved)),
            EventDefinedReply,
        )
        before = await _feed_requests(nc)
        for _ in range(400):
            status, headers, _ = await _get(port, feed, {"If-None-Match": etag})
            if status == 200:
                break
            await asyncio.sleep(0.05)
        for _ in range(20):
            await _get(port, feed, {"If-None-Match": headers["etag"]})
        results["fetched_after_change"] = await _feed_requests(nc) - before
        results["changed"] = status == 200 and headers["etag"] != etag
    finally:
        await nc.drain()
    return results


def run_bench_ical(seconds: float) -> int:
    from services.kit.nats_server import NatsServer, free_port

    print(f"perche bench ical: {SESSIONS} sessions, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    build = build_times()
    print(
        f"feed build, {SESSIONS} sessions: median {build['median']:.1f} ms, p95 {build['p95']:.1f} ms, "
        f"first (zone rules not cached yet) {build['first']:.1f} ms   (target < {TARGET_BUILD_MS:.0f} ms)"
    )
    print(f"the same feed with icalendar objects, for reference: median {build['naive']:.1f} ms")

    with tempfile.TemporaryDirectory(prefix="perche-bench-ical-") as tmp:
        server = NatsServer(Path(tmp) / "nats").start()
        env = {**os.environ, "PERCHE_NATS_URL": server.url, "PERCHE_RATE_LIMIT": "0", "PERCHE_DATA_DIR": tmp}
        os.environ["PERCHE_NATS_URL"] = server.url
        port = free_port()
        commands = [
            ["-m", "services.cli", "service", "catalog"],
            ["-m", "services.cli", "service", "registration"],
            ["-m", "services.cli", "service", "schedule"],
            ["-m", "services.bench.ical", "serve", str(port)],
        ]
        processes = [spawn(args, env) for args in commands]
        try:
            wait_http(port, BARE)
            wait_http(port, "/api/v1/events")  # the catalog answers: the event can be defined
            results = asyncio.run(_conditional(port, processes[-1].pid, seconds))
        finally:
            stop(processes)
            server.stop()

    rates = results["rates"]
    bare = rates["bare"]
    first, size = results["first_get_ms"], results["feed_bytes"]
    print(f"first GET after a release (build + NATS + web): {first:.1f} ms, {size} bytes")
    print(f"\nconditional GETs, {CONNECTIONS} keep-alive connections, {seconds:.1f} s each, alternating:")
    print(f"{'':44}{'req/s':>9}{'ratio':>8}{'web CPU µs/req':>16}")
    labels = {
        "bare": "bare Litestar endpoint (same app)",
        "304": "public feed, If-None-Match -> 304",
        "304 personal": "personal feed, If-None-Match -> 304",
        "200 cached": f"public feed, 200 from memory ({results['feed_bytes'] // 1024} KB)",
    }
    for kind, label in labels.items():
        row = rates[kind]
        print(
            f"{label:44}{row['rate']:>9.0f}{row['rate'] / bare['rate']:>8.2f}{row['cpu_us']:>16.0f}   {row['statuses']}"
        )
    print(f"feeds the web fetched from the schedule service during the load: {results['fetched_during_load']}")
    print(
        f"after the event file changed: new feed served: {results['changed']}; fetched "
        f"{results['fetched_after_change']} time(s) over 21+ requests (the new definition and the release it "
        "triggers are one version each)"
    )
    ratio = rates["304"]["rate"] / bare["rate"]
    met_build = build["median"] < TARGET_BUILD_MS
    met_ratio = ratio >= TARGET_RATIO
    print(
        f"\ntargets: build {build['median']:.1f} ms < {TARGET_BUILD_MS:.0f} ms: {'met' if met_build else 'MISSED'}; "
        f"304 at {ratio:.2f} of bare >= {TARGET_RATIO}: {'met' if met_ratio else 'MISSED'}"
    )
    return 0 if met_build and met_ratio and results["fetched_during_load"] == 0 else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(_serve(int(sys.argv[2])))
    else:
        sys.exit(run_bench_ical(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0))
