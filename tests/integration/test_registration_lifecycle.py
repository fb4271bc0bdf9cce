"""Issue 3 over real HTTP and NATS: offers that lapse, check-in, answers, erasure and purge."""

from datetime import UTC, datetime, timedelta

import httpx
from nats.js.errors import KeyNotFoundError

from schemas.registration import GetCounts
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.registration.people import BUCKET as PEOPLE_BUCKET
from services.registration.service import RegistrationService
from tests.conftest import HACKATHON, ROUND_TABLE, Web

REGISTRATIONS = f"/api/v1/events/{HACKATHON}/registrations"


def token(registration: dict[str, str]) -> str:
    return registration["manage_url"].split("token=")[1]


def service_of(backend: Running) -> RegistrationService:
    return next(s for s in backend.services if isinstance(s, RegistrationService))


async def register(http: httpx.AsyncClient, email: str, category: str = "mentor", **extra: object) -> dict[str, str]:
    body = {"name": f"Personne {email}", "email": email, "consent": True, "category": category, **extra}
    reply = await http.post(REGISTRATIONS, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_an_unclaimed_offer_lapses_and_passes_to_the_next_person(
    demo: Web, http: httpx.AsyncClient, backend: Running
) -> None:
    people = [await register(http, f"m{i}@example.org") for i in range(12)]
    await http.post(f"/api/v1/registrations/{people[0]['id']}/cancel", params={"token": token(people[0])})
    first, second = people[10], people[11]
    offered = (await http.get(f"/api/v1/registrations/{first['id']}", params={"token": token(first)})).json()
    deadline = datetime.fromisoformat(offered["offer_expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=47) < deadline - datetime.now(UTC) <= timedelta(hours=48)

    await service_of(backend).housekeeping(deadline + timedelta(seconds=1))

    lapsed = (await http.get(f"/api/v1/registrations/{first['id']}", params={"token": token(first)})).json()
    assert lapsed["status"] == "cancelled"
    refused = await http.post(f"/api/v1/registrations/{first['id']}/claim", params={"token": token(first)})
    assert refused.status_code == 409
    nxt = (await http.get(f"/api/v1/registrations/{second['id']}", params={"token": token(second)})).json()
    assert nxt["offer_expires_at"] is not None
    claimed = await http.post(f"/api/v1/registrations/{second['id']}/claim", params={"token": token(second)})
    assert claimed.json()["status"] == "confirmed"


async def test_organisers_promote_by_hand_only_into_a_free_seat(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    people = [await register(http, f"m{i}@example.org") for i in range(11)]
    waiting = people[10]
    full = await http.post(f"/api/v1/registrations/{waiting['id']}/promote", headers=organiser_headers)
    assert full.status_code == 409
    cancel = await http.post(f"/api/v1/registrations/{people[3]['id']}/cancel", headers=organiser_headers)
    assert cancel.json()["status"] == "cancelled"
    promoted = await http.post(f"/api/v1/registrations/{waiting['id']}/promote", headers=organiser_headers)
    assert promoted.status_code == 200 and promoted.json()["status"] == "confirmed"


async def test_check_in_happens_once_and_is_counted(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], backend: Running
) -> None:
    person = await register(http, "helene@example.org", name="Hélène Bézier")
    found = await http.get(f"{REGISTRATIONS}/search", params={"q": "helene bez"}, headers=organiser_headers)
    assert [r["id"] for r in found.json()] == [person["id"]]
    first = await http.post(f"/api/v1/registrations/{person['id']}/check-in", headers=organiser_headers)
    assert first.status_code == 200 and first.json()["checked_in_at"] is not None
    second = await http.post(f"/api/v1/registrations/{person['id']}/check-in", headers=organiser_headers)
    assert second.status_code == 409
    anonymous = await http.post(f"/api/v1/registrations/{person['id']}/check-in")
    assert anonymous.status_code == 401
    counts = await service_of(backend).counts(GetCounts(event=HACKATHON))
    mentor = next(c for c in counts.categories if c.category == "mentor")
    assert (mentor.confirmed, mentor.checked_in) == (1, 1)


async def test_people_change_their_answers_and_bad_answers_change_nothing(demo: Web, http: httpx.AsyncClient) -> None:
    person = await register(http, "ana@example.org", answers={"diet": "végétarien"})
    url = f"/api/v1/registrations/{person['id']}/answers"
    bad = await http.put(url, params={"token": token(person)}, json={"name": "Ana", "answers": {"skills": ["Cuisine"]}})
    assert bad.status_code == 422 and bad.json()["field"] == "answers.skills"
    wrong_token = await http.put(url, params={"token": "x" * 32}, json={"name": "Ana", "answers": {}})
    assert wrong_token.status_code == 403
    unchanged = (await http.get(f"/api/v1/registrations/{person['id']}", params={"token": token(person)})).json()
    assert unchanged["answers"] == {"diet": "végétarien"}
    good = await http.put(
        url, params={"token": token(person)}, json={"name": "Ana Martin", "answers": {"skills": ["Design"]}}
    )
    assert good.status_code == 200
    assert (good.json()["name"], good.json()["answers"]) == ("Ana Martin", {"skills": ["Design"]})


async def test_erasure_removes_personal_data_everywhere_and_keeps_the_seat_count(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    person = await register(http, "secret.person@example.org", answers={"diet": "sans gluten"})
    exported = await http.get(f"/api/v1/registrations/{person['id']}/export", headers=organiser_headers)
    assert exported.json()["registration"]["email"] == "secret.person@example.org"
    erased = await http.post(f"/api/v1/registrations/{person['id']}/erase", headers=organiser_headers)
    assert erased.status_code == 200
    assert (erased.json()["name"], erased.json()["email"], erased.json()["answers"]) == ("", "", {})

    listed = (await http.get(REGISTRATIONS, headers=organiser_headers)).json()
    assert [(r["email"], r["status"]) for r in listed] == [("", "confirmed")]
    audit = (await http.get(f"/api/v1/registrations/{person['id']}/export", headers=organiser_headers)).json()
    assert any("exported" in line for line in audit["history"])
    assert any("erased (request)" in line for line in audit["history"])

    nc = await connect(demo.nats_url, "inspector")
    try:
        js = nc.jetstream()
        kv = await js.key_value(PEOPLE_BUCKET)
        try:
            await kv.get(f"{person['id']}.data")
            raise AssertionError("the personal data is still in the bucket")
        except KeyNotFoundError:
            pass
        for stream in (f"KV_{PEOPLE_BUCKET}", "PERCHE_REGISTRATION"):
            info = await js.stream_info(stream)
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    message = await js.get_msg(stream, seq)
                except Exception:  # noqa: BLE001 - purged sequences are gone, which is the point
                    continue
                assert b"secret.person" not in (message.data or b"")
                assert b"sans gluten" not in (message.data or b"")
    finally:
        await nc.drain()


async def test_personal_data_is_purged_automatically_after_the_event(
    demo: Web, http: httpx.AsyncClient, backend: Running, organiser_headers: dict[str, str]
) -> None:
    person = await register(http, "old@example.org")
    round_table = await http.post(
        f"/api/v1/events/{ROUND_TABLE}/registrations",
        json={"name": "Other", "email": "other@example.org", "consent": True},
    )
    service = service_of(backend)
    event = service.catalog.specs[HACKATHON]
    await service.housekeeping(event.ends_at + timedelta(days=event.purge_after_days - 1))
    still = await http.get(f"/api/v1/registrations/{person['id']}", params={"token": token(person)})
    assert still.json()["email"] == "old@example.org"
    await service.housekeeping(event.ends_at + timedelta(days=event.purge_after_days, seconds=1))
    gone = await http.get(f"/api/v1/registrations/{person['id']}", params={"token": token(person)})
    assert (gone.json()["email"], gone.json()["name"]) == ("", "")
    other = round_table.json()
    kept = await http.get(f"/api/v1/registrations/{other['id']}", params={"token": token(other)})
    assert kept.json()["email"] == "other@example.org"  # its event ends four weeks later
