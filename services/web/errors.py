"""The one error path of the web: what a refusal says, in the reader's language, with which status.

Services refuse with an `ErrorReply` (code, key, field). Here, and only here: the text of every
error key (French is the message id, English in the catalog), how a page shows a refusal, and the
exception handlers that turn what is left into an error page or the API's JSON error.
"""

import logging
from typing import Any, NamedTuple
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.response import Redirect

from schemas.errors import HTTP_STATUS, ErrorKey, ErrorReply, Problem
from services.kit.client import ServiceError
from services.web.rendering import gettext_for, language_of, render

log = logging.getLogger("perche.web")


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel -k N_); it is translated when shown."""
    return message


# The text of every error key (schemas.errors.ErrorKey); the French text is the message id.
ERROR_TEXTS: dict[ErrorKey, str] = {
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
    "event_exists": N_("Un événement a déjà cet identifiant : choisissez-en un autre."),
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
    "already_confirmed": N_("Votre inscription est déjà confirmée."),
    "no_offer": N_("Aucune place ne vous est proposée pour le moment."),
    "offer_expired": N_("Le délai pour confirmer cette place est dépassé."),
    "no_free_seat": N_("Aucune place n'est libre dans cette catégorie."),
    "not_confirmed": N_("Seules les inscriptions confirmées peuvent être pointées."),
    "already_checked_in": N_("Cette personne est déjà arrivée."),
    "project_deadline_passed": N_(
        "La date limite pour décrire les projets est passée : le projet ne peut plus être modifié."
    ),
    "project_not_member": N_("Seuls les membres de l'équipe peuvent décrire son projet."),
    "project_title_required": N_("Donnez un titre au projet."),
    "project_title_too_long": N_("Le titre est trop long : 120 caractères au plus."),
    "project_summary_required": N_("Décrivez le projet en quelques lignes, en français ou en anglais."),
    "project_summary_too_long": N_("Ce résumé est trop long : 2 000 caractères au plus."),
    "project_too_many_links": N_("Cinq liens au plus."),
    "project_link_too_long": N_("Un lien est trop long : 500 caractères au plus."),
    "project_link_bad": N_("Chaque lien doit être une adresse web qui commence par http:// ou https://."),
    "project_photo_too_big": N_("La photo est trop lourde : 2 Mo au plus."),
    "project_photo_type": N_("La photo doit être une image JPEG, PNG ou WebP."),
    "project_photo_lost": N_("La photo n'a pas été reçue : envoyez-la de nouveau."),
    "speaker_availability_bad": N_(
        "Chaque disponibilité a un début et une fin, la fin après le début, pendant l'événement."
    ),
    "speaker_bio_too_long": N_("La présentation est trop longue : 1 000 caractères au plus."),
    "speaker_email_invalid": N_("Cette adresse e-mail n'est pas valide."),
    "speaker_link_expired": N_("Ce lien a expiré : l'événement est passé. Écrivez aux organisateurs si besoin."),
    "speaker_link_unknown": N_(
        "Ce lien n'est pas valide. Vérifiez qu'il est complet, ou demandez-en un autre aux organisateurs."
    ),
    "speaker_link_withdrawn": N_("Les organisateurs ont retiré cette invitation : ce lien ne s'ouvre plus."),
    "speaker_name_required": N_("Donnez le nom de la personne."),
    "speaker_title_too_long": N_("Le titre est trop long : 150 caractères au plus."),
    "teams_closed": N_("L'événement est terminé : les équipes ne peuvent plus changer."),
    "teams_frozen": N_(
        "Le jury est clos : les équipes sont figées. Seule l'organisation peut encore y placer ou en retirer quelqu'un."
    ),
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
    "answer_ranked_twice": N_("Vous avez classé deux fois le même choix : chaque place a son propre choix."),
    "answer_too_many_ranked": N_("Vous avez classé plus de choix que la question n'en demande."),
    "question_ranking_needs_choices": N_(
        "Une question de classement a besoin de réponses possibles, ou de défis à classer."
    ),
    "formation_unknown_question": N_("Cette question n'existe pas dans le formulaire de l'événement."),
    "formation_wrong_kind": N_("Cette question ne peut pas servir à cela : choisissez une question du bon type."),
    "formation_unknown_choice": N_("Cette réponse n'est pas l'une des réponses possibles de la question."),
    "formation_if_needed": N_("Dites quelles réponses de la question comptent : une ou plusieurs, une par ligne."),
    "formation_levels_count": N_("Donnez un niveau pour chaque réponse possible de la question sur l'expérience."),
    "formation_sizes": N_("La taille minimale des équipes doit être inférieure ou égale à la taille maximale."),
    "formation_above_event": N_(
        "La taille maximale ne peut pas dépasser la taille des équipes fixée pour l'événement."
    ),
    "formation_no_proposal": N_("Il n'y a pas de proposition d'équipes en cours : lancez-en une."),
    "formation_changed": N_(
        "La proposition a changé entre-temps (dans un autre onglet ou par un·e collègue) : "
        "voici sa dernière version, refaites votre changement."
    ),
    "formation_unknown_team": N_("Cette équipe proposée n'existe pas (ou plus) : rechargez la page."),
    "formation_not_proposed": N_("Cette personne n'est pas dans la proposition."),
    "formation_locked": N_("Cette équipe est verrouillée : déverrouillez-la d'abord pour la changer."),
    "formation_nobody": N_("Personne n'attend d'équipe : toutes les personnes inscrites en ont une."),
    "link_same_person": N_("Choisissez deux personnes différentes."),
    "link_contradicts": N_(
        "Ces deux personnes sont déjà liées dans l'autre sens (ensemble ou séparées) : retirez d'abord ce lien."
    ),
    "link_not_found": N_("Ce lien n'existe pas (ou plus)."),
    "judging_none": N_("Cet événement n'a pas de critères de notation."),
    "judging_no_criterion": N_("Ce critère n'existe pas pour cet événement."),
    "judging_closed": N_("Le jury a terminé : les notes ne peuvent plus être modifiées."),
    "judging_absent_by": N_("Dites qui marque l'équipe absente : un membre du jury ou l'organisation."),
    "judging_absent_undo": N_("Seule l'organisation peut revenir sur l'absence d'une équipe."),
    "judging_team_absent": N_("Cette équipe est marquée absente : elle ne peut pas être notée."),
    "judging_no_score": N_("Vous n'avez pas (ou plus) de note pour ce critère : rien à retirer."),
    "judging_no_team": N_("Cette équipe n'existe pas (ou plus)."),
    "judging_not_assigned": N_("Cette équipe ne vous est pas attribuée."),
    "judging_no_track": N_("Ce défi n'existe pas pour cet événement."),
    "judging_points_range": N_("Cette note n'est pas dans l'échelle proposée."),
    "judging_csv_columns": N_("La première ligne doit être l'en-tête juror,team,criterion,score (une colonne manque)."),
    "judging_csv_unreadable": N_("Ce fichier ne se lit pas comme un CSV : enregistrez-le au format CSV (UTF-8)."),
    "judging_csv_empty_cell": N_("Une case de cette ligne est vide (juré, équipe, critère ou note)."),
    "judging_csv_not_a_number": N_("La note n'est pas un nombre."),
    "judging_csv_not_whole": N_("La note doit être un nombre entier."),
    "judging_csv_off_scale": N_("La note sort de l'échelle de ce critère."),
    "judging_csv_duplicate": N_("Ce juré a déjà noté cette équipe sur ce critère plus haut dans le fichier."),
    "judging_csv_no_rows": N_("Le fichier ne contient aucune note."),
    "judging_csv_unknown_juror": N_("Ce membre du jury n'est pas connu pour cet événement."),
    "judging_csv_unknown_team": N_("Cette équipe n'est pas connue pour cet événement."),
    "judging_csv_unknown_criterion": N_("Ce critère n'existe pas pour cet événement."),
    "judging_csv_team_absent": N_("Cette équipe est marquée absente : elle ne peut pas être notée."),
    "judging_csv_not_assigned": N_("Cette équipe n'est pas sur la fiche de ce membre du jury."),
    # The audience Q&A (schemas/qa.py).
    "qa_question_too_short": N_("Votre question est trop courte : écrivez-la en 10 caractères au moins."),
    "qa_question_too_long": N_("Votre question est trop longue : 300 caractères au plus. Raccourcissez-la."),
    "qa_name_too_long": N_("Ce nom est trop long : 60 caractères au plus."),
    "qa_closed": N_("Les questions ne sont pas ouvertes pour le moment."),
    "qa_record_too_early": N_("Le compte rendu se publie une fois l'événement terminé."),
    "qa_record_empty": N_("Écrivez le résumé (en français au moins) avant de publier."),
    "qa_record_too_long": N_("Ce résumé est trop long : 5 000 caractères au plus."),
    "qa_voting_only": N_("On ne pose plus de questions : vous pouvez encore voter pour celles qui sont affichées."),
    "qa_voting_closed": N_("Les votes sont clos."),
    "qa_unknown_question": N_("Cette question n'existe pas (ou plus)."),
    "qa_not_votable": N_("On ne vote que pour les questions affichées."),
    "qa_already_voted": N_("Vous avez déjà voté pour cette question : votre voix compte une fois."),
    "qa_not_voted": N_("Vous n'aviez pas voté pour cette question."),
    "qa_too_many_pending": N_("Vos questions attendent la modération : patientez avant d'en poser d'autres."),
    "qa_full": N_("Cette séance ne prend plus de questions."),
    "qa_wrong_status": N_("Ce n'est pas possible pour cette question dans son état actuel : rechargez la page."),
    "qa_merge_itself": N_("Choisissez une autre question que celle-ci pour la fusionner."),
    "qa_merge_target": N_("Fusionnez dans une question en attente, affichée ou répondue."),
    "qa_poll_text_too_short": N_("Écrivez la question du sondage (3 caractères au moins)."),
    "qa_poll_text_too_long": N_("La question du sondage est trop longue : 200 caractères au plus."),
    "qa_poll_too_few_choices": N_("Un sondage a besoin de 2 choix au moins."),
    "qa_poll_too_many_choices": N_("Un sondage a 6 choix au plus."),
    "qa_poll_choice_too_long": N_("Un choix est trop long : 80 caractères au plus."),
    "qa_poll_choice_twice": N_("Deux choix sont identiques : chaque choix doit être différent."),
    "qa_poll_other_open": N_("Un autre sondage est ouvert : fermez-le avant d'en ouvrir un nouveau."),
    "qa_poll_wrong_state": N_("Ce n'est pas possible pour ce sondage dans son état actuel : rechargez la page."),
    "qa_poll_closed": N_("Ce sondage est clos : votre vote n'a pas été pris en compte."),
    "qa_poll_unknown_choice": N_("Choisissez l'une des réponses proposées."),
    "qa_poll_same_choice": N_("C'est déjà votre réponse : elle est bien comptée."),
    "qa_unknown_poll": N_("Ce sondage n'existe pas (ou plus)."),
    "qa_polls_full": N_("Cette séance ne prend plus de sondages."),
    "judging_csv_conflict": N_(
        "Ce membre du jury a un conflit d'intérêts avec cette équipe : il ne peut pas la noter."
    ),
    "judging_conflict": N_("Vous avez un conflit d'intérêts avec cette équipe : vous ne pouvez pas la juger."),
    "judging_conflict_assign": N_(
        "Ce membre du jury a un conflit d'intérêts avec cette équipe : elle ne peut pas lui être attribuée."
    ),
    "judging_conflict_automatic": N_(
        "Ce conflit vient de l'équipe elle-même (la personne en est membre ou la mentore) : il ne peut pas être levé."
    ),
    "judging_conflict_by": N_("Dites qui déclare le conflit : le membre du jury lui-même ou l'organisation."),
    "judging_conflict_undo": N_("Seule l'organisation peut lever un conflit d'intérêts."),
    "results_judging_open": N_("Closez d'abord la notation : le classement ne doit plus bouger une fois publié."),
    "results_nothing_scored": N_("Aucune équipe n'a encore été notée."),
    "prize_title_required": N_("Donnez un titre à chaque prix."),
    "prize_team_absent": N_("Une équipe absente ne peut pas recevoir de prix : choisissez une équipe classée."),
    "prize_unknown_team": N_("Cette équipe n'est pas dans le classement : choisissez une équipe classée."),
    "prize_challenge": N_("Dites pour quel défi est ce prix."),
    "prize_partner": N_("Donnez le nom du partenaire qui remet ce prix."),
    "agenda_unknown_room": N_("Cette salle n'existe pas : ajoutez-la d'abord."),
    "agenda_unknown_person": N_("Cette personne n'est pas dans la liste des intervenant·es et du jury."),
    "agenda_unknown_team": N_("Cette équipe n'existe pas : ajoutez-la d'abord."),
    "agenda_no_session": N_("Cette session n'existe pas (ou plus)."),
    "agenda_ends_first": N_("La fin doit être après le début."),
    "agenda_still_used": N_("Cet élément sert encore dans des sessions : modifiez-les ou retirez-les d'abord."),
    "agenda_has_conflicts": N_(
        "Le brouillon a des conflits : corrigez-les, ou cochez « publier malgré les conflits »."
    ),
    "agenda_unchanged": N_("Rien n'a changé depuis la dernière version publiée."),
    "rounds_no_team": N_("Il n'y a aucune équipe : ajoutez les équipes d'abord."),
    "rounds_too_few_jurors": N_(
        "Il n'y a pas assez de membres du jury pour ces salles et ce nombre de jurés par équipe."
    ),
    "rounds_conflicts": N_("Une équipe n'a pas assez de jurés sans conflit d'intérêts."),
    "rounds_unavailable": N_("Aucun jury disponible n'a pu être trouvé pour certaines équipes."),
    "agenda_bad_time": N_("Indiquez la date et l'heure (jj/mm/aaaa hh:mm)."),
    "agenda_bad_number": N_("Indiquez un nombre entier."),
    "agenda_title_required": N_("Indiquez un titre."),
    "agenda_name_required": N_("Indiquez un nom."),
    "mail_not_found": N_("Ce message n'existe pas (ou plus)."),
    "role_unknown": N_(
        "Ce rôle n'existe pas : choisissez propriétaire, organisation, accueil ou coordination du jury."
    ),
    "last_owner": N_("L'organisation doit garder au moins un·e propriétaire : nommez-en un·e autre d'abord."),
    "organisation_not_found": N_("Cette organisation n'existe pas."),
    "organisation_exists": N_("Une organisation a déjà cet identifiant : choisissez-en un autre."),
    "door_needs_events": N_("Choisissez au moins un événement pour l'accueil."),
    "token_name_required": N_("Nommez le jeton (à quoi sert le script)."),
    "event_not_in_organisation": N_("Cet événement n'appartient pas à cette organisation."),
    "message_subject_required": N_("Indiquez un objet."),
    "message_body_required": N_("Écrivez le message."),
    "message_audience_unknown": N_("Ces destinataires n'existent pas (ou plus) pour cet événement."),
    "message_nobody": N_("Personne ne recevrait ce message : choisissez d'autres destinataires."),
    "organiser_not_found": N_("Ce compte d'organisation n'existe plus."),
    "session_ended": N_("Votre session a pris fin : reconnectez-vous."),
    "event_ends_first": N_("La fin doit être après le début."),
    "event_one_default": N_("Une seule catégorie peut être celle par défaut."),
    "event_unknown_timezone": N_("Ce fuseau horaire n'existe pas : écrivez un nom comme Europe/Paris."),
    "id_used_twice": N_("Cet identifiant est déjà pris par une autre ligne : choisissez-en un autre."),
    "question_needs_choices": N_("Une question à choix a besoin de réponses possibles : écrivez-en une par ligne."),
    "question_no_choices": N_(
        "Seule une question à choix a des réponses possibles : videz ce champ ou changez le type."
    ),
    "question_choices_en": N_("Il faut autant de réponses en anglais qu'en français, dans le même ordre."),
    "question_unknown_category": N_("Cette question vise une catégorie qui n'existe pas."),
    "registration_closes_first": N_("La clôture des inscriptions doit être après leur ouverture."),
    "address_throttled": N_(
        "Trop de tentatives de connexion échouées depuis cette adresse : réessayez dans un quart d'heure."
    ),
    "mail_requests_throttled": N_("Trop de courriels demandés pour le moment : réessayez dans une heure."),
    "invitation_unknown": N_(
        "Ce lien d'invitation n'est pas valable : vérifiez qu'il est complet, ou demandez une nouvelle invitation."
    ),
    "invitation_used": N_(
        "Ce lien a déjà servi : votre compte existe, connectez-vous avec le mot de passe choisi "
        "(ou « Mot de passe oublié ? »)."
    ),
    "invitation_expired": N_("Ce lien d'invitation a expiré : demandez une nouvelle invitation à l'organisation."),
    "reset_unknown": N_("Ce lien n'est pas valable : vérifiez qu'il est complet, ou demandez-en un nouveau."),
    "reset_used": N_("Ce lien a déjà servi : demandez un nouveau lien si vous voulez changer encore de mot de passe."),
    "reset_expired": N_("Ce lien a expiré (il valait une heure) : demandez-en un nouveau."),
    "two_step_wrong_code": N_(
        "Ce code n'est pas le bon : tapez les 6 chiffres affichés par l'application, ou un code de secours."
    ),
    "two_step_replayed": N_("Ce code a déjà servi : attendez le suivant dans l'application (30 secondes au plus)."),
    "two_step_already_on": N_("La connexion en deux étapes est déjà activée."),
    "two_step_not_on": N_("La connexion en deux étapes n'est pas activée."),
    "two_step_not_started": N_("Commencez par afficher la clé à ajouter dans l'application, puis tapez un code."),
    "two_step_setup_required": N_(
        "Votre organisation demande la connexion en deux étapes : activez-la sur la page « Mon compte »."
    ),
    "two_step_required": N_("Ce compte demande un code à usage unique (connexion en deux étapes) : ajoutez-le."),
}


def error_text(key: str | None, fallback: str, language: str) -> str:
    """The sentence for an error key in `language`; the service's own message for a key with no text."""
    text = ERROR_TEXTS.get(key) if key else None  # type: ignore[call-overload]
    return str(gettext_for(language)(text)) if text else fallback


class Refusal(NamedTuple):
    """A refusal as a page shows it: next to `field` (None: above the form), with its HTTP status."""

    field: str | None
    message: str
    status: int


def refusal(reply: ErrorReply, language: str) -> Refusal:
    return Refusal(reply.field, error_text(reply.key, reply.message, language), HTTP_STATUS.get(reply.code, 500))


# What a form never shows next to its fields: a link that gives no access, or a fault of ours.
# These go to the error page; every other refusal is shown on the form, with what was typed kept.
NOT_FOR_THE_FORM = frozenset({"unauthorized", "forbidden", "internal"})


def form_refusal(error: ServiceError, language: str) -> Refusal:
    """The refusal a form shows, or `error` raised again for the error page (NOT_FOR_THE_FORM)."""
    if error.reply.code in NOT_FOR_THE_FORM:
        raise error
    return refusal(error.reply, language)


def form_refusals(error: ServiceError, language: str) -> list[Refusal]:
    """Every problem a form shows at once (form_refusal: or `error` raised again for the error page)."""
    status = form_refusal(error, language).status
    return [
        Refusal(problem.field, error_text(problem.key, problem.message, language), status)
        for problem in error.reply.every_problem()
    ]


# --- exception handlers: whatever a handler lets through ends here ---


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _here(request: Request[Any, Any, Any]) -> str:
    """This page's path with its query: a badge scanned before logging in still finds its person after."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def _error_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    message: str,
    field: str | None,
    headers: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
) -> Response[Any]:
    if _is_api(request):
        body: dict[str, Any] = {"code": code, "message": message, "field": field}
        if problems:  # several at once (ErrorOut.problems)
            body["problems"] = [{"field": p.field, "message": p.message} for p in problems]
        return Response(
            body,
            status_code=status,
            media_type=MediaType.JSON,
            headers=headers,
        )
    response = render(request, "public/error.html", status_code=status, message=message, status=status)
    response.headers.update(headers or {})
    return response


def on_service_error(request: Request[Any, Any, Any], error: ServiceError) -> Response[Any]:
    reply = error.reply
    message = reply.message if _is_api(request) else error_text(reply.key, reply.message, language_of(request))
    headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after else None
    status = HTTP_STATUS.get(reply.code, 500)
    return _error_response(request, status, reply.code, message, reply.field, headers, reply.problems)


def on_http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    gettext = gettext_for(language_of(request))
    if isinstance(error, NotAuthorizedException) and not _is_api(request):
        return Redirect(f"/organiser/login?next={quote(_here(request), safe='/')}", status_code=303)
    if isinstance(error, ValidationException) and _is_api(request):
        extra = error.extra if isinstance(error.extra, list) else []
        key = extra[0].get("key") if extra and isinstance(extra[0], dict) else None
        # msgspec names no key inside a mapping (`answers[...]`): the field is the mapping itself.
        field = str(key).split("[", 1)[0] if key else None
        detail = extra[0].get("message") if extra and isinstance(extra[0], dict) else None
        message = f"{error.detail}: {detail}" if detail else error.detail
        return _error_response(request, 400, "invalid", message, field)
    if isinstance(error, NotFoundException):
        return _error_response(request, 404, "not_found", gettext("Cette page n'existe pas."), None)
    if error.status_code == 403 and error.detail == "two_step_setup_required":
        if not _is_api(request):
            return Redirect("/organiser/account/two-step", status_code=303)
        message = ERROR_TEXTS["two_step_setup_required"]
        return _error_response(request, 403, "forbidden", gettext(message), None)
    if error.status_code == 403 and "CSRF" in str(error.detail):
        message = gettext("Le formulaire a expiré : rechargez la page et recommencez.")
        return _error_response(request, 403, "forbidden", message, None)
    if error.status_code == 429:
        message = gettext("Trop de demandes en peu de temps : patientez une minute puis réessayez.")
        # The rate limit is per minute: a retry after one always finds a fresh window.
        return _error_response(request, 429, "rate_limited", message, None, {"Retry-After": "60"})
    if error.status_code == 413:
        # A route may say what is too large on it (the project form: its photo).
        too_large = request.route_handler.opt.get("too_large", "too_large")
        message = gettext(ERROR_TEXTS.get(too_large, ERROR_TEXTS["too_large"]))
        return _error_response(request, 413, "too_large", message, None)
    if error.status_code == 400 and not _is_api(request):
        message = gettext("Ce formulaire n'a pas pu être lu : rechargez la page et recommencez.")
        return _error_response(request, 400, "invalid", message, None)
    code = {401: "unauthorized", 403: "forbidden", 405: "method_not_allowed"}.get(error.status_code, "invalid")
    # A 405 says which methods the address takes (RFC 9110 §15.5.6): keep Litestar's Allow header.
    allow = {"Allow": error.headers["allow"]} if error.headers and "allow" in error.headers else None
    return _error_response(request, error.status_code, code, str(error.detail), None, allow)


def on_too_deep(request: Request[Any, Any, Any], error: RecursionError) -> Response[Any]:
    """msgspec gives up on deeply nested JSON with a RecursionError: a bad request, not a crash."""
    log.warning("too deeply nested body on %s", request.url.path)
    gettext = gettext_for(language_of(request))
    message = gettext("Ce que vous avez envoyé est imbriqué trop profondément.")
    return _error_response(request, 400, "invalid", message, None)


def on_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unexpected error on %s", request.url.path, exc_info=error)
    gettext = gettext_for(language_of(request))
    message = gettext("Une erreur inattendue s'est produite : réessayez dans un instant.")
    return _error_response(request, 500, "internal", message, None)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ServiceError: on_service_error,
    HTTPException: on_http_error,
    RecursionError: on_too_deep,
    Exception: on_unexpected,
}
