"""The event's history for organisers: who changed what and when, merged from the services' logs.

Each service answers from its own stream (catalog: definitions, registration: actions on people,
teams: placements); nothing is kept here. Newest first.
"""

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from schemas.catalog import DefinitionHistory, GetDefinitionHistory, NameOrganisers, OrganiserNames
from schemas.registration import ActionHistory, GetActionHistory, ListRegistrations, RegistrationList
from schemas.subjects import Catalog, Registration, Teams
from schemas.teams import GetPlacementHistory, PlacementHistory
from services.web.gateway import Gateway
from services.web.rendering import render


class HistoryLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the page: `kind` says how the template words it."""

    at: datetime
    kind: str
    by_organiser: str | None = None
    # Definitions: the fields that changed, « path: old → new ».
    changes: list[str] = []
    first: bool = False
    # Actions on people: who (None once erased), and the team for placements.
    person: str | None = None
    erased: bool = False
    team: str = ""


def merged(
    definitions: DefinitionHistory,
    actions: ActionHistory,
    placements: PlacementHistory,
    names: dict[str, str],
) -> list[HistoryLine]:
    """Every service's answer in one list, newest first; `names` are people's names as the
    organiser's event page shows them (empty once erased)."""
    lines = [
        HistoryLine(
            at=d.at,
            kind="defined",
            by_organiser=d.by_organiser,
            first=d.first,
            changes=[
                f"{c.path}: {'—' if c.old is None else c.old} → {'—' if c.new is None else c.new}" for c in d.changes
            ],
        )
        for d in definitions.definitions
    ]
    lines += [
        HistoryLine(at=a.at, kind=a.action, by_organiser=a.by_organiser, person=a.name, erased=a.name is None)
        for a in actions.actions
    ]
    lines += [
        HistoryLine(
            at=p.at,
            kind=p.action,
            by_organiser=p.by_organiser,
            person=names.get(p.registration) or None,
            erased=not names.get(p.registration),
            team=p.team_name,
        )
        for p in placements.placements
    ]
    return sorted(lines, key=lambda line: line.at, reverse=True)


class HistoryPages(Controller):
    path = "/organiser/e"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/{slug:str}/history")
    async def history(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        spec = await gateway.event(slug, include_unpublished=True)
        definitions = await gateway.call(Catalog.DEFINITION_HISTORY, GetDefinitionHistory(slug=slug), DefinitionHistory)
        actions = await gateway.call(Registration.HISTORY, GetActionHistory(event=slug), ActionHistory)
        placements = await gateway.call(Teams.HISTORY, GetPlacementHistory(event=slug), PlacementHistory)
        people = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        lines = merged(definitions, actions, placements, {r.id: r.name for r in people.registrations})
        ids = sorted({line.by_organiser for line in lines if line.by_organiser})
        emails = (await gateway.call(Catalog.NAME_ORGANISERS, NameOrganisers(organiser_ids=ids), OrganiserNames)).emails
        return render(
            request,
            "organiser/history.html",
            organiser=request.state.organiser,
            event=spec,
            lines=lines,
            emails=emails,
        )
