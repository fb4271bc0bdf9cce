"""Organisers define and change events from the dashboard (TOML text) or the API (JSON)."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.catalog import DefineEvent, EventDefinedReply, EventReply, GetEvent, kept_source
from schemas.event_file import EventTextError, decode_event_toml, encode_event_toml
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.access import new_event_organisation
from services.web.errors import form_refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.organiser.event_text import event_text_refusal, located
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
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/new/toml")
    async def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        who = request.state.organiser
        return render(request, "organiser/edit.html", organiser=who, slug=None, text=NEW_EVENT, error=None)

    @get("/e/{slug:str}/edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        query = GetEvent(slug=slug, include_unpublished=True, with_source=True)
        stored = await gateway.call(Catalog.GET_EVENT, query, EventReply)
        text = shown_text(stored)
        return render(
            request, "organiser/edit.html", organiser=request.state.organiser, slug=slug, text=text, error=None
        )

    @post("/new/toml")
    async def create(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        return await self._save(request, gateway, None)

    @post("/e/{slug:str}/edit")
    async def save(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._save(request, gateway, slug)

    async def _save(self, request: Request[Any, Any, Any], gateway: Gateway, slug: str | None) -> Response[Any]:
        gettext = gettext_for(language_of(request))
        form = await request.form()
        text = str(form.get("definition") or "").replace("\r\n", "\n")
        try:
            spec = decode_event_toml(text)
            if slug is not None and spec.slug != slug:
                raise EventTextError("slug", gettext("L'identifiant (slug) d'un événement ne peut pas changer."))
            command = DefineEvent(
                command_id=command_id_of(form),
                spec=spec,
                by_organiser=request.state.organiser[0],
                source=kept_source(text),
                create_only=slug is None,
                organisation=new_event_organisation(request, str(form.get("organisation") or "") or None),
            )
            await gateway.call(Catalog.DEFINE_EVENT, command, EventDefinedReply)
        except EventTextError as error:
            return self._again(request, slug, text, event_text_refusal(error, language_of(request), gettext))
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            return self._again(request, slug, text, located(gettext, refused.field, refused.message), refused.status)
        return Redirect(f"/organiser/e/{spec.slug}?saved=1", status_code=303)

    def _again(
        self, request: Request[Any, Any, Any], slug: str | None, text: str, error: str, status: int = 422
    ) -> Response[Any]:
        """The editor again, with what was typed and why it was refused."""
        organiser = request.state.organiser
        return render(request, "organiser/edit.html", status, organiser=organiser, slug=slug, text=text, error=error)


def shown_text(stored: EventReply) -> str:
    """The text the organiser last wrote, comments included, while it still says what is stored;
    else (a form or a status change came after) the definition encoded again."""
    encoded = encode_event_toml(stored.event)
    if stored.source is not None:
        try:
            if encode_event_toml(decode_event_toml(stored.source)) == encoded:
                return stored.source
        except EventTextError:
            pass
    return encoded
