"""Copy an event: last year's hackathon as the start of this year's, dates shifted, no registrations."""

import uuid
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.catalog import CopyEvent, EventDefinedReply, EventSpec
from schemas.event_file import EventTextError, reason_of
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.errors import form_refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.organiser.event_text import event_text_refusal
from services.web.rendering import gettext_for, language_of, render


class EventCopyPages(Controller):
    include_in_schema = False
    path = "/organiser/e/{slug:str}/copy"
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/")
    async def copy_form(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        spec = await gateway.event(slug, include_unpublished=True)
        values = {"slug": "", "title": spec.title, "starts_on": ""}
        return self._form(request, spec, values, None)

    @post("/")
    async def copy(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        spec = await gateway.event(slug, include_unpublished=True)
        form = await request.form()
        values = {name: form_text(form, name) for name in ("slug", "title", "starts_on")}
        language = language_of(request)
        gettext = gettext_for(language)
        try:
            starts_on = date.fromisoformat(values["starts_on"])
        except ValueError:
            return self._form(request, spec, values, gettext("Donnez la date de début, par exemple 2028-06-09."))
        try:
            command = msgspec.convert(
                {"command_id": command_id_of(form), "source": slug, **values, "starts_on": starts_on}, CopyEvent
            )
        except msgspec.ValidationError as error:
            # The new slug and title follow the rules of an event's own; say them the same way.
            problem, _, at = str(error).partition(" - at `$.")
            field, reason = reason_of(problem, at.rstrip("`") or None)
            refusal = event_text_refusal(EventTextError(field, problem, reason), language, gettext)
            return self._form(request, spec, values, refusal)
        try:
            await gateway.call(Catalog.COPY_EVENT, command, EventDefinedReply)
        except ServiceError as error:
            refused = form_refusal(error, language)
            return self._form(request, spec, values, refused.message, refused.status)
        return Redirect(f"/organiser/e/{command.slug}?copied=1", status_code=303)

    def _form(
        self,
        request: Request[Any, Any, Any],
        spec: EventSpec,
        values: dict[str, str],
        error: str | None,
        status: int = 200,
    ) -> Response[Any]:
        return render(
            request,
            "organiser/copy.html",
            status if error is None or status != 200 else 422,
            organiser=request.state.organiser,
            event=spec,
            values=values,
            error=error,
            command_id=uuid.uuid4().hex,
        )
