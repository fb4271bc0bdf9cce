"""A command that loses every race on its aggregate answers unavailable and changes nothing:
never the registration as it stands, as if the command had been applied (over real NATS)."""

import uuid
from collections.abc import AsyncIterator, Awaitable

import pytest

from schemas.errors import Rejected
from schemas.registration import Cancel, CheckIn, GetRegistration, Register, RegistrationView
from services.catalog.service import CatalogService
from services.kit.lifecycle import Running
from services.registration.service import RegistrationService
from tests.conftest import ROUND_TABLE, define_events
from tests.demo_events import demo_file


class OutracedRegistrationService(RegistrationService):
    """Once `outraced`, every guarded append of this instance expects a sequence the stream never
    has, so JetStream refuses it as it refuses one decided on a state another writer moved on."""

    outraced = False

    def expected_sequence(self, subject: str) -> int | None:
        seen = super().expected_sequence(subject)
        return seen + 1_000_000 if self.outraced and seen is not None else seen


@pytest.fixture
async def service(nats_url: str) -> AsyncIterator[OutracedRegistrationService]:
    service = OutracedRegistrationService()
    running = Running([CatalogService(), service], nats_url)
    await running.start()
    await define_events(nats_url, demo_file(ROUND_TABLE))
    yield service
    await running.stop()


def person(n: int) -> Register:
    return Register(
        command_id=uuid.uuid4().hex, event=ROUND_TABLE, name=f"Personne {n}", email=f"p{n}@example.org", consent=True
    )


async def refused(command: Awaitable[RegistrationView]) -> str | None:
    with pytest.raises(Rejected) as refusal:
        await command
    return refusal.value.reply.key


async def test_commands_that_lose_every_race_answer_unavailable_and_change_nothing(
    service: OutracedRegistrationService,
) -> None:
    registered = await service.register(person(1))
    assert registered.status == "confirmed"
    service.outraced = True
    cancel = Cancel(command_id=uuid.uuid4().hex, registration_id=registered.id, token=registered.manage_token)
    check_in = CheckIn(command_id=uuid.uuid4().hex, registration_id=registered.id, by_organiser="organiser")
    assert await refused(service.cancel(cancel)) == "unavailable"
    assert await refused(service.check_in(check_in)) == "unavailable"
    assert await refused(service.register(person(2))) == "unavailable"

    service.outraced = False
    now = await service.get(GetRegistration(registration_id=registered.id, by_organiser="organiser"))
    assert (now.status, now.checked_in_at) == ("confirmed", None)
    assert len(service.state.by_event[ROUND_TABLE]) == 1
    # The same commands, sent again once the races are over, are applied.
    assert (await service.cancel(cancel)).status == "cancelled"
    assert (await service.register(person(3))).status == "confirmed"
