"""The registration part of the JSON API, /api/v1: events, registering, a person's own registration,
and the organiser's lists, check-in, seats and RGPD requests."""

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from schemas.catalog import Language
from schemas.registration import (
    Cancel,
    CheckIn,
    Claim,
    Erase,
    ExportPersonalData,
    FindRegistrations,
    GetRegistration,
    ListRegistrations,
    PersonalDataExport,
    Promote,
    Register,
    RegistrationList,
    RegistrationView,
    UpdateAnswers,
)
from schemas.subjects import Registration, Teams
from schemas.teams import ListTeams, TeamList
from services.web.auth import organiser_of
from services.web.bodies import IdempotencyKey, check_key, strictly
from services.web.gateway import Gateway, public_base
from services.web.registration.export import forms_teams, registrations_csv
from services.web.registration.views import (
    AnswersIn,
    EventDetailOut,
    EventOut,
    PersonalDataOut,
    RegistrationIn,
    RegistrationOut,
    event_detail_out,
    event_out,
    registration_out,
)
from services.web.rendering import language_of
from services.web.spreadsheets import Separator
from services.web.views import error_responses


def _for_the_door(request: Request[Any, Any, Any], found: list[RegistrationOut]) -> list[RegistrationOut]:
    """The door finds and checks people in: for it, no answers and no private links that act for them."""
    if not request.state.get("door_only"):
        return found
    return [msgspec.structs.replace(r, answers={}, manage_url="", calendar_url="") for r in found]


async def _registration_reply(
    request: Request[Any, Any, Any], gateway: Gateway, subject: str, command: msgspec.Struct
) -> RegistrationOut:
    """A command on one registration, answered with the registration as it is now."""
    return registration_out(await gateway.call(subject, command, RegistrationView), public_base(request))


async def _by_organiser(
    request: Request[Any, Any, Any],
    gateway: Gateway,
    subject: str,
    command: type[CheckIn | Promote | Erase],
    registration_id: str,
    idempotency_key: str | None,
) -> RegistrationOut:
    """A check-in, a seat given by hand or an erasure: done on one registration by the token's organiser."""
    made = command(
        command_id=check_key(idempotency_key), registration_id=registration_id, by_organiser=request.state.organiser[0]
    )
    return await _registration_reply(request, gateway, subject, made)


class RegistrationApi(Controller):
    path = "/api/v1"

    @get(
        "/events",
        summary="Published events",
        responses=error_responses(503),
        opt={"access": "public"},
    )
    async def list_events(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> list[EventOut]:
        base = public_base(request)
        return [event_out(spec, counts, base) for spec, counts in await gateway.events_with_counts()]

    @get(
        "/events/{slug:str}",
        summary="One event, with its categories and questions",
        responses=error_responses(404, 503),
        opt={"access": "public"},
    )
    async def get_event(
        self, request: Request[Any, Any, Any], slug: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> EventDetailOut:
        spec = await gateway.event(slug)
        return event_detail_out(spec, await gateway.counts(slug), public_base(request))

    @post(
        "/events/{slug:str}/registrations",
        status_code=HTTP_201_CREATED,
        summary="Register",
        responses=error_responses(400, 404, 409, 413, 422, 429, 503),
        opt={"access": "public"},
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[RegistrationIn],
        gateway: NamedDependency[Gateway],
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        data = await strictly(request, data)
        command = Register(
            command_id=check_key(idempotency_key),
            event=slug,
            name=data.name,
            email=data.email,
            consent=data.consent,
            language=data.language,
            category=data.category,
            answers=data.answers,
        )
        return await _registration_reply(request, gateway, Registration.REGISTER, command)

    @get(
        "/registrations/{registration_id:str}",
        summary="A registration, with its private token",
        responses=error_responses(400, 403, 404, 503),
        opt={"access": "participant_link"},
    )
    async def get_registration(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        token: FromQuery[str],
        gateway: NamedDependency[Gateway],
    ) -> RegistrationOut:
        query = GetRegistration(registration_id=registration_id, token=token)
        return await _registration_reply(request, gateway, Registration.GET, query)

    @post(
        "/registrations/{registration_id:str}/cancel",
        status_code=200,
        summary="Cancel (manage token, or organiser)",
        # The manage token in the query, or else an organiser's bearer token.
        security=[{}, {"bearer": []}],
        responses=error_responses(400, 401, 403, 404, 409, 429, 503),
        opt={"access": "link_or_organiser"},
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        gateway: NamedDependency[Gateway],
        token: FromQuery[str | None] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        who = None if token else await organiser_of(request)
        command = Cancel(
            command_id=check_key(idempotency_key),
            registration_id=registration_id,
            token=token,
            by_organiser=who[0] if who else None,
        )
        return await _registration_reply(request, gateway, Registration.CANCEL, command)

    @post(
        "/registrations/{registration_id:str}/claim",
        status_code=200,
        summary="Take the seat offered to you",
        responses=error_responses(400, 403, 404, 409, 429, 503),
        opt={"access": "participant_link"},
    )
    async def claim(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        token: FromQuery[str],
        gateway: NamedDependency[Gateway],
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        command = Claim(command_id=check_key(idempotency_key), registration_id=registration_id, token=token)
        return await _registration_reply(request, gateway, Registration.CLAIM, command)

    @put(
        "/registrations/{registration_id:str}/answers",
        status_code=200,
        summary="Change your name and answers",
        responses=error_responses(400, 403, 404, 409, 413, 422, 503),
        opt={"access": "participant_link"},
    )
    async def update_answers(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        token: FromQuery[str],
        data: JSONBody[AnswersIn],
        gateway: NamedDependency[Gateway],
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        data = await strictly(request, data)
        command = UpdateAnswers(
            command_id=check_key(idempotency_key),
            registration_id=registration_id,
            token=token,
            name=data.name,
            answers=data.answers,
        )
        return await _registration_reply(request, gateway, Registration.UPDATE_ANSWERS, command)

    # --- organiser only (same controller: Litestar gives each controller its own OPTIONS on each path) ---

    @get(
        "/events/{slug:str}/registrations",
        summary="Every registration of an event",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(401, 404, 503),
        opt={"access": "organiser"},
    )
    async def registrations(
        self, request: Request[Any, Any, Any], slug: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> list[RegistrationOut]:
        await gateway.event(slug, include_unpublished=True)
        reply = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        base = public_base(request)
        return [registration_out(v, base) for v in reply.registrations]

    @get(
        "/events/{slug:str}/registrations.csv",
        summary="Registrations as CSV for LibreOffice and Excel",
        description=(
            "UTF-8 with a BOM, times in the event's zone, headers and values in the request's language "
            "(`lang`, else the language cookie, else Accept-Language, else French). `sep=semicolon` is for "
            "Excel in French and other languages whose decimal mark is the comma."
        ),
        security=[{"bearer": []}],
        tags=["organiser"],
        media_type="text/csv",
        responses=error_responses(400, 401, 404, 503),
        opt={"access": "organiser"},
    )
    async def registrations_csv(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        gateway: NamedDependency[Gateway],
        sep: FromQuery[Separator] = "comma",
        lang: FromQuery[Language | None] = None,
    ) -> Response[bytes]:
        spec = await gateway.event(slug, include_unpublished=True)
        reply = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
        teams = await gateway.call(Teams.LIST, ListTeams(event=slug), TeamList) if forms_teams(spec) else None
        return Response(
            registrations_csv(spec, reply.registrations, teams, lang or language_of(request), sep),
            media_type="text/csv",  # Litestar adds "; charset=utf-8"
            headers={"Content-Disposition": f'attachment; filename="{slug}-inscriptions.csv"'},
        )

    @post(
        "/registrations/{registration_id:str}/check-in",
        status_code=200,
        summary="Check a confirmed person in, once",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 404, 409, 429, 503),
        opt={"access": "door"},
    )
    async def check_in(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        gateway: NamedDependency[Gateway],
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        done = await _by_organiser(request, gateway, Registration.CHECK_IN, CheckIn, registration_id, idempotency_key)
        return _for_the_door(request, [done])[0]

    @post(
        "/registrations/{registration_id:str}/promote",
        status_code=200,
        summary="Give a free seat to a waiting person by hand",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 404, 409, 429, 503),
        opt={"access": "organiser"},
    )
    async def promote(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        gateway: NamedDependency[Gateway],
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        return await _by_organiser(request, gateway, Registration.PROMOTE, Promote, registration_id, idempotency_key)

    @post(
        "/registrations/{registration_id:str}/erase",
        status_code=200,
        summary="Erase a person's data (RGPD); the seat count is kept",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 404, 409, 429, 503),
        opt={"access": "organiser"},
    )
    async def erase(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        gateway: NamedDependency[Gateway],
        idempotency_key: IdempotencyKey = None,
    ) -> RegistrationOut:
        return await _by_organiser(request, gateway, Registration.ERASE, Erase, registration_id, idempotency_key)

    @get(
        "/registrations/{registration_id:str}/export",
        summary="Everything held on a person (RGPD access); the export is audited",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(401, 404, 503),
        opt={"access": "organiser"},
    )
    async def export(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> PersonalDataOut:
        query = ExportPersonalData(registration_id=registration_id, by_organiser=request.state.organiser[0])
        reply = await gateway.call(Registration.EXPORT, query, PersonalDataExport)
        return PersonalDataOut(
            registration=registration_out(reply.registration, public_base(request)), history=reply.history
        )

    @get(
        "/events/{slug:str}/registrations/search",
        summary="Find people for check-in by name, email or code",
        security=[{"bearer": []}],
        tags=["organiser"],
        responses=error_responses(400, 401, 404, 503),
        opt={"access": "door"},
    )
    async def search(
        self, request: Request[Any, Any, Any], slug: FromPath[str], q: FromQuery[str], gateway: NamedDependency[Gateway]
    ) -> list[RegistrationOut]:
        reply = await gateway.call(Registration.FIND, FindRegistrations(event=slug, text=q[:200]), RegistrationList)
        base = public_base(request)
        return _for_the_door(request, [registration_out(v, base) for v in reply.registrations])
