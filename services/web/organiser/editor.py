"""Organisers define and change events from the dashboard (TOML text) or the API (JSON)."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.catalog import DefineEvent, EventDefinedReply
from schemas.event_file import EventTextError, decode_event_toml, encode_event_toml
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.auth import organiser_of
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render

NEW_EVENT = """slug = "mon-evenement-2027"
title = "Journée portes ouvertes"
kind = "open_day"
starts_at = 2027-09-18T10:00:00
ends_at = 2027-09-18T17:00:00
timezone = "Europe/Paris"
published = false

[venue]
name = "École du numérique"
address = "Place de l'Hôtel de Ville, 28240 La Loupe"

[[categories]]
id = "public"
name = "Visiteur"
capacity = 50
"""


class EventEditor(Controller):
    include_in_schema = False
    path = "/organiser"

    @get("/new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return Redirect("/organiser/login?next=/organiser/new", status_code=303)
        return render(request, "organiser/edit.html", organiser=who, slug=None, text=NEW_EVENT, error=None)

    @get("/e/{slug:str}/edit")
    async def edit_form(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return Redirect(f"/organiser/login?next=/organiser/e/{slug}/edit", status_code=303)
        gateway: Gateway = request.app.state.gateway
        spec = await gateway.event(slug, include_unpublished=True)
        return render(
            request, "organiser/edit.html", organiser=who, slug=slug, text=encode_event_toml(spec), error=None
        )

    @post("/new")
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return await self._save(request, None)

    @post("/e/{slug:str}/edit")
    async def save(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        return await self._save(request, slug)

    async def _save(self, request: Request[Any, Any, Any], slug: str | None) -> Response[Any]:
        who = await organiser_of(request)
        if who is None:
            return Redirect("/organiser/login", status_code=303)
        gateway: Gateway = request.app.state.gateway
        gettext = gettext_for(language_of(request))
        form = await request.form()
        text = str(form.get("definition") or "")
        try:
            spec = decode_event_toml(text)
            if slug is not None and spec.slug != slug:
                raise EventTextError("slug", gettext("L'identifiant (slug) d'un événement ne peut pas changer."))
            command = DefineEvent(command_id=command_id_of(form), spec=spec)
            await gateway.call(Catalog.DEFINE_EVENT, command, EventDefinedReply)
        except EventTextError as error:
            message = gettext("Champ « %(field)s » : %(problem)s") % {"field": error.field, "problem": error.problem}
            return self._again(request, who, slug, text, message if error.field else error.problem)
        except ServiceError as error:
            if error.reply.code != "invalid":
                raise
            field = error.reply.field
            message = gettext("Champ « %(field)s » : %(problem)s") % {"field": field, "problem": error.reply.message}
            return self._again(request, who, slug, text, message if field else error.reply.message)
        return Redirect(f"/organiser/e/{spec.slug}?saved=1", status_code=303)

    def _again(
        self, request: Request[Any, Any, Any], who: tuple[str, str], slug: str | None, text: str, error: str
    ) -> Response[Any]:
        return render(request, "organiser/edit.html", 422, organiser=who, slug=slug, text=text, error=error)
