"""Live pages: server-sent events telling an open page that its event changed.

Each web instance subscribes to an event's NATS subjects (the services' stored
events, their announcements) only while a page listens to them, so an instance
nobody watches receives nothing. A burst of changes (a queue at the door) is
told as one `change`, then at most one more per `min_interval`: the page fetches
itself again, whatever changed.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from typing import Any

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.response import ServerSentEvent, ServerSentEventMessage
from nats.aio.client import Client

from services.web.gateway import Gateway

STREAM_LIFETIME = 60.0  # a stream ends after this (EventSource reconnects), so shutdowns wait little
KEEPALIVE = 15.0
_STOP = "stop"
_CHANGE = "change"


class Live:
    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.stopping = False
        # subject -> (its subscription, the queues of the pages listening to it)
        self._subjects: dict[str, tuple[Any, set[asyncio.Queue[str]]]] = {}
        self._lock = asyncio.Lock()
        # Set while no page listens (nothing subscribed): a stopping test or bench can wait for it.
        self.idle = asyncio.Event()
        self.idle.set()

    async def listen(self, subjects: tuple[str, ...]) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)  # one pending change says it all
        async with self._lock:
            new = [subject for subject in subjects if subject not in self._subjects]
            for subject in new:
                self._subjects[subject] = (await self.nc.subscribe(subject, cb=self._told(subject)), set())
            for subject in subjects:
                self._subjects[subject][1].add(queue)
            self.idle.clear()
            if new:
                await self.nc.flush()  # the server has the subscriptions: `ready` means nothing is missed
        return queue

    async def forget(self, subjects: tuple[str, ...], queue: asyncio.Queue[str]) -> None:
        async with self._lock:
            for subject in subjects:
                known = self._subjects.get(subject)
                if known is None:
                    continue
                known[1].discard(queue)
                if not known[1]:
                    del self._subjects[subject]
                    with contextlib.suppress(Exception):  # the connection may be closing already
                        await known[0].unsubscribe()
            if not self._subjects:
                self.idle.set()

    def listening(self) -> int:
        """How many subjects this instance subscribed to for live pages (0 when none is open)."""
        return len(self._subjects)

    def _told(self, subject: str) -> Any:
        async def tell(_msg: Any) -> None:
            for queue in list(self._subjects.get(subject, ((), set()))[1]):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(_CHANGE)

        return tell

    def stream(self, slug: str, subjects: tuple[str, ...], min_interval: float = 0.0) -> ServerSentEvent:
        """`ready`, then `change` each time one of the subjects carries a message; comments keep the line open."""

        async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
            queue = await self.listen(subjects)
            ends = time.monotonic() + STREAM_LIFETIME
            try:
                yield ServerSentEventMessage(event="ready", data=slug, retry=5000)
                while time.monotonic() < ends and not self.stopping:
                    try:
                        told = await asyncio.wait_for(queue.get(), KEEPALIVE)
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keepalive")
                        continue
                    if told == _STOP:
                        return  # this instance is stopping: the page reconnects, elsewhere if need be
                    yield ServerSentEventMessage(event=_CHANGE, data=slug)
                    if min_interval:
                        await asyncio.sleep(min_interval)  # what comes meanwhile waits in the queue as one
            finally:
                await self.forget(subjects, queue)

        return ServerSentEvent(events(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    def end_streams(self) -> None:
        """Before the server stops: live streams end now rather than hold the shutdown."""
        self.stopping = True
        for _subscription, queues in self._subjects.values():
            for queue in queues:
                if queue.full():
                    queue.get_nowait()  # the pending change no longer matters
                queue.put_nowait(_STOP)


def end_streams(app: Any) -> None:
    """Called by the web service as it stops (the app may never have served a stream)."""
    live: Live | None = app.state.get("live")
    if live is not None:
        live.end_streams()


async def live_of(state: State, gateway: NamedDependency[Gateway]) -> Live:
    live: Live | None = state.get("live")
    if live is None:
        live = state.setdefault("live", Live(gateway.nc))
    return live


# The `live` dependency of the handlers that serve a stream: one per web instance, in app.state.
LIVE = {"live": Provide(live_of)}
