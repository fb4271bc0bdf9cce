"""Every error key a service may send has a sentence in French and in English, and every key the
code sends is one of the typed set: a refusal never reaches a page as a bare English fallback."""

import ast
from pathlib import Path

from schemas.errors import ERROR_KEYS
from services.web.errors import ERROR_TEXTS, error_text
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
