"""The calendar invitation a confirmation carries, and the one that withdraws it.

One VEVENT for the whole event, METHOD:PUBLISH: the person is told of the event,
no reply is expected (REQUEST would make calendar apps offer to answer the
organiser). Its UID is the registration's, so a cancellation with the same UID,
METHOD:CANCEL and a higher SEQUENCE removes the very entry the invitation added.
Times carry the event's TZID with its VTIMEZONE (invariant 7).
"""

from datetime import date, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from schemas.catalog import EventSpec
from services.kit.i18n import localised

# Calendar apps use PRODID to tell sources apart; it never changes.
PRODID = "-//Perche//Inscriptions//FR"


def uid(spec: EventSpec, registration_id: str) -> str:
    return f"registration-{registration_id}.{spec.slug}@perche"


def build_invitation(
    spec: EventSpec,
    registration_id: str,
    *,
    language: str,
    method: str,
    stamp: datetime,
    organiser: str,
    organiser_name: str,
    url: str,
    description: str,
) -> bytes:
    """METHOD:PUBLISH (SEQUENCE 0) to add the event, METHOD:CANCEL (SEQUENCE 1) to withdraw it."""
    zone = ZoneInfo(spec.timezone)
    cancel = method == "cancel"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "PUBLISH")
    event = Event()
    event.add("uid", uid(spec, registration_id))
    event.add("sequence", 1 if cancel else 0)
    event.add("dtstamp", stamp)
    event.add("dtstart", spec.starts_at.astimezone(zone))
    event.add("dtend", spec.ends_at.astimezone(zone))
    event.add("summary", localised(spec, "title", language))
    event.add("location", spec.venue.name + (f", {spec.venue.address}" if spec.venue.address else ""))
    event.add("description", description)
    event.add("url", url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    address = vCalAddress(f"mailto:{parseaddr(organiser)[1] or organiser}")
    address.params["cn"] = organiser_name
    event.add("organizer", address)
    calendar.add_component(event)
    # Only the years the event spans: a VTIMEZONE from 1970 would weigh a few kilobytes.
    calendar.add_missing_timezones(
        first_date=date(spec.starts_at.year, 1, 1), last_date=date(spec.ends_at.year + 1, 1, 1)
    )
    ical: bytes = calendar.to_ical()
    return ical
