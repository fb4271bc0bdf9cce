"""`perche load` and `perche organiser create` as a person runs them, against a real NATS:
the exit code, what is printed, and what the catalog holds afterwards."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from schemas.catalog import Authenticate, EventList, EventReply, GetEvent, ListEvents, OrganiserReply
from schemas.judging import GetStandings, Standings
from schemas.organisations import GetOrganisation, OrganisationDetail
from schemas.subjects import Catalog, Judging, Teams
from schemas.teams import ListTeams, TeamList
from services.catalog.service import CatalogService
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.kit.nats_server import free_port
from tests.conftest import HACKATHON, ROOT, ROUND_TABLE, Web
from tests.demo_events import demo_file
from tests.unit.test_event_files import MISTAKES

pytestmark = pytest.mark.real_clock  # Perche in another process keeps the real clock (tests/conftest.py)


class Result:
    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout.decode(), stderr.decode()
        # What the person is told, apart from the log lines on stderr.
        self.errors = [line for line in self.stderr.splitlines() if line.startswith("error: ")]


async def perche(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the CLI as its own process; asynchronously, since the catalog answers from this event loop."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PERCHE_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        cwd=ROOT,
        env={**environment, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, stdout, stderr)


@pytest.fixture
async def catalog(nats_url: str) -> AsyncIterator[str]:
    running = Running([CatalogService()], nats_url)
    await running.start()
    yield nats_url
    await running.stop()


async def defined_events(nats_url: str) -> list[tuple[str, str]]:
    nc = await connect(nats_url, "inspector")
    try:
        reply = await call(nc, Catalog.LIST_EVENTS, ListEvents(include_unpublished=True), EventList)
    finally:
        await nc.drain()
    return [(e.slug, e.title) for e in reply.events]


async def test_loading_the_demo_events_defines_them_once(catalog: str) -> None:
    files = [str(demo_file(slug)) for slug in (HACKATHON, ROUND_TABLE)]
    first = await perche("load", *files, "--nats-url", catalog)
    assert (first.returncode, first.errors) == (0, [])
    assert f"event {HACKATHON} updated (revision 1)" in first.stdout
    assert f"event {ROUND_TABLE} updated (revision 1)" in first.stdout
    assert [slug for slug, _ in await defined_events(catalog)] == [HACKATHON, ROUND_TABLE]

    # PERCHE_NATS_URL works as well as --nats-url; loading again changes nothing.
    again = await perche("load", *files, env={"PERCHE_NATS_URL": catalog})
    assert again.returncode == 0, again.stderr
    assert f"event {HACKATHON} unchanged (revision 1)" in again.stdout


async def test_wrong_event_files_are_refused_one_by_one_and_change_nothing(catalog: str, tmp_path: Path) -> None:
    loaded = await perche("load", str(demo_file(ROUND_TABLE)), "--nats-url", catalog)
    assert loaded.returncode == 0, loaded.stderr
    before = await defined_events(catalog)

    paths = [mistake.write(tmp_path) for mistake in MISTAKES]
    refused = await perche("load", *map(str, paths), "--nats-url", catalog)

    assert refused.returncode == 1
    assert refused.stdout == ""
    assert len(refused.errors) == len(MISTAKES), refused.stderr
    for mistake, path, line in zip(MISTAKES, paths, refused.errors, strict=True):
        assert line.startswith(f"error: {path}: "), line
        assert mistake.field in line and mistake.problem in line, (mistake.name, line)
    assert await defined_events(catalog) == before


async def test_a_good_file_loads_even_when_another_in_the_same_command_is_refused(catalog: str, tmp_path: Path) -> None:
    wrong = MISTAKES[0].write(tmp_path)
    result = await perche("load", str(wrong), str(demo_file(HACKATHON)), "--nats-url", catalog)
    assert result.returncode == 1
    assert len(result.errors) == 1 and result.errors[0].startswith(f"error: {wrong}: ")
    assert f"event {HACKATHON} updated" in result.stdout
    assert [slug for slug, _ in await defined_events(catalog)] == [HACKATHON]


async def test_organisers_are_created_from_the_command_line_with_checked_input(catalog: str) -> None:
    def create(email: str, password: str) -> Any:
        return perche("organiser", "create", email, "--password", password, "--nats-url", catalog)

    short, not_an_email = await asyncio.gather(
        create("orga@example.org", "court"), create("orga.example.org", "assez longue")
    )
    assert (short.returncode, short.errors) == (1, ["error: The password needs at least 10 characters"])
    assert (not_an_email.returncode, not_an_email.errors) == (1, ["error: 'orga.example.org' is not an email address"])

    made = await create("Orga@Example.org", "assez longue")
    assert (made.returncode, made.stdout.strip()) == (0, "organiser orga@example.org ready")
    twice = await create("orga@example.org", "autre chose")
    assert (twice.returncode, twice.errors) == (1, ["error: An organiser orga@example.org already exists"])

    nc = await connect(catalog, "inspector")
    try:
        right = Authenticate(email="orga@example.org", password="assez longue")
        assert (await call(nc, Catalog.AUTHENTICATE, right, OrganiserReply)).email == "orga@example.org"
        with pytest.raises(ServiceError):  # the refused attempt changed nothing
            await call(
                nc, Catalog.AUTHENTICATE, Authenticate(email=right.email, password="autre chose"), OrganiserReply
            )
    finally:
        await nc.drain()


async def test_a_command_without_a_nats_server_fails_fast_with_a_clear_error() -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"
    result = await perche("load", str(demo_file(HACKATHON)), "--nats-url", nowhere)
    assert result.returncode == 1
    assert result.errors == [f"error: no NATS server answers at {nowhere} (is `perche up` running?)"]


async def test_demo_day_fills_the_hackathon_with_people_teams_and_a_jury_at_work(demo: Web, http: object) -> None:
    done = await perche("demo-day", "--nats-url", demo.nats_url)
    assert done.returncode == 0, done.stderr
    assert "12 participants (3 without a team), 3 teams, 16 jury scores" in done.stdout
    nc = await connect(demo.nats_url, "inspector")
    try:
        teams = await call(nc, Teams.LIST, ListTeams(event=HACKATHON), TeamList)
        standings = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON), Standings)
    finally:
        await nc.drain()
    assert [len(t.members) for t in teams.teams] == [3, 3, 3]
    assert sum(s.given for s in standings.standings) == 16 and not standings.closed
    refused = await perche("demo-day", "--event", "nope", "--nats-url", demo.nats_url)
    assert refused.returncode == 1 and refused.errors == ["error: No event 'nope'"]


async def test_a_loaded_file_is_kept_as_written_for_the_toml_view(catalog: str) -> None:
    path = demo_file(ROUND_TABLE)
    assert (await perche("load", str(path), "--nats-url", catalog)).returncode == 0
    nc = await connect(catalog, "inspector")
    try:
        query = GetEvent(slug=ROUND_TABLE, include_unpublished=True, with_source=True)
        reply = await call(nc, Catalog.GET_EVENT, query, EventReply)
    finally:
        await nc.drain()
    assert reply.source == path.read_text(encoding="utf-8")  # comments and multi-line texts included
    assert "#" in reply.source


async def test_an_organisation_is_created_with_its_owner_and_its_events_loaded_into_it(catalog: str) -> None:
    made = await perche(
        "organisation",
        "create",
        "ecole-b",
        "École B",
        "--name-en",
        "School B",
        "--owner",
        "b@example.org",
        "--nats-url",
        catalog,
    )
    assert (made.returncode, made.errors) == (0, []), made.stderr
    assert "organisation ecole-b (École B) ready, owned by b@example.org" in made.stdout
    loaded = await perche("load", str(demo_file(ROUND_TABLE)), "--organisation", "ecole-b", "--nats-url", catalog)
    assert loaded.returncode == 0, loaded.stderr
    nc = await connect(catalog, "inspector")
    try:
        detail = await call(nc, Catalog.GET_ORGANISATION, GetOrganisation(slug="ecole-b"), OrganisationDetail)
    finally:
        await nc.drain()
    assert detail.organisation.name_en == "School B"
    assert [(m.email, m.role, m.has_account) for m in detail.members] == [("b@example.org", "owner", False)]
    assert detail.events == [ROUND_TABLE]
    # An organisation that does not exist is refused by name, and nothing is loaded.
    refused = await perche("load", str(demo_file(HACKATHON)), "--organisation", "nulle-part", "--nats-url", catalog)
    assert refused.returncode == 1 and "nulle-part" in refused.stderr
