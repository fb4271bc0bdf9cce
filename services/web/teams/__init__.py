"""Teams on the web: a participant's team page and the public list, the organiser's board, the JSON API
(teams, and formation's proposal)."""

from litestar import Controller

from services.web.teams.api import TeamsApi
from services.web.teams.formation import TeamFormationPages
from services.web.teams.formation_api import FormationApi
from services.web.teams.organiser import OrganiserTeams
from services.web.teams.public import TeamPages

HANDLERS: list[type[Controller]] = [TeamPages, OrganiserTeams, TeamFormationPages, TeamsApi, FormationApi]
