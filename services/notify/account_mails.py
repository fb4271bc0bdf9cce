"""Organiser account mails: an invitation, a password reset, each with its one-time link.

The catalog asks for them (it alone knows the token, only its hash is stored): the mail is sent in
the background and retried within this instance, like the jury links; the link itself lives in
memory only and in no log. An address asked for twice gets two mails: each request made its own link.
"""

import asyncio
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from schemas.accounts import AccountMailSending, SendAccountMail
from services.kit.background import Background
from services.kit.i18n import Formatter
from services.notify.compose import Composer, ascii_address, render_text
from services.notify.direct import LONGEST_WAIT
from services.notify.rules import MAX_ATTEMPTS, error_label, retry_delay
from services.notify.transport import Transport

log = logging.getLogger("perche.notify.accounts")

PATHS = {"invitation": "/organiser/welcome/", "reset": "/organiser/reset/"}


def account_mail(composer: Composer, command: SendAccountMail, now: datetime) -> EmailMessage:
    """The mail as its reader gets it, in their language: plain text, the link on a line of its own."""
    language = command.language
    context = {
        "lang": language,
        "organisation": composer.organisation,
        "invited_by": command.invited_by or composer.organisation,
        "email": command.email,
        "url": f"{composer.base_url}{PATHS[command.kind]}{command.token}",
        "deadline": Formatter(language).datetime(command.expires_at),
    }
    subject, text = render_text(f"account_{command.kind}", language, context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = composer.mail_from
    message["To"] = ascii_address(command.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{command.mail_id}@{composer.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Perche-Mail-Id"] = command.mail_id
    message["X-Perche-Kind"] = f"account_{command.kind}"
    message.set_content(text)
    message["Content-Language"] = language
    return message


class AccountMails:
    def __init__(self, composer: Composer, transport: Transport) -> None:
        self.composer = composer
        self.transport = transport
        self.background = Background(log)

    async def send(self, command: SendAccountMail) -> AccountMailSending:
        self.background.start(self._send(command))
        return AccountMailSending(mail_id=command.mail_id)

    async def _send(self, command: SendAccountMail) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self.transport.send(account_mail(self.composer, command, datetime.now(UTC)))
            except Exception as error:
                label = error_label(error)
                log.warning("notify: account mail %s failed (attempt %d): %s", command.mail_id, attempt, label)
                await asyncio.sleep(min(retry_delay(attempt), LONGEST_WAIT))
                continue
            log.info("notify: sent account_%s mail %s", command.kind, command.mail_id)
            return
        log.error("notify: account mail %s not sent; it may be asked for again", command.mail_id)

    async def stop(self) -> None:
        await self.background.stop()
