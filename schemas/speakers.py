"""Speakers and the moderator (issue 15): invited by mail, they answer on a private link.

The schedule service owns them (they belong to the agenda). Its stream holds the invitation
(name, role, language, the hash of the link's key: never the key, never the address) and the
answers; the address and the key are kept, for the reminder, in its KV bucket only (deleted on
withdrawal and once the link expires), and go to notify in the mail command. A confirmed speaker's name,
title, bio and photo are public: they appear on the event page.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Language, Span

__all__ = [
    "MAX_SPEAKER_BIO",
    "MAX_SPEAKER_PHOTO",
    "MAX_SPEAKER_TITLE",
    "SPEAKER_LINK_DAYS",
    "AnswerInvitation",
    "GetInvitation",
    "GetSpeakers",
    "InvitationList",
    "InvitationView",
    "InvitationWithdrawn",
    "InviteSpeaker",
    "ListInvitations",
    "PublicSpeaker",
    "SendSpeakerInvitation",
    "SpeakerAnswered",
    "SpeakerInvitationSending",
    "SpeakerInvited",
    "SpeakerLink",
    "SpeakerList",
    "SpeakerPhoto",
    "SpeakerReminded",
    "WithdrawInvitation",
]

MAX_SPEAKER_BIO = 1000
MAX_SPEAKER_TITLE = 150
MAX_SPEAKER_NAME = 200
# As large an upload as a project photo; what is kept is resized (services/kit/photos.py).
MAX_SPEAKER_PHOTO = 2 * 1024 * 1024
# The private link works until this many days after the event's end.
SPEAKER_LINK_DAYS = 7

SpeakerRole = Literal["speaker", "moderator"]
Answer = Literal["confirmed", "declined"]
CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
InvitationId = Annotated[str, Meta(pattern=r"^[a-z0-9]{8,40}$")]
# The link's secret; anything longer is no key of ours.
LinkKey = Annotated[str, Meta(max_length=200)]
# Bounded on the wire well above the rule's limits, so the rule can answer with its own words.
WireText = Annotated[str, Meta(max_length=20_000)]


class SpeakerPhoto(msgspec.Struct, frozen=True, kw_only=True):
    content_type: str
    size: int
    # sha256 of the kept (resized) bytes: the object is `Schedule.photo_object(event, invitation, sha256)`.
    sha256: str


# --- events in the schedule stream (one subject per event's speakers) ---


class SpeakerInvited(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_invited"):
    command_id: str
    event: str
    invitation: str
    name: str
    name_en: str = ""
    role: SpeakerRole = "speaker"
    # The agenda's person (a speaker of the event spec or the draft) they are: their own calendar
    # feed lists that person's sessions.
    contributor: str | None = None
    # The language of the mail and of the private page.
    language: Language = "fr"
    # sha256 of the link's key, hex.
    key_hash: str
    at: datetime
    by_organiser: str | None = None


class SpeakerAnswered(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_answered"):
    command_id: str
    event: str
    invitation: str
    answer: Answer
    title: str = ""
    title_en: str = ""
    bio: str = ""
    bio_en: str = ""
    # Empty: available throughout the event.
    availability: list[Span] = []
    photo: SpeakerPhoto | None = None
    at: datetime


class SpeakerReminded(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_reminded"):
    """A confirmed speaker was sent the reminder before the event (once: its command id names it)."""

    command_id: str
    event: str
    invitation: str
    at: datetime


class InvitationWithdrawn(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_invitation_withdrawn"):
    command_id: str
    event: str
    invitation: str
    at: datetime
    by_organiser: str | None = None


# --- commands and queries ---


class InviteSpeaker(msgspec.Struct, frozen=True, kw_only=True):
    """Invite someone to speak (or moderate): the mail carries their private link."""

    command_id: CommandId
    event: str
    by_organiser: str
    name: Annotated[str, Meta(max_length=1000)]
    name_en: Annotated[str, Meta(max_length=1000)] = ""
    role: SpeakerRole = "speaker"
    # The agenda's person they are, if any (their calendar feed lists that person's sessions).
    contributor: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")] | None = None
    email: Annotated[str, Meta(max_length=1000)]
    language: Language = "fr"


class AnswerInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """The speaker's answer from their private link; it replaces any earlier one.

    Without `photo_upload` the photo stays as it was, unless `remove_photo`."""

    command_id: CommandId
    event: str
    invitation: InvitationId
    key: LinkKey
    answer: Answer
    title: WireText = ""
    title_en: WireText = ""
    bio: WireText = ""
    bio_en: WireText = ""
    availability: Annotated[list[Span], Meta(max_length=50)] = []
    # The name of an upload the web dropped in `Schedule.UPLOADS_BUCKET`.
    photo_upload: Annotated[str, Meta(max_length=200)] | None = None
    remove_photo: bool = False


class WithdrawInvitation(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: str
    invitation: InvitationId
    by_organiser: str


class GetInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """The speaker's own invitation, from their link."""

    event: str
    invitation: Annotated[str, Meta(max_length=100)]
    key: LinkKey


class ListInvitations(msgspec.Struct, frozen=True, kw_only=True):
    """Every invitation of an event and its answer, for its organisers."""

    event: str


class GetSpeakers(msgspec.Struct, frozen=True, kw_only=True):
    """The confirmed speakers of a published event, for its public page."""

    event: str


# --- replies ---


class InvitationView(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_invitation"):
    event: str
    invitation: str
    name: str
    name_en: str = ""
    role: SpeakerRole
    language: Language
    contributor: str | None = None
    # None: not answered yet.
    answer: Answer | None = None
    title: str = ""
    title_en: str = ""
    bio: str = ""
    bio_en: str = ""
    availability: list[Span] = []
    photo: SpeakerPhoto | None = None
    invited_at: datetime
    answered_at: datetime | None = None
    withdrawn: bool = False
    # The link works until then.
    expires_at: datetime


class InvitationList(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_invitations"):
    event: str
    invitations: list[InvitationView]


class PublicSpeaker(msgspec.Struct, frozen=True, kw_only=True):
    invitation: str
    name: str
    name_en: str = ""
    role: SpeakerRole
    title: str = ""
    title_en: str = ""
    bio: str = ""
    bio_en: str = ""
    photo: SpeakerPhoto | None = None


class SpeakerList(msgspec.Struct, frozen=True, kw_only=True, tag="speakers"):
    event: str
    speakers: list[PublicSpeaker]


# --- schedule → notify: the invitation mail ---


class SendSpeakerInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """Mail this private link to this address. Neither is written to any log."""

    mail_id: str
    event: str
    email: Annotated[str, Meta(max_length=254)]
    name: str
    role: SpeakerRole
    language: Language = "fr"
    # The invitation, or the reminder a confirmed speaker gets before the event.
    kind: Literal["invitation", "reminder"] = "invitation"
    # The path of the private link, key included: notify puts its base address in front.
    path: Annotated[str, Meta(max_length=500)]
    expires_at: datetime


class SpeakerLink(msgspec.Struct, frozen=True, kw_only=True):
    """What the schedule service keeps in its links bucket (never in its stream) to send the reminder."""

    email: str
    key: str


class SpeakerInvitationSending(msgspec.Struct, frozen=True, kw_only=True, tag="speaker_invitation_sending"):
    mail_id: str
