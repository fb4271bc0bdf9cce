"""The agenda's JSON API: the released agenda, releases, the draft, edits, rounds."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody
from msgspec import Meta

from schemas.schedule import (
    AgendaView,
    DraftView,
    Edit,
    EditDraft,
    GenerateRounds,
    GetAgenda,
    GetDraft,
    ListReleases,
    ReleaseAgenda,
    ReleaseList,
    RoundsPlan,
)
from schemas.subjects import Schedule
from services.web.agenda.shaping import public_agenda
from services.web.bodies import check_key, strictly
from services.web.gateway import Gateway
from services.web.views import error_responses

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


class ReleaseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, Meta(max_length=2000)] = ""
    note_en: Annotated[str, Meta(max_length=2000)] = ""
    accept_conflicts: bool = False


class AgendaApi(Controller):
    path = "/api/v1/events/{slug:str}/agenda"
    tags = ["agenda"]

    @get(
        "/",
        summary="The released agenda (what the public sees)",
        responses=error_responses(404, 503),
        opt={"access": "public"},
    )
    async def released(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> AgendaView:
        view = await gateway.call(Schedule.AGENDA, GetAgenda(event=slug), AgendaView)
        return msgspec.structs.replace(view, agenda=public_agenda(view.agenda))

    @get(
        "/releases",
        summary="Every release, newest first, with its changelog",
        responses=error_responses(404, 503),
        opt={"access": "public"},
    )
    async def releases(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> ReleaseList:
        await gateway.event(slug)
        return await gateway.call(Schedule.RELEASES, ListReleases(event=slug), ReleaseList)

    @get(
        "/draft",
        summary="The draft, its conflicts and what releasing it would change",
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
        opt={"access": "organiser"},
    )
    async def draft(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> DraftView:
        return await gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView)

    @post(
        "/edits",
        status_code=200,
        summary="Edit the draft: all edits apply, or none (naive times are local to the event)",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 413, 422, 429, 503),
        opt={"access": "organiser"},
    )
    async def edit(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[EditsIn],
        idempotency_key: IdempotencyKey = None,
    ) -> DraftView:
        data = await strictly(request, data)
        command = EditDraft(
            command_id=check_key(idempotency_key), event=slug, by_organiser=request.state.organiser[0], edits=data.edits
        )
        return await gateway.call(Schedule.EDIT, command, DraftView)

    @post(
        "/rounds",
        status_code=200,
        summary="Generate pitch order and jury panels into the draft",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 413, 422, 429, 503),
        opt={"access": "organiser"},
    )
    async def rounds(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[RoundsPlan],
        idempotency_key: IdempotencyKey = None,
    ) -> DraftView:
        data = await strictly(request, data)
        # The jurors registered on the jury page judge too, with the agenda's own.
        registered = await gateway.jurors(await gateway.event(slug, include_unpublished=True))
        command = GenerateRounds(
            **msgspec.structs.asdict(data),
            command_id=check_key(idempotency_key),
            event=slug,
            by_organiser=request.state.organiser[0],
            registered_jurors=[j.id for j in registered],
            # Their conflicts of interest too: no panel seats a juror before a team they may not judge.
            registered_conflicts=await gateway.conflicts(slug, registered),
        )
        return await gateway.call(Schedule.GENERATE_ROUNDS, command, DraftView)

    @post(
        "/releases",
        status_code=201,
        summary="Release the draft: a new version, with its changelog",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 413, 422, 429, 503),
        opt={"access": "organiser"},
    )
    async def release(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[ReleaseIn],
        idempotency_key: IdempotencyKey = None,
    ) -> AgendaView:
        data = await strictly(request, data)
        command = ReleaseAgenda(
            command_id=check_key(idempotency_key),
            event=slug,
            by_organiser=request.state.organiser[0],
            note=data.note,
            note_en=data.note_en,
            accept_conflicts=data.accept_conflicts,
        )
        return await gateway.call(Schedule.RELEASE, command, AgendaView)
