"""Organiser accounts over real NATS, HTTP and SMTP (aiosmtpd): invitations and password resets by
mail, throttles per address, log out everywhere, two-step login with TOTP and recovery codes.

The catalog runs on a clock the test moves (its injectable clock), so a link expires without waiting.
"""

import base64
import contextlib
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pyotp
import pytest

from schemas.catalog import CheckSession, SessionValid
from schemas.organisations import DEFAULT_ORGANISATION
from schemas.subjects import Catalog
from services.catalog.service import CatalogService
from services.kit.client import call
from services.kit.lifecycle import Service
from services.registration.service import RegistrationService
from tests.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD, Web, create_organiser, running_web
from tests.integration.login_support import log_in, logged_in
from tests.integration.notify_support import Inbox, Stack, text_of, wait_until
from tests.integration.test_pages import Page

NEW_PASSWORD = "un mot de passe tout neuf"
LINK = re.compile(r"https://perche\.example(/organiser/(?:welcome|reset)/[A-Za-z0-9_-]+)")


class Clock:
    """The catalog's clock: the real one (as the test travels), moved ahead when the test says so."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, by: timedelta) -> None:
        self.ahead += by


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def notify_backend(clock: Clock) -> list[Service]:
    return [CatalogService(clock=clock), RegistrationService()]


@pytest.fixture
async def site(stack: Stack, tmp_path: Path) -> AsyncIterator[Web]:
    """A web instance on the stack's NATS, with the demo organiser."""
    await create_organiser(stack.nats_url)
    async with running_web(stack.nats_url, tmp_path / "web") as web:
        yield web


@pytest.fixture
async def second_site(site: Web, tmp_path: Path) -> AsyncIterator[Web]:
    """Another web instance on the same NATS: another process in production."""
    async with running_web(site.nats_url, tmp_path / "web2") as web:
        yield web


def client(web: Web) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=web.url, timeout=15)


async def fields_of(http: httpx.AsyncClient, path: str) -> dict[str, str]:
    page = await http.get(path)
    assert page.status_code == 200, page.text
    return Page(page.text).fields


async def send(http: httpx.AsyncClient, path: str, form_path: str | None = None, **values: str) -> httpx.Response:
    """The form of `form_path` (default: `path`) as a browser sends it, its hidden fields included."""
    return await http.post(path, data={**(await fields_of(http, form_path or path)), **values})


async def opens_dashboard(web: Web, cookie: str) -> bool:
    async with httpx.AsyncClient(base_url=web.url, cookies={"perche_session": cookie}, timeout=10) as copy:
        reply = await copy.get("/organiser/")
    assert reply.status_code in (200, 303), reply.text
    return reply.status_code == 200


def cookie_of(http: httpx.AsyncClient) -> str:
    value = http.cookies.get("perche_session")
    assert value
    return value


async def mail_to(inbox: Inbox, address: str, count: int = 1) -> EmailMessage:
    await wait_until(lambda: len(inbox.to(address)) >= count)
    return inbox.to(address)[count - 1]


def link_in(message: EmailMessage) -> str:
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


# An owner invites by giving a role: a person without an account is mailed the link to make one.
MEMBERS = f"/organiser/o/{DEFAULT_ORGANISATION}/members"


async def invite(web: Web, email: str, language: str = "fr", role: str = "organiser") -> httpx.Response:
    async with client(web) as http:
        await logged_in(http)
        return await send(http, MEMBERS, email=email, role=role, language=language)


# --- invitations ---


async def test_an_invited_person_gets_the_mail_sets_a_password_once_and_is_logged_in(site: Web, inbox: Inbox) -> None:
    sent = await invite(site, "porte@example.org", "en")
    assert sent.status_code == 303, sent.text
    message = await mail_to(inbox, "porte@example.org")
    assert message["X-Perche-Kind"] == "account_invitation"
    assert message["Subject"].startswith("Your invitation to organise with ")
    assert "orga@example.org invites you" in text_of(message)
    path = link_in(message)

    async with client(site) as newcomer:
        form = await newcomer.get(path)
        assert form.status_code == 200 and "porte@example.org" in form.text
        # Two different passwords, then a short one: a precise message, nothing made.
        differ = await send(newcomer, path, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD + "!")
        assert differ.status_code == 422
        assert Page(differ.text).text_of("err-confirm_password") == "Les deux mots de passe ne sont pas identiques."
        short = await send(newcomer, path, password="court", confirm_password="court")
        assert short.status_code == 422
        assert Page(short.text).text_of("err-password") == "Le mot de passe doit compter au moins 10 caractères."
        made = await send(newcomer, path, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
        assert made.status_code == 303 and made.headers["location"] == "/organiser/"
        assert await opens_dashboard(site, cookie_of(newcomer))
        # Their roles are the one given, nothing more: no members page of the organisation for them.
        assert (await newcomer.get(MEMBERS)).status_code == 404

    async with client(site) as again:
        used = await again.get(path)
        assert used.status_code == 409
        assert Page(used.text).text_of("err-link").startswith("Ce lien a déjà servi")
        fields = Page((await again.get("/organiser/forgot")).text).fields  # a CSRF token of this browser
        other = "autre mot de passe"
        retried = await again.post(
            path, data={**fields, "password": "autre mot de passe", "confirm_password": "autre mot de passe"}
        )
        assert retried.status_code == 409 and "Ce lien a déjà servi" in retried.text
        # The password stays the one chosen first.
        assert (await log_in(again, "porte@example.org", other)).status_code == 401
        assert (await log_in(again, "porte@example.org", NEW_PASSWORD)).status_code == 303


async def test_an_expired_invitation_is_refused_precisely_and_a_forged_one_as_unknown(
    site: Web, inbox: Inbox, clock: Clock
) -> None:
    await invite(site, "tard@example.org")
    path = link_in(await mail_to(inbox, "tard@example.org"))
    clock.advance(timedelta(days=7, seconds=1))
    async with client(site) as late:
        expired = await late.get(path)
        assert expired.status_code == 409
        assert Page(expired.text).text_of("err-link") == (
            "Ce lien d'invitation a expiré : demandez une nouvelle invitation à l'organisation."
        )
        fields = Page((await late.get("/organiser/forgot")).text).fields
        refused = await late.post(path, data={**fields, "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
        assert refused.status_code == 409 and "perche_session" not in late.cookies
        assert (await log_in(late, "tard@example.org", NEW_PASSWORD)).status_code == 401

        forged = await late.get(path[:-4] + "abcd")
        assert forged.status_code == 404
        assert Page(forged.text).text_of("err-link").startswith("Ce lien d'invitation n'est pas valable")
        assert (await late.get("/organiser/welcome/" + "x" * 500)).status_code == 404


async def test_giving_a_role_to_someone_who_has_an_account_mails_nothing(site: Web, inbox: Inbox) -> None:
    await create_organiser(site.nats_url, "deja@example.org", "un mot de passe solide")
    sent = await invite(site, "DEJA@example.org", role="door")
    assert sent.status_code == 422  # the door needs its events: nothing given, nothing mailed
    sent = await invite(site, "DEJA@example.org", role="jury_coordinator")
    assert sent.status_code == 303, sent.text
    bad = await invite(site, "pas-une-adresse")
    assert bad.status_code == 422
    assert Page(bad.text).text_of("err-email") == "Cette adresse e-mail ne semble pas valide : vérifiez-la."
    assert inbox.messages == []


async def test_an_invitation_sent_twice_by_a_double_click_mails_one_link(site: Web, inbox: Inbox, stack: Stack) -> None:
    async with client(site) as http:
        await logged_in(http)
        fields = await fields_of(http, MEMBERS)
        for _ in range(2):
            answer = await http.post(MEMBERS, data={**fields, "email": "double@example.org", "role": "organiser"})
            assert answer.status_code == 303, answer.text
        # Added again (another command): the invitation goes out again; the double click sent only one.
        await send(http, MEMBERS, email="double@example.org", role="organiser")
        await mail_to(inbox, "double@example.org", 2)
        await wait_until(lambda: stack.service().account_mails.background.idle)
        assert len({link_in(m) for m in inbox.to("double@example.org")}) == 2
        assert len(inbox.to("double@example.org")) == 2


# --- password reset ---


async def test_a_reset_answers_alike_for_an_unknown_address_and_ends_every_earlier_session(
    site: Web, second_site: Web, inbox: Inbox
) -> None:
    async with client(second_site) as elsewhere:
        await logged_in(elsewhere)
        earlier = cookie_of(elsewhere)

    async with client(site) as http:
        assert 'href="/organiser/forgot"' in (await http.get("/organiser/login")).text
        unknown = await send(http, "/organiser/forgot", email="personne@example.org")
        known = await send(http, "/organiser/forgot", email=ORGANISER_EMAIL)
        assert unknown.status_code == known.status_code == 200
        assert Page(unknown.text).text_of("forgot-sent") == Page(known.text).text_of("forgot-sent")
        message = await mail_to(inbox, ORGANISER_EMAIL)
        assert message["X-Perche-Kind"] == "account_reset"
        assert inbox.to("personne@example.org") == []
        path = link_in(message)
        assert path.startswith("/organiser/reset/")

        done = await send(http, path, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/organiser/login?reset=1"
        # The session made before, on another instance, is refused; the old password too.
        assert not await opens_dashboard(site, earlier)
        assert (await log_in(http, ORGANISER_EMAIL, ORGANISER_PASSWORD)).status_code == 401
        assert (await log_in(http, ORGANISER_EMAIL, NEW_PASSWORD)).status_code == 303

        used = await http.get(path)
        assert used.status_code == 409 and Page(used.text).text_of("err-link").startswith("Ce lien a déjà servi")


async def test_a_reset_link_expires_after_an_hour(site: Web, inbox: Inbox, clock: Clock) -> None:
    async with client(site) as http:
        await send(http, "/organiser/forgot", email=ORGANISER_EMAIL)
        path = link_in(await mail_to(inbox, ORGANISER_EMAIL))
        clock.advance(timedelta(hours=1))
        expired = await http.get(path)
        assert expired.status_code == 409
        assert (
            Page(expired.text).text_of("err-link") == "Ce lien a expiré (il valait une heure) : demandez-en un nouveau."
        )
        assert (await log_in(http)).status_code == 303  # the password did not change


async def test_reset_requests_are_throttled_per_email_whether_or_not_it_has_an_account(site: Web, inbox: Inbox) -> None:
    async with client(site) as http:
        for email in ("inconnu@example.org", ORGANISER_EMAIL):
            answers = [await send(http, "/organiser/forgot", email=email) for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert int(answers[-1].headers["Retry-After"]) > 0
            assert Page(answers[-1].text).text_of("err-email") == (
                "Trop de courriels demandés pour le moment : réessayez dans une heure."
            )
        await wait_until(lambda: len(inbox.to(ORGANISER_EMAIL)) == 3)


async def test_reset_requests_from_one_address_are_throttled_whatever_the_emails(site: Web) -> None:
    async with client(site) as http:
        answers = [await send(http, "/organiser/forgot", email=f"quelqu-un-{i}@example.org") for i in range(11)]
        assert [a.status_code for a in answers] == [200] * 10 + [429]
        assert int(answers[-1].headers["Retry-After"]) > 0


# --- throttles per address ---


async def test_failed_logins_from_one_address_are_throttled_across_accounts_and_instances(
    site: Web, second_site: Web, clock: Clock
) -> None:
    async with client(site) as one, client(second_site) as other:
        for i in range(20):
            # Another account each time: the per-account throttle never trips.
            answer = await log_in(one if i % 2 else other, f"essai{i}@example.org", "pas le bon")
            assert answer.status_code == 401
        throttled = await log_in(one, ORGANISER_EMAIL, ORGANISER_PASSWORD)
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
        assert "depuis cette adresse" in Page(throttled.text).text_of("err-login")
        api = await other.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
        assert api.status_code == 429
        clock.advance(timedelta(minutes=15, seconds=1))
        assert (await log_in(other)).status_code == 303


# --- log out everywhere ---


async def test_log_out_everywhere_ends_every_session_of_the_account_on_every_instance(
    site: Web, second_site: Web
) -> None:
    async with client(site) as here, client(second_site) as there:
        await logged_in(here)
        await logged_in(there)
        token = (
            await there.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
        ).json()["token"]
        mine, theirs = cookie_of(here), cookie_of(there)
        page = await here.get("/organiser/account")
        assert page.status_code == 200 and "Se déconnecter partout" in page.text

        ended = await send(here, "/organiser/account/everywhere", "/organiser/account")
        assert ended.status_code == 303 and ended.headers["location"] == "/organiser/login?everywhere=1"
        assert "perche_session" not in here.cookies
        assert not await opens_dashboard(second_site, theirs)
        assert not await opens_dashboard(site, mine)
        api = await there.get("/api/v1/events/hackathon/registrations", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401
        # The password stays: a new login works.
        assert (await log_in(here)).status_code == 303


# --- two-step login ---


async def turn_two_step_on(http: httpx.AsyncClient, clock: Clock) -> tuple[str, list[str]]:
    """Two-step login turned on from the account page; (the secret, the recovery codes)."""
    setup = Page((await http.get("/organiser/account/two-step")).text)
    secret = setup.text_of("two-step-secret").replace(" ", "")
    assert "<svg" in setup.source
    wrong = f"{(int(pyotp.TOTP(secret).at(clock())) + 1) % 1_000_000:06d}"
    refused = await send(http, "/organiser/account/two-step", code=wrong)
    assert refused.status_code == 422 and Page(refused.text).text_of("err-code").startswith("Ce code n'est pas le bon")
    assert "Désactivée" in (await http.get("/organiser/account")).text
    enabled = await send(http, "/organiser/account/two-step", code=pyotp.TOTP(secret).at(clock()))
    assert enabled.status_code == 200, enabled.text
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", enabled.text)
    assert len(codes) == 10
    return secret, codes


async def second_step(web: Web, code: str, http: httpx.AsyncClient | None = None) -> httpx.Response:
    """A browser (a new one unless given) logs in with the password, then gives this code."""
    async with contextlib.AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(client(web))
        first = await log_in(http)
        assert first.status_code == 303 and first.headers["location"].startswith("/organiser/login/code")
        assert "perche_session" not in http.cookies
        assert (await http.get("/organiser/")).status_code == 303  # no session before the code
        answer = await send(http, "/organiser/login/code", first.headers["location"], code=code)
        if answer.status_code == 303:
            assert await opens_dashboard(web, cookie_of(http))
        return answer


async def test_two_step_login_needs_a_code_refuses_a_replay_and_takes_each_recovery_code_once(
    site: Web, stack: Stack, clock: Clock
) -> None:
    async with client(site) as before, client(site) as http:
        await logged_in(before)
        await logged_in(http)
        secret, codes = await turn_two_step_on(http, clock)
        totp = pyotp.TOTP(secret)
        # This browser goes on; a session made before without a code has ended.
        assert "Activée :" in (await http.get("/organiser/account")).text
        assert not await opens_dashboard(site, cookie_of(before))

    # The code that turned it on cannot log in: same time step.
    replayed = await second_step(site, totp.at(clock()))
    assert replayed.status_code == 422
    assert Page(replayed.text).text_of("err-code").startswith("Ce code a déjà servi")
    clock.advance(timedelta(seconds=30))
    code = totp.at(clock())
    assert (await second_step(site, code)).status_code == 303
    assert (await second_step(site, code)).status_code == 422  # replayed

    assert (await second_step(site, codes[0])).status_code == 303
    again = await second_step(site, codes[0])
    assert again.status_code == 422 and Page(again.text).text_of("err-code").startswith("Ce code n'est pas le bon")

    # The API asks for the code too; the session check says the session was made with two steps.
    async with client(site) as api:
        body = {"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}
        missing = await api.post("/api/v1/auth/token", json=body)
        assert missing.status_code == 401 and missing.json()["field"] == "code"
        clock.advance(timedelta(seconds=30))
        token = await api.post("/api/v1/auth/token", json={**body, "code": totp.at(clock())})
        assert token.status_code == 200
        organiser_id, _email, _expires, session_id, epoch = json.loads(
            base64.urlsafe_b64decode(token.json()["token"].partition(".")[0] + "==")
        )
        check = CheckSession(organiser_id=organiser_id, session_id=session_id, epoch=epoch)
        assert (await call(stack.nc, Catalog.CHECK_SESSION, check, SessionValid)).two_step is True

    # Off, with a code: the next login needs none.
    async with client(site) as http:
        clock.advance(timedelta(seconds=30))
        assert (await second_step(site, totp.at(clock()), http)).status_code == 303
        assert "Il vous reste 9 codes de secours." in Page((await http.get("/organiser/account")).text).text
        clock.advance(timedelta(seconds=30))
        off = await send(http, "/organiser/account/two-step/off", "/organiser/account", code=totp.at(clock()))
        assert off.status_code == 303 and off.headers["location"] == "/organiser/account?done=off"
    async with client(site) as plain:
        assert (await log_in(plain)).status_code == 303
        assert (await call(stack.nc, Catalog.CHECK_SESSION, check, SessionValid)).two_step is False


async def test_turning_two_step_on_twice_by_a_double_click_shows_codes_that_work(site: Web, clock: Clock) -> None:
    async with client(site) as http:
        await logged_in(http)
        setup = Page((await http.get("/organiser/account/two-step")).text)
        secret = setup.text_of("two-step-secret").replace(" ", "")
        form = {**setup.fields, "code": pyotp.TOTP(secret).at(clock())}
        first = await http.post("/organiser/account/two-step", data=form)
        second = await http.post("/organiser/account/two-step", data=form)
        assert first.status_code == second.status_code == 200
        shown = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", second.text)
        assert len(shown) == 10
    # The codes of the answer the browser shows last work; those of the first never shown do not.
    assert (await second_step(site, shown[0])).status_code == 303
    unseen = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", first.text)[0]
    assert (await second_step(site, unseen)).status_code == 422


async def test_wrong_codes_are_throttled_like_wrong_passwords(site: Web, clock: Clock) -> None:
    async with client(site) as http:
        await logged_in(http)
        secret, _codes = await turn_two_step_on(http, clock)  # one wrong code already counted, then cleared
    async with client(site) as guesser:
        first = await log_in(guesser)
        location = first.headers["location"]
        answers = [await send(guesser, "/organiser/login/code", location, code="000000") for _ in range(6)]
        assert [a.status_code for a in answers[:5]] == [422] * 5
        assert answers[5].status_code == 429 and int(answers[5].headers["Retry-After"]) > 0
        clock.advance(timedelta(seconds=60))
        # The right code waits for the throttle too.
        assert (
            await send(guesser, "/organiser/login/code", location, code=pyotp.TOTP(secret).at(clock()))
        ).status_code == 429


async def test_an_organisation_that_requires_two_step_login_lets_in_only_its_members_who_turned_it_on(
    site: Web, clock: Clock
) -> None:
    async with client(site) as http:
        await logged_in(http)
        form = await fields_of(http, f"/organiser/o/{DEFAULT_ORGANISATION}/members")
        asked = {**form, "require_two_step": "1", "name": "Terres de Perche"}
        assert (await http.post(f"/organiser/o/{DEFAULT_ORGANISATION}/settings", data=asked)).status_code == 303
        # This session has no second step: its pages lead to turning it on, the API says why.
        dashboard = await http.get("/organiser/")
        assert dashboard.status_code == 303 and dashboard.headers["location"] == "/organiser/account/two-step"
        setup = await http.get("/organiser/account/two-step")
        assert setup.status_code == 200 and "two-step-required" in Page(setup.text).by_id
        token = await http.post("/api/v1/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD})
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['token']}"}
        api = await http.get("/api/v1/events/any-event/registrations", headers=bearer)
        assert api.status_code == 403 and "deux étapes" in api.json()["message"]
        secret, _codes = await turn_two_step_on(http, clock)
    clock.advance(timedelta(seconds=31))  # the next code: the one used to turn it on cannot come again
    async with client(site) as again:
        assert (await second_step(site, pyotp.TOTP(secret).at(clock()), again)).status_code == 303
        assert (await again.get("/organiser/")).status_code == 200
