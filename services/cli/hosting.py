"""`perche up` (NATS, every service and the web in one process) and `perche service`
(one service alone, as in production): the services wired together."""

import argparse
import asyncio
import dataclasses
import importlib
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path

from services.cli.admin import ensure_an_organiser, load_events
from services.kit.lifecycle import Running, Service, until_signalled
from services.kit.nats_server import NatsServer
from services.kit.resources import shared_folder
from services.kit.settings import Settings

# Where each service lives, imported only when it is started: `perche service judging` then
# loads judging alone, not the web app, its PDF library and every other service.
BACKEND = {
    "catalog": "services.catalog.service:CatalogService",
    "registration": "services.registration.service:RegistrationService",
    "teams": "services.teams.service:TeamsService",
    "schedule": "services.schedule.service:ScheduleService",
    "judging": "services.judging.service:JudgingService",
    "publishing": "services.publishing.service:PublishingService",
    "notify": "services.notify.service:NotifyService",
    "qa": "services.qa.service:QaService",
}
WEB = "services.web.service:WebService"
DEMO_EVENTS = shared_folder("events")


DEFAULT_NATS_PORT = 4222
NATS_URL_FILE = "nats-url"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def running_nats_url() -> str:
    """The embedded server `perche up` started in this data directory, else the usual port."""
    recorded = Path(os.environ.get("PERCHE_DATA_DIR", "var")) / NATS_URL_FILE
    if recorded.exists():
        return recorded.read_text().strip()
    return f"nats://127.0.0.1:{DEFAULT_NATS_PORT}"


def redacted(url: str) -> str:
    """The NATS URL without the password it may carry (it would end up in the journal)."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def service_class(where: str) -> Callable[..., Service]:
    module, _, name = where.partition(":")
    made: Callable[..., Service] = getattr(importlib.import_module(module), name)
    return made


def backend_services(settings: Settings | None = None) -> list[Service]:
    """One of each backend service; notify takes the settings (data directory, SMTP)."""
    return [
        service_class(where)(settings) if name == "notify" else service_class(where)()
        for name, where in BACKEND.items()
    ]


async def up(args: argparse.Namespace) -> None:
    settings = Settings(data_dir=Path(args.data_dir), nats_url=args.nats_url)
    if not settings.base_url:
        # Links in mails and feeds point at this very server unless PERCHE_BASE_URL says otherwise.
        settings = dataclasses.replace(settings, base_url=f"http://{args.host}:{args.port}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server = None
    nats_url = settings.nats_url
    if nats_url is None:
        port = args.nats_port or (DEFAULT_NATS_PORT if port_is_free(DEFAULT_NATS_PORT) else None)
        server = NatsServer(settings.data_dir / "nats", port=port).start()
        nats_url = server.url
        # `perche load` and `perche organiser create` find the running server here.
        (settings.data_dir / NATS_URL_FILE).write_text(nats_url + "\n")
        print(f"Embedded NATS with JetStream on {nats_url} (store: {server.store_dir})")
    web = service_class(WEB)(args.host, args.port, settings)
    running = Running([*backend_services(settings), web], nats_url)
    # Listen for Ctrl-C from the start: the web answers before the demo events and the
    # organiser are in place, and a Ctrl-C then must stop as cleanly as later.
    signalled = asyncio.ensure_future(until_signalled())
    try:
        await running.start()
        demo = sorted(DEMO_EVENTS.glob("*.toml")) if not args.no_demo else []
        if demo:
            # Seeds: a restart never undoes what organisers changed in these events since.
            await load_events(nats_url, demo, only_new=True)
        await ensure_an_organiser(nats_url, settings)
        print(f"Perche is running on http://{args.host}:{args.port}  (organisers: /organiser/) — Ctrl-C to stop")
        await signalled
        print("Stopping…")
    finally:
        signalled.cancel()
        await running.stop()
        if server is not None:
            server.stop()


async def service(args: argparse.Namespace) -> None:
    settings = Settings()
    nats_url = args.nats_url or settings.nats_url or "nats://127.0.0.1:4222"
    if args.name == "web":
        chosen = service_class(WEB)(args.host, args.port, settings)
    else:
        chosen = service_class(BACKEND[args.name])()
    running = Running([chosen], nats_url)
    try:
        await running.start()
        print(f"service {args.name} running on {redacted(nats_url)}", flush=True)
        await until_signalled()
    finally:
        await running.stop()
