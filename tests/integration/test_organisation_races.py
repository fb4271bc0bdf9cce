"""Two owners removing each other at the same moment, on two catalog instances: one owner stays."""

import asyncio
import uuid

import pytest

from schemas.errors import ErrorReply
from schemas.organisations import DefineOrganisation, GrantMember, OrganisationChanged, RevokeMember
from schemas.subjects import Catalog
from services.catalog.service import CatalogService, organiser_id
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_removals_of_two_owners_leave_one_and_a_repeat_changes_nothing(
    nats_url: str, round_: int
) -> None:
    instances = Running([CatalogService(), CatalogService()], nats_url)
    await instances.start()
    nc = await connect(nats_url, "owners")
    try:
        first, second = organiser_id("a@example.org"), organiser_id("b@example.org")
        define = DefineOrganisation(command_id="def-race-1", slug="course", name="Course", by_organiser=first)
        await call(nc, Catalog.DEFINE_ORGANISATION, define, OrganisationChanged)
        grant = GrantMember(command_id="grant-race-1", organisation="course", email="b@example.org", role="owner")
        assert (await call(nc, Catalog.GRANT_MEMBER, grant, OrganisationChanged)).changed
        again = await call(nc, Catalog.GRANT_MEMBER, grant, OrganisationChanged)
        assert not again.changed  # the same command twice: its first outcome, nothing appended

        async def remove(person: str) -> str:
            command = RevokeMember(command_id=uuid.uuid4().hex, organisation="course", person=person)
            try:
                await call(nc, Catalog.REVOKE_MEMBER, command, OrganisationChanged)
            except ServiceError as error:
                reply: ErrorReply = error.reply
                return reply.key or reply.code
            return "removed"

        outcomes = await asyncio.gather(remove(first), remove(second))
        assert sorted(outcomes) == ["last_owner", "removed"]
        # Every instance, and one rebuilt from the stream alone, sees the same single owner.
        fresh = CatalogService()
        rebuilt = Running([fresh], nats_url)
        await rebuilt.start()
        try:
            owners = [s.state.orgs.records["course"].owners for s in (*instances.services, fresh)]
        finally:
            await rebuilt.stop()
        assert len(owners[0]) == 1 and all(o == owners[0] for o in owners)
    finally:
        await nc.drain()
        await instances.stop()
