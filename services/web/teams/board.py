"""Who is in which team and who is in none yet: what the organiser's board and the API both show."""

import asyncio
from dataclasses import dataclass

from schemas.catalog import EventSpec
from schemas.registration import ListRegistrations, RegistrationList, RegistrationView
from schemas.subjects import Registration, Teams
from schemas.teams import ListTeams, TeamList
from services.web.gateway import Gateway


def is_participant(spec: EventSpec, view: RegistrationView) -> bool:
    return view.status == "confirmed" and not view.erased and spec.audience_of(view.category) == "participants"


@dataclass(frozen=True)
class Board:
    spec: EventSpec
    teams: TeamList
    registrations: list[RegistrationView]

    @property
    def unplaced(self) -> list[RegistrationView]:
        """Participants in no team, in the order they registered."""
        placed = {m for t in self.teams.teams for m in t.members}
        return [r for r in self.registrations if is_participant(self.spec, r) and r.id not in placed]


async def board_of(gateway: Gateway, slug: str) -> Board:
    spec = await gateway.event(slug, include_unpublished=True)
    teams, people = await asyncio.gather(
        gateway.call(Teams.LIST, ListTeams(event=slug), TeamList),
        gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList),
    )
    return Board(spec, teams, people.registrations)
