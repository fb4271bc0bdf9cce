"""Speakers' invitations (issue 15): the mail with their private link, asked for by the schedule service.

The schedule service alone knows the link's key (only its hash is stored) and the address (never
stored): the mail is sent in the background and retried within this instance, like account mails;
both live in memory only and in no log.
"""

import asyncio
import logging
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from schemas.catalog import EventSpec
from schemas.speakers import SendSpeakerInvitation, SpeakerInvitationSending
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.i18n import Formatter, localised
from services.notify.compose import Composer, ascii_address, event_when, render_text
from services.notify.direct import LONGEST_WAIT
from services.notify.rules import MAX_ATTEMPTS, error_label, retry_delay
from services.notify.transport import Transport

log = logging.getLogger("perche.notify.speakers")


def speaker_invitation_mail(
    composer: Composer, command: SendSpeakerInvitation, spec: EventSpec, now: datetime
) -> EmailMessage:
    """The mail as its reader gets it, in their language: plain text, the link on a line of its own."""
    language = command.language
    name = " ".join(command.name.split())
    context = {
        "lang": language,
        "organisation": composer.organisation,
        "name": name,
        "role": command.role,
        "title": localised(spec, "title", language),
        "when": event_when(spec, language),
        "where": spec.venue.name + (f", {spec.venue.address}" if spec.venue.address else ""),
        "url": f"{composer.base_url}{command.path}",
        "deadline": Formatter(language).date(command.expires_at, spec.timezone),
        "date": Formatter(language).date(spec.starts_at, spec.timezone),
    }
    kind = f"speaker_{command.kind}"
    subject, text = render_text(kind, language, context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = composer.mail_from
    if composer.reply_to and parseaddr(composer.reply_to)[1] != parseaddr(composer.mail_from)[1]:
        message["Reply-To"] = composer.reply_to  # the speaker may answer the organisers directly
    message["To"] = Address(display_name=name, addr_spec=ascii_address(command.email))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{command.mail_id}@{composer.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Perche-Mail-Id"] = command.mail_id
    message["X-Perche-Kind"] = kind
    message["X-Perche-Event"] = spec.slug
    message.set_content(text)
    message["Content-Language"] = language
    return message


class SpeakerMails:
    def __init__(self, composer: Composer, transport: Transport, catalog: CatalogReader) -> None:
        self.composer = composer
        self.transport = transport
        self.catalog = catalog
        self.background = Background(log)

    async def send(self, command: SendSpeakerInvitation) -> SpeakerInvitationSending:
        spec = await self.catalog.spec(command.event)
        self.background.start(self._send(command, spec))
        return SpeakerInvitationSending(mail_id=command.mail_id)

    async def _send(self, command: SendSpeakerInvitation, spec: EventSpec) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self.transport.send(speaker_invitation_mail(self.composer, command, spec, datetime.now(UTC)))
            except Exception as error:
                label = error_label(error)
                log.warning("notify: speaker mail %s failed (attempt %d): %s", command.mail_id, attempt, label)
                await asyncio.sleep(min(retry_delay(attempt), LONGEST_WAIT))
                continue
            log.info("notify: sent speaker invitation %s", command.mail_id)
            return
        log.error("notify: speaker mail %s not sent; the organiser may invite again", command.mail_id)

    async def stop(self) -> None:
        await self.background.stop()
