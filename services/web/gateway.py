"""The web's only way to the services: typed NATS calls, and the queries every context shares."""

import asyncio
from typing import TypeVar

import msgspec
from litestar.connection import ASGIConnection
from nats.aio.client import Client

from schemas.catalog import EventList, EventReply, EventSpec, GetEvent, ListEvents
from schemas.judging import Conflicts, GetConflicts, GetStandings, Standings
from schemas.publishing import GetResults, Results
from schemas.qa import GetRecord, Record, RecordReply
from schemas.registration import Counts, GetCounts, ListRegistrations, RegistrationList, RegistrationView
from schemas.speakers import GetSpeakers, PublicSpeaker, SpeakerList
from schemas.subjects import Catalog, Judging, Publishing, Qa, Registration, Schedule
from services.kit import dead_letters
from services.kit.client import ServiceError, call

R = TypeVar("R", bound=msgspec.Struct)
# What a page shows beside its purpose (speakers, the record) waits this long at most: a service
# that is away leaves that part out rather than holding the registration page for the 5 s timeout.
ASIDE_TIMEOUT = 1.0


class Gateway:
    """Handlers get it injected (`gateway: Gateway`); `call` answers with the reply type asked for."""

    def __init__(self, nc: Client, base_url: str) -> None:
        self.nc = nc
        self.base_url = base_url

    async def call(self, subject: str, request: msgspec.Struct, reply_type: type[R], timeout: float = 5.0) -> R:
        return await call(self.nc, subject, request, reply_type, timeout)

    async def events(self, include_unpublished: bool = False) -> list[EventSpec]:
        reply = await call(
            self.nc,
            Catalog.LIST_EVENTS,
            ListEvents(include_unpublished=include_unpublished),
            EventList,
        )
        return reply.events

    async def event_organisations(self) -> dict[str, str]:
        """The organisation of every event, by slug."""
        reply = await call(self.nc, Catalog.LIST_EVENTS, ListEvents(include_unpublished=True), EventList)
        return reply.organisations

    async def event(self, slug: str, include_unpublished: bool = False) -> EventSpec:
        request = GetEvent(slug=slug, include_unpublished=include_unpublished)
        return (await call(self.nc, Catalog.GET_EVENT, request, EventReply)).event

    async def speakers(self, slug: str) -> list[PublicSpeaker]:
        """The confirmed speakers of a published event (issue 15); none when the schedule cannot say."""
        try:
            query = GetSpeakers(event=slug)
            return (await call(self.nc, Schedule.SPEAKERS, query, SpeakerList, timeout=ASIDE_TIMEOUT)).speakers
        except ServiceError:
            return []

    async def qa_record(self, slug: str) -> Record | None:
        """The Q&A's published record of a published event; None before, or when the Q&A cannot say."""
        try:
            return (await call(self.nc, Qa.RECORD, GetRecord(event=slug), RecordReply, timeout=ASIDE_TIMEOUT)).record
        except ServiceError:
            return None

    async def counts(self, slug: str) -> Counts | None:
        try:
            return await call(self.nc, Registration.COUNTS, GetCounts(event=slug), Counts)
        except ServiceError as error:
            if error.reply.code == "not_found":
                return None
            raise

    async def results(self, slug: str) -> Results:
        """What publishing has made public for the event (nothing before the ceremony)."""
        return await self.call(Publishing.RESULTS, GetResults(event=slug), Results)

    async def jurors(self, spec: EventSpec) -> list[RegistrationView]:
        """The jurors registered for the event (on the jury page or by themselves)."""
        registrations = await self.call(Registration.LIST, ListRegistrations(event=spec.slug), RegistrationList)
        return jurors_of(spec, registrations.registrations)

    async def judging(self, slug: str) -> tuple[EventSpec, list[RegistrationView], Standings]:
        """The event, its jurors and the live standings, with each juror's progress."""
        spec = await self.event(slug, include_unpublished=True)
        jurors = await self.jurors(spec)
        query = GetStandings(event=spec.slug, jurors=[j.id for j in jurors])
        return spec, jurors, await self.call(Judging.STANDINGS, query, Standings)

    async def conflicts(self, slug: str, jurors: list[RegistrationView]) -> dict[str, list[str]]:
        """These jurors' conflicts of interest as judging knows them: registration -> team ids."""
        found = (await self.call(Judging.CONFLICTS, GetConflicts(event=slug), Conflicts)).teams_by_juror()
        return {j.id: found[j.id] for j in jurors if j.id in found}

    async def dead_letters(self) -> int | None:
        """How many messages the services set aside as unreadable (services/kit/dead_letters.py);
        None when JetStream does not say now (a page shows nothing rather than failing)."""
        try:
            return await dead_letters.count(self.nc)
        except Exception:  # noqa: BLE001 - no answer, no permission: the figure is left out
            return None

    async def events_with_counts(self, include_unpublished: bool = False) -> list[tuple[EventSpec, Counts | None]]:
        events = await self.events(include_unpublished)
        counts = await asyncio.gather(*(self.counts(e.slug) for e in events))
        return list(zip(events, counts, strict=True))


def jurors_of(spec: EventSpec, registrations: list[RegistrationView]) -> list[RegistrationView]:
    """Confirmed registrations of the categories whose audience is the jury."""
    return [r for r in registrations if r.status == "confirmed" and spec.audience_of(r.category) == "jurors"]


def gateway_of(request: ASGIConnection) -> Gateway:  # type: ignore[type-arg]
    """The `gateway` dependency every handler asks for (build_app provides it); guards call it too."""
    gateway: Gateway = request.app.state.gateway
    return gateway


def public_base(request: ASGIConnection) -> str:  # type: ignore[type-arg]
    """Perche's public address: the configured one (PERCHE_BASE_URL), else the request's host."""
    gateway = gateway_of(request)
    if gateway.base_url:
        return gateway.base_url
    host = request.headers.get("host", "localhost")
    return f"{request.scope.get('scheme', 'http')}://{host}"
