"""Who is in which team and who is in none yet: what the organiser's board and the API both show."""

import asyncio
from dataclasses import dataclass

from schemas.catalog import EventSpec
from schemas.registration import ListRegistrations, RegistrationList, RegistrationView
from schemas.subjects import Registration, Teams
from schemas.teams import ListTeams, TeamList
from services.web.gateway import Gateway


@dataclass(frozen=True)
class Board:
    spec: EventSpec
    teams: TeamList
    registrations: list[RegistrationView]

    @property
    def unplaced(self) -> list[RegistrationView]:
        """Those who may be in a team and are in none (the teams service says who), in registration order."""
        ids = set(self.teams.unplaced or [])
        return [r for r in self.registrations if r.id in ids]


async def board_of(gateway: Gateway, slug: str) -> Board:
    spec = await gateway.event(slug, include_unpublished=True)
    teams, people = await asyncio.gather(
        gateway.call(Teams.LIST, ListTeams(event=slug, with_unplaced=True), TeamList),
        gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList),
    )
    return Board(spec, teams, people.registrations)
