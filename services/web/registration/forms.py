"""The registration forms (no JavaScript needed): a form into a command, and a refusal back next to its field."""

from typing import Any

from litestar.datastructures import FormMultiDict

from schemas.catalog import EventSpec
from schemas.registration import Answer, Register


def form_field(field: str | None) -> str:
    """Where the registration pages show a service's error: next to its question or field, else above the form."""
    # msgspec names no question inside the answers; the command id is a hidden field.
    if not field or field in ("answers", "command_id"):
        return "_form"
    return field.replace("answers.", "q_")


def typed_values(form: FormMultiDict) -> dict[str, Any]:
    """What the person typed, to show it again with the refusal: every choice of a question, one value else."""
    return {key: form.getall(key) if key.startswith("q_") else form.get(key) for key in form}


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
