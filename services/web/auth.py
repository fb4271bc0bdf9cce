"""Organiser sessions: a signed, expiring token, sent as a Bearer header or a cookie.

The signing secret lives in a KV bucket shared by all web instances, so any
instance accepts a token another one issued and none keeps session state. A
token names its session and the organiser's password epoch; the catalog says on
every request whether that session is still open (not logged out, no password
change since), so an ended session is refused by every instance at once.
"""

import base64
import hashlib
import hmac
import secrets
import time

import msgspec
from litestar.connection import ASGIConnection

from schemas.accounts import PENDING_LOGIN_LIFETIME
from schemas.catalog import SESSION_LIFETIME, CheckSession, EndSession, SessionEnded, SessionValid
from schemas.organisations import API_TOKEN_PREFIX, ApiTokenValid, CheckApiToken, Membership
from schemas.subjects import Catalog
from schemas.validation import same_secret
from services.kit.client import ServiceError
from services.web.gateway import gateway_of

SESSION_COOKIE = "perche_session"
# The second step's page: set after the right password of an account with two-step login.
PENDING_COOKIE = "perche_pending_login"
CSRF_COOKIE = "perche_csrf"
LIFETIME = SESSION_LIFETIME


class Session(msgspec.Struct, frozen=True, array_like=True):
    """What a token says, once its signature is checked; `session_id` is what a logout ends."""

    organiser_id: str
    email: str
    expires: int
    session_id: str
    epoch: int


_decode_session = msgspec.json.Decoder(Session).decode


class PendingLogin(msgspec.Struct, frozen=True, array_like=True):
    """The right password of an account with two-step login: no session, only the right to give a code."""

    organiser_id: str
    epoch: int
    expires: int


_decode_pending = msgspec.json.Decoder(PendingLogin).decode


class Tokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def issue(self, organiser_id: str, email: str, epoch: int, now: float | None = None) -> str:
        """A token for a new session of this organiser, valid until LIFETIME from now."""
        session = Session(
            organiser_id=organiser_id,
            email=email,
            expires=int((now or time.time()) + LIFETIME),
            session_id=secrets.token_hex(16),
            epoch=epoch,
        )
        body = base64.urlsafe_b64encode(msgspec.json.encode(session)).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: float | None = None) -> Session | None:
        """The session a token names if it is signed by us and not expired; whether it ended is the catalog's say."""
        body, _, signature = token.partition(".")
        if not body or not same_secret(signature, self._sign(body)):
            return None
        try:
            session = _decode_session(base64.urlsafe_b64decode(body + "=="))
        except (ValueError, msgspec.DecodeError):
            return None
        if session.expires < (now or time.time()):
            return None
        return session

    def form_key(self, *parts: str) -> str:
        """A stable idempotency key for a form sent from one browser (parts: cookie, event, email)."""
        return hmac.new(self._secret, "form|".join(("", *parts)).encode(), hashlib.sha256).hexdigest()[:40]

    def jury_key(self, event: str, juror: str) -> str:
        """The secret part of a juror's link: it opens that juror's sheet for that event, nothing else."""
        return hmac.new(self._secret, f"jury|{event}|{juror}".encode(), hashlib.sha256).hexdigest()[:32]

    def jury_key_valid(self, event: str, juror: str, key: str) -> bool:
        return same_secret(key, self.jury_key(event, juror))

    def pending_login(self, organiser_id: str, epoch: int, now: float | None = None) -> str:
        """A short-lived token for the second step's page; signed apart, so it never passes for a session."""
        pending = PendingLogin(
            organiser_id=organiser_id, epoch=epoch, expires=int((now or time.time()) + PENDING_LOGIN_LIFETIME)
        )
        body = base64.urlsafe_b64encode(msgspec.json.encode(pending)).decode().rstrip("=")
        return f"{body}.{self._sign('pending|' + body)}"

    def pending_login_of(self, token: str, now: float | None = None) -> PendingLogin | None:
        body, _, signature = token.partition(".")
        if not body or not same_secret(signature, self._sign("pending|" + body)):
            return None
        try:
            pending = _decode_pending(base64.urlsafe_b64decode(body + "=="))
        except (ValueError, msgspec.DecodeError):
            return None
        return None if pending.expires < (now or time.time()) else pending

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:40]


def session_of(connection: ASGIConnection) -> Session | None:  # type: ignore[type-arg]
    """The session the request's token names (signature and expiry checked, nothing else)."""
    tokens: Tokens = connection.app.state.tokens
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return tokens.verify(header[7:].strip())
    cookie = connection.cookies.get(SESSION_COOKIE)
    # The JSON API has no CSRF check, so a cookie alone may only read there, never write.
    unsafe = connection.scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")
    if unsafe and connection.url.path.startswith("/api/"):
        return None
    return tokens.verify(cookie) if cookie else None


async def organiser_of(connection: ASGIConnection) -> tuple[str, str] | None:  # type: ignore[type-arg]
    """(organiser id, email) when the request carries a session that is still open, else None."""
    known: tuple[str, str] | None = connection.state.get("organiser")
    if known is not None:
        return known
    if _api_token(connection):
        return await _api_token_holder(connection)
    session = session_of(connection)
    if session is None:
        return None
    query = CheckSession(organiser_id=session.organiser_id, session_id=session.session_id, epoch=session.epoch)
    try:
        valid = await gateway_of(connection).call(Catalog.CHECK_SESSION, query, SessionValid)
    except ServiceError as error:
        if error.reply.code == "unauthorized":
            return None
        raise  # the catalog is away: a 503, not a login page
    connection.state.organiser = (valid.organiser_id, valid.email)
    # Whether this session was made with two steps (an organisation may require it).
    connection.state.two_step = valid.two_step
    connection.state.memberships = valid.memberships
    connection.state.require_two_step = valid.require_two_step
    return connection.state.organiser  # type: ignore[no-any-return]


def memberships_of(connection: ASGIConnection) -> list[Membership]:  # type: ignore[type-arg]
    """The roles of the person (or API token) `organiser_of` found; empty before it is called."""
    memberships: list[Membership] = connection.state.get("memberships", [])
    return memberships


def _api_token(connection: ASGIConnection) -> str | None:  # type: ignore[type-arg]
    header = connection.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    return token if token.startswith(API_TOKEN_PREFIX) else None


async def _api_token_holder(connection: ASGIConnection) -> tuple[str, str] | None:  # type: ignore[type-arg]
    """An organisation's API token: it acts with its one role, in its one organisation."""
    token = _api_token(connection) or ""
    try:
        valid = await gateway_of(connection).call(Catalog.CHECK_API_TOKEN, CheckApiToken(token=token), ApiTokenValid)
    except ServiceError as error:
        if error.reply.code in ("unauthorized", "invalid"):
            return None
        raise
    connection.state.organiser = (f"api-{valid.token_id}", f"API: {valid.name}")
    connection.state.memberships = [valid.membership]
    return connection.state.organiser  # type: ignore[no-any-return]


async def end_session(connection: ASGIConnection, command_id: str) -> None:  # type: ignore[type-arg]
    """Logout: the request's session is refused from now on, by every web instance."""
    session = session_of(connection)
    if session is None:
        return
    command = EndSession(command_id=command_id, organiser_id=session.organiser_id, session_id=session.session_id)
    await gateway_of(connection).call(Catalog.END_SESSION, command, SessionEnded)


def client_address(connection: ASGIConnection) -> str:  # type: ignore[type-arg]
    """The client's address, for throttles per address (the proxy's, behind one that hides it)."""
    client = connection.client
    return client.host if client is not None else ""
