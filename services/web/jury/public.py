"""A juror's scoring form: phones, poor Wi-Fi, one criterion at a time.

A juror's link carries a key signed by the web (`Tokens.jury_key`): it opens that
juror's sheet for that event and nothing else. The form works with plain HTML; its
small script keeps unsent scores on the phone and sends them when the network comes
back, and a service worker keeps the juror's pages for when it is gone.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.errors import HTTP_STATUS
from schemas.judging import (
    MAX_FEEDBACK_LENGTH,
    MAX_POINTS,
    MAX_POINTS_DIGITS,
    DeclareConflict,
    GetSheet,
    GiveFeedback,
    GiveScore,
    MarkAbsent,
    Sheet,
    Standings,
    WithdrawScore,
)
from schemas.registration import GetRegistration, RegistrationView
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import GetProjects, ProjectList
from services.kit.client import ServiceError
from services.web.errors import Refusal, error_text, form_refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.photos import photo_response
from services.web.rendering import TEMPLATES, gettext_for, language_of, render

SERVICE_WORKER = (TEMPLATES / "jury" / "sw.js").read_bytes()

# The team page shown again with a refusal by its field (no script on the phone). Its script reads
# the refusal's own status instead (see `_refuse`), to know whether to keep a score for later.
FORM_AGAIN = HTTP_STATUS["invalid"]


def next_criterion(sheet: Sheet, team: str, after: str | None) -> str | None:
    """The next criterion of this team still without a score, looking after `after` first."""
    ids = sheet.criteria
    scored = {s.criterion for s in sheet.scores if s.team == team}
    start = ids.index(after) + 1 if after in ids else 0
    for criterion in ids[start:] + ids[:start]:
        if criterion not in scored and criterion != after:
            return criterion
    return None


async def _projects(gateway: Gateway, slug: str) -> ProjectList:
    """What the teams described (issue 14): jurors read it before scoring."""
    return await gateway.call(Teams.PROJECTS, GetProjects(event=slug), ProjectList)


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """The page's script sends with Accept: application/json; a plain form does not."""
    return "application/json" in request.headers.get("accept", "")


class JuryPages(Controller):
    opt = {"access": "juror_link"}
    path = "/jury"
    include_in_schema = False

    async def _juror(
        self, request: Request[Any, Any, Any], gateway: Gateway, slug: str, juror: str, key: str
    ) -> RegistrationView:
        gettext = gettext_for(language_of(request))
        refused = gettext("Ce lien de jury n'est pas valable : demandez-le à l'organisation.")
        if not request.app.state.tokens.jury_key_valid(slug, juror, key):
            raise PermissionDeniedException(refused)
        # The signed key vouches for the juror, so the web reads the registration on its behalf.
        query = GetRegistration(registration_id=juror, by_organiser="jury-link")
        view = await gateway.call(Registration.GET, query, RegistrationView)
        if view.event != slug or view.status != "confirmed":
            raise PermissionDeniedException(refused)
        return view

    @staticmethod
    async def _sheet(gateway: Gateway, slug: str, juror: str) -> Sheet:
        return await gateway.call(Judging.SHEET, GetSheet(event=slug, juror=juror), Sheet)

    @get("/sw.js", opt={"access": "public"})
    async def service_worker(self) -> Response[bytes]:
        """Keeps the jury's pages on the phone for when the tent's Wi-Fi drops."""
        return Response(
            SERVICE_WORKER,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    @get("/{slug:str}/{juror:str}")
    async def overview(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[str]:
        person = await self._juror(request, gateway, slug, juror, key)
        spec = await gateway.event(slug, include_unpublished=True)
        sheet = await self._sheet(gateway, slug, juror)
        done = {team.id: sum(1 for s in sheet.scores if s.team == team.id) for team in sheet.teams}
        projects = await _projects(gateway, slug)
        return render(
            request,
            "jury/sheet.html",
            projects=projects.projects,
            event=spec,
            juror=person,
            sheet=sheet,
            done=done,
            key=key,
            saved=request.query_params.get("saved") == "1",
            # The team just declared a conflict with, named on the sheet it left.
            left=next((t for t in sheet.conflicted if t.id == request.query_params.get("conflict")), None),
        )

    @get("/{slug:str}/{juror:str}/{team:str}")
    async def team_form(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
        c: FromQuery[str] = "",
    ) -> Response[str]:
        await self._juror(request, gateway, slug, juror, key)
        return await self._team_page(request, gateway, slug, juror, team, key, c)

    async def _team_page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        juror: str,
        team_id: str,
        key: str,
        criterion: str,
        error: str | None = None,
        status_code: int = 200,
        feedback_error: str | None = None,
        withdrawn: str = "",
        absent_error: str | None = None,
        conflict_error: str | None = None,
    ) -> Response[str]:
        spec, sheet = await asyncio.gather(
            gateway.event(slug, include_unpublished=True), self._sheet(gateway, slug, juror)
        )
        team = next((t for t in sheet.teams if t.id == team_id), None)
        if team is None or not spec.criteria:
            raise NotFoundException()
        ids = [c.id for c in spec.criteria]
        current = criterion if criterion in ids else next_criterion(sheet, team_id, None) or ids[0]
        scores = {s.criterion: s.points for s in sheet.scores if s.team == team_id}
        position = [t.id for t in sheet.teams].index(team_id)
        following = sheet.teams[position + 1] if position + 1 < len(sheet.teams) else None
        projects = await _projects(gateway, slug)
        return render(
            request,
            "jury/team.html",
            project=projects.projects.get(team_id),
            status_code=status_code,
            event=spec,
            sheet=sheet,
            team=team,
            team_number=position + 1,
            following=following,
            current=current,
            scores=scores,
            key=key,
            error=error,
            command_id=uuid.uuid4().hex,
            challenge=next((c for c in spec.challenges if c.id == team.challenge), None),
            feedback=sheet.feedback.get(team_id, ""),
            feedback_error=feedback_error,
            max_feedback=MAX_FEEDBACK_LENGTH,
            feedback_saved=request.query_params.get("feedback") == "1",
            withdrawn=withdrawn or request.query_params.get("withdrawn", ""),
            absent=team_id in sheet.absent,
            absent_error=absent_error,
            conflict_error=conflict_error,
        )

    @staticmethod
    async def _send(request: Request[Any, Any, Any], gateway: Gateway, subject: str, command: Any) -> Sheet | Refusal:
        """The juror's sheet after the command, or why it was refused (in the page's language)."""
        try:
            return await gateway.call(subject, command, Sheet)
        except ServiceError as failure:
            return form_refusal(failure, language_of(request))

    @staticmethod
    async def _refuse(
        request: Request[Any, Any, Any], refusal: Refusal, page: Callable[[str], Awaitable[Response[str]]]
    ) -> Response[Any]:
        """A refusal as JSON for the page's script, or the page again with the message by its field."""
        if wants_json(request):
            return Response(
                {"saved": False, "field": refusal.field, "message": refusal.message}, status_code=refusal.status
            )
        return await page(refusal.message)

    @post("/{slug:str}/{juror:str}/{team:str}/withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        """A juror takes back their score on one criterion until judging is closed."""
        await self._juror(request, gateway, slug, juror, key)
        form = await request.form()
        criterion = str(form.get("criterion") or "")

        async def page(message: str) -> Response[str]:
            return await self._team_page(request, gateway, slug, juror, team, key, criterion, message, FORM_AGAIN)

        # The judging service decides: an unknown criterion is a score it does not have.
        command = WithdrawScore(command_id=command_id_of(form), event=slug, juror=juror, team=team, criterion=criterion)
        sheet = await self._send(request, gateway, Judging.WITHDRAW, command)
        if not isinstance(sheet, Sheet):
            return await self._refuse(request, sheet, page)
        if wants_json(request):
            return Response({"saved": True, "given": sum(1 for s in sheet.scores if s.team == team)})
        return Redirect(f"/jury/{slug}/{juror}/{team}?key={key}&c={criterion}&withdrawn={criterion}", status_code=303)

    @post("/{slug:str}/{juror:str}/{team:str}/absent")
    async def absent(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        """A juror says the team did not show up: it leaves the standings (the organiser can undo it)."""
        await self._juror(request, gateway, slug, juror, key)
        form = await request.form()

        async def page(message: str) -> Response[str]:
            return await self._team_page(
                request, gateway, slug, juror, team, key, "", status_code=FORM_AGAIN, absent_error=message
            )

        command = MarkAbsent(command_id=command_id_of(form), event=slug, team=team, absent=True, by_juror=juror)
        try:
            await gateway.call(Judging.ABSENT, command, Standings)
        except ServiceError as failure:
            return await self._refuse(request, form_refusal(failure, language_of(request)), page)
        if wants_json(request):
            return Response({"saved": True})
        return Redirect(f"/jury/{slug}/{juror}/{team}?key={key}#absent", status_code=303)

    @post("/{slug:str}/{juror:str}/{team:str}/conflict")
    async def conflict(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        """A juror says they may not judge this team: it leaves their sheet at once, for good
        (only the organisers lift a conflict)."""
        await self._juror(request, gateway, slug, juror, key)
        form = await request.form()
        reason = str(form.get("reason") or "other")

        async def page(message: str) -> Response[str]:
            return await self._team_page(
                request, gateway, slug, juror, team, key, "", status_code=FORM_AGAIN, conflict_error=message
            )

        command = DeclareConflict(
            command_id=command_id_of(form),
            event=slug,
            juror=juror,
            team=team,
            reason=reason if reason in ("member", "mentor") else "other",
            by_juror=juror,
        )
        outcome = await self._send(request, gateway, Judging.CONFLICT, command)
        if not isinstance(outcome, Sheet):
            return await self._refuse(request, outcome, page)
        if wants_json(request):
            return Response({"saved": True})
        return Redirect(f"/jury/{slug}/{juror}?key={key}&conflict={team}", status_code=303)

    @post("/{slug:str}/{juror:str}/{team:str}/feedback")
    async def feedback(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        """A juror's words for the team, passed on by the organisers."""
        await self._juror(request, gateway, slug, juror, key)
        form = await request.form()
        text = str(form.get("text") or "")

        async def page(message: str) -> Response[str]:
            return await self._team_page(
                request, gateway, slug, juror, team, key, "", feedback_error=message, status_code=FORM_AGAIN
            )

        if len(text) > MAX_FEEDBACK_LENGTH:
            gettext = gettext_for(language_of(request))
            message = gettext("Ce mot est trop long : 2 000 caractères au plus.")
            return await self._refuse(request, Refusal("text", message, HTTP_STATUS["invalid"]), page)
        command_id = command_id_of(form)
        command = GiveFeedback(command_id=command_id, event=slug, juror=juror, team=team, text=text)
        outcome = await self._send(request, gateway, Judging.FEEDBACK, command)
        if not isinstance(outcome, Sheet):
            # The form has one field: whatever the service names, the message goes by the text.
            return await self._refuse(request, outcome._replace(field="text"), page)
        if wants_json(request):
            return Response({"saved": True})
        return Redirect(f"/jury/{slug}/{juror}/{team}?key={key}&feedback=1#feedback", status_code=303)

    @post("/{slug:str}/{juror:str}/{team:str}")
    async def score(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        await self._juror(request, gateway, slug, juror, key)
        form = await request.form()
        criterion = str(form.get("criterion") or "")

        async def page(message: str) -> Response[str]:
            return await self._team_page(request, gateway, slug, juror, team, key, criterion, message, FORM_AGAIN)

        # Each criterion has its own group of buttons; "points" is what the API-like posts (and
        # scores kept on a phone before the groups were split) carry.
        points_text = str(form.get(f"points-{criterion}") or form.get("points") or "").strip()
        points = int(points_text) if points_text.isdigit() and len(points_text) <= MAX_POINTS_DIGITS else None
        if points is None or points > MAX_POINTS:
            gettext = gettext_for(language_of(request))
            message = (
                error_text("judging_points_range", "", language_of(request))
                if points_text.lstrip("-").isdigit()
                else gettext("Choisissez une note avant d'enregistrer.")
            )
            return await self._refuse(request, Refusal("points", message, HTTP_STATUS["invalid"]), page)
        command_id = command_id_of(form)
        command = GiveScore(
            command_id=command_id, event=slug, juror=juror, team=team, criterion=criterion, points=points
        )
        sheet = await self._send(request, gateway, Judging.SCORE, command)
        if not isinstance(sheet, Sheet):
            return await self._refuse(request, sheet, page)
        if wants_json(request):
            return Response({"saved": True, "given": sum(1 for s in sheet.scores if s.team == team)})
        following = next_criterion(sheet, team, criterion)
        if following is None:
            return Redirect(f"/jury/{slug}/{juror}?key={key}&saved=1#t-{team}", status_code=303)
        return Redirect(f"/jury/{slug}/{juror}/{team}?key={key}&c={following}", status_code=303)

    @get("/{slug:str}/{juror:str}/{team:str}/photo")
    async def project_photo(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The photo of a team on this juror's sheet (kept by the service worker like the pages)."""
        await self._juror(request, gateway, slug, juror, key)
        sheet = await self._sheet(gateway, slug, juror)
        if all(t.id != team for t in sheet.teams):
            raise NotFoundException()
        projects = await _projects(gateway, slug)
        return await photo_response(gateway, slug, projects.projects.get(team))
