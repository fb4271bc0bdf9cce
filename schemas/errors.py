"""The typed error every service answers with; ``web`` maps ``code`` to an HTTP status."""

from typing import Literal

import msgspec

ErrorCode = Literal[
    "invalid",  # the request itself is malformed or breaks a rule of its fields
    "not_found",
    "conflict",  # the state does not allow it (closed, already cancelled, ...)
    "unauthorized",
    "forbidden",
    "rate_limited",  # too many attempts in a short time (failed logins of one account)
    "unavailable",  # a dependency did not answer in time
    "internal",
]


class ErrorReply(msgspec.Struct, tag="error", frozen=True, kw_only=True):
    code: ErrorCode
    message: str
    field: str | None = None
    # A short stable key that pages translate; `message` is the English fallback.
    key: str | None = None
    # For `rate_limited`: seconds until a retry can succeed (sent as HTTP Retry-After).
    retry_after: int | None = None


HTTP_STATUS: dict[str, int] = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "unauthorized": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}


class Rejected(Exception):
    """Raised by pure rules: the command is refused with this reply, nothing is written."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        key: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reply = ErrorReply(code=code, message=message, field=field, key=key, retry_after=retry_after)


def command_id_reused() -> Rejected:
    """A client's command id seen before with another request: refused, never taken as a repeat."""
    return Rejected(
        "conflict",
        "This command id was already used for another request: send a new one",
        "command_id",
        key="command_id_reused",
    )
