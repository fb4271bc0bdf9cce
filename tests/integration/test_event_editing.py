"""Organisers change an event's definition from the dashboard or the API; bad text changes nothing."""

import re
from datetime import datetime

import httpx

from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.demo_events import instant, shifted
from tests.integration.login_support import logged_in


async def test_an_organiser_changes_a_capacity_in_the_editor(demo: Web, http: httpx.AsyncClient) -> None:
    csrf = await logged_in(http)
    form = await http.get(f"/organiser/e/{ROUND_TABLE}/edit")
    assert form.status_code == 200
    text = re.search(r'<textarea[^>]*name="definition"[^>]*>(.*?)</textarea>', form.text, re.S)
    assert text
    definition = text.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    definition = definition.replace("&lt;", "<").replace("&gt;", ">")
    assert shifted("starts_at = 2027-07-08 18:30:00") in definition  # local time, as people write it
    saved = await http.post(
        f"/organiser/e/{ROUND_TABLE}/edit",
        data={"definition": definition.replace("capacity = 80", "capacity = 120"), "_csrf_token": csrf},
    )
    assert saved.status_code == 303
    event = (await http.get(f"/api/v1/events/{ROUND_TABLE}")).json()
    assert next(c for c in event["categories"] if c["id"] == "public")["capacity"] == 120
    assert event["starts_at"] == f"{instant(datetime(2027, 7, 8, 18, 30)):%Y-%m-%dT%H:%M:%SZ}"


async def test_a_wrong_definition_names_the_field_and_changes_nothing(demo: Web, http: httpx.AsyncClient) -> None:
    csrf = await logged_in(http)
    before = (await http.get(f"/api/v1/events/{ROUND_TABLE}")).json()
    form = await http.get(f"/organiser/e/{ROUND_TABLE}/edit")
    definition = re.search(r"<textarea[^>]*>(.*?)</textarea>", form.text, re.S).group(1)  # type: ignore[union-attr]
    definition = definition.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    cases = {
        definition.replace("capacity = 80", 'capacity = "beaucoup"'): "categories[0].capacity",
        # Only the event's own end (the first one), not a session's that ends with it.
        definition.replace(
            shifted("ends_at = 2027-07-08 21:00:00"), shifted("ends_at = 2027-07-08 17:00:00"), 1
        ): "ends_at",
        definition.replace('timezone = "Europe/Paris"', 'timezone = "Europe/Loupe"'): "timezone",
        definition.replace(f'slug = "{ROUND_TABLE}"', 'slug = "autre-chose"'): "slug",
    }
    for text, field in cases.items():
        reply = await http.post(f"/organiser/e/{ROUND_TABLE}/edit", data={"definition": text, "_csrf_token": csrf})
        assert reply.status_code == 422, field
        assert f"Champ « {field} »" in reply.text.replace("&#34;", '"'), (field, reply.text[:2000])
    broken = await http.post(f"/organiser/e/{ROUND_TABLE}/edit", data={"definition": "slug = ", "_csrf_token": csrf})
    assert broken.status_code == 422 and "TOML" in broken.text
    assert (await http.get(f"/api/v1/events/{ROUND_TABLE}")).json() == before


async def test_events_are_defined_through_the_api_by_organisers_only(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    event = {
        "slug": "portes-ouvertes-2027",
        "title": "Portes ouvertes",
        "kind": "open_day",
        "starts_at": "2027-09-18T08:00:00Z",
        "ends_at": "2027-09-18T15:00:00Z",
        "venue": {"name": "École du numérique"},
        "categories": [{"id": "public", "name": "Visiteur", "capacity": 50}],
    }
    refused = await http.put("/api/v1/events/portes-ouvertes-2027", json=event)
    assert refused.status_code == 401
    mismatch = await http.put(f"/api/v1/events/{HACKATHON}", json=event, headers=organiser_headers)
    assert mismatch.status_code == 422 and mismatch.json()["field"] == "slug"
    created = await http.put("/api/v1/events/portes-ouvertes-2027", json=event, headers=organiser_headers)
    assert created.status_code == 200 and created.json()["changed"] is True
    again = await http.put("/api/v1/events/portes-ouvertes-2027", json=event, headers=organiser_headers)
    assert again.json()["changed"] is False
    listed = [e["slug"] for e in (await http.get("/api/v1/events")).json()]
    assert "portes-ouvertes-2027" in listed


async def test_a_refused_definition_says_why_in_french_and_keeps_the_text_as_typed(
    demo: Web, http: httpx.AsyncClient
) -> None:
    csrf = await logged_in(http)
    before = (await http.get(f"/api/v1/events/{ROUND_TABLE}")).json()
    form = await http.get(f"/organiser/e/{ROUND_TABLE}/edit")
    definition = re.search(r"<textarea[^>]*>(.*?)</textarea>", form.text, re.S).group(1)  # type: ignore[union-attr]
    definition = definition.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    typed = "# Notre table ronde, revue en mars\n" + definition.replace(
        'kind = "round_table"', 'kind = "portes ouvertes"'
    )
    typed = re.sub(
        r'^summary = ".*"$', 'summary = """Sur deux lignes,\ncomme elle a été écrite."""', typed, count=1, flags=re.M
    )
    reply = await http.post(f"/organiser/e/{ROUND_TABLE}/edit", data={"definition": typed, "_csrf_token": csrf})
    assert reply.status_code == 422
    page = reply.text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    assert (
        "Champ « kind » : « portes ouvertes » n'est pas une valeur possible ; choisissez parmi "
        "conference, hackathon, open_day, round_table, workshop." in page
    )
    kept = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert kept and kept.group(1) == typed
    english = await http.post(
        f"/organiser/e/{ROUND_TABLE}/edit?lang=en",
        data={"definition": 'slug = "x"\ntitle = "sans fin\n', "_csrf_token": csrf},
    )
    assert english.status_code == 422 and "Line 2, column 18: this is not valid TOML" in english.text
    assert (await http.get(f"/api/v1/events/{ROUND_TABLE}")).json() == before
