"""The audience Q&A in the web: the room's page, the projector, and the moderators' page."""

from litestar.types import ControllerRouterHandler

from services.web.qa.api import QaApi
from services.web.qa.moderation import QaModeration
from services.web.qa.public import QaScreen, QuestionsPage
from services.web.qa.record import RecordPdf

HANDLERS: list[ControllerRouterHandler] = [QuestionsPage, QaScreen, QaModeration, QaApi, RecordPdf]
