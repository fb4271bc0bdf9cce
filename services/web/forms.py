"""Turning the registration form (no JavaScript needed) into a command, and its errors into text."""

import uuid
from typing import Any

from litestar.datastructures import FormMultiDict

from schemas.catalog import EventSpec
from schemas.registration import Answer, Register


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel -k N_); it is translated when shown."""
    return message


# Texts for each error key a page may show; the French text is the message id.
ERROR_TEXTS = {
    "name_required": N_("Indiquez votre nom."),
    "email_invalid": N_("Cette adresse e-mail ne semble pas valide : vérifiez-la."),
    "consent_required": N_("Cochez la case pour accepter l'utilisation de vos données."),
    "unknown_category": N_("Choisissez une catégorie proposée."),
    "not_open_yet": N_("Les inscriptions ne sont pas encore ouvertes."),
    "closed": N_("Les inscriptions sont closes."),
    "answer_required": N_("Cette réponse est obligatoire."),
    "too_long": N_("Ce texte est trop long : raccourcissez-le."),
    "too_large": N_("Ce que vous avez envoyé est trop long : raccourcissez les textes et recommencez."),
    "answer_too_long": N_("Cette réponse est trop longue (2 000 caractères au plus)."),
    "answer_not_a_choice": N_("Choisissez parmi les réponses proposées."),
    "answer_wrong_kind": N_("Cette réponse n'est pas du bon type."),
    "unknown_question": N_("Cette question n'existe pas."),
    "event_not_found": N_("Cet événement n'existe pas ou n'est pas publié."),
    "registration_not_found": N_("Cette inscription n'existe pas."),
    "bad_token": N_("Ce lien n'est pas valable pour cette inscription."),
    "already_cancelled": N_("Cette inscription est déjà annulée."),
    "idempotency_key_reused": N_(
        "Cette inscription a déjà été envoyée depuis ce navigateur avec d'autres informations. "
        "Pour les changer, suivez le lien de l'e-mail de confirmation ; "
        "pour inscrire quelqu'un d'autre, rechargez la page."
    ),
    "erased": N_("Les données personnelles de cette inscription ont été effacées."),
    "command_id_reused": N_("Cette demande a déjà servi pour autre chose : rechargez la page et recommencez."),
    "wrong_credentials": N_("Adresse e-mail ou mot de passe incorrect."),
    "login_throttled": N_("Trop de tentatives de connexion échouées pour ce compte : réessayez dans un quart d'heure."),
    "wrong_current_password": N_("Le mot de passe actuel n'est pas le bon."),
    "password_too_short": N_("Le mot de passe doit compter au moins 10 caractères."),
    "unavailable": N_("Le service ne répond pas pour le moment : réessayez dans un instant."),
    "command_missing": N_("Le formulaire a expiré : rechargez la page et recommencez."),
    "already_confirmed": N_("Votre inscription est déjà confirmée."),
    "no_offer": N_("Aucune place ne vous est proposée pour le moment."),
    "offer_expired": N_("Le délai pour confirmer cette place est dépassé."),
    "no_free_seat": N_("Aucune place n'est libre dans cette catégorie."),
    "not_confirmed": N_("Seules les inscriptions confirmées peuvent être pointées."),
    "already_checked_in": N_("Cette personne est déjà arrivée."),
    "teams_closed": N_("L'événement est terminé : les équipes ne peuvent plus changer."),
    "team_name_required": N_("Donnez un nom à l'équipe."),
    "team_no_founder": N_("Une équipe est créée par un·e participant·e ou par l'organisation."),
    "team_unknown_challenge": N_("Choisissez un défi proposé."),
    "team_exists": N_("Cette équipe existe déjà : rechargez la page."),
    "team_name_taken": N_("Une équipe porte déjà ce nom : choisissez-en un autre."),
    "team_not_participant": N_(
        "Seules les personnes inscrites comme participant·es, et confirmées, peuvent être dans une équipe."
    ),
    "team_already_member": N_("Cette personne est déjà dans une équipe : il faut d'abord la quitter."),
    "team_not_found": N_("Cette équipe n'existe pas (ou plus) : rechargez la page."),
    "team_wrong_code": N_("Ce code ne correspond à aucune équipe : vérifiez-le auprès d'un membre de l'équipe."),
    "team_full": N_("Cette équipe est complète : rejoignez-en une autre ou créez la vôtre."),
    "team_not_member": N_("Cette personne n'est dans aucune équipe."),
    "judging_none": N_("Cet événement n'a pas de critères de notation."),
    "judging_no_criterion": N_("Ce critère n'existe pas pour cet événement."),
    "judging_closed": N_("Le jury a terminé : les notes ne peuvent plus être modifiées."),
    "judging_no_team": N_("Cette équipe n'existe pas (ou plus)."),
    "judging_not_assigned": N_("Cette équipe ne vous est pas attribuée."),
    "judging_points_range": N_("Cette note n'est pas dans l'échelle proposée."),
    "results_judging_open": N_("Closez d'abord la notation : le classement ne doit plus bouger une fois publié."),
    "results_nothing_scored": N_("Aucune équipe n'a encore été notée."),
}


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


def error_text(key: str | None, fallback: str, gettext: Any) -> str:
    return gettext(ERROR_TEXTS[key]) if key in ERROR_TEXTS else fallback


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
