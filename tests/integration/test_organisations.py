"""Organisations over real HTTP and NATS: an organisation's own events, API tokens with a role, /o/{org}."""

import re
import uuid

import httpx
import msgspec

from schemas.catalog import (
    Authenticate,
    CheckSession,
    CreateOrganiser,
    EventReply,
    GetEvent,
    OrganiserReply,
    SessionValid,
)
from schemas.organisations import (
    ChangeOrganisationSettings,
    DefineOrganisation,
    GrantMember,
    Membership,
    OrganisationChanged,
)
from schemas.subjects import Catalog
from services.catalog.service import organiser_id
from services.kit.client import call
from services.kit.connection import connect
from services.web.organiser.editor import NEW_EVENT
from tests.conftest import HACKATHON, Web
from tests.demo_events import demo_spec
from tests.integration.login_support import logged_in, login_token, send_login

OWNER_B = "owner-b@example.org"
PASSWORD = "a long enough password"


async def school_b(nats_url: str) -> None:
    nc = await connect(nats_url, "test-orgs")
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=OWNER_B, password=PASSWORD, default_role=None)
        await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
        define = DefineOrganisation(
            command_id="b", slug="ecole-b", name="École B", name_en="School B", by_organiser=organiser_id(OWNER_B)
        )
        await call(nc, Catalog.DEFINE_ORGANISATION, define, OrganisationChanged)
    finally:
        await nc.drain()


async def test_an_event_made_by_another_organisation_is_theirs_alone(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await school_b(demo.nats_url)
    token = (await http.post("/api/v1/auth/token", json={"email": OWNER_B, "password": PASSWORD})).json()["token"]
    b = {"Authorization": f"Bearer {token}"}
    spec = demo_spec(HACKATHON)
    event = msgspec.to_builtins(msgspec.structs.replace(spec, slug="hackathon-b", title="Hackathon B"))
    made = await http.put("/api/v1/events/hackathon-b", json=event, headers=b)
    assert made.status_code == 200, made.text
    # B's owner may not touch A's events, and A's owner sees nothing of B's.
    assert (await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=b)).status_code == 404
    assert (await http.get("/api/v1/events/hackathon-b/registrations", headers=organiser_headers)).status_code == 404
    dashboard_b = await http.get("/organiser/", headers=b)
    assert "/organiser/e/hackathon-b" in dashboard_b.text and f"/organiser/e/{HACKATHON}" not in dashboard_b.text
    dashboard_a = await http.get("/organiser/", headers=organiser_headers)
    assert "/organiser/e/hackathon-b" not in dashboard_a.text and f"/organiser/e/{HACKATHON}" in dashboard_a.text
    # The public page of each organisation lists its own published events, in French and English.
    page_b = await http.get("/o/ecole-b")
    assert page_b.status_code == 200 and "École B" in page_b.text and "/e/hackathon-b" in page_b.text
    assert f'/e/{HACKATHON}"' not in page_b.text
    english = await http.get("/o/ecole-b", headers={"Accept-Language": "en"})
    assert "School B" in english.text
    page_a = await http.get("/o/perche")
    assert f"/e/{HACKATHON}" in page_a.text and "/e/hackathon-b" not in page_a.text
    assert (await http.get("/o/nowhere")).status_code == 404


async def test_an_owner_makes_an_api_token_with_a_role_shown_once_and_revocable(
    demo: Web, http: httpx.AsyncClient
) -> None:
    csrf = await logged_in(http)
    form = {"_csrf_token": csrf, "command_id": "token-form-1", "name": "tableur de l'accueil", "role": "door"}
    made = await http.post("/organiser/o/perche/tokens", data={**form, "events": HACKATHON})
    assert made.status_code == 201, made.text
    token = re.search(r'<code id="new-token">([^<]+)</code>', made.text)
    assert token is not None
    again = await http.post("/organiser/o/perche/tokens", data={**form, "events": HACKATHON})
    assert 'id="new-token"' not in again.text  # a repeated form shows no secret
    script = httpx.AsyncClient(base_url=demo.url, headers={"Authorization": f"Bearer {token.group(1)}"})
    async with script:
        person = {"name": "Zoé Porte", "email": "zoe@example.org", "consent": True, "category": "public"}
        made = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=person)
        assert made.status_code == 201 and made.json()["manage_url"]
        search = await script.get(f"/api/v1/events/{HACKATHON}/registrations/search", params={"q": "Zoé"})
        assert search.status_code == 200
        # The door gets who the person is, not their answers nor the private link that acts for them.
        assert [(r["name"], r["manage_url"], r["calendar_url"], r["answers"]) for r in search.json()] == [
            ("Zoé Porte", "", "", {})
        ]
        arrived = await script.post(f"/api/v1/registrations/{made.json()['id']}/check-in")
        assert arrived.status_code == 200, arrived.text
        assert (arrived.json()["checked_in_at"] is not None, arrived.json()["manage_url"]) == (True, "")
        # The door's token may search, not export.
        assert (await script.get(f"/api/v1/events/{HACKATHON}/registrations.csv")).status_code == 404
        page = await http.get("/organiser/o/perche/tokens")
        token_id = re.search(r"/tokens/([0-9a-f]{16})/revoke", page.text)
        assert token_id is not None
        revoked = await http.post(
            f"/organiser/o/perche/tokens/{token_id.group(1)}/revoke", data={"_csrf_token": csrf, "command_id": "r1"}
        )
        assert revoked.status_code == 303
        after = await script.get(f"/api/v1/events/{HACKATHON}/registrations/search", params={"q": "x"})
        assert after.status_code == 401


async def test_members_page_refuses_a_bad_email_and_the_last_owner_stays(demo: Web, http: httpx.AsyncClient) -> None:
    csrf = await logged_in(http)
    bad = await http.post(
        "/organiser/o/perche/members",
        data={"_csrf_token": csrf, "command_id": "m1", "email": "pas-une-adresse", "role": "organiser"},
    )
    assert bad.status_code == 422
    assert 'id="err-email"' in bad.text and "pas-une-adresse" not in bad.text.split("<table>")[1].split("</table>")[0]
    page = await http.get("/organiser/o/perche/members")
    person = re.search(r"/members/([0-9a-f]{20})/remove", page.text)
    assert person is not None
    last = await http.post(
        f"/organiser/o/perche/members/{person.group(1)}/remove", data={"_csrf_token": csrf, "command_id": "m2"}
    )
    assert last.status_code == 409 and "au moins un·e propriétaire" in last.text


async def test_the_session_check_says_the_persons_roles_and_whether_two_step_login_is_required(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await school_b(demo.nats_url)
    csrf = await logged_in(http)  # the owner of the default organisation
    form = {"_csrf_token": csrf, "command_id": "two-step-on-1", "require_two_step": "1", "name": ""}
    unnamed = await http.post("/organiser/o/perche/settings", data=form)
    assert unnamed.status_code == 422 and 'id="err-name"' in unnamed.text
    form = {**form, "name": "Terres de Perche", "name_en": "Perche lands"}
    assert (await http.post("/organiser/o/perche/settings", data=form)).status_code == 303
    assert "Perche lands" in (await http.get("/o/perche", headers={"Accept-Language": "en"})).text
    nc = await connect(demo.nats_url, "test-session")
    try:
        who = await call(nc, Catalog.AUTHENTICATE, Authenticate(email=OWNER_B, password=PASSWORD), OrganiserReply)
        check = CheckSession(organiser_id=who.organiser_id, session_id=uuid.uuid4().hex, epoch=who.epoch)
        valid = await call(nc, Catalog.CHECK_SESSION, check, SessionValid)
        assert valid.memberships == [Membership(organisation="ecole-b", role="owner")]
        assert valid.require_two_step is False
        grant = GrantMember(command_id="grant-b-1", organisation="perche", email=OWNER_B, role="jury_coordinator")
        await call(nc, Catalog.GRANT_MEMBER, grant, OrganisationChanged)
        valid = await call(nc, Catalog.CHECK_SESSION, check, SessionValid)
        assert valid.memberships == [
            Membership(organisation="ecole-b", role="owner"),
            Membership(organisation="perche", role="jury_coordinator"),
        ]
        assert valid.require_two_step is True  # asked by the default organisation, which they now belong to
        # Meanwhile a session made without a code opens only the page that turns two-step login on.
        token = (await http.post("/api/v1/auth/token", json={"email": OWNER_B, "password": PASSWORD})).json()["token"]
        held = await http.get("/organiser/", headers={"Authorization": f"Bearer {token}"})
        assert held.status_code == 303 and held.headers["location"] == "/organiser/account/two-step"
        off = ChangeOrganisationSettings(command_id="two-step-off-1", organisation="perche", require_two_step=False)
        await call(nc, Catalog.CHANGE_ORGANISATION_SETTINGS, off, OrganisationChanged)
    finally:
        await nc.drain()
    # A jury coordinator's dashboard links to the jury and the results, not to the event or its door.
    dashboard = await http.get("/organiser/", headers={"Authorization": f"Bearer {token}"})
    assert f"/organiser/e/{HACKATHON}/jury" in dashboard.text
    assert f'href="/organiser/e/{HACKATHON}"' not in dashboard.text
    assert f"/organiser/e/{HACKATHON}/checkin" not in dashboard.text
    jury = await http.get(f"/organiser/e/{HACKATHON}/jury", headers={"Authorization": f"Bearer {token}"})
    assert jury.status_code == 200 and f'href="/organiser/e/{HACKATHON}"' not in jury.text


async def test_someone_in_two_organisations_creates_an_event_in_the_one_they_choose(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await school_b(demo.nats_url)
    nc = await connect(demo.nats_url, "test-two")
    try:
        grant = GrantMember(command_id="grant-b-2", organisation="perche", email=OWNER_B, role="organiser")
        await call(nc, Catalog.GRANT_MEMBER, grant, OrganisationChanged)
    finally:
        await nc.drain()
    csrf = await login_token(http)
    assert (await send_login(http, csrf, OWNER_B, PASSWORD, {})).status_code == 303
    form = await http.get("/organiser/new")
    assert 'name="organisation"' in form.text and '<option value="ecole-b">' in form.text
    made = await http.post(
        "/organiser/new/toml",
        data={"_csrf_token": csrf, "command_id": "create-in-b-1", "definition": NEW_EVENT, "organisation": "ecole-b"},
    )
    assert made.status_code == 303, made.text
    slug = made.headers["location"].split("/")[3].split("?")[0]
    nc = await connect(demo.nats_url, "test-two-check")
    try:
        reply = await call(nc, Catalog.GET_EVENT, GetEvent(slug=slug, include_unpublished=True), EventReply)
        assert reply.organisation == "ecole-b"
    finally:
        await nc.drain()
    # Asking for an organisation one is not an organiser of creates nothing.
    refused = await http.post(
        "/organiser/new/toml",
        data={"_csrf_token": csrf, "command_id": "create-in-x-1", "definition": NEW_EVENT, "organisation": "ailleurs"},
    )
    assert refused.status_code == 404


async def test_a_removed_door_volunteer_is_refused_at_once(demo: Web, http: httpx.AsyncClient) -> None:
    nc = await connect(demo.nats_url, "test-door")
    try:
        command = CreateOrganiser(
            command_id=uuid.uuid4().hex, email="porte@example.org", password=PASSWORD, default_role=None
        )
        door = await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
        grant = GrantMember(
            command_id="grant-door-1", organisation="perche", email="porte@example.org", role="door", events=[HACKATHON]
        )
        await call(nc, Catalog.GRANT_MEMBER, grant, OrganisationChanged)
    finally:
        await nc.drain()
    token = (await http.post("/api/v1/auth/token", json={"email": "porte@example.org", "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert (await http.get(f"/organiser/e/{HACKATHON}/checkin", headers=headers)).status_code == 200
    csrf = await logged_in(http)
    removed = await http.post(
        f"/organiser/o/perche/members/{door.organiser_id}/remove", data={"_csrf_token": csrf, "command_id": "rm-door-1"}
    )
    assert removed.status_code == 303
    assert (await http.get(f"/organiser/e/{HACKATHON}/checkin", headers=headers)).status_code == 404
    dashboard = await http.get("/organiser/", headers=headers)
    assert dashboard.status_code == 200 and f"/organiser/e/{HACKATHON}" not in dashboard.text


async def test_those_who_run_perche_make_an_organisation_with_its_first_owner(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await school_b(demo.nats_url)
    csrf = await logged_in(http)
    listed = await http.get("/organiser/organisations/")
    assert listed.status_code == 200 and 'id="o-ecole-b"' in listed.text and 'id="o-perche"' in listed.text
    form = {"_csrf_token": csrf, "command_id": "new-org-1", "name": "École du Nord", "owner": "nord@example.org"}
    # A slug that cannot be one, then one already taken: said next to the field, nothing made.
    bad = await http.post("/organiser/organisations/", data={**form, "slug": "Nord !"})
    assert bad.status_code == 422 and 'id="err-slug"' in bad.text
    taken = await http.post("/organiser/organisations/", data={**form, "slug": "ecole-b"})
    assert taken.status_code == 422 and "Une organisation a déjà cet identifiant" in taken.text
    unnamed = await http.post("/organiser/organisations/", data={**form, "name": ""})
    assert unnamed.status_code == 422 and 'id="err-name"' in unnamed.text
    assert 'id="o-ecole-du-nord"' not in (await http.get("/organiser/organisations/")).text
    made = await http.post("/organiser/organisations/", data=form)
    assert made.status_code == 303 and made.headers["location"] == "/organiser/o/ecole-du-nord/members?done=1"
    members = await http.get("/organiser/o/ecole-du-nord/members")
    assert members.status_code == 200 and "nord@example.org" in members.text
    # Another organisation's owner does not run Perche: the page is not theirs.
    async with httpx.AsyncClient(base_url=demo.url, timeout=10) as other:
        assert (await send_login(other, await login_token(other), OWNER_B, PASSWORD, {})).status_code == 303
        assert (await other.get("/organiser/organisations/")).status_code == 404
