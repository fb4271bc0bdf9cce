"""A proposal confirmed while participants join a team themselves, through two teams-service instances
on a real NATS: the confirmation and the joins are decided on one ordered state, so no team grows past
the event's size, nobody ends in two teams, everyone of the proposal ends in exactly one, and those
left out are exactly those who joined by themselves before the confirmation landed."""

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

from nats.aio.client import Client

from schemas.subjects import Teams
from schemas.teams import (
    ConfirmProposal,
    CreateTeam,
    JoinTeam,
    ListTeams,
    Membership,
    ProposalConfirmedReply,
    ProposalView,
    ProposeTeams,
    TeamList,
)
from services.catalog.service import CatalogService
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.registration.service import RegistrationService
from services.teams.service import TeamsService
from tests.conftest import define_events
from tests.integration.formation_support import formation_event, register

PEOPLE = 16
JOINERS = 8
MAX_SIZE = 5  # the demo hackathon's team size
INSTANCES = 2
ROUNDS = 3


@dataclass
class Round:
    slug: str
    people: list[str]
    joined: set[str]
    confirmed: ProposalConfirmedReply


class UnguardedTeamsService(TeamsService):
    """The control: the same service without the guard (no expected sequence on appends)."""

    async def start(self, nc: Client) -> None:
        await super().start(nc)
        self.store.last_sequence = lambda subject: None  # type: ignore[method-assign]


async def one_round(nats_url: str, tmp_path: Path, slug: str, check: bool = True, crowd: int = JOINERS) -> Round:
    client = await connect(nats_url, "crowd")
    try:
        await define_events(nats_url, formation_event(tmp_path, slug))
        people = list(await asyncio.gather(*(register(client, slug, i) for i in range(PEOPLE))))
        create = CreateTeam(command_id=uuid.uuid4().hex, event=slug, team_id="epis", name="Les Épis", by_organiser="o")
        await call(client, Teams.CREATE, create, TeamList, timeout=10)
        propose = ProposeTeams(command_id=uuid.uuid4().hex, event=slug, min_size=3, max_size=4, by_organiser="o")
        draft = await call(client, Teams.PROPOSE, propose, ProposalView, timeout=30)
        assert sorted(m for t in draft.teams for m in t.members) == sorted(people)

        # Half of them join Les Épis by themselves (it holds five), while the organiser confirms.
        joiners = people[:crowd]

        async def join(registration: str) -> Membership | ServiceError:
            command = JoinTeam(command_id=uuid.uuid4().hex, event=slug, team_id="epis", registration=registration)
            try:
                return await call(client, Teams.JOIN, command, Membership, timeout=30)
            except ServiceError as error:
                return error

        async def confirm() -> ProposalConfirmedReply:
            command = ConfirmProposal(
                command_id=uuid.uuid4().hex, event=slug, revision=draft.revision, by_organiser="o"
            )
            return await call(client, Teams.CONFIRM, command, ProposalConfirmedReply, timeout=30)

        half = crowd // 2
        replies = await asyncio.gather(
            *(join(r) for r in joiners[:half]), confirm(), *(join(r) for r in joiners[half:])
        )
        confirmed = replies[half]
        assert isinstance(confirmed, ProposalConfirmedReply)
        if not check:
            return Round(slug, people, set(), confirmed)
        joins = [r for r in replies if not isinstance(r, ProposalConfirmedReply)]
        joined = {r.registration for r in joins if isinstance(r, Membership)}
        refused = {e.reply.key for e in joins if isinstance(e, ServiceError)}
        assert refused <= {"team_full", "team_already_member"}
        assert len(joined) <= MAX_SIZE
        assert {o.registration for o in confirmed.left_out} == joined
        assert {o.reason for o in confirmed.left_out} <= {"joined_a_team"}
        assert {m for t in confirmed.teams for m in t.members} == set(people) - joined
        return Round(slug, people, joined, confirmed)
    finally:
        await client.drain()


async def test_a_confirmation_racing_participants_who_join_a_team_keeps_every_team_rule(
    nats_url: str, tmp_path: Path
) -> None:
    backend = Running([CatalogService(), RegistrationService()], nats_url)
    await backend.start()
    instances = Running([TeamsService() for _ in range(INSTANCES)], nats_url)
    await instances.start()
    try:
        rounds = [
            await one_round(nats_url, tmp_path / str(attempt), f"hack-confirm-race-{attempt}")
            for attempt in range(ROUNDS)
        ]
    finally:
        await instances.stop()
        await backend.stop()
    # What a fresh instance rebuilds from the streams alone: what was really stored.
    replay = Running([CatalogService(), RegistrationService(), TeamsService()], nats_url)
    await replay.start()
    client = await connect(nats_url, "inspector")
    try:
        for played in rounds:
            teams = (await call(client, Teams.LIST, ListTeams(event=played.slug), TeamList)).teams
            members = [m for t in teams for m in t.members]
            assert sorted(members) == sorted(played.people)  # everyone in exactly one team
            assert all(len(t.members) <= MAX_SIZE for t in teams)
            by_id = {t.id: t.members for t in teams}
            assert sorted(by_id["epis"]) == sorted(played.joined)
            assert {t.id: t.members for t in played.confirmed.teams} == {t: m for t, m in by_id.items() if t != "epis"}
    finally:
        await client.drain()
        await replay.stop()


async def test_control_without_the_guard_the_same_race_breaks_a_team_rule(nats_url: str, tmp_path: Path) -> None:
    backend = Running([CatalogService(), RegistrationService()], nats_url)
    await backend.start()
    instances = Running([UnguardedTeamsService() for _ in range(INSTANCES)], nats_url)
    await instances.start()
    try:
        for attempt in range(5):
            played = await one_round(
                nats_url, tmp_path / str(attempt), f"hack-unguarded-{attempt}", check=False, crowd=PEOPLE
            )
            client = await connect(nats_url, "inspector")
            try:
                history = await call(client, Teams.LIST, ListTeams(event=played.slug), TeamList)
            finally:
                await client.drain()
            members = [m for t in history.teams for m in t.members]
            if len(members) != len(set(members)) or any(len(t.members) > MAX_SIZE for t in history.teams):
                return
    finally:
        await instances.stop()
        await backend.stop()
    raise AssertionError(
        "five unguarded races never put anyone in two teams nor overfilled one: "
        "the test would not catch a missing guard"
    )
