"""Event definitions as TOML files a person edits; errors name the file, field and problem."""

from pathlib import Path

import msgspec

from schemas.catalog import EventSpec
from services.kit.codec import describe_validation_error


class EventFileError(Exception):
    pass


def read_event_file(path: Path) -> EventSpec:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise EventFileError(f"{path}: cannot read the file: {error.strerror}") from error
    try:
        return msgspec.toml.decode(data, type=EventSpec)
    except msgspec.ValidationError as error:
        message, field = describe_validation_error(error)
        raise EventFileError(f"{path}: field `{field or '(top level)'}`: {message}") from error
    except msgspec.DecodeError as error:
        raise EventFileError(f"{path}: not valid TOML: {error}") from error
