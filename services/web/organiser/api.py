"""The organiser's part of /api/v1 that is not about registrations: bearer tokens, the password, events."""

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from schemas.accounts import VerifySecondStep
from schemas.catalog import Authenticate, ChangePassword, DefineEvent, EventDefinedReply, EventSpec, OrganiserReply
from schemas.errors import ErrorReply
from schemas.registration import Email
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.access import new_event_organisation
from services.web.auth import LIFETIME, client_address, end_session
from services.web.bodies import IdempotencyKey, check_key, strictly
from services.web.gateway import Gateway
from services.web.views import error_responses


class CredentialsIn(msgspec.Struct, kw_only=True):
    email: Email
    password: Annotated[str, Meta(max_length=1000)]
    # For an account with two-step login: a code of its app (or a recovery code).
    code: Annotated[str, Meta(max_length=40)] = ""


class PasswordIn(msgspec.Struct, kw_only=True):
    current_password: Annotated[str, Meta(max_length=1000)]
    new_password: Annotated[str, Meta(min_length=10, max_length=1000)]


class TokenOut(msgspec.Struct, kw_only=True):
    token: str
    expires_in: int


def _token_out(request: Request[Any, Any, Any], who: OrganiserReply) -> TokenOut:
    return TokenOut(token=request.app.state.tokens.issue(who.organiser_id, who.email, who.epoch), expires_in=LIFETIME)


class OrganiserApi(Controller):
    # The same prefix as the registration API's controller: Litestar merges the paths they share.
    path = "/api/v1"

    @post(
        "/auth/token",
        status_code=200,
        summary="Organiser login: a bearer token",
        responses=error_responses(400, 401, 413, 429, 503),
        opt={"access": "public"},
    )
    async def token(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], data: JSONBody[CredentialsIn]
    ) -> TokenOut:
        data = await strictly(request, data)
        address = client_address(request)
        who = await gateway.call(
            Catalog.AUTHENTICATE,
            Authenticate(email=data.email, password=data.password, address=address),
            OrganiserReply,
        )
        if who.second_step:
            if not data.code:
                message = "This account uses two-step login: send `code` too"
                refused = ErrorReply(code="unauthorized", message=message, field="code", key="two_step_required")
                raise ServiceError(refused)
            check = VerifySecondStep(organiser_id=who.organiser_id, epoch=who.epoch, code=data.code, address=address)
            who = await gateway.call(Catalog.VERIFY_SECOND_STEP, check, OrganiserReply)
        return _token_out(request, who)

    @post(
        "/auth/logout",
        status_code=204,
        summary="End this bearer token's session, on every instance",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(401, 429, 503),
        opt={"access": "account"},
    )
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        await end_session(request, uuid.uuid4().hex)

    @post(
        "/auth/password",
        status_code=200,
        summary="Change your password: every older token ends; the reply is a new one",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 404, 413, 422, 429, 503),
        opt={"access": "account"},
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        data: JSONBody[PasswordIn],
        idempotency_key: IdempotencyKey = None,
    ) -> TokenOut:
        data = await strictly(request, data)
        command = ChangePassword(
            command_id=check_key(idempotency_key),
            organiser_id=request.state.organiser[0],
            current_password=data.current_password,
            new_password=data.new_password,
        )
        return _token_out(request, await gateway.call(Catalog.CHANGE_PASSWORD, command, OrganiserReply))


# A route of its own, not in OrganiserApi: GET on this path is the registration API's, and Litestar 2
# gives each controller an OPTIONS handler per path, so two controllers cannot share one. A plain
# handler joins the route already there: it is registered after the registration API.
@put(
    "/api/v1/events/{slug:str}",
    summary="Define or change an event: the fields of the TOML files, times in UTC or with an offset",
    security=[{"bearer": []}],
    tags=["organiser"],
    responses=error_responses(400, 401, 409, 413, 422, 503),
    opt={"access": "organiser"},
)
async def put_event(
    request: Request[Any, Any, Any],
    gateway: NamedDependency[Gateway],
    slug: FromPath[str],
    data: JSONBody[EventSpec],
) -> EventDefinedReply:
    data = await strictly(request, data)
    if data.slug != slug:
        raise ServiceError(ErrorReply(code="invalid", message="The slug in the body must match the URL", field="slug"))
    command = DefineEvent(
        command_id=uuid.uuid4().hex,
        spec=data,
        by_organiser=request.state.organiser[0],
        # A new event: in the organisation asked for (?organisation=), else the caller's first.
        organisation=new_event_organisation(request, request.query_params.get("organisation")),
    )
    return await gateway.call(Catalog.DEFINE_EVENT, command, EventDefinedReply)
