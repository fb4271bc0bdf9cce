"""The OpenAPI document is a contract the app keeps: schemathesis sends every operation requests built
from it, anonymously and as an organiser, to the real served app (real NATS, the demo events loaded),
and every one of its checks holds: documented statuses, content types and headers, bodies that match
their schema, valid requests accepted, invalid ones refused, guarded operations refusing no token.

The run is bounded and repeatable: a fixed seed, derandomized generation, a fixed number of examples
per operation, one request at a time."""

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from tests.conftest import Web

EXAMPLES = 5

# Requests that match the schema and still break a rule the schema cannot state get a 422, which
# positive_data_acceptance counts as "valid data rejected". Each exception says which rule and why;
# everywhere else a schema-valid request must be accepted (2xx), or refused only as not found,
# unauthorised, forbidden, in conflict or rate-limited.
# 413 too: the body-size limit (512 KiB, below NATS's max_payload) is not something JSON Schema can say,
# and the largest lists the schema allows (5 000 agenda edits) can exceed it.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "413", "429"]
# A request too large to read is refused with 413 (RFC 9110 §15.5.14) before its body is looked at:
# schemathesis's list of refusals for invalid data does not name it.
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
STATE_RULES = [
    # Consent must be given (a boolean in the schema); the category, and which answers are required
    # or allowed, depend on the event's definition.
    ("/api/v1/events/{slug}/registrations", ["422"]),
    ("/api/v1/registrations/{registration_id}/answers", ["422"]),
    # The slug in the body must be the one in the URL, and EventSpec's cross-field rules (an end after
    # its start, sessions inside the event) are checked as it decodes, which Litestar answers with 400.
    ("/api/v1/events/{slug}", ["400", "422"]),
    # Edits, rounds and releases refer to the draft: its rooms, sessions, teams and people.
    ("/api/v1/events/{slug}/agenda/edits", ["422"]),
    ("/api/v1/events/{slug}/agenda/rounds", ["422"]),
    ("/api/v1/events/{slug}/agenda/releases", ["422"]),
]


def _config(base_url: str, headers: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20270611,
            "base-url": base_url,
            "headers": headers,
            "workers": 1,
            "request-timeout": 20,
            # No example database: a run never replays what an earlier one stored.
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                "negative_data_rejection": {"expected-statuses": REFUSED},
            },
            "operations": [
                {
                    "include-path": path,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + extra}},
                }
                for path, extra in STATE_RULES
            ],
        }
    )


def _run(base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """How many requests were sent, and every failed check or error, as readable lines."""
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json", config=_config(base_url, headers))
    sent, problems = 0, []
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            sent += len(recorder.interactions)
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        response = recorder.find_response(case_id=case_id)
                        case = recorder.cases[case_id].value
                        status = response.status_code if response is not None else None
                        body = response.content[:300] if response is not None else b""
                        problems.append(
                            f"{recorder.label}: {node.name}: {failure.title} ({status}): {failure.message}\n"
                            f"    {body!r}\n    {case.as_curl_command()[:2000]}"
                        )
        elif isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: error: {event.value!r}")
        elif isinstance(event, events.FatalError):
            problems.append(f"fatal: {event.exception!r}")
    return sent, problems


# A fixed amount of work (EXAMPLES per operation, twice), not a fixed time: on a loaded machine it
# takes several times longer than alone, so the suite's 120 s guard against hangs is too tight for it.
@pytest.mark.timeout(900)
async def test_every_operation_keeps_the_openapi_contract_anonymously_and_as_an_organiser(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    operations = sum(
        1
        for item in (await http.get("/schema/openapi.json")).json()["paths"].values()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    )
    assert operations >= 30
    results: dict[str, Any] = {}
    for who, headers in (("anonymous", {}), ("organiser", organiser_headers)):
        # schemathesis is synchronous: it runs beside the served app, which keeps this event loop.
        results[who] = await asyncio.to_thread(_run, demo.url, headers)
    for who, (sent, problems) in results.items():
        assert sent >= operations * 2, (who, sent)
        assert problems == [], f"{who}: {len(problems)} failed checks\n" + "\n".join(problems)


async def test_the_document_names_every_error_with_its_body_the_key_limits_and_who_may_call(
    demo: Web, http: httpx.AsyncClient
) -> None:
    document = (await http.get("/schema/openapi.json")).json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    # Every problem of a request that breaks several rules at once comes in `problems` (issue 11).
    properties = document["components"]["schemas"]["ErrorOut"]["properties"]
    assert set(properties) == {"code", "message", "field", "problems"}
    assert properties["problems"]["items"] == {"$ref": "#/components/schemas/ProblemOut"}
    register = document["paths"]["/api/v1/events/{slug}/registrations"]["post"]
    assert set(register["responses"]) == {"201", "400", "404", "409", "413", "422", "429", "503"}
    key = next(p for p in register["parameters"] if p["name"] == "Idempotency-Key")
    assert (key["schema"]["type"], key["schema"]["minLength"], key["schema"]["maxLength"]) == ("string", 8, 100)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {status: r for status, r in operation["responses"].items() if status[0] in "45"}
            if path.startswith("/api/"):
                assert errors, (method, path)
                for status, response in errors.items():
                    assert response["content"]["application/json"]["schema"] == error, (method, path, status)
            # An operation that can answer 401 says which credentials it takes, and only those do;
            # the login itself answers 401 to wrong credentials, which come in its body.
            if path != "/api/v1/auth/token":
                assert ("401" in errors) == ({"bearer": []} in operation.get("security", [])), (method, path)


async def test_options_names_every_method_of_an_address(demo: Web, http: httpx.AsyncClient) -> None:
    for path, methods in (
        ("/api/v1/events/x-2027", {"GET", "PUT", "OPTIONS"}),
        ("/api/v1/events/x-2027/registrations", {"GET", "POST", "OPTIONS"}),
        ("/api/v1/events/x-2027/agenda/releases", {"GET", "POST", "OPTIONS"}),
    ):
        reply = await http.options(path)
        assert reply.status_code == 204
        assert set(reply.headers["allow"].replace(" ", "").split(",")) == methods, path
