"""Turning the registration form (no JavaScript needed) into a command, and its errors into text."""

import uuid

from litestar.datastructures import FormMultiDict

from schemas.catalog import EventSpec
from schemas.registration import Answer, Register


def form_text(form: FormMultiDict, name: str, limit: int = 200) -> str:
    return str(form.get(name) or "").strip()[:limit]


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
