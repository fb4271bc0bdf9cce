"""What every service has in common: a name, a start on a NATS connection, a clean stop."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from nats.aio.client import Client

from services.kit.connection import connect

log = logging.getLogger("perche")

T = TypeVar("T")


class Service(Protocol):
    name: str

    async def start(self, nc: Client) -> None: ...

    async def stop(self) -> None: ...


class Running:
    """A set of services, each on its own NATS connection, as if in separate processes.

    `nats_url` is one URL for all, or gives each service's own (its NATS user, as in production).
    """

    def __init__(self, services: list[Service], nats_url: str | Callable[[str], str]) -> None:
        self.services = services
        self.nats_url = nats_url
        self._connections: list[Client] = []
        self._started: list[Service] = []

    async def start(self) -> None:
        for service in self.services:
            url = self.nats_url if isinstance(self.nats_url, str) else self.nats_url(service.name)
            nc = await connect(url, service.name)
            self._connections.append(nc)
            await service.start(nc)
            self._started.append(service)
            log.info("service %s started", service.name)

    async def stop(self) -> None:
        # Only what did start: a service that failed half-way must not hide why behind its stop().
        for service in reversed(self._started):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        for nc in self._connections:
            with contextlib.suppress(Exception):
                await nc.drain()
        self._connections.clear()
        self._started.clear()


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on uvloop where it is installed (it roughly halves per-message overhead)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
