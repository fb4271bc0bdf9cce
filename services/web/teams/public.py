"""Teams on the web: a participant's team page, the organiser's team board, the public list, the JSON API.

Every form works without JavaScript and carries a client-made command id, so a double
click is one command. A participant's link is their registration's manage token: it is
checked with the registration service before any team command is sent.
"""

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import EventSpec
from schemas.errors import ErrorReply
from schemas.judging import GetStandings, Standings
from schemas.registration import GetRegistration, ListRegistrations, RegistrationList, RegistrationView
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import (
    CreateTeam,
    DisbandTeam,
    GetMembership,
    JoinTeam,
    LeaveTeam,
    ListTeams,
    Membership,
    TeamList,
)
from services.kit.client import ServiceError
from services.web.auth import organiser_guard
from services.web.errors import error_text
from services.web.forms import command_id_of, form_text, slugify
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render
from services.web.views import error_responses

# Form fields an error may be tied to; any other error goes to the summary at the top.
FORM_FIELDS = ("name", "challenge", "code")


def team_id_for(name: str, command_id: str) -> str:
    """A readable id, the same for the same command (a double click asks for the same team)."""
    digest = hashlib.sha256(command_id.encode()).hexdigest()[:6]
    return f"{slugify(name, 30) if name.strip() else 'equipe'}-{digest}"


def create_from_form(form: FormMultiDict, slug: str, founder: str | None, organiser: str | None) -> CreateTeam:
    command_id = command_id_of(form)
    # Not cut to the 80 characters a name may have: a longer one comes back with the error next to it.
    name = form_text(form, "name", 1000)
    return CreateTeam(
        command_id=command_id,
        event=slug,
        team_id=team_id_for(name, command_id),
        # A blank name still makes a command: the service answers with its precise refusal.
        name=name or " ",
        challenge=form_text(form, "challenge", 40) or None,
        open=form.get("open") != "no",
        founder=founder,
        by_organiser=organiser,
    )


def is_participant(spec: EventSpec, view: RegistrationView) -> bool:
    return view.status == "confirmed" and not view.erased and spec.audience_of(view.category) == "participants"


def _status(error: ServiceError) -> int:
    return {"conflict": 409, "not_found": 404}.get(error.reply.code, 422)


def _error_field(error: ServiceError, default: str = "_form") -> str:
    field = error.reply.field or ""
    return field if field in FORM_FIELDS else default


def _query(token: str, language: str, **extra: str) -> str:
    return urlencode({"token": token, **extra, **({"lang": language} if language != "fr" else {})})


# --- a participant's own team ---


@dataclass(frozen=True)
class TeamOutcome:
    rank: int | None
    teams: int
    feedback: list[str]


async def team_outcome(gateway: Gateway, spec: EventSpec, team_id: str) -> TeamOutcome | None:
    """Once the results are published, a team's members see its rank and the jury's words for it."""
    if not spec.criteria:
        return None
    results = await gateway.results(spec.slug)
    if results.version == 0:
        return None
    standings = await gateway.call(Judging.STANDINGS, GetStandings(event=spec.slug), Standings)
    words = next((s.feedback for s in standings.standings if s.team.id == team_id), [])
    rank = next((line.rank for line in results.lines if line.team == team_id), None)
    return TeamOutcome(rank=rank, teams=len(results.lines), feedback=words)


class TeamPages(Controller):
    include_in_schema = False

    async def _registration(
        self, request: Request[Any, Any, Any], registration_id: str, token: str
    ) -> RegistrationView:
        gateway: Gateway = request.app.state.gateway
        query = GetRegistration(registration_id=registration_id, token=token)
        view: RegistrationView = await gateway.call(Registration.GET, query, RegistrationView)
        return view

    async def _page(
        self,
        request: Request[Any, Any, Any],
        registration_id: str,
        token: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        view = await self._registration(request, registration_id, token)
        spec = await gateway.event(view.event, include_unpublished=True)
        eligible = is_participant(spec, view)
        mine: Membership | None = None
        joinable = []
        if eligible:
            mine, teams = await asyncio.gather(
                gateway.call(Teams.MEMBERSHIP, GetMembership(event=spec.slug, registration=view.id), Membership),
                gateway.call(Teams.LIST, ListTeams(event=spec.slug), TeamList),
            )
            joinable = [t for t in teams.teams if t.open and len(t.members) < teams.max_size]
        outcome = await team_outcome(gateway, spec, mine.team.id) if mine and mine.team else None
        return render(
            request,
            "public/team.html",
            status_code=status_code,
            event=spec,
            registration=view,
            eligible=eligible,
            team=mine.team if mine else None,
            max_size=spec.team_max_size,
            joinable=joinable,
            outcome=outcome,
            challenges={c.id: c for c in spec.challenges},
            command_id=uuid.uuid4().hex,
            lang_query="" if language_of(request) == "fr" else f"?lang={language_of(request)}",
            done=request.query_params.get("done", ""),
            errors=errors or {},
            values=values or {},
        )

    @get("/r/{registration_id:str}/team")
    async def show(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], token: FromQuery[str] = ""
    ) -> Response[str]:
        return await self._page(request, registration_id, token)

    async def _send(
        self,
        request: Request[Any, Any, Any],
        registration_id: str,
        make: Any,
        done: str,
        error_field: str = "_form",
    ) -> Response[Any]:
        """Check the link, send the command `make(form, view)` builds, and show the outcome."""
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        token = form_text(form, "token", 100)
        view = await self._registration(request, registration_id, token)
        language = language_of(request)
        values = {key: str(form.get(key) or "") for key in ("name", "challenge", "open", "code")}
        try:
            subject, command, reply_type = await make(form, view)
            await gateway.call(subject, command, reply_type)
        except ServiceError as error:
            if error.reply.code in ("forbidden", "unavailable", "internal"):
                raise
            message = error_text(error.reply.key, error.reply.message, language)
            errors = {_error_field(error, error_field): message}
            return await self._page(request, registration_id, token, errors, values, _status(error))
        return Redirect(f"/r/{registration_id}/team?{_query(token, language, done=done)}", status_code=303)

    @post("/r/{registration_id:str}/team/create")
    async def create(self, request: Request[Any, Any, Any], registration_id: FromPath[str]) -> Response[Any]:
        async def make(form: FormMultiDict, view: RegistrationView) -> tuple[str, Any, Any]:
            return Teams.CREATE, create_from_form(form, view.event, view.id, None), TeamList

        return await self._send(request, registration_id, make, "created")

    @post("/r/{registration_id:str}/team/join")
    async def join(self, request: Request[Any, Any, Any], registration_id: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        by_code = "code" in form

        async def make(form: FormMultiDict, view: RegistrationView) -> tuple[str, Any, Any]:
            code = "".join(form_text(form, "code", 40).split()).upper()
            team_id = form_text(form, "team_id", 40)
            if by_code:
                # A code alone names its team: each team of an event has its own.
                teams = await gateway.call(Teams.LIST, ListTeams(event=view.event), TeamList)
                found = next((t for t in teams.teams if t.code == code), None)
                if found is None:
                    reply = ErrorReply(
                        code="invalid", message="This code does not open any team", field="code", key="team_wrong_code"
                    )
                    raise ServiceError(reply)
                team_id = found.id
            command = JoinTeam(
                command_id=command_id_of(form), event=view.event, team_id=team_id, registration=view.id, code=code
            )
            return Teams.JOIN, command, Membership

        return await self._send(request, registration_id, make, "joined", "code" if by_code else "_form")

    @post("/r/{registration_id:str}/team/leave")
    async def leave(self, request: Request[Any, Any, Any], registration_id: FromPath[str]) -> Response[Any]:
        async def make(form: FormMultiDict, view: RegistrationView) -> tuple[str, Any, Any]:
            command = LeaveTeam(command_id=command_id_of(form), event=view.event, registration=view.id)
            return Teams.LEAVE, command, Membership

        return await self._send(request, registration_id, make, "left")

    # --- the public list ---

    @get("/e/{slug:str}/teams")
    async def public(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug)
        teams = await gateway.call(Teams.LIST, ListTeams(event=slug), TeamList)
        return render(
            request,
            "public/teams.html",
            event=spec,
            # Names of teams, challenges and sizes only: no member, no join code.
            teams=[(t.name, t.challenge, len(t.members)) for t in teams.teams],
            max_size=teams.max_size,
            challenges={c.id: c for c in spec.challenges},
        )


# --- organisers ---


class OrganiserTeams(Controller):
    path = "/organiser/e/{slug:str}/teams"
    include_in_schema = False
    guards = [organiser_guard]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        slug: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        teams, people = await asyncio.gather(
            gateway.call(Teams.LIST, ListTeams(event=slug), TeamList),
            gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList),
        )
        by_id = {r.id: r for r in people.registrations}
        placed = {m for t in teams.teams for m in t.members}
        unplaced = [r for r in people.registrations if is_participant(spec, r) and r.id not in placed]
        return render(
            request,
            "organiser/teams.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            teams=teams.teams,
            max_size=teams.max_size,
            people=by_id,
            unplaced=sorted(unplaced, key=lambda r: r.name.casefold()),
            challenges={c.id: c for c in spec.challenges},
            command_id=uuid.uuid4().hex,
            done=request.query_params.get("done", ""),
            errors=errors or {},
            values=values or {},
        )

    @get("/")
    async def show(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        return await self._page(request, slug)

    async def _send(
        self, request: Request[Any, Any, Any], slug: str, command: Any, reply_type: Any, done: str, error_field: str
    ) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        try:
            await gateway.call(command_subject(command), command, reply_type)
        except ServiceError as error:
            if error.reply.code in ("forbidden", "unavailable", "internal"):
                raise
            message = error_text(error.reply.key, error.reply.message, language_of(request))
            field = _error_field(error, error_field) if error_field == "_form" else error_field
            values = {}
            if isinstance(command, CreateTeam):  # what the organiser typed stays in the form
                values = {"name": command.name.strip(), "challenge": command.challenge or ""}
                values["open"] = "yes" if command.open else "no"
            return await self._page(request, slug, {field: message}, values, _status(error))
        return Redirect(f"/organiser/e/{slug}/teams?done={done}", status_code=303)

    @post("/create")
    async def create(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        form = await request.form()
        command = create_from_form(form, slug, None, request.state.organiser[0])
        return await self._send(request, slug, command, TeamList, "created", "_form")

    @post("/{team_id:str}/place")
    async def place(
        self, request: Request[Any, Any, Any], slug: FromPath[str], team_id: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        registration = form_text(form, "registration", 100)
        if not registration:
            gettext = gettext_for(language_of(request))
            message = gettext("Choisissez une personne à placer dans l'équipe.")
            return await self._page(request, slug, {f"place-{team_id}": message}, None, 422)
        command = JoinTeam(
            command_id=command_id_of(form),
            event=slug,
            team_id=team_id,
            registration=registration,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, slug, command, Membership, "placed", f"place-{team_id}")

    @post("/remove/{registration_id:str}")
    async def remove(
        self, request: Request[Any, Any, Any], slug: FromPath[str], registration_id: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        command = LeaveTeam(
            command_id=command_id_of(form),
            event=slug,
            registration=registration_id,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, slug, command, Membership, "removed", "_form")

    @post("/{team_id:str}/disband")
    async def disband(
        self, request: Request[Any, Any, Any], slug: FromPath[str], team_id: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        command = DisbandTeam(
            command_id=command_id_of(form), event=slug, team_id=team_id, by_organiser=request.state.organiser[0]
        )
        return await self._send(request, slug, command, TeamList, "disbanded", "_form")


def command_subject(command: Any) -> str:
    subjects: dict[type, str] = {
        CreateTeam: Teams.CREATE,
        JoinTeam: Teams.JOIN,
        LeaveTeam: Teams.LEAVE,
        DisbandTeam: Teams.DISBAND,
    }
    return subjects[type(command)]


# --- the JSON API ---


class MemberOut(msgspec.Struct, kw_only=True):
    id: str
    name: str


class TeamOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    challenge: str | None
    open: bool
    code: str
    size: int
    members: list[MemberOut]
    created_at: datetime


class TeamsOut(msgspec.Struct, kw_only=True):
    event: str
    max_size: int
    teams: list[TeamOut]
    # Confirmed participants who are in no team yet.
    unplaced: list[MemberOut]


class TeamsApi(Controller):
    path = "/api/v1/events/{slug:str}/teams"
    tags = ["teams"]

    @get(
        "/",
        summary="Every team of an event, with its members and join code, and who has no team yet",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
    )
    async def teams(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> TeamsOut:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        teams, people = await asyncio.gather(
            gateway.call(Teams.LIST, ListTeams(event=slug), TeamList),
            gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList),
        )
        names = {r.id: r.name for r in people.registrations}
        placed = {m for t in teams.teams for m in t.members}
        return TeamsOut(
            event=slug,
            max_size=teams.max_size,
            teams=[
                TeamOut(
                    id=t.id,
                    name=t.name,
                    challenge=t.challenge,
                    open=t.open,
                    code=t.code,
                    size=len(t.members),
                    members=[MemberOut(id=m, name=names.get(m, "")) for m in t.members],
                    created_at=t.created_at,
                )
                for t in teams.teams
            ],
            unplaced=[
                MemberOut(id=r.id, name=r.name)
                for r in people.registrations
                if is_participant(spec, r) and r.id not in placed
            ],
        )


TEAMS_HANDLERS = [TeamPages, OrganiserTeams, TeamsApi]
