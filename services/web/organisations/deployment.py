"""The organisations of this Perche, for the people who run it (the default organisation's owners and
organisers): every school or community of communes, and a new one with its first owner."""

import re
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from schemas.organisations import (
    DefineOrganisation,
    GetOrganisation,
    GrantMember,
    ListOrganisations,
    OrganisationChanged,
    OrganisationDetail,
    OrganisationList,
)
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.auth import client_address
from services.web.errors import error_text, form_refusal
from services.web.forms import command_id_of, form_text, slugify
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class DeploymentPages(Controller):
    path = "/organiser/organisations"
    include_in_schema = False
    opt = {"access": "deployment"}

    @get("/")
    async def organisations(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[str]:
        return await self._page(request, gateway, {}, {})

    @post("/")
    async def create(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        """A new organisation: whoever makes it is an owner, and the first owner named is invited."""
        language = language_of(request)
        gettext = gettext_for(language)
        form = await request.form()
        values = {
            "name": form_text(form, "name", 200).strip(),
            "name_en": form_text(form, "name_en", 200).strip(),
            "slug": form_text(form, "slug", 63).strip() or slugify(form_text(form, "name", 200))[:63],
            "owner": form_text(form, "owner", 254).strip(),
            "language": "en" if form.get("language") == "en" else "fr",
        }
        errors: dict[str, str] = {}
        if not values["name"]:
            errors["name"] = gettext("Donnez un nom à l'organisation (200 caractères au plus).")
        if not SLUG.match(values["slug"]):
            errors["slug"] = gettext(
                "De 2 à 63 caractères : lettres minuscules sans accent, chiffres et tirets. Il ne pourra plus changer."
            )
        elif await _exists(gateway, values["slug"]):
            errors["slug"] = error_text("organisation_exists", "", language)
        if errors:
            return await self._page(request, gateway, errors, values, 422)
        who = request.state.organiser[0]
        command_id = command_id_of(form)
        define = DefineOrganisation(
            command_id=f"{command_id}-define",
            slug=values["slug"],
            name=values["name"],
            name_en=values["name_en"],
            by_organiser=who,
        )
        try:
            await gateway.call(Catalog.DEFINE_ORGANISATION, define, OrganisationChanged)
            if values["owner"]:
                grant = GrantMember(
                    command_id=f"{command_id}-owner",
                    organisation=values["slug"],
                    email=values["owner"],
                    role="owner",
                    by_organiser=who,
                    language="en" if values["language"] == "en" else "fr",
                    address=client_address(request),
                )
                await gateway.call(Catalog.GRANT_MEMBER, grant, OrganisationChanged, timeout=15)
        except ServiceError as error:
            refused = form_refusal(error, language)
            field = "owner" if refused.field == "email" else refused.field or "name"
            return await self._page(request, gateway, {field: refused.message}, values, refused.status)
        return Redirect(f"/organiser/o/{values['slug']}/members?done=1", status_code=303)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        errors: dict[str, str],
        values: dict[str, str],
        status: int = 200,
    ) -> Response[str]:
        listed = await gateway.call(Catalog.LIST_ORGANISATIONS, ListOrganisations(), OrganisationList)
        return render(
            request,
            "organiser/organisations.html",
            status,
            organiser=request.state.organiser,
            organisations=listed.organisations,
            errors=errors,
            values=values,
            command_id=uuid.uuid4().hex,
        )


async def _exists(gateway: Gateway, slug: str) -> bool:
    try:
        await gateway.call(Catalog.GET_ORGANISATION, GetOrganisation(slug=slug), OrganisationDetail)
    except ServiceError as error:
        if error.reply.code == "not_found":
            return False
        raise
    return True
