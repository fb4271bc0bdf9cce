"""The web's only way to the services: typed NATS calls, and shaping replies for clients."""

import asyncio
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from litestar import Request
from nats.aio.client import Client

from schemas.catalog import EventList, EventReply, EventSpec, GetEvent, ListEvents
from schemas.judging import GetStandings, Standings
from schemas.publishing import GetResults, Results
from schemas.registration import Counts, GetCounts, ListRegistrations, RegistrationList, RegistrationView
from schemas.subjects import Catalog, Judging, Publishing, Registration
from services.kit.client import ServiceError, call
from services.web.views import (
    CategoryOut,
    EventDetailOut,
    EventOut,
    QuestionOut,
    RegistrationOut,
    RegistrationStatus,
)

R = TypeVar("R", bound=msgspec.Struct)


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

    async def event(self, slug: str, include_unpublished: bool = False) -> EventSpec:
        request = GetEvent(slug=slug, include_unpublished=include_unpublished)
        return (await call(self.nc, Catalog.GET_EVENT, request, EventReply)).event

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

    async def judging(self, slug: str) -> tuple[EventSpec, list[RegistrationView], Standings]:
        """The event, its jurors and the live standings, with each juror's progress."""
        spec = await self.event(slug, include_unpublished=True)
        registrations = await self.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        jurors = jurors_of(spec, registrations.registrations)
        query = GetStandings(event=spec.slug, jurors=[j.id for j in jurors])
        return spec, jurors, await self.call(Judging.STANDINGS, query, Standings)

    async def events_with_counts(self, include_unpublished: bool = False) -> list[tuple[EventSpec, Counts | None]]:
        events = await self.events(include_unpublished)
        counts = await asyncio.gather(*(self.counts(e.slug) for e in events))
        return list(zip(events, counts, strict=True))


def jurors_of(spec: EventSpec, registrations: list[RegistrationView]) -> list[RegistrationView]:
    """Confirmed registrations of the categories whose audience is the jury."""
    return [r for r in registrations if r.status == "confirmed" and spec.audience_of(r.category) == "jurors"]


def registration_status(spec: EventSpec, counts: Counts | None, now: datetime | None = None) -> RegistrationStatus:
    now = now or datetime.now(UTC)
    if spec.registration_opens_at and now < spec.registration_opens_at:
        return "not_open"
    if now >= (spec.registration_closes_at or spec.ends_at):
        return "closed"
    public = {c.id for c in spec.categories if c.public}
    if counts and all(c.remaining == 0 for c in counts.categories if c.category in public):
        return "full"
    return "open"


def event_out(spec: EventSpec, counts: Counts | None, base: str) -> EventOut:
    return EventOut(
        slug=spec.slug,
        title=spec.title,
        kind=spec.kind,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        timezone=spec.timezone,
        venue=spec.venue,
        capacity=spec.capacity,
        registration=registration_status(spec, counts),
        summary=spec.summary,
        url=f"{base}/e/{spec.slug}",
    )


def event_detail_out(spec: EventSpec, counts: Counts | None, base: str) -> EventDetailOut:
    by_category = {c.category: c for c in counts.categories} if counts else {}
    categories = []
    for category in spec.categories:
        if not category.public:
            continue
        tally = by_category.get(category.id)
        categories.append(
            CategoryOut(
                id=category.id,
                name=category.name,
                capacity=category.capacity,
                remaining=tally.remaining if tally else category.capacity,
                waitlist=tally.waitlisted if tally else 0,
                default=category.id == spec.default_category.id,
            )
        )
    summary = event_out(spec, counts, base)
    return EventDetailOut(
        **{f: getattr(summary, f) for f in summary.__struct_fields__},
        description=spec.description,
        consent_text=spec.consent_text,
        categories=categories,
        questions=[
            QuestionOut(
                id=q.id,
                kind=q.kind,
                label=q.label,
                required=q.required,
                choices=list(q.choices),
                categories=list(q.categories),
            )
            for q in spec.questions
        ],
    )


def registration_out(view: RegistrationView, base: str) -> RegistrationOut:
    return RegistrationOut(
        id=view.id,
        event=view.event,
        category=view.category,
        status=view.status,
        position=view.position,
        name=view.name,
        email=view.email,
        language=view.language,
        answers=view.answers,
        registered_at=view.registered_at,
        manage_url=f"{base}/r/{view.id}?token={view.manage_token}",
        calendar_url=f"{base}/r/{view.id}/calendar.ics?token={view.calendar_token}",
        offer_expires_at=view.offer_expires_at,
        checked_in_at=view.checked_in_at,
    )


def gateway_of(request: Request[Any, Any, Any]) -> Gateway:
    """The `gateway` dependency every handler asks for (build_app provides it)."""
    gateway: Gateway = request.app.state.gateway
    return gateway


def public_base(request: Any) -> str:
    """Perche's public address: the configured one (PERCHE_BASE_URL), else the request's host."""
    gateway: Gateway = request.app.state.gateway
    if gateway.base_url:
        return gateway.base_url
    host = request.headers.get("host", "localhost")
    return f"{request.scope.get('scheme', 'http')}://{host}"
