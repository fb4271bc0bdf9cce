"""Copy an event from its page: every date shifted by the same offset, unpublished, no registrations."""

import re
from datetime import datetime, timedelta

import httpx

from tests.conftest import HACKATHON, Web
from tests.integration.login_support import logged_in

PERSON = {"name": "Hélène Dubois", "email": "helene@example.org", "consent": True, "category": "public"}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_an_organiser_copies_last_years_hackathon(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    csrf = await logged_in(http)
    made = await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=PERSON)
    assert made.status_code in (200, 201), made.text
    source = (await http.get(f"/api/v1/events/{HACKATHON}")).json()
    page = await http.get(f"/organiser/e/{HACKATHON}")
    assert f'href="/organiser/e/{HACKATHON}/copy"' in page.text
    form = await http.get(f"/organiser/e/{HACKATHON}/copy")
    assert form.status_code == 200
    command_id = re.search(r'name="command_id" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    first_day = moment(source["starts_at"]).date() + timedelta(days=364)
    data = {
        "_csrf_token": csrf,
        "command_id": command_id,
        "slug": "hackathon-comice-suivant",
        "title": "Hackathon du Comice, l'année suivante",
        "starts_on": first_day.isoformat(),
    }
    copied = await http.post(f"/organiser/e/{HACKATHON}/copy", data=data)
    assert copied.status_code == 303 and copied.headers["location"].startswith("/organiser/e/hackathon-comice-suivant")

    # Unpublished: the public sees nothing until the organiser publishes it.
    assert (await http.get("/e/hackathon-comice-suivant")).status_code == 404
    assert (await http.get("/api/v1/events/hackathon-comice-suivant")).status_code == 404
    people = await http.get("/api/v1/events/hackathon-comice-suivant/registrations", headers=organiser_headers)
    assert people.status_code == 200 and people.json() == []  # none of the hackathon's registrations
    published = await http.post("/organiser/e/hackathon-comice-suivant/status/publish", data={"_csrf_token": csrf})
    assert published.status_code == 303
    copy = (await http.get("/api/v1/events/hackathon-comice-suivant")).json()
    assert copy["title"] == "Hackathon du Comice, l'année suivante"
    shift = timedelta(days=364)
    assert moment(copy["starts_at"]) - moment(source["starts_at"]) == shift
    assert moment(copy["ends_at"]) - moment(source["ends_at"]) == shift
    assert [c["id"] for c in copy["categories"]] == [c["id"] for c in source["categories"]]

    again = await http.post(f"/organiser/e/{HACKATHON}/copy", data={**data, "command_id": "une-autre-commande"})
    assert again.status_code == 409 and "déjà cet identifiant" in again.text
    wrong = await http.post(f"/organiser/e/{HACKATHON}/copy", data={**data, "slug": "Hackathon 2028"})
    assert wrong.status_code == 422
    assert "Champ « slug » : de 2 à 63 caractères" in wrong.text.replace("&#34;", '"')
    assert 'value="Hackathon 2028"' in wrong.text
