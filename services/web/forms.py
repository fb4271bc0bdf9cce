"""Reading forms (no JavaScript needed): texts, command ids, slugs; and the registration form."""

import re
import uuid

from litestar.datastructures import FormMultiDict

from schemas.catalog import EventSpec
from schemas.registration import Answer, Register
from schemas.validation import without_accents


def form_text(form: FormMultiDict, name: str, limit: int = 200) -> str:
    return str(form.get(name) or "").strip()[:limit]


def slugify(text: str, limit: int = 40) -> str:
    """A readable ASCII id made from a name (a room, a team): lowercase words joined by dashes."""
    plain = without_accents(text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-")
    return slug or "x"


def command_id_of(form: FormMultiDict) -> str:
    """The id the page put in its form, so a double click is one command; a new one if it is missing."""
    given = form_text(form, "command_id", 100)
    return given if len(given) >= 8 else uuid.uuid4().hex


def form_field(field: str | None) -> str:
    """Where the registration pages show a service's error: next to its question or field, else above the form."""
    if not field or field == "answers":  # msgspec names no question inside the answers
        return "_form"
    return field.replace("answers.", "q_")


def answers_from_form(spec: EventSpec, category: str, form: FormMultiDict) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for question in spec.questions_for(category):
        name = f"q_{question.id}"
        if question.kind == "multi_choice":
            values = [v for v in form.getall(name, []) if isinstance(v, str)]
            if values:
                answers[question.id] = values
        elif question.kind == "yes_no":
            value = form.get(name)
            if value in ("yes", "no"):
                answers[question.id] = value == "yes"
        else:
            value = form.get(name)
            if isinstance(value, str) and value.strip():
                answers[question.id] = value
    return answers


def register_from_form(spec: EventSpec, form: FormMultiDict, language: str) -> Register:
    category = str(form.get("category") or spec.default_category.id)
    return Register(
        command_id=str(form.get("command_id") or ""),
        event=spec.slug,
        # Not cut short: a name or address over its limit comes back with the error next to it.
        name=str(form.get("name") or ""),
        email=str(form.get("email") or "").strip(),
        consent=form.get("consent") == "yes",
        language="en" if language == "en" else "fr",
        category=category,
        answers=answers_from_form(spec, category, form),
    )
