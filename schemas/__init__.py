"""Perche's one shared package: every message, event and subject the services exchange."""

from schemas import catalog, registration, schedule
from schemas.errors import HTTP_STATUS, ErrorReply, Rejected
from schemas.subjects import SERVICES, Catalog, Registration, Schedule, events_of, stream_name

__all__ = [
    "HTTP_STATUS",
    "SERVICES",
    "Catalog",
    "ErrorReply",
    "Registration",
    "Rejected",
    "Schedule",
    "catalog",
    "events_of",
    "registration",
    "schedule",
    "stream_name",
]
