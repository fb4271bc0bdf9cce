"""Results in the web: the published page, the organiser's page, and the API."""

from litestar.types import ControllerRouterHandler

from services.web.results.api import ResultsApi
from services.web.results.organiser import LiveStandings, ResultsAdmin
from services.web.results.public import ResultsPages

HANDLERS: list[ControllerRouterHandler] = [ResultsPages, ResultsAdmin, LiveStandings, ResultsApi]
