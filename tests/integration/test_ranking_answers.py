"""Ranking the hackathon's challenges at registration (issue 13), over real HTTP and NATS: through the
form without JavaScript and through the JSON API, refused in the page's language next to the question,
kept in the person's order, changed from the private page, and read in the organiser's CSV."""

import csv
import io
import re

import httpx

from tests.conftest import HACKATHON, Web
from tests.integration.test_pages import Page, event_form

EVENT_PAGE = f"/e/{HACKATHON}"
REGISTRATIONS = f"/api/v1/events/{HACKATHON}/registrations"
PARTICIPANT = {
    "name": "Jeanne Dupont",
    "email": "jeanne@example.org",
    "category": "participant",
    "consent": "yes",
    "q_level": "Quelques projets",
    "q_team": "Seul·e, je cherche une équipe",
}


def with_ranking(hidden: dict[str, str], *places: str, **changes: str) -> list[tuple[str, str]]:
    """The form as a browser sends it: one `q_challenges` per select, in the page's order."""
    return [*{**hidden, **PARTICIPANT, **changes}.items(), *(("q_challenges", place) for place in places)]


def encoded(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {}
    for name, value in pairs:
        if name in form:
            before = form[name]
            form[name] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            form[name] = [value] if name == "q_challenges" else value
    return form


def selected(page: str, place: int) -> str:
    """The option chosen in the ranking's select for `place` (1: the first choice)."""
    select = re.search(rf'<select id="f-q_challenges-{place}"[^>]*>(.*?)</select>', page, re.S)
    assert select, place
    chosen = re.findall(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen[0] if chosen else ""


async def csv_rows(http: httpx.AsyncClient, headers: dict[str, str], language: str) -> list[dict[str, str]]:
    reply = await http.get(f"{REGISTRATIONS}.csv", params={"lang": language}, headers=headers)
    assert reply.status_code == 200
    return list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))


async def test_the_form_offers_one_select_per_place_with_the_challenges_in_the_pages_language(
    demo: Web, http: httpx.AsyncClient
) -> None:
    french = Page((await http.get(EVENT_PAGE)).text)
    assert french.by_id["f-q_challenges"]["tag"] == "fieldset"
    labels = re.findall(r'<label for="f-q_challenges-\d">([^<]+)</label>', french.source)
    assert labels == ["1er choix", "2e choix", "3e choix"]
    assert [french.by_id[f"f-q_challenges-{n}"]["name"] for n in (1, 2, 3)] == ["q_challenges"] * 3
    assert '<option value="traite">Suivre la traite sans papier</option>' in french.source
    english = (await http.get(f"{EVENT_PAGE}?lang=en")).text
    assert re.findall(r'<label for="f-q_challenges-\d">([^<]+)</label>', english) == [
        "1st choice",
        "2nd choice",
        "3rd choice",
    ]
    assert '<option value="traite">Paperless milking records</option>' in english
    assert '<option value="">(none)</option>' in english


async def test_a_ranking_through_the_form_is_kept_in_the_persons_order_and_read_in_the_organisers_csv(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    hidden = await event_form(http)
    # The first place left empty: what counts is the order of the places filled in.
    sent = await http.post(EVENT_PAGE, data=encoded(with_ranking(hidden, "", "meteo-parcelle", "traite")))
    assert sent.status_code == 303, sent.text
    [person] = (await http.get(REGISTRATIONS, headers=organiser_headers)).json()
    assert person["answers"]["challenges"] == ["meteo-parcelle", "traite"]
    [row] = await csv_rows(http, organiser_headers, "fr")
    assert (
        row["Classez les défis qui vous intéressent"] == "1. La météo de ma parcelle ; 2. Suivre la traite sans papier"
    )
    [row] = await csv_rows(http, organiser_headers, "en")
    assert row["Rank the challenges that interest you"] == "1. Weather for my field; 2. Paperless milking records"

    # The private page shows the ranking in its selects, and changes it.
    private = await http.get(sent.headers["location"])
    assert (selected(private.text, 1), selected(private.text, 2), selected(private.text, 3)) == (
        "meteo-parcelle",
        "traite",
        "",
    )
    fields = Page(private.text).fields
    changed = await http.post(
        f"/r/{person['id']}/answers",
        data=encoded(
            [
                *fields.items(),
                ("name", "Jeanne Dupont"),
                ("q_level", "Quelques projets"),
                ("q_team", "Seul·e, je cherche une équipe"),
                ("q_challenges", "circuit-court"),
                ("q_challenges", "traite"),
                ("q_challenges", ""),
            ]
        ),
    )
    assert changed.status_code == 303, changed.text
    [person] = (await http.get(REGISTRATIONS, headers=organiser_headers)).json()
    assert person["answers"]["challenges"] == ["circuit-court", "traite"]

    twice = await http.post(
        f"/r/{person['id']}/answers?lang=en",
        data=encoded(
            [
                *fields.items(),
                ("command_id", "f" * 32),
                ("name", "Jeanne Dupont"),
                ("q_level", "Quelques projets"),
                ("q_team", "Seul·e, je cherche une équipe"),
                ("q_challenges", "traite"),
                ("q_challenges", "traite"),
            ]
        ),
    )
    assert twice.status_code == 422
    assert Page(twice.text).text_of("err-q_challenges") == (
        "You ranked the same choice twice: each place needs its own choice."
    )
    [person] = (await http.get(REGISTRATIONS, headers=organiser_headers)).json()
    assert person["answers"]["challenges"] == ["circuit-court", "traite"]  # nothing changed


async def test_a_ranking_with_a_choice_twice_is_refused_next_to_the_question_keeping_the_places(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    hidden = await event_form(http)
    reply = await http.post(EVENT_PAGE, data=encoded(with_ranking(hidden, "traite", "meteo-parcelle", "traite")))
    assert reply.status_code == 422
    page = Page(reply.text)
    assert page.text_of("err-q_challenges") == (
        "Vous avez classé deux fois le même choix : chaque place a son propre choix."
    )
    assert page.by_id["f-q_challenges"]["aria-describedby"] == "err-q_challenges"
    summary = reply.text.split('id="errors"', 1)[1].split("</div>", 1)[0]
    assert re.findall(r'<a href="(#f-[^"]+)">', summary) == ["#f-q_challenges"]
    assert [selected(reply.text, n) for n in (1, 2, 3)] == ["traite", "meteo-parcelle", "traite"]
    assert page.by_id["f-email"]["value"] == "jeanne@example.org"
    english = await http.post(
        f"{EVENT_PAGE}?lang=en", data=encoded(with_ranking(hidden, "traite", "traite", command_id="e" * 32))
    )
    assert english.status_code == 422
    assert Page(english.text).text_of("err-q_challenges") == (
        "You ranked the same choice twice: each place needs its own choice."
    )
    assert (await http.get(REGISTRATIONS, headers=organiser_headers)).json() == []


async def test_the_api_takes_a_ranking_as_a_list_and_refuses_a_wrong_one_naming_the_question(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    detail = (await http.get(f"/api/v1/events/{HACKATHON}")).json()
    question = next(q for q in detail["questions"] if q["id"] == "challenges")
    assert question["kind"] == "ranking" and question["ranks"] == 3
    assert question["choices"] == ["traite", "circuit-court", "meteo-parcelle"]

    def body(email: str, challenges: object) -> dict[str, object]:
        answers = {"level": "Confirmé·e", "team": "Seul·e, je cherche une équipe", "challenges": challenges}
        return {"name": "Ana", "email": email, "consent": True, "category": "participant", "answers": answers}

    # The API says what is wrong in the service's words, naming the question.
    cases = [
        (["traite", "traite"], "'traite' is ranked twice"),
        (["traite", "meteo"], "'meteo' is not one of the choices"),
        ("traite", "Wrong kind of answer for a ranking question"),
    ]
    for challenges, message in cases:
        refused = await http.post(REGISTRATIONS, json=body("ana@example.org", challenges))
        assert refused.status_code == 422, (challenges, refused.text)
        error = refused.json()
        assert (error["field"], error["message"]) == ("answers.challenges", message)
    assert (await http.get(REGISTRATIONS, headers=organiser_headers)).json() == []

    made = await http.post(REGISTRATIONS, json=body("ana@example.org", ["circuit-court", "", "traite"]))
    assert made.status_code == 201, made.text
    assert made.json()["answers"]["challenges"] == ["circuit-court", "traite"]
