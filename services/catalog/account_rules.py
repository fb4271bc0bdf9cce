"""Pure rules of organiser accounts: one-time mailed links, throttles, TOTP codes and recovery codes.

Every function takes the clock as an argument and raises Rejected (writing nothing) to refuse.
"""

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

import msgspec
import pyotp

from schemas.accounts import LinkKind
from schemas.errors import ErrorKey, Rejected


class AccountLink(msgspec.Struct, frozen=True, kw_only=True):
    """A mailed link, stored under the hash of its token (the token itself is only in the mail)."""

    kind: LinkKind
    email: str
    expires_at: datetime
    invited_by: str = ""
    used_at: datetime | None = None
    # The command that used it: a repeat of that command returns its first outcome.
    used_by_command: str = ""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_key(token: str) -> str:
    """The KV key of a link: a hash, so reading the bucket gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()[:48]


_UNKNOWN: dict[LinkKind, ErrorKey] = {"invitation": "invitation_unknown", "reset": "reset_unknown"}
_USED: dict[LinkKind, ErrorKey] = {"invitation": "invitation_used", "reset": "reset_used"}
_EXPIRED: dict[LinkKind, ErrorKey] = {"invitation": "invitation_expired", "reset": "reset_expired"}


def check_link(link: AccountLink | None, kind: LinkKind, now: datetime, command_id: str = "") -> AccountLink:
    """The link, if it can be used now. Raises Rejected and writes nothing.

    A forged token and one of the other kind are refused alike, as unknown.
    """
    if link is None or link.kind != kind:
        raise Rejected("not_found", "This link is not known", "token", key=_UNKNOWN[kind])
    if link.used_at is not None and not (command_id and link.used_by_command == command_id):
        raise Rejected("conflict", "This link was already used", "token", key=_USED[kind])
    if link.used_at is None and now >= link.expires_at:
        raise Rejected("conflict", "This link has expired", "token", key=_EXPIRED[kind])
    return link


def used(link: AccountLink, now: datetime, command_id: str) -> AccountLink:
    return msgspec.structs.replace(link, used_at=now, used_by_command=command_id)


# --- throttles: recent attempts, kept in a KV bucket shared by every instance ---


class Attempts(msgspec.Struct, frozen=True, kw_only=True):
    at: tuple[datetime, ...] = ()


class Limit(msgspec.Struct, frozen=True, kw_only=True):
    attempts: int
    window: timedelta
    key: ErrorKey
    message: str
    field: str | None = None


# Failed logins (or second-step codes) of one account, from any address; each attempt counts as a
# failure until it proves right (then they are all cleared), so concurrent guesses cannot all slip in.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = timedelta(minutes=15)
ACCOUNT_LOGINS = Limit(
    attempts=LOGIN_ATTEMPTS,
    window=LOGIN_WINDOW,
    key="login_throttled",
    message="Too many failed logins for this account: try again in {minutes} minutes",
    field="email",
)
# Failed logins from one address, whatever the accounts: more than one account's limit, as a
# school or a town hall puts many people behind one address.
ADDRESS_LOGINS = Limit(
    attempts=20,
    window=timedelta(minutes=15),
    key="address_throttled",
    message="Too many failed logins from this address: try again later",
    field="email",
)
# Reset and invitation mails asked for, per address and per email.
MAIL_REQUESTS_PER_ADDRESS = Limit(
    attempts=10,
    window=timedelta(hours=1),
    key="mail_requests_throttled",
    message="Too many mails asked for from this address: try again later",
    field="email",
)
MAIL_REQUESTS_PER_EMAIL = Limit(
    attempts=3,
    window=timedelta(hours=1),
    key="mail_requests_throttled",
    message="Too many mails asked for this address: try again later",
    field="email",
)


def decide_attempt(attempts: Attempts, limit: Limit, now: datetime) -> Attempts:
    """The attempts to store with this one counted. Raises Rejected (with retry_after) over the limit."""
    recent = tuple(t for t in attempts.at if t > now - limit.window)
    if len(recent) >= limit.attempts:
        wait = min(recent) + limit.window - now
        window_minutes = int(limit.window.total_seconds()) // 60
        minutes = min(max(1, -(-int(wait.total_seconds()) // 60)), window_minutes)
        raise Rejected(
            "rate_limited",
            limit.message.format(minutes=minutes),
            limit.field,
            key=limit.key,
            retry_after=max(1, math.ceil(wait.total_seconds())),
        )
    return Attempts(at=(*recent, now))


def without(attempts: Attempts, moment: datetime) -> Attempts:
    """The attempts without the one made at `moment` (it succeeded: it was no failure)."""
    return Attempts(at=tuple(t for t in attempts.at if t != moment))


# --- two-step login ---

RECOVERY_CODES = 10
TOTP_STEP = 30
# One step either side of now: a phone's clock a little off still works.
TOTP_WINDOW = 1


class TwoStep(msgspec.Struct, frozen=True, kw_only=True):
    """An organiser's two-step login: on once a code of `secret` is confirmed."""

    secret: str = ""
    enabled: bool = False
    # The secret shown while turning it on, until a code of it is confirmed.
    pending_secret: str = ""
    # The last TOTP time step accepted: a code of it or an earlier one is a replay.
    last_step: int = 0
    recovery_hashes: tuple[str, ...] = ()
    last_command: str = ""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def normalised_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def is_totp_code(code: str) -> bool:
    code = normalised_code(code)
    return len(code) == 6 and code.isdigit()


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (within the window around now), None when it is no code of `secret`."""
    code = normalised_code(code)
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    current = totp.timecode(now)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def decide_totp(secret: str, last_step: int, code: str, now: datetime) -> int:
    """The step to store as the last one used. Raises Rejected: a wrong code, or one already used."""
    step = totp_step(secret, code, now)
    if step is None:
        raise Rejected("invalid", "This code is not the right one", "code", key="two_step_wrong_code")
    if step <= last_step:
        raise Rejected("invalid", "This code was already used: wait for the next one", "code", key="two_step_replayed")
    return step


def recovery_hash(code: str) -> str:
    # Recovery codes are random (50 bits): a plain hash is enough, unlike for passwords.
    return hashlib.sha256(normalised_code(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def decide_recovery_code(hashes: tuple[str, ...], code: str) -> tuple[str, ...]:
    """The recovery codes left once `code` is used. Raises Rejected when it is none of them (or used)."""
    wanted = recovery_hash(code)
    if not normalised_code(code) or not any(hmac.compare_digest(wanted, h) for h in hashes):
        raise Rejected("invalid", "This code is not the right one", "code", key="two_step_wrong_code")
    return tuple(h for h in hashes if h != wanted)


def decide_second_step(two_step: TwoStep, code: str, now: datetime) -> TwoStep:
    """Two-step state once `code` (a TOTP code, or a recovery code) is accepted. Raises Rejected."""
    if is_totp_code(code):
        return msgspec.structs.replace(two_step, last_step=decide_totp(two_step.secret, two_step.last_step, code, now))
    return msgspec.structs.replace(two_step, recovery_hashes=decide_recovery_code(two_step.recovery_hashes, code))
