"""Every route of the app, called by everyone who might: anonymously, with each role of organisation A,
as an owner of organisation B, with a participant's link and with a juror's link.

The routes come from Litestar's own route table, so a route added tomorrow is in this test too, and a
route that declares no access (opt={"access": ...}) fails it. What the expectations say is written
here, not computed by the code under test: who may use each kind of access.
"""

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
from litestar.routes import HTTPRoute

from schemas.catalog import CreateOrganiser, OrganiserReply
from schemas.organisations import DEFAULT_ORGANISATION, DefineOrganisation, GrantMember, OrganisationChanged
from schemas.subjects import Catalog
from schemas.subjects import Web as WebSubjects
from services.catalog.service import organiser_id
from services.kit.client import call
from services.kit.connection import connect
from services.kit.kv import bucket, shared_secret
from services.kit.settings import Settings
from services.web.access import ACCESSES, declared_access, framework_made
from services.web.app import build_app
from services.web.auth import CSRF_COOKIE, Tokens
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, Web

PASSWORD = "a long enough password"
REGISTRANT = "secret-registrant@example.org"
REGISTRANT_NAME = "Rose Secrète"
ORG_B = "ecole-b"

# Who may use each kind of route (the other credentials must be refused).
EVERYONE = {"anonymous", "owner", "organiser", "door", "jury", "owner_b", "participant", "juror"}
ALLOWED: dict[str, set[str]] = {
    "public": EVERYONE,
    "participant_link": {"participant"},
    "juror_link": {"juror"},
    # No speaker's link is made here (the schedule service mails its key): tests/integration/test_speakers.py
    # lets a speaker in; here every other credential must be refused.
    "speaker_link": {"speaker"},
    "link_or_organiser": {"participant", "owner", "organiser"},
    "account": {"owner", "organiser", "door", "jury", "owner_b"},
    "organiser": {"owner", "organiser"},
    "jury": {"owner", "organiser", "jury"},
    "door": {"owner", "organiser", "door"},
    "owner": {"owner"},
    "deployment": {"owner", "organiser"},
}
# Whatever the routes declare, these never see the registrant (a visitor of organisation A's event).
OUTSIDERS = {"anonymous", "owner_b", "juror", "jury"}
# Held open by the server (the venue screen's live stream): its access is checked, it is not called.
# Live streams never end by themselves: called only where they must be refused.
STREAMS = {
    "/e/{slug:str}/screen/stream",
    "/organiser/e/{slug:str}/day/stream",
    "/organiser/e/{slug:str}/standings/stream",
    "/e/{slug:str}/qa/stream",
    "/e/{slug:str}/qa/screen/stream",
    "/organiser/e/{slug:str}/qa/stream",
}
# Path parameters that name an event or an organisation, whose access the guard checks.
TARGETS = r"\{(slug|registration_id|org):"


def routes() -> list[tuple[str, str, str | None]]:
    """(method, path, declared access) of every route the built app serves, OPTIONS and the docs aside."""
    app = build_app(None, b"k" * 32, Settings())  # type: ignore[arg-type]
    found = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), route.path
        for handler in route.route_handlers:
            if framework_made(handler, route.path) and declared_access(handler) is None:
                continue
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                found.append((method, route.path, declared_access(handler)))
    return found


# Before a session exists: logging in (its second step holds a signed pending login), and the pages of
# the one-time links (invitation, password reset), whose secret is in the path.
PUBLIC_ORGANISER_PAGES = (
    "/organiser/login",
    "/organiser/logout",
    "/organiser/login/code",
    "/organiser/forgot",
    "/organiser/reset/{token:str}",
    "/organiser/welcome/{token:str}",
)


def test_every_route_declares_who_may_use_it() -> None:
    undeclared = [(method, path) for method, path, access in routes() if access is None]
    assert undeclared == []
    assert set(ALLOWED) == set(ACCESSES)
    # Organiser pages and the API's writes are never open to all.
    for method, path, access in routes():
        if path.startswith("/organiser/") and path not in PUBLIC_ORGANISER_PAGES:
            assert access not in ("public", None), (method, path)


@dataclass
class Credential:
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


async def _account(nc: object, email: str) -> str:
    command = CreateOrganiser(command_id=uuid.uuid4().hex, email=email, password=PASSWORD, default_role=None)
    reply = await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)  # type: ignore[arg-type]
    return reply.organiser_id


async def _grant(nc: object, email: str, role: str, events: list[str] | None = None) -> None:
    command = GrantMember(
        command_id=uuid.uuid4().hex, organisation=DEFAULT_ORGANISATION, email=email, role=role, events=events or []
    )
    await call(nc, Catalog.GRANT_MEMBER, command, OrganisationChanged)  # type: ignore[arg-type]


async def _bearer(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    reply = await http.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def _filled(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: values.get(m.group(1), "x1"), path)


def _refused(response: httpx.Response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303) and location.startswith("/organiser/login")


async def test_each_route_answers_only_those_it_declares(demo: Web, http: httpx.AsyncClient) -> None:
    nc = await connect(demo.nats_url, "test-access")
    try:
        emails = {role: f"{role}@example.org" for role in ("organiser", "door", "jury", "owner_b")}
        for email in emails.values():
            await _account(nc, email)
        await _grant(nc, emails["organiser"], "organiser")
        await _grant(nc, emails["door"], "door", [HACKATHON])
        await _grant(nc, emails["jury"], "jury_coordinator")
        define = DefineOrganisation(
            command_id="b", slug=ORG_B, name="École B", by_organiser=organiser_id(emails["owner_b"])
        )
        await call(nc, Catalog.DEFINE_ORGANISATION, define, OrganisationChanged)
        secret = await shared_secret(await bucket(nc.jetstream(), WebSubjects.SECRETS_BUCKET), "session")
    finally:
        await nc.drain()

    body = {"name": REGISTRANT_NAME, "email": REGISTRANT, "consent": True, "category": "public"}
    created = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)
    assert created.status_code == 201, created.text
    registration = created.json()
    manage_token = parse_qs(urlsplit(registration["manage_url"]).query)["token"][0]
    # The juror's link names someone else (their sheet is theirs, the registrant is not on it).
    other = {"name": "Jules Juré", "email": "jules@example.org", "consent": True, "category": "public"}
    juror = (await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=other)).json()["id"]

    credentials = {
        "anonymous": Credential(),
        "owner": Credential(await _bearer(http, ORGANISER_EMAIL, ORGANISER_PASSWORD)),
        **{role: Credential(await _bearer(http, email)) for role, email in emails.items()},
        "participant": Credential(query={"token": manage_token}),
        "juror": Credential(query={"key": Tokens(secret).jury_key(HACKATHON, juror)}),
    }
    # Forms carry the CSRF token, so that a refusal comes from the access rules and not from CSRF.
    await http.get("/organiser/login")
    csrf = http.cookies[CSRF_COOKIE]
    values = {
        "slug": HACKATHON,
        "registration_id": registration["id"],
        "org": DEFAULT_ORGANISATION,
        "juror": juror,
        "action": "cancel",
        "change": "publish",
        "name": "swagger-ui.css",
    }

    wrong: list[str] = []
    for method, path, access in routes():
        assert access is not None
        url = _filled(path, values)
        for who, credential in credentials.items():
            allowed = who in ALLOWED[access]
            if who == "owner_b" and access in ("organiser", "jury", "door") and not re.search(TARGETS, path):
                allowed = True  # no event in the path (a new event): B's owner may make one, in B
            if allowed and (method != "GET" or path in STREAMS):
                continue  # an allowed write would change what the next calls see; a stream would not end
            response = await http.request(
                method,
                url,
                # A search term on every call, so that a page that searches shows what it finds.
                params={"q": "Rose", **credential.query},
                headers={**credential.headers, "x-csrftoken": csrf},
                data={"_csrf_token": csrf} if method != "GET" else None,
            )
            if response.status_code >= 500:
                wrong.append(f"{method} {path} as {who}: {response.status_code}")
            elif not allowed:
                link_refusal = access.endswith("_link") and response.status_code in (400, 422)
                if not (_refused(response) or link_refusal):
                    wrong.append(f"{method} {path} as {who}: {response.status_code}, expected a refusal")
                if REGISTRANT in response.text or REGISTRANT_NAME in response.text:
                    wrong.append(f"{method} {path} as {who}: the registrant's email or name is in the body")
            elif who in OUTSIDERS and (REGISTRANT in response.text or REGISTRANT_NAME in response.text):
                wrong.append(f"{method} {path} as {who}: allowed as {access!r}, and shows the registrant")
    assert wrong == [], "\n".join(wrong)

    # And those allowed are let in: the door on its check-in page, the owner on the members page.
    door = credentials["door"].headers
    checkin = await http.get(f"/organiser/e/{HACKATHON}/checkin", params={"q": "Rose"}, headers=door)
    assert checkin.status_code == 200 and REGISTRANT in checkin.text
    members = await http.get(f"/organiser/o/{DEFAULT_ORGANISATION}/members", headers=credentials["owner"].headers)
    assert members.status_code == 200 and emails["door"] in members.text
