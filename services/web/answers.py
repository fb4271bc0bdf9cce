"""Answers to an event's questions as people read them, in their language (the registration CSV,
the team formation page): choices are stored in French, ranked challenges by id."""

from schemas.catalog import EventSpec, Question
from services.kit.i18n import localised
from services.web.rendering import gettext_for


def answer_text(spec: EventSpec, question: Question, value: object, language: str) -> object:
    """Yes/no and choices as the organiser reads them; choices are stored in French, ranked
    challenges by id: a ranking reads « 1. La traite ; 2. La météo »."""
    gettext = gettext_for(language)
    if isinstance(value, bool):
        return gettext("oui") if value else gettext("non")
    shown = question.choices_en if language == "en" and question.choices_en else question.choices
    by_french = dict(zip(question.choices, shown, strict=False))
    if question.kind == "ranking" and isinstance(value, list):
        if not question.choices:
            by_french = {c.id: localised(c, "title", language) for c in spec.challenges}
        separator = "; " if language == "en" else " ; "
        return separator.join(f"{place}. {by_french.get(v, v)}" for place, v in enumerate(value, start=1))
    if isinstance(value, list):
        return ", ".join(by_french.get(v, v) for v in value)
    if isinstance(value, str):
        return by_french.get(value, value)
    return value
