"""The agenda's JSON API: the released agenda, releases, the draft, edits, rounds."""

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody
from msgspec import Meta

from schemas.catalog import Ident
from schemas.schedule import (
    AgendaView,
    DraftView,
    Edit,
    EditDraft,
    GetAgenda,
    GetDraft,
    ListReleases,
    ReleaseAgenda,
    ReleaseList,
    SessionId,
)
from schemas.subjects import Schedule
from services.web.agenda_pages import public_agenda
from services.web.auth import organiser_guard
from services.web.bodies import check_key, strictly
from services.web.gateway import Gateway
from services.web.views import error_responses

# --- the JSON API ---

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Client-made id (8–100 characters): the same key again has the same effect once.",
        min_length=8,
        max_length=100,
    ),
]


class EditsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    edits: Annotated[list[Edit], Meta(min_length=1, max_length=5000)]


class RoundsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """GenerateRounds without its envelope: the same fields, with the same limits, in the schema."""

    starts_at: datetime
    rooms: Annotated[list[Ident], Meta(min_length=1, max_length=20)]
    jurors_per_team: Annotated[int, Meta(ge=1, le=20)] = 3
    pitch_minutes: Annotated[int, Meta(ge=1, le=240)] = 10
    changeover_minutes: Annotated[int, Meta(ge=0, le=120)] = 5
    break_every: Annotated[int, Meta(ge=0, le=100)] = 0
    break_minutes: Annotated[int, Meta(ge=1, le=240)] = 15
    deliberation_minutes: Annotated[int, Meta(ge=0, le=600)] = 0
    deliberation_room: Ident | None = None
    teams: list[Ident] | None = None
    jurors: list[Ident] | None = None
    seed: int | None = None
    replace: list[SessionId] = []


class ReleaseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, Meta(max_length=2000)] = ""
    accept_conflicts: bool = False


class AgendaApi(Controller):
    path = "/api/v1/events/{slug:str}/agenda"
    tags = ["agenda"]

    @get("/", summary="The released agenda (what the public sees)", responses=error_responses(404, 503))
    async def released(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> AgendaView:
        gateway: Gateway = request.app.state.gateway
        view = await gateway.call(Schedule.AGENDA, GetAgenda(event=slug), AgendaView)
        return msgspec.structs.replace(view, agenda=public_agenda(view.agenda))

    @get("/releases", summary="Every release, newest first, with its changelog", responses=error_responses(404, 503))
    async def releases(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> ReleaseList:
        gateway: Gateway = request.app.state.gateway
        await gateway.event(slug)
        return await gateway.call(Schedule.RELEASES, ListReleases(event=slug), ReleaseList)  # type: ignore[no-any-return]

    @get(
        "/draft",
        summary="The draft, its conflicts and what releasing it would change",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
    )
    async def draft(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> DraftView:
        gateway: Gateway = request.app.state.gateway
        return await gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView)  # type: ignore[no-any-return]

    @post(
        "/edits",
        status_code=200,
        summary="Edit the draft: all edits apply, or none (naive times are local to the event)",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 413, 422, 429, 503),
    )
    async def edit(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[EditsIn],
        idempotency_key: IdempotencyKey = None,
    ) -> DraftView:
        data = await strictly(request, data)
        gateway: Gateway = request.app.state.gateway
        command = EditDraft(
            command_id=check_key(idempotency_key), event=slug, by_organiser=request.state.organiser[0], edits=data.edits
        )
        return await gateway.call(Schedule.EDIT, command, DraftView)  # type: ignore[no-any-return]

    @post(
        "/rounds",
        status_code=200,
        summary="Generate pitch order and jury panels into the draft",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 413, 422, 429, 503),
    )
    async def rounds(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[RoundsIn],
        idempotency_key: IdempotencyKey = None,
    ) -> DraftView:
        data = await strictly(request, data)
        gateway: Gateway = request.app.state.gateway
        # The schedule service checks every limit of GenerateRounds when it decodes this.
        command = {
            **msgspec.to_builtins(data),
            "command_id": check_key(idempotency_key),
            "event": slug,
            "by_organiser": request.state.organiser[0],
        }
        return await gateway.call(Schedule.GENERATE_ROUNDS, command, DraftView)  # type: ignore[no-any-return]

    @post(
        "/releases",
        status_code=201,
        summary="Release the draft: a new version, with its changelog",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 413, 422, 429, 503),
    )
    async def release(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[ReleaseIn],
        idempotency_key: IdempotencyKey = None,
    ) -> AgendaView:
        data = await strictly(request, data)
        gateway: Gateway = request.app.state.gateway
        command = ReleaseAgenda(
            command_id=check_key(idempotency_key),
            event=slug,
            by_organiser=request.state.organiser[0],
            note=data.note,
            accept_conflicts=data.accept_conflicts,
        )
        return await gateway.call(Schedule.RELEASE, command, AgendaView)  # type: ignore[no-any-return]
