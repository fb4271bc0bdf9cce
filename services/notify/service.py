"""The notify service's wiring: registration events and agenda releases in, mails out, a log of what was sent.

Work arrives through durable JetStream consumers on the registration, schedule,
publishing and teams streams, each shared by every notify instance, with explicit acks: an event is
acked once its mails are sent (or it needs none), so a stopped or crashed instance
leaves it to be delivered again (`queue.py`). Before sending, an instance claims the
mail in the notify stream (expecting the mail's last sequence), so two instances
never both send it, and a mail recorded as sent is never sent again, across restarts.

The catalog and registration streams are also followed in full (read-only, like
the registration service follows the catalog) for event details, reminders and
erasures; an agenda release carries all it needs. Names and addresses are asked of
the registration service when a mail is made and are never written to any log.
"""

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from nats.aio.client import Client
from nats.aio.msg import Msg

from schemas.accounts import SendAccountMail
from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.notify import (
    CountReleaseRecipients,
    GetMail,
    ListMails,
    MailClaimed,
    MailFailed,
    MailList,
    MailSent,
    MailSummary,
    MailView,
    NotifyEvent,
    PreviewMessage,
    ReleaseRecipients,
    SendJuryLinks,
    SendMessage,
)
from schemas.publishing import PublishingEvent, ResultsPublished
from schemas.registration import GetRegistration, PersonErased, RegistrationEvent, RegistrationView
from schemas.schedule import AgendaReleased, ScheduleEvent
from schemas.speakers import SendSpeakerInvitation
from schemas.subjects import Notify, Registration
from schemas.teams import ProposalConfirmed, TeamsEvent
from services.kit.catalog_reader import CatalogReader
from services.kit.client import ServiceError, call
from services.kit.endpoints import Endpoints
from services.kit.settings import Settings
from services.kit.store import Append, EventStore
from services.notify.account_mails import AccountMails
from services.notify.compose import Composer
from services.notify.jury_links import JuryLinkMails
from services.notify.messages import MessageMails
from services.notify.queue import ACK, MAX_DELIVER, Outcome, WorkQueue, combined
from services.notify.rules import (
    MAX_ATTEMPTS,
    MailOrder,
    MailRecord,
    NotifyState,
    claim_decision,
    due_reminders,
    error_label,
    first_name,
    mail_for,
    mails_for_release,
    mails_for_results,
    mails_for_teams,
    recipients_summary,
    retry_delay,
    still_wanted,
    wait_seconds,
)
from services.notify.speaker_mails import SpeakerMails
from services.notify.transport import MaildirTransport, transport_for

log = logging.getLogger("perche.notify")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# Mails made and sent at once by one instance (a registration's mails stay in order).
CONCURRENCY = 8


def no_such_event(slug: str) -> Outcome:
    """An event about an event the catalog does not have: nobody to write to, ever; set aside."""
    return Outcome("dead", reason=f"no event {slug!r} in the catalog")


class NotifyService:
    name = "notify"

    def __init__(
        self,
        settings: Settings | None = None,
        housekeeping_seconds: float | None = None,
        dead_after: int = MAX_DELIVER,
    ) -> None:
        self.settings = settings or Settings()
        # Deliveries of a work queue's event before it is set aside as a dead letter.
        self.dead_after = dead_after
        self.transport = transport_for(self.settings)
        self.composer = Composer(
            base_url=self.settings.base_url or DEFAULT_BASE_URL,
            organisation=self.settings.organisation,
            mail_from=self.settings.mail_from,
            reply_to=self.settings.reply_address,
        )
        self.state = NotifyState()
        self.catalog = CatalogReader()
        # Names this instance in its claims, so it may take back its own after a failure.
        self.instance = uuid.uuid4().hex[:12]
        self._housekeeping_seconds = housekeeping_seconds or float(os.environ.get("PERCHE_HOUSEKEEPING_SECONDS", "30"))
        self._slots = asyncio.Semaphore(CONCURRENCY)
        # Mails this instance sent whose MailSent could not be written yet: never sent again.
        self._unrecorded: set[str] = set()
        # Mails this instance is delivering right now (claimed, being made or sent).
        self._delivering: set[str] = set()

    async def start(self, nc: Client) -> None:
        self.nc = nc
        await self.catalog.open(nc)
        self.registrations: EventStore[RegistrationEvent] = EventStore(
            nc, "registration", RegistrationEvent, lambda event, _subject: self.state.evolve_registration(event)
        )
        await self.registrations.open()
        self.store: EventStore[NotifyEvent] = EventStore(
            nc, self.name, NotifyEvent, lambda event, _subject: self.state.evolve_mail(event)
        )
        await self.store.open()
        # Mails of people erased while this instance was away leave the Maildir now.
        await self._erase_copies({p.id for p in self.state.people.values() if p.erased})

        self.endpoints = Endpoints(nc, self.name, "Mails sent in reaction to registrations and agendas, and their log")
        self.endpoints.add(Notify.LIST_MAILS, ListMails, self.list_mails)
        self.endpoints.add(Notify.GET_MAIL, GetMail, self.get_mail)
        self.jury_links = JuryLinkMails(self.catalog, self.state, self._registrations_current, self.deliver)
        self.endpoints.add(Notify.SEND_JURY_LINKS, SendJuryLinks, self.jury_links.send)
        self.messages = MessageMails(
            nc, self.catalog, self.state, self._registrations_current, self.deliver, self.composer.preview
        )
        self.endpoints.add(Notify.SEND_MESSAGE, SendMessage, self.messages.send)
        self.endpoints.add(Notify.PREVIEW_MESSAGE, PreviewMessage, self.messages.preview)
        self.endpoints.add(Notify.RELEASE_RECIPIENTS, CountReleaseRecipients, self.release_recipients)
        self.account_mails = AccountMails(self.composer, self.transport)
        self.endpoints.add(Notify.SEND_ACCOUNT_MAIL, SendAccountMail, self.account_mails.send)
        self.speaker_mails = SpeakerMails(self.composer, self.transport, self.catalog)
        self.endpoints.add(Notify.SEND_SPEAKER_INVITATION, SendSpeakerInvitation, self.speaker_mails.send)
        await self.endpoints.start()

        # Each stream's work, shared by the instances through one durable consumer. A person's
        # events are handled in order, and so are one event's agenda releases and results.
        self.queues: list[WorkQueue[Any]] = []
        sources: list[tuple[str, str, Any, Callable[[Any], str], Callable[[Any, Msg], Awaitable[Outcome]]]] = [
            ("registration", Notify.REGISTRATION_CONSUMER, RegistrationEvent, lambda e: e.registration_id,
             self.on_registration_event),
            ("schedule", Notify.SCHEDULE_CONSUMER, ScheduleEvent, lambda e: e.event, self.on_schedule_event),
            ("publishing", Notify.PUBLISHING_CONSUMER, PublishingEvent, lambda e: e.event, self.on_publishing_event),
            ("teams", Notify.TEAMS_CONSUMER, TeamsEvent, lambda e: e.event, self.on_teams_event),
        ]  # fmt: skip
        for service, consumer, event_type, key, handle in sources:
            queue: WorkQueue[Any] = WorkQueue(
                nc, service, consumer, event_type, key=key, handle=handle, slots=self._slots, dead_after=self.dead_after
            )
            await queue.start()
            self.queues.append(queue)
        self._housekeeping = asyncio.create_task(self._housekeeping_loop())

    async def stop(self) -> None:
        self._housekeeping.cancel()
        await asyncio.gather(*(queue.stop() for queue in self.queues))
        with contextlib.suppress(asyncio.CancelledError):
            await self._housekeeping
        await self.endpoints.stop()
        await self.jury_links.stop()
        await self.messages.stop()
        await self.account_mails.stop()
        await self.speaker_mails.stop()
        await self.store.close()
        await self.registrations.close()
        await self.catalog.close()

    # --- registration events, from the shared durable consumer ---

    async def on_registration_event(self, event: RegistrationEvent, msg: Msg) -> Outcome:
        meta = msg.metadata
        # This instance's view of the registrations must include the event itself.
        await self.registrations.caught_up(meta.sequence.stream)
        if isinstance(event, PersonErased):
            await self._erase_copies({event.registration_id})
            return ACK
        spec = await self._spec_of(event.event, msg.subject)
        if spec is None:
            return no_such_event(event.event)
        order = mail_for(event, self.state.people.get(event.registration_id), spec, datetime.now(UTC))
        if order is None:
            return ACK
        last_delivery = meta.num_delivered >= self.dead_after
        with contextlib.suppress(Exception):
            await msg.in_progress()
        return await self.deliver(order, spec, last_delivery)

    # --- agenda releases, from the shared durable consumer on the schedule stream ---

    async def on_schedule_event(self, event: ScheduleEvent, msg: Msg) -> Outcome:
        if not isinstance(event, AgendaReleased):
            return ACK  # draft edits are for organisers only
        spec = await self._spec_of(event.event, msg.subject)
        if spec is None:
            return no_such_event(event.event)
        await self._registrations_current()
        return await self._deliver_all(mails_for_release(event, self.state.people, spec, datetime.now(UTC)), spec, msg)

    async def _spec_of(self, slug: str, subject: str) -> EventSpec | None:
        try:
            return await self.catalog.spec(slug)
        except Rejected as rejected:
            if rejected.reply.key != "event_not_found":
                raise
            log.error("notify: no event %r in the catalog for %s; no mail", slug, subject)
            return None

    async def _registrations_current(self) -> None:
        """Who is registered, cancelled or erased: as the registration log says now, not as it said
        when this instance last looked (a release may name someone who registered since)."""
        await self.registrations.catch_up_all()

    async def _deliver_all(self, orders: list[MailOrder], spec: EventSpec, msg: Msg) -> Outcome:
        last_delivery = msg.metadata.num_delivered >= self.dead_after
        outcomes: list[Outcome] = []
        # One after the other: the task holds one of the instance's sending slots.
        for order in orders:
            with contextlib.suppress(Exception):
                await msg.in_progress()
            outcomes.append(await self.deliver(order, spec, last_delivery))
        return combined(outcomes)

    # --- published results, from the shared durable consumer on the publishing stream ---

    async def on_publishing_event(self, event: PublishingEvent, msg: Msg) -> Outcome:
        if not isinstance(event, ResultsPublished):
            return ACK  # a withdrawal tells no one
        spec = await self._spec_of(event.event, msg.subject)
        if spec is None:
            return no_such_event(event.event)
        await self._registrations_current()
        return await self._deliver_all(mails_for_results(event, self.state.people, datetime.now(UTC)), spec, msg)

    # --- confirmed team formations, from the shared durable consumer on the teams stream ---

    async def on_teams_event(self, event: TeamsEvent, msg: Msg) -> Outcome:
        if not isinstance(event, ProposalConfirmed):
            return ACK  # teams made by participants, drafts and links tell no one
        spec = await self._spec_of(event.event, msg.subject)
        if spec is None:
            return no_such_event(event.event)
        await self._registrations_current()
        return await self._deliver_all(mails_for_teams(event, self.state.people, spec, datetime.now(UTC)), spec, msg)

    async def _with_first_names(self, order: MailOrder) -> MailOrder | None:
        """The order with its teammates' first names, as the registration service has them now;
        None when one cannot be read yet. An erased or cancelled teammate is not named."""
        if order.team is None:
            return order
        names: list[str] = []
        for registration_id in order.team.teammates:
            query = GetRegistration(registration_id=registration_id, by_organiser="notify")
            try:
                teammate = await call(self.nc, Registration.GET, query, RegistrationView)
            except ServiceError as error:
                log.info("notify: teammate %s not readable yet (%s)", registration_id, error.reply.code)
                return None
            if not teammate.erased and teammate.status != "cancelled" and (name := first_name(teammate.name)):
                names.append(name)
        return replace(order, team=replace(order.team, first_names=tuple(names)))

    # --- one mail: claim, make, send, record ---

    async def deliver(self, order: MailOrder, spec: EventSpec, last_delivery: bool = False) -> Outcome:
        # A claim names the instance, so this instance's own claim does not stop it: a second
        # delivery of the same mail here (a repeated command, a redelivery) waits for the first.
        if order.mail_id in self._delivering:
            return Outcome("retry", 1.0, f"mail {order.mail_id} being sent here already")
        self._delivering.add(order.mail_id)
        try:
            return await self._deliver(order, spec, last_delivery)
        finally:
            self._delivering.discard(order.mail_id)

    async def _deliver(self, order: MailOrder, spec: EventSpec, last_delivery: bool) -> Outcome:
        subject = Notify.mail_subject(order.mail_id)
        record = self.state.mails.get(order.mail_id)
        decision = claim_decision(record, self.instance, datetime.now(UTC))
        if decision == "skip":
            return ACK
        if decision == "wait" and record is not None:
            return Outcome("retry", wait_seconds(record, datetime.now(UTC)), f"mail {order.mail_id} claimed elsewhere")
        try:
            query = GetRegistration(registration_id=order.registration_id, by_organiser="notify")
            view = await call(self.nc, Registration.GET, query, RegistrationView)
        except ServiceError as error:
            # Not there yet on the instance that answered, or not answering: ask again soon.
            log.info("notify: registration %s not readable yet (%s)", order.registration_id, error.reply.code)
            return Outcome("retry", 2.0, f"registration {order.registration_id} not readable ({error.reply.code})")
        if not view.erased and not view.email.strip():
            # Registered without its person (written by a version that could lose it): say so,
            # and ask again, as a repeat of the registration writes the person afterwards.
            log.error("notify: registration %s has no personal data; no %s mail yet", view.id, order.kind)
            return Outcome("retry", 30.0, f"registration {view.id} has no personal data")
        if not still_wanted(order, view):
            return ACK  # nobody to write to any more, or nothing to tell them
        named = await self._with_first_names(order)
        if named is None:
            return Outcome("retry", 2.0, f"a teammate of {order.registration_id} is not readable")
        order = named
        if not await self._claim(order, subject, view.language):
            record = self.state.mails.get(order.mail_id)
            if record is None or record.sent_at is not None or record.abandoned:
                return ACK
            return Outcome("retry", wait_seconds(record, datetime.now(UTC)), f"mail {order.mail_id} claimed elsewhere")
        attempt = self.state.mails[order.mail_id].failures + 1
        try:
            if order.mail_id not in self._unrecorded:
                message = self.composer.compose(order, view, spec, datetime.now(UTC))
                await self.transport.send(message)
        except Exception as error:
            final = attempt >= MAX_ATTEMPTS or last_delivery
            label = error_label(error)
            if final:
                log.error("notify: giving up mail %s after %d attempts: %s", order.mail_id, attempt, label)
            else:
                log.warning("notify: mail %s failed (attempt %d): %s", order.mail_id, attempt, label)
            failed = MailFailed(mail_id=order.mail_id, error=label, final=final, at=datetime.now(UTC))
            await self.store.append(subject, failed, f"failed-{order.mail_id}-{attempt}", None)
            # Given up for good: recorded as failed in the mail log, so no dead letter too.
            return Outcome("term") if final else Outcome("retry", retry_delay(attempt), f"sending failed: {label}")
        sent = MailSent(mail_id=order.mail_id, transport=self.transport.kind, at=datetime.now(UTC))
        self._unrecorded.add(order.mail_id)
        await self.store.append(subject, sent, f"sent-{order.mail_id}", None)
        self._unrecorded.discard(order.mail_id)
        log.info("notify: sent %s mail %s", order.kind, order.mail_id)
        return ACK

    async def _claim(self, order: MailOrder, subject: str, language: Literal["fr", "en"]) -> bool:
        """Claim the mail for this instance; False when another instance holds or sent it."""

        def decide() -> Append[NotifyEvent] | None:
            now = datetime.now(UTC)
            if claim_decision(self.state.mails.get(order.mail_id), self.instance, now) != "claim":
                return None
            expected = self.store.last_sequence(subject)
            claim = MailClaimed(
                mail_id=order.mail_id,
                kind=order.kind,
                registration_id=order.registration_id,
                event=order.event,
                language=language,
                instance=self.instance,
                at=now,
            )
            # The id names this instance and position: a rival's claim is a conflict, not a duplicate.
            return Append(subject, claim, f"claim-{order.mail_id}-{self.instance}-{expected}", expected)

        return await self.store.append_decided(decide, attempts=5) is not None

    # --- reminders and erasure ---

    async def _housekeeping_loop(self) -> None:
        while True:
            await asyncio.sleep(self._housekeeping_seconds)
            try:
                await self.housekeeping(datetime.now(UTC))
            except Exception:
                log.exception("notify: housekeeping failed")

    async def housekeeping(self, now: datetime) -> None:
        """Send the reminders due at `now` (every instance runs this; claims keep each to one)."""
        for order in due_reminders(self.state, self.catalog.specs, now, self.settings.reminder_days):
            spec = self.catalog.specs[order.event]
            async with self._slots:
                await self.deliver(order, spec)

    async def _erase_copies(self, registration_ids: set[str]) -> None:
        if isinstance(self.transport, MaildirTransport) and registration_ids:
            removed = await asyncio.to_thread(self.transport.erase, registration_ids)
            if removed:
                log.info("notify: erased %d stored mails", removed)

    # --- queries ---

    def _summary(self, record: MailRecord, subject: str = "", to: str = "") -> MailSummary:
        return MailSummary(
            mail_id=record.mail_id,
            kind=record.kind,
            registration_id=record.registration_id,
            event=record.event,
            language=record.language,
            status=record.status,
            at=record.claimed_at,
            sent_at=record.sent_at,
            transport=record.transport,
            error=record.error,
            subject=subject,
            to=to,
        )

    def _erased(self, registration_id: str) -> bool:
        person = self.state.people.get(registration_id)
        return person is not None and person.erased

    async def list_mails(self, query: ListMails) -> MailList:
        records = [
            r
            for r in self.state.mails.values()
            if (query.event is None or r.event == query.event)
            and (query.registration_id is None or r.registration_id == query.registration_id)
        ]
        records.sort(key=lambda r: r.claimed_at, reverse=True)
        records = records[: query.limit]
        if not isinstance(self.transport, MaildirTransport):
            return MailList(mails=[self._summary(r) for r in records], transport="smtp")
        stored = await asyncio.to_thread(self.transport.stored)
        mails = []
        for record in records:
            copy = None if self._erased(record.registration_id) else stored.get(record.mail_id)
            mails.append(self._summary(record, copy.subject, copy.to) if copy else self._summary(record))
        return MailList(mails=mails, transport="maildir", maildir=str(self.transport.directory))

    async def release_recipients(self, query: CountReleaseRecipients) -> ReleaseRecipients:
        """Whom publishing these changes would mail now, by the same rule as the release's mails."""
        spec = await self.catalog.spec(query.event)
        await self._registrations_current()
        people, named, audiences = recipients_summary(
            query.version, query.changes, query.agenda, self.state.people, spec, datetime.now(UTC), query.released
        )
        return ReleaseRecipients(people=people, named=named, audiences=audiences)

    async def get_mail(self, query: GetMail) -> MailView:
        record = self.state.mails.get(query.mail_id)
        if record is None:
            raise Rejected("not_found", f"No mail {query.mail_id!r}", "mail_id", key="mail_not_found")
        if not isinstance(self.transport, MaildirTransport) or self._erased(record.registration_id):
            return MailView(summary=self._summary(record))
        message = await asyncio.to_thread(self.transport.read, query.mail_id)
        if message is None:
            return MailView(summary=self._summary(record))
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
        return MailView(
            summary=self._summary(record, str(message.get("Subject", "")), str(message.get("To", ""))),
            text=text,
            attachments=attachments,
            stored=True,
        )
