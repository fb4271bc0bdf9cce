"""No 5xx from anyone's input: oversized bodies, overlong fields and deeply nested JSON get a clear
4xx on the API, the form again with the error next to its field on the pages, and nothing is stored."""

import json
from typing import Any

import httpx
import msgspec

from schemas.registration import GetCounts
from schemas.subjects import Registration
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.endpoints import Endpoints
from tests.conftest import HACKATHON, Web
from tests.integration.login_support import logged_in
from tests.integration.test_judging import JURY, RESULTS, post_form
from tests.integration.test_pages import EVENT_PAGE, Page, event_form, registrations, visitor
from tests.integration.test_teams import register, send, teams_json

API = f"/api/v1/events/{HACKATHON}/registrations"


def person(**changes: Any) -> dict[str, Any]:
    return {"name": "Jeanne Dupont", "email": "jeanne@example.org", "consent": True, "category": "public", **changes}


async def test_a_body_over_the_limit_is_a_413_with_a_clear_message_and_stores_nobody(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    reply = await http.post(API, json=person(name="x" * 1_100_000))
    assert reply.status_code == 413
    assert reply.json() == {
        "code": "too_large",
        "message": "Ce que vous avez envoyé est trop long : raccourcissez les textes et recommencez.",
        "field": None,
    }
    english = await http.post(API, json=person(answers={"a": "x" * 1_100_000}), headers={"Accept-Language": "en"})
    assert english.status_code == 413
    assert english.json()["message"] == "What you sent is too long: shorten the texts and try again."
    form = await http.post(EVENT_PAGE, data=visitor(await event_form(http), name="x" * 1_100_000))
    assert form.status_code == 413
    assert "Ce que vous avez envoyé est trop long" in Page(form.text).text
    assert await registrations(http, organiser_headers) == []


async def test_an_overlong_name_email_or_answer_on_the_api_is_a_400_naming_the_field(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    cases = [
        ("name", person(name="x" * 201)),
        ("email", person(email="a" * 250 + "@example.org")),
        ("answers", person(answers={"level": "x" * 2001})),
        ("answers", person(answers={"level": ["x"] * 101})),
    ]
    for field, body in cases:
        reply = await http.post(API, json=body)
        assert reply.status_code == 400, reply.text
        assert reply.json()["code"] == "invalid"
        assert reply.json()["field"] == field
    assert await registrations(http, organiser_headers) == []


async def test_deeply_nested_json_is_a_400_not_a_500(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    for body in (nested, json.dumps(person())[:-1] + ', "answers": {"level": ' + nested + "}}"):
        reply = await http.post(API, content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 400, reply.text
        assert reply.json()["code"] == "invalid"
        assert reply.json()["message"] == "Ce que vous avez envoyé est imbriqué trop profondément."
    assert await registrations(http, organiser_headers) == []


async def test_the_services_answer_invalid_for_any_payload_they_cannot_decode(demo: Web) -> None:
    nc = await connect(demo.nats_url, "test-payloads")
    try:
        nested = ("[" * 100_000 + "]" * 100_000).encode()
        for payload in (nested, b'{"command_id": "', b"\xff\xfe", b'{"name": ' + nested + b"}"):
            reply = json.loads((await nc.request(Registration.REGISTER, payload, timeout=5)).data)
            assert reply["code"] == "invalid", reply
        # Over the server's max_payload: refused before it leaves, as invalid, not as a crash.
        big = {"command_id": "k" * 20, "event": HACKATHON, "name": "x" * 2_000_000, "email": "a@b.fr"}
        try:
            await call(nc, Registration.REGISTER, big, dict)  # type: ignore[arg-type]
        except ServiceError as error:
            assert error.reply.code == "invalid" and error.reply.key == "too_large"
        else:
            raise AssertionError("a 2 MB command was accepted")
    finally:
        await nc.drain()


async def test_an_overlong_name_on_the_form_comes_back_next_to_the_field_and_stores_nobody(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    reply = await http.post(EVENT_PAGE, data=visitor(await event_form(http), name="x" * 300))
    assert reply.status_code == 422
    page = Page(reply.text)
    assert page.text_of("err-name") == "Ce texte est trop long : raccourcissez-le."
    assert await registrations(http, organiser_headers) == []


async def test_an_overlong_name_on_the_answers_form_comes_back_next_to_the_field_and_changes_nothing(
    demo: Web, http: httpx.AsyncClient
) -> None:
    jeanne = await register(http, "Jeanne Dupont")
    private = f"/r/{jeanne['id']}?token={jeanne['token']}"
    page = await http.get(private)
    hidden = Page(page.text).fields
    reply = await http.post(f"/r/{jeanne['id']}/answers", data={**hidden, "name": "y" * 300})
    assert reply.status_code == 422
    assert Page(reply.text).text_of("err-name") == "Ce texte est trop long : raccourcissez-le."
    after = await http.get(f"/api/v1/registrations/{jeanne['id']}", params={"token": jeanne["token"]})
    assert after.json()["name"] == "Jeanne Dupont"


async def test_an_overlong_team_name_comes_back_next_to_the_field_and_makes_no_team(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await register(http, "Alice Martin")
    reply = await send(http, alice, "create", name="É" * 81)
    assert reply.status_code == 422
    assert Page(reply.text).text_of("err-name") == "Ce texte est trop long : raccourcissez-le."
    assert (await teams_json(http, organiser_headers))["teams"] == []


async def test_a_405_names_the_methods_the_address_takes(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.delete(API)
    assert reply.status_code == 405
    assert set(reply.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert reply.json()["code"] == "method_not_allowed"


async def test_a_json_body_is_read_as_its_schema_says_so_a_consent_of_1_is_no_yes(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    for consent in (1, "yes", "true"):
        reply = await http.post(API, json=person(consent=consent))
        assert reply.status_code == 400, reply.text
        assert reply.json()["field"] == "consent"
    assert await registrations(http, organiser_headers) == []


async def test_an_overlong_juror_name_on_the_organiser_form_comes_back_next_to_the_field_and_stores_nobody(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await logged_in(http)
    reply = await post_form(http, JURY + "/", JURY + "/jurors", name="z" * 300, email="claire@example.org")
    assert reply.status_code == 422
    assert Page(reply.text).text_of("err-name") == "Ce texte est trop long : raccourcissez-le."
    assert await registrations(http, organiser_headers) == []


async def test_an_overlong_results_note_is_refused_and_nothing_is_published(demo: Web, http: httpx.AsyncClient) -> None:
    await logged_in(http)
    reply = await post_form(http, RESULTS, RESULTS + "/publish", note="n" * 2001)
    # Refused for its length (before any rule of publishing), not cut to 2 000 characters and published.
    assert reply.status_code == 422
    assert "Ce texte est trop long : raccourcissez-le." in Page(reply.text).text
    assert (await http.get(f"/api/v1/events/{HACKATHON}/results")).status_code == 404


async def test_a_reply_over_the_nats_limit_is_answered_at_once_with_an_error_not_left_to_time_out(
    nats_url: str,
) -> None:
    class Big(msgspec.Struct, tag="big"):
        text: str

    async def too_big(_: GetCounts) -> Big:
        return Big(text="x" * 2_000_000)

    nc = await connect(nats_url, "test-big-reply")
    endpoints = Endpoints(nc, "bigreply", "answers more than one message holds")
    endpoints.add("perche.bigreply.q.big", GetCounts, too_big)
    await endpoints.start()
    try:
        try:
            await call(nc, "perche.bigreply.q.big", GetCounts(event=HACKATHON), Big, timeout=30)
        except ServiceError as error:
            # Without an answer the caller would wait for its timeout and report the service as down.
            assert error.reply.code == "internal", error.reply
        else:
            raise AssertionError("a 2 MB reply went through")
    finally:
        await endpoints.stop()
        await nc.drain()
