"""The organiser dashboard: events with live figures, an event's registrations, check-in and badges."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import EventSpec
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
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import ListTeams, TeamList
from services.kit.client import ServiceError
from services.kit.i18n import localised
from services.web.access import may
from services.web.auth import memberships_of
from services.web.forms import command_id_of
from services.web.gateway import Gateway, jurors_of, public_base
from services.web.printouts import Badge, badges_pdf
from services.web.rendering import gettext_for, language_of, render


async def day_figures(gateway: Gateway, spec: EventSpec, registrations: list[RegistrationView]) -> dict[str, Any]:
    """Teams formed and the jury's progress, for a hackathon's page; empty when a service is away."""
    if not (spec.challenges or spec.criteria):
        return {}
    jurors = [j.id for j in jurors_of(spec, registrations)]
    try:
        teams, standings, results = await asyncio.gather(
            gateway.call(Teams.LIST, ListTeams(event=spec.slug, with_unplaced=True), TeamList),
            gateway.call(Judging.STANDINGS, GetStandings(event=spec.slug, jurors=jurors), Standings),
            gateway.results(spec.slug),
        )
    except ServiceError:
        return {}
    return {
        "teams": len(teams.teams),
        # Who may be in a team and is in none, as the teams service decides it (the board shows the same).
        "unplaced": len(teams.unplaced or []),
        "given": sum(s.given for s in standings.standings),
        "expected": sum(s.expected for s in standings.standings),
        "closed": standings.closed,
        "published": results.version > 0,
    }


# What a dashboard card may link to, by the access each link needs.
DASHBOARD_LINKS = ("organiser", "jury", "door")

# The organiser's actions on a registration that cannot be taken back in one tap: they ask first.
ASKS_FIRST = frozenset({"cancel", "erase"})


def _login_required(request: Request[Any, Any, Any], error: NotAuthorizedException) -> Response[Any]:
    # Polled by a script, which reads JSON: a login page (the guard's usual answer) would mean nothing to it.
    return Response({"error": "login required"}, status_code=401)


class OrganiserPages(Controller):
    path = "/organiser"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/", opt={"access": "account"})
    async def dashboard(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        rows = await gateway.events_with_counts(include_unpublished=True)
        # Archived events are out of the way unless asked for; they are kept whole.
        archived = request.query_params.get("archived") == "1"
        rows = [(spec, counts) for spec, counts in rows if spec.archived == archived]
        # Only the events of one's organisations, and for each what one may open there.
        memberships = memberships_of(request)
        orgs = await gateway.event_organisations()
        can = {
            spec.slug: {access: may(memberships, access, orgs.get(spec.slug), spec.slug) for access in DASHBOARD_LINKS}
            for spec, _ in rows
        }
        rows = [(spec, counts) for spec, counts in rows if any(can[spec.slug].values())]
        return render(
            request,
            "organiser/dashboard.html",
            organiser=request.state.organiser,
            events=rows,
            archived=archived,
            can=can,
            may_create=may(memberships, "organiser", None, None),
            owned=sorted({m.organisation for m in memberships if m.role == "owner"}),
        )

    @get("/e/{slug:str}")
    async def event(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        spec = await gateway.event(slug, include_unpublished=True)
        reply = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        counts = await gateway.counts(slug)
        return render(
            request,
            "organiser/event.html",
            organiser=request.state.organiser,
            event=spec,
            registrations=reply.registrations,
            counts=counts,
            day=await day_figures(gateway, spec, reply.registrations),
            registration_closed=spec.registration_closes_at is not None
            and spec.registration_closes_at <= datetime.now(UTC),
        )

    @get("/e/{slug:str}/badges.pdf")
    async def badges(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        category: FromQuery[str] = "",
    ) -> Response[Any]:
        """Name badges of everyone confirmed (or of one category), with their check-in QR code."""
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

    @get("/e/{slug:str}/checkin", opt={"access": "door"})
    async def checkin(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        q: FromQuery[str] = "",
        code: FromQuery[str] = "",
    ) -> Response[Any]:
        """Phone page for the door: find people by typing or by their QR code, check them in once."""
        spec = await gateway.event(slug, include_unpublished=True)
        found: list[RegistrationView] = []
        error = None
        if code.strip():
            try:
                query = GetRegistration(registration_id=code.strip(), by_organiser=request.state.organiser[0])
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
            organiser=request.state.organiser,
            event=spec,
            counts=counts,
            found=found,
            q=q,
            searched=bool(q.strip() or code.strip()),
            error=error,
            done=request.query_params.get("done", ""),
            command_id=uuid.uuid4().hex,
        )

    @get(
        "/e/{slug:str}/checkin/counts",
        exception_handlers={NotAuthorizedException: _login_required},
        opt={"access": "door"},
    )
    async def checkin_counts(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """Live figures for the check-in page (polled by its small script)."""
        counts = await gateway.call(Registration.COUNTS, GetCounts(event=slug), Counts)
        return Response(
            {
                "expected": sum(c.confirmed for c in counts.categories),
                "arrived": sum(c.checked_in for c in counts.categories),
                "categories": {c.category: [c.checked_in, c.confirmed] for c in counts.categories},
            }
        )

    @post("/e/{slug:str}/checkin/{registration_id:str}", opt={"access": "door"})
    async def check_in(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        registration_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        command = CheckIn(
            command_id=command_id_of(form),
            registration_id=registration_id,
            by_organiser=request.state.organiser[0],
        )
        try:
            await gateway.call(Registration.CHECK_IN, command, RegistrationView)
        except ServiceError as failure:
            if failure.reply.key != "already_checked_in":
                raise
        return Redirect(f"/organiser/e/{slug}/checkin?done={registration_id}", status_code=303)

    @get("/r/{registration_id:str}/{action:str}")
    async def confirm_action(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        """Cancel and erase ask first (the event page's buttons lead here): what will happen, confirm or go back."""
        if action not in ASKS_FIRST:
            raise NotFoundException()
        query = GetRegistration(registration_id=registration_id, by_organiser=request.state.organiser[0])
        view = await gateway.call(Registration.GET, query, RegistrationView)
        if (action == "cancel" and view.status == "cancelled") or (action == "erase" and view.erased):
            return Redirect(f"/organiser/e/{view.event}#r-{view.id}", status_code=303)  # done already
        spec = await gateway.event(view.event, include_unpublished=True)
        return render(
            request,
            "organiser/confirm.html",
            organiser=request.state.organiser,
            event=spec,
            registration=view,
            action=action,
            command_id=uuid.uuid4().hex,
        )

    @post("/r/{registration_id:str}/{action:str}")
    async def act(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        """Organiser actions on one registration from the event page: cancel, promote, erase."""
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
        command = kind(command_id=command_id, registration_id=registration_id, by_organiser=request.state.organiser[0])
        view = await gateway.call(subject, command, RegistrationView)
        return Redirect(f"/organiser/e/{view.event}#r-{view.id}", status_code=303)
