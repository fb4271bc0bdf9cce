"""Organiser sessions and logins over real HTTP, NATS and JetStream, on two web instances at once:
a logout or a new password ends sessions everywhere, failed logins are throttled per account,
and an unknown email costs the same argon2 work as a known one."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from schemas.catalog import Authenticate, OrganiserReply
from schemas.subjects import Catalog
from services.catalog.account_rules import LOGIN_ATTEMPTS
from services.catalog.service import CatalogService
from services.cli.admin import create_organiser
from services.cli.hosting import backend_services
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running, Service
from tests.conftest import HACKATHON, ORGANISER_EMAIL, ORGANISER_PASSWORD, Web, running_web
from tests.integration.login_support import log_in
from tests.integration.test_pages import Page

NEW_PASSWORD = "un tout nouveau mot de passe"
REGISTRATIONS = f"/api/v1/events/{HACKATHON}/registrations"


@asynccontextmanager
async def web_client(nats_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """One more web instance on this NATS, and a client of it."""
    async with running_web(nats_url, tmp_path) as web, httpx.AsyncClient(base_url=web.url, timeout=10) as client:
        yield client


@pytest.fixture
async def other(demo: Web, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A second web instance on the same NATS: another address, another process in production."""
    async with web_client(demo.nats_url, tmp_path / "other") as client:
        yield client


async def bearer(client: httpx.AsyncClient, password: str = ORGANISER_PASSWORD) -> dict[str, str]:
    reply = await client.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def session_cookie(client: httpx.AsyncClient) -> str:
    value = client.cookies.get("perche_session")
    assert value, "no session cookie"
    return value


async def replayed(client: httpx.AsyncClient, path: str, cookie: str) -> httpx.Response:
    """GET path with only this session cookie, as someone holding a copy of it would."""
    async with httpx.AsyncClient(base_url=client.base_url, cookies={"perche_session": cookie}, timeout=10) as copy:
        return await copy.get(path)


async def opens_dashboard(client: httpx.AsyncClient, cookie: str) -> bool:
    """Whether this cookie value, replayed alone, opens the dashboard (else: the login page)."""
    reply = await replayed(client, "/organiser/", cookie)
    if reply.status_code == 303:
        assert reply.headers["location"].startswith("/organiser/login")
        return False
    assert reply.status_code == 200, reply.text
    return True


async def api_status(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get(REGISTRATIONS, headers=headers)).status_code


async def test_a_cookie_replayed_after_logout_opens_nothing(demo: Web, http: httpx.AsyncClient) -> None:
    assert (await log_in(http)).status_code == 303
    cookie = session_cookie(http)
    assert await opens_dashboard(http, cookie)
    dashboard = Page((await http.get("/organiser/")).text)

    out = await http.post("/organiser/logout", data={"_csrf_token": dashboard.fields["_csrf_token"]})
    assert (out.status_code, out.headers["location"]) == (303, "/organiser/login")
    assert "perche_session" not in http.cookies  # the browser is told to forget it...
    assert not await opens_dashboard(http, cookie)  # ...and a copy of it is refused
    refused = await replayed(http, REGISTRATIONS, cookie)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    # Logging in again opens a new session.
    assert (await log_in(http)).status_code == 303
    assert await opens_dashboard(http, session_cookie(http))


async def test_a_bearer_token_after_its_logout_is_a_401_on_every_instance(
    demo: Web, http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    mine, kept = await bearer(http), await bearer(other)
    assert await api_status(other, mine) == 200

    out = await http.post("/api/v1/auth/logout", headers=mine)
    assert out.status_code == 204 and out.content == b""
    # Refused at once by the instance that did not answer the logout, and by the one that did.
    assert await api_status(other, mine) == 401
    assert await api_status(http, mine) == 401
    assert (await http.post("/api/v1/auth/logout", headers=mine)).status_code == 401
    # Only that session ended: the organiser's other token still works.
    assert await api_status(http, kept) == 200
    assert (await http.post("/api/v1/auth/logout")).status_code == 401


async def test_a_password_changed_on_another_instance_ends_every_older_token(
    demo: Web, http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    tokens = [await bearer(http), await bearer(other)]
    assert (await log_in(http)).status_code == 303
    cookie = session_cookie(http)
    assert await opens_dashboard(other, cookie)

    changer = await bearer(other)
    wrong = await other.post(
        "/api/v1/auth/password", headers=changer, json={"current_password": "pas le bon", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    assert await api_status(http, tokens[0]) == 200  # a refused change ends nothing

    changed = await other.post(
        "/api/v1/auth/password",
        headers=changer,
        json={"current_password": ORGANISER_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['token']}"}

    for client in (http, other):
        for headers in (*tokens, changer):
            assert await api_status(client, headers) == 401
        assert not await opens_dashboard(client, cookie)
        assert await api_status(client, fresh) == 200
    old = await http.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
    assert old.status_code == 401
    assert await api_status(http, await bearer(http, NEW_PASSWORD)) == 200


async def test_a_reset_with_perche_organiser_create_replace_ends_every_session(
    demo: Web, http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    token = await bearer(other)
    # The same password again (what `perche up` does at each start with PERCHE_ADMIN_*) ends nothing.
    await create_organiser(demo.nats_url, ORGANISER_EMAIL, ORGANISER_PASSWORD, replace=True)
    assert await api_status(http, token) == 200

    await create_organiser(demo.nats_url, ORGANISER_EMAIL, NEW_PASSWORD, replace=True)
    assert await api_status(http, token) == 401
    assert await api_status(other, token) == 401
    assert await api_status(other, await bearer(http, NEW_PASSWORD)) == 200


async def test_the_dashboard_changes_the_password_and_keeps_only_this_browser_logged_in(
    demo: Web, http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    elsewhere = await bearer(other)
    assert (await log_in(http)).status_code == 303
    before = session_cookie(http)
    dashboard = await http.get("/organiser/")
    assert 'href="/organiser/password"' in dashboard.text
    form = Page((await http.get("/organiser/password")).text).fields

    mismatch = await http.post(
        "/organiser/password",
        data={**form, "current_password": ORGANISER_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": "x"},
    )
    assert mismatch.status_code == 422
    assert Page(mismatch.text).text_of("err-password") == "Les deux nouveaux mots de passe ne sont pas identiques."
    wrong = await http.post(
        "/organiser/password",
        data={**form, "current_password": "pas le bon", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert wrong.status_code == 422
    assert Page(wrong.text).text_of("err-password") == "The current password is not the right one."
    short = await http.post(
        "/organiser/password",
        data={**form, "current_password": ORGANISER_PASSWORD, "new_password": "court", "confirm_password": "court"},
    )
    assert short.status_code == 422
    assert Page(short.text).text_of("err-password") == "Le mot de passe doit compter au moins 10 caractères."
    assert await api_status(other, elsewhere) == 200

    done = await http.post(
        "/organiser/password",
        data={
            **form,
            "current_password": ORGANISER_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, "/organiser/password?done=1")
    after = session_cookie(http)
    assert after != before
    confirmation = Page((await http.get(done.headers["location"])).text)
    assert confirmation.text_of("password-changed") == (
        "Votre mot de passe est changé. Vos autres sessions sont fermées, sur tous les appareils."
    )
    assert await opens_dashboard(other, after)
    assert not await opens_dashboard(other, before)
    assert await api_status(other, elsewhere) == 401


async def wrong_logins(clients: list[httpx.AsyncClient], email: str, times: int) -> None:
    for i in range(times):
        reply = await log_in(clients[i % len(clients)], email, "pas le bon")
        assert reply.status_code == 401, reply.text
        assert Page(reply.text).text_of("err-login") == "Adresse e-mail ou mot de passe incorrect."


async def test_failed_logins_of_one_account_from_two_addresses_lock_that_account_only(
    demo: Web, http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await wrong_logins([http, other], ORGANISER_EMAIL, LOGIN_ATTEMPTS)

    # Even the right password is refused now, from either instance, in the page's language.
    locked = await log_in(http)
    assert locked.status_code == 429
    # When to come back: within the quarter of an hour the failures count for.
    assert 1 <= int(locked.headers["retry-after"]) <= 900
    assert Page(locked.text).text_of("err-login") == (
        "Trop de tentatives de connexion échouées pour ce compte : réessayez dans un quart d'heure."
    )
    english = await log_in(other, **{"Accept-Language": "en"})
    assert english.status_code == 429
    assert Page(english.text).text_of("err-login") == (
        "Too many failed logins for this account: try again in a quarter of an hour."
    )
    api = await other.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    assert 1 <= int(api.headers["retry-after"]) <= 900
    assert "perche_session" not in http.cookies and "perche_session" not in other.cookies

    # Another account is not locked by this one's failures.
    await create_organiser(demo.nats_url, "autre@example.org", ORGANISER_PASSWORD, replace=False)
    assert (await log_in(other, "autre@example.org")).status_code == 303
    # An unknown email is throttled the same way, so the lock tells nothing about who is an organiser.
    await wrong_logins([other, http], "personne@example.org", LOGIN_ATTEMPTS)
    assert (await log_in(http, "personne@example.org", "pas le bon")).status_code == 429


async def test_an_overlong_email_or_password_is_refused_like_a_wrong_one(demo: Web, http: httpx.AsyncClient) -> None:
    for email, password in ((ORGANISER_EMAIL, "x" * 5000), ("a" * 300 + "@example.org", ORGANISER_PASSWORD)):
        page = await log_in(http, email, password)
        assert page.status_code == 401
        assert Page(page.text).text_of("err-login") == "Adresse e-mail ou mot de passe incorrect."
        api = await http.post("/api/v1/auth/token", json={"email": email, "password": password})
        # The body's own limits (400) or the catalog's (422) refuse it first: both say `invalid`, never 5xx.
        assert api.status_code in (400, 422) and api.json()["code"] == "invalid"


async def test_a_successful_login_clears_the_failures_before_it(
    demo: Web, http: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    await wrong_logins([http, other], ORGANISER_EMAIL, LOGIN_ATTEMPTS - 1)
    assert (await log_in(other)).status_code == 303
    await wrong_logins([other, http], ORGANISER_EMAIL, LOGIN_ATTEMPTS - 1)
    assert (await log_in(http)).status_code == 303


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts the verifications it performs."""

    def __init__(self, **parameters: int) -> None:
        super().__init__(**parameters)
        self.verified: list[bool] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's own name
        try:
            right = super().verify(hash, password)
        except Exception:
            self.verified.append(False)
            raise
        self.verified.append(right)
        return right


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@asynccontextmanager
async def backend_with(nats_url: str, hasher: PasswordHasher, extra: Sequence[Service] = ()) -> AsyncIterator[None]:
    """The whole backend, its catalog using this hasher, and one organiser."""
    services = [CatalogService(hasher) if isinstance(s, CatalogService) else s for s in backend_services()]
    running = Running([*services, *extra], nats_url)
    await running.start()
    try:
        await create_organiser(nats_url, ORGANISER_EMAIL, ORGANISER_PASSWORD, replace=False)
        yield
    finally:
        await running.stop()


@pytest.fixture
async def counted(nats_url: str, hasher: CountingHasher, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The backend with a catalog whose argon2 verifications are counted, and one web instance."""
    async with backend_with(nats_url, hasher), web_client(nats_url, tmp_path / "web") as client:
        yield client


async def test_an_unknown_email_costs_one_argon2_verification_like_a_known_one(
    counted: httpx.AsyncClient, hasher: CountingHasher, nats_url: str
) -> None:
    start = len(hasher.verified)
    known = await counted.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": "pas le bon"})
    assert known.status_code == 401
    assert hasher.verified[start:] == [False]

    unknown = await counted.post("/api/v1/auth/token", json={"email": "personne@example.org", "password": "pas le bon"})
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert hasher.verified[start:] == [False, False]

    # Straight to the catalog too (no web in between): the same one verification each.
    client = await connect(nats_url, "test-login")
    try:
        for email in ("inconnu@example.org", ORGANISER_EMAIL):
            with pytest.raises(ServiceError) as refused:
                await call(client, Catalog.AUTHENTICATE, Authenticate(email=email, password="faux"), OrganiserReply)
            assert refused.value.reply.key == "wrong_credentials"
        assert hasher.verified[start:] == [False, False, False, False]
        right = Authenticate(email=ORGANISER_EMAIL, password=ORGANISER_PASSWORD)
        assert (await call(client, Catalog.AUTHENTICATE, right, OrganiserReply)).email == ORGANISER_EMAIL
        assert hasher.verified[start:] == [False, False, False, False, True]
    finally:
        await client.drain()


async def test_concurrent_guesses_on_two_catalog_instances_get_no_more_than_five_tries(
    nats_url: str, tmp_path: Path
) -> None:
    # Real argon2 at a low cost: what is tested is how many passwords get checked, not how slowly,
    # and twelve expensive checks at once would only test how loaded the machine is.
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    async with (
        backend_with(nats_url, hasher, extra=[CatalogService(hasher)]),
        web_client(nats_url, tmp_path / "a") as one,
        web_client(nats_url, tmp_path / "b") as two,
    ):
        guesses = [
            client.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": f"essai {i}"})
            for i, client in enumerate([one, two] * 6)
        ]
        replies = await asyncio.gather(*guesses)
    statuses = sorted(reply.status_code for reply in replies)
    # Each attempt is counted before its password is checked, so however they interleave over the
    # two catalogs, exactly LOGIN_ATTEMPTS passwords were checked and every other guess was refused.
    assert statuses == [401] * LOGIN_ATTEMPTS + [429] * (12 - LOGIN_ATTEMPTS), [r.text for r in replies]
    assert hasher.verified == [False] * LOGIN_ATTEMPTS
