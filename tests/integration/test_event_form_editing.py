"""Organisers create and change events with forms, over real HTTP and NATS: a refused form stores
nothing and says why next to the field; adding or moving a row stores nothing either."""

import html
import re

import httpx

from schemas.catalog import EventReply, GetEvent
from schemas.subjects import Catalog
from services.kit.client import call
from services.kit.connection import connect
from tests.conftest import HACKATHON, ROUND_TABLE, Web
from tests.integration.form_support import FormValues, form_values
from tests.integration.login_support import logged_in

FORM = f"/organiser/e/{ROUND_TABLE}/form"


async def stored(web: Web, slug: str = ROUND_TABLE) -> EventReply:
    client = await connect(web.nats_url, "test-reader")
    try:
        return await call(client, Catalog.GET_EVENT, GetEvent(slug=slug, include_unpublished=True), EventReply)
    finally:
        await client.drain()


def error_next_to(page: str, field: str) -> str:
    """The message shown right above the input named `field`."""
    found = re.search(rf'<p class="error" id="err-{re.escape(field)}">(.*?)</p>', page, re.S)
    assert found, (field, re.findall(r'id="err-([^"]+)"', page))
    assert f'aria-describedby="err-{field}"' in page or f'id="f-{field}"' not in page
    return html.unescape(found.group(1))


async def test_the_form_shows_the_stored_event_and_a_change_is_saved_keeping_the_agenda(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await logged_in(http)
    before = await stored(demo)
    values = await form_values(http, FORM)
    same = await http.post(FORM, data=values.with_changes({}))
    assert same.status_code == 303 and same.headers["location"] == f"/organiser/e/{ROUND_TABLE}?saved=1"
    assert (await stored(demo)).revision == before.revision  # the form said the same: nothing appended
    index = next(i for i, c in enumerate(before.event.categories) if c.id == "public")
    changed = await http.post(FORM, data=values.with_changes({f"categories[{index}].capacity": "120"}))
    assert changed.status_code == 303
    after = await stored(demo)
    assert after.revision == before.revision + 1
    assert after.event.categories[index].capacity == 120
    assert after.event.sessions == before.event.sessions and after.event.speakers == before.event.speakers
    assert after.event.starts_at == before.event.starts_at and after.event.published == before.event.published


async def test_a_refused_form_stores_nothing_and_names_the_field_in_the_pages_language(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await logged_in(http)
    before = await stored(demo)
    values = await form_values(http, FORM)
    negative = await http.post(FORM, data=values.with_changes({"categories[0].capacity": "-3"}))
    assert negative.status_code == 422
    assert error_next_to(negative.text, "categories[0].capacity") == (
        "la valeur doit être un nombre entier de 0 à 100\u202f000."
    )
    assert 'value="-3"' in negative.text  # what was typed stays
    english = await http.post(
        f"{FORM}?lang=en",
        data=values.with_changes({"categories[0].capacity": "-3"}),
    )
    assert (
        error_next_to(english.text, "categories[0].capacity") == "the value must be a whole number from 0 to 100,000."
    )

    # A question of kind choice without choices: the catalog's rule, shown next to the choices.
    french = f"{FORM}?lang=fr"
    added = FormValues((await http.post(french, data=values.with_changes({}, "add:questions"))).text)
    n = len(before.event.questions)
    question = {f"questions[{n}].id": "transport", f"questions[{n}].label": "Comment venez-vous ?"}
    no_choices = await http.post(
        french,
        data=added.with_changes({**question, f"questions[{n}].kind": "choice"}),
    )
    assert no_choices.status_code == 422
    assert error_next_to(no_choices.text, f"questions[{n}].choices") == (
        "Une question à choix a besoin de réponses possibles : écrivez-en une par ligne."
    )
    ends_first = await http.post(
        FORM,
        data=values.with_changes({"ends_at": dict(values.pairs)["starts_at"]}),
    )
    assert ends_first.status_code == 422
    assert error_next_to(ends_first.text, "ends_at") == "La fin doit être après le début."
    twice = await http.post(french, data=values.with_changes({"categories[0].id": before.event.categories[1].id}))
    assert twice.status_code == 422
    assert error_next_to(twice.text, "categories[1].id") == (
        "Cet identifiant est déjà pris par une autre ligne : choisissez-en un autre."
    )
    assert (await stored(demo)) == before


async def test_adding_removing_and_moving_rows_shows_the_form_again_and_stores_nothing(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await logged_in(http)
    before = await stored(demo)
    values = await form_values(http, FORM)
    typed = {"title": "Un titre tapé mais pas encore enregistré"}
    added = await http.post(FORM, data=values.with_changes(typed, "add:challenges"))
    assert added.status_code == 200
    again = FormValues(added.text)
    assert dict(again.pairs)["title"] == typed["title"]
    n = len(before.event.challenges)
    assert f"challenges[{n}].id" in dict(again.pairs)
    ids = [c.id for c in before.event.categories]
    moved = FormValues((await http.post(FORM, data=again.with_changes({}, "down:categories:0"))).text)
    assert [v for k, v in moved.pairs if re.fullmatch(r"categories\[\d+\]\.id", k)] == [ids[1], ids[0], *ids[2:]]
    removed = FormValues((await http.post(FORM, data=moved.with_changes({}, f"remove:challenges:{n}"))).text)
    assert f"challenges[{n}].id" not in dict(removed.pairs)
    stale = await http.post(FORM, data=removed.with_changes({"title": "Pas enregistré"}, "remove:challenges:99"))
    assert stale.status_code == 200 and dict(FormValues(stale.text).pairs)["title"] == "Pas enregistré"
    assert (await stored(demo)) == before


async def test_a_new_event_from_the_form_is_saved_unpublished_and_cannot_take_an_existing_slug(
    demo: Web, http: httpx.AsyncClient
) -> None:
    csrf = await logged_in(http)
    values = await form_values(http, "/organiser/new")
    filled = {
        "slug": "portes-ouvertes-2031",
        "title": "Portes ouvertes",
        "starts_at": "2031-09-20T10:00",
        "ends_at": "2031-09-20T17:00",
        "venue.name": "École du numérique",
        "categories[0].name": "Visiteur",
        "categories[0].capacity": "40",
    }
    taken = await http.post("/organiser/new", data=values.with_changes({**filled, "slug": HACKATHON}))
    assert taken.status_code == 409
    assert error_next_to(taken.text, "slug") == "Un événement a déjà cet identifiant : choisissez-en un autre."
    toml = await http.get(f"/organiser/e/{HACKATHON}/edit")
    text = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", toml.text, re.S).group(1))  # type: ignore[union-attr]
    replacing = await http.post("/organiser/new/toml", data={"definition": text, "_csrf_token": csrf})
    assert replacing.status_code == 409 and "Champ « slug »" in html.unescape(replacing.text)
    created = await http.post("/organiser/new", data=values.with_changes(filled))
    assert created.status_code == 303 and created.headers["location"] == "/organiser/e/portes-ouvertes-2031?saved=1"
    event = (await stored(demo, "portes-ouvertes-2031")).event
    assert (event.published, event.kind, event.categories[0].capacity) == (False, "open_day", 40)
    assert (await http.get("/e/portes-ouvertes-2031")).status_code == 404
    page = await http.get("/organiser/e/portes-ouvertes-2031")
    assert page.status_code == 200 and "Portes ouvertes" in page.text


async def test_the_toml_view_shows_the_text_as_written_until_a_form_changes_the_event(
    demo: Web, http: httpx.AsyncClient
) -> None:
    csrf = await logged_in(http)
    edit = f"/organiser/e/{ROUND_TABLE}/edit"
    shown = re.search(r"<textarea[^>]*>(.*?)</textarea>", (await http.get(edit)).text, re.S)
    assert shown
    typed = "# Revue en mars avec la mairie\n" + html.unescape(shown.group(1)).replace(
        "capacity = 80", "capacity = 90 # la salle du conseil, chaises comprises"
    )
    saved = await http.post(edit, data={"definition": typed.replace("\n", "\r\n"), "_csrf_token": csrf})
    assert saved.status_code == 303
    kept = re.search(r"<textarea[^>]*>(.*?)</textarea>", (await http.get(edit)).text, re.S)
    assert kept and html.unescape(kept.group(1)) == typed
    values = await form_values(http, FORM)
    assert (await http.post(FORM, data=values.with_changes({"title": "Autre titre"}))).status_code == 303
    encoded = re.search(r"<textarea[^>]*>(.*?)</textarea>", (await http.get(edit)).text, re.S)
    assert (
        encoded
        and "# Revue en mars" not in encoded.group(1)
        and 'title = "Autre titre"' in html.unescape(encoded.group(1))
    )


async def test_the_hackathons_team_formation_section_saves_as_it_was_and_a_wrong_input_is_refused_next_to_it(
    demo: Web, http: httpx.AsyncClient
) -> None:
    await logged_in(http)
    form = f"/organiser/e/{HACKATHON}/form"
    before = await stored(demo, HACKATHON)
    assert before.event.team_formation is not None and before.event.team_formation.codes == "level"
    page = await http.get(f"{form}?lang=fr")
    assert "Formation des équipes" in page.text and "Classer des choix par préférence" in page.text
    values = FormValues(page.text)
    assert dict(values.pairs)["team_formation.experience_levels"] == "beginner\nintermediate\nexpert"
    same = await http.post(form, data=values.with_changes({}))
    assert same.status_code == 303
    assert (await stored(demo, HACKATHON)).revision == before.revision  # the section round-trips as it was

    levels = await http.post(
        f"{form}?lang=fr", data=values.with_changes({"team_formation.experience_levels": "beginner\nexpert"})
    )
    assert levels.status_code == 422
    assert error_next_to(levels.text, "team_formation.experience_levels") == (
        "Donnez un niveau pour chaque réponse possible de la question sur l'expérience."
    )
    wrong = await http.post(f"{form}?lang=en", data=values.with_changes({"team_formation.skills": "diet"}))
    assert wrong.status_code == 422
    assert error_next_to(wrong.text, "team_formation.skills") == (
        "This question cannot be used for that: choose a question of the right kind."
    )
    sizes = await http.post(f"{form}?lang=fr", data=values.with_changes({"team_formation.min_size": "6"}))
    assert error_next_to(sizes.text, "team_formation.min_size") == (
        "La taille minimale des équipes doit être inférieure ou égale à la taille maximale."
    )
    assert (await stored(demo, HACKATHON)) == before
