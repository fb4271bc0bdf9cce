"""Issue 9, security: an idempotency key never hands out someone else's registration, and an
erased person is gone from the JetStream files on disk, not only from the answers."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from schemas.registration import PersonalData, Register, Registered, RegistrationView
from schemas.subjects import Registration
from services.catalog.service import CatalogService
from services.kit.client import ServiceError, call
from services.kit.codec import encode
from services.kit.connection import connect
from services.kit.kv import bucket
from services.kit.lifecycle import Running
from services.kit.nats_server import NatsServer
from services.registration.people import BUCKET as PEOPLE_BUCKET
from services.registration.people import LEGACY_BUCKET, PeopleStore
from services.registration.service import RegistrationService
from tests.conftest import HACKATHON, ROUND_TABLE, Web, define_events
from tests.demo_events import demo_file
from tests.integration.test_pages import EVENT_PAGE, Page, event_form, visitor

REGISTRATIONS = f"/api/v1/events/{HACKATHON}/registrations"
README_KEY = "3f6c2a9e-demo"  # the example in README.md


def body(name: str, email: str, **extra: object) -> dict[str, object]:
    return {"name": name, "email": email, "consent": True, "category": "mentor", **extra}


def token(registration: dict[str, str]) -> str:
    return registration["manage_url"].split("token=")[1]


def service_of(backend: Running) -> RegistrationService:
    return next(s for s in backend.services if isinstance(s, RegistrationService))


def shows_nothing_of(reply: httpx.Response, first: dict[str, str]) -> None:
    for secret in (first["name"], first["email"], first["id"], token(first)):
        assert secret not in reply.text


async def test_a_replayed_key_with_another_body_is_a_409_and_shows_nobody_else(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    headers = {"Idempotency-Key": README_KEY}
    first = await http.post(REGISTRATIONS, json=body("Alice Victime", "alice@example.org"), headers=headers)
    assert first.status_code == 201
    attack = await http.post(REGISTRATIONS, json=body("Mallory", "mallory@example.org"), headers=headers)
    assert attack.status_code == 409
    assert attack.json()["code"] == "conflict"
    assert "Idempotency-Key" in attack.json()["message"]
    shows_nothing_of(attack, first.json())
    # Anything that differs is another payload: the answers, the language, the category too.
    for other in (
        body("Alice Victime", "alice@example.org", answers={"diet": "vegan"}),
        body("Alice Victime", "alice@example.org", language="en"),
        {**body("Alice Victime", "alice@example.org"), "category": "public"},
    ):
        again = await http.post(REGISTRATIONS, json=other, headers=headers)
        assert again.status_code == 409, other
        shows_nothing_of(again, first.json())
    # The client that lost its reply still gets its own registration back.
    retry = await http.post(REGISTRATIONS, json=body("Alice Victime", "alice@example.org"), headers=headers)
    assert retry.status_code == 201 and retry.json() == first.json()
    listed = (await http.get(REGISTRATIONS, headers=organiser_headers)).json()
    assert [(r["name"], r["email"]) for r in listed] == [("Alice Victime", "alice@example.org")]


async def test_a_key_used_for_one_event_makes_a_separate_registration_for_another(
    demo: Web, http: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": README_KEY}
    first = await http.post(REGISTRATIONS, json=body("Alice Victime", "alice@example.org"), headers=headers)
    elsewhere = await http.post(
        f"/api/v1/events/{ROUND_TABLE}/registrations",
        json={"name": "Bob Autre", "email": "bob@example.org", "consent": True},
        headers=headers,
    )
    assert first.status_code == elsewhere.status_code == 201
    assert (elsewhere.json()["name"], elsewhere.json()["event"]) == ("Bob Autre", ROUND_TABLE)
    shows_nothing_of(elsewhere, first.json())
    again = await http.post(
        f"/api/v1/events/{ROUND_TABLE}/registrations",
        json={"name": "Bob Autre", "email": "bob@example.org", "consent": True},
        headers=headers,
    )
    assert again.json() == elsewhere.json()


async def test_racing_bodies_on_one_key_make_one_registration_and_nobody_sees_another(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    headers = {"Idempotency-Key": "race-key-0001"}
    bodies = [body(f"Person {i}", f"p{i}@example.org") for i in range(8)]
    replies = await asyncio.gather(*(http.post(REGISTRATIONS, json=b, headers=headers) for b in bodies))
    assert sorted(r.status_code for r in replies) == [201] + [409] * 7
    winner = next(r.json() for r in replies if r.status_code == 201)
    sent = next(b for b, r in zip(bodies, replies, strict=True) if r.status_code == 201)
    assert (winner["name"], winner["email"]) == (sent["name"], sent["email"])
    listed = (await http.get(REGISTRATIONS, headers=organiser_headers)).json()
    assert [(r["id"], r["name"], r["email"]) for r in listed] == [(winner["id"], sent["name"], sent["email"])]


async def test_a_form_sent_again_with_other_details_says_so_and_shows_nobody_else(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    hidden = await event_form(http)
    first = await http.post(EVENT_PAGE, data=visitor(hidden))
    assert first.status_code == 303
    changed = await http.post(EVENT_PAGE, data=visitor(hidden, q_accessibility="fauteuil"))
    assert changed.status_code == 409
    page = Page(changed.text)
    assert "déjà été envoyée depuis ce navigateur" in page.text_of("errors")
    assert first.headers["location"].split("/r/")[1].split("?")[0] not in changed.text
    assert first.headers["location"].split("token=")[1] not in changed.text
    english = await http.post(f"{EVENT_PAGE}?lang=en", data=visitor(hidden, q_accessibility="fauteuil"))
    assert "already been sent from this browser" in Page(english.text).text_of("errors")
    assert [r["name"] for r in (await http.get(REGISTRATIONS, headers=organiser_headers)).json()] == ["Jeanne Dupont"]


async def test_a_command_id_used_for_another_registration_still_cancels_this_one(
    demo: Web, http: httpx.AsyncClient
) -> None:
    one = (await http.post(REGISTRATIONS, json=body("Une", "une@example.org"))).json()
    two = (await http.post(REGISTRATIONS, json=body("Deux", "deux@example.org"))).json()
    headers = {"Idempotency-Key": "cancel-key-0001"}
    first = await http.post(f"/api/v1/registrations/{one['id']}/cancel", params={"token": token(one)}, headers=headers)
    second = await http.post(f"/api/v1/registrations/{two['id']}/cancel", params={"token": token(two)}, headers=headers)
    assert (first.json()["status"], second.json()["status"]) == ("cancelled", "cancelled")
    assert (second.json()["id"], second.json()["name"]) == (two["id"], "Deux")


# --- erasure on disk ---


def found_on_disk(store: Path, secret: str) -> list[str]:
    """Every file under the NATS store holding `secret`, raw or JSON-escaped."""
    forms = {secret.encode(), json.dumps(secret)[1:-1].encode(), json.dumps(secret, ensure_ascii=False)[1:-1].encode()}

    def holds(path: Path) -> bool:
        try:
            return path.is_file() and any(form in path.read_bytes() for form in forms)
        except FileNotFoundError:  # a deleted stream's directory, removed by the server as we read
            return False

    return sorted(str(path.relative_to(store)) for path in store.rglob("*") if holds(path))


async def test_an_erased_person_is_gone_from_every_file_of_the_nats_store(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], nats_server: NatsServer
) -> None:
    store = nats_server.store_dir
    name, email = "Zéphyrin Quoxlebrun", "zephyrin.quoxlebrun@example.org"
    old_answer, new_answer = "régime quoxleblanc-ancien", "régime quoxleblanc-nouveau"
    person = (await http.post(REGISTRATIONS, json=body(name, email, answers={"diet": old_answer}))).json()
    assert found_on_disk(store, old_answer)  # the search does find what is there

    changed = await http.put(
        f"/api/v1/registrations/{person['id']}/answers",
        params={"token": token(person)},
        json={"name": name, "answers": {"diet": new_answer}},
    )
    assert changed.status_code == 200 and changed.json()["answers"] == {"diet": new_answer}
    assert found_on_disk(store, old_answer) == []  # the old revision is destroyed, not only superseded
    live = found_on_disk(store, new_answer)
    assert live and all(f"/KV_{PEOPLE_BUCKET}/" in path for path in live), live  # only as the live value

    exported = await http.get(f"/api/v1/registrations/{person['id']}/export", headers=organiser_headers)
    assert exported.json()["registration"]["answers"] == {"diet": new_answer}
    erased = await http.post(f"/api/v1/registrations/{person['id']}/erase", headers=organiser_headers)
    assert erased.status_code == 200 and erased.json()["email"] == ""
    for secret in (name, email, old_answer, new_answer, "Quoxlebrun", "quoxleblanc"):
        assert found_on_disk(store, secret) == [], secret
    audit = (await http.get(f"/api/v1/registrations/{person['id']}/export", headers=organiser_headers)).json()
    assert any("erased (request)" in line for line in audit["history"])
    assert any("exported" in line for line in audit["history"])

    # Nothing brings the data back: not the manage link, not the first request sent again.
    refused = await http.put(
        f"/api/v1/registrations/{person['id']}/answers",
        params={"token": token(person)},
        json={"name": name, "answers": {"diet": new_answer}},
    )
    assert refused.status_code == 409
    assert found_on_disk(store, name) == []


async def test_the_automatic_purge_leaves_nothing_of_the_person_on_disk(
    demo: Web, http: httpx.AsyncClient, backend: Running, nats_server: NatsServer
) -> None:
    store = nats_server.store_dir
    name, email, answer = "Ondine Vrakspotel", "ondine.vrakspotel@example.org", "sans vrakspotel"
    person = (await http.post(REGISTRATIONS, json=body(name, email, answers={"diet": answer}))).json()
    await http.put(
        f"/api/v1/registrations/{person['id']}/answers",
        params={"token": token(person)},
        json={"name": f"{name} II", "answers": {"diet": f"{answer} II"}},
    )
    assert found_on_disk(store, f"{name} II")
    service = service_of(backend)
    event = service.catalog.specs[HACKATHON]
    await service.housekeeping(event.ends_at + timedelta(days=event.purge_after_days, seconds=1))
    for secret in (name, email, answer, "Vrakspotel", "vrakspotel"):
        assert found_on_disk(store, secret) == [], secret
    gone = await http.get(f"/api/v1/registrations/{person['id']}", params={"token": token(person)})
    assert (gone.json()["name"], gone.json()["email"], gone.json()["answers"]) == ("", "", {})


async def test_people_of_the_old_bucket_are_moved_over_and_its_files_deleted(
    nc: object, nats_server: NatsServer
) -> None:
    js = nc.jetstream()  # type: ignore[attr-defined]
    legacy = await bucket(js, LEGACY_BUCKET)
    await legacy.put("a1b2c3", encode(PersonalData(name="Ancien Grolumbard", email="ancien@example.org")))
    await legacy.put("d4e5f6", encode(PersonalData(name="Déjà Effacé", email="efface@example.org")))
    await legacy.purge("d4e5f6")  # erased before: stays erased
    assert found_on_disk(nats_server.store_dir, "Grolumbard")

    people = PeopleStore(js)
    await people.open()
    assert await people.get("a1b2c3") == PersonalData(name="Ancien Grolumbard", email="ancien@example.org")
    assert await people.get("d4e5f6") is None
    assert not [s async for s in streams(js) if s == f"KV_{LEGACY_BUCKET}"]
    assert found_on_disk(nats_server.store_dir, "efface@example.org") == []  # its stream's files are gone
    await people.erase("a1b2c3")
    assert await people.get("a1b2c3") is None
    assert found_on_disk(nats_server.store_dir, "Grolumbard") == []
    await people.open()  # a second instance, or a restart: nothing left to move
    assert await people.get("a1b2c3") is None


async def streams(js: object) -> AsyncIterator[str]:
    for info in await js.streams_info():  # type: ignore[attr-defined]
        yield info.config.name


async def test_every_instance_decides_a_reused_key_the_same(nats_url: str) -> None:
    catalog = Running([CatalogService()], nats_url)
    await catalog.start()
    await define_events(nats_url, demo_file(ROUND_TABLE))
    # Started after the event is defined: each one has read it when it starts answering.
    instances = Running([RegistrationService() for _ in range(3)], nats_url)
    await instances.start()
    client = await connect(nats_url, "crowd")

    def command(i: int) -> Register:
        return Register(
            command_id="shared-key-0001", event=ROUND_TABLE, name=f"Person {i}", email=f"p{i}@example.org", consent=True
        )

    async def send(i: int) -> RegistrationView | str:
        try:
            return await call(client, Registration.REGISTER, command(i), RegistrationView, timeout=30)
        except ServiceError as error:
            return error.reply.key or error.reply.code

    try:
        outcomes = await asyncio.gather(*(send(i) for i in range(12)))
        views = [o for o in outcomes if isinstance(o, RegistrationView)]
        assert len(views) == 1 and outcomes.count("idempotency_key_reused") == 11, outcomes
        winner = views[0]
        assert (winner.name, winner.email) == (
            f"Person {outcomes.index(winner)}",
            f"p{outcomes.index(winner)}@example.org",
        )
        # Asked again, in any order and of any instance, the answers stay the same.
        again = await asyncio.gather(*(send(i) for i in [outcomes.index(winner)] * 6 + [99] * 6))
        assert again[:6] == [winner] * 6 and again[6:] == ["idempotency_key_reused"] * 6
    finally:
        await client.drain()
        await instances.stop()
        await catalog.stop()


async def test_an_answer_change_decided_before_an_erasure_does_not_bring_the_person_back(
    nc: object, nats_server: NatsServer
) -> None:
    people = PeopleStore(nc.jetstream())  # type: ignore[attr-defined]
    await people.open()
    await people.put("r1", PersonalData(name="Avant Trebouchard", email="t@example.org"), replacing=False)
    before, revision = await people.read("r1")
    assert before is not None and revision > 0
    await people.erase("r1")  # an organiser erases the person while their change is on its way
    late = PersonalData(name="Après Trebouchard", email="t@example.org", answers={"diet": "vegan"})
    assert not await people.replace("r1", late, revision)
    assert await people.read("r1") == (None, 0)
    assert found_on_disk(nats_server.store_dir, "Trebouchard") == []


async def test_a_repeat_completes_a_registration_whose_person_was_not_stored_and_only_its_own(
    demo: Web, http: httpx.AsyncClient, backend: Running, nc: object
) -> None:
    headers = {"Idempotency-Key": "lost-person-0001"}
    first = (await http.post(REGISTRATIONS, json=body("Alice Victime", "alice@example.org"), headers=headers)).json()
    # As if the first try's write of the person had failed: the registration is stored, its person is not.
    service = service_of(backend)
    _, revision = await service.people_store.read(first["id"])
    await nc.jetstream().delete_msg(f"KV_{PEOPLE_BUCKET}", revision)  # type: ignore[attr-defined]
    service.people.pop(first["id"], None)

    attack = await http.post(REGISTRATIONS, json=body("Mallory", "mallory@example.org"), headers=headers)
    assert attack.status_code == 409
    assert await service.people_store.get(first["id"]) is None  # the attacker wrote nothing into it
    retry = await http.post(REGISTRATIONS, json=body("Alice Victime", "alice@example.org"), headers=headers)
    assert retry.status_code == 201 and retry.json() == first
    stored = await service.people_store.get(first["id"])
    assert stored is not None and (stored.name, stored.email) == ("Alice Victime", "alice@example.org")


async def test_a_registration_made_before_fingerprints_is_repeated_only_for_its_own_person(
    demo: Web, http: httpx.AsyncClient, backend: Running, nc: object
) -> None:
    # Stored by an earlier version: no fingerprint, no key, the person in the bucket.
    command_id = "before-issue-9-0001"
    registration_id = hashlib.sha256(f"{HACKATHON}:{command_id}".encode()).hexdigest()[:20]
    old = Registered(
        registration_id=registration_id,
        command_id=command_id,
        event=HACKATHON,
        category="mentor",
        status="confirmed",
        language="fr",
        at=datetime.now(UTC),
        seat=10,
    )
    service = service_of(backend)
    person = PersonalData(name="Ancienne Personne", email="ancienne@example.org", answers={"diet": "aucun"})
    await service.people_store.put(registration_id, person)
    ack = await nc.jetstream().publish(  # type: ignore[attr-defined]
        Registration.seat_subject(HACKATHON, "mentor", 10), encode(old), headers={"Nats-Msg-Id": command_id}
    )
    await service.store.caught_up(ack.seq)

    headers = {"Idempotency-Key": command_id}
    same = body("Ancienne Personne", "Ancienne@Example.org", answers={"diet": " aucun"})
    repeated = await http.post(REGISTRATIONS, json=same, headers=headers)
    assert repeated.status_code == 201 and repeated.json()["id"] == registration_id
    other = await http.post(REGISTRATIONS, json=body("Mallory", "mallory@example.org"), headers=headers)
    assert other.status_code == 409
    shows_nothing_of(other, repeated.json())
