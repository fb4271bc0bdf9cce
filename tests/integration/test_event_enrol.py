"""Organisers register anyone in any category from the event's page, invitation-only ones included."""

import re

import httpx

from tests.conftest import ROUND_TABLE, Web
from tests.integration.login_support import logged_in


async def test_an_organiser_registers_a_journalist_in_the_invitation_only_speaker_category(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    csrf = await logged_in(http)
    # The public cannot choose the speakers' category; the organiser can.
    person = {"name": "Marc Lenoir", "email": "marc@example.org", "consent": True, "category": "speaker"}
    assert (await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=person)).status_code >= 400
    page = await http.get(f"/organiser/e/{ROUND_TABLE}")
    assert f'href="/organiser/e/{ROUND_TABLE}/register"' in page.text
    form = await http.get(f"/organiser/e/{ROUND_TABLE}/register")
    assert form.status_code == 200 and '<option value="speaker"' in form.text
    command_id = re.search(r'name="command_id" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    data = {"_csrf_token": csrf, "command_id": command_id, "name": "Marc Lenoir", "email": "marc@example.org"}
    made = await http.post(f"/organiser/e/{ROUND_TABLE}/register", data={**data, "category": "speaker"})
    assert made.status_code == 303, made.text[:2000]
    people = (await http.get(f"/api/v1/events/{ROUND_TABLE}/registrations", headers=organiser_headers)).json()
    assert [(p["name"], p["category"], p["status"]) for p in people] == [("Marc Lenoir", "speaker", "confirmed")]

    wrong = await http.post(
        f"/organiser/e/{ROUND_TABLE}/register",
        data={**data, "command_id": "autre-commande-1", "email": "pas-une-adresse", "category": "speaker"},
    )
    assert wrong.status_code == 422 and 'value="pas-une-adresse"' in wrong.text
