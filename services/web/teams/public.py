"""A participant's team page (found, join, leave) and the public list of an event's teams.

A participant's link is their registration's manage token: it is checked with the
registration service before any team command is sent.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import EventSpec
from schemas.errors import ErrorReply
from schemas.judging import GetStandings, Standings
from schemas.registration import GetRegistration, RegistrationView
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import (
    MAX_PROJECT_SUMMARY,
    MAX_PROJECT_TITLE,
    DescribeProject,
    GetMembership,
    GetProjects,
    JoinTeam,
    LeaveTeam,
    ListTeams,
    Membership,
    ProjectList,
    TeamList,
)
from services.kit.client import ServiceError
from services.web.errors import form_refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.photos import MAX_PROJECT_BODY, drop_upload, photo_response
from services.web.rendering import language_of, render
from services.web.teams.forms import create_from_form, shown_at

# What a team form's handler sends, once the link is checked: subject, command, reply type.
Command = tuple[str, msgspec.Struct, type[msgspec.Struct]]
MakeCommand = Callable[[FormMultiDict, RegistrationView], Awaitable[Command]]


def _query(token: str, language: str, **extra: str) -> str:
    return urlencode({"token": token, **extra, **({"lang": language} if language != "fr" else {})})


@dataclass(frozen=True)
class TeamOutcome:
    rank: int | None
    teams: int
    feedback: list[str]
    # Marked absent before the jury: not ranked, and told so rather than left without a word.
    absent: bool = False


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
    absent = any(a.team == team_id for a in results.absent)
    return TeamOutcome(rank=rank, teams=len(results.lines), feedback=words, absent=absent)


async def _registration(gateway: Gateway, registration_id: str, token: str) -> RegistrationView:
    query = GetRegistration(registration_id=registration_id, token=token)
    return await gateway.call(Registration.GET, query, RegistrationView)


class TeamPages(Controller):
    include_in_schema = False

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        registration_id: str,
        token: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        view = await _registration(gateway, registration_id, token)
        spec = await gateway.event(view.event, include_unpublished=True)
        # The teams service says whether this person may be in a team, and why not.
        mine, teams = await asyncio.gather(
            gateway.call(Teams.MEMBERSHIP, GetMembership(event=spec.slug, registration=view.id), Membership),
            gateway.call(Teams.LIST, ListTeams(event=spec.slug), TeamList),
        )
        eligible = mine.eligible
        joinable = [t for t in teams.teams if t.open and len(t.members) < teams.max_size] if eligible else []
        team = mine.team if eligible else None
        outcome = await team_outcome(gateway, spec, team.id) if team else None
        projects = await gateway.call(Teams.PROJECTS, GetProjects(event=spec.slug), ProjectList)
        project = projects.projects.get(team.id) if team else None
        if values is None and project is not None:  # the form shows the project as it is
            links = "\n".join(project.links)
            values = {"title": project.title, "summary_fr": project.summary_fr, "summary_en": project.summary_en}
            values["links"] = links
        return render(
            request,
            "public/team.html",
            status_code=status_code,
            event=spec,
            registration=view,
            eligible=eligible,
            ineligibility=mine.ineligibility,
            # Once judging is closed the teams service refuses every change: the page offers none.
            frozen=mine.frozen,
            team=team,
            # Placed by an organiser after judging closed: the team's rank was decided without her.
            late=team is not None and view.id in team.late_members,
            max_size=spec.team_max_size,
            joinable=joinable,
            outcome=outcome,
            project=project,
            projects=projects,
            max_title=MAX_PROJECT_TITLE,
            max_summary=MAX_PROJECT_SUMMARY,
            challenges={c.id: c for c in spec.challenges},
            command_id=uuid.uuid4().hex,
            lang_query="" if language_of(request) == "fr" else f"?lang={language_of(request)}",
            done=request.query_params.get("done", ""),
            errors=errors or {},
            values=values or {},
        )

    @get("/r/{registration_id:str}/team", opt={"access": "participant_link"})
    async def show(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        token: FromQuery[str] = "",
    ) -> Response[str]:
        return await self._page(request, gateway, registration_id, token)

    async def _send(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        registration_id: str,
        make: MakeCommand,
        done: str,
        error_field: str = "_form",
    ) -> Response[Any]:
        """Check the link, send the command `make(form, view)` builds, and show the outcome."""
        form = await request.form()
        token = form_text(form, "token", 100)
        view = await _registration(gateway, registration_id, token)
        language = language_of(request)
        values = {key: str(form.get(key) or "") for key in ("name", "challenge", "open", "code")}
        try:
            subject, command, reply_type = await make(form, view)
            await gateway.call(subject, command, reply_type)
        except ServiceError as error:
            refused = form_refusal(error, language)
            errors = {shown_at(refused.field, error_field): refused.message}
            return await self._page(request, gateway, registration_id, token, errors, values, refused.status)
        return Redirect(f"/r/{registration_id}/team?{_query(token, language, done=done)}", status_code=303)

    @post("/r/{registration_id:str}/team/create", opt={"access": "participant_link"})
    async def create(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], registration_id: FromPath[str]
    ) -> Response[Any]:
        async def make(form: FormMultiDict, view: RegistrationView) -> Command:
            return Teams.CREATE, create_from_form(form, view.event, view.id, None), TeamList

        return await self._send(request, gateway, registration_id, make, "created")

    @post("/r/{registration_id:str}/team/join", opt={"access": "participant_link"})
    async def join(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], registration_id: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        by_code = "code" in form

        async def make(form: FormMultiDict, view: RegistrationView) -> Command:
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

        return await self._send(request, gateway, registration_id, make, "joined", "code" if by_code else "_form")

    @post("/r/{registration_id:str}/team/leave", opt={"access": "participant_link"})
    async def leave(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], registration_id: FromPath[str]
    ) -> Response[Any]:
        async def make(form: FormMultiDict, view: RegistrationView) -> Command:
            command = LeaveTeam(command_id=command_id_of(form), event=view.event, registration=view.id)
            return Teams.LEAVE, command, Membership

        return await self._send(request, gateway, registration_id, make, "left")

    # --- the team's project (issue 14) ---

    @post(
        "/r/{registration_id:str}/team/project",
        opt={"access": "participant_link", "too_large": "project_photo_too_big"},
        # A photo is larger than any other form: this one form may carry up to 2 MB and its texts.
        request_max_body_size=MAX_PROJECT_BODY,
    )
    async def project(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], registration_id: FromPath[str]
    ) -> Response[Any]:
        """Any member writes or replaces the team's project; the teams service decides (member, deadline, bounds)."""
        form = await request.form()
        token = form_text(form, "token", 100)
        view = await _registration(gateway, registration_id, token)
        language = language_of(request)
        # Cut just past what the service accepts, so it refuses with its own words and the form
        # keeps the text: far longer ones would not fit in one command.
        summary_fr = str(form.get("summary_fr") or "")[: MAX_PROJECT_SUMMARY + 1]
        summary_en = str(form.get("summary_en") or "")[: MAX_PROJECT_SUMMARY + 1]
        links = str(form.get("links") or "")[:4000]
        title = str(form.get("title") or "")[: MAX_PROJECT_TITLE + 1]
        values = {"title": title, "summary_fr": summary_fr, "summary_en": summary_en, "links": links}
        command_id = command_id_of(form)
        try:
            command = DescribeProject(
                command_id=command_id,
                event=view.event,
                team_id=form_text(form, "team_id", 40),
                by_registration=view.id,
                title=title,
                summary_fr=summary_fr,
                summary_en=summary_en,
                links=links.splitlines(),
                photo_upload=await drop_upload(gateway, form.get("photo"), f"{view.event}.{command_id}"),
                remove_photo=form.get("remove_photo") == "yes",
            )
            await gateway.call(Teams.DESCRIBE, command, ProjectList)
        except ServiceError as error:
            refused = form_refusal(error, language)
            field = refused.field if refused.field in values or refused.field == "photo" else "_form"
            return await self._page(
                request, gateway, registration_id, token, {field: refused.message}, values, refused.status
            )
        return Redirect(f"/r/{registration_id}/team?{_query(token, language, done='project')}#project", status_code=303)

    @get("/r/{registration_id:str}/team/photo", opt={"access": "participant_link"})
    async def photo(
        self,
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        token: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The team's photo, for its members (the link's token is checked like the page's)."""
        view = await _registration(gateway, registration_id, token)
        mine = await gateway.call(Teams.MEMBERSHIP, GetMembership(event=view.event, registration=view.id), Membership)
        projects = await gateway.call(Teams.PROJECTS, GetProjects(event=view.event), ProjectList)
        return await photo_response(gateway, view.event, projects.projects.get(mine.team.id) if mine.team else None)

    # --- the public list ---

    @get("/e/{slug:str}/teams", opt={"access": "public"})
    async def public(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
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
