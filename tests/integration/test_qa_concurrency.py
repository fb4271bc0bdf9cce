"""One vote per person and question under concurrency: two Q&A instances on a real NATS take many
votes at once, the same person's among them several times. The count is exact, and a new instance
that replays the stream finds the same one."""

import asyncio
import uuid

from nats.aio.client import Client

from schemas.qa import AskQuestion, CastVote, GetPublicQa, ModerateQuestion, PublicQa, QaDone, SetPhase
from schemas.subjects import Qa
from services.kit.client import ServiceError, call
from services.kit.lifecycle import Running
from services.qa.service import QaService
from tests.conftest import ROUND_TABLE, Web

VOTERS = 30


async def test_concurrent_votes_on_two_instances_count_each_person_once(demo: Web, nc: Client) -> None:
    second = Running([QaService()], demo.nats_url)
    await second.start()
    try:
        opened = SetPhase(command_id=uuid.uuid4().hex, event=ROUND_TABLE, phase="open", by_organiser="test")
        await call(nc, Qa.SET_PHASE, opened, QaDone)
        asked = AskQuestion(
            command_id=uuid.uuid4().hex,
            event=ROUND_TABLE,
            asker="dev:asker-device-0001",
            text="Quelle place pour le numérique dans les écoles rurales ?",
        )
        question = (await call(nc, Qa.ASK, asked, QaDone)).question
        assert question == "q1"
        approve = ModerateQuestion(
            command_id=uuid.uuid4().hex, event=ROUND_TABLE, question=question, action="approve", by_organiser="t"
        )
        await call(nc, Qa.MODERATE, approve, QaDone)

        async def vote(voter: str) -> str:
            command = CastVote(command_id=uuid.uuid4().hex, event=ROUND_TABLE, question=question, voter=voter)
            try:
                await call(nc, Qa.VOTE, command, QaDone)
            except ServiceError as refused:
                return str(refused.reply.key)
            return "voted"

        # Everyone once, and one person five more times, all at once.
        voters = [f"dev:voter-{n:04d}" for n in range(VOTERS)] + ["dev:voter-0000"] * 5
        outcomes = await asyncio.gather(*(vote(v) for v in voters))
        assert outcomes.count("voted") == VOTERS
        assert outcomes.count("qa_already_voted") == 5
        view = await call(nc, Qa.PUBLIC, GetPublicQa(event=ROUND_TABLE), PublicQa)
        assert view.questions[0].votes == VOTERS
    finally:
        await second.stop()
    # A fresh instance replays the stream to the same count.
    replayed = QaService()
    third = Running([replayed], demo.nats_url)
    await third.start()
    try:
        assert len(replayed.state.of(ROUND_TABLE).questions["q1"].voters) == VOTERS
    finally:
        await third.stop()
