"""Organisers publish, unpublish, close registration and archive an event by hand from its page."""

import re

import httpx

from tests.conftest import ROUND_TABLE, Web
from tests.integration.login_support import logged_in

PERSON = {"name": "Hélène Dubois", "email": "helene@example.org", "consent": True, "category": "public"}


async def status(http: httpx.AsyncClient, csrf: str, change: str) -> None:
    reply = await http.post(f"/organiser/e/{ROUND_TABLE}/status/{change}", data={"_csrf_token": csrf})
    assert reply.status_code == 303, reply.text[:2000]


async def test_an_organiser_unpublishes_and_publishes_an_event(demo: Web, http: httpx.AsyncClient) -> None:
    csrf = await logged_in(http)
    page = await http.get(f"/organiser/e/{ROUND_TABLE}")
    assert f'action="/organiser/e/{ROUND_TABLE}/status/unpublish"' in page.text
    await status(http, csrf, "unpublish")
    assert (await http.get(f"/e/{ROUND_TABLE}")).status_code == 404
    assert ROUND_TABLE not in [e["slug"] for e in (await http.get("/api/v1/events")).json()]
    assert f'action="/organiser/e/{ROUND_TABLE}/status/publish"' in (await http.get(f"/organiser/e/{ROUND_TABLE}")).text
    await status(http, csrf, "publish")
    assert (await http.get(f"/e/{ROUND_TABLE}")).status_code == 200


async def test_registration_closed_by_hand_is_refused_from_then_on_and_opens_again(
    demo: Web, http: httpx.AsyncClient
) -> None:
    csrf = await logged_in(http)
    await status(http, csrf, "close_registration")
    refused = await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=PERSON)
    assert refused.status_code == 409, refused.text
    page = await http.get(f"/organiser/e/{ROUND_TABLE}")
    assert f'action="/organiser/e/{ROUND_TABLE}/status/open_registration"' in page.text
    await status(http, csrf, "open_registration")
    made = await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=PERSON)
    assert made.status_code in (200, 201), made.text


async def test_archiving_asks_first_hides_the_event_keeps_it_and_can_be_undone(
    demo: Web, http: httpx.AsyncClient
) -> None:
    csrf = await logged_in(http)
    made = await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=PERSON)
    assert made.status_code in (200, 201), made.text
    ask = await http.get(f"/organiser/e/{ROUND_TABLE}/archive")
    assert ask.status_code == 200 and "Rien n'est effacé" in ask.text.replace("&#39;", "'")
    command_id = re.search(r'name="command_id" value="([^"]+)"', ask.text).group(1)  # type: ignore[union-attr]
    archived = await http.post(
        f"/organiser/e/{ROUND_TABLE}/status/archive", data={"_csrf_token": csrf, "command_id": command_id}
    )
    assert archived.status_code == 303
    assert (await http.get(f"/e/{ROUND_TABLE}")).status_code == 404
    assert f'/organiser/e/{ROUND_TABLE}"' not in (await http.get("/organiser/")).text
    assert f'/organiser/e/{ROUND_TABLE}"' in (await http.get("/organiser/?archived=1")).text
    kept = await http.get(f"/organiser/e/{ROUND_TABLE}")
    assert kept.status_code == 200 and "Hélène Dubois" in kept.text
    await status(http, csrf, "unarchive")
    assert (await http.get(f"/e/{ROUND_TABLE}")).status_code == 200
    assert f'/organiser/e/{ROUND_TABLE}"' in (await http.get("/organiser/")).text


async def test_an_unknown_change_is_not_found(demo: Web, http: httpx.AsyncClient) -> None:
    csrf = await logged_in(http)
    reply = await http.post(f"/organiser/e/{ROUND_TABLE}/status/delete", data={"_csrf_token": csrf})
    assert reply.status_code == 404
