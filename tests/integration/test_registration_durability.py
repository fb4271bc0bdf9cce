"""An acknowledged registration is complete: its person is stored before its seat, and a repeat
of one stored without its person (by an earlier version, or a write lost in a fault) completes it."""

import asyncio
import hashlib
import logging
from datetime import UTC, datetime

import httpx
import pytest
from nats.aio.client import Client

from schemas.registration import GetRegistration, PersonalData, Register, Registered, RegistrationView
from schemas.subjects import Registration, stream_name
from services.kit.client import ServiceError, call
from services.kit.codec import encode
from services.registration.people import PeopleStore
from services.registration.rules import payload_fingerprint
from services.registration.service import PEOPLE_BUCKET
from tests.conftest import HACKATHON, Web


def visitor(name: str, email: str) -> dict[str, object]:
    return {"name": name, "email": email, "consent": True, "category": "public"}


async def stored_person(nc: Client, registration_id: str) -> PersonalData | None:
    people = PeopleStore(nc.jetstream())
    await people.open()
    return await people.get(registration_id)


async def stored_registrations(nc: Client) -> int:
    return (await nc.jetstream().stream_info(stream_name("registration"))).state.messages


async def applied(nc: Client, registration_id: str) -> None:
    """Wait (bounded) until the service has read an event the test wrote itself."""
    query = GetRegistration(registration_id=registration_id, by_organiser="test")
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        try:
            await call(nc, Registration.GET, query, RegistrationView)
            return
        except ServiceError:
            assert asyncio.get_running_loop().time() < deadline, "the service never read the event"
            await asyncio.sleep(0.05)


async def test_with_the_people_bucket_unreachable_a_registration_is_refused_fast_and_nothing_is_stored(
    demo: Web, http: httpx.AsyncClient, nc: Client
) -> None:
    js = nc.jetstream()
    before = await stored_registrations(nc)
    await js.delete_stream(f"KV_{PEOPLE_BUCKET}")
    headers = {"Idempotency-Key": "people-gone-0001"}
    url = f"/api/v1/events/{HACKATHON}/registrations"
    refused = await http.post(url, json=visitor("Léa Martin", "lea@example.org"), headers=headers)
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "unavailable"
    assert await stored_registrations(nc) == before  # no seat without its person

    await PeopleStore(js).open()  # the bucket is back (what a restarted server gives)
    accepted = await http.post(url, json=visitor("Léa Martin", "lea@example.org"), headers=headers)
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert (body["name"], body["email"], body["status"]) == ("Léa Martin", "lea@example.org", "confirmed")
    person = await stored_person(nc, body["id"])
    assert person is not None and (person.name, person.email) == ("Léa Martin", "lea@example.org")


async def test_a_repeat_of_a_registration_stored_without_its_person_stores_the_person(demo: Web, nc: Client) -> None:
    # What a fault used to leave: the seat's event in the stream, no personal data in the bucket.
    # What a fault leaves: the person's key and the seat's event in the stream, no personal data.
    command_id = "seat-without-person-0001"
    registration_id = hashlib.sha256(f"{HACKATHON}:{command_id}".encode()).hexdigest()[:20]
    repeat = Register(
        command_id=command_id,
        event=HACKATHON,
        name="Marc Petit",
        email="marc@example.org",
        consent=True,
        category="public",
    )
    people = PeopleStore(nc.jetstream())
    await people.open()
    orphan = Registered(
        registration_id=registration_id,
        command_id=command_id,
        event=HACKATHON,
        category="public",
        status="confirmed",
        language="fr",
        at=datetime.now(UTC),
        seat=120,
        fingerprint=payload_fingerprint(repeat, await people.key(registration_id)),
    )
    subject = Registration.seat_subject(HACKATHON, "public", 120)
    await nc.jetstream().publish(subject, encode(orphan), headers={"Nats-Msg-Id": command_id})
    assert await stored_person(nc, registration_id) is None

    await applied(nc, registration_id)
    view = await call(nc, Registration.REGISTER, repeat, RegistrationView)
    assert (view.id, view.name, view.email, view.status) == (
        registration_id,
        "Marc Petit",
        "marc@example.org",
        "confirmed",
    )
    person = await stored_person(nc, registration_id)
    assert person is not None and (person.name, person.email) == ("Marc Petit", "marc@example.org")


async def test_notify_says_so_when_a_registration_has_no_person_instead_of_skipping_it_silently(
    demo: Web, nc: Client, caplog: pytest.LogCaptureFixture
) -> None:
    command_id = "seat-without-person-0002"
    registration_id = hashlib.sha256(f"{HACKATHON}:{command_id}".encode()).hexdigest()[:20]
    orphan = Registered(
        registration_id=registration_id,
        command_id=command_id,
        event=HACKATHON,
        category="public",
        status="confirmed",
        language="fr",
        at=datetime.now(UTC),
        seat=119,
    )
    caplog.set_level(logging.ERROR, logger="perche.notify")
    await nc.jetstream().publish(
        Registration.seat_subject(HACKATHON, "public", 119), encode(orphan), headers={"Nats-Msg-Id": command_id}
    )
    deadline = asyncio.get_running_loop().time() + 20
    while not any(registration_id in r.getMessage() and "no personal data" in r.getMessage() for r in caplog.records):
        assert asyncio.get_running_loop().time() < deadline, "notify never said the person is missing"
        await asyncio.sleep(0.05)


async def test_an_answer_change_while_the_people_bucket_is_unreachable_is_refused_and_its_retry_stores_it(
    demo: Web, http: httpx.AsyncClient, nc: Client
) -> None:
    made = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json=visitor("Léa Martin", "lea@example.org"),
        headers={"Idempotency-Key": "answers-later-0001"},
    )
    assert made.status_code == 201, made.text
    registration_id = made.json()["id"]
    token = made.json()["manage_url"].split("token=")[1]
    js = nc.jetstream()
    before = await stored_registrations(nc)
    await js.delete_stream(f"KV_{PEOPLE_BUCKET}")
    change = {
        "url": f"/api/v1/registrations/{registration_id}/answers",
        "params": {"token": token},
        "json": {"name": "Léa Martin-Roux", "answers": {}},
        "headers": {"Idempotency-Key": "answers-later-0002"},
    }
    refused = await http.put(**change)  # type: ignore[arg-type]
    assert (refused.status_code, refused.json()["code"]) == (503, "unavailable"), refused.text
    assert await stored_registrations(nc) == before  # no AnswersChanged without its answers

    people = PeopleStore(js)  # the bucket is back, with what it held (what a restarted server gives)
    await people.open()
    await people.put(registration_id, PersonalData(name="Léa Martin", email="lea@example.org"))
    changed = await http.put(**change)  # type: ignore[arg-type]
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Léa Martin-Roux"
    person = await stored_person(nc, registration_id)
    assert person is not None and person.name == "Léa Martin-Roux"
