"""Organiser sessions: a signed, expiring token, sent as a Bearer header or a cookie.

The signing secret lives in a KV bucket shared by all web instances, so any
instance accepts a token another one issued and none keeps session state.
"""

import base64
import hashlib
import hmac
import time

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from schemas.validation import same_secret

SESSION_COOKIE = "perche_session"
CSRF_COOKIE = "perche_csrf"
LIFETIME = 12 * 3600


class Tokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def issue(self, organiser_id: str, email: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + LIFETIME)
        body = base64.urlsafe_b64encode(f"{organiser_id}|{email}|{expires}".encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: float | None = None) -> tuple[str, str] | None:
        body, _, signature = token.partition(".")
        if not body or not same_secret(signature, self._sign(body)):
            return None
        try:
            organiser_id, email, expires = base64.urlsafe_b64decode(body + "==").decode().split("|")
            if int(expires) < (now or time.time()):
                return None
        except ValueError:
            return None
        return organiser_id, email

    def form_key(self, *parts: str) -> str:
        """A stable idempotency key for a form sent from one browser (parts: cookie, event, email)."""
        return hmac.new(self._secret, "form|".join(("", *parts)).encode(), hashlib.sha256).hexdigest()[:40]

    def jury_key(self, event: str, juror: str) -> str:
        """The secret part of a juror's link: it opens that juror's sheet for that event, nothing else."""
        return hmac.new(self._secret, f"jury|{event}|{juror}".encode(), hashlib.sha256).hexdigest()[:32]

    def jury_key_valid(self, event: str, juror: str, key: str) -> bool:
        return same_secret(key, self.jury_key(event, juror))

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:40]


def organiser_of(connection: ASGIConnection) -> tuple[str, str] | None:  # type: ignore[type-arg]
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


def organiser_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    who = organiser_of(connection)
    if who is None:
        raise NotAuthorizedException("Organiser login required")
    connection.state.organiser = who
