"""Shared by the notify tests: a real SMTP server (aiosmtpd), notify instances, a small event, waiting for mail."""

import asyncio
import email.policy
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from aiosmtpd.controller import Controller
from nats.aio.client import Client

from schemas.catalog import DefineEvent, EventDefinedReply, EventSpec
from schemas.registration import Register, RegistrationView
from schemas.subjects import Catalog, Notify, Registration, stream_name
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.kit.nats_server import free_port
from services.kit.settings import Settings
from services.notify.service import NotifyService
from tests.demo_events import ROUND_TABLE, demo_event

BASE_URL = "https://perche.example"
MAIL_FROM = "Terres de Perche <inscriptions@perche.example>"


class Inbox:
    """An aiosmtpd handler keeping every mail it accepts, parsed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = BytesParser(policy=email.policy.default).parsebytes(envelope.content)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def start(self) -> "Inbox":
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m, rcpt in zip(self.messages, self.recipients, strict=True) if address in rcpt]

    def kinds(self, address: str) -> list[str]:
        return [str(m["X-Perche-Kind"]) for m in self.to(address)]


def mail_settings(tmp_path: Path, port: int) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        base_url=BASE_URL,
        mail_from=MAIL_FROM,
    )


@dataclass
class Stack:
    """The backend a notify test runs against, with notify instances it can stop, restart or add."""

    nc: Client
    nats_url: str
    settings: Settings
    notify: list[Running]
    # Each service's own NATS user (production's permissions); None: the tests' URL for all.
    service_urls: Callable[[str], str] | None = None

    def service(self, index: int = 0) -> NotifyService:
        service = self.notify[index].services[0]
        assert isinstance(service, NotifyService)
        return service

    async def start_notify(self) -> NotifyService:
        running = Running([NotifyService(self.settings, housekeeping_seconds=3600)], self.service_urls or self.nats_url)
        await running.start()
        self.notify.append(running)
        return self.service(len(self.notify) - 1)

    async def stop_notify(self, index: int = 0) -> None:
        await self.notify.pop(index).stop()


@asynccontextmanager
async def running_stack(
    nats_url: str,
    inbox: Inbox,
    tmp_path: Path,
    services: list[Any],
    service_urls: Callable[[str], str] | None = None,
) -> AsyncIterator[Stack]:
    """These backend services, and notify apart so a test can stop, restart or add instances."""
    backend = Running(services, service_urls or nats_url)
    await backend.start()
    nc = await connect(nats_url, "test-notify")
    settings = mail_settings(tmp_path, inbox.port)
    stack = Stack(nc=nc, nats_url=nats_url, settings=settings, notify=[], service_urls=service_urls)
    await stack.start_notify()
    try:
        yield stack
    finally:
        while stack.notify:
            await stack.stop_notify()
        await nc.drain()
        await backend.stop()


async def wait_until(check: Callable[[], bool | Awaitable[bool]], timeout: float = 30.0) -> None:
    """Poll until `check` holds; fails the test if it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


CONSUMERS = {
    "registration": Notify.REGISTRATION_CONSUMER,
    "schedule": Notify.SCHEDULE_CONSUMER,
    "publishing": Notify.PUBLISHING_CONSUMER,
    "teams": Notify.TEAMS_CONSUMER,
}


async def drained(nc: Client, service: str = "registration") -> bool:
    """Every event of that service's stream was handled by notify: none pending, none awaiting an ack."""
    info = await nc.jetstream().consumer_info(stream_name(service), CONSUMERS[service])
    return info.num_pending == 0 and info.num_ack_pending == 0


def small_event(slug: str, capacity: int = 10, starts_in: int = 10) -> EventSpec:
    """The round table, moved to 10:00 its local time `starts_in` days from today, with one public
    category of `capacity` seats.

    A fixed local hour, whatever the hour the test runs: an event that starts "now + 10 days" starts
    at 23:30 when the suite runs at 23:30, and its sessions then cross midnight (or a DST change),
    which changes the mails' wording."""
    base = demo_event(ROUND_TABLE)
    public = base.category("public")
    assert public is not None
    zone = ZoneInfo(base.timezone)
    day = datetime.now(zone).date() + timedelta(days=starts_in)
    start = datetime.combine(day, time(10, 0), zone).astimezone(UTC)
    return msgspec.structs.replace(
        base,
        slug=slug,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        registration_opens_at=None,
        registration_closes_at=None,
        categories=[msgspec.structs.replace(public, capacity=capacity, opens_at=None, closes_at=None, default=True)],
        questions=[],
        rooms=[],
        speakers=[],
        sessions=[],
    )


async def define(nc: Client, spec: EventSpec) -> None:
    await call(nc, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)


async def register(nc: Client, slug: str, name: str, address: str, language: str = "fr") -> RegistrationView:
    command = Register(
        command_id=uuid.uuid4().hex,
        event=slug,
        name=name,
        email=address,
        consent=True,
        language="en" if language == "en" else "fr",
    )
    return await call(nc, Registration.REGISTER, command, RegistrationView)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def calendar_part(message: EmailMessage) -> bytes:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload
