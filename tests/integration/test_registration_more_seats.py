"""Issue 11: an organiser raises a category's capacity while people wait. The new seats are
offered to the first people waiting at once (with notify's offer mail), by two registration
instances that never offer a seat twice; defining the event again, or restarting, offers nothing."""

import msgspec
import pytest

from schemas.registration import GetRegistration, RegistrationEvent, RegistrationView, SeatOffered
from schemas.subjects import Registration, stream_name
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.lifecycle import Running, Service
from services.registration.service import RegistrationService
from tests.integration.notify_support import Inbox, Stack, define, drained, register, small_event, wait_until

INSTANCES = 2


@pytest.fixture
def notify_backend() -> list[Service]:
    return [CatalogService(), *(RegistrationService() for _ in range(INSTANCES))]


def registration_instances(services: list[Service]) -> list[RegistrationService]:
    return [s for s in services if isinstance(s, RegistrationService)]


async def stored_offers(stack: Stack) -> list[SeatOffered]:
    """Every SeatOffered in the registration stream, read from JetStream itself."""
    js = stack.nc.jetstream()
    stream = stream_name("registration")
    info = await js.stream_info(stream)
    offers: list[SeatOffered] = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, seq)
        event = msgspec.json.decode(message.data or b"", type=RegistrationEvent)
        if isinstance(event, SeatOffered):
            offers.append(event)
    return offers


async def settled(services: list[RegistrationService], slug: str, capacity: int) -> None:
    """Every instance has the definition and has finished what it started on it."""
    for service in services:
        await wait_until(lambda s=service: s.catalog.specs[slug].categories[0].capacity == capacity)
        await wait_until(lambda s=service: s.background.idle)


async def view(stack: Stack, person: RegistrationView) -> RegistrationView:
    query = GetRegistration(registration_id=person.id, token=person.manage_token)
    return await call(stack.nc, Registration.GET, query, RegistrationView)


async def test_raising_the_capacity_offers_the_new_seats_to_the_first_people_waiting_once(
    stack: Stack, inbox: Inbox, notify_backend: list[Service]
) -> None:
    instances = registration_instances(notify_backend)
    slug = "atelier-agrandi"
    spec = small_event(slug, capacity=1)
    await define(stack.nc, spec)
    await settled(instances, slug, 1)
    seated = await register(stack.nc, slug, "Ana", "ana@example.org")
    people = (("Bob", "bob"), ("Chloé", "chloe"), ("Dan", "dan"))
    waiting = [await register(stack.nc, slug, name, f"{address}@example.org") for name, address in people]
    assert seated.status == "confirmed"
    assert [(w.status, w.position) for w in waiting] == [("waitlisted", 1), ("waitlisted", 2), ("waitlisted", 3)]

    bigger = msgspec.structs.replace(
        spec, categories=[msgspec.structs.replace(spec.categories[0], capacity=spec.categories[0].capacity + 2)]
    )
    await define(stack.nc, bigger)
    await settled(instances, slug, 3)
    await wait_until(lambda: inbox.kinds("chloe@example.org")[-1:] == ["offered"])

    bob, chloe, dan = [await view(stack, w) for w in waiting]
    assert bob.offer_expires_at is not None and chloe.offer_expires_at is not None
    assert (dan.status, dan.position, dan.offer_expires_at) == ("waitlisted", 1, None)
    offers = await stored_offers(stack)
    assert sorted((o.registration_id, o.seat) for o in offers) == sorted([(bob.id, 2), (chloe.id, 3)])
    await wait_until(lambda: drained(stack.nc))
    assert inbox.kinds("bob@example.org") == ["waitlisted", "offered"]
    assert inbox.kinds("chloe@example.org") == ["waitlisted", "offered"]
    assert inbox.kinds("dan@example.org") == ["waitlisted"]

    # The same definition again, then one that changes something else: nothing new is offered.
    await define(stack.nc, bigger)
    await define(stack.nc, msgspec.structs.replace(bigger, description=bigger.description + " (salle agrandie)"))
    for service in instances:
        await wait_until(lambda s=service: s.catalog.specs[slug].description.endswith("(salle agrandie)"))
    await settled(instances, slug, 3)
    # A fresh instance replays both streams and offers nothing either.
    fresh = RegistrationService()
    restarted = Running([fresh], stack.nats_url)
    await restarted.start()
    try:
        await settled([fresh], slug, 3)
        assert len(await stored_offers(stack)) == 2
        assert (await view(stack, waiting[2])).offer_expires_at is None
    finally:
        await restarted.stop()
    await wait_until(lambda: drained(stack.nc))
    assert inbox.kinds("dan@example.org") == ["waitlisted"]
