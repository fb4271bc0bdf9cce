"""Organisers register anyone in any category of an event, invitation-only ones included
(speakers, press), as the jury page does for jurors; the registration service decides the rest."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.registration import Register, RegistrationView
from schemas.subjects import Registration
from services.kit.client import ServiceError
from services.web.errors import form_refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import language_of, render


class EnrolPages(Controller):
    include_in_schema = False
    path = "/organiser/e/{slug:str}/register"
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/")
    async def enrol_form(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._page(request, gateway, slug, {}, {})

    @post("/")
    async def enrol(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        values = {name: str(form.get(name) or "").strip() for name in ("name", "email", "language", "category")}
        command = Register(
            command_id=command_id_of(form),
            event=slug,
            # Not cut short: an overlong name or address comes back with the error next to it.
            name=values["name"],
            email=values["email"],
            consent=True,
            language="en" if values["language"] == "en" else "fr",
            category=values["category"] or None,
            by_organiser=request.state.organiser[0],
        )
        try:
            view = await gateway.call(Registration.REGISTER, command, RegistrationView)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            errors = {refused.field or "_form": refused.message}
            return await self._page(request, gateway, slug, errors, values, refused.status)
        return Redirect(f"/organiser/e/{slug}#r-{view.id}", status_code=303)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        errors: dict[str, str],
        values: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        spec = await gateway.event(slug, include_unpublished=True)
        return render(
            request,
            "organiser/enrol.html",
            status,
            organiser=request.state.organiser,
            event=spec,
            errors=errors,
            values=values,
            command_id=uuid.uuid4().hex,
        )
