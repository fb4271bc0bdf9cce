"""Jurors' scoring links, mailed when an organiser asks (the jury page's « Envoyer les liens »).

The web signs each link (notify cannot): the command carries them. Each mail is claimed
once like every other (its id comes from the command's id and the juror), so a repeated
command sends nothing twice; the link itself stays in memory, never in a log. The reply
comes once the mails are on their way; the log of mails says when each one is sent.
"""

import logging
from collections.abc import Awaitable, Callable

from schemas.catalog import EventSpec
from schemas.notify import JuryLinksSending, SendJuryLinks
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.notify.direct import Deliver, send_with_retries
from services.notify.rules import MailOrder, NotifyState, Person, mail_id

log = logging.getLogger("perche.notify.jury_links")

# A failed send is tried again within the instance, a little later each time, at most this late.


def jury_link_orders(
    command: SendJuryLinks, people: dict[str, Person], spec: EventSpec
) -> tuple[list[MailOrder], list[str]]:
    """One mail per confirmed juror of the event the command names; the others are skipped."""
    orders, skipped = [], []
    for link in command.links:
        person = people.get(link.registration_id)
        if (
            person is None
            or person.erased
            or person.event != spec.slug
            or person.status != "confirmed"
            or spec.audience_of(person.category) != "jurors"
        ):
            skipped.append(link.registration_id)
            continue
        orders.append(
            MailOrder(
                mail_id=mail_id("jury_link", link.registration_id, f"{spec.slug}:{command.command_id}"),
                kind="jury_link",
                registration_id=link.registration_id,
                event=spec.slug,
                by_organiser=True,
                jury_url=link.url,
            )
        )
    return orders, skipped


class JuryLinkMails:
    """The endpoint's handler, on the service's own claim-make-send-record path (`deliver`)."""

    def __init__(
        self,
        catalog: CatalogReader,
        state: NotifyState,
        registrations_current: Callable[[], Awaitable[None]],
        deliver: Deliver,
    ) -> None:
        self.catalog = catalog
        self.state = state
        self.registrations_current = registrations_current
        self.deliver = deliver
        self.background = Background(log)

    async def send(self, command: SendJuryLinks) -> JuryLinksSending:
        spec = await self.catalog.spec(command.event)
        # A juror the organiser has just registered is known here too.
        await self.registrations_current()
        orders, skipped = jury_link_orders(command, self.state.people, spec)
        for order in orders:
            self.background.start(send_with_retries(self.deliver, order, spec, "jury link"))
        return JuryLinksSending(mails=[o.mail_id for o in orders], skipped=skipped)

    async def stop(self) -> None:
        await self.background.stop()
