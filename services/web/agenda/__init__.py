"""The agenda on the web: public pages and the venue screen, the organiser's editor, the JSON API and
the iCal feeds."""

from services.web.agenda.api import AgendaApi
from services.web.agenda.feeds import CalendarFeeds
from services.web.agenda.organiser import OrganiserAgenda
from services.web.agenda.public import AgendaPages

HANDLERS = [CalendarFeeds, AgendaPages, OrganiserAgenda, AgendaApi]
