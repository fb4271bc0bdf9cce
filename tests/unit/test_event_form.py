"""The event editor made of forms: form → definition → TOML → definition → form changes nothing,
rows are added, removed and moved without storing, and each problem names its input."""

from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from schemas.catalog import Category, Challenge, Criterion, EventSpec, Question, TeamFormation, Venue
from schemas.event_file import TextProblem, decode_event_toml, encode_event_toml
from services.catalog.rules import normalise
from services.web.organiser.event_form import (
    FormProblem,
    apply_action,
    blank_form,
    form_of,
    read_form,
    spec_of,
)
from services.web.organiser.event_text import problem_text
from services.web.rendering import gettext_for
from tests.demo_events import HACKATHON, ROUND_TABLE, demo_event, demo_spec

EVENTS = Path(__file__).resolve().parents[2] / "events"

# Every field the form has, each with a value that is not its default.
EVERY_FIELD = EventSpec(
    slug="portes-ouvertes-2031",
    title="Portes ouvertes",
    title_en="Open day",
    kind="open_day",
    starts_at=datetime(2031, 9, 20, 10, 0),
    ends_at=datetime(2031, 9, 20, 17, 30, 15),
    timezone="America/Montreal",
    venue=Venue(name="École", address="Place de l'Hôtel de Ville"),
    summary="Venez voir.",
    summary_en="Come and see.",
    description="Première ligne\n\nDeuxième « ligne »",
    description_en="First line\n\nSecond line",
    published=False,
    registration_opens_at=datetime(2031, 6, 1, 9, 0),
    registration_closes_at=datetime(2031, 9, 19, 23, 59),
    consent_text="J'accepte.",
    consent_text_en="I agree.",
    waitlist_offer_hours=12,
    purge_after_days=90,
    categories=[
        Category(id="public", name="Visiteur", name_en="Visitor", capacity=50, default=True),
        Category(
            id="press",
            name="Presse",
            capacity=0,
            public=False,
            opens_at=datetime(2031, 7, 1, 8, 0),
            closes_at=datetime(2031, 9, 18, 18, 0),
            audience="speakers",
        ),
    ],
    questions=[
        Question(
            id="venue",
            kind="multi_choice",
            label="Comment venez-vous ?",
            label_en="How do you come?",
            help="Une ou plusieurs",
            help_en="One or more",
            required=True,
            choices=["À pied", "En car"],
            choices_en=["On foot", "By coach"],
            categories=["public", "press"],
        ),
        Question(id="diet", kind="yes_no", label="Végétarien ?"),
        Question(id="why", kind="text", label="Pourquoi ?"),
        Question(id="level", kind="choice", label="Niveau", choices=["Débutant", "Confirmé"]),
        Question(id="defis", kind="ranking", label="Vos défis", label_en="Your challenges", ranks=2),
    ],
    challenges=[
        Challenge(
            id="eau",
            title="L'eau",
            title_en="Water",
            partner="Syndicat des eaux",
            description="Mesurer\nl'eau",
            description_en="Measure\nwater",
        )
    ],
    team_max_size=7,
    team_formation=TeamFormation(
        min_size=2,
        challenges="defis",
        skills="venue",
        codes="level",
        codes_if=["Confirmé"],
        experience="level",
        experience_levels=["beginner", "expert"],
        domain="diet",
    ),
    criteria=[
        Criterion(id="utile", name="Utilité", name_en="Usefulness", help="Sert-il ?", help_en="Is it of use?"),
        Criterion(id="pitch", name="Présentation", max_points=20, weight=0.5),
    ],
    normalise_jurors=True,
)


def files() -> list[EventSpec]:
    return [decode_event_toml(path.read_bytes()) for path in sorted(EVENTS.glob("*.toml"))]


def posted(form: dict[str, Any]) -> list[tuple[str, str]]:
    """What a browser sends for the form as the page shows it (unchecked boxes send nothing)."""
    pairs: list[tuple[str, str]] = []

    def put(name: str, value: Any) -> None:
        if value is True:
            pairs.append((name, "on"))
        elif isinstance(value, list):
            pairs.extend((name, item) for item in value)
        elif value is not False:
            # Browsers send a textarea's lines with CRLF.
            pairs.append((name, str(value).replace("\n", "\r\n")))

    for name, value in form.items():
        if name in ("venue", "team_formation"):
            for field, text in value.items():
                put(f"{name}.{field}", text)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                for field, item in row.items():
                    put(f"{name}[{i}].{field}", item)
        elif not (isinstance(value, list) and not value and name in ("categories", "questions")):
            put(name, value)
    return pairs


@pytest.mark.parametrize("spec", [*files(), EVERY_FIELD], ids=lambda s: s.slug)
def test_form_to_definition_to_toml_and_back_to_the_form_changes_nothing(spec: EventSpec) -> None:
    form = form_of(spec)
    assert read_form(posted(form)) == form
    again = spec_of(read_form(posted(form)), spec)
    assert again == spec
    assert isinstance(again, EventSpec)
    text = encode_event_toml(again)
    assert decode_event_toml(text) == spec
    assert form_of(decode_event_toml(text)) == form


@pytest.mark.parametrize("slug", [HACKATHON, ROUND_TABLE])
def test_a_stored_event_shows_local_times_and_saves_to_the_same_definition(slug: str) -> None:
    stored = demo_event(slug)  # UTC, as the catalog keeps it
    form = form_of(stored)
    assert form["starts_at"] == form_of(demo_spec(slug))["starts_at"]  # local, as in the file
    again = spec_of(read_form(posted(form)), stored)
    assert isinstance(again, EventSpec)
    assert normalise(again) == stored
    assert again.sessions == stored.sessions and again.rooms == stored.rooms  # the agenda is kept


def test_a_new_event_is_unpublished_and_an_existing_one_keeps_its_slug() -> None:
    form = form_of(EVERY_FIELD)
    created = spec_of({**form, "slug": "autre-2031"}, None)
    assert isinstance(created, EventSpec) and created.published is False and created.slug == "autre-2031"
    published = msgspec.structs.replace(EVERY_FIELD, published=True)
    kept = spec_of({**form, "slug": "autre-2031"}, published)
    assert isinstance(kept, EventSpec) and kept.slug == EVERY_FIELD.slug and kept.published is True


def test_rows_are_added_removed_and_moved_with_what_was_typed() -> None:
    form = form_of(EVERY_FIELD)
    added = apply_action(form, "add:questions")
    assert added is not None and len(added["questions"]) == 6 and added["questions"][-1]["kind"] == "text"
    assert added["questions"][:5] == form["questions"]
    removed = apply_action(form, "remove:questions:1")
    assert removed is not None and [q["id"] for q in removed["questions"]] == ["venue", "why", "level", "defis"]
    up = apply_action(form, "up:categories:1")
    assert up is not None and [c["id"] for c in up["categories"]] == ["press", "public"]
    down = apply_action(form, "down:criteria:0")
    assert down is not None and [c["id"] for c in down["criteria"]] == ["pitch", "utile"]
    assert apply_action(form, "up:categories:0") == form
    assert apply_action(form, "save") is None
    assert apply_action(form, "remove:questions:9") is None
    assert apply_action(form, "add:sessions") is None
    assert form_of(EVERY_FIELD) == form  # nothing changed in place


def test_a_blank_form_becomes_an_open_day_once_filled_in() -> None:
    form = blank_form()
    form.update(slug="journee-2031", title="Journée", starts_at="2031-09-20T10:00", ends_at="2031-09-20T17:00")
    form["venue"] = {"name": "École", "address": ""}
    form["categories"][0].update(name="Visiteur", capacity="40")
    spec = spec_of(read_form(posted(form)))
    assert isinstance(spec, EventSpec)
    assert (spec.kind, spec.starts_at, spec.categories[0].capacity) == ("open_day", datetime(2031, 9, 20, 10), 40)
    assert spec.categories[0].public and spec.categories[0].default and not spec.published
    assert spec.jury_model  # the jury model ranks by default, from the form as from a file


def test_the_jury_model_can_be_turned_off_and_on_again_from_the_form() -> None:
    without = msgspec.structs.replace(EVERY_FIELD, jury_model=False)
    form = form_of(without)
    assert form["jury_model"] is False
    assert spec_of(read_form(posted(form)), without) == without
    assert spec_of(read_form(posted({**form, "jury_model": True})), without) == EVERY_FIELD


def problem(form: dict[str, Any], stored: EventSpec | None = EVERY_FIELD) -> FormProblem:
    result = spec_of(read_form(posted(form)), stored)
    assert isinstance(result, FormProblem), result
    return result


def test_each_problem_names_its_input_and_the_rule() -> None:
    form = form_of(EVERY_FIELD)
    form["categories"][1]["capacity"] = "-3"
    assert (
        problem(form)
        == (
            "categories[1].capacity",
            problem(form).reason,
        )
        and problem(form).reason.kind == "range"
    )
    assert (problem(form).reason.minimum, problem(form).reason.maximum) == (0, 100_000)

    form = form_of(EVERY_FIELD)
    form["criteria"][0]["weight"] = "beaucoup"
    assert problem(form).field == "criteria[0].weight" and problem(form).reason.kind == "type"

    form = form_of(EVERY_FIELD)
    form["categories"][0]["id"] = "Public !"
    assert problem(form).field == "categories[0].id" and problem(form).reason.kind == "pattern"

    form = form_of(EVERY_FIELD)
    form["categories"][0]["capacity"] = ""
    assert problem(form).field == "categories[0].capacity" and problem(form).reason.kind == "missing"

    form = form_of(EVERY_FIELD)
    form["questions"][3]["choices"] = "Débutant\n" + "x" * 201
    assert problem(form).field == "questions[3].choices" and problem(form).reason.kind == "length"

    form = form_of(EVERY_FIELD)
    form["criteria"][1]["id"] = "utile"
    assert problem(form).field == "criteria[1].id" and problem(form).reason.kind == "duplicate"

    form = form_of(EVERY_FIELD)
    form["starts_at"] = "demain"
    assert problem(form) == ("starts_at", TextProblem(kind="type", expected="datetime", value="str"))

    form = {**form_of(EVERY_FIELD), "categories": []}
    assert problem(form).field == "categories"

    assert problem({**form_of(EVERY_FIELD), "slug": "Pas Bon"}, None).field == "slug"


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "la valeur doit être un nombre entier de 0 à 100\u202f000."),
        ("en", "the value must be a whole number from 0 to 100,000."),
    ],
)
def test_a_problem_reads_as_a_sentence_in_the_pages_language(language: str, sentence: str) -> None:
    form = form_of(EVERY_FIELD)
    form["categories"][0]["capacity"] = "-3"
    assert problem_text(problem(form).reason, language, gettext_for(language)) == sentence


def test_team_formation_is_one_section_of_the_form_and_left_empty_it_is_no_section() -> None:
    form = form_of(EVERY_FIELD)
    assert form["team_formation"]["codes"] == "level"
    assert form["team_formation"]["experience_levels"] == "beginner\nexpert"
    assert form["questions"][4]["ranks"] == "2"
    cleared = {**form, "team_formation": {name: "" for name in form["team_formation"]}}
    again = spec_of(read_form(posted(cleared)), EVERY_FIELD)
    assert isinstance(again, EventSpec) and again.team_formation is None
    only_codes = {**cleared, "team_formation": {**cleared["team_formation"], "codes": "diet"}}
    again = spec_of(read_form(posted(only_codes)), EVERY_FIELD)
    assert isinstance(again, EventSpec) and again.team_formation == TeamFormation(codes="diet")


def test_a_wrong_experience_level_is_shown_next_to_its_text_box() -> None:
    form = form_of(EVERY_FIELD)
    form["team_formation"]["experience_levels"] = "beginner\nguru"
    assert problem(form).field == "team_formation.experience_levels"
