"""An organisation's pages for its owners: members and their roles, settings, API tokens."""

import hashlib
import secrets
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.organisations import (
    API_TOKEN_PREFIX,
    ROLES,
    ChangeOrganisationSettings,
    DefineOrganisation,
    GetOrganisation,
    GrantMember,
    IssueApiToken,
    OrganisationChanged,
    OrganisationDetail,
    RevokeApiToken,
    RevokeMember,
)
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.auth import client_address
from services.web.errors import N_, form_refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render

# Each role as owners read it (French first; the English is in the catalogue).
ROLE_NAMES: dict[str, str] = {
    "owner": N_("propriétaire"),
    "organiser": N_("organisation"),
    "door": N_("accueil"),
    "jury_coordinator": N_("coordination du jury"),
}
ROLE_HELP: dict[str, str] = {
    "owner": N_("tout, plus les membres et les réglages"),
    "organiser": N_("tout sur les événements de l'organisation"),
    "door": N_("l'accueil (pointage et recherche) des événements choisis, rien d'autre"),
    "jury_coordinator": N_("jurés, grilles, classements et publication des résultats"),
}


class OrganisationPages(Controller):
    path = "/organiser/o/{org:str}"
    include_in_schema = False
    opt = {"access": "owner"}

    @get("/members")
    async def members(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], org: FromPath[str]
    ) -> Response[str]:
        return await self._members_page(request, gateway, org, {}, {})

    @post("/members")
    async def grant(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], org: FromPath[str]
    ) -> Response[Any]:
        """Add a member by email with a role (and events for the door), or change a member's role."""
        form = await request.form()
        values = {"email": str(form.get("email") or "").strip(), **_role_fields(form)}
        command = GrantMember(
            command_id=command_id_of(form),
            organisation=org,
            email=values["email"][:254],
            role=values["role"][:40],
            events=values["events"][:200],
            by_organiser=request.state.organiser[0],
            language=values["language"],
            address=client_address(request),
        )
        try:
            reply = await gateway.call(Catalog.GRANT_MEMBER, command, OrganisationChanged, timeout=15)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            errors = {refused.field or "email": refused.message}
            return await self._members_page(request, gateway, org, errors, values, refused.status)
        # A person without an account yet is invited by the catalog (OrganisationEndpoints.invite).
        return Redirect(f"/organiser/o/{org}/members?done={int(reply.changed)}", status_code=303)

    @post("/members/{person:str}/remove")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        org: FromPath[str],
        person: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        command = RevokeMember(
            command_id=command_id_of(form), organisation=org, person=person, by_organiser=request.state.organiser[0]
        )
        try:
            await gateway.call(Catalog.REVOKE_MEMBER, command, OrganisationChanged)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            return await self._members_page(request, gateway, org, {f"person-{person}": refused.message}, {}, 409)
        return Redirect(f"/organiser/o/{org}/members", status_code=303)

    @post("/settings")
    async def settings(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], org: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        command_id = command_id_of(form)
        who = request.state.organiser[0]
        name, name_en = str(form.get("name") or "").strip(), str(form.get("name_en") or "").strip()
        if not name or len(name) > 200 or len(name_en) > 200:
            gettext = gettext_for(language_of(request))
            message = gettext("Donnez un nom à l'organisation (200 caractères au plus).")
            return await self._members_page(request, gateway, org, {"name": message}, {}, 422)
        rename = DefineOrganisation(
            command_id=f"{command_id}-name", slug=org, name=name, name_en=name_en, by_organiser=who
        )
        await gateway.call(Catalog.DEFINE_ORGANISATION, rename, OrganisationChanged)
        command = ChangeOrganisationSettings(
            command_id=command_id,
            organisation=org,
            require_two_step=form.get("require_two_step") == "1",
            by_organiser=who,
        )
        await gateway.call(Catalog.CHANGE_ORGANISATION_SETTINGS, command, OrganisationChanged)
        return Redirect(f"/organiser/o/{org}/members?done=1", status_code=303)

    @get("/tokens")
    async def tokens(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], org: FromPath[str]
    ) -> Response[str]:
        return await self._tokens_page(request, gateway, org, {}, {}, None)

    @post("/tokens")
    async def issue(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], org: FromPath[str]
    ) -> Response[Any]:
        """A named token for a script, with one role; shown once here, only its hash is kept."""
        form = await request.form()
        values = {"name": str(form.get("name") or "").strip(), **_role_fields(form)}
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        command = IssueApiToken(
            command_id=command_id_of(form),
            organisation=org,
            name=values["name"][:200] or " ",
            role=values["role"][:40],
            events=values["events"][:200],
            token_id=token_id,
            secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
            by_organiser=request.state.organiser[0],
        )
        try:
            reply = await gateway.call(Catalog.ISSUE_API_TOKEN, command, OrganisationChanged)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            errors = {refused.field or "name": refused.message}
            return await self._tokens_page(request, gateway, org, errors, values, None, refused.status)
        # A repeated form (a double click) made no token: its secret was never stored, so none is shown.
        shown = f"{API_TOKEN_PREFIX}{token_id}.{secret}" if reply.changed else None
        return await self._tokens_page(request, gateway, org, {}, {}, shown, 201 if shown else 200)

    @post("/tokens/{token_id:str}/revoke")
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        org: FromPath[str],
        token_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        command = RevokeApiToken(
            command_id=command_id_of(form), organisation=org, token_id=token_id, by_organiser=request.state.organiser[0]
        )
        await gateway.call(Catalog.REVOKE_API_TOKEN, command, OrganisationChanged)
        return Redirect(f"/organiser/o/{org}/tokens", status_code=303)

    async def _detail(self, gateway: Gateway, org: str) -> tuple[OrganisationDetail, dict[str, Any]]:
        detail = await gateway.call(Catalog.GET_ORGANISATION, GetOrganisation(slug=org), OrganisationDetail)
        specs = {spec.slug: spec for spec in await gateway.events(include_unpublished=True)}
        return detail, {slug: specs[slug] for slug in detail.events if slug in specs}

    async def _members_page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        org: str,
        errors: dict[str, str],
        values: dict[str, Any],
        status: int = 200,
    ) -> Response[str]:
        done = request.query_params.get("done")
        return await self._page(request, gateway, org, "members", errors, values, status, done=done)

    async def _tokens_page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        org: str,
        errors: dict[str, str],
        values: dict[str, Any],
        shown: str | None,
        status: int = 200,
    ) -> Response[str]:
        return await self._page(request, gateway, org, "tokens", errors, values, status, shown=shown)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        org: str,
        page: str,
        errors: dict[str, str],
        values: dict[str, Any],
        status: int,
        **extra: Any,
    ) -> Response[str]:
        """An owner's page of the organisation, with what was typed and why it was refused."""
        detail, events = await self._detail(gateway, org)
        return render(
            request,
            f"organiser/{page}.html",
            status,
            organiser=request.state.organiser,
            detail=detail,
            events=events,
            roles=_roles(request),
            errors=errors,
            values=values,
            new_id=lambda: uuid.uuid4().hex,
            **extra,
        )


def _role_fields(form: Any) -> dict[str, Any]:
    """What the members and tokens forms both ask: a role, the door's events, a mail's language."""
    return {
        "role": str(form.get("role") or ""),
        "events": [str(e) for e in form.getall("events", [])],
        "language": "en" if form.get("language") == "en" else "fr",
    }


def _roles(request: Request[Any, Any, Any]) -> list[tuple[str, str, str]]:
    gettext = gettext_for(language_of(request))
    return [(role, gettext(ROLE_NAMES[role]), gettext(ROLE_HELP[role])) for role in ROLES]
