"""Organiser accounts beyond the login: invitations and password resets by mail, "log out everywhere",
two-step login (TOTP and recovery codes). Served by the catalog; the mails go through notify."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Email = Annotated[str, Meta(max_length=254)]
Password = Annotated[str, Meta(max_length=1000)]
# The secret part of a mailed link (random, URL-safe); anything longer is no link of ours.
LinkToken = Annotated[str, Meta(max_length=200)]
# The client's address as the web saw it (IPv4 or IPv6), for throttling per address.
ClientAddress = Annotated[str, Meta(max_length=100)]
# A six-digit TOTP code or a recovery code, as typed (spaces and dashes allowed).
Code = Annotated[str, Meta(max_length=40)]
Language = Literal["fr", "en"]
LinkKind = Literal["invitation", "reset"]

# How long a mailed link can be used: an invitation waits a week, a reset one hour.
INVITATION_LIFETIME = 7 * 24 * 3600
RESET_LIFETIME = 3600
# The page asking for the second step, after the right password: this long, then log in again.
PENDING_LOGIN_LIFETIME = 300


class InviteOrganiser(msgspec.Struct, frozen=True, kw_only=True):
    """Mail `email` a one-time link to set a password, which makes an organiser account."""

    command_id: str
    email: Email
    # The organiser id of whoever invites (an owner on the members page); empty: the command line.
    invited_by: str = ""
    # Whose team the person joins, named in the mail (empty: the deployment's name).
    organisation: Annotated[str, Meta(max_length=200)] = ""
    language: Language = "fr"
    address: ClientAddress = ""


class InvitationSent(msgspec.Struct, frozen=True, kw_only=True, tag="invitation_sent"):
    email: str
    expires_at: datetime | None = None
    # The address has an account already: no mail, it can log in (or reset its password).
    existing: bool = False


class OpenLink(msgspec.Struct, frozen=True, kw_only=True):
    """What a mailed link is for, before its form is sent; refused (unknown, used, expired) like its use."""

    kind: LinkKind
    token: LinkToken


class LinkView(msgspec.Struct, frozen=True, kw_only=True, tag="link"):
    kind: LinkKind
    email: str
    expires_at: datetime


class AcceptInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """The invited person's password: the account is made, the link used up."""

    command_id: str
    token: LinkToken
    password: Password
    address: ClientAddress = ""


class RequestPasswordReset(msgspec.Struct, frozen=True, kw_only=True):
    """Mail a reset link if `email` is an organiser's; the answer is the same when it is not."""

    email: Email
    language: Language = "fr"
    address: ClientAddress = ""


class ResetRequested(msgspec.Struct, frozen=True, kw_only=True, tag="reset_requested"):
    pass


class ResetPassword(msgspec.Struct, frozen=True, kw_only=True):
    """A new password through a reset link: every earlier session ends, the link is used up."""

    command_id: str
    token: LinkToken
    password: Password
    address: ClientAddress = ""


class EndEverySession(msgspec.Struct, frozen=True, kw_only=True):
    """Log out everywhere: every token of this organiser is refused from now on, on every instance."""

    command_id: str
    organiser_id: str


class GetTwoStep(msgspec.Struct, frozen=True, kw_only=True):
    organiser_id: str


class TwoStepStatus(msgspec.Struct, frozen=True, kw_only=True, tag="two_step_status"):
    enabled: bool
    recovery_codes_left: int = 0


class StartTwoStep(msgspec.Struct, frozen=True, kw_only=True):
    """A secret to put in an authenticator app; two-step login is on once a code from it is confirmed."""

    organiser_id: str


class TwoStepSetup(msgspec.Struct, frozen=True, kw_only=True, tag="two_step_setup"):
    secret: str
    # otpauth:// URI, for the QR code.
    uri: str


class ConfirmTwoStep(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    organiser_id: str
    code: Code


class TwoStepEnabled(msgspec.Struct, frozen=True, kw_only=True, tag="two_step_enabled"):
    # Shown once, stored hashed; each works once instead of a code.
    recovery_codes: list[str]
    # Turning it on ends every other session (made without a second step): this one's new epoch.
    organiser_id: str
    email: str
    epoch: int


class DisableTwoStep(msgspec.Struct, frozen=True, kw_only=True):
    command_id: str
    organiser_id: str
    code: Code


class VerifySecondStep(msgspec.Struct, frozen=True, kw_only=True):
    """After the right password (Authenticate said `second_step`): the code, then a session."""

    organiser_id: str
    # The password epoch Authenticate answered: a password change meanwhile voids the pending login.
    epoch: int
    code: Code
    address: ClientAddress = ""


class SendAccountMail(msgspec.Struct, frozen=True, kw_only=True):
    """Catalog → notify: mail this link to this address. Neither is written to any log."""

    mail_id: str
    kind: LinkKind
    email: Email
    token: LinkToken
    language: Language = "fr"
    expires_at: datetime
    # For an invitation: who invites (their email), named in the mail.
    invited_by: str = ""


class AccountMailSending(msgspec.Struct, frozen=True, kw_only=True, tag="account_mail_sending"):
    mail_id: str
