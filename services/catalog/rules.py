"""Pure rules of the catalog: check an event definition, evolve state from events."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from schemas.catalog import (
    CatalogEvent,
    Definition,
    EventDefined,
    EventSpec,
    FieldChange,
    OrganiserRegistered,
    Question,
    Span,
    StatusChange,
    TeamFormation,
)
from schemas.errors import Rejected
from schemas.organisations import OrganisationDefined
from services.catalog.organisations import Organisations, decide_event_organisation


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
            key="event_unknown_timezone",
        ) from error
    starts, ends = to_utc(spec.starts_at, zone), to_utc(spec.ends_at, zone)
    if ends <= starts:
        raise Rejected("invalid", "The event must end after it starts", "ends_at", key="event_ends_first")

    _unique([c.id for c in spec.categories], "categories")
    _unique([q.id for q in spec.questions], "questions")
    _unique([c.id for c in spec.challenges], "challenges")
    if sum(c.default for c in spec.categories) > 1:
        raise Rejected("invalid", "Only one category can be the default", "categories", key="event_one_default")
    category_ids = {c.id for c in spec.categories}
    for i, question in enumerate(spec.questions):
        where = f"questions[{i}]"
        if question.kind in ("choice", "multi_choice") and not question.choices:
            raise Rejected(
                "invalid", f"Question {question.id!r} needs `choices`", f"{where}.choices", key="question_needs_choices"
            )
        if question.kind == "ranking" and not question.choices and not spec.challenges:
            raise Rejected(
                "invalid",
                f"Question {question.id!r} ranks choices: give `choices`, or challenges for it to rank",
                f"{where}.choices",
                key="question_ranking_needs_choices",
            )
        if question.kind not in ("choice", "multi_choice", "ranking") and question.choices:
            raise Rejected(
                "invalid",
                f"Question {question.id!r} is not a choice question but has `choices`",
                f"{where}.choices",
                key="question_no_choices",
            )
        if question.choices_en and len(question.choices_en) != len(question.choices):
            raise Rejected(
                "invalid",
                f"Question {question.id!r}: `choices_en` must match `choices` one for one",
                f"{where}.choices_en",
                key="question_choices_en",
            )
        for category in question.categories:
            if category not in category_ids:
                raise Rejected(
                    "invalid",
                    f"Question {question.id!r} names unknown category {category!r}",
                    f"{where}.categories",
                    key="question_unknown_category",
                )
    if spec.team_formation is not None:
        _check_formation(spec, spec.team_formation)

    def opt(moment: datetime | None) -> datetime | None:
        return None if moment is None else to_utc(moment, zone)

    opens, closes = opt(spec.registration_opens_at), opt(spec.registration_closes_at)
    if opens and closes and closes <= opens:
        raise Rejected(
            "invalid",
            "Registration must close after it opens",
            "registration_closes_at",
            key="registration_closes_first",
        )
    categories = [
        msgspec.structs.replace(c, opens_at=opt(c.opens_at), closes_at=opt(c.closes_at)) for c in spec.categories
    ]
    return msgspec.structs.replace(
        spec,
        starts_at=starts,
        ends_at=ends,
        registration_opens_at=opens,
        registration_closes_at=closes,
        project_deadline=opt(spec.project_deadline),
        categories=categories,
    )


def _check_formation(spec: EventSpec, formation: TeamFormation) -> None:
    """Each input of team formation names a question of the event that can feed it."""
    where = "team_formation"
    if formation.min_size > spec.team_max_size:
        raise Rejected(
            "invalid",
            f"Teams of at least {formation.min_size} cannot be formed when a team holds at most {spec.team_max_size}",
            f"{where}.min_size",
            key="formation_sizes",
        )
    questions = {q.id: q for q in spec.questions}

    def question(name: str, kinds: tuple[str, ...], what: str) -> Question | None:
        ident = getattr(formation, name)
        if ident is None:
            return None
        found = questions.get(ident)
        if found is None:
            raise Rejected(
                "invalid",
                f"`team_formation.{name}` names {ident!r}, which is not one of the event's questions",
                f"{where}.{name}",
                key="formation_unknown_question",
            )
        if found.kind not in kinds:
            raise Rejected(
                "invalid",
                f"`team_formation.{name}`: question {ident!r} is a {found.kind} question; it needs {what}",
                f"{where}.{name}",
                key="formation_wrong_kind",
            )
        return found

    challenges = question("challenges", ("ranking",), "a ranking question without choices (it ranks challenges)")
    if challenges is not None and challenges.choices:
        raise Rejected(
            "invalid",
            f"`team_formation.challenges`: question {challenges.id!r} ranks its own choices, not the challenges",
            f"{where}.challenges",
            key="formation_wrong_kind",
        )
    question("skills", ("multi_choice", "choice"), "a multi_choice or choice question")
    for name in ("codes", "domain"):
        _check_meaning(formation, name, question(name, _YES_OR_CHOICES, "a yes_no, choice or multi_choice question"))
    experience = question("experience", ("choice",), "a choice question, one level for each choice")
    levels = formation.experience_levels
    if (experience is None and levels) or (experience is not None and len(levels) != len(experience.choices)):
        count = 0 if experience is None else len(experience.choices)
        raise Rejected(
            "invalid",
            f"`team_formation.experience_levels` gives {len(levels)} levels for {count} choices: give one per choice",
            f"{where}.experience_levels",
            key="formation_levels_count",
        )


_YES_OR_CHOICES = ("yes_no", "choice", "multi_choice")


def _check_meaning(formation: TeamFormation, name: str, question: Question | None) -> None:
    """`codes_if` / `domain_if`: the choices that mean « codes » (« knows the domain »), for a choice question."""
    where = f"team_formation.{name}_if"
    meaning: list[str] = getattr(formation, f"{name}_if")
    if question is None or question.kind == "yes_no":
        if meaning:
            raise Rejected(
                "invalid",
                f"`{name}_if` is only for a choice or multi_choice question named by `team_formation.{name}`",
                where,
                key="formation_unknown_choice",
            )
        return
    if not meaning:
        raise Rejected(
            "invalid",
            f"`{name}_if`: say which choices of question {question.id!r} count",
            where,
            key="formation_if_needed",
        )
    for choice in meaning:
        if choice not in question.choices:
            raise Rejected(
                "invalid",
                f"`{name}_if`: {choice!r} is not one of the choices of question {question.id!r}",
                where,
                key="formation_unknown_choice",
            )


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise Rejected("invalid", f"The id {ident!r} is used twice", f"{where}[{i}].id", key="id_used_twice")
        seen.add(ident)


@dataclass
class CatalogState:
    events: dict[str, EventSpec] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    # The last TOML text each event was defined from (it may describe an earlier definition).
    sources: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    organisers: set[str] = field(default_factory=set)
    orgs: Organisations = field(default_factory=Organisations)

    def evolve(self, event: CatalogEvent) -> None:
        match event:
            case EventDefined(spec=spec, command_id=command_id, source=source):
                self.events[spec.slug] = spec
                if source is not None:
                    self.sources[spec.slug] = source
                self.revisions[spec.slug] = self.revisions.get(spec.slug, 0) + 1
                self.commands[command_id] = spec.slug
                self.orgs.event_defined(spec.slug, event.organisation)
            case OrganiserRegistered(organiser_id=organiser_id, command_id=command_id):
                self.organisers.add(organiser_id)
                self.commands[command_id] = organiser_id
                self.orgs.organiser_registered(organiser_id, event.default_role)
            case OrganisationDefined(slug=slug, command_id=command_id):
                self.orgs.evolve(event)
                self.commands[command_id] = slug
            case _:
                self.orgs.evolve(event)
                self.commands[event.command_id] = event.organisation

    def published(self) -> list[EventSpec]:
        return sorted((e for e in self.events.values() if e.published and not e.archived), key=lambda e: e.starts_at)


def decide_define(
    state: CatalogState,
    spec: EventSpec,
    command_id: str,
    now: datetime,
    *,
    by_organiser: str | None = None,
    source: str | None = None,
    organisation: str | None = None,
) -> EventDefined | None:
    """The event to append, or None when the definition is unchanged (loading twice is a no-op);
    a new text for the same definition (a comment changed) is kept."""
    normalised = normalise(spec)
    slug = normalised.slug
    owner = decide_event_organisation(state.orgs, slug, organisation)
    if state.events.get(slug) == normalised and (source is None or state.sources.get(slug) == source):
        return None
    return EventDefined(
        command_id=command_id,
        spec=normalised,
        at=now,
        by_organiser=by_organiser,
        source=source,
        organisation=owner,
    )


# A changed long text (a description) is shown by its beginning: the history names, it does not archive.
SHOWN_VALUE = 80


def spec_changes(old: EventSpec, new: EventSpec) -> list[FieldChange]:
    """Each field that differs between two definitions of an event, rows named by their id."""
    changes: list[FieldChange] = []
    _diff(old, new, "", changes)
    return changes


def definition_history(defined: list[EventDefined]) -> list[Definition]:
    """An event's definitions in stream order, each with what changed since the one before."""
    history: list[Definition] = []
    previous: EventSpec | None = None
    for event in defined:
        changes = [] if previous is None else spec_changes(previous, event.spec)
        history.append(
            Definition(at=event.at, by_organiser=event.by_organiser, changes=changes, first=previous is None)
        )
        previous = event.spec
    return history


def describe(change: FieldChange) -> str:
    """`categories[participant].capacity: 20 → 30` (— for a field or row that was not there)."""
    old = "—" if change.old is None else change.old
    new = "—" if change.new is None else change.new
    return f"{change.path}: {old} → {new}"


def _diff(old: object, new: object, path: str, out: list[FieldChange]) -> None:
    if old == new:
        return
    if isinstance(old, msgspec.Struct) and isinstance(new, msgspec.Struct) and type(old) is type(new):
        for name in old.__struct_fields__:
            _diff(getattr(old, name), getattr(new, name), f"{path}.{name}" if path else name, out)
        return
    if isinstance(old, list) and isinstance(new, list) and _rows(old + new):
        _diff_rows(old, new, path, out)
        return
    out.append(FieldChange(path=path, old=_shown(old), new=_shown(new)))


def _rows(items: list[object]) -> bool:
    return bool(items) and all(isinstance(item, msgspec.Struct) for item in items)


def _diff_rows(old: list[object], new: list[object], path: str, out: list[FieldChange]) -> None:
    """Rows with an id are matched by it (reordering is not a change); others by position."""
    old_rows, new_rows = _keyed(old), _keyed(new)
    for key, row in old_rows.items():
        where = f"{path}[{key}]"
        if key in new_rows:
            _diff(row, new_rows[key], where, out)
        else:
            out.append(FieldChange(path=where, old=key, new=None))
    for key in new_rows:
        if key not in old_rows:
            out.append(FieldChange(path=f"{path}[{key}]", old=None, new=key))


def _keyed(rows: list[object]) -> dict[str, object]:
    return {str(getattr(row, "id", index)): row for index, row in enumerate(rows)}


def _shown(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ", ".join(str(item) for item in value) or "[]"
    elif isinstance(value, msgspec.Struct):
        text = msgspec.json.encode(value).decode()
    else:
        text = str(value)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


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
        project_deadline=maybe(spec.project_deadline),
        categories=[replace(c, opens_at=maybe(c.opens_at), closes_at=maybe(c.closes_at)) for c in spec.categories],
        sessions=[replace(s, starts_at=moved(s.starts_at), ends_at=moved(s.ends_at)) for s in spec.sessions],
        speakers=[
            replace(
                p, availability=[Span(starts_at=moved(a.starts_at), ends_at=moved(a.ends_at)) for a in p.availability]
            )
            for p in spec.speakers
        ],
    )
