"""A burst of registrations by clients that retry as real ones do, and the audit after a fault.

The clients use the JSON API with an Idempotency-Key each; on a 5xx or a broken connection
they send the same request again with the same key until it is acknowledged (201). The audit
replays the registration stream through the service's own rules and reads the people bucket:
every acknowledged registration must be stored once, with its person, and the seats must add up.
"""

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from nats.aio.client import Client

from schemas.registration import (
    Counts,
    GetCounts,
    Registered,
    RegistrationEvent,
)
from schemas.subjects import Registration
from services.kit.client import ServiceError, call
from services.kit.store import EventStore
from services.registration.people import PeopleStore
from services.registration.rules import RegistrationState

SLUG = "fault-drill"
CATEGORY = "public"
CAPACITY = 100
REGISTRATIONS = f"/api/v1/events/{SLUG}/registrations"
# Bounds, not expectations: a drill that needs these has failed.
CLIENT_DEADLINE = 120.0
SETTLE_DEADLINE = 30.0


def person(i: int) -> tuple[str, str]:
    return f"Personne {i}", f"p{i}@example.org"


@dataclass
class Burst:
    web_url: str
    total: int
    concurrency: int = 32
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> registration id
    ids_seen: dict[str, set[str]] = field(default_factory=dict)
    statuses: Counter[int | str] = field(default_factory=Counter)
    answered: list[tuple[float, float]] = field(default_factory=list)  # (sent, acknowledged) times
    refused_at: list[float] = field(default_factory=list)  # when refused requests were sent
    fault_at: float | None = None
    # When the fault was over, for a fault that lasts (a server down until started again).
    restored_at: float | None = None

    async def run(self, fault: Callable[["Burst"], Awaitable[None]], after: int) -> None:
        """Register `total` people; once `after` are acknowledged, inject `fault` (it sets fault_at)."""
        keys = asyncio.Queue[int]()
        for i in range(self.total):
            keys.put_nowait(i)
        started = asyncio.Event()
        deadline = time.monotonic() + CLIENT_DEADLINE
        async with httpx.AsyncClient(base_url=self.web_url, timeout=10) as http:

            async def client() -> None:
                while not keys.empty():
                    i = keys.get_nowait()
                    await self.register(http, i, deadline)
                    if len(self.acknowledged) >= after:
                        started.set()

            async def injector() -> None:
                await started.wait()
                await fault(self)

            await asyncio.gather(injector(), *(client() for _ in range(self.concurrency)))
            # The next newcomer, once the fault is over: waits, and so offers any seat still free.
            await self.register(http, self.total, deadline)

    async def register(self, http: httpx.AsyncClient, i: int, deadline: float) -> None:
        key = f"fault-drill-{i:05d}"
        name, email = person(i)
        body = {"name": name, "email": email, "consent": True, "category": CATEGORY}
        while True:
            sent = time.monotonic()
            try:
                reply = await http.post(REGISTRATIONS, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError as error:
                self.statuses[type(error).__name__] += 1
                self.refused_at.append(sent)
            else:
                self.statuses[reply.status_code] += 1
                if reply.status_code == 201:
                    registration_id = str(reply.json()["id"])
                    self.acknowledged[key] = registration_id
                    self.ids_seen.setdefault(key, set()).add(registration_id)
                    self.answered.append((sent, time.monotonic()))
                    return
                assert reply.status_code >= 500, f"{key}: {reply.status_code} {reply.text}"
                self.refused_at.append(sent)
            assert time.monotonic() < deadline, f"{key} never acknowledged; answers so far {dict(self.statuses)}"
            await asyncio.sleep(0.1)

    async def until_refused_since(self, since: float, within: float) -> None:
        """Wait until a request sent after `since` was refused, or `within` seconds passed."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if any(at >= since for at in self.refused_at):
                return
            await asyncio.sleep(0.05)

    def resumed_after(self) -> float:
        """Seconds from the fault (or its end) to the first acknowledgement of a request sent after."""
        since = self.restored_at or self.fault_at
        assert since is not None
        after = [done for sent, done in self.answered if sent >= since]
        return round(min(after) - since, 2) if after else float("inf")


@dataclass
class Figures:
    fault: str
    acknowledged: int
    stored: int
    lost: int
    without_person: int
    duplicated: int
    oversold: int
    leaked: int
    resumed_after: float
    refusals: int
    internal_errors: int

    def line(self) -> str:
        return " ".join(f"{name}={value}" for name, value in vars(self).items())


async def settle(nc: Client) -> Counts:
    """Wait (bounded) until no seat is free while someone waits: offers follow the last registration."""
    deadline = time.monotonic() + SETTLE_DEADLINE
    while True:
        try:
            counts = await call(nc, Registration.COUNTS, GetCounts(event=SLUG), Counts)
            tally = next(c for c in counts.categories if c.category == CATEGORY)
            if tally.remaining == 0 or tally.waitlisted == 0 or time.monotonic() > deadline:
                return counts
        except ServiceError:
            assert time.monotonic() < deadline, "registration never answered its counts"
        await asyncio.sleep(0.2)


async def healthy(web_url: str) -> None:
    """Wait (bounded) until /healthz says registration can read and write again.

    Only registration's part counts: the drills run catalog, registration and web alone.
    """
    deadline = time.monotonic() + SETTLE_DEADLINE
    async with httpx.AsyncClient(base_url=web_url, timeout=10) as web:
        while True:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                health = (await web.get("/healthz")).json()
                if health["services"].get("registration") and "registration" not in health["problems"]:
                    return
            assert time.monotonic() < deadline, "/healthz never said registration was ok again after the fault"
            await asyncio.sleep(0.2)


async def audit(nc: Client, burst: Burst, fault: str) -> Figures:
    """Read what is stored, through the stream and the bucket the service itself uses."""
    # After a failover, reads wait for the new leaders as the service's own would.
    await healthy(burst.web_url)
    await settle(nc)
    registered: Counter[str] = Counter()
    state = RegistrationState()

    def apply(event: RegistrationEvent, _subject: str) -> None:
        state.evolve(event)
        if isinstance(event, Registered):
            registered[event.registration_id] += 1

    store: EventStore[RegistrationEvent] = EventStore(nc, "registration", RegistrationEvent, apply)
    await store.open()
    await store.close()
    people = PeopleStore(nc.jetstream())
    await people.open()
    stored = lost = without_person = 0
    for key, registration_id in burst.acknowledged.items():
        if registered[registration_id] == 0:
            lost += 1
            continue
        stored += registered[registration_id] == 1
        i = int(key.rsplit("-", 1)[1])
        data = await people.get(registration_id)
        if data is None or (data.name, data.email) != person(i):
            without_person += 1
    duplicated = sum(count - 1 for count in registered.values() if count > 1)
    duplicated += sum(len(ids) - 1 for ids in burst.ids_seen.values())
    tally = state.tally(SLUG, CATEGORY)
    held: Counter[int] = Counter(
        r.seat for r in state.records.values() if r.seat is not None and r.status != "cancelled"
    )
    oversold = (
        max(0, len(held) - CAPACITY)
        + sum(count - 1 for count in held.values())
        + sum(1 for seat in held if seat > CAPACITY)
    )
    free = CAPACITY - len(tally.holders)
    leaked = min(free, len(tally.waitlist))
    return Figures(
        fault=fault,
        acknowledged=len(burst.acknowledged),
        stored=stored,
        lost=lost,
        without_person=without_person,
        duplicated=duplicated,
        oversold=oversold,
        leaked=leaked,
        resumed_after=burst.resumed_after(),
        refusals=sum(n for status, n in burst.statuses.items() if status != 201 and status != 500),
        internal_errors=burst.statuses[500],
    )
