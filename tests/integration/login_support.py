"""The organiser's login form, sent as a browser sends it: for every test that needs a session."""

import httpx

from tests.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD
from tests.integration.test_pages import Page

LOGIN = "/organiser/login"


async def login_token(client: httpx.AsyncClient) -> str:
    """The CSRF token of the login page, which the forms after the login carry too."""
    return Page((await client.get(LOGIN)).text).fields["_csrf_token"]


async def send_login(
    client: httpx.AsyncClient, token: str, email: str, password: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(LOGIN, data={"email": email, "password": password, "_csrf_token": token}, headers=headers)


async def log_in(
    client: httpx.AsyncClient, email: str = ORGANISER_EMAIL, password: str = ORGANISER_PASSWORD, **headers: str
) -> httpx.Response:
    """The login form, sent as a browser does (its CSRF token first); the test judges the answer."""
    return await send_login(client, await login_token(client), email, password, headers)


async def logged_in(client: httpx.AsyncClient) -> str:
    """The demo organiser logged in on `client` (the login must succeed); returns the CSRF token
    the forms that follow carry."""
    token = await login_token(client)
    assert (await send_login(client, token, ORGANISER_EMAIL, ORGANISER_PASSWORD, {})).status_code == 303
    return token
