"""The CSV export opens cleanly in spreadsheets; public writes are rate-limited."""

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from services.kit.lifecycle import Running
from tests.conftest import HACKATHON, ROUND_TABLE, Web, define_events, running_web
from tests.demo_events import demo_event
from tests.integration.login_support import logged_in
from tests.integration.test_pages import Page
from tests.integration.test_teams import create, register

REGISTRATIONS_CSV = f"/api/v1/events/{HACKATHON}/registrations.csv"


def sheet(reply: httpx.Response, delimiter: str = ",") -> list[dict[str, str]]:
    assert reply.status_code == 200, reply.text
    return list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig")), delimiter=delimiter))


def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in rows}


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


async def test_the_export_says_when_each_person_arrived_in_the_events_zone_and_their_team(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice, bruno = await register(http, "Alice Martin"), await register(http, "Bruno Petit")
    await create(http, alice, name="Les Épis", challenge="traite")
    arrived = await http.post(f"/api/v1/registrations/{alice['id']}/check-in", headers=organiser_headers)
    assert arrived.status_code == 200, arrived.text
    zone = ZoneInfo(demo_event(HACKATHON).timezone)  # Europe/Paris: never UTC, summer or winter
    checked_in = datetime.fromisoformat(arrived.json()["checked_in_at"]).astimezone(zone)
    registered = datetime.fromisoformat(alice["registered_at"]).astimezone(zone)
    rows = by_id(sheet(await http.get(REGISTRATIONS_CSV, headers=organiser_headers)))
    # Local wall-clock time, year first: no 12/1/26 that reads two ways, no UTC to convert.
    assert rows[alice["id"]]["arrivé·e le"] == checked_in.strftime("%Y-%m-%d %H:%M:%S")
    assert rows[alice["id"]]["inscrit le"] == registered.strftime("%Y-%m-%d %H:%M:%S")
    assert rows[alice["id"]]["équipe"] == "Les Épis"
    assert (rows[bruno["id"]]["arrivé·e le"], rows[bruno["id"]]["équipe"]) == ("", "")
    # An event without teams has no team column.
    await http.post(
        f"/api/v1/events/{ROUND_TABLE}/registrations",
        json={"name": "Chloé Roux", "email": "chloe@example.org", "consent": True, "category": "public"},
    )
    round_table = sheet(await http.get(f"/api/v1/events/{ROUND_TABLE}/registrations.csv", headers=organiser_headers))
    assert len(round_table) == 1 and "équipe" not in round_table[0] and "arrivé·e le" in round_table[0]


async def test_the_export_speaks_the_organisers_language_french_unless_english_is_asked(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    answers = {"level": "Débutant·e", "team": "Seul·e, je cherche une équipe", "skills": ["Données", "Agriculture"]}
    person = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={
            "name": "Denis Lebrun",
            "email": "denis@example.org",
            "consent": True,
            "category": "participant",
            "answers": {**answers, "accommodation": False},
        },
    )
    person_id = person.json()["id"]
    cancelled = await http.post(f"/api/v1/registrations/{person_id}/cancel", headers=organiser_headers)
    assert cancelled.json()["status"] == "cancelled"

    french = by_id(sheet(await http.get(REGISTRATIONS_CSV, headers=organiser_headers)))[person_id]
    assert french["statut en clair"] == "annulée"
    assert french["statut"] == "cancelled"  # the code, the same in every language, for filters and scripts
    assert french["catégorie"] == "Participant·e"
    assert french["Avez-vous besoin d'un hébergement sur place ?"] == "non"

    reply = await http.get(REGISTRATIONS_CSV, params={"lang": "en"}, headers=organiser_headers)
    english = by_id(sheet(reply))[person_id]
    assert list(english)[:12] == [
        "id",
        "name",
        "email",
        "category",
        "status",
        "status in words",
        "waiting list place",
        "registered at",
        "checked in at",
        "team",
        "language",
        "Your skills",
    ]
    assert english["status in words"] == "cancelled"
    assert english["category"] == "Participant"
    assert english["Do you need accommodation nearby?"] == "no"
    assert english["Your programming experience"] == "Beginner"
    assert english["Your skills"] == "Data, Farming"
    assert english["You come"] == "Alone, looking for a team"


async def test_the_excel_export_is_separated_by_semicolons_with_a_bom(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    """French Excel splits a CSV on semicolons (the comma is its decimal mark) and reads UTF-8 only after a BOM."""
    person = await register(http, "Émile Dupré, dit « Milou »")
    excel = await http.get(REGISTRATIONS_CSV, params={"sep": "semicolon"}, headers=organiser_headers)
    assert excel.content.startswith(b"\xef\xbb\xbf")
    first_line = excel.content.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("id;nom;email;catégorie;statut;")
    assert by_id(sheet(excel, delimiter=";"))[person["id"]]["nom"] == "Émile Dupré, dit « Milou »"
    plain = await http.get(REGISTRATIONS_CSV, params={"sep": "comma"}, headers=organiser_headers)
    assert plain.content.decode("utf-8-sig").startswith("id,nom,email,")
    wrong = await http.get(REGISTRATIONS_CSV, params={"sep": "tab"}, headers=organiser_headers)
    assert wrong.status_code == 400


async def test_the_organisers_page_offers_the_excel_csv_and_the_plain_one_in_its_language(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await logged_in(http)
    page = Page((await http.get(f"/organiser/e/{HACKATHON}", params={"lang": "en"})).text)
    assert page.text_of("export-excel") == "Export as CSV (Excel)"
    assert page.text_of("export-csv") == "Export as CSV"
    excel = await http.get(page.by_id["export-excel"]["href"])  # with the organiser's session, as a browser
    assert excel.content.decode("utf-8-sig").startswith("id;name;email;category;status;")
    plain = await http.get(page.by_id["export-csv"]["href"])
    assert plain.content.decode("utf-8-sig").startswith("id,name,email,category,status,")


async def test_a_formula_in_a_team_name_or_an_answer_is_never_run(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await register(http, "Alice Martin")
    await create(http, alice, name='=HYPERLINK("http://evil","Les Épis")')
    answers = {"level": "Quelques projets", "team": "Avec une équipe déjà formée", "diet": "@SUM(A1:A9)"}
    bruno = await http.post(
        f"/api/v1/events/{HACKATHON}/registrations",
        json={
            "name": "+33 6 12",
            "email": "bruno@example.org",
            "consent": True,
            "category": "participant",
            "answers": answers,
        },
    )
    for params, delimiter in (({}, ","), ({"sep": "semicolon"}, ";")):
        reply = await http.get(REGISTRATIONS_CSV, params=params, headers=organiser_headers)
        rows = by_id(sheet(reply, delimiter))
        assert rows[alice["id"]]["équipe"] == '\'=HYPERLINK("http://evil","Les Épis")'
        row = rows[bruno.json()["id"]]
        assert (row["nom"], row["Régime alimentaire ou allergies"]) == ("'+33 6 12", "'@SUM(A1:A9)")


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
