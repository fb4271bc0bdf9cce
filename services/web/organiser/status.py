"""Changes an organiser makes by hand from the event's page: publish, close registration, archive."""

import uuid
from typing import Any, get_args

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.catalog import ChangeEventStatus, EventDefinedReply, StatusChange
from schemas.subjects import Catalog
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import render

CHANGES: tuple[str, ...] = get_args(StatusChange)


class EventStatusPages(Controller):
    include_in_schema = False
    path = "/organiser/e/{slug:str}"
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    @get("/archive")
    async def confirm_archive(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """Archiving asks first: what it hides, and that it can be undone."""
        spec = await gateway.event(slug, include_unpublished=True)
        return render(
            request,
            "organiser/archive.html",
            organiser=request.state.organiser,
            event=spec,
            command_id=uuid.uuid4().hex,
        )

    @post("/status/{change:str}")
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        change: FromPath[str],
    ) -> Response[Any]:
        if change not in CHANGES:
            raise NotFoundException()
        form = await request.form()
        command = ChangeEventStatus(command_id=command_id_of(form), slug=slug, change=change)  # type: ignore[arg-type]
        await gateway.call(Catalog.CHANGE_EVENT_STATUS, command, EventDefinedReply)
        return Redirect(f"/organiser/e/{slug}?status={change}", status_code=303)
