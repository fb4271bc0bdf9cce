"""Fixtures shared by the integration tests beyond those of tests/conftest.py."""

from collections.abc import Iterator

import pytest

from tests.integration.notify_support import Inbox


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free port that keeps what it receives."""
    server = Inbox().start()
    yield server
    server.stop()
