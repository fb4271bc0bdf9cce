"""Every NATS subject Perche uses, in one place (perche.<service>.cmd|q|evt...)."""

from typing import Final

SERVICES: Final = (
    "catalog",
    "registration",
    "teams",
    "schedule",
    "judging",
    "publishing",
    "notify",
)


def stream_name(service: str) -> str:
    """The JetStream stream a service owns, e.g. ``PERCHE_REGISTRATION``."""
    return f"PERCHE_{service.upper()}"


def events_of(service: str) -> str:
    """Wildcard covering every event a service appends to its stream."""
    return f"perche.{service}.evt.>"


def token(value: str) -> str:
    """Make a value safe as one subject token (slugs and ids are already safe)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value) or "_"


class Catalog:
    DEFINE_EVENT: Final = "perche.catalog.cmd.define_event"
    LIST_EVENTS: Final = "perche.catalog.q.list_events"
    GET_EVENT: Final = "perche.catalog.q.get_event"
    CREATE_ORGANISER: Final = "perche.catalog.cmd.create_organiser"
    AUTHENTICATE: Final = "perche.catalog.q.authenticate"
    COUNT_ORGANISERS: Final = "perche.catalog.q.count_organisers"

    @staticmethod
    def event_subject(slug: str) -> str:
        return f"perche.catalog.evt.event.{token(slug)}"


class Registration:
    REGISTER: Final = "perche.registration.cmd.register"
    CANCEL: Final = "perche.registration.cmd.cancel"
    LIST: Final = "perche.registration.q.list"
    GET: Final = "perche.registration.q.get"
    COUNTS: Final = "perche.registration.q.counts"

    CLAIM: Final = "perche.registration.cmd.claim"
    PROMOTE: Final = "perche.registration.cmd.promote"
    UPDATE_ANSWERS: Final = "perche.registration.cmd.update_answers"
    CHECK_IN: Final = "perche.registration.cmd.check_in"
    ERASE: Final = "perche.registration.cmd.erase"
    EXPORT: Final = "perche.registration.q.export"
    FIND: Final = "perche.registration.q.find"

    # Each seat is its own aggregate: claiming it appends with an expected subject
    # sequence, so two writers can never hold the same seat and capacity is exact.
    @staticmethod
    def seat_subject(slug: str, category: str, seat: int) -> str:
        return f"perche.registration.evt.{token(slug)}.seat.{token(category)}.{seat}"

    @staticmethod
    def waitlist_subject(slug: str, category: str) -> str:
        return f"perche.registration.evt.{token(slug)}.wait.{token(category)}"

    @staticmethod
    def person_subject(slug: str, registration_id: str) -> str:
        return f"perche.registration.evt.{token(slug)}.person.{token(registration_id)}"


class Web:
    SECRETS_BUCKET: Final = "perche_web_secrets"
