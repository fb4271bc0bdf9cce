"""The registration service's NATS wiring: stream, people bucket, endpoints, housekeeping."""

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from nats.aio.client import Client

from schemas.catalog import EventDefined, EventSpec
from schemas.errors import Rejected
from schemas.registration import (
    ActionHistory,
    Answer,
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
    GetActionHistory,
    GetCounts,
    GetRegistration,
    ListRegistrations,
    OfferLapsed,
    OpenShortLink,
    PersonalData,
    PersonalDataExport,
    PersonalDataExported,
    PersonErased,
    Promote,
    Register,
    RegistrationCancelled,
    RegistrationEvent,
    RegistrationList,
    RegistrationView,
    ShortLinkTarget,
    UpdateAnswers,
    WaitlistPromoted,
    short_code,
)
from schemas.subjects import Registration
from schemas.validation import same_secret, without_accents
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.endpoints import Endpoints
from services.kit.kv import bucket, shared_secret
from services.kit.store import Append, EventStore, unavailable
from services.registration.people import BUCKET as PEOPLE_BUCKET
from services.registration.people import PeopleStore
from services.registration.rules import (
    Record,
    RegistrationState,
    category_status,
    check_answers,
    check_answers_change,
    decide_cancel,
    decide_check_in,
    decide_claim,
    decide_offer,
    decide_promote,
    decide_register,
    due_for_purge,
    event_status,
    idempotency_key_reused,
    lapsed_offer,
    lapsed_offers,
    live_record,
    organiser_actions,
    payload_fingerprint,
)

log = logging.getLogger("perche.registration")

SECRETS_BUCKET = "perche_registration_secrets"
__all__ = ["PEOPLE_BUCKET", "SECRETS_BUCKET", "RegistrationService"]
# What changes a CalendarHolder (its status, or erasure): announced to the web's caches.
HOLDER_CHANGES = (RegistrationCancelled, OfferLapsed, WaitlistPromoted, PersonErased)
# How many times a write is decided again (after a race, or a wait for this instance's own
# claims in flight) before it is refused as unavailable.
MAX_ATTEMPTS = 50


def _folded(text: str) -> str:
    """Lower case without accents, so « Hélène » is found by typing « helene »."""
    return without_accents(text.casefold())


def msg_id(event: RegistrationEvent) -> str:
    """A client's command id only ever deduplicates within its own registration."""
    return f"{event.registration_id}:{event.command_id}"


class RegistrationService:
    name = "registration"

    def __init__(self, housekeeping_seconds: float | None = None) -> None:
        self.state = RegistrationState()
        # A new definition may raise a category's capacity: its new seats go to the people waiting.
        self.catalog = CatalogReader(on_defined=self._on_defined)
        self.background = Background(log)
        # Set once this instance's state is current: definitions replayed before decide nothing.
        self._live = False
        self.people: dict[str, PersonalData] = {}
        # Seats this instance is claiming right now, so its own concurrent requests pick
        # different seats; other instances are kept out by the expected-sequence check.
        self._reserved: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
        self._claim_events: dict[tuple[str, str], asyncio.Event] = {}
        self._housekeeping_seconds = housekeeping_seconds or float(os.environ.get("PERCHE_HOUSEKEEPING_SECONDS", "30"))
        # Short links' codes (code -> registration id), made on demand: a code never changes.
        self._short_codes: dict[str, str] = {}
        self._short_coded: set[str] = set()

    async def start(self, nc: Client) -> None:
        self.nc = nc
        js = nc.jetstream()
        self.secret = await shared_secret(await bucket(js, SECRETS_BUCKET), "tokens")
        self.people_store = PeopleStore(js)
        await self.people_store.open()
        # The catalog's stream is read here (never written) to know each event's seats.
        await self.catalog.open(nc)
        self.store: EventStore[RegistrationEvent] = EventStore(
            nc, self.name, RegistrationEvent, lambda event, _subject: self._apply(event)
        )
        await self.store.open()
        self._live = True
        # Seats left free while people wait (a capacity raised while no instance ran): offered now.
        self.background.start(self._offer_in_every_event())
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
            (Registration.SHORT_LINK, OpenShortLink, self.short_link),
            (Registration.HISTORY, GetActionHistory, self.history),
        ]:
            self.endpoints.add(subject, request_type, handler)
        await self.endpoints.start()
        self._housekeeping = asyncio.create_task(self._housekeeping_loop())

    async def stop(self) -> None:
        self._live = False
        self._housekeeping.cancel()
        await self.background.stop()
        await self.endpoints.stop()
        await self.store.close()
        await self.catalog.close()

    # --- state from other places ---

    def _apply(self, event: RegistrationEvent) -> None:
        self.state.evolve(event)
        # Personal data changed somewhere (maybe another instance): read it afresh next time.
        if isinstance(event, AnswersChanged | PersonErased):
            self.people.pop(event.registration_id, None)
        # Whose calendar link the web checked has changed: tell it now (not during replay),
        # so a cancelled person's feed says so at once rather than when the web's check expires.
        if self._live and isinstance(event, HOLDER_CHANGES):
            subject = Registration.holder_changed(event.event, event.registration_id)
            self.background.start(self.nc.publish(subject, b""))

    def _on_defined(self, event: EventDefined) -> None:
        if self._live:
            self.background.start(self._offer_in_event(event.spec.slug))

    async def _offer_in_event(self, slug: str) -> None:
        """Offer every seat of the event free while people wait: each instance may, none twice."""
        spec = self.catalog.specs.get(slug)
        if spec is None or spec.ends_at <= datetime.now(UTC):
            return  # nobody is offered a seat at an event that is over
        for category in spec.categories:
            await self._offer_free_seats(spec, category.id)

    async def _offer_in_every_event(self) -> None:
        for slug in list(self.catalog.specs):
            await self._offer_in_event(slug)

    async def _load_people(self, ids: list[str]) -> None:
        """Fetch from the bucket the personal data this instance has not seen yet."""
        missing = [i for i in ids if i not in self.people and not self.state.records[i].erased]

        async def fetch(registration_id: str) -> None:
            person = await self.people_store.get(registration_id)
            if person is not None:
                self.people[registration_id] = person

        for start in range(0, len(missing), 200):
            await asyncio.gather(*(fetch(i) for i in missing[start : start + 200]))

    # --- helpers ---

    def token(self, purpose: str, registration_id: str) -> str:
        digest = hmac.new(self.secret, f"{purpose}:{registration_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

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

    def _guarded(self, subject: str, event: RegistrationEvent) -> Append[RegistrationEvent]:
        """An append that must find `subject` as this instance last saw it (else decided again)."""
        return Append(subject, event, msg_id(event), self.expected_sequence(subject))

    def _unless_applied(
        self, record: Record, command_id: str, decide: Callable[[], Append[RegistrationEvent] | None]
    ) -> Callable[[], Append[RegistrationEvent] | None]:
        """A repeated command appends nothing: its first outcome stands."""
        return lambda: None if self.state.applied(record.id, command_id) else decide()

    # --- commands ---

    async def register(self, command: Register) -> RegistrationView:
        spec = await self.catalog.spec(command.event, published_only=True)
        # The key names a registration of this event only: the same key elsewhere is another one.
        registration_id = hashlib.sha256(f"{spec.slug}:{command.command_id}".encode()).hexdigest()[:20]
        if registration_id in self.state.records:
            return await self._repeat(spec, command, registration_id)
        # The person's key is made once the request is valid, before the event naming them; the
        # registration is decided again below, as the state may move while the key is written.
        _, answers = decide_register(self.state, spec, command, registration_id, datetime.now(UTC))
        fingerprint = payload_fingerprint(command, await self.people_store.key(registration_id))
        key = (spec.slug, command.category or spec.default_category.id)
        reserved = self._reserved[key]
        claiming: list[int] = []  # the seat this request holds back from its siblings while appending

        def release() -> None:
            while claiming:
                reserved.discard(claiming.pop())
                self._claim_ended(key)

        async def decide() -> Append[RegistrationEvent] | None:
            release()  # after a lost race the seat is someone else's
            for _ in range(MAX_ATTEMPTS):
                if registration_id in self.state.records:
                    return None  # a racing request with the same key made it
                event, _ = decide_register(
                    self.state, spec, command, registration_id, datetime.now(UTC), reserved, fingerprint
                )
                category = spec.category(event.category)
                tally = self.state.tally(spec.slug, event.category)
                free_but_claimed = category is not None and tally.free_seat(category.capacity) is not None
                if event.seat is None and reserved and free_but_claimed:
                    # Full only because of this instance's claims in flight: wait for one to end.
                    await self._claims_changed(key)
                    continue
                if event.seat is None:
                    subject = Registration.waitlist_subject(spec.slug, event.category)
                    return Append(subject, event, msg_id(event), expected=None)
                reserved.add(event.seat)
                claiming.append(event.seat)
                # One message id per registration: a racing request with the same key is deduplicated.
                return self._guarded(Registration.seat_subject(spec.slug, event.category, event.seat), event)
            raise unavailable("register")

        try:
            appended = await self.store.append_decided(decide)
        finally:
            release()
        record = self.state.records.get(registration_id)
        if appended is None or record is None or record.fingerprint != fingerprint:
            return await self._repeat(spec, command, registration_id)  # a racing request made it
        # Only the request whose event was stored writes its person; the reply waits for both.
        await self._write_person(registration_id, command, answers, first=True)
        if record.seat is None:
            await self._offer_free_seats(spec, record.category)  # a seat may have freed meanwhile
        return await self.view(registration_id)

    async def _write_person(
        self, registration_id: str, command: Register, answers: dict[str, Answer], first: bool = False
    ) -> None:
        person = PersonalData(name=command.name.strip(), email=command.email.strip(), answers=answers)
        await self.people_store.put(registration_id, person, replacing=not first)
        self.people[registration_id] = person

    async def _repeat(self, spec: EventSpec, command: Register, registration_id: str) -> RegistrationView:
        """A key already used for this event: its first outcome, only for the same request."""
        record = self.state.records.get(registration_id)
        if record is None or not await self._same_request(spec, command, record):
            raise idempotency_key_reused()
        await self._load_people([registration_id])
        if registration_id not in self.people:
            # The first try stored the registration but not the person (its reply was an error).
            await self._write_person(registration_id, command, check_answers(spec, record.category, command.answers))
            if await self.people_store.existing_key(registration_id) is None:
                # Erased while this was written (the key goes first): the erasure wins.
                await self.people_store.erase(registration_id)
                self.people.pop(registration_id, None)
                raise idempotency_key_reused()
        return self._view(registration_id)

    async def _same_request(self, spec: EventSpec, command: Register, record: Record) -> bool:
        if record.erased:
            return False  # nothing to compare with any more, and nothing to give back
        if record.fingerprint is not None:
            key = await self.people_store.existing_key(record.id)
            return key is not None and same_secret(record.fingerprint, payload_fingerprint(command, key))
        # Registered before fingerprints existed: compare with the stored person.
        person = await self.people_store.get(record.id)
        try:
            answers = check_answers(spec, record.category, command.answers)
        except Rejected:
            return False
        return (
            person is not None
            and person.name == command.name.strip()
            and person.email.casefold() == command.email.strip().casefold()
            and person.answers == answers
            and record.category == (command.category or spec.default_category.id)
            and record.language == command.language
        )

    async def cancel(self, command: Cancel) -> RegistrationView:
        record = self._check_access(command.registration_id, command.token, command.by_organiser)

        def decide() -> Append[RegistrationEvent]:
            event = decide_cancel(self.state, record.id, command.command_id, command.by_organiser, datetime.now(UTC))
            if record.seat is not None:
                return self._guarded(Registration.seat_subject(record.event, record.category, record.seat), event)
            return self._guarded(Registration.person_subject(record.event, record.id), event)

        await self.store.append_decided(self._unless_applied(record, command.command_id, decide))
        spec = self.catalog.specs.get(record.event)
        if spec is not None:
            await self._offer_free_seats(spec, record.category)
        return await self.view(record.id)

    async def _offer_free_seats(self, spec: EventSpec, category: str) -> None:
        """While seats are free and people wait, offer the next seat to the next person."""

        def decide() -> Append[RegistrationEvent] | None:
            reserved = frozenset(self._reserved[(spec.slug, category)])
            offer = decide_offer(self.state, spec, category, datetime.now(UTC), reserved)
            if offer is None:
                return None
            return self._guarded(Registration.seat_subject(spec.slug, category, offer.seat), offer)

        # Each offer takes the first waiting person off the waitlist, so this ends.
        while await self.store.append_decided(decide) is not None:
            pass

    async def claim(self, command: Claim) -> RegistrationView:
        record = self._check_access(command.registration_id, command.token, None)

        def decide() -> Append[RegistrationEvent] | None:
            if record.status == "confirmed":
                return None  # claimed already (by a repeat of this request, or promoted by an organiser)
            event = decide_claim(self.state, record.id, command.command_id, datetime.now(UTC))
            assert event.seat is not None
            return self._guarded(Registration.seat_subject(record.event, record.category, event.seat), event)

        await self.store.append_decided(self._unless_applied(record, command.command_id, decide))
        return await self.view(record.id)

    async def promote(self, command: Promote) -> RegistrationView:
        record = self._check_access(command.registration_id, None, command.by_organiser)
        spec = await self.catalog.spec(record.event)

        def decide() -> Append[RegistrationEvent]:
            reserved = frozenset(self._reserved[(record.event, record.category)])
            event = decide_promote(
                self.state, spec, record.id, command.command_id, command.by_organiser, datetime.now(UTC), reserved
            )
            assert event.seat is not None
            return self._guarded(Registration.seat_subject(record.event, record.category, event.seat), event)

        await self.store.append_decided(self._unless_applied(record, command.command_id, decide))
        return await self.view(record.id)

    async def update_answers(self, command: UpdateAnswers) -> RegistrationView:
        record = self._check_access(command.registration_id, command.token, None)
        live_record(self.state, record.id)
        if record.erased:
            raise Rejected("conflict", "This person's data was erased", key="erased")
        spec = await self.catalog.spec(record.event)
        old, revision = await self.people_store.read(record.id)
        email = old.email if old else "someone@example.org"  # not changed here: only the name is checked
        answers = check_answers_change(spec, record.category, command.name, email, command.answers)
        if self.state.applied(record.id, command.command_id):
            return await self.view(record.id)
        self.people.pop(record.id, None)
        for _ in range(MAX_ATTEMPTS):
            if old is None:
                raise Rejected("conflict", "This person's data was erased", key="erased")
            person = PersonalData(name=command.name.strip(), email=old.email, answers=answers)
            # Over the revision just read only, so an erasure in between is never undone; the old
            # answers are destroyed, not only superseded.
            if await self.people_store.replace(record.id, person, revision):
                break
            old, revision = await self.people_store.read(record.id)  # changed meanwhile: over the new one
        else:
            raise Rejected("unavailable", "Too many changes at once; please retry", key="unavailable")
        self.people[record.id] = person
        event = AnswersChanged(
            registration_id=record.id, command_id=command.command_id, event=record.event, at=datetime.now(UTC)
        )
        await self.store.append(Registration.person_subject(record.event, record.id), event, msg_id(event), None)
        return await self.view(record.id)

    async def check_in(self, command: CheckIn) -> RegistrationView:
        record = self._check_access(command.registration_id, None, command.by_organiser)

        def decide() -> Append[RegistrationEvent]:
            event = decide_check_in(self.state, record.id, command.command_id, command.by_organiser, datetime.now(UTC))
            return self._guarded(Registration.person_subject(record.event, record.id), event)

        await self.store.append_decided(self._unless_applied(record, command.command_id, decide))
        return await self.view(record.id)

    async def erase(self, command: Erase) -> RegistrationView:
        record = self._check_access(command.registration_id, None, command.by_organiser)
        await self._erase(record, command.command_id, command.by_organiser, "request")
        return await self.view(record.id)

    async def _erase(self, record: Record, command_id: str, by_organiser: str | None, reason: str) -> None:
        # Every revision of the data and the person's key are overwritten on disk, not only hidden.
        await self.people_store.erase(record.id)
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
        await self.store.append(Registration.person_subject(record.event, record.id), event, msg_id(event), None)

    async def export(self, query: ExportPersonalData) -> PersonalDataExport:
        record = self._check_access(query.registration_id, None, query.by_organiser)
        event = PersonalDataExported(
            registration_id=record.id,
            command_id=f"export-{uuid.uuid4().hex}",
            event=record.event,
            by_organiser=query.by_organiser,
            at=datetime.now(UTC),
        )
        await self.store.append(Registration.person_subject(record.event, record.id), event, msg_id(event), None)
        return PersonalDataExport(registration=await self.view(record.id), history=list(record.history))

    # --- queries ---

    async def get(self, query: GetRegistration) -> RegistrationView:
        self._check_access(query.registration_id, query.token, query.by_organiser)
        return await self.view(query.registration_id)

    async def short_link(self, query: OpenShortLink) -> ShortLinkTarget:
        """The private page a short link opens; its code stands for the page's token."""
        for new in self.state.records.keys() - self._short_coded:
            self._short_codes[short_code(self.token("manage", new))] = new
            self._short_coded.add(new)
        found = self._short_codes.get(query.code.strip().lower())
        if found is None:
            raise Rejected("not_found", "No such registration", key="registration_not_found")
        return ShortLinkTarget(registration_id=found, token=self.token("manage", found))

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
            cancelled_at=record.cancelled_at if record.status == "cancelled" else None,
        )

    async def list(self, query: ListRegistrations) -> RegistrationList:
        ids = self.state.by_event.get(query.event, [])
        await self._load_people(ids)
        return RegistrationList(registrations=[self._view(i) for i in ids])

    async def history(self, query: GetActionHistory) -> ActionHistory:
        """Organisers' actions on the event's people, read from the stream (no record of its own)."""
        stored = await self.store.history(Registration.event_events(query.event))
        actions = organiser_actions([event for event, _subject in stored])
        ids = list(dict.fromkeys(a.registration_id for a in actions if a.registration_id in self.state.records))
        await self._load_people(ids)
        named = []
        for action in actions:
            person = self.people.get(action.registration_id)
            erased = person is None or self.state.records[action.registration_id].erased
            named.append(msgspec.structs.replace(action, name=None if erased else person.name))
        return ActionHistory(actions=named)

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
        spec = await self.catalog.spec(query.event)
        now = datetime.now(UTC)  # the status is the one at the time of asking
        categories = []
        for category in spec.categories:
            tally = self.state.tally(spec.slug, category.id)
            count = CategoryCount(
                category=category.id,
                capacity=category.capacity,
                confirmed=tally.confirmed,
                waitlisted=len(tally.waitlist),
                offered=tally.offered,
                checked_in=tally.checked_in,
            )
            status = category_status(spec, category, count.remaining, now)
            categories.append(msgspec.structs.replace(count, status=status))
        statuses = {count.category: count.status for count in categories}
        return Counts(event=spec.slug, categories=categories, status=event_status(spec, statuses))

    # --- housekeeping: lapsed offers and the RGPD purge ---

    def _lapse(self, record: Record, now: datetime) -> Callable[[], Append[RegistrationEvent] | None]:
        def decide() -> Append[RegistrationEvent] | None:
            lapse = lapsed_offer(record, now)  # None once claimed or cancelled
            if lapse is None or record.seat is None:
                return None
            return self._guarded(Registration.seat_subject(record.event, record.category, record.seat), lapse)

        return decide

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
            await self.store.append_decided(self._lapse(record, now))
            spec = self.catalog.specs.get(record.event)
            if spec is not None:
                await self._offer_free_seats(spec, record.category)
        for registration_id in due_for_purge(self.state, self.catalog.specs, now):
            await self._erase(self.state.records[registration_id], f"purge-{registration_id}", None, "purge")
