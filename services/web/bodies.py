"""What JSON clients send: bodies read strictly as their schema says, and idempotency keys."""

import uuid
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.params import HeaderParameter

from services.kit.codec import describe_validation_error

T = TypeVar("T")

# The header a client repeats to make a retry one command (check_key reads it).
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description=(
            "Client-made id (8–100 characters), per event: the same key with the same body returns the "
            "same registration; with another body it is a 409 conflict (idempotency_key_reused)."
        ),
        min_length=8,
        max_length=100,
    ),
]


def _integral(value: Any) -> Any:
    """JSON Schema counts 20.0 as an integer; msgspec's strict mode would not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    return value


async def strictly(request: Request[Any, Any, Any], data: T) -> T:
    """The body as the schema says, not as Litestar converts it: it is lenient there (1 and "0" become
    booleans, "5" a number), so a consent of 1 would pass for a yes. Convert it again, strictly."""
    try:
        return msgspec.convert(_integral(msgspec.json.decode(await request.body())), type(data), strict=True)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        message, field, _ = describe_validation_error(error)
        raise ValidationException(
            "Validation failed", extra=[{"message": message, "key": field or "data", "source": "body"}]
        ) from error


def check_key(key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    if not 8 <= len(key) <= 100:
        raise ValidationException("Idempotency-Key must be 8 to 100 characters long")
    return key
