"""Browser hardening over real HTTP: every kind of answer carries the Content-Security-Policy
and its companions, private answers are never stored nor referred, inline scripts and styles
run only with the request's nonce, and cookies are Secure with HSTS over https only."""

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from services.kit.lifecycle import Running
from tests.conftest import HACKATHON, ROUND_TABLE, Web, running_web
from tests.integration.login_support import logged_in
from tests.integration.test_judging import JURY, post_form

PUBLIC = [
    "/",
    f"/e/{HACKATHON}",
    f"/e/{HACKATHON}?lang=en",
    f"/e/{HACKATHON}/agenda",
    f"/e/{HACKATHON}/teams",
    f"/e/{HACKATHON}/results",
    f"/e/{HACKATHON}/screen",
    f"/e/{HACKATHON}/screen/board",
    f"/e/{HACKATHON}/calendar.ics",
    "/api/v1/events",
    f"/api/v1/events/{HACKATHON}",
    f"/api/v1/events/{HACKATHON}/agenda",
    "/schema",
    "/schema/swagger",
    "/schema/openapi.json",
    "/schema/swagger-ui/swagger-ui-bundle.js",
    "/healthz",
]


def policy(reply: httpx.Response) -> dict[str, str]:
    """The Content-Security-Policy as directive → sources."""
    found = {}
    for part in reply.headers["content-security-policy"].split(";"):
        name, _, sources = part.strip().partition(" ")
        found[name] = sources
    return found


def assert_hardened(reply: httpx.Response) -> None:
    where = f"{reply.request.method} {reply.request.url.path} ({reply.status_code})"
    csp = policy(reply)
    assert "unsafe-inline" not in reply.headers["content-security-policy"], where
    assert "unsafe-eval" not in reply.headers["content-security-policy"], where
    assert csp["default-src"] == "'self'", where
    assert csp["frame-ancestors"] == "'none'", where
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'", where
    assert csp["form-action"] == "'self'" and csp["connect-src"] == "'self'", where
    assert csp["worker-src"] == "'self'", where
    assert re.fullmatch(r"('self' )?'nonce-[A-Za-z0-9_-]{24}'", csp["script-src"]), where
    assert reply.headers["x-content-type-options"] == "nosniff", where
    assert reply.headers["x-frame-options"] == "DENY", where
    assert reply.headers["referrer-policy"] in ("no-referrer", "strict-origin"), where


def assert_private(reply: httpx.Response) -> None:
    where = f"{reply.request.method} {reply.request.url.path} ({reply.status_code})"
    assert_hardened(reply)
    assert reply.headers["cache-control"] == "no-store", where
    assert reply.headers["referrer-policy"] == "no-referrer", where


async def register(http: httpx.AsyncClient, slug: str = ROUND_TABLE) -> dict[str, str]:
    body = {"name": "Hélène Bézier", "email": "helene@example.org", "consent": True, "category": "public"}
    reply = await http.post(f"/api/v1/events/{slug}/registrations", json=body)
    assert reply.status_code == 201, reply.text
    assert_private(reply)
    person: dict[str, str] = reply.json()
    return person


def local(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def test_every_public_answer_carries_the_policy_and_is_referred_by_its_origin_only(
    demo: Web, http: httpx.AsyncClient
) -> None:
    for path in PUBLIC:
        reply = await http.get(path)
        assert reply.status_code == 200, (path, reply.status_code)
        assert_hardened(reply)
        assert reply.headers["referrer-policy"] == "strict-origin", path
        assert "strict-transport-security" not in reply.headers, path  # plain http: local use
    # Public answers keep their own caching: the feed is shared by everyone.
    assert (await http.get(f"/e/{HACKATHON}/calendar.ics")).headers["cache-control"] == "public, max-age=60"
    assert "cache-control" not in (await http.get(f"/e/{HACKATHON}")).headers


async def test_error_answers_carry_the_policy_too(demo: Web, http: httpx.AsyncClient) -> None:
    answers = [
        await http.get("/no/such/page"),  # 404 from the router, before any handler
        await http.get("/api/v1/no-such-thing"),
        await http.get("/e/no-such-event"),  # 404 from a handler
        await http.post(f"/e/{HACKATHON}/agenda"),  # 405
        await http.post(f"/e/{HACKATHON}", data={"name": "x"}),  # 403: no CSRF token
        await http.get("/schema/redoc"),  # the doc UIs Perche does not serve
        await http.get(f"/api/v1/events/{HACKATHON}/registrations"),  # 401
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 405, 403, 404, 401]
    for reply in answers:
        assert_hardened(reply)
    # A write, even refused, and an organiser call are private.
    for reply in answers[3:5] + answers[6:]:
        assert_private(reply)


async def test_private_pages_and_personal_answers_are_never_stored_and_never_referred(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    person = await register(http)
    manage, token = local(person["manage_url"]), person["manage_url"].split("token=")[1]
    private = [
        await http.get(manage),
        await http.get(f"/r/{person['id']}?token=wrong"),  # refused, still private
        await http.get(local(person["calendar_url"])),  # a personal feed with its token
        await http.get(f"/api/v1/registrations/{person['id']}", params={"token": token}),
        await http.get(f"/api/v1/events/{ROUND_TABLE}/registrations", headers=organiser_headers),
        await http.get(f"/api/v1/events/{ROUND_TABLE}/registrations.csv", headers=organiser_headers),
        await http.get(f"/api/v1/events/{HACKATHON}", headers=organiser_headers),  # sent with credentials
        await http.get("/jury/sw.js"),
    ]
    assert [r.status_code for r in private] == [200, 403, 200, 200, 200, 200, 200, 200]
    for reply in private:
        assert_private(reply)

    await logged_in(http)
    link = await juror_link(http, "Claire Moreau", "claire@example.org")
    for path in [
        "/organiser/login",
        "/organiser/",
        f"/organiser/e/{HACKATHON}",
        JURY + "/",
        f"/organiser/e/{HACKATHON}/agenda",
        link,
    ]:
        reply = await http.get(path)
        assert reply.status_code == 200, (path, reply.status_code)
        assert_private(reply)
    # The organiser, logged in, reads a public page: the answer is private too.
    assert_private(await http.get(f"/e/{HACKATHON}"))


async def juror_link(http: httpx.AsyncClient, name: str, email: str) -> str:
    added = await post_form(http, JURY + "/", JURY + "/jurors", name=name, email=email, language="fr")
    assert added.status_code == 303, added.text
    page = (await http.get(JURY + "/")).text
    start = page.index(f"<h3>{name}</h3>")
    value = page[page.index('value="', start) + 7 :]
    return local(value[: value.index('"')].replace("&amp;", "&"))


class Inline(HTMLParser):
    """The nonces of a page's inline scripts and styles, and its elements with a style attribute."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.nonces: list[str | None] = []
        self.styled: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style") and "src" not in attributes:
            self.nonces.append(attributes.get("nonce"))
        if "style" in attributes or any(name.startswith("on") for name in attributes):
            self.styled.append(tag)


async def test_inline_scripts_and_styles_run_only_with_the_nonce_of_their_request(
    demo: Web, http: httpx.AsyncClient
) -> None:
    person = await register(http, HACKATHON)
    await logged_in(http)
    link = await juror_link(http, "Claire Moreau", "claire@example.org")
    pages = [
        f"/e/{HACKATHON}",
        f"/e/{HACKATHON}/agenda",
        f"/e/{HACKATHON}/screen",
        local(person["manage_url"]),
        link,
        "/organiser/",
        f"/organiser/e/{HACKATHON}/checkin",
        f"/organiser/e/{HACKATHON}/agenda",
        f"/organiser/e/{HACKATHON}/teams",
        f"/organiser/e/{HACKATHON}/jury/",
        f"/organiser/e/{HACKATHON}/edit",
        "/no/such/page",
    ]
    seen = set()
    for path in pages:
        reply = await http.get(path)
        nonce = re.search(r"'nonce-([^']+)'", reply.headers["content-security-policy"])
        assert nonce, path
        found = Inline(reply.text)
        assert found.nonces, f"{path} has no inline style: the test would prove nothing"
        assert set(found.nonces) == {nonce.group(1)}, path
        assert found.styled == [], f"{path} has style or on… attributes on {found.styled}"
        seen.add(nonce.group(1))
    assert len(seen) == len(pages), "a nonce was used twice"


async def test_the_api_documentation_is_swagger_ui_served_by_perche_and_asks_no_other_host(
    demo: Web, http: httpx.AsyncClient
) -> None:
    page = await http.get("/schema")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert page.text == (await http.get("/schema/swagger")).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/schema/") for source in sources), sources
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source
        assert b"cdn." not in asset.content or source.endswith("swagger-ui-bundle.js"), source
    init = (await http.get("/schema/swagger-ui/perche-init.js")).text
    assert "validatorUrl: null" in init  # the validator badge would send the schema away
    assert policy(page)["img-src"] == "'self' data:"  # Swagger UI's CSS draws its icons so
    assert policy(await http.get(f"/e/{HACKATHON}"))["img-src"] == "'self'"
    for other in ["redoc", "rapidoc", "elements", "oauth2-redirect.html", "swagger-ui/index.html"]:
        assert (await http.get(f"/schema/{other}")).status_code == 404, other
    assert (await http.get("/schema/openapi.yaml")).status_code == 200


@pytest.fixture
async def https_web(backend: Running, nats_url: str, tmp_path: Path) -> AsyncIterator[Web]:
    """The web app configured with an https address, as behind a TLS-terminating proxy."""
    async with running_web(nats_url, tmp_path, base_url="https://perche.example") as web:
        yield web


def set_cookies(reply: httpx.Response) -> dict[str, str]:
    return {cookie.split("=", 1)[0]: cookie for cookie in reply.headers.get_list("set-cookie")}


async def test_over_https_every_cookie_is_secure_and_hsts_is_set(https_web: Web) -> None:
    async with httpx.AsyncClient(base_url=https_web.url, timeout=10) as http:
        form = await http.get("/organiser/login?lang=en")
    cookies = set_cookies(form)
    assert set(cookies) == {"perche_csrf", "perche_lang"}
    for cookie in cookies.values():
        assert "; Secure" in cookie and "HttpOnly" in cookie, cookie
    assert form.headers["strict-transport-security"] == "max-age=63072000"
    assert_hardened(form)


async def test_behind_a_trusted_proxy_that_says_https_cookies_are_secure_and_hsts_is_set(
    demo: Web, http: httpx.AsyncClient
) -> None:
    # uvicorn takes the scheme from X-Forwarded-Proto when the proxy is trusted (127.0.0.1 by default).
    proxied = await http.get("/organiser/login", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in set_cookies(proxied)["perche_csrf"]
    assert proxied.headers["strict-transport-security"] == "max-age=63072000"


async def test_over_plain_http_cookies_are_not_secure_so_local_use_works(demo: Web, http: httpx.AsyncClient) -> None:
    form = await http.get("/organiser/login")
    assert "secure" not in set_cookies(form)["perche_csrf"].lower()
    assert "strict-transport-security" not in form.headers
    await logged_in(http)  # the CSRF cookie came back over http
    assert (await http.get("/organiser/")).status_code == 200


@pytest.fixture
async def lonely_web(nats_url: str, tmp_path: Path) -> AsyncIterator[Web]:
    """The web app alone on NATS: no service answers it, so its pages fail."""
    async with running_web(nats_url, tmp_path) as web:
        yield web


async def test_server_errors_carry_the_policy_too(lonely_web: Web) -> None:
    async with httpx.AsyncClient(base_url=lonely_web.url, timeout=30) as http:
        answers = [await http.get(f"/e/{HACKATHON}"), await http.get(f"/api/v1/events/{HACKATHON}")]
    assert [a.status_code >= 500 for a in answers] == [True, True], [a.status_code for a in answers]
    for reply in answers:
        assert_hardened(reply)
