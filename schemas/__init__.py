"""Perche's one shared package: every message, event and subject the services exchange."""

from schemas import catalog, notify, registration, schedule
from schemas.errors import HTTP_STATUS, ErrorReply, Rejected
from schemas.subjects import SERVICES, Catalog, Notify, Registration, Schedule, events_of, stream_name

__all__ = [
    "HTTP_STATUS",
    "SERVICES",
    "Catalog",
    "ErrorReply",
    "Notify",
    "Registration",
    "Rejected",
    "Schedule",
    "catalog",
    "events_of",
    "notify",
    "registration",
    "schedule",
    "stream_name",
]
