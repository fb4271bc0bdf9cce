"""What the JSON API returns: stable shapes documented in the OpenAPI schema."""

from typing import Any, Literal

import msgspec
from litestar.openapi import ResponseSpec


class ProblemOut(msgspec.Struct, kw_only=True):
    """One of several problems of a request: the field at fault (when there is one) and what is wrong."""

    field: str | None = None
    message: str


class ErrorOut(msgspec.Struct, kw_only=True):
    """Every error of the API: a stable code, a sentence in the caller's language (Accept-Language),
    and the field at fault when there is one. Codes: invalid, not_found, conflict, unauthorized,
    forbidden, unavailable, rate_limited, too_large, method_not_allowed. When a request breaks
    several rules at once (a 422 with a wrong email and a missing answer), `problems` lists every
    one, the first being `message` and `field`; it is absent when there is only that one."""

    code: str
    message: str
    field: str | None = None
    problems: list[ProblemOut] = []


class HealthOut(msgspec.Struct, kw_only=True):
    status: Literal["ok", "degraded"]
    # True when the service answers and can write now.
    services: dict[str, bool]
    # What is wrong with each service that cannot work (empty when ok).
    problems: dict[str, list[str]] = {}


_ERRORS = {
    400: "The request is malformed: a parameter or a field of the body breaks its schema.",
    401: "An organiser's bearer token is missing, expired or wrong.",
    403: "This link or token does not give access to it.",
    404: "No such event, registration or page (or it is not published).",
    409: "The current state does not allow it (full, closed, already done, key reused for another request).",
    413: "The body is larger than the server accepts.",
    422: "Well formed, but it breaks a rule of the event (a required answer, an unknown category...).",
    429: "Too many requests from this address: wait a minute.",
    503: "A service did not answer in time: retry in a moment.",
}


def error_responses(*statuses: int, media_type: str = "application/json") -> dict[int, ResponseSpec]:
    """The error answers of an operation, as they really are: an ErrorOut (or, for feeds, the HTML page)."""
    body: Any = ErrorOut if media_type == "application/json" else str
    return {
        status: ResponseSpec(
            data_container=body, description=_ERRORS[status], media_type=media_type, generate_examples=False
        )
        for status in statuses
    }
