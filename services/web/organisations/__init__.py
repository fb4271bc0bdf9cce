"""The organisations' context: members, roles, settings and API tokens for owners; an organisation's public page."""

from litestar.types import ControllerRouterHandler

from services.web.organisations.owner import OrganisationPages
from services.web.organisations.public import OrganisationPublicPages

HANDLERS: list[ControllerRouterHandler] = [OrganisationPages, OrganisationPublicPages]
