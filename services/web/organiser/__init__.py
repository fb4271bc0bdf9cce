"""The organiser's context: session and dashboard, the event editor, mails sent and messages, its API calls."""

from litestar.types import ControllerRouterHandler

from services.web.organiser.accounts import AccountPages
from services.web.organiser.api import OrganiserApi, put_event
from services.web.organiser.copy import EventCopyPages
from services.web.organiser.dashboard import OrganiserPages
from services.web.organiser.editor import EventEditor
from services.web.organiser.enrol import EnrolPages
from services.web.organiser.form_editor import EventFormEditor
from services.web.organiser.glance import DayAtAGlance
from services.web.organiser.history import HistoryPages
from services.web.organiser.mails import MailPages
from services.web.organiser.messages import MessagePages
from services.web.organiser.session import OrganiserSession
from services.web.organiser.status import EventStatusPages

HANDLERS: list[ControllerRouterHandler] = [
    OrganiserSession,
    AccountPages,
    OrganiserPages,
    MailPages,
    DayAtAGlance,
    MessagePages,
    EventEditor,
    EventFormEditor,
    HistoryPages,
    EventStatusPages,
    EventCopyPages,
    EnrolPages,
    OrganiserApi,
    put_event,
]
