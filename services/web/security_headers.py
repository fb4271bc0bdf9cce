"""Browser hardening on every answer, error pages included: one `before_send` hook.

- A Content-Security-Policy without 'unsafe-inline': the few inline <script> and <style>
  elements carry a nonce made for the request (`csp_nonce`, given to every template), and
  Perche's pages load nothing from another host. The API documentation (/schema) also
  runs the Swagger UI files Perche serves itself.
- Private answers (a person's link under /r/ or its short form under /m/, a juror's under
  /jury/, the organiser's pages, the API's personal data, anything sent with credentials,
  any write) are never stored by a browser or a proxy (`no-store`) and never send their
  address, which holds a token, to another page (`no-referrer`). Public pages send at most their origin to
  other hosts, and only over https.
- Over https (PERCHE_BASE_URL starting with https://, or the request's scheme, which
  uvicorn takes from X-Forwarded-Proto for a trusted proxy: FORWARDED_ALLOW_IPS), every
  cookie is Secure and HSTS tells the browser to come back over https only. Over plain
  http (local use) cookies stay usable.
"""

import re
import secrets
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from services.web.auth import SESSION_COOKIE

NONCE_KEY = "perche_csp_nonce"
# The API documentation (Swagger UI): Perche's own script and style files, and images inlined by its CSS.
DOCS_PATH = "/schema"
PRIVATE_PREFIXES = ("/r/", "/m/", "/jury/", "/organiser", "/api/v1/registrations", "/api/v1/auth/")
# The API's answers about people or unpublished work, for organisers or the person themself.
PERSONAL_API = re.compile(r"/api/v1/events/[^/]+/(registrations|agenda/(draft|releases|edits|rounds))")
# Two years, the usual preload figure; not includeSubDomains: Perche does not own its parent domain.
HSTS = "max-age=63072000"

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The pages use no camera (the door's phone reads QR codes with its own camera app), no location.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def csp_nonce(scope: Any) -> str:
    """This request's nonce for inline <script> and <style>, made once and kept in its scope."""
    state: dict[str, Any] = scope.setdefault("state", {})
    nonce = state.get(NONCE_KEY)
    if nonce is None:
        nonce = state[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(nonce)


def content_security_policy(nonce: str, docs: bool = False) -> str:
    own = "'self' " if docs else ""
    directives = [
        "default-src 'self'",
        f"script-src {own}'nonce-{nonce}'",
        f"style-src {own}'nonce-{nonce}'",
        "img-src 'self' data:" if docs else "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",  # the venue screen's live stream, the check-in figures, the jury outbox
        "worker-src 'self'",  # the jury's service worker
        "manifest-src 'self'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        # No page is meant to be framed, not even the venue screen: it is opened full screen.
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def is_private(scope: Scope) -> bool:
    """Whether the answer may hold a token or someone's data, so must not be stored or referred."""
    path: str = scope["path"]
    if path.startswith(PRIVATE_PREFIXES) or PERSONAL_API.match(path):
        return True
    if scope.get("method", "GET") not in ("GET", "HEAD"):
        return True
    headers = MutableScopeHeaders(scope)
    cookies = headers.get("cookie") or ""
    return "authorization" in headers or f"{SESSION_COOKIE}=" in cookies


def served_over_https(base_url: str, scheme: str = "http") -> bool:
    """Whether Perche is reached over https: its configured address says so, or the request came so."""
    return base_url.startswith("https://") or scheme == "https"


def _secure(cookie: str) -> str:
    attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
    return cookie if "secure" in attributes else f"{cookie}; Secure"


class SecurityHeaders:
    """The `before_send` hook that adds the headers; the one place that decides them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in ALWAYS.items():
            headers[name] = value
        headers["Content-Security-Policy"] = content_security_policy(
            csp_nonce(scope), docs=scope["path"].startswith(DOCS_PATH)
        )
        if is_private(scope):
            headers["Cache-Control"] = "no-store"
            headers["Referrer-Policy"] = "no-referrer"
        else:
            headers["Referrer-Policy"] = "strict-origin"
        if served_over_https(self.base_url, scope.get("scheme", "http")):
            headers["Strict-Transport-Security"] = HSTS
            cookies = headers.getall("set-cookie", [])
            if cookies:
                del headers["set-cookie"]
                for cookie in cookies:
                    headers.add("set-cookie", _secure(cookie))
