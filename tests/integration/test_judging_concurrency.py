"""One score per juror, team and criterion, and nothing after closing, under concurrency:
two judging instances on a real NATS take many scores for the same cell while an organiser
closes the judging. Replaying the stream afterwards must tell one coherent story."""

import asyncio
import uuid
from datetime import UTC, datetime

import msgspec
from nats.aio.client import Client

from schemas.judging import (
    CloseJudging,
    GetSheet,
    GetStandings,
    GiveScore,
    JudgingEvent,
    MarkAbsent,
    ScoreGiven,
    ScoresGiven,
    ScoreWithdrawn,
    Sheet,
    Standings,
    WithdrawScore,
)
from schemas.subjects import Judging, Teams, stream_name
from schemas.teams import CreateTeam, TeamCreated, TeamList
from services.judging.rules import JudgingState
from services.judging.service import JudgingService
from services.kit.client import ServiceError, call
from services.kit.lifecycle import Running
from tests.conftest import HACKATHON, Web

SCORERS = 40
NOW = datetime(2027, 6, 13, 14, 0, tzinfo=UTC)


async def test_many_scores_for_one_cell_and_a_close_at_once_keep_one_ordered_story(demo: Web, nc: Client) -> None:
    second = Running([JudgingService()], demo.nats_url)
    await second.start()
    try:
        team = CreateTeam(command_id=uuid.uuid4().hex, event=HACKATHON, team_id="a", name="A", by_organiser="o")
        await call(nc, Teams.CREATE, team, TeamList)

        async def give(points: int) -> str:
            command = GiveScore(
                command_id=uuid.uuid4().hex, event=HACKATHON, juror="j1", team="a", criterion="utilite", points=points
            )
            try:
                await call(nc, Judging.SCORE, command, Sheet, timeout=20)
            except ServiceError as error:
                return error.reply.key or error.reply.code
            return "saved"

        async def close() -> str:
            await asyncio.sleep(0.02)
            command = CloseJudging(command_id=uuid.uuid4().hex, event=HACKATHON, by_organiser="o")
            await call(nc, Judging.CLOSE, command, Standings, timeout=20)
            return "closed"

        outcomes = await asyncio.gather(*(give(i % 11) for i in range(SCORERS)), close())
        assert set(outcomes) <= {"saved", "judging_closed", "closed"}
        assert outcomes.count("saved") >= 1

        # The stream, read from the start, is the truth: every score comes before the close.
        js = nc.jetstream()
        sub = await js.subscribe(Judging.event_subject(HACKATHON), stream=stream_name("judging"), ordered_consumer=True)
        decoder = msgspec.json.Decoder(JudgingEvent)
        stored = []
        info = await js.stream_info(stream_name("judging"))
        for _ in range(info.state.messages):
            stored.append(decoder.decode((await sub.next_msg(timeout=5)).data))
        await sub.unsubscribe()
        kinds = [type(event).__name__ for event in stored]
        assert kinds[-1] == "JudgingClosed" and kinds.count("JudgingClosed") == 1
        # Scores given at the same moment are stored together, one event for several.
        scores = [
            score
            for event in stored
            for score in (event.scores if isinstance(event, ScoresGiven) else [event])
            if isinstance(score, ScoreGiven)
        ]
        assert len(scores) <= outcomes.count("saved")  # a repeat of the current score writes nothing

        # Both instances agree on the one score that counts: the last one stored.
        for _ in range(2):
            reply = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON, jurors=["j1"]), Standings)
            [line] = reply.standings
            utilite = next(c for c in line.criteria if c.criterion == "utilite")
            assert reply.closed and utilite.count == 1 and utilite.average == scores[-1].points
    finally:
        await second.stop()


async def test_a_hundred_scores_at_once_on_one_instance_are_all_saved(demo: Web, nc: Client) -> None:
    """A hundred jurors' phones at the same second: none is told to retry (one instance writes one
    event's scores one after the other rather than racing itself on the event's subject)."""
    team = CreateTeam(command_id=uuid.uuid4().hex, event=HACKATHON, team_id="b", name="B", by_organiser="o")
    await call(nc, Teams.CREATE, team, TeamList)

    async def give(juror: int) -> str:
        command = GiveScore(
            command_id=uuid.uuid4().hex,
            event=HACKATHON,
            juror=f"j{juror}",
            team="b",
            criterion="utilite",
            points=juror % 11,
        )
        try:
            await call(nc, Judging.SCORE, command, Sheet, timeout=30)
        except ServiceError as error:
            return error.reply.key or error.reply.code
        return "saved"

    outcomes = await asyncio.gather(*(give(i) for i in range(100)))
    assert outcomes == ["saved"] * 100
    jurors = [f"j{i}" for i in range(100)]
    reply = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON, jurors=jurors), Standings)
    [line] = [s for s in reply.standings if s.team.id == "b"]
    assert next(c for c in line.criteria if c.criterion == "utilite").count == 100


async def test_scores_and_withdrawals_of_one_cell_at_once_keep_one_consistent_state(demo: Web, nc: Client) -> None:
    """Two instances take scores and withdrawals of the same cell at once: a withdrawal is stored
    only after a score it takes back, and both instances end on the state the stream tells."""
    second = Running([JudgingService()], demo.nats_url)
    await second.start()
    try:
        team = CreateTeam(command_id=uuid.uuid4().hex, event=HACKATHON, team_id="a", name="A", by_organiser="o")
        await call(nc, Teams.CREATE, team, TeamList)
        cell = {"event": HACKATHON, "juror": "j1", "team": "a", "criterion": "pitch"}
        first = GiveScore(command_id=uuid.uuid4().hex, points=3, **cell)
        await call(nc, Judging.SCORE, first, Sheet, timeout=20)

        async def send(i: int) -> str:
            command: GiveScore | WithdrawScore
            if i % 2:
                command = WithdrawScore(command_id=uuid.uuid4().hex, **cell)
                subject = Judging.WITHDRAW
            else:
                command = GiveScore(command_id=uuid.uuid4().hex, points=i % 6, **cell)
                subject = Judging.SCORE
            try:
                await call(nc, subject, command, Sheet, timeout=20)
            except ServiceError as error:
                return error.reply.key or error.reply.code
            return "withdrawn" if i % 2 else "saved"

        outcomes = await asyncio.gather(*(send(i) for i in range(SCORERS)))
        assert set(outcomes) <= {"saved", "withdrawn", "judging_no_score"}
        assert outcomes.count("withdrawn") >= 1

        js = nc.jetstream()
        sub = await js.subscribe(Judging.event_subject(HACKATHON), stream=stream_name("judging"), ordered_consumer=True)
        decoder = msgspec.json.Decoder(JudgingEvent)
        info = await js.stream_info(stream_name("judging"))
        stored = [decoder.decode((await sub.next_msg(timeout=5)).data) for _ in range(info.state.messages)]
        await sub.unsubscribe()
        # Replayed in order, every withdrawal takes back a score that was there.
        replayed = JudgingState()
        replayed.evolve_teams(TeamCreated(command_id="t", event=HACKATHON, team_id="a", name="A", code="X", at=NOW))
        key = ("j1", "a", "pitch")
        for event in stored:
            if isinstance(event, ScoreWithdrawn):
                assert key in replayed.of(HACKATHON).scores
            replayed.evolve(event)
        withdrawals = [e for e in stored if isinstance(e, ScoreWithdrawn)]
        assert len(withdrawals) == outcomes.count("withdrawn")
        left = replayed.of(HACKATHON).scores.get(key)

        # Both instances agree with the stream: the score left, or none.
        for _ in range(4):
            reply = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON, jurors=["j1"]), Standings)
            [line] = reply.standings
            pitch = next(c for c in line.criteria if c.criterion == "pitch")
            assert (pitch.count, pitch.average) == ((0, None) if left is None else (1, float(left.points)))
            sheet = await call(nc, Judging.SHEET, GetSheet(event=HACKATHON, juror="j1"), Sheet)
            assert [s.points for s in sheet.scores if s.criterion == "pitch"] == ([] if left is None else [left.points])
    finally:
        await second.stop()


async def test_scores_racing_an_absence_are_all_stored_before_it(demo: Web, nc: Client) -> None:
    """Jurors score a team while another marks it absent, on two instances: no score is stored after
    the absence, and both instances leave the team out of the standings."""
    second = Running([JudgingService()], demo.nats_url)
    await second.start()
    try:
        for team_id in ("a", "b"):
            team = CreateTeam(
                command_id=uuid.uuid4().hex, event=HACKATHON, team_id=team_id, name=team_id.upper(), by_organiser="o"
            )
            await call(nc, Teams.CREATE, team, TeamList)

        async def give(i: int) -> str:
            command = GiveScore(
                command_id=uuid.uuid4().hex, event=HACKATHON, juror=f"j{i}", team="a", criterion="pitch", points=i % 6
            )
            try:
                await call(nc, Judging.SCORE, command, Sheet, timeout=20)
            except ServiceError as error:
                return error.reply.key or error.reply.code
            return "saved"

        async def absent() -> str:
            await asyncio.sleep(0.02)
            command = MarkAbsent(command_id=uuid.uuid4().hex, event=HACKATHON, team="a", by_juror="j0")
            await call(nc, Judging.ABSENT, command, Standings, timeout=20)
            return "absent"

        outcomes = await asyncio.gather(*(give(i) for i in range(SCORERS)), absent())
        assert set(outcomes) <= {"saved", "judging_team_absent", "absent"}

        js = nc.jetstream()
        sub = await js.subscribe(Judging.event_subject(HACKATHON), stream=stream_name("judging"), ordered_consumer=True)
        decoder = msgspec.json.Decoder(JudgingEvent)
        info = await js.stream_info(stream_name("judging"))
        stored = [decoder.decode((await sub.next_msg(timeout=5)).data) for _ in range(info.state.messages)]
        await sub.unsubscribe()
        kinds = [type(event).__name__ for event in stored]
        assert kinds.count("TeamMarkedAbsent") == 1 and kinds[-1] == "TeamMarkedAbsent"
        given = sum(len(e.scores) if isinstance(e, ScoresGiven) else isinstance(e, ScoreGiven) for e in stored)
        assert given == outcomes.count("saved")
        for _ in range(4):
            reply = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON), Standings)
            assert [s.team.id for s in reply.standings] == ["b"] and [t.id for t in reply.absent] == ["a"]
    finally:
        await second.stop()
