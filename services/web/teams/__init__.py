"""Teams on the web: a participant's team page and the public list, the organiser's board, the JSON API."""

from services.web.teams.public import TEAMS_HANDLERS

HANDLERS = TEAMS_HANDLERS
