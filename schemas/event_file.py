"""Event definitions as TOML text a person edits (files, the dashboard's editor).

Times in the text are local to the event's zone, as people write them; errors name
the field and the problem so the person can fix it.
"""

import re
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec
import msgspec.inspect

from schemas.catalog import EventSpec

ProblemKind = Literal[
    "choice", "range", "pattern", "length", "missing", "unknown_field", "type", "syntax", "duplicate", "other"
]


class TextProblem(msgspec.Struct, frozen=True, kw_only=True):
    """What is wrong, in parts a page can put into a sentence in the reader's language."""

    kind: ProblemKind
    value: str = ""
    # The values a choice allows, or the type a value must have (int, str, datetime, bool...).
    allowed: tuple[str, ...] = ()
    expected: str = ""
    minimum: float | None = None
    maximum: float | None = None
    pattern: str = ""
    line: int | None = None
    column: int | None = None


class EventTextError(ValueError):
    """`problem` is the parser's own text (files, logs); `reason` the same in parts, for people."""

    def __init__(self, field: str | None, problem: str, reason: TextProblem | None = None) -> None:
        super().__init__(f"field `{field}`: {problem}" if field else problem)
        self.field = field
        self.problem = problem
        self.reason = reason or TextProblem(kind="other", value=problem)


def decode_event_toml(data: bytes | str) -> EventSpec:
    try:
        return msgspec.toml.decode(data, type=EventSpec)
    except msgspec.ValidationError as error:
        text = str(error)
        problem, _, at = text.partition(" - at `$")
        path = at.rstrip("`").lstrip(".") or None
        field, reason = reason_of(problem, path)
        raise EventTextError(field, problem, reason) from error
    except msgspec.DecodeError as error:
        where = re.search(r"line (\d+), column (\d+)", str(error))
        line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
        reason = TextProblem(kind="syntax", value=str(error), line=line, column=column)
        raise EventTextError(None, f"not valid TOML: {error}", reason) from error


_NAMED = re.compile(r"field `([^`]+)`")
# What EventSpec's own check says of two rows with one id (it has no path: it checks the whole event).
_TWICE = re.compile(r"^([a-z_]+\[\d+\]): the id '([^']*)' is used twice$")


def _joined(path: str | None, name: str) -> str:
    return f"{path}.{name}" if path else name


def reason_of(problem: str, path: str | None) -> tuple[str | None, TextProblem]:
    """The field a msgspec message is about, and its problem with the limits the schema sets there."""
    named = _NAMED.search(problem)
    twice = _TWICE.match(problem)
    if twice and path is None:
        return f"{twice.group(1)}.id", TextProblem(kind="duplicate", value=twice.group(2))
    if problem.startswith("Object missing required field") and named:
        return _joined(path, named.group(1)), TextProblem(kind="missing")
    if problem.startswith("Object contains unknown field") and named:
        return _joined(path, named.group(1)), TextProblem(kind="unknown_field")
    rule = _type_at(path)
    enum = re.match(r"Invalid enum value (.*)$", problem)
    if enum:
        values = tuple(str(v) for v in getattr(rule, "values", ()))
        return path, TextProblem(kind="choice", value=enum.group(1).strip("'\""), allowed=values)
    if "matching regex" in problem and isinstance(rule, msgspec.inspect.StrType):
        return path, TextProblem(kind="pattern", pattern=rule.pattern or "")
    if "of length" in problem:
        low, high = getattr(rule, "min_length", None), getattr(rule, "max_length", None)
        return path, TextProblem(kind="length", minimum=low, maximum=high)
    if re.match(r"Expected `(int|float)` [<>]", problem):
        low = getattr(rule, "ge", None)
        high = getattr(rule, "le", None)
        return path, TextProblem(kind="range", expected=problem.split("`")[1], minimum=low, maximum=high)
    if problem.startswith("Invalid RFC3339 encoded datetime"):  # a form's text that is no date and time
        return path, TextProblem(kind="type", expected="datetime", value="str")
    expected = re.match(r"Expected `([^`]+)`, got `([^`]+)`", problem)
    if expected:
        return path, TextProblem(kind="type", expected=expected.group(1), value=expected.group(2))
    return path, TextProblem(kind="other", value=problem)


def _type_at(path: str | None) -> Any:
    """The schema's rule for a field, e.g. `categories[0].capacity`: an int from 0 to 100 000."""
    rule: Any = msgspec.inspect.type_info(EventSpec)
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path or ""):
        while isinstance(rule, msgspec.inspect.UnionType):
            rule = next((t for t in rule.types if not isinstance(t, msgspec.inspect.NoneType)), None)
        if index:
            rule = getattr(rule, "item_type", None)
        elif isinstance(rule, msgspec.inspect.StructType):
            rule = next((f.type for f in rule.fields if f.encode_name == name), None)
        else:
            return None
    while isinstance(rule, msgspec.inspect.UnionType):
        rule = next((t for t in rule.types if not isinstance(t, msgspec.inspect.NoneType)), None)
    return rule


def encode_event_toml(spec: EventSpec) -> str:
    """The definition as TOML with local times, leaving out what is empty."""
    zone = ZoneInfo(spec.timezone)

    def clean(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None and v != "" and v != []}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    builtins = msgspec.to_builtins(spec, builtin_types=(datetime,))
    return msgspec.toml.encode(clean(builtins)).decode()
