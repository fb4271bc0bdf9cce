"""Organisers' messages to an event's registrants: who gets one, its preview, and its mails.

Who a message goes to is decided here, from what notify knows of registrations (and a
team's members, asked of the teams service). Each person's mail is claimed once like
every other (its id comes from the command's id and the registration), so a repeated
command sends nothing twice. The organiser's words stay in memory, never in a log.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping

from nats.aio.client import Client

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.notify import (
    MESSAGE_BODY_LIMIT,
    MESSAGE_SUBJECT_LIMIT,
    MailText,
    MessagePreview,
    MessageSending,
    MessageText,
    PreviewMessage,
    SendMessage,
)
from schemas.subjects import Teams
from schemas.teams import ListTeams, TeamList
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.client import call
from services.notify.direct import Deliver, send_with_retries
from services.notify.rules import MailOrder, NotifyState, Person, mail_id

log = logging.getLogger("perche.notify.messages")

# A failed send is tried again within the instance, a little later each time, at most this late.


def message_problems(text: MessageText) -> Rejected | None:
    """Every problem of the message's text, each named by its field (English is optional)."""
    refusals = []
    for field, value, limit, key in (
        ("subject_fr", text.subject_fr, MESSAGE_SUBJECT_LIMIT, "message_subject_required"),
        ("body_fr", text.body_fr, MESSAGE_BODY_LIMIT, "message_body_required"),
        ("subject_en", text.subject_en, MESSAGE_SUBJECT_LIMIT, None),
        ("body_en", text.body_en, MESSAGE_BODY_LIMIT, None),
    ):
        if key is not None and not value.strip():
            refusals.append(Rejected("invalid", f"The {field} is required", field, key=key))  # type: ignore[arg-type]
        elif len(value) > limit:
            refusals.append(Rejected("invalid", f"The {field} is over {limit} characters", field, key="too_long"))
    return Rejected.every(refusals) if refusals else None


def in_language(text: MessageText, language: str) -> tuple[str, str]:
    """The subject and body a reader of `language` gets: English when written, else the French."""
    if language == "en":
        return (text.subject_en.strip() or text.subject_fr.strip(), text.body_en.strip() or text.body_fr.strip())
    return text.subject_fr.strip(), text.body_fr.strip()


def message_recipients(
    audience: str, people: Mapping[str, Person], spec: EventSpec, team_members: frozenset[str] = frozenset()
) -> list[Person]:
    """The registrants of the event the audience names, in the order they registered.

    Registrants are the people confirmed or waiting; cancelled or erased people get nothing.
    `team_members`: the members of the team a `team:<id>` audience names.
    """
    kind, _, value = audience.partition(":")

    def wanted(person: Person) -> bool:
        match kind:
            case "everyone":
                return True
            case "category":
                return person.category == value
            case "waitlist":
                return person.status == "waitlisted"
            case "checked_in":
                return person.checked_in
            case "team":
                return person.id in team_members
            case "jurors":
                return person.status == "confirmed" and spec.audience_of(person.category) == "jurors"
        return False

    chosen = [
        p for p in people.values() if p.event == spec.slug and not p.erased and p.status != "cancelled" and wanted(p)
    ]
    return sorted(chosen, key=lambda p: (p.registered_at, p.id))


def message_orders(command: SendMessage, recipients: list[Person]) -> list[MailOrder]:
    return [
        MailOrder(
            mail_id=mail_id("message", person.id, f"{command.event}:{command.command_id}"),
            kind="message",
            registration_id=person.id,
            event=command.event,
            by_organiser=True,
            message=command.text,
        )
        for person in recipients
    ]


Preview = Callable[[MailOrder, EventSpec, str], MailText]


class MessageMails:
    """The endpoints' handlers, on the service's own claim-make-send-record path (`deliver`)."""

    def __init__(
        self,
        nc: Client,
        catalog: CatalogReader,
        state: NotifyState,
        registrations_current: Callable[[], Awaitable[None]],
        deliver: Deliver,
        preview: Preview,
    ) -> None:
        self.nc = nc
        self.catalog = catalog
        self.state = state
        self.registrations_current = registrations_current
        self.deliver = deliver
        self.preview_text = preview
        self.background = Background(log)

    async def _recipients(self, event: str, audience: str, text: MessageText) -> tuple[EventSpec, list[Person]]:
        spec = await self.catalog.spec(event)
        problems = message_problems(text)
        if problems is not None:
            raise problems
        kind, _, value = audience.partition(":")
        members: frozenset[str] = frozenset()
        if kind == "category" and spec.category(value) is None:
            raise Rejected("invalid", f"No category {value!r}", "audience", key="message_audience_unknown")
        if kind == "team":
            teams = await call(self.nc, Teams.LIST, ListTeams(event=event), TeamList)
            team = next((t for t in teams.teams if t.id == value), None)
            if team is None:
                raise Rejected("invalid", f"No team {value!r}", "audience", key="message_audience_unknown")
            members = frozenset(team.members)
        # Someone who registered a moment ago is known here too.
        await self.registrations_current()
        return spec, message_recipients(audience, self.state.people, spec, members)

    async def preview(self, query: PreviewMessage) -> MessagePreview:
        spec, recipients = await self._recipients(query.event, query.audience, query.text)
        order = MailOrder(mail_id="preview", kind="message", registration_id="", event=spec.slug, message=query.text)
        return MessagePreview(
            people=len(recipients),
            in_english=sum(1 for p in recipients if p.language == "en"),
            fr=self.preview_text(order, spec, "fr"),
            en=self.preview_text(order, spec, "en"),
        )

    async def send(self, command: SendMessage) -> MessageSending:
        spec, recipients = await self._recipients(command.event, command.audience, command.text)
        if not recipients:
            raise Rejected("invalid", "Nobody would get this message", "audience", key="message_nobody")
        orders = message_orders(command, recipients)
        for order in orders:
            self.background.start(send_with_retries(self.deliver, order, spec, "message"))
        log.info("notify: message %s to %d people of %s", command.command_id, len(orders), spec.slug)
        return MessageSending(mails=[o.mail_id for o in orders])

    async def stop(self) -> None:
        await self.background.stop()
