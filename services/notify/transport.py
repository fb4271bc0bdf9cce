"""Where mails go: an SMTP server, or with none configured a Maildir organisers read.

The Maildir (`DATA_DIR/maildir`, readable by any mail client) keeps the whole mail,
personal data included, so erasing a person deletes their mails from it too.
"""

import asyncio
import contextlib
import email.policy
import mailbox
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib

from services.kit.settings import Settings

TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
SMTP_TIMEOUT = 30.0


class Transport(Protocol):
    kind: Literal["smtp", "maildir"]

    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    kind: Literal["smtp"] = "smtp"

    def __init__(self, host: str, port: int | None, tls: str, user: str | None, password: str | None) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"PERCHE_SMTP_TLS must be one of none, starttls, ssl; not {tls!r}")
        if (user is None) != (password is None):
            raise ValueError("Set both PERCHE_SMTP_USER and PERCHE_SMTP_PASSWORD, or neither")
        self.host, self.tls, self.user, self.password = host, tls, user, password
        self.port = port or DEFAULT_PORTS[tls]

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.user,
            password=self.password,
            use_tls=self.tls == "ssl",
            # False, not None: "none" must never try STARTTLS, "starttls" must never skip it.
            start_tls=self.tls == "starttls",
            timeout=SMTP_TIMEOUT,
        )


@dataclass(frozen=True)
class StoredMail:
    key: str
    mail_id: str
    registration_id: str
    subject: str
    to: str


class MaildirTransport:
    kind: Literal["maildir"] = "maildir"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # Maildir files never change once written: their headers are read once.
        self._headers: dict[str, StoredMail] = {}
        self._lock = threading.Lock()  # queries and erasure read the cache from worker threads

    def _box(self) -> mailbox.Maildir:
        self.directory.parent.mkdir(parents=True, exist_ok=True)  # Maildir makes only its own folder
        return mailbox.Maildir(self.directory, create=True)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._box().add, message)

    def stored(self) -> dict[str, StoredMail]:
        """Every mail in the Maildir by mail id (blocking: call in a thread)."""
        with self._lock:
            return self._stored()

    def _stored(self) -> dict[str, StoredMail]:
        box = self._box()
        keys = set(box.keys())
        for key in list(self._headers):
            if key not in keys:
                del self._headers[key]
        parser = BytesHeaderParser(policy=email.policy.default)
        for key in keys - self._headers.keys():
            try:
                with contextlib.closing(box.get_file(key)) as f:
                    headers = parser.parse(f)  # type: ignore[arg-type]
            except (FileNotFoundError, KeyError):
                continue  # removed meanwhile
            self._headers[key] = StoredMail(
                key=key,
                mail_id=str(headers.get("X-Perche-Mail-Id", "")),
                registration_id=str(headers.get("X-Perche-Registration", "")),
                subject=str(headers.get("Subject", "")),
                to=str(headers.get("To", "")),
            )
        return {m.mail_id: m for m in self._headers.values() if m.mail_id}

    def read(self, mail_id: str) -> EmailMessage | None:
        """One mail, parsed (blocking: call in a thread)."""
        found = self.stored().get(mail_id)
        if found is None:
            return None
        try:
            with contextlib.closing(self._box().get_file(found.key)) as f:
                parsed = BytesParser(policy=email.policy.default).parse(f)  # type: ignore[arg-type]
        except (FileNotFoundError, KeyError):
            return None
        assert isinstance(parsed, EmailMessage)
        return parsed

    def erase(self, registration_ids: set[str]) -> int:
        """Delete the mails of these registrations; how many were deleted (blocking)."""
        if not registration_ids:
            return 0
        box = self._box()
        removed = 0
        with self._lock:
            for mail in list(self._stored().values()):
                if mail.registration_id in registration_ids:
                    with contextlib.suppress(KeyError, FileNotFoundError):
                        box.discard(mail.key)
                        removed += 1
                    self._headers.pop(mail.key, None)
        return removed


def transport_for(settings: Settings) -> SmtpTransport | MaildirTransport:
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host, settings.smtp_port, settings.smtp_tls, settings.smtp_user, settings.smtp_password
        )
    return MaildirTransport(settings.data_dir / "maildir")
