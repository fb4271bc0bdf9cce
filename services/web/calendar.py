"""The agenda and its calendar feeds on the web: the controllers, gathered for the app."""

from services.web.agenda_api import AgendaApi
from services.web.agenda_cache import end_streams
from services.web.agenda_editor import OrganiserAgenda
from services.web.agenda_pages import AgendaPages
from services.web.feeds import CalendarFeeds

CALENDAR_HANDLERS = [CalendarFeeds, AgendaPages, OrganiserAgenda, AgendaApi]

__all__ = ["CALENDAR_HANDLERS", "end_streams"]
