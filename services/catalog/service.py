"""The catalog service's NATS wiring: its stream, its organiser bucket, its endpoints."""

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from schemas.catalog import (
    SESSION_LIFETIME,
    Authenticate,
    CatalogEvent,
    ChangeEventStatus,
    ChangePassword,
    CheckSession,
    CopyEvent,
    CountOrganisers,
    CreateOrganiser,
    DefineEvent,
    DefinitionHistory,
    EndSession,
    EventDefined,
    EventDefinedReply,
    EventList,
    EventReply,
    GetDefinitionHistory,
    GetEvent,
    ListEvents,
    NameOrganisers,
    OrganiserCount,
    OrganiserNames,
    OrganiserRegistered,
    OrganiserReply,
    SessionEnded,
    SessionValid,
)
from schemas.errors import Rejected
from schemas.subjects import Catalog
from schemas.validation import looks_like_email, normalise_email
from services.catalog.account_rules import ACCOUNT_LOGINS
from services.catalog.accounts import Accounts
from services.catalog.organisation_endpoints import PEOPLE_BUCKET, OrganisationEndpoints
from services.catalog.organisations import Organisations
from services.catalog.rules import (
    CatalogState,
    copied,
    decide_define,
    definition_history,
    with_status,
)
from services.kit.codec import decode, encode
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket, write_if_unchanged
from services.kit.settings import Settings
from services.kit.store import EventStore, decided_on

log = logging.getLogger("perche.catalog")

ORGANISERS_BUCKET = "perche_catalog_organisers"
# Ended sessions (logouts), each kept as long as its token could still be presented.
ENDED_SESSIONS_BUCKET = "perche_catalog_ended_sessions"
MIN_PASSWORD = 10


class _Organiser(msgspec.Struct, frozen=True):
    email: str
    password_hash: str
    # Bumped by every password change: tokens made under an older epoch are refused.
    epoch: int = 0
    # The last password change, so a repeated command returns its first outcome.
    last_command: str = ""


def organiser_id(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:20]


class CatalogService:
    name = "catalog"

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        default_organisation_name: str | None = None,
    ) -> None:
        # The default organisation (where events and organisers from before organisations live)
        # is named like the deployment (PERCHE_ORGANISATION) until an owner renames it.
        name = default_organisation_name or Settings().organisation
        self.state = CatalogState(orgs=Organisations(default_name=name))
        self._hasher = hasher or PasswordHasher()
        self._clock = clock

    async def start(self, nc: Client) -> None:
        self.store: EventStore[CatalogEvent] = EventStore(
            nc, self.name, CatalogEvent, lambda event, _subject: self.state.evolve(event)
        )
        await self.store.open()
        js = nc.jetstream()
        self.organisers: KeyValue = await bucket(js, ORGANISERS_BUCKET)
        self.ended_sessions: KeyValue = await bucket(js, ENDED_SESSIONS_BUCKET, ttl=SESSION_LIFETIME + 60)
        # Unknown emails are checked against this hash, so they take as long as known ones.
        self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        self.endpoints = Endpoints(nc, self.name, "Events and organisers")
        self.endpoints.add(Catalog.DEFINE_EVENT, DefineEvent, self.define_event)
        self.endpoints.add(Catalog.COPY_EVENT, CopyEvent, self.copy_event)
        self.endpoints.add(Catalog.CHANGE_EVENT_STATUS, ChangeEventStatus, self.change_event_status)
        self.endpoints.add(Catalog.LIST_EVENTS, ListEvents, self.list_events)
        self.endpoints.add(Catalog.GET_EVENT, GetEvent, self.get_event)
        self.endpoints.add(Catalog.CREATE_ORGANISER, CreateOrganiser, self.create_organiser)
        self.endpoints.add(Catalog.AUTHENTICATE, Authenticate, self.authenticate)
        self.endpoints.add(Catalog.COUNT_ORGANISERS, CountOrganisers, self.count_organisers)
        self.endpoints.add(Catalog.CHECK_SESSION, CheckSession, self.check_session)
        self.endpoints.add(Catalog.END_SESSION, EndSession, self.end_session)
        self.endpoints.add(Catalog.CHANGE_PASSWORD, ChangePassword, self.change_password)
        self.endpoints.add(Catalog.DEFINITION_HISTORY, GetDefinitionHistory, self.definition_history)
        self.endpoints.add(Catalog.NAME_ORGANISERS, NameOrganisers, self.name_organisers)
        self.accounts = Accounts(self)
        await self.accounts.start(nc, self.endpoints)
        people: KeyValue = await bucket(js, PEOPLE_BUCKET)
        self.organisations = OrganisationEndpoints(
            self.state, self.store, people, organiser_id, self._email_of, self.accounts.invite
        )
        self.organisations.add_to(self.endpoints)
        await self.endpoints.start()

    async def stop(self) -> None:
        await self.endpoints.stop()
        await self.store.close()

    async def define_event(self, command: DefineEvent) -> EventDefinedReply:
        slug = command.spec.slug

        def decide() -> EventDefined | None:
            if command.command_id in self.state.commands:
                return None  # a repeat: its first outcome stands
            if command.create_only and slug in self.state.events:
                raise Rejected("conflict", f"An event is already called {slug!r}", "slug", key="event_exists")
            return decide_define(
                self.state,
                command.spec,
                command.command_id,
                datetime.now(UTC),
                by_organiser=command.by_organiser,
                source=command.source,
                organisation=command.organisation,
            )

        appended = await self.store.append_decided(decided_on(Catalog.event_subject(slug), command.command_id, decide))
        return EventDefinedReply(slug=slug, revision=self.state.revisions[slug], changed=appended is not None)

    async def copy_event(self, command: CopyEvent) -> EventDefinedReply:
        if command.source not in self.state.events:
            raise Rejected("not_found", f"No event {command.source!r}", "slug", key="event_not_found")
        slug = command.slug

        def decide() -> EventDefined | None:
            if command.command_id in self.state.commands:
                return None
            if slug in self.state.events:
                raise Rejected("conflict", f"An event is already called {slug!r}", "slug", key="event_exists")
            spec = copied(self.state.events[command.source], slug, command.title, command.starts_on)
            organisation = command.organisation or self.state.orgs.organisation_of(command.source)
            return decide_define(
                self.state,
                spec,
                command.command_id,
                datetime.now(UTC),
                by_organiser=command.by_organiser,
                organisation=organisation,
            )

        appended = await self.store.append_decided(decided_on(Catalog.event_subject(slug), command.command_id, decide))
        return EventDefinedReply(slug=slug, revision=self.state.revisions[slug], changed=appended is not None)

    async def change_event_status(self, command: ChangeEventStatus) -> EventDefinedReply:
        """Publish, unpublish, close or open registration, archive: a new definition of the same event."""
        slug = command.slug
        if slug not in self.state.events:
            raise Rejected("not_found", f"No event {slug!r}", "slug", key="event_not_found")

        def decide() -> EventDefined | None:
            if command.command_id in self.state.commands:
                return None
            now = datetime.now(UTC)
            spec = with_status(self.state.events[slug], command.change, now)
            return decide_define(self.state, spec, command.command_id, now)

        appended = await self.store.append_decided(decided_on(Catalog.event_subject(slug), command.command_id, decide))
        return EventDefinedReply(slug=slug, revision=self.state.revisions[slug], changed=appended is not None)

    async def list_events(self, query: ListEvents) -> EventList:
        if query.include_unpublished:
            events = sorted(self.state.events.values(), key=lambda e: e.starts_at)
        else:
            events = self.state.published()
        orgs = self.state.orgs
        if query.organisation is not None:
            events = [e for e in events if orgs.organisation_of(e.slug) == query.organisation]
        return EventList(events=events, organisations={e.slug: orgs.organisation_of(e.slug) for e in events})

    async def get_event(self, query: GetEvent) -> EventReply:
        event = self.state.events.get(query.slug)
        if event is None or not ((event.published and not event.archived) or query.include_unpublished):
            raise Rejected("not_found", f"No event {query.slug!r}", "slug", key="event_not_found")
        source = self.state.sources.get(query.slug) if query.with_source else None
        return EventReply(
            event=event,
            revision=self.state.revisions[query.slug],
            source=source,
            organisation=self.state.orgs.organisation_of(query.slug),
        )

    async def definition_history(self, query: GetDefinitionHistory) -> DefinitionHistory:
        if query.slug not in self.state.events:
            raise Rejected("not_found", f"No event {query.slug!r}", "slug", key="event_not_found")
        stored = await self.store.history(Catalog.event_subject(query.slug))
        defined = [event for event, _subject in stored if isinstance(event, EventDefined)]
        return DefinitionHistory(definitions=definition_history(defined))

    async def name_organisers(self, query: NameOrganisers) -> OrganiserNames:
        emails: dict[str, str] = {}
        for ident in dict.fromkeys(query.organiser_ids):
            organiser, _ = await self._organiser(ident)
            if organiser is not None:
                emails[ident] = organiser.email
        return OrganiserNames(emails=emails)

    async def create_organiser(self, command: CreateOrganiser) -> OrganiserReply:
        email = normalise_email(command.email)
        if not looks_like_email(email):
            raise Rejected("invalid", f"{command.email!r} is not an email address", "email")
        _check_new_password(command.password, "password")
        ident = organiser_id(email)
        if ident in self.state.organisers and not command.replace:
            raise Rejected("conflict", f"An organiser {email} already exists", "email")
        while True:
            known, revision = await self._organiser(ident)
            if known is not None and not command.replace:
                raise Rejected("conflict", f"An organiser {email} already exists", "email")
            if known is not None and await self._verify(known.password_hash, command.password):
                # The same password again (as `perche up` does with PERCHE_ADMIN_*): sessions stay open.
                reply = OrganiserReply(organiser_id=ident, email=known.email, epoch=known.epoch)
                break
            # A new password (a reset) ends every session made with the old one. A new account starts
            # at a random epoch, so tokens of an erased account with the same email never come back.
            epoch = secrets.randbelow(2**31) if known is None else known.epoch + 1
            password_hash = await asyncio.to_thread(self._hasher.hash, command.password)
            record = _Organiser(email=email, password_hash=password_hash, epoch=epoch, last_command=command.command_id)
            if await self._write_organiser(ident, record, revision):
                if known is not None:
                    log.info("organiser %s: password reset, every earlier session ended", ident)
                reply = OrganiserReply(organiser_id=ident, email=email, epoch=epoch)
                break
        registered = OrganiserRegistered(
            organiser_id=ident, command_id=command.command_id, at=datetime.now(UTC), default_role=command.default_role
        )
        await self.store.append_decided(
            decided_on(
                Catalog.organiser_subject(ident),
                command.command_id,
                lambda: None if ident in self.state.organisers else registered,
            )
        )
        return reply

    async def authenticate(self, query: Authenticate) -> OrganiserReply:
        ident = organiser_id(query.email)
        # Per address first: guesses spread over many accounts from one address stop too.
        moment = await self.accounts.count_login_from(query.address)
        organiser, _ = await self._organiser(ident)
        if not await self._password_right(ident, organiser, query.password) or organiser is None:
            raise Rejected("unauthorized", "Wrong email or password", key="wrong_credentials")
        await self.accounts.login_succeeded_from(query.address, moment)
        second_step = (await self.accounts.two_step_of(ident)).enabled
        return OrganiserReply(organiser_id=ident, email=organiser.email, epoch=organiser.epoch, second_step=second_step)

    async def change_password(self, command: ChangePassword) -> OrganiserReply:
        ident = command.organiser_id
        organiser, revision = await self._organiser(ident)
        if organiser is not None and organiser.last_command == command.command_id:
            return OrganiserReply(organiser_id=ident, email=organiser.email, epoch=organiser.epoch)
        _check_new_password(command.new_password, "new_password")
        if not await self._password_right(ident, organiser, command.current_password) or organiser is None:
            # Not 401: the caller's session is fine, only this field is wrong.
            message = "The current password is wrong"
            raise Rejected("invalid", message, "current_password", key="wrong_current_password")
        while True:
            password_hash = await asyncio.to_thread(self._hasher.hash, command.new_password)
            record = _Organiser(
                email=organiser.email,
                password_hash=password_hash,
                epoch=organiser.epoch + 1,
                last_command=command.command_id,
            )
            if await self._write_organiser(ident, record, revision):
                log.info("organiser %s: password changed, every earlier session ended", ident)
                return OrganiserReply(organiser_id=ident, email=record.email, epoch=record.epoch)
            # Changed meanwhile (another change, a reset): bump from what is stored now.
            latest, revision = await self._organiser(ident)
            if latest is None:
                raise Rejected("not_found", "This organiser no longer exists", key="organiser_not_found")
            organiser = latest

    async def check_session(self, query: CheckSession) -> SessionValid:
        # Read from the buckets, not from a cache: a logout or password change answered by any
        # instance holds for the very next request, wherever it lands.
        (organiser, _), ended, two_step = await asyncio.gather(
            self._organiser(query.organiser_id),
            self._session_ended(query.session_id),
            self.accounts.two_step_of(query.organiser_id),
        )
        if organiser is None or organiser.epoch != query.epoch or ended:
            raise Rejected("unauthorized", "This session has ended: log in again", key="session_ended")
        return SessionValid(
            organiser_id=query.organiser_id,
            email=organiser.email,
            two_step=two_step.enabled,
            memberships=self.state.orgs.memberships(query.organiser_id),
            require_two_step=self.state.orgs.requires_two_step(query.organiser_id),
        )

    async def end_session(self, command: EndSession) -> SessionEnded:
        await self.ended_sessions.put(_session_key(command.session_id), command.organiser_id.encode())
        return SessionEnded(session_id=command.session_id)

    # --- for accounts.py: the organiser records and the per-account throttle ---

    organiser_id = staticmethod(organiser_id)

    def clock(self) -> datetime:
        return self._clock()

    async def organiser(self, ident: str) -> tuple[_Organiser | None, int]:
        return await self._organiser(ident)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._verify(password_hash, password)

    @staticmethod
    def check_new_password(password: str, field: str) -> None:
        _check_new_password(password, field)

    async def set_password(self, ident: str, password: str, command_id: str) -> OrganiserReply:
        """A new password for this organiser, ending every earlier session (its epoch is bumped)."""
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        return await self._bump(ident, command_id, password_hash)

    async def bump_epoch(self, ident: str, command_id: str) -> OrganiserReply:
        """Log out everywhere: every token made so far is refused, the password stays."""
        return await self._bump(ident, command_id, None)

    async def _bump(self, ident: str, command_id: str, password_hash: str | None) -> OrganiserReply:
        while True:
            organiser, revision = await self._organiser(ident)
            if organiser is None:
                raise Rejected("not_found", "This organiser no longer exists", key="organiser_not_found")
            if organiser.last_command == command_id:
                return OrganiserReply(organiser_id=ident, email=organiser.email, epoch=organiser.epoch)
            record = _Organiser(
                email=organiser.email,
                password_hash=password_hash or organiser.password_hash,
                epoch=organiser.epoch + 1,
                last_command=command_id,
            )
            if await self._write_organiser(ident, record, revision):
                log.info("organiser %s: every earlier session ended", ident)
                return OrganiserReply(organiser_id=ident, email=record.email, epoch=record.epoch)

    async def _email_of(self, ident: str) -> str | None:
        organiser, _ = await self._organiser(ident)
        return None if organiser is None else organiser.email

    async def _organiser(self, ident: str) -> tuple[_Organiser | None, int]:
        """The stored organiser and its revision (0 when there is none)."""
        try:
            entry = await self.organisers.get(ident)
        except KeyNotFoundError:  # never stored, or erased (then `create` writes over the tombstone)
            return None, 0
        if not entry.value:
            return None, entry.revision or 0
        organiser: _Organiser = decode(entry.value, _Organiser)
        return organiser, entry.revision or 0

    async def _write_organiser(self, ident: str, record: _Organiser, revision: int) -> bool:
        return await write_if_unchanged(self.organisers, ident, encode(record), revision)

    async def _session_ended(self, session_id: str) -> bool:
        try:
            entry = await self.ended_sessions.get(_session_key(session_id))
        except KeyNotFoundError:
            return False
        return bool(entry.value)

    async def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(await asyncio.to_thread(self._hasher.verify, password_hash, password))
        except (VerifyMismatchError, InvalidHashError):
            return False

    async def _password_right(self, ident: str, organiser: _Organiser | None, password: str) -> bool:
        """Whether the password is this organiser's; raises Rejected once the account failed too often."""
        await self.accounts.count(ACCOUNT_LOGINS, ident)
        # An unknown email is checked against a dummy hash: it costs the same argon2 work,
        # so how long a refusal takes does not tell who is an organiser.
        right = await self._verify(organiser.password_hash if organiser else self._dummy_hash, password)
        if right and organiser is not None:
            await self.accounts.clear(ACCOUNT_LOGINS, ident)
            return True
        return False

    async def count_organisers(self, _query: CountOrganisers) -> OrganiserCount:
        return OrganiserCount(count=len(self.state.organisers))


def _check_new_password(password: str, field: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Rejected(
            "invalid", f"The password needs at least {MIN_PASSWORD} characters", field, key="password_too_short"
        )


def _session_key(session_id: str) -> str:
    # Session ids are made by the web (random hex); anything else cannot name a KV key.
    return hashlib.sha256(session_id.encode()).hexdigest()[:40]
