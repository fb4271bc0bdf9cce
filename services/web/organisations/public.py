"""One organisation's published events, as the home page lists every organisation's."""

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from schemas.catalog import EventList, ListEvents
from schemas.organisations import ListOrganisations, OrganisationList
from schemas.subjects import Catalog
from services.web.gateway import Gateway
from services.web.rendering import render


class OrganisationPublicPages(Controller):
    opt = {"access": "public"}
    include_in_schema = False

    @get("/o/{org:str}")
    async def organisation(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], org: FromPath[str]
    ) -> Response[str]:
        known = await gateway.call(Catalog.LIST_ORGANISATIONS, ListOrganisations(), OrganisationList)
        found = next((o for o in known.organisations if o.slug == org), None)
        if found is None:
            raise NotFoundException()
        reply = await gateway.call(Catalog.LIST_EVENTS, ListEvents(organisation=org), EventList)
        counts = [await gateway.counts(spec.slug) for spec in reply.events]
        rows = [(spec, c.status if c else "closed") for spec, c in zip(reply.events, counts, strict=True)]
        return render(request, "public/organisation.html", events=rows, org=found)
