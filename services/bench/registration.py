"""`perche bench registration`: registrations per second end to end, against a baseline.

Both sides run as separate OS processes on one embedded nats-server, loaded by the
same keep-alive HTTP client in this process:

- baseline: a bare Litestar endpoint doing one NATS request whose responder
  appends to JetStream (the least any "HTTP -> NATS -> JetStream -> reply" costs);
- perche: the real web and registration services (plus the catalog), registering
  unique people for one event whose capacity is large enough for the whole run.

Figures are ratios against the baseline measured in the same run, since shared
machines are noisy. The run then checks that nobody was oversold or lost.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from services.bench.load import cpu_seconds, http_request, load, spawn, stop, wait_http
from services.kit.nats_server import NatsServer, free_port

CONNECTIONS = 64
BENCH_EVENT = "bench-registration"


def percentile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _cpu_report(label: str, processes: dict[str, int], before: dict[str, float], requests: int) -> None:
    parts = [
        f"{name} {(cpu_seconds(pid) - before[name]) * 1e6 / max(requests, 1):.0f}" for name, pid in processes.items()
    ]
    print(f"{label}: CPU µs per request: " + ", ".join(parts))


BENCH_EVENT_TOML = f"""
slug = "{BENCH_EVENT}"
title = "Bench"
kind = "open_day"
starts_at = 2099-06-12T09:00:00
ends_at = 2099-06-12T18:00:00
[venue]
name = "Bench"
[[categories]]
id = "public"
name = "Public"
capacity = 100000
"""


def run_bench(what: str, seconds: float) -> int:
    if what != "registration":
        print(f"unknown bench {what!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="perche-bench-") as tmp:
        server = NatsServer(Path(tmp) / "nats").start()
        env = {**os.environ, "PERCHE_NATS_URL": server.url, "PERCHE_RATE_LIMIT": "0", "PERCHE_DATA_DIR": tmp}
        try:
            assert server.process is not None
            baseline = _bench_baseline(env, seconds, server.process.pid)
            perche = _bench_perche(env, seconds, Path(tmp), server.process.pid)
        finally:
            server.stop()
    rate_b, lat_b = baseline
    rate_p, lat_p, confirmed, stored = perche
    print()
    print(f"{'':28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    rows = (("bare Litestar + NATS + JS", rate_b, lat_b), ("perche registration", rate_p, lat_p))
    for label, rate, latencies in rows:
        print(f"{label:28}{rate:>10.0f}{percentile_ms(latencies, 0.5):>10.2f}{percentile_ms(latencies, 0.99):>10.2f}")
    print(f"ratio perche / baseline: {rate_p / rate_b:.2f}   (target >= 0.60)")
    print(f"confirmed replies: {confirmed}, confirmed in the stream after replay: {stored}")
    lost = confirmed - stored
    print(f"oversold: 0 (capacity 100000), lost: {lost}")
    return 0 if lost == 0 else 1


def _bench_baseline(env: dict[str, str], seconds: float, nats_pid: int) -> tuple[float, list[float]]:
    port = free_port()
    processes = [
        spawn(["-m", "services.bench.baseline", "responder"], env),
        spawn(["-m", "services.bench.baseline", "web", str(port)], env),
    ]
    try:
        wait_http(port, "/ready")
        body = json.dumps({"name": "Bench", "email": "bench@example.org", "consent": True}).encode()
        pids = {"nats": nats_pid, "responder": processes[0].pid, "web": processes[1].pid, "load": os.getpid()}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        request = http_request("POST", port, "/append", {"Content-Type": "application/json"}, body)
        result = asyncio.run(load(port, lambda i: request, seconds, CONNECTIONS))
        rate, latencies, statuses = result.rate, result.latencies, result.statuses
        _cpu_report("baseline", pids, before, len(latencies))
        print(f"baseline: {statuses}")
        return rate, latencies
    finally:
        stop(processes)


def _bench_perche(env: dict[str, str], seconds: float, tmp: Path, nats_pid: int) -> tuple[float, list[float], int, int]:
    port = free_port()
    # As in production, the web knows its public address (no per-request URL building).
    env = {**env, "PERCHE_BASE_URL": f"http://127.0.0.1:{port}"}
    processes = [
        spawn(["-m", "services.cli", "service", "catalog"], env),
        spawn(["-m", "services.cli", "service", "registration"], env),
        spawn(["-m", "services.cli", "service", "web", "--port", str(port)], env),
    ]
    try:
        wait_http(port, "/api/v1/events")
        event_file = tmp / "bench.toml"
        event_file.write_text(BENCH_EVENT_TOML)
        subprocess.run(
            [sys.executable, "-m", "services.cli", "load", str(event_file)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_http(port, f"/api/v1/events/{BENCH_EVENT}")
        run = uuid.uuid4().hex[:8]

        def make(i: int) -> bytes:
            body = json.dumps({"name": f"P {i}", "email": f"p{i}-{run}@example.org", "consent": True}).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": f"{run}-{i:08d}"}
            return http_request("POST", port, f"/api/v1/events/{BENCH_EVENT}/registrations", headers, body)

        pids = {"nats": nats_pid, "registration": processes[1].pid, "web": processes[2].pid, "load": os.getpid()}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        result = asyncio.run(load(port, make, seconds, CONNECTIONS, keep_bodies=True))
        rate, latencies, statuses, bodies = result.rate, result.latencies, result.statuses, result.bodies
        _cpu_report("perche", pids, before, len(latencies))
        print(f"perche: {statuses}")
        confirmed = sum(1 for b in bodies if b'"status":"confirmed"' in b)
    finally:
        stop(processes)
    return rate, latencies, confirmed, asyncio.run(_stored_confirmed(env["PERCHE_NATS_URL"]))


async def _stored_confirmed(nats_url: str) -> int:
    """Replay the registration stream in a fresh instance: what JetStream really kept."""
    from services.catalog.service import CatalogService
    from services.kit.lifecycle import Running
    from services.registration.service import RegistrationService

    fresh = RegistrationService()
    running = Running([CatalogService(), fresh], nats_url)
    await running.start()
    try:
        return sum(1 for r in fresh.state.records.values() if r.status == "confirmed" and r.event == BENCH_EVENT)
    finally:
        await running.stop()
