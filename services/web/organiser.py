"""The organiser dashboard: login, events with live figures, registrations."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import Authenticate, OrganiserReply
from schemas.registration import ListRegistrations, RegistrationList
from schemas.subjects import Catalog, Registration
from services.kit.client import ServiceError
from services.web.auth import LIFETIME, SESSION_COOKIE, organiser_of
from services.web.forms import error_text
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render


def _login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(f"/organiser/login?next={request.url.path}", status_code=303)


def _safe_next(target: str) -> str:
    # Only paths on this site, never another host (open redirect).
    return target if target.startswith("/organiser/") and not target.startswith("//") else "/organiser/"


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
            message = error_text(error.reply.key, error.reply.message, gettext_for(language_of(request)))
            status = 503 if error.reply.code == "unavailable" else 401
            return render(request, "organiser/login.html", status, next=target, error=message, email=email)
        response: Redirect = Redirect(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            request.app.state.tokens.issue(who.organiser_id, who.email),
            max_age=LIFETIME,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @post("/logout")
    async def logout(self) -> Redirect:
        response = Redirect("/organiser/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[Any]:
        who = organiser_of(request)
        if who is None:
            return _login_redirect(request)
        gateway: Gateway = request.app.state.gateway
        rows = await gateway.events_with_counts(include_unpublished=True)
        return render(request, "organiser/dashboard.html", organiser=who, events=rows)

    @get("/e/{slug:str}")
    async def event(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        who = organiser_of(request)
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
        )
