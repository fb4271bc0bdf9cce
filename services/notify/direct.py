"""Mails an organiser asks for now (jury links, messages), not read from a stream: each is sent in the
background and retried like the queued ones, but its order lives in memory only."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from schemas.catalog import EventSpec
from services.notify.queue import Outcome
from services.notify.rules import MAX_ATTEMPTS, MailOrder

log = logging.getLogger("perche.notify")

LONGEST_WAIT = 60.0  # seconds between two tries at most, whatever the SMTP server asks

Deliver = Callable[[MailOrder, EventSpec, bool], Awaitable[Outcome]]


async def send_with_retries(deliver: Deliver, order: MailOrder, spec: EventSpec, what: str) -> None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome = await deliver(order, spec, attempt == MAX_ATTEMPTS)
        if outcome.action != "retry":
            return
        await asyncio.sleep(min(outcome.delay, LONGEST_WAIT))
    log.error("notify: %s mail %s not sent; the organiser may send it again", what, order.mail_id)
