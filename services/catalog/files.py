"""Event definitions as TOML files a person edits; errors name the file, field and problem."""

from pathlib import Path

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.event_file import EventTextError, decode_event_toml
from services.catalog.rules import normalise


class EventFileError(Exception):
    pass


def read_event_file(path: Path) -> EventSpec:
    """The definition as written (local times); checked by the same rules the catalog applies."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise EventFileError(f"{path}: cannot read the file: {error.strerror}") from error
    try:
        spec = decode_event_toml(data)
    except EventTextError as error:
        raise EventFileError(f"{path}: {error}") from error
    try:
        # Zones, spans, duplicate ids and choices are only checked by the catalog's rules:
        # run them here too, so a wrong file is refused before anything is sent.
        normalise(spec)
    except Rejected as rejected:
        reply = rejected.reply
        raise EventFileError(f"{path}: {EventTextError(reply.field, reply.message)}") from rejected
    return spec
