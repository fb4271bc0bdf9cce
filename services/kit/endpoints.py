"""Command and query endpoints on `nats.micro`, so `$SRV.PING/INFO/STATS` work for free.

Each handler takes a decoded request Struct and returns a reply Struct. Malformed
requests and rule violations become a typed `ErrorReply`; a handler never crashes
the service.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.errors import MaxPayloadError
from nats.micro import add_service
from nats.micro.request import Request
from nats.micro.service import Service

from schemas.errors import ErrorReply, Rejected
from schemas.health import GetHealth, Health
from schemas.subjects import health_of, stream_name
from services.kit.codec import decoder, describe_validation_error, encode
from services.kit.store import UNREACHABLE, stream_problem

log = logging.getLogger("perche.endpoints")

Handler = Callable[[Any], Awaitable[msgspec.Struct]]

VERSION = "0.1.0"


class Endpoints:
    def __init__(
        self,
        nc: Client,
        service: str,
        description: str,
        concurrency: int = 256,
        also_writes: tuple[str, ...] = (),
    ) -> None:
        self._nc = nc
        self._name = service
        # The streams this service's commands write to, checked by its health query.
        self._streams = (stream_name(service), *also_writes)
        self._description = description
        self._service: Service | None = None
        self._routes: list[tuple[str, Any, Handler]] = []
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, subject: str, request_type: Any, handler: Handler) -> None:
        self._routes.append((subject, request_type, handler))

    async def start(self) -> None:
        self._service = await add_service(
            self._nc,
            name=self._name,
            version=VERSION,
            description=self._description,
            queue_group=f"perche-{self._name}",
        )
        for subject, request_type, handler in [*self._routes, (health_of(self._name), GetHealth, self._health)]:
            await self._service.add_endpoint(
                name=subject.rsplit(".", 2)[-2] + "-" + subject.rsplit(".", 1)[-1],
                subject=subject,
                handler=self._dispatcher(request_type, handler),
            )

    async def _health(self, _query: GetHealth) -> Health:
        """Can this service write now? Each stream it writes to must have a leader that answers."""
        found = await asyncio.gather(*(stream_problem(self._nc, stream) for stream in self._streams))
        problems = [problem for problem in found if problem]
        return Health(service=self._name, writable=not problems, problems=problems)

    async def stop(self) -> None:
        if self._service is not None:
            await self._service.stop()
            self._service = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _respond(self, request: Request, reply: msgspec.Struct) -> None:
        try:
            await request.respond(encode(reply))
        except Exception as error:  # the requester may have gone away
            log.warning("%s: could not reply on %s: %s", self._name, request.subject, error)

    def _dispatcher(self, request_type: Any, handler: Handler) -> Callable[[Request], Awaitable[None]]:
        decode = decoder(request_type).decode

        async def handle(request: Request) -> None:
            async with self._slots:
                reply: msgspec.Struct
                try:
                    reply = await handler(decode(request.data))
                except (msgspec.ValidationError, msgspec.DecodeError) as error:
                    message, field, key = describe_validation_error(error)
                    reply = ErrorReply(code="invalid", message=message, field=field, key=key)
                except RecursionError:
                    # msgspec gives up so on deeply nested JSON: the sender's fault, answered as such.
                    reply = ErrorReply(code="invalid", message="The request is nested too deeply.")
                except Rejected as rejected:
                    reply = rejected.reply
                except UNREACHABLE as error:
                    # JetStream could not be reached in time: a refusal to retry, not a bug.
                    log.warning("%s: %s refused, JetStream unreachable: %r", self._name, request.subject, error)
                    reply = ErrorReply(
                        code="unavailable",
                        message="Storage is unavailable; please retry in a moment.",
                        key="unavailable",
                    )
                except Exception:
                    log.exception("%s: %s failed", self._name, request.subject)
                    reply = ErrorReply(code="internal", message="Internal error, please retry.")
                try:
                    await request.respond(encode(reply))
                except MaxPayloadError:
                    # Say so now, rather than leave the caller to time out and take the service for down.
                    log.error("%s: the reply on %s is over the NATS max_payload", self._name, request.subject)
                    too_big = ErrorReply(code="internal", message="The answer is too large to send; ask for less.")
                    await self._respond(request, too_big)
                except Exception as error:  # the requester may have gone away
                    log.warning("%s: could not reply on %s: %s", self._name, request.subject, error)

        async def dispatch(request: Request) -> None:
            # micro calls handlers one at a time per endpoint; run each request in
            # its own task so a slow append does not hold up the next request.
            task = asyncio.create_task(handle(request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return dispatch
