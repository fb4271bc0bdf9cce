"""Configuration from the environment, read once; every name is documented in the README."""

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("PERCHE_DATA_DIR", "var")))
    nats_url: str | None = field(default_factory=lambda: os.environ.get("PERCHE_NATS_URL") or None)
    base_url: str = field(default_factory=lambda: os.environ.get("PERCHE_BASE_URL", "").rstrip("/"))
    organisation: str = field(
        default_factory=lambda: os.environ.get("PERCHE_ORGANISATION", "Terres de Perche · École du numérique")
    )
    # Brand: the main colour of the pages (#rrggbb) and an SVG logo file shown in the header.
    brand_colour: str = field(default_factory=lambda: os.environ.get("PERCHE_BRAND_COLOUR", "#2f6b3a"))
    logo_file: Path | None = field(
        default_factory=lambda: Path(os.environ["PERCHE_LOGO"]) if os.environ.get("PERCHE_LOGO") else None
    )
    # Public POSTs allowed per client address and minute (0 turns the limit off).
    rate_limit_per_minute: int = field(default_factory=lambda: int(os.environ.get("PERCHE_RATE_LIMIT", "30")))
    admin_email: str | None = field(default_factory=lambda: os.environ.get("PERCHE_ADMIN_EMAIL") or None)
    admin_password: str | None = field(default_factory=lambda: os.environ.get("PERCHE_ADMIN_PASSWORD") or None)
    # Mail: over SMTP when a host is set, else written to a Maildir under the data directory.
    smtp_host: str | None = field(default_factory=lambda: os.environ.get("PERCHE_SMTP_HOST") or None)
    # Empty: the usual port of the TLS mode (25 none, 587 starttls, 465 ssl).
    smtp_port: int | None = field(default_factory=lambda: int(os.environ.get("PERCHE_SMTP_PORT") or 0) or None)
    smtp_tls: str = field(default_factory=lambda: os.environ.get("PERCHE_SMTP_TLS", "starttls"))  # none|starttls|ssl
    smtp_user: str | None = field(default_factory=lambda: os.environ.get("PERCHE_SMTP_USER") or None)
    smtp_password: str | None = field(default_factory=lambda: os.environ.get("PERCHE_SMTP_PASSWORD") or None)
    mail_from: str = field(default_factory=lambda: os.environ.get("PERCHE_MAIL_FROM", "perche@localhost"))
    # Where replies to the mails go (Reply-To); unset, to the organisers' address PERCHE_ADMIN_EMAIL.
    reply_to: str | None = field(default_factory=lambda: os.environ.get("PERCHE_REPLY_TO") or None)
    # Reminder mails go out this many days before an event starts.
    reminder_days: float = field(default_factory=lambda: float(os.environ.get("PERCHE_REMINDER_DAYS", "2")))

    @property
    def reply_address(self) -> str | None:
        """The address the mails' Reply-To names: the one set, else the organisers' own."""
        return self.reply_to or self.admin_email
