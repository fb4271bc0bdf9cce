"""What every `perche bench` shares: a keep-alive HTTP load generator, the processes
measured (started, stopped) and their CPU time.

The load generator speaks just enough HTTP/1.1 over asyncio streams to cost far
less per request than the servers it measures.
"""

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def http_request(method: str, port: int, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"] + [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One keep-alive response: its status and body (sized by Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, start = 0, head.lower().find(b"\r\ncontent-length:")
    if start >= 0:
        length = int(head[start + 17 : head.index(b"\r\n", start + 2)])
    return status, await reader.readexactly(length) if length and status not in (204, 304) else b""


@dataclass
class LoadResult:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: list[bytes] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def _worker(
    port: int, make: Callable[[int], bytes], deadline: float, counter: list[int], result: LoadResult, keep_bodies: bool
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            counter[0] += 1
            started = time.perf_counter()
            writer.write(make(counter[0]))
            status, body = await read_response(reader)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if keep_bodies:
                result.bodies.append(body)
    finally:
        writer.close()


async def load(
    port: int, make: Callable[[int], bytes], seconds: float, connections: int, keep_bodies: bool = False
) -> LoadResult:
    """`connections` keep-alive clients send `make(i)` requests back to back for `seconds`."""
    result, counter = LoadResult(), [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_worker(port, make, deadline, counter, result, keep_bodies) for _ in range(connections)))
    result.elapsed = time.perf_counter() - started
    return result


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as reply:
                if reply.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}{path}")


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python args...` as a process of its own, quiet: its output would be measured too."""
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def spawn_perche(env: dict[str, str], web_port: int) -> list[subprocess.Popen[bytes]]:
    """Every backend service and the web (last), each a process of its own, as in production."""
    from services.cli.hosting import BACKEND

    commands = [["-m", "services.cli", "service", name] for name in BACKEND]
    commands.append(["-m", "services.cli", "service", "web", "--port", str(web_port)])
    return [spawn(args, env) for args in commands]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every process to end, then wait for each (killed after 10 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
