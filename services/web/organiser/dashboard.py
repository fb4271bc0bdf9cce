"""The organiser dashboard: login, events with live figures, registrations."""

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import Authenticate, ChangePassword, EventSpec, OrganiserReply
from schemas.judging import GetStandings, Standings
from schemas.registration import (
    Cancel,
    CheckIn,
    Counts,
    Erase,
    FindRegistrations,
    GetCounts,
    GetRegistration,
    ListRegistrations,
    Promote,
    RegistrationList,
    RegistrationView,
)
from schemas.subjects import Catalog, Judging, Registration, Teams
from schemas.teams import ListTeams, TeamList
from services.kit.client import ServiceError
from services.kit.i18n import localised
from services.web.auth import LIFETIME, SESSION_COOKIE, end_session, organiser_of
from services.web.errors import error_text
from services.web.forms import command_id_of
from services.web.gateway import Gateway, jurors_of, public_base
from services.web.printouts import Badge, badges_pdf
from services.web.rendering import gettext_for, language_of, render


def _login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(f"/organiser/login?next={request.url.path}", status_code=303)


def _with_session(request: Request[Any, Any, Any], response: Response[Any], who: OrganiserReply) -> Response[Any]:
    """The response, carrying the cookie of a new session for this organiser."""
    response.set_cookie(
        SESSION_COOKIE,
        request.app.state.tokens.issue(who.organiser_id, who.email, who.epoch),
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
        path="/",
    )
    return response


def _password_page(
    request: Request[Any, Any, Any],
    who: tuple[str, str],
    status: int = 200,
    error: str | None = None,
    field: str | None = None,
    done: bool = False,
) -> Response[str]:
    context = {"organiser": who, "error": error, "field": field, "done": done, "command_id": uuid.uuid4().hex}
    return render(request, "organiser/password.html", status, **context)


def _safe_next(target: str) -> str:
    # Only paths on this site, never another host (open redirect).
    return target if target.startswith("/organiser/") and not target.startswith("//") else "/organiser/"


async def day_figures(gateway: Gateway, spec: EventSpec, registrations: list[RegistrationView]) -> dict[str, Any]:
    """Teams formed and the jury's progress, for a hackathon's page; empty when a service is away."""
    if not (spec.challenges or spec.criteria):
        return {}
    jurors = [j.id for j in jurors_of(spec, registrations)]
    try:
        teams, standings, results = await asyncio.gather(
            gateway.call(Teams.LIST, ListTeams(event=spec.slug), TeamList),
            gateway.call(Judging.STANDINGS, GetStandings(event=spec.slug, jurors=jurors), Standings),
            gateway.results(spec.slug),
        )
    except ServiceError:
        return {}
    placed = {m for t in teams.teams for m in t.members}
    participants = [
        r for r in registrations if r.status == "confirmed" and spec.audience_of(r.category) == "participants"
    ]
    return {
        "teams": len(teams.teams),
        "unplaced": sum(1 for r in participants if r.id not in placed),
        "given": sum(s.given for s in standings.standings),
        "expected": sum(s.expected for s in standings.standings),
        "closed": standings.closed,
        "published": results.version > 0,
    }


class OrganiserPages(Controller):
    path = "/organiser"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next: FromQuery[str] = "/organiser/") -> Response[str]:
        return render(request, "organiser/login.html", next=_safe_next(next), error=None, email="")

    @post("/login")
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        email, password = str(form.get("email") or ""), str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/organiser/"))
        try:
            who = await gateway.call(Catalog.AUTHENTICATE, Authenticate(email=email, password=password), OrganiserReply)
        except ServiceError as error:
            # An email or password longer than any account's is refused like a wrong one.
            key = "wrong_credentials" if error.reply.code == "invalid" else error.reply.key
            message = error_text(key, error.reply.message, language_of(request))
            status = {"unavailable": 503, "rate_limited": 429}.get(error.reply.code, 401)
            page = render(request, "organiser/login.html", status, next=target, error=message, email=email)
            if error.reply.retry_after:
                page.headers["Retry-After"] = str(error.reply.retry_after)
            return page
        return _with_session(request, Redirect(target, status_code=303), who)

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        # Ended in the catalog first: the cookie's value is refused even if the browser (or a copy) keeps it.
        await end_session(request, command_id_of(await request.form()))
        response = Redirect("/organiser/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/password")
    async def password_form(self, request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        return _password_page(request, who, done=bool(done))

    @post("/password")
    async def change_password(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """A new password ends every session of this organiser, on every instance, except this browser's new one."""
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        form = await request.form()
        command = ChangePassword(
            command_id=command_id_of(form),
            organiser_id=who[0],
            current_password=str(form.get("current_password") or "")[:1000],
            new_password=str(form.get("new_password") or "")[:1000],
        )
        gettext = gettext_for(language_of(request))
        if command.new_password != str(form.get("confirm_password") or "")[:1000]:
            error, field = gettext("Les deux nouveaux mots de passe ne sont pas identiques."), "confirm_password"
            return _password_page(request, who, 422, error, field)
        try:
            changed = await request.app.state.gateway.call(Catalog.CHANGE_PASSWORD, command, OrganiserReply)
        except ServiceError as failure:
            if failure.reply.code not in ("invalid", "rate_limited"):
                raise
            error = error_text(failure.reply.key, failure.reply.message, language_of(request))
            status = 429 if failure.reply.code == "rate_limited" else 422
            return _password_page(request, who, status, error, failure.reply.field)
        return _with_session(request, Redirect("/organiser/password?done=1", status_code=303), changed)

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        rows = await gateway.events_with_counts(include_unpublished=True)
        return render(request, "organiser/dashboard.html", organiser=who, events=rows)

    @get("/e/{slug:str}")
    async def event(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        reply = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        counts = await gateway.counts(slug)
        return render(
            request,
            "organiser/event.html",
            organiser=who,
            event=spec,
            registrations=reply.registrations,
            counts=counts,
            day=await day_figures(gateway, spec, reply.registrations),
        )

    @get("/e/{slug:str}/badges.pdf")
    async def badges(
        self, request: Request[Any, Any, Any], slug: FromPath[str], category: FromQuery[str] = ""
    ) -> Response[Any]:
        """Name badges of everyone confirmed (or of one category), with their check-in QR code."""
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        reply = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        language = language_of(request)
        base = public_base(request)
        people = sorted(
            (r for r in reply.registrations if r.status == "confirmed" and (not category or r.category == category)),
            key=lambda r: r.name.casefold(),
        )
        badges = [
            Badge(
                name=r.name,
                category=localised(spec.category(r.category), "name", language) if spec.category(r.category) else "",
                check_in_url=f"{base}/organiser/e/{slug}/checkin?code={r.id}",
            )
            for r in people
            if r.name
        ]
        return Response(
            badges_pdf(spec, badges, language),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{slug}-badges.pdf"'},
        )

    @get("/e/{slug:str}/checkin")
    async def checkin(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        q: FromQuery[str] = "",
        code: FromQuery[str] = "",
    ) -> Response[Any]:
        """Phone page for the door: find people by typing or by their QR code, check them in once."""
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        found: list[RegistrationView] = []
        error = None
        if code.strip():
            try:
                query = GetRegistration(registration_id=code.strip(), by_organiser=who[0])
                view = await gateway.call(Registration.GET, query, RegistrationView)
                found = [view] if view.event == slug else []
            except ServiceError as failure:
                if failure.reply.code != "not_found":
                    raise
            if not found:
                gettext = gettext_for(language_of(request))
                error = gettext("Ce code ne correspond à aucune inscription à cet événement.")
        elif q.strip():
            query_text = FindRegistrations(event=slug, text=q.strip()[:200])
            found = (await gateway.call(Registration.FIND, query_text, RegistrationList)).registrations
        counts = await gateway.counts(slug)
        return render(
            request,
            "organiser/checkin.html",
            organiser=who,
            event=spec,
            counts=counts,
            found=found,
            q=q,
            searched=bool(q.strip() or code.strip()),
            error=error,
            done=request.query_params.get("done", ""),
            command_id=uuid.uuid4().hex,
        )

    @get("/e/{slug:str}/checkin/counts")
    async def checkin_counts(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        """Live figures for the check-in page (polled by its small script)."""
        if await organiser_of(request) is None:
            return Response({"error": "login required"}, status_code=401)
        gateway: Gateway = request.app.state.gateway
        counts = await gateway.call(Registration.COUNTS, GetCounts(event=slug), Counts)
        return Response(
            {
                "expected": sum(c.confirmed for c in counts.categories),
                "arrived": sum(c.checked_in for c in counts.categories),
                "categories": {c.category: [c.checked_in, c.confirmed] for c in counts.categories},
            }
        )

    @post("/e/{slug:str}/checkin/{registration_id:str}")
    async def check_in(
        self, request: Request[Any, Any, Any], slug: FromPath[str], registration_id: FromPath[str]
    ) -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        command = CheckIn(
            command_id=command_id_of(form),
            registration_id=registration_id,
            by_organiser=who[0],
        )
        try:
            await gateway.call(Registration.CHECK_IN, command, RegistrationView)
        except ServiceError as failure:
            if failure.reply.key != "already_checked_in":
                raise
        return Redirect(f"/organiser/e/{slug}/checkin?done={registration_id}", status_code=303)

    @post("/r/{registration_id:str}/{action:str}")
    async def act(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], action: FromPath[str]
    ) -> Response[Any]:
        """Organiser actions on one registration from the event page: cancel, promote, erase."""
        who = await organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        command_id = command_id_of(form)
        kinds: dict[str, tuple[str, Any]] = {
            "cancel": (Registration.CANCEL, Cancel),
            "promote": (Registration.PROMOTE, Promote),
            "erase": (Registration.ERASE, Erase),
        }
        if action not in kinds:
            raise NotFoundException()
        subject, kind = kinds[action]
        command = kind(command_id=command_id, registration_id=registration_id, by_organiser=who[0])
        view = await gateway.call(subject, command, RegistrationView)
        return Redirect(f"/organiser/e/{view.event}#r-{view.id}", status_code=303)
