"""Team size holds under concurrency: many participants join one team at once through two
teams-service instances on a real NATS. The control runs the same race with the guard (the
expected-sequence check on the event's teams) switched off, and shows the test would catch it."""

import asyncio
import uuid
from pathlib import Path

from nats.aio.client import Client

from schemas.registration import Register, RegistrationView
from schemas.subjects import Registration, Teams
from schemas.teams import CreateTeam, JoinTeam, ListTeams, Membership, TeamList, TeamView
from services.catalog.service import CatalogService
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.registration.service import RegistrationService
from services.teams.service import TeamsService
from tests.conftest import HACKATHON, define_events
from tests.demo_events import demo_text

JOINERS = 30
MAX_SIZE = 5
INSTANCES = 2


class UnguardedTeamsService(TeamsService):
    """The control: the same service without the team-size guard (no expected sequence on appends)."""

    async def start(self, nc: Client) -> None:
        await super().start(nc)
        self.store.last_sequence = lambda subject: None  # type: ignore[method-assign]


def hackathon(tmp_path: Path, slug: str) -> Path:
    text = demo_text(HACKATHON)
    path = tmp_path / f"{slug}.toml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(f'slug = "{HACKATHON}"', f'slug = "{slug}"'), encoding="utf-8")
    return path


async def participants(client: Client, slug: str, count: int) -> list[str]:
    async def one(i: int) -> str:
        command = Register(
            command_id=uuid.uuid4().hex,
            event=slug,
            name=f"Participant {i}",
            email=f"p{i}@example.org",
            consent=True,
            category="participant",
            answers={"level": "Débutant·e", "team": "Seul·e, je cherche une équipe"},
        )
        view = await call(client, Registration.REGISTER, command, RegistrationView, timeout=30)
        assert view.status == "confirmed"
        return view.id

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def race(
    nats_url: str, tmp_path: Path, service_class: type[TeamsService], slug: str
) -> tuple[list[Membership | ServiceError], TeamView]:
    backend = Running([CatalogService(), RegistrationService()], nats_url)
    await backend.start()
    instances = Running([service_class() for _ in range(INSTANCES)], nats_url)
    await instances.start()
    client = await connect(nats_url, "crowd")
    try:
        await define_events(nats_url, hackathon(tmp_path, slug))
        people = await participants(client, slug, JOINERS)
        create = CreateTeam(command_id=uuid.uuid4().hex, event=slug, team_id="epis", name="Les Épis", by_organiser="o")
        [team] = (await call(client, Teams.CREATE, create, TeamList, timeout=10)).teams

        async def one(registration: str) -> Membership | ServiceError:
            command = JoinTeam(command_id=uuid.uuid4().hex, event=slug, team_id=team.id, registration=registration)
            try:
                return await call(client, Teams.JOIN, command, Membership, timeout=30)
            except ServiceError as error:
                return error

        return list(await asyncio.gather(*(one(r) for r in people))), team
    finally:
        await client.drain()
        await instances.stop()
        await backend.stop()


async def replayed_members(nats_url: str, slug: str) -> list[str]:
    """A fresh instance rebuilds state from the streams alone: what was really stored."""
    running = Running([CatalogService(), RegistrationService(), TeamsService()], nats_url)
    await running.start()
    client = await connect(nats_url, "inspector")
    try:
        listed = await call(client, Teams.LIST, ListTeams(event=slug), TeamList)
        [team] = listed.teams
        return team.members
    finally:
        await client.drain()
        await running.stop()


async def test_thirty_concurrent_joins_through_two_instances_fill_a_team_of_five_exactly(
    nats_url: str, tmp_path: Path
) -> None:
    replies, _ = await race(nats_url, tmp_path, TeamsService, "hack-race")
    joined = [r for r in replies if isinstance(r, Membership)]
    refused = [r for r in replies if isinstance(r, ServiceError)]
    assert len(joined) == MAX_SIZE
    assert len(refused) == JOINERS - MAX_SIZE
    assert {e.reply.key for e in refused} == {"team_full"}
    assert {e.reply.message for e in refused} == {"Team 'Les Épis' is full (5 people at most): join or create another"}
    assert all(m.team is not None and m.registration in m.team.members for m in joined)
    members = await replayed_members(nats_url, "hack-race")
    assert sorted(members) == sorted(m.registration for m in joined)


async def test_control_without_the_guard_the_same_race_overfills_the_team(nats_url: str, tmp_path: Path) -> None:
    for attempt in range(5):
        slug = f"hack-unguarded-{attempt}"
        replies, _ = await race(nats_url, tmp_path / str(attempt), UnguardedTeamsService, slug)
        if (
            sum(isinstance(r, Membership) for r in replies) > MAX_SIZE
            and len(await replayed_members(nats_url, slug)) > MAX_SIZE
        ):
            return
    raise AssertionError("five unguarded races never overfilled: the test would not catch a missing guard")
