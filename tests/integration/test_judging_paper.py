"""Paper backup over real HTTP, NATS and JetStream: the organiser imports the printed sheets as a
CSV file (uploaded or pasted) and the standings follow; a bad file lists every wrong row in the
page's language and imports nothing."""

import uuid

import httpx

from tests.integration.test_judging import JURY, Jury, jury, standings
from tests.integration.test_pages import Page

__all__ = ["jury"]  # the fixture, imported for the tests below

GOOD = (
    "juror,team,criterion,score\n"
    "Claire Moreau,Les Trayeurs,utilite,8\n"
    "Marc Dubois,les-trayeurs,utilite,6\n"
    "Claire Moreau,Circuit Malin,Présentation,4\n"
)


async def import_form(http: httpx.AsyncClient, language: str = "fr") -> dict[str, str]:
    source = Page((await http.get(JURY + "/", headers={"Accept-Language": language})).text)
    return {"_csrf_token": source.fields["_csrf_token"], "command_id": uuid.uuid4().hex}


async def test_an_uploaded_paper_file_gives_its_scores_to_the_standings(jury: Jury, http: httpx.AsyncClient) -> None:
    page = Page((await http.get(JURY + "/")).text)
    assert page.by_id["paper-file"]["type"] == "file" and "juror,team,criterion,score" in page.text_of("paper-help")
    data = await import_form(http)
    files = {"file": ("fiches.csv", GOOD.encode("utf-8-sig"), "text/csv")}
    done = await http.post(JURY + "/import", data={**data, "csv": ""}, files=files)
    assert done.status_code == 303, done.text
    assert "saved=import&count=3" in done.headers["location"]
    shown = await http.get(done.headers["location"])
    assert "3 notes papier importées." in shown.text
    lines = await standings(http)
    trayeurs = {c["criterion"]: (c["average"], c["count"]) for c in lines["les-trayeurs"]["criteria"]}  # type: ignore[attr-defined]
    assert trayeurs["utilite"] == (7.0, 2)
    malin = {c["criterion"]: c["average"] for c in lines["circuit-malin"]["criteria"]}  # type: ignore[attr-defined]
    assert malin["pitch"] == 4.0
    # The same command again (a second click) changes nothing more.
    again = await http.post(JURY + "/import", data={**data, "csv": ""}, files=files)
    assert again.status_code == 303 and await standings(http) == lines


async def test_a_bad_paper_file_lists_each_row_and_problem_and_imports_nothing(
    jury: Jury, http: httpx.AsyncClient
) -> None:
    bad = GOOD + "Nobody,Les Trayeurs,utilite,5\nMarc Dubois,Météo Locale,pitch,9\nMarc Dubois,les-trayeurs,utilite,7\n"
    before = await standings(http)
    refused = await http.post(JURY + "/import", data={**await import_form(http), "csv": bad})
    assert refused.status_code == 422, refused.text
    page = Page(refused.text)
    problems = page.text_of("err-paper")
    assert problems.startswith("Rien n'a été importé :")
    assert "Ligne 5 : Ce membre du jury n'est pas connu pour cet événement." in problems
    assert "Ligne 6 : La note sort de l'échelle de ce critère." in problems
    assert "Ligne 7 : Ce juré a déjà noté cette équipe sur ce critère plus haut dans le fichier." in problems
    assert "Ligne 2" not in problems
    assert page.by_id["paper-csv"]["aria-invalid"] == "true"  # and what was pasted is kept
    assert "Nobody,Les Trayeurs" in page.source
    english = await http.post(
        JURY + "/import", data={**await import_form(http, "en"), "csv": bad}, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 422
    problems = Page(english.text).text_of("err-paper")
    assert problems.startswith("Nothing was imported:")
    assert "Row 5: This juror is not known for this event." in problems
    assert "Row 6: The score is off this criterion's scale." in problems
    # A file that is not text, and one without the header line: refused, never a 5xx.
    files = {"file": ("fiches.xlsx", b"\xff\xfe\x00PK\x03\x04", "application/octet-stream")}
    binary = await http.post(JURY + "/import", data={**await import_form(http), "csv": ""}, files=files)
    assert binary.status_code == 422 and "enregistrez-le au format CSV" in Page(binary.text).text_of("err-paper")
    headless = await http.post(JURY + "/import", data={**await import_form(http), "csv": "Claire Moreau,a,b,1\n"})
    assert headless.status_code == 422 and "en-tête" in Page(headless.text).text_of("err-paper")
    assert await standings(http) == before
