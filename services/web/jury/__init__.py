"""The jury in the web: a juror's phone form (public) and the organiser's jury page."""

from litestar.types import ControllerRouterHandler

from services.web.jury.organiser import JuryAdmin
from services.web.jury.public import JuryPages

HANDLERS: list[ControllerRouterHandler] = [JuryPages, JuryAdmin]
