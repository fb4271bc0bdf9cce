"""The web service: the Litestar app served by uvicorn, on its own NATS connection."""

import asyncio
import logging
from typing import Any

import uvicorn
from nats.aio.client import Client

from schemas.subjects import Web
from services.kit.kv import bucket, shared_secret
from services.kit.settings import Settings
from services.web.app import build_app
from services.web.gateway import Gateway
from services.web.live import end_streams

log = logging.getLogger("perche.web")


class WebService:
    name = "web"

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
        self.host, self.port = host, port
        self.settings = settings or Settings()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, nc: Client) -> None:
        secret = await shared_secret(await bucket(nc.jetstream(), Web.SECRETS_BUCKET), "session")
        app = build_app(Gateway(nc, self.settings.base_url), secret, self.settings)
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            log_config=None,
            # Open live streams (the venue screen's SSE) must not hold a shutdown for long.
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it could not start (port taken...)
                raise RuntimeError(f"web could not listen on {self.host}:{self.port}")
            await asyncio.sleep(0.02)
        log.info("web listening on http://%s:%d", self.host, self.port)

    @property
    def app(self) -> Any:
        """The Litestar app this service serves (its state: the live streams, for tests and benches)."""
        return self._server.config.app if self._server is not None else None

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            end_streams(self._server.config.app)
            self._server.should_exit = True
            await self._task
