"""Calling a service over NATS: typed request, typed reply or a `ServiceError`."""

from typing import Any, TypeVar

import msgspec
from nats.aio.client import Client
from nats.errors import (
    ConnectionClosedError,
    ConnectionReconnectingError,
    MaxPayloadError,
    NoRespondersError,
    OutboundBufferLimitError,
)
from nats.errors import TimeoutError as NatsTimeoutError

from schemas.errors import ErrorReply
from services.kit.codec import decoder, encode

T = TypeVar("T")


class ServiceError(Exception):
    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(reply.message)
        self.reply = reply


async def call(nc: Client, subject: str, request: msgspec.Struct, reply_type: type[T], timeout: float = 5.0) -> T:
    try:
        msg = await nc.request(subject, encode(request), timeout=timeout)
    except MaxPayloadError as error:
        # Over the server's max_payload (1 MB): no service could even read it, and a retry would not help.
        raise ServiceError(
            ErrorReply(code="invalid", message="The request is too large: send less text.", key="too_large")
        ) from error
    except (
        NatsTimeoutError,
        NoRespondersError,
        # This process has lost NATS for now: as unavailable as a service that does not answer.
        ConnectionClosedError,
        ConnectionReconnectingError,
        OutboundBufferLimitError,
    ) as error:
        service = subject.split(".")[1]
        raise ServiceError(
            ErrorReply(
                code="unavailable",
                message=f"The {service} service did not answer; please retry in a moment.",
                key="unavailable",
            )
        ) from error
    reply: Any = decoder(reply_type | ErrorReply).decode(msg.data)
    if isinstance(reply, ErrorReply):
        raise ServiceError(reply)
    result: T = reply
    return result
