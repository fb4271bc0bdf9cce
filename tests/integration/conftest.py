"""Fixtures shared by the integration tests beyond those of tests/conftest.py."""

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from services.catalog.service import CatalogService
from services.kit.lifecycle import Service
from services.registration.service import RegistrationService
from tests.integration.notify_support import Inbox, Stack, running_stack


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free port that keeps what it receives."""
    server = Inbox().start()
    yield server
    server.stop()


@pytest.fixture
def notify_backend() -> list[Service]:
    """The services a notify test runs notify against; a module that needs more overrides this."""
    return [CatalogService(), RegistrationService()]


@pytest.fixture
async def stack(
    nats_url: str,
    service_urls: Callable[[str], str],
    inbox: Inbox,
    tmp_path: Path,
    notify_backend: list[Service],
) -> AsyncIterator[Stack]:
    """The notify backend, and notify apart so a test can stop, restart or add instances."""
    async with running_stack(nats_url, inbox, tmp_path, notify_backend, service_urls) as stack:
        yield stack
