"""The organiser writes to an event's registrants: compose, preview (as a French and an English
reader get it, and to how many people), send. Notify decides who gets it and sends each mail once."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import EventSpec
from schemas.notify import (
    MESSAGE_BODY_LIMIT,
    MESSAGE_SUBJECT_LIMIT,
    MessagePreview,
    MessageSending,
    MessageText,
    PreviewMessage,
    SendMessage,
)
from schemas.subjects import Notify, Teams
from schemas.teams import ListTeams, TeamList, TeamView
from services.kit.client import ServiceError
from services.web.errors import form_refusals
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.rendering import language_of, render

FIELDS = {
    "subject_fr": MESSAGE_SUBJECT_LIMIT,
    "body_fr": MESSAGE_BODY_LIMIT,
    "subject_en": MESSAGE_SUBJECT_LIMIT,
    "body_en": MESSAGE_BODY_LIMIT,
}


def typed(form: FormMultiDict) -> tuple[str, MessageText, dict[str, str]]:
    """The audience and the text as typed; over-long texts are kept long enough for notify to refuse them."""
    # A browser sends line breaks as CRLF: the mail's text has plain ones.
    values = {name: form_text(form, name, 2 * limit).replace("\r\n", "\n") for name, limit in FIELDS.items()}
    audience = form_text(form, "audience", 120) or "everyone"
    return audience, MessageText(**values), values | {"audience": audience}


async def event_teams(gateway: Gateway, slug: str) -> list[TeamView]:
    try:
        return (await gateway.call(Teams.LIST, ListTeams(event=slug), TeamList)).teams
    except ServiceError:
        return []  # an event without teams


class MessagePages(Controller):
    path = "/organiser/e/{slug:str}/message"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        spec: EventSpec,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        preview: MessagePreview | None = None,
        sent: int | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        return render(
            request,
            "organiser/message.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            teams=await event_teams(gateway, spec.slug),
            has_jurors=any(spec.audience_of(c.id) == "jurors" for c in spec.categories),
            values=values or {},
            errors=errors or {},
            preview=preview,
            sent=sent,
            limits=FIELDS,
            command_id=uuid.uuid4().hex,
        )

    @get("/")
    async def compose(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        sent: FromQuery[int | None] = None,
    ) -> Response[str]:
        spec = await gateway.event(slug, include_unpublished=True)
        return await self._page(request, gateway, spec, sent=sent)

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        spec: EventSpec,
        values: dict[str, str],
        failure: ServiceError,
    ) -> Response[str]:
        refusals = form_refusals(failure, language_of(request))
        errors: dict[str, str] = {}
        for refused in refusals:
            errors.setdefault((refused.field or "_form").removeprefix("text."), refused.message)
        return await self._page(request, gateway, spec, values, errors, status_code=refusals[0].status)

    @post("/preview")
    async def preview(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        spec = await gateway.event(slug, include_unpublished=True)
        audience, text, values = typed(await request.form())
        try:
            shown = await gateway.call(
                Notify.PREVIEW_MESSAGE, PreviewMessage(event=slug, audience=audience, text=text), MessagePreview
            )
        except ServiceError as failure:
            return await self._refused(request, gateway, spec, values, failure)
        return await self._page(request, gateway, spec, values, preview=shown)

    @post("/send")
    async def send(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        spec = await gateway.event(slug, include_unpublished=True)
        audience, text, values = typed(form)
        command = SendMessage(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            audience=audience,
            text=text,
        )
        try:
            sending = await gateway.call(Notify.SEND_MESSAGE, command, MessageSending)
        except ServiceError as failure:
            return await self._refused(request, gateway, spec, values, failure)
        return Redirect(f"/organiser/e/{slug}/message?sent={len(sending.mails)}", status_code=303)
