"""`perche`: run everything, one service, load events, create organisers, benchmark."""

import argparse
import asyncio
import dataclasses
import getpass
import io
import logging
import os
import re
import secrets
import socket
import sys
import uuid
from pathlib import Path

from nats.errors import NoServersError

from schemas.catalog import (
    CountOrganisers,
    CreateOrganiser,
    DefineEvent,
    EventDefinedReply,
    OrganiserCount,
    OrganiserReply,
)
from schemas.subjects import Catalog
from services.catalog.files import EventFileError, read_event_file
from services.catalog.service import CatalogService
from services.judging.service import JudgingService
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running, Service, run, until_signalled
from services.kit.nats_server import NatsServer
from services.kit.resources import shared_folder
from services.kit.settings import Settings
from services.notify.service import NotifyService
from services.publishing.service import PublishingService
from services.registration.service import RegistrationService
from services.schedule.service import ScheduleService
from services.teams.service import TeamsService
from services.web.service import WebService

log = logging.getLogger("perche")

BACKEND = {
    "catalog": CatalogService,
    "registration": RegistrationService,
    "teams": TeamsService,
    "schedule": ScheduleService,
    "judging": JudgingService,
    "publishing": PublishingService,
    "notify": NotifyService,
}
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


def backend_services(settings: Settings | None = None) -> list[Service]:
    """One of each backend service; notify takes the settings (data directory, SMTP)."""
    return [NotifyService(settings) if cls is NotifyService else cls() for cls in BACKEND.values()]


async def load_events(nats_url: str, paths: list[Path]) -> int:
    """Send each file to the catalog; returns how many files were refused."""
    nc = await connect(nats_url, "loader", attempts=3)
    failures = 0
    try:
        for path in paths:
            try:
                spec = read_event_file(path)
                reply = await call(
                    nc,
                    Catalog.DEFINE_EVENT,
                    DefineEvent(command_id=uuid.uuid4().hex, spec=spec),
                    EventDefinedReply,
                )
            except EventFileError as error:
                print(f"error: {error}", file=sys.stderr)
                failures += 1
                continue
            except ServiceError as error:
                field = f"field `{error.reply.field}`: " if error.reply.field else ""
                print(f"error: {path}: {field}{error.reply.message}", file=sys.stderr)
                failures += 1
                continue
            state = "updated" if reply.changed else "unchanged"
            print(f"{path}: event {reply.slug} {state} (revision {reply.revision})")
    finally:
        await nc.drain()
    return failures


async def create_organiser(nats_url: str, email: str, password: str, replace: bool) -> OrganiserReply:
    nc = await connect(nats_url, "admin", attempts=3)
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=email, password=password, replace=replace)
        return await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
    finally:
        await nc.drain()


async def ensure_an_organiser(nats_url: str, settings: Settings) -> None:
    """With PERCHE_ADMIN_*, make sure that organiser exists; else make a demo one once."""
    if settings.admin_email and settings.admin_password:
        await create_organiser(nats_url, settings.admin_email, settings.admin_password, replace=True)
        print(f"Organiser: {settings.admin_email} (password from PERCHE_ADMIN_PASSWORD)")
        return
    nc = await connect(nats_url, "admin")
    try:
        count = await call(nc, Catalog.COUNT_ORGANISERS, CountOrganisers(), OrganiserCount)
    finally:
        await nc.drain()
    if count.count:
        return
    password = secrets.token_urlsafe(12)
    email = "organisateur@perche.local"
    await create_organiser(nats_url, email, password, replace=False)
    note = settings.data_dir / "organiser-login.txt"
    note.write_text(f"{email}\n{password}\n")
    os.chmod(note, 0o600)
    print(f"First organiser created: {email} / {password} (also saved in {note})")


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
    running = Running([*backend_services(settings), WebService(args.host, args.port, settings)], nats_url)
    # Listen for Ctrl-C from the start: the web answers before the demo events and the
    # organiser are in place, and a Ctrl-C then must stop as cleanly as later.
    signalled = asyncio.ensure_future(until_signalled())
    try:
        await running.start()
        demo = sorted(DEMO_EVENTS.glob("*.toml")) if not args.no_demo else []
        if demo:
            await load_events(nats_url, demo)
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
        chosen: Service = WebService(args.host, args.port, settings)
    else:
        chosen = BACKEND[args.name]()
    running = Running([chosen], nats_url)
    try:
        await running.start()
        print(f"service {args.name} running on {redacted(nats_url)}", flush=True)
        await until_signalled()
    finally:
        await running.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="perche", description="Perche: hackathons and outreach events on NATS.")
    sub = parser.add_subparsers(dest="command", required=True)
    env_url = os.environ.get("PERCHE_NATS_URL")

    p = sub.add_parser("up", help="run NATS (embedded unless --nats-url), every service and the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", default=os.environ.get("PERCHE_DATA_DIR", "var"))
    p.add_argument("--nats-url", default=env_url, help="use this NATS server or cluster; start none")
    p.add_argument(
        "--nats-port",
        type=int,
        default=None,
        help=f"port of the embedded NATS (default: {DEFAULT_NATS_PORT}, or a free one if taken)",
    )
    p.add_argument("--no-demo", action="store_true", help="do not load the events in events/")

    p = sub.add_parser("service", help="run one service alone (production: one process per service)")
    p.add_argument("name", choices=[*BACKEND, "web"])
    p.add_argument("--nats-url", default=env_url)
    p.add_argument("--host", default="127.0.0.1", help="web only")
    p.add_argument("--port", type=int, default=8000, help="web only")

    p = sub.add_parser("load", help="load or update events from TOML files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("organiser", help="manage organiser accounts")
    org = p.add_subparsers(dest="action", required=True)
    c = org.add_parser("create", help="create an organiser (or reset their password with --replace)")
    c.add_argument("email")
    c.add_argument("--password")
    c.add_argument("--replace", action="store_true")
    c.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("demo-day", help="to try Perche: participants, teams and a jury on a running instance")
    p.add_argument("--event", default="hackathon-comice-2027")
    p.add_argument("--nats-url", default=None, help="default: PERCHE_NATS_URL, else the one `perche up` runs")

    p = sub.add_parser("bench", help="measure throughput against a baseline in the same run")
    p.add_argument("what", choices=["registration", "ical"])
    p.add_argument("--seconds", type=float, default=5.0)

    args = parser.parse_args(argv)
    if args.command in ("load", "organiser", "demo-day") and args.nats_url is None:
        args.nats_url = env_url or running_nats_url()
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Lines such as the first organiser's password reach a log file or journal at once.
        sys.stdout.reconfigure(line_buffering=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nats").setLevel(logging.WARNING)
    try:
        if args.command == "up":
            run(up(args))
        elif args.command == "service":
            run(service(args))
        elif args.command == "load":
            return 1 if asyncio.run(load_events(args.nats_url, args.files)) else 0
        elif args.command == "organiser":
            password = args.password or getpass.getpass("Password: ")
            who = asyncio.run(create_organiser(args.nats_url, args.email, password, args.replace))
            print(f"organiser {who.email} ready")
        elif args.command == "demo-day":
            from services.cli.demo_day import demo_day

            print(asyncio.run(demo_day(args.nats_url, args.event)))
        elif args.command == "bench" and args.what == "ical":
            from services.bench.ical import run_bench_ical

            return run_bench_ical(args.seconds)
        elif args.command == "bench":
            from services.bench.registration import run_bench

            return run_bench(args.what, args.seconds)
    except ServiceError as error:
        print(f"error: {error.reply.message}", file=sys.stderr)
        return 1
    except NoServersError:
        print(f"error: no NATS server answers at {args.nats_url} (is `perche up` running?)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
