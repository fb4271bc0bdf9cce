"""The teams part of the JSON API: an event's teams with their members, for organisers."""

from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from services.web.gateway import Gateway
from services.web.teams.board import board_of
from services.web.views import error_responses


class MemberOut(msgspec.Struct, kw_only=True):
    id: str
    name: str


class TeamOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    challenge: str | None
    open: bool
    code: str
    size: int
    members: list[MemberOut]
    created_at: datetime


class TeamsOut(msgspec.Struct, kw_only=True):
    event: str
    max_size: int
    teams: list[TeamOut]
    # Confirmed participants who are in no team yet.
    unplaced: list[MemberOut]


class TeamsApi(Controller):
    path = "/api/v1/events/{slug:str}/teams"
    tags = ["teams"]

    @get(
        "/",
        summary="Every team of an event, with its members and join code, and who has no team yet",
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
        opt={"access": "organiser"},
    )
    async def teams(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> TeamsOut:
        board = await board_of(gateway, slug)
        names = {r.id: r.name for r in board.registrations}
        return TeamsOut(
            event=slug,
            max_size=board.teams.max_size,
            teams=[
                TeamOut(
                    id=t.id,
                    name=t.name,
                    challenge=t.challenge,
                    open=t.open,
                    code=t.code,
                    size=len(t.members),
                    members=[MemberOut(id=m, name=names.get(m, "")) for m in t.members],
                    created_at=t.created_at,
                )
                for t in board.teams.teams
            ],
            unplaced=[MemberOut(id=r.id, name=r.name) for r in board.unplaced],
        )
