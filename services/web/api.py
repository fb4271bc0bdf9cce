"""The organiser's part of the JSON API, /api/v1: bearer tokens, passwords, defining an event."""

import uuid
from typing import Any

from litestar import Controller, Request, post, put
from litestar.params import FromPath, JSONBody

from schemas.catalog import Authenticate, ChangePassword, DefineEvent, EventDefinedReply, EventSpec, OrganiserReply
from schemas.errors import ErrorReply
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.auth import LIFETIME, end_session, organiser_guard
from services.web.bodies import IdempotencyKey, check_key, strictly
from services.web.gateway import Gateway
from services.web.views import CredentialsIn, PasswordIn, TokenOut, error_responses


def _token_out(request: Request[Any, Any, Any], who: OrganiserReply) -> TokenOut:
    return TokenOut(token=request.app.state.tokens.issue(who.organiser_id, who.email, who.epoch), expires_in=LIFETIME)


class Api(Controller):
    path = "/api/v1"

    @put(
        "/events/{slug:str}",
        summary="Define or change an event: the fields of the TOML files, times in UTC or with an offset",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 409, 413, 422, 503),
    )
    async def put_event(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[EventSpec]
    ) -> EventDefinedReply:
        data = await strictly(request, data)
        if data.slug != slug:
            raise ServiceError(
                ErrorReply(code="invalid", message="The slug in the body must match the URL", field="slug")
            )
        gateway: Gateway = request.app.state.gateway
        command = DefineEvent(command_id=uuid.uuid4().hex, spec=data)
        reply: EventDefinedReply = await gateway.call(Catalog.DEFINE_EVENT, command, EventDefinedReply)
        return reply

    @post(
        "/auth/token",
        status_code=200,
        summary="Organiser login: a bearer token",
        responses=error_responses(400, 401, 413, 429, 503),
    )
    async def token(self, request: Request[Any, Any, Any], data: JSONBody[CredentialsIn]) -> TokenOut:
        data = await strictly(request, data)
        gateway: Gateway = request.app.state.gateway
        who = await gateway.call(
            Catalog.AUTHENTICATE,
            Authenticate(email=data.email, password=data.password),
            OrganiserReply,
        )
        return _token_out(request, who)

    @post(
        "/auth/logout",
        status_code=204,
        summary="End this bearer token's session, on every instance",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(401, 429, 503),
    )
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        await end_session(request, uuid.uuid4().hex)

    @post(
        "/auth/password",
        status_code=200,
        summary="Change your password: every older token ends; the reply is a new one",
        guards=[organiser_guard],
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 404, 413, 422, 429, 503),
    )
    async def change_password(
        self, request: Request[Any, Any, Any], data: JSONBody[PasswordIn], idempotency_key: IdempotencyKey = None
    ) -> TokenOut:
        data = await strictly(request, data)
        command = ChangePassword(
            command_id=check_key(idempotency_key),
            organiser_id=request.state.organiser[0],
            current_password=data.current_password,
            new_password=data.new_password,
        )
        gateway: Gateway = request.app.state.gateway
        return _token_out(request, await gateway.call(Catalog.CHANGE_PASSWORD, command, OrganiserReply))
