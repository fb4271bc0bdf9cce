"""A refused TOML definition is explained in the organiser's language: the field, the value typed
and what is allowed, in words (not msgspec's « Invalid enum value », a regex or parser English)."""

from pathlib import Path

import pytest

from schemas.event_file import EventTextError, decode_event_toml
from services.web.i18n import translations
from services.web.organiser.event_text import event_text_refusal

ROUND_TABLE_FILE = Path(__file__).resolve().parents[2] / "events" / "table-ronde-numerique-education-2027.toml"


def refusal(old: str, new: str, language: str) -> str:
    text = ROUND_TABLE_FILE.read_text(encoding="utf-8")
    assert old in text, f"the demo file changed: {old!r}"
    return refusal_of(text.replace(old, new, 1), language)


def refusal_of(text: str, language: str) -> str:
    with pytest.raises(EventTextError) as refused:
        decode_event_toml(text)
    return event_text_refusal(refused.value, language, translations(language).gettext)


CASES = [
    (
        "choice",
        ('kind = "round_table"', 'kind = "portes ouvertes"'),
        "Champ « kind » : « portes ouvertes » n'est pas une valeur possible ; choisissez parmi "
        "conference, hackathon, open_day, round_table, workshop.",
        "Field “kind”: “portes ouvertes” is not a possible value; choose among "
        "conference, hackathon, open_day, round_table, workshop.",
    ),
    (
        "range",
        ("capacity = 80", "capacity = -3"),
        "Champ « categories[0].capacity » : la valeur doit être un nombre entier de 0 à 100\u202f000.",
        "Field “categories[0].capacity”: the value must be a whole number from 0 to 100,000.",
    ),
    (
        "slug pattern",
        ('slug = "table-ronde-numerique-education-2027"', 'slug = "Table ronde"'),
        "Champ « slug » : de 2 à 63 caractères : lettres minuscules sans accent, chiffres et tirets, "
        "sans tiret au début.",
        "Field “slug”: 2 to 63 characters: lower-case letters without accents, digits and hyphens, "
        "not starting with a hyphen.",
    ),
    (
        "missing",
        ('title = "Table ronde « Numérique et Éducation »"\n', ""),
        "Champ « title » : ce champ est obligatoire et manque.",
        "Field “title”: this field is required and missing.",
    ),
    (
        "type",
        ("capacity = 80", 'capacity = "beaucoup"'),
        "Champ « categories[0].capacity » : un nombre entier est attendu ici.",
        "Field “categories[0].capacity”: a whole number is expected here.",
    ),
    (
        "unknown field",
        ("capacity = 80\n", "capacity = 80\nprice = 5\n"),
        "Champ « categories[0].price » : ce champ n'existe pas dans une définition d'événement ; "
        "vérifiez son orthographe.",
        "Field “categories[0].price”: there is no such field in an event's definition; check its spelling.",
    ),
    (
        "duplicate",
        ('id = "hall"', 'id = "conseil"'),
        "Champ « rooms[1].id » : l'identifiant « conseil » est déjà pris par une autre ligne ; choisissez-en un autre.",
        "Field “rooms[1].id”: another row already has the id “conseil”; choose another one.",
    ),
]


@pytest.mark.parametrize(("name", "edit", "french", "english"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_definition_is_a_sentence_in_french_and_english(
    name: str, edit: tuple[str, str], french: str, english: str
) -> None:
    assert refusal(*edit, "fr") == french
    assert refusal(*edit, "en") == english


def test_a_text_too_long_gives_the_limits_in_words() -> None:
    long_name = "x" * 201
    text = ROUND_TABLE_FILE.read_text(encoding="utf-8").replace(
        'id = "public"\nname = "', f'id = "public"\nname = "{long_name}', 1
    )
    assert 'name = "' + long_name in text
    assert refusal_of(text, "fr").endswith(" : de 1 à 200 caractères.")
    assert refusal_of(text, "en").endswith(": 1 to 200 characters.")


def test_text_that_is_not_toml_names_the_line_in_the_organisers_language() -> None:
    broken = 'slug = "x"\ntitle = "sans fin\n'
    assert refusal_of(broken, "fr") == (
        "Ligne 2, colonne 18 : ce n'est pas du TOML valide ; vérifiez les guillemets, "
        "les crochets et le signe = de cette ligne et de la précédente."
    )
    assert refusal_of(broken, "en") == (
        "Line 2, column 18: this is not valid TOML; check the quotes, brackets and = sign "
        "on this line and the one before."
    )
