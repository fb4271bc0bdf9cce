"""Event definitions as TOML text a person edits (files, the dashboard's editor).

Times in the text are local to the event's zone, as people write them; errors name
the field and the problem so the person can fix it.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from schemas.catalog import EventSpec


class EventTextError(ValueError):
    def __init__(self, field: str | None, problem: str) -> None:
        super().__init__(f"field `{field}`: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def decode_event_toml(data: bytes | str) -> EventSpec:
    try:
        return msgspec.toml.decode(data, type=EventSpec)
    except msgspec.ValidationError as error:
        text = str(error)
        if " - at `$." in text:
            problem, _, path = text.partition(" - at `$.")
            raise EventTextError(path.rstrip("`"), problem) from error
        raise EventTextError(None, text) from error
    except msgspec.DecodeError as error:
        raise EventTextError(None, f"not valid TOML: {error}") from error


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
