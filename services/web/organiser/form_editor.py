"""Organisers create and change an event with forms (no TOML, no JavaScript needed).

Adding, removing and moving a row is a submit button that shows the form again with what was
typed, storing nothing; a save stores nothing until the whole event is valid, and each refusal is
shown next to its input. The mapping between form and definition is services/web/organiser/event_form.py.
"""

import uuid
from typing import Any, get_args

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.catalog import Audience, DefineEvent, EventDefinedReply, EventKind, EventSpec, QuestionKind
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.access import new_event_organisation
from services.web.errors import form_refusal
from services.web.gateway import Gateway
from services.web.organiser.event_form import FormProblem, apply_action, blank_form, form_of, read_form, spec_of
from services.web.organiser.event_text import problem_text
from services.web.rendering import gettext_for, language_of, render


class EventFormEditor(Controller):
    include_in_schema = False
    path = "/organiser"

    @get("/new", opt={"access": "organiser"})
    async def new_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return self._page(request, None, blank_form(), {})

    @post("/new", opt={"access": "organiser"})
    async def create(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        return await self._posted(request, gateway, None)

    @get("/e/{slug:str}/form", opt={"access": "organiser"})
    async def edit_form(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        stored = await gateway.event(slug, include_unpublished=True)
        return self._page(request, stored, form_of(stored), {})

    @post("/e/{slug:str}/form", opt={"access": "organiser"})
    async def save(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._posted(request, gateway, await gateway.event(slug, include_unpublished=True))

    async def _posted(
        self, request: Request[Any, Any, Any], gateway: Gateway, stored: EventSpec | None
    ) -> Response[Any]:
        language = language_of(request)
        gettext = gettext_for(language)
        posted = await request.form()
        form = read_form(posted.multi_items())
        action = str(posted.get("action") or "save")
        if action != "save":
            # A row added, removed or moved (or an action no longer possible: the form as it was).
            return self._page(request, stored, apply_action(form, action) or form, {})
        spec = spec_of(form, stored)
        if isinstance(spec, FormProblem):
            errors = {spec.field or "": problem_text(spec.reason, language, gettext)}
            return self._page(request, stored, form, errors, 422)
        # A new id for each save: a repeated save of the same definition appends nothing anyway, and a
        # page kept by the browser's Back button must not pass a changed event off as a repeat.
        command = DefineEvent(
            command_id=uuid.uuid4().hex,
            spec=spec,
            by_organiser=request.state.organiser[0],
            create_only=stored is None,
            organisation=new_event_organisation(request, str(posted.get("organisation") or "") or None),
        )
        try:
            await gateway.call(Catalog.DEFINE_EVENT, command, EventDefinedReply)
        except ServiceError as error:
            refused = form_refusal(error, language)
            return self._page(request, stored, form, {refused.field or "": refused.message}, refused.status)
        return Redirect(f"/organiser/e/{spec.slug}?saved=1", status_code=303)

    def _page(
        self,
        request: Request[Any, Any, Any],
        stored: EventSpec | None,
        form: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[Any]:
        gettext = gettext_for(language_of(request))
        return render(
            request,
            "organiser/event_form.html",
            status,
            organiser=request.state.organiser,
            stored=stored,
            form=form,
            errors=errors,
            action=f"/organiser/e/{stored.slug}/form" if stored else "/organiser/new",
            kinds=[(kind, _kind_names(gettext)[kind]) for kind in get_args(EventKind)],
            question_kinds=[(kind, _question_names(gettext)[kind]) for kind in get_args(QuestionKind)],
            audiences=[(audience, _audience_names(gettext)[audience]) for audience in get_args(Audience)],
        )


def _kind_names(gettext: Any) -> dict[str, str]:
    return {
        "hackathon": gettext("Hackathon"),
        "round_table": gettext("Table ronde"),
        "open_day": gettext("Journée portes ouvertes"),
        "workshop": gettext("Atelier"),
        "conference": gettext("Conférence"),
    }


def _question_names(gettext: Any) -> dict[str, str]:
    return {
        "text": gettext("Texte libre"),
        "choice": gettext("Un choix parmi des réponses"),
        "multi_choice": gettext("Plusieurs choix parmi des réponses"),
        "yes_no": gettext("Oui ou non"),
        "ranking": gettext("Classer des choix par préférence"),
    }


def _audience_names(gettext: Any) -> dict[str, str]:
    return {
        "everyone": gettext("tout le monde"),
        "participants": gettext("participant·es"),
        "jurors": gettext("jury"),
        "speakers": gettext("intervenant·es"),
    }
