"""Mails the notify service sends, its log of them, and the organisers' view of that log.

The log holds no personal data (invariant 4): which mail, for which registration,
and what became of it. Names, addresses and texts live only in the mail itself.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Audience, Language
from schemas.schedule import Agenda, Change

MailKind = Literal[
    "confirmed",
    "waitlisted",
    "offered",
    "promoted",
    "cancelled",
    "offer_lapsed",
    "reminder",
    "agenda_changed",
    "results_published",
    "jury_link",
    "message",
    # A confirmed team formation (issue 13): your new team; new teammates in your team.
    "team_formed",
    "team_topped_up",
]
Transport = Literal["smtp", "maildir"]
MailStatus = Literal["sending", "sent", "failed", "abandoned"]


# --- events in the notify stream, one subject per mail ---


class MailClaimed(msgspec.Struct, frozen=True, kw_only=True, tag="mail_claimed"):
    """An instance is sending this mail; appended expecting the mail's last sequence, so only one does."""

    mail_id: str
    kind: MailKind
    registration_id: str
    event: str
    language: Language
    instance: str
    at: datetime


class MailSent(msgspec.Struct, frozen=True, kw_only=True, tag="mail_sent"):
    mail_id: str
    transport: Transport
    at: datetime


class MailFailed(msgspec.Struct, frozen=True, kw_only=True, tag="mail_failed"):
    """Sending failed; `final` when no more attempts will be made. `error` never holds an address."""

    mail_id: str
    error: str
    final: bool = False
    at: datetime


NotifyEvent = MailClaimed | MailSent | MailFailed


# --- the organisers' command: each juror's scoring link, by mail ---


class JuryLink(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A juror and their scoring link. The web signs the link; notify mails it and never logs it."""

    registration_id: Annotated[str, Meta(min_length=1, max_length=100)]
    url: Annotated[str, Meta(max_length=2000, pattern=r"^https?://")]


class SendJuryLinks(msgspec.Struct, frozen=True, kw_only=True):
    """Mail each of these jurors their link; a repeat of the same command sends nothing twice."""

    command_id: Annotated[str, Meta(min_length=8, max_length=100)]
    event: str
    by_organiser: str
    links: Annotated[list[JuryLink], Meta(min_length=1, max_length=1000)]


class JuryLinksSending(msgspec.Struct, frozen=True, kw_only=True, tag="jury_links_sending"):
    """The mails on their way (the log of mails says when each is sent), one per juror named
    who is a confirmed juror of the event; `skipped`: the others (not jurors, cancelled, unknown)."""

    mails: list[str]
    skipped: list[str] = []


# --- the organisers' command: a message written to an event's registrants ---

# Who a message goes to: everyone registered (confirmed or waiting), one category, the waitlist,
# the people checked in, one team's members, or the jurors.
MessageAudience = Annotated[
    str,
    Meta(
        max_length=120, pattern=r"^(everyone|waitlist|checked_in|jurors|category:[A-Za-z0-9_-]+|team:[A-Za-z0-9_-]+)$"
    ),
]
MESSAGE_SUBJECT_LIMIT = 150
MESSAGE_BODY_LIMIT = 5000


class MessageText(msgspec.Struct, frozen=True, kw_only=True):
    """The organiser's words, in French and optionally English (else English readers get the French).

    Checked by notify (`services/notify/messages.py`), so a form shows every problem at once."""

    subject_fr: Annotated[str, Meta(max_length=2 * MESSAGE_SUBJECT_LIMIT)] = ""
    body_fr: Annotated[str, Meta(max_length=2 * MESSAGE_BODY_LIMIT)] = ""
    subject_en: Annotated[str, Meta(max_length=2 * MESSAGE_SUBJECT_LIMIT)] = ""
    body_en: Annotated[str, Meta(max_length=2 * MESSAGE_BODY_LIMIT)] = ""


class PreviewMessage(msgspec.Struct, frozen=True, kw_only=True):
    """The message as a French and an English reader would get it, and how many people it goes to."""

    event: str
    audience: MessageAudience
    text: MessageText


class SendMessage(msgspec.Struct, frozen=True, kw_only=True):
    """Mail the message to each person of the audience once; a repeat of the same command sends nothing twice."""

    command_id: Annotated[str, Meta(min_length=8, max_length=100)]
    event: str
    by_organiser: str
    audience: MessageAudience
    text: MessageText


class MailText(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    text: str


class MessagePreview(msgspec.Struct, frozen=True, kw_only=True, tag="message_preview"):
    people: int
    # Of whom reading English.
    in_english: int
    fr: MailText
    en: MailText


class MessageSending(msgspec.Struct, frozen=True, kw_only=True, tag="message_sending"):
    """The mails on their way, one per person of the audience (the log of mails says when each is sent)."""

    mails: list[str]


# --- queries, for the organisers' dashboard ---


class ListMails(msgspec.Struct, frozen=True, kw_only=True):
    event: str | None = None
    registration_id: str | None = None
    limit: Annotated[int, Meta(ge=1, le=1000)] = 200


class GetMail(msgspec.Struct, frozen=True, kw_only=True):
    mail_id: str


class MailSummary(msgspec.Struct, frozen=True, kw_only=True):
    mail_id: str
    kind: MailKind
    registration_id: str
    event: str
    language: Language
    status: MailStatus
    at: datetime
    sent_at: datetime | None = None
    transport: Transport | None = None
    error: str = ""
    # From the Maildir copy, when there is one (gone once the person's data is erased).
    subject: str = ""
    to: str = ""


class MailList(msgspec.Struct, frozen=True, kw_only=True, tag="mail_list"):
    mails: list[MailSummary]
    # Where new mails go: "smtp", or "maildir" with its directory.
    transport: Transport
    maildir: str = ""


class MailView(msgspec.Struct, frozen=True, kw_only=True, tag="mail"):
    summary: MailSummary
    # The text part and attachment names, from the Maildir copy; empty when sent over SMTP or erased.
    text: str = ""
    attachments: list[str] = []
    stored: bool = False


# --- who an agenda release would tell, for the organiser's release screen ---


class CountReleaseRecipients(msgspec.Struct, frozen=True, kw_only=True):
    """The changes a release would publish (the draft's pending ones) and the agenda they belong to."""

    event: str
    changes: list[Change]
    agenda: Agenda
    # The version this release would be: the first one mails nobody.
    version: int
    # The agenda released last, where sessions removed from the draft still are.
    released: Agenda | None = None


class ReleaseRecipients(msgspec.Struct, frozen=True, kw_only=True, tag="release_recipients"):
    """How many people the release would mail: those its changes name (speakers, jurors, team
    members), and the others, by the audience of the sessions for a category that changed."""

    people: int
    named: int
    audiences: dict[Audience, int] = {}
