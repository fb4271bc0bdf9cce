"""The agenda on the web: public pages and the venue screen, the organiser's editor, the JSON API and
the iCal feeds. `end_streams` lets the web service end the screens' live streams as it stops."""

from services.web.agenda.api import AgendaApi
from services.web.agenda.cache import end_streams
from services.web.agenda.feeds import CalendarFeeds
from services.web.agenda.organiser import OrganiserAgenda
from services.web.agenda.public import AgendaPages

HANDLERS = [CalendarFeeds, AgendaPages, OrganiserAgenda, AgendaApi]

__all__ = ["HANDLERS", "end_streams"]
