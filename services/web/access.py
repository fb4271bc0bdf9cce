"""Who may use a route, decided once: each route declares `opt={"access": ...}` and one guard
holds it against the person's memberships and the event (or organisation) the path names.

- public: anyone; participant_link / juror_link / speaker_link: anyone holding the link (the handler checks its secret);
- account: any logged-in person (their password, logging out, their dashboard);
- organiser: owners and organisers of the event's organisation;
- jury: those and the organisation's jury coordinators (jurors, sheets, standings, results);
- door: those and the door volunteers given this event (check-in page and search, nothing else);
- owner: owners of the organisation the path names (members, tokens, settings);
- link_or_organiser: a participant's link (its `token` in the query), else an organiser of the event;
- deployment: owners and organisers of the default organisation (what spans every event: the mail log).

A route without a declaration is refused (and tests/integration/test_route_access.py fails).
"""

from typing import Any, Final, Literal

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from schemas.catalog import EventReply, GetEvent
from schemas.organisations import DEFAULT_ORGANISATION, Membership, Role
from schemas.registration import GetRegistration, RegistrationView
from schemas.subjects import Catalog, Registration
from services.kit.client import ServiceError
from services.web.auth import memberships_of, organiser_of
from services.web.gateway import gateway_of
from services.web.security_headers import DOCS_PATH

Access = Literal[
    "public",
    "participant_link",
    "juror_link",
    "speaker_link",
    "link_or_organiser",
    "account",
    "organiser",
    "jury",
    "door",
    "owner",
    "deployment",
]
ACCESSES: Final[frozenset[str]] = frozenset(Access.__args__)  # type: ignore[attr-defined]
# What the guard refuses with while an organisation's required two-step login is not on (errors.py: the
# pages go to the page that turns it on).
TWO_STEP_SETUP_REQUIRED: Final = "two_step_setup_required"
# Anyone may call these; a link's own secret is checked by its handler.
OPEN: Final = frozenset({"public", "participant_link", "juror_link", "speaker_link"})

_ROLES: Final[dict[str, frozenset[Role]]] = {
    "organiser": frozenset({"owner", "organiser"}),
    "jury": frozenset({"owner", "organiser", "jury_coordinator"}),
    "door": frozenset({"owner", "organiser", "door"}),
    "owner": frozenset({"owner"}),
}


def may(memberships: list[Membership], access: str, organisation: str | None, event: str | None) -> bool:
    """Whether someone with these memberships may use a route of this access on this event.

    `organisation` None: the path names no existing event or organisation (a list, a new event):
    any membership with a fitting role will do, and the handler shows only what is theirs.
    """
    if access in OPEN or access == "account":
        return True
    if access == "deployment":
        organisation = DEFAULT_ORGANISATION
    roles = _ROLES.get("organiser" if access in ("deployment", "link_or_organiser") else access)
    if roles is None:
        return False
    for membership in memberships:
        if membership.role not in roles or (organisation is not None and membership.organisation != organisation):
            continue
        if membership.role == "door" and access == "door" and event is not None and event not in membership.events:
            continue
        return True
    return False


def declared_access(handler: BaseRouteHandler) -> str | None:
    access = handler.opt.get("access")
    return access if isinstance(access, str) and access in ACCESSES else None


def framework_made(handler: BaseRouteHandler, path: str) -> bool:
    """Litestar's own OPTIONS answers and the OpenAPI document (at `path`) carry no data of ours."""
    methods: Any = getattr(handler, "http_methods", set())
    return set(methods) == {"OPTIONS"} or path == DOCS_PATH or path.startswith(f"{DOCS_PATH}/")


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    access = declared_access(handler)
    if access is None:
        if framework_made(handler, connection.url.path):
            return
        raise NotFoundException()  # fail closed: a route nobody declared is nobody's
    if access in OPEN or (access == "link_or_organiser" and connection.query_params.get("token")):
        return
    if await organiser_of(connection) is None:
        raise NotAuthorizedException("Organiser login required")
    if _two_step_missing(connection) and not connection.url.path.startswith("/organiser/account"):
        # One of their organisations asks for two-step login: nothing but their account until it is on.
        raise PermissionDeniedException(TWO_STEP_SETUP_REQUIRED)
    if access == "deployment":
        organisation, event = DEFAULT_ORGANISATION, None
    else:
        organisation, event = await _target(connection)
    connection.state.target_organisation = organisation
    if not may(memberships_of(connection), access, organisation, event):
        # As if it did not exist: another organisation's event, or a role that does not reach it.
        raise NotFoundException()
    if access == "door":
        # Handlers show the door what it needs, nothing more, when that is all one may do here.
        connection.state.door_only = not may(memberships_of(connection), "organiser", organisation, event)


def _two_step_missing(connection: ASGIConnection) -> bool:  # type: ignore[type-arg]
    """A session without two-step login, of a person whose organisation requires it (API tokens aside)."""
    return bool(connection.state.get("require_two_step")) and not connection.state.get("two_step")


async def _target(connection: ASGIConnection) -> tuple[str | None, str | None]:  # type: ignore[type-arg]
    """(organisation, event) the path names: `{org}`, `{slug}`, or a `{registration_id}`'s event."""
    params = connection.path_params
    if "org" in params:
        return str(params["org"]), None
    gateway = gateway_of(connection)
    slug: str | None = str(params["slug"]) if "slug" in params else None
    registration = params.get("registration_id")
    if registration is not None:
        who = organiser_of_id(connection)
        query = GetRegistration(registration_id=str(registration), by_organiser=who)
        try:
            view = await gateway.call(Registration.GET, query, RegistrationView)
        except ServiceError as error:
            if error.reply.code in ("not_found", "invalid"):
                raise NotFoundException() from error
            raise
        if slug is not None and view.event != slug:
            raise NotFoundException()  # a registration of another event under this event's address
        slug = view.event
    if slug is None:
        return None, None
    try:
        reply = await gateway.call(Catalog.GET_EVENT, GetEvent(slug=slug, include_unpublished=True), EventReply)
    except ServiceError as error:
        if error.reply.code == "not_found":
            return None, slug  # a new event (PUT): who may create one is the handler's say
        raise
    return reply.organisation, slug


def organiser_of_id(connection: ASGIConnection) -> str | None:  # type: ignore[type-arg]
    known = connection.state.get("organiser")
    return None if known is None else str(known[0])


def new_event_organisation(connection: ASGIConnection, asked: str | None) -> str | None:  # type: ignore[type-arg]
    """The organisation a new event is created in: the one asked for if one may organise there, else
    the first one may (the default first). None when the path names an existing event (it stays put)."""
    if connection.state.get("target_organisation") is not None:
        return None
    memberships = memberships_of(connection)
    if asked:
        if not may(memberships, "organiser", asked, None):
            raise NotFoundException()
        return asked
    mine = [m.organisation for m in memberships if m.role in _ROLES["organiser"]]
    if not mine:
        raise NotFoundException()
    return DEFAULT_ORGANISATION if DEFAULT_ORGANISATION in mine else mine[0]
