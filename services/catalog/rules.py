"""Pure rules of the catalog: check an event definition, evolve state from events."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from schemas.catalog import CatalogEvent, EventDefined, EventSpec, OrganiserRegistered
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
        return sorted((e for e in self.events.values() if e.published), key=lambda e: e.starts_at)


def decide_define(state: CatalogState, spec: EventSpec, command_id: str, now: datetime) -> EventDefined | None:
    """The event to append, or None when the definition is unchanged (loading twice is a no-op)."""
    normalised = normalise(spec)
    if state.events.get(normalised.slug) == normalised:
        return None
    return EventDefined(command_id=command_id, spec=normalised, at=now)
