"""JSON on the wire, with encoders and decoders made once per type (msgspec perf tips)."""

import re
from functools import cache
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


@cache
def decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


def decode(data: bytes, type_: type[T]) -> T:
    result: T = decoder(type_).decode(data)
    return result


_TOO_LONG = re.compile(r"Expected `(str|array|object)` of length <= \d+")


def describe_validation_error(
    error: msgspec.ValidationError | msgspec.DecodeError,
) -> tuple[str, str | None, str | None]:
    """Split msgspec's "Expected `int`, got `str` - at `$.capacity`" into message, field and error key.

    The key is "too_long" for a text, list or mapping over its limit, so pages can say so in their language.
    """
    text = str(error)
    message, _, path = text.partition(" - at `$.")
    # msgspec names no key inside a mapping (`answers[...]`): the field is the mapping itself.
    where = path.rstrip("`").split("[", 1)[0] or None if path else None
    # "Object missing required field `team`": the field is the one missing, below the path.
    missing = re.fullmatch(r"Object missing required field `([^`]+)`", message)
    if missing:
        where = f"{where}.{missing.group(1)}" if where else missing.group(1)
    return message, where, "too_long" if _TOO_LONG.match(message) else None
