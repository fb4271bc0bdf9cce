"""The jury: a juror's scoring form (phones, poor Wi-Fi) and the organiser's jury page.

A juror's link carries a key signed by the web (`Tokens.jury_key`): it opens that
juror's sheet for that event and nothing else. The form scores one criterion at a
time with plain HTML; its small script keeps unsent scores on the phone and sends
them when the network comes back.
"""

import uuid
from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from markupsafe import Markup

from schemas.catalog import EventSpec
from schemas.judging import (
    AssignJuror,
    CloseJudging,
    GetSheet,
    GiveFeedback,
    GiveScore,
    ReopenJudging,
    Sheet,
    Standings,
)
from schemas.registration import GetRegistration, Register, RegistrationView
from schemas.schedule import Agenda, AgendaView, GetAgenda
from schemas.subjects import Judging, Registration, Schedule
from services.kit.client import ServiceError
from services.kit.i18n import localised
from services.web.auth import organiser_guard
from services.web.forms import ERROR_TEXTS, error_text
from services.web.gateway import Gateway
from services.web.printouts import JurorSheet, jury_sheets_pdf
from services.web.rendering import TEMPLATES, gettext_for, language_of, render
from services.web.results_pages import judging_of

SERVICE_WORKER = (TEMPLATES / "jury" / "sw.js").read_bytes()


def next_criterion(spec: EventSpec, sheet: Sheet, team: str, after: str | None) -> str | None:
    """The next criterion of this team still without a score, looking after `after` first."""
    ids = [c.id for c in spec.criteria]
    scored = {s.criterion for s in sheet.scores if s.team == team}
    start = ids.index(after) + 1 if after in ids else 0
    for criterion in ids[start:] + ids[:start]:
        if criterion not in scored and criterion != after:
            return criterion
    return None


class JuryPages(Controller):
    path = "/jury"
    include_in_schema = False

    async def _juror(self, request: Request[Any, Any, Any], slug: str, juror: str, key: str) -> RegistrationView:
        gettext = gettext_for(language_of(request))
        refused = gettext("Ce lien de jury n'est pas valable : demandez-le à l'organisation.")
        if not request.app.state.tokens.jury_key_valid(slug, juror, key):
            raise PermissionDeniedException(refused)
        gateway: Gateway = request.app.state.gateway
        # The signed key vouches for the juror, so the web reads the registration on its behalf.
        query = GetRegistration(registration_id=juror, by_organiser="jury-link")
        view = await gateway.call(Registration.GET, query, RegistrationView)
        if view.event != slug or view.status != "confirmed":
            raise PermissionDeniedException(refused)
        return view

    async def _sheet(self, request: Request[Any, Any, Any], slug: str, juror: str) -> Sheet:
        gateway: Gateway = request.app.state.gateway
        return await gateway.call(Judging.SHEET, GetSheet(event=slug, juror=juror), Sheet)

    @get("/sw.js")
    async def service_worker(self) -> Response[bytes]:
        """Keeps the jury's pages on the phone for when the tent's Wi-Fi drops."""
        return Response(
            SERVICE_WORKER,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    @get("/{slug:str}/{juror:str}")
    async def overview(
        self, request: Request[Any, Any, Any], slug: FromPath[str], juror: FromPath[str], key: FromQuery[str] = ""
    ) -> Response[str]:
        person = await self._juror(request, slug, juror, key)
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        sheet = await self._sheet(request, slug, juror)
        done = {team.id: sum(1 for s in sheet.scores if s.team == team.id) for team in sheet.teams}
        return render(
            request,
            "jury/sheet.html",
            event=spec,
            juror=person,
            sheet=sheet,
            done=done,
            key=key,
            saved=request.query_params.get("saved") == "1",
        )

    @get("/{slug:str}/{juror:str}/{team:str}")
    async def team_form(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
        c: FromQuery[str] = "",
    ) -> Response[str]:
        await self._juror(request, slug, juror, key)
        return await self._team_page(request, slug, juror, team, key, c)

    async def _team_page(
        self,
        request: Request[Any, Any, Any],
        slug: str,
        juror: str,
        team_id: str,
        key: str,
        criterion: str,
        error: str | None = None,
        status_code: int = 200,
        feedback_error: str | None = None,
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        sheet = await self._sheet(request, slug, juror)
        team = next((t for t in sheet.teams if t.id == team_id), None)
        if team is None or not spec.criteria:
            raise NotFoundException()
        ids = [c.id for c in spec.criteria]
        current = criterion if criterion in ids else next_criterion(spec, sheet, team_id, None) or ids[0]
        scores = {s.criterion: s.points for s in sheet.scores if s.team == team_id}
        position = [t.id for t in sheet.teams].index(team_id)
        following = sheet.teams[position + 1] if position + 1 < len(sheet.teams) else None
        return render(
            request,
            "jury/team.html",
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
            feedback_saved=request.query_params.get("feedback") == "1",
        )

    @post("/{slug:str}/{juror:str}/{team:str}/feedback")
    async def feedback(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        """A juror's words for the team, passed on by the organisers."""
        await self._juror(request, slug, juror, key)
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        wants_json = "application/json" in request.headers.get("accept", "")
        text = str(form.get("text") or "")
        gettext = gettext_for(language_of(request))
        if len(text) > 2000:
            message = gettext("Ce mot est trop long : 2 000 caractères au plus.")
            if wants_json:
                return Response({"saved": False, "field": "text", "message": message}, status_code=422)
            return await self._team_page(request, slug, juror, team, key, "", feedback_error=message, status_code=422)
        command = GiveFeedback(
            command_id=str(form.get("command_id") or uuid.uuid4().hex),
            event=slug,
            juror=juror,
            team=team,
            text=text,
        )
        try:
            await gateway.call(Judging.FEEDBACK, command, Sheet)
        except ServiceError as failure:
            if failure.reply.code in ("unavailable", "internal"):
                raise
            message = error_text(failure.reply.key, failure.reply.message, gettext)
            if wants_json:
                status = 409 if failure.reply.code == "conflict" else 422
                return Response({"saved": False, "field": "text", "message": message}, status_code=status)
            return await self._team_page(request, slug, juror, team, key, "", feedback_error=message, status_code=422)
        if wants_json:
            return Response({"saved": True})
        return Redirect(f"/jury/{slug}/{juror}/{team}?key={key}&feedback=1#feedback", status_code=303)

    @post("/{slug:str}/{juror:str}/{team:str}")
    async def score(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        juror: FromPath[str],
        team: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        await self._juror(request, slug, juror, key)
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        wants_json = "application/json" in request.headers.get("accept", "")
        criterion = str(form.get("criterion") or "")
        gettext = gettext_for(language_of(request))
        points_text = str(form.get("points") or "").strip()
        points = int(points_text) if points_text.isdigit() and len(points_text) <= 3 else None
        if points is None or points > 100:
            message = (
                gettext(ERROR_TEXTS["judging_points_range"])
                if points_text.lstrip("-").isdigit()
                else gettext("Choisissez une note avant d'enregistrer.")
            )
            if wants_json:
                return Response({"saved": False, "field": "points", "message": message}, status_code=422)
            return await self._team_page(request, slug, juror, team, key, criterion, message, 422)
        command = GiveScore(
            command_id=str(form.get("command_id") or uuid.uuid4().hex),
            event=slug,
            juror=juror,
            team=team,
            criterion=criterion,
            points=points,
        )
        try:
            sheet = await gateway.call(Judging.SCORE, command, Sheet)
        except ServiceError as failure:
            if failure.reply.code in ("unavailable", "internal"):
                raise
            message = error_text(failure.reply.key, failure.reply.message, gettext)
            if wants_json:
                status = 409 if failure.reply.code == "conflict" else 422
                return Response({"saved": False, "field": failure.reply.field, "message": message}, status_code=status)
            return await self._team_page(request, slug, juror, team, key, criterion, message, 422)
        if wants_json:
            return Response({"saved": True, "given": sum(1 for s in sheet.scores if s.team == team)})
        spec = await gateway.event(slug, include_unpublished=True)
        following = next_criterion(spec, sheet, team, criterion)
        if following is None:
            return Redirect(f"/jury/{slug}/{juror}?key={key}&saved=1#t-{team}", status_code=303)
        return Redirect(f"/jury/{slug}/{juror}/{team}?key={key}&c={following}", status_code=303)


def panels_of(agenda: Agenda, jurors: set[str], teams: set[str]) -> dict[str, list[str]]:
    """Each juror's teams from the released agenda's pitch sessions (the generated jury panels)."""
    panels: dict[str, set[str]] = {}
    for person in agenda.people:
        if person.role != "juror" or person.registration not in jurors:
            continue
        pitched = {s.team for s in agenda.sessions if s.team in teams and person.id in s.people and not s.cancelled}
        if pitched:
            panels.setdefault(person.registration, set()).update(t for t in pitched if t)
    return {juror: sorted(chosen) for juror, chosen in panels.items()}


class JuryAdmin(Controller):
    """The organiser's side: jurors, their links and teams, progress, closing the judging."""

    path = "/organiser/e/{slug:str}/jury"
    include_in_schema = False
    guards = [organiser_guard]

    @get("/")
    async def page(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        return await self._page(request, slug)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        slug: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec, jurors, standings = await judging_of(gateway, slug)
        progress = {p.juror: p for p in standings.jurors}
        base = gateway.url(str(request.base_url), "")
        tokens = request.app.state.tokens
        links = {j.id: f"{base}/jury/{slug}/{j.id}?key={tokens.jury_key(slug, j.id)}" for j in jurors}
        # On the day a juror scans their link from the organiser's screen rather than typing it.
        codes = {j: Markup(segno.make(link, error="m").svg_inline(scale=3, title=j)) for j, link in links.items()}
        categories = [c for c in spec.categories if spec.audience_of(c.id) == "jurors"]
        agenda = await gateway.call(Schedule.AGENDA, GetAgenda(event=slug, include_unpublished=True), AgendaView)
        panels = panels_of(agenda.agenda, {j.id for j in jurors}, {s.team.id for s in standings.standings})
        return render(
            request,
            "organiser/jury.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            jurors=jurors,
            links=links,
            codes=codes,
            progress=progress,
            standings=standings,
            teams=[s.team for s in standings.standings],
            categories=categories,
            panels=panels,
            errors=errors or {},
            values=values or {},
            command_id=uuid.uuid4().hex,
            saved=request.query_params.get("saved", ""),
        )

    @get("/sheets.pdf")
    async def paper_sheets(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
        """Paper scoring sheets, one per juror in their language: the backup if phones fail."""
        spec, jurors, standings = await judging_of(request.app.state.gateway, slug)
        titles = {c.id: c for c in spec.challenges}
        teams_of = {p.juror: p.teams for p in standings.jurors}
        sheets = []
        for juror in sorted(jurors, key=lambda j: j.name.casefold()):
            chosen = teams_of.get(juror.id)
            teams = [s.team for s in standings.standings if chosen is None or s.team.id in chosen]
            lines = [
                (t.name, localised(titles[t.challenge], "title", juror.language) if t.challenge in titles else "")
                for t in sorted(teams, key=lambda t: t.name.casefold())
            ]
            sheets.append(JurorSheet(name=juror.name, language=juror.language, teams=lines))
        return Response(
            jury_sheets_pdf(spec, sheets),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{slug}-jury.pdf"'},
        )

    @post("/jurors")
    async def add_juror(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        """Register a juror in an invitation-only category; they get the usual confirmation mail."""
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        form = await request.form()
        values = {name: str(form.get(name) or "").strip() for name in ("name", "email", "language", "category")}
        categories = [c.id for c in spec.categories if spec.audience_of(c.id) == "jurors"]
        command = Register(
            command_id=str(form.get("command_id") or uuid.uuid4().hex),
            event=slug,
            name=values["name"][:200],
            email=values["email"][:254],
            consent=True,
            language="en" if values["language"] == "en" else "fr",
            category=values["category"] or (categories[0] if categories else None),
            by_organiser=request.state.organiser[0],
        )
        try:
            await gateway.call(Registration.REGISTER, command, RegistrationView)
        except ServiceError as failure:
            if failure.reply.code in ("unavailable", "internal"):
                raise
            message = error_text(failure.reply.key, failure.reply.message, gettext_for(language_of(request)))
            return await self._page(request, slug, {failure.reply.field or "_form": message}, values, 422)
        return Redirect(f"/organiser/e/{slug}/jury?saved=juror", status_code=303)

    @post("/panels")
    async def apply_panels(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        """Give each juror the teams the released agenda has them hear pitch."""
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        command_id = str(form.get("command_id") or uuid.uuid4().hex)
        _, jurors, standings = await judging_of(gateway, slug)
        agenda = await gateway.call(Schedule.AGENDA, GetAgenda(event=slug, include_unpublished=True), AgendaView)
        panels = panels_of(agenda.agenda, {j.id for j in jurors}, {s.team.id for s in standings.standings})
        for juror, teams in panels.items():
            command = AssignJuror(
                command_id=f"{command_id}-{juror}"[:100],
                event=slug,
                juror=juror,
                teams=teams,
                by_organiser=request.state.organiser[0],
            )
            await gateway.call(Judging.ASSIGN, command, Standings)
        return Redirect(f"/organiser/e/{slug}/jury?saved=panels", status_code=303)

    @post("/assign/{juror:str}")
    async def assign(self, request: Request[Any, Any, Any], slug: FromPath[str], juror: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        teams = None if form.get("all") == "1" else [str(t) for t in form.getall("team")]
        command = AssignJuror(
            command_id=str(form.get("command_id") or uuid.uuid4().hex),
            event=slug,
            juror=juror,
            teams=teams,
            by_organiser=request.state.organiser[0],
        )
        await gateway.call(Judging.ASSIGN, command, Standings)
        return Redirect(f"/organiser/e/{slug}/jury?saved=assign#j-{juror}", status_code=303)

    @post("/{action:str}")
    async def close(self, request: Request[Any, Any, Any], slug: FromPath[str], action: FromPath[str]) -> Response[Any]:
        kinds: dict[str, tuple[str, Any]] = {
            "close": (Judging.CLOSE, CloseJudging),
            "reopen": (Judging.REOPEN, ReopenJudging),
        }
        if action not in kinds:
            raise NotFoundException()
        subject, kind = kinds[action]
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        command = kind(
            command_id=str(form.get("command_id") or uuid.uuid4().hex),
            event=slug,
            by_organiser=request.state.organiser[0],
        )
        await gateway.call(subject, command, Standings)
        return Redirect(f"/organiser/e/{slug}/jury?saved={action}", status_code=303)
