"""The catalog service's NATS wiring: its stream, its organiser bucket, its endpoints."""

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from schemas.catalog import (
    Authenticate,
    CatalogEvent,
    CountOrganisers,
    CreateOrganiser,
    DefineEvent,
    EventDefinedReply,
    EventList,
    EventReply,
    GetEvent,
    ListEvents,
    OrganiserCount,
    OrganiserRegistered,
    OrganiserReply,
)
from schemas.errors import Rejected
from schemas.subjects import Catalog
from schemas.validation import looks_like_email, normalise_email
from services.catalog.rules import CatalogState, decide_define
from services.kit.codec import decode, encode
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket
from services.kit.store import Conflict, EventStore

ORGANISERS_BUCKET = "perche_catalog_organisers"
MIN_PASSWORD = 10


class _Organiser(msgspec.Struct, frozen=True):
    email: str
    password_hash: str


def organiser_id(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:20]


class CatalogService:
    name = "catalog"

    def __init__(self) -> None:
        self.state = CatalogState()
        self._hasher = PasswordHasher()

    async def start(self, nc: Client) -> None:
        self.store: EventStore[CatalogEvent] = EventStore(
            nc, self.name, CatalogEvent, lambda event, _subject: self.state.evolve(event)
        )
        await self.store.open()
        self.organisers: KeyValue = await bucket(nc.jetstream(), ORGANISERS_BUCKET)
        self.endpoints = Endpoints(nc, self.name, "Events and organisers")
        self.endpoints.add(Catalog.DEFINE_EVENT, DefineEvent, self.define_event)
        self.endpoints.add(Catalog.LIST_EVENTS, ListEvents, self.list_events)
        self.endpoints.add(Catalog.GET_EVENT, GetEvent, self.get_event)
        self.endpoints.add(Catalog.CREATE_ORGANISER, CreateOrganiser, self.create_organiser)
        self.endpoints.add(Catalog.AUTHENTICATE, Authenticate, self.authenticate)
        self.endpoints.add(Catalog.COUNT_ORGANISERS, CountOrganisers, self.count_organisers)
        await self.endpoints.start()

    async def stop(self) -> None:
        await self.endpoints.stop()
        await self.store.close()

    async def define_event(self, command: DefineEvent) -> EventDefinedReply:
        slug = command.spec.slug
        subject = Catalog.event_subject(slug)
        while True:
            if command.command_id in self.state.commands:
                return EventDefinedReply(slug=slug, revision=self.state.revisions[slug], changed=False)
            event = decide_define(self.state, command.spec, command.command_id, datetime.now(UTC))
            if event is None:
                return EventDefinedReply(slug=slug, revision=self.state.revisions[slug], changed=False)
            try:
                await self.store.append(subject, event, command.command_id, self.store.last_sequence(subject))
            except Conflict:
                await self.store.catch_up_subject(subject)
                continue
            return EventDefinedReply(slug=slug, revision=self.state.revisions[slug], changed=True)

    async def list_events(self, query: ListEvents) -> EventList:
        if query.include_unpublished:
            events = sorted(self.state.events.values(), key=lambda e: e.starts_at)
        else:
            events = self.state.published()
        return EventList(events=events)

    async def get_event(self, query: GetEvent) -> EventReply:
        event = self.state.events.get(query.slug)
        if event is None or not (event.published or query.include_unpublished):
            raise Rejected("not_found", f"No event {query.slug!r}", "slug", key="event_not_found")
        return EventReply(event=event, revision=self.state.revisions[query.slug])

    async def create_organiser(self, command: CreateOrganiser) -> OrganiserReply:
        email = normalise_email(command.email)
        if not looks_like_email(email):
            raise Rejected("invalid", f"{command.email!r} is not an email address", "email")
        if len(command.password) < MIN_PASSWORD:
            raise Rejected("invalid", f"The password needs at least {MIN_PASSWORD} characters", "password")
        ident = organiser_id(email)
        if ident in self.state.organisers and not command.replace:
            raise Rejected("conflict", f"An organiser {email} already exists", "email")
        password_hash = await asyncio.to_thread(self._hasher.hash, command.password)
        await self.organisers.put(ident, encode(_Organiser(email=email, password_hash=password_hash)))
        if ident not in self.state.organisers:
            subject = Catalog.organiser_subject(ident)
            event = OrganiserRegistered(organiser_id=ident, command_id=command.command_id, at=datetime.now(UTC))
            try:
                await self.store.append(subject, event, command.command_id, 0)
            except Conflict:
                await self.store.catch_up_subject(subject)
        return OrganiserReply(organiser_id=ident, email=email)

    async def authenticate(self, query: Authenticate) -> OrganiserReply:
        refused = Rejected("unauthorized", "Wrong email or password", key="wrong_credentials")
        ident = organiser_id(query.email)
        try:
            entry = await self.organisers.get(ident)
        except KeyNotFoundError:
            raise refused from None
        if not entry.value:
            raise refused
        organiser: Any = decode(entry.value, _Organiser)
        try:
            await asyncio.to_thread(self._hasher.verify, organiser.password_hash, query.password)
        except (VerifyMismatchError, InvalidHashError):
            raise refused from None
        return OrganiserReply(organiser_id=ident, email=organiser.email)

    async def count_organisers(self, _query: CountOrganisers) -> OrganiserCount:
        return OrganiserCount(count=len(self.state.organisers))
