"""The organisations' context: members, roles, settings and API tokens for owners; the list of organisations and
a new one for those who run Perche; an organisation's public page."""

from litestar.types import ControllerRouterHandler

from services.web.organisations.deployment import DeploymentPages
from services.web.organisations.owner import OrganisationPages
from services.web.organisations.public import OrganisationPublicPages

HANDLERS: list[ControllerRouterHandler] = [OrganisationPages, DeploymentPages, OrganisationPublicPages]
