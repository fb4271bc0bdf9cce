"""The organiser's team board: every team with its members, who is in none, and the forms to change them."""

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.subjects import Teams
from schemas.teams import (
    CreateTeam,
    DisbandTeam,
    GetProjects,
    JoinTeam,
    LeaveTeam,
    Membership,
    ProjectList,
    TeamList,
)
from services.kit.client import ServiceError
from services.web.errors import form_refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.photos import photo_response
from services.web.rendering import gettext_for, language_of, render
from services.web.teams.board import board_of
from services.web.teams.forms import create_from_form, shown_at

TeamCommand = CreateTeam | JoinTeam | LeaveTeam | DisbandTeam

SUBJECTS: dict[type, str] = {
    CreateTeam: Teams.CREATE,
    JoinTeam: Teams.JOIN,
    LeaveTeam: Teams.LEAVE,
    DisbandTeam: Teams.DISBAND,
}


class OrganiserTeams(Controller):
    path = "/organiser/e/{slug:str}/teams"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        board = await board_of(gateway, slug)
        projects = await gateway.call(Teams.PROJECTS, GetProjects(event=slug), ProjectList)
        return render(
            request,
            "organiser/teams.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=board.spec,
            teams=board.teams.teams,
            frozen=board.teams.frozen,
            max_size=board.teams.max_size,
            people={r.id: r for r in board.registrations},
            unplaced=sorted(board.unplaced, key=lambda r: r.name.casefold()),
            projects=projects,
            # Who has not described their project yet, in the board's order.
            without_project=[t for t in board.teams.teams if t.id not in projects.projects],
            challenges={c.id: c for c in board.spec.challenges},
            command_id=uuid.uuid4().hex,
            done=request.query_params.get("done", ""),
            errors=errors or {},
            values=values or {},
        )

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        return await self._page(request, gateway, slug)

    @get("/{team_id:str}/photo")
    async def photo(
        self, gateway: NamedDependency[Gateway], slug: FromPath[str], team_id: FromPath[str]
    ) -> Response[bytes]:
        """A team's project photo, for the event's organisers."""
        projects = await gateway.call(Teams.PROJECTS, GetProjects(event=slug), ProjectList)
        return await photo_response(gateway, slug, projects.projects.get(team_id))

    async def _send(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        command: TeamCommand,
        reply_type: type[msgspec.Struct],
        done: str,
        error_field: str,
    ) -> Response[Any]:
        try:
            await gateway.call(SUBJECTS[type(command)], command, reply_type)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            field = shown_at(refused.field) if error_field == "_form" else error_field
            values = {}
            if isinstance(command, CreateTeam):  # what the organiser typed stays in the form
                values = {"name": command.name.strip(), "challenge": command.challenge or ""}
                values["open"] = "yes" if command.open else "no"
            return await self._page(request, gateway, slug, {field: refused.message}, values, refused.status)
        return Redirect(f"/organiser/e/{slug}/teams?done={done}", status_code=303)

    @post("/create")
    async def create(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        command = create_from_form(form, slug, None, request.state.organiser[0])
        return await self._send(request, gateway, slug, command, TeamList, "created", "_form")

    @post("/{team_id:str}/place")
    async def place(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        team_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        registration = form_text(form, "registration", 100)
        if not registration:
            gettext = gettext_for(language_of(request))
            message = gettext("Choisissez une personne à placer dans l'équipe.")
            return await self._page(request, gateway, slug, {f"place-{team_id}": message}, None, 422)
        command = JoinTeam(
            command_id=command_id_of(form),
            event=slug,
            team_id=team_id,
            registration=registration,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, gateway, slug, command, Membership, "placed", f"place-{team_id}")

    @post("/remove/{registration_id:str}")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        registration_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        command = LeaveTeam(
            command_id=command_id_of(form),
            event=slug,
            registration=registration_id,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, gateway, slug, command, Membership, "removed", "_form")

    @post("/{team_id:str}/disband")
    async def disband(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        team_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        command = DisbandTeam(
            command_id=command_id_of(form), event=slug, team_id=team_id, by_organiser=request.state.organiser[0]
        )
        return await self._send(request, gateway, slug, command, TeamList, "disbanded", "_form")
