"""Public pages: the events, an event with its form, a registration's private page."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.registration import Cancel, GetRegistration, RegistrationView
from schemas.subjects import Registration
from services.kit.client import ServiceError
from services.web.forms import error_text, register_from_form
from services.web.gateway import Gateway, registration_status
from services.web.rendering import gettext_for, language_of, render


class PublicPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        rows = [(spec, registration_status(spec, counts)) for spec, counts in await gateway.events_with_counts()]
        return render(request, "public/home.html", events=rows)

    @get("/e/{slug:str}")
    async def event(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
        return await self._event_page(request, slug)

    async def _event_page(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug)
        counts = await gateway.counts(slug)
        remaining = {c.category: c.remaining for c in counts.categories} if counts else {}
        return render(
            request,
            "public/event.html",
            status_code=status_code,
            event=spec,
            status=registration_status(spec, counts),
            remaining=remaining,
            values=values or {},
            errors=errors or {},
            # A fresh id per displayed form: submitting it twice registers once.
            command_id=(values or {}).get("command_id") or uuid.uuid4().hex,
        )

    @post("/e/{slug:str}")
    async def register(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        language = language_of(request)
        gettext = gettext_for(language)
        spec = await gateway.event(slug)
        form = await request.form()
        command = register_from_form(spec, form, language)
        values = {key: form.getall(key) if key.startswith("q_") else form.get(key) for key in form}
        values["command_id"] = command.command_id
        if len(command.command_id) < 8:
            errors = {"_form": error_text("command_missing", "", gettext)}
            return await self._event_page(request, slug, values, errors, 422)
        try:
            view = await gateway.call(Registration.REGISTER, command, RegistrationView)
        except ServiceError as error:
            reply = error.reply
            field = (reply.field or "_form").replace("answers.", "q_")
            errors = {field: error_text(reply.key, reply.message, gettext)}
            status = 503 if reply.code == "unavailable" else 422
            return await self._event_page(request, slug, values, errors, status)
        return Redirect(f"/r/{view.id}?token={view.manage_token}&new=1", status_code=303)

    @get("/r/{registration_id:str}")
    async def registration(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], token: FromQuery[str] = ""
    ) -> Response[str]:
        gateway: Gateway = request.app.state.gateway
        view = await gateway.call(
            Registration.GET,
            GetRegistration(registration_id=registration_id, token=token),
            RegistrationView,
        )
        spec = await gateway.event(view.event, include_unpublished=True)
        return render(
            request,
            "public/registration.html",
            event=spec,
            registration=view,
            category=spec.category(view.category),
            new=request.query_params.get("new") == "1",
            command_id=uuid.uuid4().hex,
        )

    @post("/r/{registration_id:str}/cancel")
    async def cancel(self, request: Request[Any, Any, Any], registration_id: FromPath[str]) -> Response[Any]:
        gateway: Gateway = request.app.state.gateway
        form = await request.form()
        token = str(form.get("token") or "")
        command = Cancel(
            command_id=str(form.get("command_id") or uuid.uuid4().hex),
            registration_id=registration_id,
            token=token,
        )
        try:
            await gateway.call(Registration.CANCEL, command, RegistrationView)
        except ServiceError as error:
            if error.reply.key != "already_cancelled":
                raise
        return Redirect(f"/r/{registration_id}?token={token}", status_code=303)
