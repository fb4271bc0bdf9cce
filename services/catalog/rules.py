"""Pure rules of the catalog: check an event definition, evolve state from events."""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from schemas.catalog import CatalogEvent, EventDefined, EventSpec, OrganiserRegistered, Span, StatusChange
from schemas.errors import Rejected


def to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """Naive times (as written in TOML files) are local to the event's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def normalise(spec: EventSpec) -> EventSpec:
    """Check what msgspec cannot, and store every time in UTC. Raises Rejected."""
    try:
        zone = ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Rejected(
            "invalid",
            f"Unknown time zone {spec.timezone!r} (use an IANA name such as Europe/Paris)",
            "timezone",
        ) from error
    starts, ends = to_utc(spec.starts_at, zone), to_utc(spec.ends_at, zone)
    if ends <= starts:
        raise Rejected("invalid", "The event must end after it starts", "ends_at")

    _unique([c.id for c in spec.categories], "categories")
    _unique([q.id for q in spec.questions], "questions")
    _unique([c.id for c in spec.challenges], "challenges")
    if sum(c.default for c in spec.categories) > 1:
        raise Rejected("invalid", "Only one category can be the default", "categories")
    category_ids = {c.id for c in spec.categories}
    for i, question in enumerate(spec.questions):
        where = f"questions[{i}]"
        if question.kind in ("choice", "multi_choice") and not question.choices:
            raise Rejected("invalid", f"Question {question.id!r} needs `choices`", f"{where}.choices")
        if question.kind not in ("choice", "multi_choice") and question.choices:
            raise Rejected(
                "invalid",
                f"Question {question.id!r} is not a choice question but has `choices`",
                f"{where}.choices",
            )
        if question.choices_en and len(question.choices_en) != len(question.choices):
            raise Rejected(
                "invalid",
                f"Question {question.id!r}: `choices_en` must match `choices` one for one",
                f"{where}.choices_en",
            )
        for category in question.categories:
            if category not in category_ids:
                raise Rejected(
                    "invalid",
                    f"Question {question.id!r} names unknown category {category!r}",
                    f"{where}.categories",
                )

    def opt(moment: datetime | None) -> datetime | None:
        return None if moment is None else to_utc(moment, zone)

    opens, closes = opt(spec.registration_opens_at), opt(spec.registration_closes_at)
    if opens and closes and closes <= opens:
        raise Rejected("invalid", "Registration must close after it opens", "registration_closes_at")
    categories = [
        msgspec.structs.replace(c, opens_at=opt(c.opens_at), closes_at=opt(c.closes_at)) for c in spec.categories
    ]
    return msgspec.structs.replace(
        spec,
        starts_at=starts,
        ends_at=ends,
        registration_opens_at=opens,
        registration_closes_at=closes,
        categories=categories,
    )


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise Rejected("invalid", f"The id {ident!r} is used twice", f"{where}[{i}].id")
        seen.add(ident)


@dataclass
class CatalogState:
    events: dict[str, EventSpec] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    organisers: set[str] = field(default_factory=set)

    def evolve(self, event: CatalogEvent) -> None:
        match event:
            case EventDefined(spec=spec, command_id=command_id):
                self.events[spec.slug] = spec
                self.revisions[spec.slug] = self.revisions.get(spec.slug, 0) + 1
                self.commands[command_id] = spec.slug
            case OrganiserRegistered(organiser_id=organiser_id, command_id=command_id):
                self.organisers.add(organiser_id)
                self.commands[command_id] = organiser_id

    def published(self) -> list[EventSpec]:
        return sorted((e for e in self.events.values() if e.published and not e.archived), key=lambda e: e.starts_at)


def decide_define(state: CatalogState, spec: EventSpec, command_id: str, now: datetime) -> EventDefined | None:
    """The event to append, or None when the definition is unchanged (loading twice is a no-op)."""
    normalised = normalise(spec)
    if state.events.get(normalised.slug) == normalised:
        return None
    return EventDefined(command_id=command_id, spec=normalised, at=now)


def with_status(spec: EventSpec, change: StatusChange, now: datetime) -> EventSpec:
    """The definition after a change made by hand; registration follows the window it sets."""
    opens, closes = spec.registration_opens_at, spec.registration_closes_at
    match change:
        case "publish" | "unpublish":
            return msgspec.structs.replace(spec, published=change == "publish")
        case "archive" | "unarchive":
            return msgspec.structs.replace(spec, archived=change == "archive")
        case "close_registration":
            # Refused from now on: the window ends now (and no opening is left after it).
            return msgspec.structs.replace(
                spec, registration_opens_at=opens if opens and opens < now else None, registration_closes_at=now
            )
        case "open_registration":
            return msgspec.structs.replace(
                spec,
                registration_opens_at=opens if opens and opens <= now else None,
                registration_closes_at=closes if closes and closes > now else None,
            )


def copied(spec: EventSpec, slug: str, title: str, starts_on: date) -> EventSpec:
    """`spec` as a new event starting on `starts_on`: every time moved by the same number of days in
    the event's zone (so 9:00 stays 9:00 across a change of summer time), unpublished, not archived.
    The times come back local, as in a file: `normalise` turns them into UTC again."""
    zone = ZoneInfo(spec.timezone)

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment

    shift = starts_on - local(spec.starts_at).date()

    def moved(moment: datetime) -> datetime:
        return local(moment) + shift

    def maybe(moment: datetime | None) -> datetime | None:
        return None if moment is None else moved(moment)

    def moved_span(span: Span) -> Span:
        return Span(starts_at=moved(span.starts_at), ends_at=moved(span.ends_at))

    replace = msgspec.structs.replace
    return replace(
        spec,
        slug=slug,
        title=title,
        title_en="",
        published=False,
        archived=False,
        starts_at=moved(spec.starts_at),
        ends_at=moved(spec.ends_at),
        registration_opens_at=maybe(spec.registration_opens_at),
        registration_closes_at=maybe(spec.registration_closes_at),
        categories=[replace(c, opens_at=maybe(c.opens_at), closes_at=maybe(c.closes_at)) for c in spec.categories],
        sessions=[replace(s, starts_at=moved(s.starts_at), ends_at=moved(s.ends_at)) for s in spec.sessions],
        speakers=[
            replace(
                p, availability=[Span(starts_at=moved(a.starts_at), ends_at=moved(a.ends_at)) for a in p.availability]
            )
            for p in spec.speakers
        ],
    )


# Failed logins: after this many in the window, the account's logins are refused, from any address.
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = timedelta(minutes=15)


class LoginFailures(msgspec.Struct, frozen=True, kw_only=True):
    """When one account's recent logins failed (or are being checked): kept in NATS for every instance."""

    at: tuple[datetime, ...] = ()


def recent_failures(failures: LoginFailures, now: datetime) -> LoginFailures:
    return LoginFailures(at=tuple(t for t in failures.at if t > now - LOGIN_WINDOW))


def decide_login_attempt(failures: LoginFailures, now: datetime) -> LoginFailures:
    """The failures to store before a password is checked. Raises Rejected and writes nothing.

    The attempt counts as a failure until the password proves right (a success clears them all),
    so concurrent guesses cannot all slip in below the limit.
    """
    recent = recent_failures(failures, now)
    if len(recent.at) >= LOGIN_ATTEMPTS:
        wait = min(recent.at) + LOGIN_WINDOW - now
        minutes = min(max(1, -(-int(wait.total_seconds()) // 60)), int(LOGIN_WINDOW.total_seconds()) // 60)
        raise Rejected(
            "rate_limited",
            f"Too many failed logins for this account: try again in {minutes} minutes",
            "email",
            key="login_throttled",
            retry_after=max(1, math.ceil(wait.total_seconds())),
        )
    return LoginFailures(at=(*recent.at, now))
