"""The registration service's NATS wiring: stream, people bucket, endpoints, housekeeping."""

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from schemas.catalog import CatalogEvent, EventDefined, EventSpec
from schemas.errors import Rejected
from schemas.registration import (
    AnswersChanged,
    CalendarAccess,
    CalendarHolder,
    Cancel,
    CategoryCount,
    CheckIn,
    Claim,
    Counts,
    Erase,
    ExportPersonalData,
    FindRegistrations,
    GetCounts,
    GetRegistration,
    ListRegistrations,
    PersonalData,
    PersonalDataExport,
    PersonalDataExported,
    PersonErased,
    Promote,
    Register,
    RegistrationEvent,
    RegistrationList,
    RegistrationView,
    UpdateAnswers,
)
from schemas.subjects import Registration
from schemas.validation import same_secret, without_accents
from services.kit.codec import decode, encode
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket, shared_secret
from services.kit.store import Conflict, EventStore, with_retries
from services.registration.rules import (
    Record,
    RegistrationState,
    check_answers,
    check_person,
    decide_cancel,
    decide_check_in,
    decide_claim,
    decide_offer,
    decide_promote,
    decide_register,
    due_for_purge,
    lapsed_offers,
    live_record,
)

log = logging.getLogger("perche.registration")

PEOPLE_BUCKET = "perche_registration_people"
SECRETS_BUCKET = "perche_registration_secrets"
MAX_ATTEMPTS = 50


def _folded(text: str) -> str:
    """Lower case without accents, so « Hélène » is found by typing « helene »."""
    return without_accents(text.casefold())


class RegistrationService:
    name = "registration"

    def __init__(self, housekeeping_seconds: float | None = None) -> None:
        self.state = RegistrationState()
        self.events: dict[str, EventSpec] = {}
        self.people: dict[str, PersonalData] = {}
        # Seats this instance is claiming right now, so its own concurrent requests pick
        # different seats; other instances are kept out by the expected-sequence check.
        self._reserved: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
        self._claim_events: dict[tuple[str, str], asyncio.Event] = {}
        self._housekeeping_seconds = housekeeping_seconds or float(os.environ.get("PERCHE_HOUSEKEEPING_SECONDS", "30"))

    async def start(self, nc: Client) -> None:
        js = nc.jetstream()
        self.secret = await shared_secret(await bucket(js, SECRETS_BUCKET), "tokens")
        self.people_kv: KeyValue = await bucket(js, PEOPLE_BUCKET)
        # The catalog's stream is read here (never written) to know each event's seats.
        self.catalog: EventStore[CatalogEvent] = EventStore(nc, "catalog", CatalogEvent, self._on_catalog)
        await self.catalog.open()
        self.store: EventStore[RegistrationEvent] = EventStore(
            nc, self.name, RegistrationEvent, lambda event, _subject: self._apply(event)
        )
        await self.store.open()
        self.endpoints = Endpoints(
            nc, self.name, "Registrations, waitlist, check-in and personal data", also_writes=(f"KV_{PEOPLE_BUCKET}",)
        )
        for subject, request_type, handler in [
            (Registration.REGISTER, Register, self.register),
            (Registration.CANCEL, Cancel, self.cancel),
            (Registration.CLAIM, Claim, self.claim),
            (Registration.PROMOTE, Promote, self.promote),
            (Registration.UPDATE_ANSWERS, UpdateAnswers, self.update_answers),
            (Registration.CHECK_IN, CheckIn, self.check_in),
            (Registration.ERASE, Erase, self.erase),
            (Registration.EXPORT, ExportPersonalData, self.export),
            (Registration.GET, GetRegistration, self.get),
            (Registration.LIST, ListRegistrations, self.list),
            (Registration.FIND, FindRegistrations, self.find),
            (Registration.COUNTS, GetCounts, self.counts),
            (Registration.CALENDAR, CalendarAccess, self.calendar),
        ]:
            self.endpoints.add(subject, request_type, handler)
        await self.endpoints.start()
        self._housekeeping = asyncio.create_task(self._housekeeping_loop())

    async def stop(self) -> None:
        self._housekeeping.cancel()
        await self.endpoints.stop()
        await self.store.close()
        await self.catalog.close()

    # --- state from other places ---

    def _on_catalog(self, event: CatalogEvent, _subject: str) -> None:
        if isinstance(event, EventDefined):
            self.events[event.spec.slug] = event.spec

    def _apply(self, event: RegistrationEvent) -> None:
        self.state.evolve(event)
        # Personal data changed somewhere (maybe another instance): read it afresh next time.
        if isinstance(event, AnswersChanged | PersonErased):
            self.people.pop(event.registration_id, None)

    async def _load_people(self, ids: list[str]) -> None:
        """Fetch from the bucket the personal data this instance has not seen yet."""
        missing = [i for i in ids if i not in self.people and not self.state.records[i].erased]

        async def fetch(registration_id: str) -> None:
            try:
                entry = await self.people_kv.get(registration_id)
            except KeyNotFoundError:
                return
            if entry.value:
                self.people[registration_id] = decode(entry.value, PersonalData)

        for start in range(0, len(missing), 200):
            await asyncio.gather(*(fetch(i) for i in missing[start : start + 200]))

    # --- helpers ---

    def token(self, purpose: str, registration_id: str) -> str:
        digest = hmac.new(self.secret, f"{purpose}:{registration_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def _event(self, slug: str, published_only: bool = True) -> EventSpec:
        spec = self.events.get(slug)
        if spec is None or (published_only and not spec.published):
            raise Rejected("not_found", f"No event {slug!r}", "event", key="event_not_found")
        return spec

    def _check_access(self, registration_id: str, token: str | None, by_organiser: str | None) -> Record:
        record = self.state.records.get(registration_id)
        if record is None:
            raise Rejected("not_found", "No such registration", key="registration_not_found")
        if by_organiser:
            return record
        if not token or not same_secret(token, self.token("manage", registration_id)):
            raise Rejected("forbidden", "This link is not valid for this registration", key="bad_token")
        return record

    async def view(self, registration_id: str) -> RegistrationView:
        await self._load_people([registration_id])
        return self._view(registration_id)

    def _view(self, registration_id: str) -> RegistrationView:
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
            language="en" if record.language == "en" else "fr",
            answers=person.answers,
            registered_at=record.registered_at,
            manage_token=self.token("manage", record.id),
            calendar_token=self.token("calendar", record.id),
            offer_expires_at=record.offer_expires_at,
            checked_in_at=record.checked_in_at,
            erased=record.erased,
        )

    async def _claims_changed(self, key: tuple[str, str]) -> None:
        event = self._claim_events.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await event.wait()

    def _claim_ended(self, key: tuple[str, str]) -> None:
        event = self._claim_events.pop(key, None)
        if event is not None:
            event.set()

    def expected_sequence(self, subject: str) -> int | None:
        """The capacity guard: appends on a seat must find it as this instance last saw it."""
        return self.store.last_sequence(subject)

    async def _append_guarded(self, subject: str, event: RegistrationEvent) -> bool:
        """Append expecting the subject's last sequence; False when someone got there first."""
        try:
            await self.store.append(subject, event, event.command_id, self.expected_sequence(subject))
        except Conflict:
            await self.store.catch_up_subject(subject)
            return False
        return True

    # --- commands ---

    async def register(self, command: Register) -> RegistrationView:
        spec = self._event(command.event)
        registration_id = hashlib.sha256(f"{spec.slug}:{command.command_id}".encode()).hexdigest()[:20]
        person_written = False
        for _ in range(MAX_ATTEMPTS):
            known = self.state.commands.get(command.command_id)
            if known is not None:
                # A repeat: the first outcome, with its person (a first try that lost its reply may
                # have stored the registration and not the personal data).
                await self._complete_person(known, command)
                return await self.view(known)
            now = datetime.now(UTC)
            key = (spec.slug, command.category or spec.default_category.id)
            reserved = self._reserved[key]
            event, answers = decide_register(self.state, spec, command, registration_id, now, reserved)
            if not person_written:
                # Personal data goes to the erasable bucket before the log gets the id, so a
                # registration in the stream always has its person; then decide afresh, as the
                # state may have moved while writing.
                person = PersonalData(name=command.name.strip(), email=command.email.strip(), answers=answers)
                await self._store_person(registration_id, person)
                person_written = True
                continue
            category = spec.category(event.category)
            tally = self.state.tally(spec.slug, event.category)
            if (
                event.seat is None
                and reserved
                and category is not None
                and tally.free_seat(category.capacity) is not None
            ):
                # Full only because of this instance's claims in flight: wait for one to end.
                await self._claims_changed(key)
                continue
            if event.seat is not None:
                reserved.add(event.seat)
                subject = Registration.seat_subject(spec.slug, event.category, event.seat)
                expected = self.expected_sequence(subject)
            else:
                subject, expected = Registration.waitlist_subject(spec.slug, event.category), None
            try:
                await self.store.append(subject, event, command.command_id, expected)
            except Conflict:
                await self.store.catch_up_subject(subject)
                continue
            finally:
                if event.seat is not None:
                    reserved.discard(event.seat)
                    self._claim_ended(key)
            if event.status == "waitlisted":
                await self._offer_free_seats(spec, event.category)
            return await self.view(registration_id)
        raise Rejected("unavailable", "Too many people are registering right now; please retry", key="unavailable")

    async def _store_person(self, registration_id: str, person: PersonalData) -> None:
        """Write a person's data, resending until stored (a put of the same value is harmless)."""
        value = encode(person)

        async def put(timeout: float) -> int:
            async with asyncio.timeout(timeout):
                return await self.people_kv.put(registration_id, value)

        await with_retries(put, f"store the personal data of {registration_id}")
        self.people[registration_id] = person

    async def _complete_person(self, registration_id: str, command: Register) -> None:
        """On a repeat: if the first try stored the registration and lost its person, write it now."""
        record = self.state.records[registration_id]
        if record.erased:
            return  # erased since: a replayed form must not bring the data back
        await self._load_people([registration_id])
        if registration_id in self.people:
            return
        spec = self.events.get(record.event)
        answers = check_answers(spec, record.category, command.answers) if spec else {}
        log.warning("registration %s had no personal data: writing it from its repeated command", registration_id)
        person = PersonalData(name=command.name.strip(), email=command.email.strip(), answers=answers)
        await self._store_person(registration_id, person)

    async def cancel(self, command: Cancel) -> RegistrationView:
        record = self._check_access(command.registration_id, command.token, command.by_organiser)
        for _ in range(MAX_ATTEMPTS):
            if self.state.commands.get(command.command_id) == record.id:
                break
            event = decide_cancel(self.state, record.id, command.command_id, command.by_organiser, datetime.now(UTC))
            if record.seat is not None:
                subject = Registration.seat_subject(record.event, record.category, record.seat)
            else:
                subject = Registration.person_subject(record.event, record.id)
            if await self._append_guarded(subject, event):
                break
        spec = self.events.get(record.event)
        if spec is not None:
            await self._offer_free_seats(spec, record.category)
        return await self.view(record.id)

    async def _offer_free_seats(self, spec: EventSpec, category: str) -> None:
        """While seats are free and people wait, offer the next seat to the next person."""
        for _ in range(MAX_ATTEMPTS):
            offer = decide_offer(
                self.state, spec, category, datetime.now(UTC), frozenset(self._reserved[(spec.slug, category)])
            )
            if offer is None:
                return
            await self._append_guarded(Registration.seat_subject(spec.slug, category, offer.seat), offer)

    async def claim(self, command: Claim) -> RegistrationView:
        record = self._check_access(command.registration_id, command.token, None)
        for _ in range(MAX_ATTEMPTS):
            if self.state.commands.get(command.command_id) == record.id or record.status == "confirmed":
                return await self.view(record.id)
            event = decide_claim(self.state, record.id, command.command_id, datetime.now(UTC))
            assert event.seat is not None
            if await self._append_guarded(Registration.seat_subject(record.event, record.category, event.seat), event):
                break
        return await self.view(record.id)

    async def promote(self, command: Promote) -> RegistrationView:
        record = self._check_access(command.registration_id, None, command.by_organiser)
        spec = self._event(record.event, published_only=False)
        for _ in range(MAX_ATTEMPTS):
            if self.state.commands.get(command.command_id) == record.id:
                break
            reserved = frozenset(self._reserved[(record.event, record.category)])
            event = decide_promote(
                self.state, spec, record.id, command.command_id, command.by_organiser, datetime.now(UTC), reserved
            )
            assert event.seat is not None
            if await self._append_guarded(Registration.seat_subject(record.event, record.category, event.seat), event):
                break
        return await self.view(record.id)

    async def update_answers(self, command: UpdateAnswers) -> RegistrationView:
        record = self._check_access(command.registration_id, command.token, None)
        live_record(self.state, record.id)
        spec = self._event(record.event, published_only=False)
        await self._load_people([record.id])
        old = self.people.get(record.id)
        check_person(command.name, old.email if old else "someone@example.org")
        answers = check_answers(spec, record.category, command.answers)
        if self.state.commands.get(command.command_id) == record.id:
            return await self.view(record.id)
        person = PersonalData(name=command.name.strip(), email=old.email if old else "", answers=answers)
        # The data first, then the event that tells other instances to read it again: a retry
        # with the same command id writes both again until the event is stored.
        await self._store_person(record.id, person)
        event = AnswersChanged(
            registration_id=record.id, command_id=command.command_id, event=record.event, at=datetime.now(UTC)
        )
        await self.store.append(Registration.person_subject(record.event, record.id), event, command.command_id, None)
        return await self.view(record.id)

    async def check_in(self, command: CheckIn) -> RegistrationView:
        record = self._check_access(command.registration_id, None, command.by_organiser)
        for _ in range(MAX_ATTEMPTS):
            if self.state.commands.get(command.command_id) == record.id:
                break
            event = decide_check_in(self.state, record.id, command.command_id, command.by_organiser, datetime.now(UTC))
            if await self._append_guarded(Registration.person_subject(record.event, record.id), event):
                break
        return await self.view(record.id)

    async def erase(self, command: Erase) -> RegistrationView:
        record = self._check_access(command.registration_id, None, command.by_organiser)
        await self._erase(record, command.command_id, command.by_organiser, "request")
        return await self.view(record.id)

    async def _erase(self, record: Record, command_id: str, by_organiser: str | None, reason: str) -> None:
        # Purge removes every revision from the bucket's stream: the data is gone, not hidden.
        await self.people_kv.purge(record.id)
        self.people.pop(record.id, None)
        if record.erased:
            return
        event = PersonErased(
            registration_id=record.id,
            command_id=command_id,
            event=record.event,
            by_organiser=by_organiser,
            reason="purge" if reason == "purge" else "request",
            at=datetime.now(UTC),
        )
        await self.store.append(Registration.person_subject(record.event, record.id), event, command_id, None)

    async def export(self, query: ExportPersonalData) -> PersonalDataExport:
        record = self._check_access(query.registration_id, None, query.by_organiser)
        event = PersonalDataExported(
            registration_id=record.id,
            command_id=f"export-{uuid.uuid4().hex}",
            event=record.event,
            by_organiser=query.by_organiser,
            at=datetime.now(UTC),
        )
        await self.store.append(Registration.person_subject(record.event, record.id), event, event.command_id, None)
        return PersonalDataExport(registration=await self.view(record.id), history=list(record.history))

    # --- queries ---

    async def get(self, query: GetRegistration) -> RegistrationView:
        self._check_access(query.registration_id, query.token, query.by_organiser)
        return await self.view(query.registration_id)

    async def calendar(self, query: CalendarAccess) -> CalendarHolder:
        """Whose private calendar link this is; the calendar token is not the manage token."""
        record = self.state.records.get(query.registration_id)
        if record is None:
            raise Rejected("not_found", "No such registration", key="registration_not_found")
        if not same_secret(query.token, self.token("calendar", record.id)):
            raise Rejected("forbidden", "This calendar link is not valid", key="bad_token")
        return CalendarHolder(
            registration_id=record.id,
            event=record.event,
            category=record.category,
            status=record.status,
            language="en" if record.language == "en" else "fr",
            erased=record.erased,
        )

    async def list(self, query: ListRegistrations) -> RegistrationList:
        ids = self.state.by_event.get(query.event, [])
        await self._load_people(ids)
        return RegistrationList(registrations=[self._view(i) for i in ids])

    async def find(self, query: FindRegistrations) -> RegistrationList:
        needle = _folded(query.text.strip())
        await self._load_people(self.state.by_event.get(query.event, []))
        found = []
        for registration_id in self.state.by_event.get(query.event, []):
            person = self.people.get(registration_id)
            haystack = registration_id if person is None else f"{registration_id} {person.name} {person.email}"
            if needle and needle in _folded(haystack):
                found.append(self._view(registration_id))
                if len(found) >= query.limit:
                    break
        return RegistrationList(registrations=found)

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
                    offered=tally.offered,
                    checked_in=tally.checked_in,
                )
            )
        return Counts(event=spec.slug, categories=categories)

    # --- housekeeping: lapsed offers and the RGPD purge ---

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                await self.housekeeping(datetime.now(UTC))
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(self._housekeeping_seconds)

    async def housekeeping(self, now: datetime) -> None:
        for lapse in lapsed_offers(self.state, now):
            record = self.state.records[lapse.registration_id]
            if record.seat is None:
                continue
            await self._append_guarded(Registration.seat_subject(record.event, record.category, record.seat), lapse)
            spec = self.events.get(record.event)
            if spec is not None:
                await self._offer_free_seats(spec, record.category)
        for registration_id in due_for_purge(self.state, self.events, now):
            await self._erase(self.state.records[registration_id], f"purge-{registration_id}", None, "purge")
