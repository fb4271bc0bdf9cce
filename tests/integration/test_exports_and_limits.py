"""The CSV export opens cleanly in spreadsheets; public writes are rate-limited."""

import csv
import io
from pathlib import Path

import httpx

from services.kit.lifecycle import Running
from tests.conftest import HACKATHON, Web, define_events, running_web


async def test_the_csv_export_has_a_bom_one_column_per_question_and_no_formulas(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={
            "name": '=HYPERLINK("http://evil")',
            "email": "eve@example.org",
            "consent": True,
            "category": "participant",
            "answers": {
                "level": "Débutant·e",
                "team": "Seul·e, je cherche une équipe",
                "skills": ["Données", "Agriculture"],
                "accommodation": True,
            },
        },
    )
    reply = await http.get(f"/api/v1/events/{HACKATHON}/registrations.csv", headers=organiser_headers)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    assert reply.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["nom"] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    assert row["Vos compétences"] == "Données, Agriculture"
    assert row["Avez-vous besoin d'un hébergement sur place ?"] == "oui"
    assert row["Votre expérience en programmation"] == "Débutant·e"
    assert row["statut"] == "confirmed"
    anonymous = await http.get(f"/api/v1/events/{HACKATHON}/registrations.csv")
    assert anonymous.status_code == 401


async def test_public_writes_are_rate_limited_with_a_clear_message(
    backend: Running, nats_url: str, tmp_path: Path
) -> None:
    async with running_web(nats_url, tmp_path, rate_limit_per_minute=3) as web:
        await define_events(nats_url)
        async with httpx.AsyncClient(base_url=web.url) as http:
            statuses = []
            for i in range(4):
                reply = await http.post(
                    f"/api/v1/events/{HACKATHON}/registrations",
                    json={"name": "A", "email": f"a{i}@example.org", "consent": True, "category": "public"},
                )
                statuses.append(reply.status_code)
            assert statuses == [201, 201, 201, 429]
            assert reply.json()["code"] == "rate_limited"
            page = await http.get(f"/e/{HACKATHON}")  # reading is never limited
            assert page.status_code == 200
