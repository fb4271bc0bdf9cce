"""The registration service's NATS wiring: stream, people bucket, endpoints."""

import asyncio
import hashlib
import hmac
import logging
from collections import defaultdict
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js.kv import KeyValue

from schemas.catalog import CatalogEvent, EventDefined, EventSpec
from schemas.errors import Rejected
from schemas.registration import (
    Cancel,
    CategoryCount,
    Counts,
    GetCounts,
    GetRegistration,
    ListRegistrations,
    PersonalData,
    Register,
    RegistrationEvent,
    RegistrationList,
    RegistrationView,
    WaitlistPromoted,
)
from schemas.subjects import Registration
from services.kit.codec import decoder, encode
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket, shared_secret
from services.kit.store import Conflict, EventStore
from services.registration.rules import (
    RegistrationState,
    decide_cancel,
    decide_register,
    next_in_line,
)

log = logging.getLogger("perche.registration")

PEOPLE_BUCKET = "perche_registration_people"
SECRETS_BUCKET = "perche_registration_secrets"


class RegistrationService:
    name = "registration"

    def __init__(self) -> None:
        self.state = RegistrationState()
        self.events: dict[str, EventSpec] = {}
        self.people: dict[str, PersonalData] = {}
        # One decision at a time per event in this instance; other instances are
        # kept honest by the expected-sequence check on append.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def start(self, nc: Client) -> None:
        js = nc.jetstream()
        self.secret = await shared_secret(await bucket(js, SECRETS_BUCKET), "tokens")
        self.people_kv: KeyValue = await bucket(js, PEOPLE_BUCKET)
        self._people_watch = await self.people_kv.watchall()
        self._people_task = asyncio.create_task(self._follow_people())
        # The catalog's stream is read here (never written) to know each event's seats.
        self.catalog: EventStore[CatalogEvent] = EventStore(nc, "catalog", CatalogEvent, self._on_catalog)
        await self.catalog.open()
        self.store: EventStore[RegistrationEvent] = EventStore(
            nc, self.name, RegistrationEvent, lambda event, _subject: self.state.evolve(event)
        )
        await self.store.open()
        self.endpoints = Endpoints(nc, self.name, "Registrations, waitlist and cancellations")
        self.endpoints.add(Registration.REGISTER, Register, self.register)
        self.endpoints.add(Registration.CANCEL, Cancel, self.cancel)
        self.endpoints.add(Registration.GET, GetRegistration, self.get)
        self.endpoints.add(Registration.LIST, ListRegistrations, self.list)
        self.endpoints.add(Registration.COUNTS, GetCounts, self.counts)
        await self.endpoints.start()

    async def stop(self) -> None:
        await self.endpoints.stop()
        self._people_task.cancel()
        await self._people_watch.stop()
        await self.store.close()
        await self.catalog.close()

    def _on_catalog(self, event: CatalogEvent, _subject: str) -> None:
        if isinstance(event, EventDefined):
            self.events[event.spec.slug] = event.spec

    async def _follow_people(self) -> None:
        decode = decoder(PersonalData).decode
        async for entry in self._people_watch:
            if entry is None:  # end of the initial values
                continue
            if entry.operation in ("DEL", "PURGE") or not entry.value:
                self.people.pop(entry.key, None)
            else:
                self.people[entry.key] = decode(entry.value)

    def token(self, purpose: str, registration_id: str) -> str:
        digest = hmac.new(self.secret, f"{purpose}:{registration_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def _event(self, slug: str) -> EventSpec:
        spec = self.events.get(slug)
        if spec is None or not spec.published:
            raise Rejected("not_found", f"No event {slug!r}", "event", key="event_not_found")
        return spec

    def view(self, registration_id: str) -> RegistrationView:
        record = self.state.records[registration_id]
        person = self.people.get(registration_id) or PersonalData(name="", email="")
        return RegistrationView(
            id=record.id,
            event=record.event,
            category=record.category,
            status=record.status,
            position=self.state.position(record.id),
            name=person.name,
            email=person.email,
            language=record.language,  # type: ignore[arg-type]
            answers=person.answers,
            registered_at=record.registered_at,
            manage_token=self.token("manage", record.id),
            calendar_token=self.token("calendar", record.id),
        )

    async def register(self, command: Register) -> RegistrationView:
        spec = self._event(command.event)
        registration_id = hashlib.sha256(f"{spec.slug}:{command.command_id}".encode()).hexdigest()[:20]
        subject = Registration.event_subject(spec.slug)
        async with self._locks[spec.slug]:
            while True:
                known = self.state.commands.get(command.command_id)
                if known is not None:
                    return self.view(known)  # a repeat: the first outcome
                event, answers = decide_register(self.state, spec, command, registration_id, datetime.now(UTC))
                person = PersonalData(name=command.name.strip(), email=command.email.strip(), answers=answers)
                # Personal data goes to the erasable bucket first, the log only gets the id.
                await self.people_kv.put(registration_id, encode(person))
                self.people[registration_id] = person
                try:
                    await self.store.append(subject, event, command.command_id, self.store.last_sequence(subject))
                except Conflict:
                    await self.store.catch_up_subject(subject)
                    continue
                return self.view(registration_id)

    def _check_access(self, registration_id: str, token: str | None, by_organiser: str | None) -> None:
        if registration_id not in self.state.records:
            raise Rejected("not_found", "No such registration", key="registration_not_found")
        if by_organiser:
            return
        if not token or not hmac.compare_digest(token, self.token("manage", registration_id)):
            raise Rejected("forbidden", "This link is not valid for this registration", key="bad_token")

    async def cancel(self, command: Cancel) -> RegistrationView:
        self._check_access(command.registration_id, command.token, command.by_organiser)
        record = self.state.records[command.registration_id]
        subject = Registration.event_subject(record.event)
        async with self._locks[record.event]:
            while True:
                if self.state.commands.get(command.command_id) == command.registration_id:
                    return self.view(command.registration_id)
                event = decide_cancel(
                    self.state,
                    command.registration_id,
                    command.command_id,
                    command.by_organiser,
                    datetime.now(UTC),
                )
                try:
                    await self.store.append(subject, event, command.command_id, self.store.last_sequence(subject))
                except Conflict:
                    await self.store.catch_up_subject(subject)
                    continue
                break
            await self._promote_waiting(record.event, record.category)
        return self.view(command.registration_id)

    async def _promote_waiting(self, slug: str, category: str) -> None:
        spec = self.events.get(slug)
        if spec is None:
            return
        subject = Registration.event_subject(slug)
        while (candidate := next_in_line(self.state, spec, category)) is not None:
            event = WaitlistPromoted(
                registration_id=candidate,
                command_id=f"promote-{candidate}",
                event=slug,
                at=datetime.now(UTC),
            )
            try:
                await self.store.append(subject, event, event.command_id, self.store.last_sequence(subject))
            except Conflict:
                await self.store.catch_up_subject(subject)

    async def get(self, query: GetRegistration) -> RegistrationView:
        self._check_access(query.registration_id, query.token, query.by_organiser)
        return self.view(query.registration_id)

    async def list(self, query: ListRegistrations) -> RegistrationList:
        ids = self.state.by_event.get(query.event, [])
        return RegistrationList(registrations=[self.view(i) for i in ids])

    async def counts(self, query: GetCounts) -> Counts:
        spec = self.events.get(query.event)
        if spec is None:
            raise Rejected("not_found", f"No event {query.event!r}", "event", key="event_not_found")
        categories = []
        for category in spec.categories:
            tally = self.state.tally(spec.slug, category.id)
            categories.append(
                CategoryCount(
                    category=category.id,
                    capacity=category.capacity,
                    confirmed=tally.confirmed,
                    waitlisted=len(tally.waitlist),
                )
            )
        return Counts(event=spec.slug, categories=categories)
