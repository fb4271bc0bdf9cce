"""Connecting to NATS the same way everywhere: reconnect forever, name the client."""

import logging

import nats
from nats.aio.client import Client

log = logging.getLogger("perche.nats")


async def connect(url: str, name: str, attempts: int = -1) -> Client:
    """`attempts` per server before giving up: services wait for NATS forever (-1);
    one-shot commands give up after a few, so a wrong URL is an error, not a hang."""

    async def on_error(error: Exception) -> None:
        log.warning("%s: NATS error: %s", name, error)

    async def on_disconnect() -> None:
        log.debug("%s: disconnected from NATS", name)  # also on every clean close: quiet

    async def on_reconnect() -> None:
        log.warning("%s: reconnected to NATS", name)

    return await nats.connect(
        servers=url.split(","),
        name=f"perche-{name}",
        max_reconnect_attempts=attempts,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        allow_reconnect=True,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )
