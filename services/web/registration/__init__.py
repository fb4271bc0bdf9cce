"""Registration on the web: the public pages and forms, and the registration part of the JSON API."""

from services.web.registration.api import RegistrationApi
from services.web.registration.public import PublicPages

HANDLERS = [PublicPages, RegistrationApi]
