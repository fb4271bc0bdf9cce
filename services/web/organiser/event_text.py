"""Why a TOML definition was refused, as a sentence in the organiser's language.

The parser's own messages (« Invalid enum value », a regex, English) become sentences that
name the field, the value typed and what is allowed, in words.
"""

from collections.abc import Callable
from typing import get_args

from schemas.catalog import Ident, Slug
from schemas.event_file import EventTextError, TextProblem
from services.web.i18n import Formatter


def _pattern_of(annotated: object) -> str:
    return str(get_args(annotated)[1].pattern)


def located(gettext: Callable[[str], str], field: str | None, problem: str) -> str:
    """The problem, with the field of the definition it is about when there is one."""
    return gettext("Champ « %(field)s » : %(problem)s") % {"field": field, "problem": problem} if field else problem


def event_text_refusal(error: EventTextError, language: str, gettext: Callable[[str], str]) -> str:
    return located(gettext, error.field, problem_text(error.reason, language, gettext))


def problem_text(reason: TextProblem, language: str, gettext: Callable[[str], str]) -> str:
    """The problem alone, for a page that shows it next to its field."""

    def number(value: float | None) -> str:
        return Formatter(language).number(value or 0)

    if reason.kind == "choice":
        allowed = ", ".join(reason.allowed)
        return gettext("« %(value)s » n'est pas une valeur possible ; choisissez parmi %(allowed)s.") % {
            "value": reason.value,
            "allowed": allowed,
        }
    if reason.kind == "range":
        whole = reason.expected == "int"
        if reason.minimum is not None and reason.maximum is not None:
            text = (
                gettext("un nombre entier de %(low)s à %(high)s")
                if whole
                else gettext("un nombre de %(low)s à %(high)s")
            )
            limits = text % {"low": number(reason.minimum), "high": number(reason.maximum)}
        elif reason.minimum is not None:
            text = gettext("un nombre entier d'au moins %(low)s") if whole else gettext("un nombre d'au moins %(low)s")
            limits = text % {"low": number(reason.minimum)}
        else:
            text = gettext("un nombre entier d'au plus %(high)s") if whole else gettext("un nombre d'au plus %(high)s")
            limits = text % {"high": number(reason.maximum)}
        return gettext("la valeur doit être %(limits)s.") % {"limits": limits}
    if reason.kind == "pattern":
        if reason.pattern == _pattern_of(Slug):
            return gettext(
                "de 2 à 63 caractères : lettres minuscules sans accent, chiffres et tirets, sans tiret au début."
            )
        if reason.pattern == _pattern_of(Ident):
            return gettext(
                "de 1 à 40 caractères : lettres minuscules sans accent, chiffres, tirets et soulignés, "
                "sans tiret ni souligné au début."
            )
        return gettext("la forme de cette valeur n'est pas acceptée.")
    if reason.kind == "length":
        if reason.minimum and reason.maximum is not None:
            return gettext("de %(low)s à %(high)s caractères.") % {
                "low": number(reason.minimum),
                "high": number(reason.maximum),
            }
        if reason.maximum is not None:
            return gettext("%(high)s caractères au plus.") % {"high": number(reason.maximum)}
        return gettext("%(low)s caractères au moins.") % {"low": number(reason.minimum)}
    if reason.kind == "duplicate":
        return gettext("l'identifiant « %(value)s » est déjà pris par une autre ligne ; choisissez-en un autre.") % {
            "value": reason.value
        }
    if reason.kind == "missing":
        return gettext("ce champ est obligatoire et manque.")
    if reason.kind == "unknown_field":
        return gettext("ce champ n'existe pas dans une définition d'événement ; vérifiez son orthographe.")
    if reason.kind == "type":
        expected = _type_names(gettext).get(reason.expected, reason.expected)
        return gettext("%(expected)s est attendu ici.") % {"expected": expected}
    if reason.kind == "syntax":
        if reason.line is not None:
            return gettext(
                "Ligne %(line)s, colonne %(column)s : ce n'est pas du TOML valide ; vérifiez les guillemets, "
                "les crochets et le signe = de cette ligne et de la précédente."
            ) % {"line": reason.line, "column": reason.column}
        return gettext("ce n'est pas du TOML valide ; vérifiez les guillemets, les crochets et les signes =.")
    return reason.value


def _type_names(gettext: Callable[[str], str]) -> dict[str, str]:
    return {
        "int": gettext("un nombre entier"),
        "float": gettext("un nombre"),
        "str": gettext("un texte entre guillemets"),
        "bool": gettext("true ou false"),
        "datetime": gettext("une date et une heure (2027-06-11T09:00:00)"),
        "array": gettext("une liste"),
        "object": gettext("une table"),
    }
