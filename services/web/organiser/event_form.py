"""An event as the rows of an HTML form, and back: pure, so a page needs no JavaScript and a test no server.

A form is a dict of what the inputs hold, as text: `{"title": "...", "venue": {...}, "categories":
[{"id": "...", "capacity": "50", ...}], ...}`. Each input is named by its path in the definition
(`categories[1].capacity`), the same path msgspec and the catalog name in their refusals, so a
refusal is shown next to its input. Times are local to the event's zone, as in the TOML files.
The agenda (rooms, speakers, sessions), publication and archiving are not in the form: a save keeps
them as they were. Team formation's inputs are one section (`team_formation.codes`), left all empty
for an event whose teams are formed from no question (`team_formation` absent).
"""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from schemas.catalog import EventSpec
from schemas.event_file import TextProblem, reason_of

__all__ = [
    "ROWS",
    "FormProblem",
    "apply_action",
    "blank_form",
    "form_of",
    "input_of",
    "read_form",
    "spec_of",
]

Widget = Literal["text", "long", "int", "float", "bool", "time", "lines", "ids", "choice", "maybe_choice"]

# The event's own inputs (venue's as `venue.name`), then each kind of row with its inputs.
TOP: dict[str, Widget] = {
    "slug": "text",
    "title": "text",
    "title_en": "text",
    "kind": "choice",
    "starts_at": "time",
    "ends_at": "time",
    "timezone": "text",
    "summary": "long",
    "summary_en": "long",
    "description": "long",
    "description_en": "long",
    "registration_opens_at": "time",
    "registration_closes_at": "time",
    "consent_text": "long",
    "consent_text_en": "long",
    "waitlist_offer_hours": "int",
    "purge_after_days": "int",
    "team_max_size": "int",
    "project_deadline": "time",
    "normalise_jurors": "bool",
    "jury_model": "bool",
}
VENUE: dict[str, Widget] = {"name": "text", "address": "text"}
# Each input names one of the event's questions (a select, empty: none), with the choices that count.
FORMATION: dict[str, Widget] = {
    "min_size": "int",
    "challenges": "maybe_choice",
    "skills": "maybe_choice",
    "codes": "maybe_choice",
    "codes_if": "lines",
    "experience": "maybe_choice",
    "experience_levels": "lines",
    "domain": "maybe_choice",
    "domain_if": "lines",
}
ROWS: dict[str, dict[str, Widget]] = {
    "categories": {
        "id": "text",
        "name": "text",
        "name_en": "text",
        "capacity": "int",
        "default": "bool",
        "public": "bool",
        "opens_at": "time",
        "closes_at": "time",
        "audience": "maybe_choice",
    },
    "questions": {
        "id": "text",
        "kind": "choice",
        "label": "text",
        "label_en": "text",
        "help": "text",
        "help_en": "text",
        "required": "bool",
        "choices": "lines",
        "choices_en": "lines",
        "categories": "ids",
        "ranks": "int",
    },
    "challenges": {
        "id": "text",
        "title": "text",
        "title_en": "text",
        "partner": "text",
        "description": "long",
        "description_en": "long",
    },
    "criteria": {
        "id": "text",
        "name": "text",
        "name_en": "text",
        "help": "text",
        "help_en": "text",
        "max_points": "int",
        "weight": "float",
    },
}
# What a row added by the organiser starts with (the schema's defaults).
NEW_ROW: dict[str, dict[str, Any]] = {
    "categories": {"public": True},
    "questions": {"kind": "text"},
    "challenges": {},
    "criteria": {"max_points": "10", "weight": "1"},
}
# Far more rows than any event has; a posted index beyond it is ignored rather than allocated.
MAX_ROWS = 200
# What the form leaves to other pages and to the TOML view, kept from the stored definition.
KEPT = ("published", "archived", "rooms", "speakers", "sessions")


class FormProblem(NamedTuple):
    """Why the form is not a valid event yet: the input (its path) and what is wrong, in parts."""

    field: str | None
    reason: TextProblem


def blank_form() -> dict[str, Any]:
    """A new event: one category of visitors, everything else to fill in."""
    form = _empty()
    form.update(kind="open_day", timezone="Europe/Paris", waitlist_offer_hours="48", purge_after_days="180")
    form["team_max_size"] = "5"
    # On by default, as in an event file; an unticked box posts nothing, so only a new form sets it.
    form["jury_model"] = True
    form["categories"] = [{**_empty_row("categories"), **NEW_ROW["categories"], "id": "public", "default": True}]
    return form


def form_of(spec: EventSpec) -> dict[str, Any]:
    """What the form's inputs show for a definition: texts as they are, times local to its zone."""
    zone = _zone(spec.timezone)
    form: dict[str, Any] = {name: input_of(getattr(spec, name), widget, zone) for name, widget in TOP.items()}
    form["venue"] = {name: input_of(getattr(spec.venue, name), widget, zone) for name, widget in VENUE.items()}
    formation = spec.team_formation
    form["team_formation"] = {
        name: "" if formation is None else input_of(getattr(formation, name), widget, zone)
        for name, widget in FORMATION.items()
    }
    for rows, fields in ROWS.items():
        form[rows] = [
            {name: input_of(getattr(row, name), widget, zone) for name, widget in fields.items()}
            for row in getattr(spec, rows)
        ]
    return form


def input_of(value: Any, widget: Widget, zone: ZoneInfo | None) -> Any:
    if value is None:
        return ""
    if widget == "bool":
        return bool(value)
    if widget == "lines":
        return "\n".join(value)
    if widget == "ids":
        return list(value)
    if widget == "time":
        moment: datetime = value
        if moment.tzinfo is not None and zone is not None:
            moment = moment.astimezone(zone).replace(tzinfo=None)
        return moment.isoformat(timespec="seconds" if moment.second else "minutes")
    return str(value)


_ROW_NAME = re.compile(r"^([a-z_]+)\[(\d{1,4})\]\.([a-z_]+)$")


def read_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The form as posted (`categories[1].capacity=50`); inputs it does not know are ignored."""
    form = _empty()
    rows: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in ROWS}
    for name, value in pairs:
        text = str(value).replace("\r\n", "\n")
        if name in TOP:
            form[name] = _posted(TOP[name], text, form[name])
        elif name.startswith("venue.") and name[6:] in VENUE:
            form["venue"][name[6:]] = text.strip()
        elif name.startswith("team_formation.") and (field := name[15:]) in FORMATION:
            form["team_formation"][field] = _posted(FORMATION[field], text, form["team_formation"][field])
        elif (match := _ROW_NAME.match(name)) and match.group(1) in ROWS:
            kind, index, field = match.group(1), int(match.group(2)), match.group(3)
            widgets = ROWS[kind]
            if field in widgets and index < MAX_ROWS:
                row = rows[kind].setdefault(index, _empty_row(kind))
                row[field] = _posted(widgets[field], text, row[field])
    for kind, found in rows.items():
        form[kind] = [found[i] for i in sorted(found)]
    return form


def apply_action(form: dict[str, Any], action: str) -> dict[str, Any] | None:
    """The form after `add:questions`, `remove:questions:2`, `up:categories:1` or `down:...`;
    None when `action` is not one of these (it is a save)."""
    parts = action.split(":")
    if len(parts) < 2 or parts[1] not in ROWS:
        return None
    verb, kind = parts[0], parts[1]
    rows = list(form[kind])
    if verb == "add" and len(parts) == 2:
        rows.append({**_empty_row(kind), **NEW_ROW[kind]})
        return {**form, kind: rows[:MAX_ROWS]}
    if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) >= len(rows):
        return None
    index = int(parts[2])
    if verb == "remove":
        del rows[index]
    elif verb == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and index + 1 < len(rows):
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    elif verb not in ("up", "down"):
        return None
    return {**form, kind: rows}


def spec_of(form: dict[str, Any], stored: EventSpec | None = None) -> EventSpec | FormProblem:
    """The definition the form describes, or the first problem msgspec finds (the judge of the schema).

    An existing event keeps its slug, publication and agenda from `stored`; a new one is unpublished.
    """
    data = {name: _value(TOP[name], form.get(name, "")) for name in TOP}
    data["venue"] = {name: _value(widget, form.get("venue", {}).get(name, "")) for name, widget in VENUE.items()}
    posted_formation = form.get("team_formation", {})
    formation = {name: _value(widget, posted_formation.get(name, "")) for name, widget in FORMATION.items()}
    formation = {name: value for name, value in formation.items() if value is not _OMITTED and value != []}
    # Every input empty: no team formation section at all.
    data["team_formation"] = formation or None
    for kind, fields in ROWS.items():
        data[kind] = [
            {name: _value(widget, row.get(name, "")) for name, widget in fields.items()} for row in form[kind]
        ]
    if stored is None:
        data["published"] = False
    else:
        data["slug"] = stored.slug
        data.update(msgspec.to_builtins({name: getattr(stored, name) for name in KEPT}, builtin_types=(datetime,)))
    data = {name: value for name, value in data.items() if value is not _OMITTED}
    for kind in ROWS:
        data[kind] = [{k: v for k, v in row.items() if v is not _OMITTED} for row in data[kind]]
    data["venue"] = {k: v for k, v in data["venue"].items() if v is not _OMITTED}
    try:
        return msgspec.convert(data, EventSpec, strict=False)
    except msgspec.ValidationError as error:
        return problem_of(str(error))


def problem_of(message: str) -> FormProblem:
    """msgspec's message as the input it is about: a line of a list is its whole text box."""
    problem, _, at = message.partition(" - at `$")
    field, reason = reason_of(problem, at.rstrip("`").lstrip(".") or None)
    if field:
        field = re.sub(
            r"(\.(?:choices|choices_en|categories|codes_if|domain_if|experience_levels))\[\d+\]$", r"\1", field
        )
    return FormProblem(field, reason)


class _Omitted:
    """An empty input for a number, a time or a choice: the schema's default, or its `missing`."""


_OMITTED: Any = _Omitted()


def _value(widget: Widget, posted: Any) -> Any:
    if widget == "bool":
        return bool(posted)
    if widget == "lines":
        return [line.strip() for line in str(posted).split("\n") if line.strip()]
    if widget == "ids":
        return list(posted)
    if widget == "long":
        return str(posted)
    text = str(posted).strip()
    if widget == "text":
        return text
    if not text:
        return _OMITTED
    if widget == "time" and re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return f"{text[:10]}T{text[11:]}:00"
    if widget == "time":
        return text.replace(" ", "T", 1)
    return text


def _posted(widget: Widget, text: str, before: Any) -> Any:
    if widget == "bool":
        return bool(text)
    if widget == "ids":
        return [*before, text.strip()] if text.strip() else before
    if widget in ("long", "lines"):
        return text
    return text.strip()


def _empty() -> dict[str, Any]:
    form: dict[str, Any] = {name: _blank(widget) for name, widget in TOP.items()}
    form["venue"] = {name: "" for name in VENUE}
    form["team_formation"] = {name: "" for name in FORMATION}
    for kind in ROWS:
        form[kind] = []
    return form


def _empty_row(kind: str) -> dict[str, Any]:
    return {name: _blank(widget) for name, widget in ROWS[kind].items()}


def _blank(widget: Widget) -> Any:
    return False if widget == "bool" else [] if widget == "ids" else ""


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
