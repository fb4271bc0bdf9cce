"""Every message shown to people exists in English: extraction from the code and
templates is compared with the English catalog, and a missing entry fails."""

import ast
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from services.web.i18n import LOCALE_DIR, translations

ROOT = Path(__file__).resolve().parents[2]


def extracted_ids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_every_message_has_an_english_translation(tmp_path: Path) -> None:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and not m.fuzzy and (m.string if isinstance(m.string, str) else m.string[0])
    }
    missing = sorted(extracted_ids(tmp_path) - translated)
    assert missing == [], "run `make i18n` and translate: " + "; ".join(missing)


def test_translations_keep_their_placeholders() -> None:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        for placeholder in ("%(position)s", "%(time)s", "%(deadline)s"):
            assert (placeholder in message.id) == (placeholder in message.string), message.id


def test_english_pages_read_english() -> None:
    gettext = translations("en").gettext
    assert gettext("Je m'inscris") == "Register"
    assert gettext("Votre rang sur la liste d'attente : %(position)s") % {"position": 3} == (
        "Your place on the waiting list: 3"
    )


def _literal(call: ast.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0], ast.Constant)


def test_every_translated_call_names_its_message_where_extraction_sees_it() -> None:
    """`gettext_for(lang)("...")` translates at run time but `make i18n` cannot see the message, so
    it drops out of the catalog and the English page shows French: call `gettext("...")` instead."""
    offences = []
    for path in sorted(ROOT.glob("services/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            inner = node.func if isinstance(node, ast.Call) else None
            if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) == "gettext_for" and _literal(node):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


# A colon, semicolon, question or exclamation mark after a space, outside any translated message:
# French spacing that English pages would show as "Venue :".
_SPACED_PUNCTUATION = re.compile(r"(?:\s|&nbsp;|\u00a0|\u202f)[:;?!](?=\s|<|$)")
_MESSAGE = re.compile(r"""_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
_SCRIPT = re.compile(r"<script.*?</script>", re.S)


def test_templates_leave_the_punctuation_of_a_label_to_its_language() -> None:
    """`{{ _("Défi") }} :` reads « Challenge : » in English: the colon goes inside the message
    (`_("Défi :")`, "Challenge:"), or `fmt.label(text)` punctuates a name as the page's language does."""
    offences = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        text = _SCRIPT.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), 1):
            if _SPACED_PUNCTUATION.search(_MESSAGE.sub("_(''", line)):
                offences.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert offences == []


def test_english_translations_put_no_space_before_a_colon() -> None:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="en")
    spaced = [
        message.string
        for message in catalog
        if isinstance(message.string, str) and _SPACED_PUNCTUATION.search(message.string)
    ]
    assert spaced == []
