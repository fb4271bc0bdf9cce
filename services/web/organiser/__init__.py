"""The organiser's context: session and dashboard, the event editor, mails sent and messages, its API calls."""

from litestar.types import ControllerRouterHandler

from services.web.organiser.api import OrganiserApi, put_event
from services.web.organiser.dashboard import OrganiserPages
from services.web.organiser.editor import EventEditor
from services.web.organiser.glance import DayAtAGlance
from services.web.organiser.history import HistoryPages
from services.web.organiser.mails import MailPages
from services.web.organiser.messages import MessagePages
from services.web.organiser.session import OrganiserSession

HANDLERS: list[ControllerRouterHandler] = [
    OrganiserSession,
    OrganiserPages,
    MailPages,
    DayAtAGlance,
    MessagePages,
    EventEditor,
    HistoryPages,
    OrganiserApi,
    put_event,
]
