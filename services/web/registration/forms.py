"""The registration forms (no JavaScript needed): a form into a command, and a refusal back next to its field."""

from typing import Any

from litestar.datastructures import FormMultiDict

from schemas.catalog import EventSpec
from schemas.registration import Answer, Register
from services.web.errors import Refusal


def form_field(field: str | None) -> str:
    """Where the registration pages show a service's error: next to its question or field, else above the form."""
    # msgspec names no question inside the answers; the command id is a hidden field.
    if not field or field in ("answers", "command_id"):
        return "_form"
    return field.replace("answers.", "q_")


def field_errors(refusals: list[Refusal], fields: list[str]) -> dict[str, str]:
    """Every refusal where the page shows it (form_field), in the order of the form's `fields`:
    above the form first, then as a person reads the form down (the error summary's order)."""
    errors: dict[str, str] = {}
    for refused in refusals:
        errors.setdefault(form_field(refused.field), refused.message)
    place = {name: index for index, name in enumerate(["_form", *fields])}
    return dict(sorted(errors.items(), key=lambda item: place.get(item[0], len(place))))


def event_form_fields(spec: EventSpec) -> list[str]:
    """The fields of the event page's form, top to bottom (templates/public/event.html)."""
    return ["name", "email", "category", *(f"q_{q.id}" for q in spec.questions), "consent"]


def answers_form_fields(spec: EventSpec, category: str) -> list[str]:
    """The fields of the private page's answers form, top to bottom (templates/public/registration.html)."""
    return ["name", *(f"q_{q.id}" for q in spec.questions_for(category))]


def typed_values(form: FormMultiDict) -> dict[str, Any]:
    """What the person typed, to show it again with the refusal: every choice of a question, one value else."""
    return {key: form.getall(key) if key.startswith("q_") else form.get(key) for key in form}


def answers_from_form(spec: EventSpec, category: str, form: FormMultiDict) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for question in spec.questions_for(category):
        name = f"q_{question.id}"
        if question.kind == "ranking":
            # One select per place, in the form's order: most preferred first, blank places kept
            # for the rules to drop (a person may leave the first place empty and fill the second).
            places = [v for v in form.getall(name, []) if isinstance(v, str)]
            if any(v.strip() for v in places):
                answers[question.id] = places
        elif question.kind == "multi_choice":
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
