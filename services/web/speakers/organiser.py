"""The organiser's speakers page: invite a speaker or the moderator by mail, see who answered, withdraw."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.schedule import DraftView, GetDraft
from schemas.speakers import InvitationList, InviteSpeaker, ListInvitations, WithdrawInvitation
from schemas.subjects import Schedule
from services.kit.client import ServiceError
from services.web.errors import form_refusals
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import language_of, render

FIELDS = ("name", "name_en", "email", "role", "language", "contributor")


class SpeakersAdmin(Controller):
    path = "/organiser/e/{slug:str}/speakers"
    include_in_schema = False
    opt = {"access": "organiser"}

    @get("/")
    async def page(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        return await self._page(request, gateway, slug)

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        spec = await gateway.event(slug, include_unpublished=True)
        listed = await gateway.call(Schedule.INVITATIONS, ListInvitations(event=slug), InvitationList)
        draft = await gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView)
        # The agenda's speakers an invitation may name: their sessions go into the speaker's own feed.
        people = [p for p in draft.agenda.people if p.role == "speaker"]
        return render(
            request,
            "organiser/speakers.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            invitations=listed.invitations,
            people=people,
            errors=errors or {},
            values=values or {},
            command_id=uuid.uuid4().hex,
            saved=request.query_params.get("saved", ""),
        )

    @post("/")
    async def invite(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        # Not cut short: an overlong name or address comes back with the error next to it.
        values = {name: str(form.get(name) or "").strip() for name in FIELDS}
        command = InviteSpeaker(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            name=values["name"][:1000],
            name_en=values["name_en"][:1000],
            role="moderator" if values["role"] == "moderator" else "speaker",
            email=values["email"][:1000],
            contributor=values["contributor"][:40] or None,
            language="en" if values["language"] == "en" else "fr",
        )
        try:
            await gateway.call(Schedule.INVITE_SPEAKER, command, InvitationList)
        except ServiceError as failure:
            refusals = form_refusals(failure, language_of(request))
            errors = {r.field if r.field in FIELDS else "_form": r.message for r in reversed(refusals)}
            return await self._page(request, gateway, slug, errors, values, refusals[0].status)
        return Redirect(f"/organiser/e/{slug}/speakers?saved=invited", status_code=303)

    @post("/{invitation:str}/withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        invitation: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        command = WithdrawInvitation(
            command_id=command_id_of(form),
            event=slug,
            invitation=invitation[:40],
            by_organiser=request.state.organiser[0],
        )
        try:
            await gateway.call(Schedule.WITHDRAW_INVITATION, command, InvitationList)
        except ServiceError as failure:
            refusals = form_refusals(failure, language_of(request))
            return await self._page(request, gateway, slug, {"_form": refusals[0].message}, None, refusals[0].status)
        return Redirect(f"/organiser/e/{slug}/speakers?saved=withdrawn", status_code=303)
