"""The organiser's spreadsheet of an event's registrations: one row per person, one column per question,
in the organiser's language, times in the event's zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

from schemas.catalog import EventSpec
from schemas.registration import RegistrationView
from schemas.teams import TeamList
from services.kit.i18n import localised
from services.web.answers import answer_text
from services.web.rendering import gettext_for
from services.web.spreadsheets import Separator, csv_bytes

# Year first and local wall-clock time: no 12/1/26 that reads two ways, no UTC to convert, and
# Excel and LibreOffice read it as a date in every language.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def forms_teams(spec: EventSpec) -> bool:
    """Whether the event has teams: some category's people are participants, whom teams are made of."""
    return any(spec.audience_of(c.id) == "participants" for c in spec.categories)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(TIME_FORMAT) if moment else ""


def registrations_csv(
    spec: EventSpec,
    registrations: list[RegistrationView],
    teams: TeamList | None,
    language: str,
    separator: Separator = "comma",
) -> bytes:
    """`teams` is None for an event without teams, which then has no team column."""
    gettext = gettext_for(language)
    statuses = {
        "confirmed": gettext("confirmée"),
        "waitlisted": gettext("liste d'attente"),
        "cancelled": gettext("annulée"),
    }
    team_of = {member: team.name for team in (teams.teams if teams else []) for member in team.members}
    zone = ZoneInfo(spec.timezone)
    header = [
        "id",
        gettext("nom"),
        gettext("email"),
        gettext("catégorie"),
        # The status's code (confirmed, waitlisted, cancelled), the same in every language for filters
        # and scripts, then the same in words.
        gettext("statut"),
        gettext("statut en clair"),
        gettext("rang liste d'attente"),
        gettext("inscrit le"),
        gettext("arrivé·e le"),
        *([gettext("équipe")] if teams is not None else []),
        gettext("langue"),
        *(localised(q, "label", language) for q in spec.questions),
    ]
    rows: list[list[object]] = []
    for r in registrations:
        category = spec.category(r.category)
        rows.append(
            [
                r.id,
                r.name,
                r.email,
                localised(category, "name", language) if category else r.category,
                r.status,
                statuses[r.status],
                r.position or "",
                _local(r.registered_at, zone),
                _local(r.checked_in_at, zone),
                *([team_of.get(r.id, "")] if teams is not None else []),
                r.language,
                *(answer_text(spec, q, r.answers.get(q.id, ""), language) for q in spec.questions),
            ]
        )
    return csv_bytes(header, rows, separator)
