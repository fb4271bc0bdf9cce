"""Event definitions as TOML files a person edits; errors name the file, field and problem."""

from pathlib import Path

from schemas.catalog import EventSpec
from schemas.event_file import EventTextError, decode_event_toml


class EventFileError(Exception):
    pass


def read_event_file(path: Path) -> EventSpec:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise EventFileError(f"{path}: cannot read the file: {error.strerror}") from error
    try:
        return decode_event_toml(data)
    except EventTextError as error:
        raise EventFileError(f"{path}: {error}") from error
