"""The registration slice over real HTTP, NATS and JetStream."""

from datetime import datetime

import httpx

from tests.conftest import HACKATHON, Web
from tests.demo_events import instant


def registration(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Jeanne Dupont",
        "email": "jeanne@example.org",
        "consent": True,
        "category": "public",
    }
    body.update(overrides)
    return body


async def test_published_events_are_listed_with_their_registration_status(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.get("/api/v1/events")
    assert reply.status_code == 200
    events = {e["slug"]: e for e in reply.json()}
    hackathon = events[HACKATHON]
    assert hackathon["kind"] == "hackathon"
    nine_in_paris = instant(datetime(2027, 6, 11, 9, 0))  # as the file says, moved (tests/demo_events.py)
    assert hackathon["starts_at"] == nine_in_paris.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert hackathon["timezone"] == "Europe/Paris"
    assert hackathon["registration"] == "open"
    assert hackathon["capacity"] == 190  # juror seats are by invitation, not counted


async def test_the_same_idempotency_key_returns_the_same_registration(demo: Web, http: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "double-click-0001"}
    first = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=registration(), headers=headers)
    second = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=registration(), headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "confirmed"
    event = (await http.get(f"/api/v1/events/{HACKATHON}")).json()
    public = next(c for c in event["categories"] if c["id"] == "public")
    assert public["remaining"] == public["capacity"] - 1


async def test_organisers_see_registrations_and_the_public_does_not(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    created = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=registration())
    assert created.status_code == 201
    anonymous = await http.get(f"/api/v1/events/{HACKATHON}/registrations")
    assert anonymous.status_code == 401
    listed = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)
    assert listed.status_code == 200
    assert [(r["id"], r["name"], r["email"]) for r in listed.json()] == [
        (created.json()["id"], "Jeanne Dupont", "jeanne@example.org")
    ]


async def test_a_request_with_several_mistakes_is_refused_with_every_one_the_first_in_field_and_message(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    # (A blank name or a malformed address breaks the schema: a 400 before any rule, as before.)
    body = registration(consent=False, category="participant", answers={"nope": "x"})
    reply = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
    assert reply.status_code == 422, reply.text
    error = reply.json()
    assert (error["code"], error["field"]) == ("invalid", "consent")
    assert error["message"] == error["problems"][0]["message"]
    assert [p["field"] for p in error["problems"]] == [
        "consent",
        "answers.nope",
        "answers.level",
        "answers.team",
    ]
    assert all(p["message"] for p in error["problems"])
    # A single problem is reported as it always was: no list.
    one = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=registration(consent=False))
    assert one.status_code == 422 and one.json()["field"] == "consent" and "problems" not in one.json()
    listed = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)
    assert listed.json() == []


async def test_bad_input_is_refused_precisely_and_changes_nothing(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    cases = [
        # The address's pattern is in the schema (OpenAPI), so breaking it is a 400 like any schema error.
        (registration(email="not-an-email"), 400, "email"),
        (registration(consent=False), 422, "consent"),
        (registration(category="juror"), 422, "category"),
        (registration(category="participant"), 422, "answers.level"),
        (registration(answers={"nope": "x"}), 422, "answers.nope"),
        (registration(consent="yes"), 400, "consent"),
    ]
    for body, status, field in cases:
        reply = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
        assert reply.status_code == status, (body, reply.text)
        assert reply.json()["field"] == field, reply.json()
        assert reply.json()["message"]
    unknown = await http.post("/api/v1/events/no-such-event/registrations", json=registration())
    assert unknown.status_code == 404
    listed = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=organiser_headers)
    assert listed.json() == []


async def test_a_full_category_waitlists_and_a_freed_seat_is_offered_to_the_first_who_claims_it(
    demo: Web, http: httpx.AsyncClient
) -> None:
    mentor = registration(category="mentor", answers={})
    made = []
    for i in range(12):  # mentors have 10 seats
        reply = await http.post(
            f"/api/v1/events/{HACKATHON}/registrations", json={**mentor, "email": f"m{i}@example.org"}
        )
        assert reply.status_code == 201
        made.append(reply.json())
    assert [r["status"] for r in made] == ["confirmed"] * 10 + ["waitlisted"] * 2
    assert [r["position"] for r in made[10:]] == [1, 2]

    def token(r: dict[str, str]) -> str:
        return r["manage_url"].split("token=")[1]

    first = made[0]
    cancelled = await http.post(f"/api/v1/registrations/{first['id']}/cancel", params={"token": token(first)})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"

    offered = (await http.get(f"/api/v1/registrations/{made[10]['id']}", params={"token": token(made[10])})).json()
    assert offered["status"] == "waitlisted" and offered["offer_expires_at"] is not None
    still = (await http.get(f"/api/v1/registrations/{made[11]['id']}", params={"token": token(made[11])})).json()
    assert (still["status"], still["position"], still["offer_expires_at"]) == ("waitlisted", 1, None)

    # The offered seat is held: a newcomer waits too instead of taking it.
    newcomer = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations", json={**mentor, "email": "late@example.org"}
    )
    assert newcomer.json()["status"] == "waitlisted"

    claimed = await http.post(f"/api/v1/registrations/{made[10]['id']}/claim", params={"token": token(made[10])})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "confirmed"
    again = await http.post(f"/api/v1/registrations/{made[11]['id']}/claim", params={"token": token(made[11])})
    assert again.status_code == 409
    event = (await http.get(f"/api/v1/events/{HACKATHON}")).json()
    mentors = next(c for c in event["categories"] if c["id"] == "mentor")
    assert (mentors["remaining"], mentors["waitlist"]) == (0, 2)


async def test_a_registration_is_reachable_only_with_its_own_token(demo: Web, http: httpx.AsyncClient) -> None:
    mine = (await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=registration())).json()
    other = (
        await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=registration(email="b@example.org"))
    ).json()
    other_token = other["manage_url"].split("token=")[1]
    refused = await http.get(f"/api/v1/registrations/{mine['id']}", params={"token": other_token})
    assert refused.status_code == 403
    refused_cancel = await http.post(f"/api/v1/registrations/{mine['id']}/cancel", params={"token": other_token})
    assert refused_cancel.status_code == 403
    token = mine["manage_url"].split("token=")[1]
    still = await http.get(f"/api/v1/registrations/{mine['id']}", params={"token": token})
    assert still.json()["status"] == "confirmed"


async def test_healthz_names_every_service(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.get("/healthz")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok"
    assert body["services"] == {
        s: True for s in ("catalog", "registration", "teams", "schedule", "judging", "publishing", "notify", "qa")
    }


async def test_openapi_documents_the_api(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.get("/schema/openapi.json")
    assert reply.status_code == 200
    paths = reply.json()["paths"]
    assert "/api/v1/events" in paths
    assert "post" in paths["/api/v1/events/{slug}/registrations"]
    assert "/api/v1/auth/token" in paths
