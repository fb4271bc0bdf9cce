"""A service that so far only owns its stream and answers `$SRV.PING/INFO/STATS`."""

from nats.aio.client import Client

from schemas.subjects import events_of, stream_name
from services.kit.endpoints import Endpoints
from services.kit.store import ensure_stream


class StreamOwner:
    name = ""
    description = ""

    async def start(self, nc: Client) -> None:
        await ensure_stream(nc.jetstream(), stream_name(self.name), [events_of(self.name)])
        self.endpoints = Endpoints(nc, self.name, self.description)
        await self.endpoints.start()

    async def stop(self) -> None:
        await self.endpoints.stop()
