"""A ranking question between the web's forms and the organiser's CSV: places read in the form's
order, and a ranking written « 1. … ; 2. … » in the reader's language."""

from datetime import UTC, datetime

from litestar.datastructures import FormMultiDict

from schemas.catalog import Category, Challenge, EventSpec, Question, Venue
from services.web.answers import answer_text
from services.web.registration.forms import answers_from_form

CHALLENGES = Question(id="challenges", kind="ranking", label="Classez les défis")
FOOD = Question(
    id="food", kind="ranking", label="Repas", choices=["Crêpes", "Galettes"], choices_en=["Pancakes", "Galettes"]
)
EVENT = EventSpec(
    slug="hackathon-2031",
    title="Hackathon",
    kind="hackathon",
    starts_at=datetime(2031, 6, 11, 7, 0, tzinfo=UTC),
    ends_at=datetime(2031, 6, 13, 16, 0, tzinfo=UTC),
    venue=Venue(name="École"),
    categories=[Category(id="participant", name="Participant", capacity=10)],
    questions=[CHALLENGES, FOOD],
    challenges=[
        Challenge(id="traite", title="La traite", title_en="Milking"),
        Challenge(id="meteo", title="La météo"),
    ],
)


def test_the_places_of_a_ranking_are_read_in_the_forms_order_and_an_all_blank_one_is_no_answer() -> None:
    form = FormMultiDict([("q_challenges", ""), ("q_challenges", "meteo"), ("q_challenges", "traite")])
    assert answers_from_form(EVENT, "participant", form) == {"challenges": ["", "meteo", "traite"]}
    blank = FormMultiDict([("q_challenges", ""), ("q_challenges", " "), ("q_food", "")])
    assert answers_from_form(EVENT, "participant", blank) == {}


def test_a_ranking_reads_as_numbered_places_in_the_readers_language() -> None:
    assert answer_text(EVENT, CHALLENGES, ["meteo", "traite"], "fr") == "1. La météo ; 2. La traite"
    assert answer_text(EVENT, CHALLENGES, ["meteo", "traite"], "en") == "1. La météo; 2. Milking"
    assert answer_text(EVENT, FOOD, ["Galettes", "Crêpes"], "en") == "1. Galettes; 2. Pancakes"
    # A challenge removed since the person ranked it still shows, by its id.
    assert answer_text(EVENT, CHALLENGES, ["sol"], "fr") == "1. sol"
    assert answer_text(EVENT, CHALLENGES, "", "fr") == ""
