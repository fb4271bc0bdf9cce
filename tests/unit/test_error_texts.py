"""Every error key a service may send has a sentence in French and in English, and every key the
code sends is one of the typed set: a refusal never reaches a page as a bare English fallback."""

import ast
from pathlib import Path

import pytest

from schemas.errors import ERROR_KEYS, ErrorReply, Problem
from services.kit.client import ServiceError
from services.web.errors import ERROR_TEXTS, Refusal, error_text, form_refusals
from services.web.i18n import translations

ROOT = Path(__file__).resolve().parents[2]


def keys_in_source() -> dict[str, str]:
    """Each literal error key passed to Rejected, ErrorReply or a form problem, with where it is."""
    found: dict[str, str] = {}
    for path in sorted([*ROOT.glob("services/**/*.py"), *ROOT.glob("schemas/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            given = [k.value for k in node.keywords if k.arg == "key"]
            if name in ("Rejected", "ErrorReply") and len(node.args) >= 4:
                given.append(node.args[3])
            if name == "FormProblem" and node.args:
                given.append(node.args[0])
            for value in given:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_key_the_code_sends_is_a_typed_error_key() -> None:
    unknown = {key: where for key, where in keys_in_source().items() if key not in ERROR_KEYS}
    assert unknown == {}


def test_every_error_key_has_a_french_text_and_an_english_one() -> None:
    assert sorted(ERROR_KEYS - set(ERROR_TEXTS)) == []
    assert sorted(set(ERROR_TEXTS) - ERROR_KEYS) == []
    english = translations("en")
    untranslated = [key for key, text in ERROR_TEXTS.items() if english.gettext(text) == text]
    assert untranslated == []


def test_a_key_reads_in_the_pages_language_and_an_unknown_one_keeps_the_services_message() -> None:
    assert error_text("closed", "Registration is closed", "fr") == "Les inscriptions sont closes."
    assert error_text("closed", "Registration is closed", "en") != "Les inscriptions sont closes."
    assert error_text(None, "Registration is closed", "fr") == "Registration is closed"


def test_a_form_shows_every_problem_of_a_refusal_each_in_the_pages_language() -> None:
    problems = [
        Problem(field="name", key="name_required", message="Please give your name"),
        Problem(field="answers.level", key="answer_required", message="Please answer: Niveau"),
        Problem(field="answers.x", key=None, message="Something only the service says"),
    ]
    first = problems[0]
    reply = ErrorReply(code="invalid", message=first.message, field=first.field, key=first.key, problems=problems)
    assert form_refusals(ServiceError(reply), "fr") == [
        Refusal("name", "Indiquez votre nom.", 422),
        Refusal("answers.level", "Cette réponse est obligatoire.", 422),
        Refusal("answers.x", "Something only the service says", 422),
    ]
    assert form_refusals(ServiceError(reply), "en")[1].message == "This answer is required."
    # A refusal of one problem is that one; one that is not for a form goes to the error page.
    alone = ErrorReply(code="conflict", message="Registration is closed", field="category", key="closed")
    assert form_refusals(ServiceError(alone), "fr") == [Refusal("category", "Les inscriptions sont closes.", 409)]
    with pytest.raises(ServiceError):
        form_refusals(ServiceError(ErrorReply(code="forbidden", message="No", key="bad_token")), "fr")
