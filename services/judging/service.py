"""The judging service's NATS wiring: its stream, the catalog and teams it follows, endpoints."""

import asyncio
import contextlib
import hashlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.aio.client import Client

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.judging import (
    AssignJuror,
    CloseJudging,
    ConflictReason,
    Conflicts,
    DeclareConflict,
    GetConflicts,
    GetSheet,
    GetSheets,
    GetStandings,
    GiveFeedback,
    GiveScore,
    GiveTracks,
    ImportScores,
    JudgingEvent,
    MarkAbsent,
    ReopenJudging,
    ScoreGiven,
    ScoresGiven,
    Sheet,
    Sheets,
    Standings,
    WithdrawScore,
)
from schemas.registration import ListRegistrations, RegistrationEvent, RegistrationList
from schemas.subjects import Judging, Registration
from schemas.teams import TeamsEvent
from services.judging.rules import (
    EventJudging,
    JudgingCommand,
    JudgingState,
    Person,
    automatic_conflicts,
    decide_absent,
    decide_assign,
    decide_close,
    decide_conflict,
    decide_feedback,
    decide_import,
    decide_score,
    decide_tracks,
    decide_withdraw_score,
    is_membership,
    is_repeat,
    progress,
    standings,
    track_standings,
)
from services.kit.background import Background
from services.kit.catalog_reader import CatalogReader
from services.kit.client import call
from services.kit.endpoints import Endpoints
from services.kit.store import Append, EventStore, decided_on

log = logging.getLogger(__name__)

# The most scores appended as one event (about 25 kB).
MAX_BATCH = 100


@dataclass
class Waiting:
    """A score waiting to be appended: its command, how to decide it, and its caller's answer."""

    command: GiveScore
    decide: Callable[[EventJudging], ScoreGiven | None]
    outcome: asyncio.Future[None]


class JudgingService:
    name = "judging"

    def __init__(self) -> None:
        self.state = JudgingState()
        self.catalog = CatalogReader()
        # One writer at a time per event in this instance: a hundred jurors scoring at once would
        # otherwise race each other on the event's one subject until some gave up. Between
        # instances the expected sequence still decides.
        self._writing: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Scores waiting for their event's writer, in the order they came.
        self._scores: defaultdict[str, list[Waiting]] = defaultdict(list)
        self.background = Background(log)
        # Each event's automatic conflicts of interest, found from the registrations' e-mails (asked,
        # never kept: only the registration ids and reasons found are), until a registration or a
        # team's membership changes. The generation tells a stale answer from a fresh one.
        self._found: dict[str, dict[tuple[str, str], ConflictReason]] = {}
        self._generation: defaultdict[str, int] = defaultdict(int)

    async def start(self, nc: Client) -> None:
        self.nc = nc
        self.store: EventStore[JudgingEvent] = EventStore(nc, self.name, JudgingEvent, self._on_event)
        await self.store.open()
        # Read, never written here: the criteria come with the event, the teams from team formation.
        await self.catalog.open(nc)
        self.teams: EventStore[TeamsEvent] = EventStore(nc, "teams", TeamsEvent, self._on_teams)
        await self.teams.open()
        # Read only to know when the people changed: the e-mails come from Registration.LIST.
        self.registrations: EventStore[RegistrationEvent] = EventStore(
            nc, "registration", RegistrationEvent, self._on_registration
        )
        await self.registrations.open()
        self.endpoints = Endpoints(nc, self.name, "Jury scores, one per juror, team and criterion")
        handlers: list[tuple[str, object, Callable[..., Awaitable[object]]]] = [
            (Judging.SCORE, GiveScore, self.score),
            (Judging.WITHDRAW, WithdrawScore, self.withdraw),
            (Judging.ABSENT, MarkAbsent, self.absent),
            (Judging.FEEDBACK, GiveFeedback, self.feedback),
            (Judging.ASSIGN, AssignJuror, self.assign),
            (Judging.IMPORT, ImportScores, self.import_scores),
            (Judging.TRACKS, GiveTracks, self.tracks),
            (Judging.CLOSE, CloseJudging, self.close),
            (Judging.CONFLICT, DeclareConflict, self.conflict),
            (Judging.CONFLICTS, GetConflicts, self.conflicts),
            (Judging.REOPEN, ReopenJudging, self.close),
            (Judging.SHEET, GetSheet, self.sheet),
            (Judging.SHEETS, GetSheets, self.sheets),
            (Judging.STANDINGS, GetStandings, self.standings),
        ]
        for subject, request_type, handler in handlers:
            self.endpoints.add(subject, request_type, handler)  # type: ignore[arg-type]
        await self.endpoints.start()

    async def stop(self) -> None:
        await self.endpoints.stop()
        await self.background.stop()
        for store in (self.store, self.teams, self.registrations):
            await store.close()
        await self.catalog.close()

    def _on_event(self, event: JudgingEvent, _subject: str) -> None:
        self.state.evolve(event)

    def _on_teams(self, event: TeamsEvent, _subject: str) -> None:
        self.state.evolve_teams(event)
        if is_membership(event):
            self._forget_conflicts(event.event)

    def _on_registration(self, event: RegistrationEvent, _subject: str) -> None:
        self._forget_conflicts(event.event)

    def _forget_conflicts(self, slug: str) -> None:
        self._found.pop(slug, None)
        self._generation[slug] += 1

    async def _know_conflicts(self, slug: str, fresh: bool = False) -> None:
        """The event's automatic conflicts, as of its registrations and teams now: asked of
        registration once, then kept until something changes (a score costs no query). `fresh`
        first reads every registration event so far (a juror just added), as the sheets do."""
        judging = self.state.of(slug)
        if not any(judging.members.values()):
            judging.automatic = {}  # nobody in a team: nobody to be conflicted with
            return
        if fresh:
            await self.registrations.catch_up_all(timeout=5.0)
        found = self._found.get(slug)
        if found is None:
            generation = self._generation[slug]
            listed = await call(self.nc, Registration.LIST, ListRegistrations(event=slug), RegistrationList)
            people = [Person(registration=r.id, email=r.email, category=r.category) for r in listed.registrations]
            found = automatic_conflicts(people, judging.members)
            if self._generation[slug] == generation:  # nothing changed while asking
                self._found[slug] = found
        judging.automatic = found

    async def _append(
        self, slug: str, command: JudgingCommand, decide: Callable[[EventJudging], JudgingEvent | None]
    ) -> None:
        def decision() -> JudgingEvent | None:
            # A repeated command changes nothing: its first outcome stands.
            return None if is_repeat(self.state, command) else decide(self.state.of(slug))

        # The message id names the event too, for JetStream's de-duplication.
        async with self._writing[slug]:
            appended = await self.store.append_decided(
                decided_on(Judging.event_subject(slug), f"{slug}:{command.command_id}", decision)
            )
        if appended is not None:
            await self._announce(slug)

    async def _announce(self, slug: str) -> None:
        """Read back here: the organiser's live standings may fetch them now (announced, not stored)."""
        with contextlib.suppress(Exception):  # a lost announcement only delays a refresh
            await self.nc.publish(Judging.changed(slug), b"")

    async def _append_score(
        self, slug: str, command: GiveScore, decide: Callable[[EventJudging], ScoreGiven | None]
    ) -> None:
        """A score joins the others waiting for the event's subject, and they are appended as one
        event: a hundred jurors scoring at once then wait for a few appends, not a hundred."""
        waiting = Waiting(command, decide, asyncio.get_running_loop().create_future())
        self._scores[slug].append(waiting)
        if len(self._scores[slug]) == 1:  # no writer is on its way for this event
            self.background.start(self._write_scores(slug))
        await waiting.outcome

    async def _write_scores(self, slug: str) -> None:
        async with self._writing[slug]:
            while batch := self._next_batch(slug):
                try:
                    await self._append_batch(slug, batch)
                except Exception as error:  # every score of the batch gets the same answer
                    for waiting in batch:
                        if not waiting.outcome.done():
                            waiting.outcome.set_exception(error)

    def _next_batch(self, slug: str) -> list["Waiting"]:
        waiting = self._scores[slug]
        batch, waiting[:] = waiting[:MAX_BATCH], waiting[MAX_BATCH:]
        return batch

    async def _append_batch(self, slug: str, batch: list["Waiting"]) -> None:
        refused: dict[int, Rejected] = {}

        def decision() -> Append[JudgingEvent] | None:
            """Each score decided on the judging as the ones before it in the batch leave it."""
            refused.clear()
            draft = self.state.draft(slug)
            given: list[ScoreGiven] = []
            for index, waiting in enumerate(batch):
                try:
                    if is_repeat(self.state, waiting.command) or is_repeat(draft, waiting.command):
                        continue
                    event = waiting.decide(draft.of(slug))
                except Rejected as rejected:
                    refused[index] = rejected
                    continue
                if event is not None:
                    draft.evolve(event)
                    given.append(event)
            subject = Judging.event_subject(slug)
            if len(given) <= 1:
                return Append(subject, given[0], f"{slug}:{given[0].command_id}") if given else None
            # The message id names what is in it: a resend after a lost ack is the same message,
            # another decision on the same commands another one.
            ids = "\n".join(score.command_id for score in given).encode()
            msg_id = f"{slug}:scores:{hashlib.blake2b(ids, digest_size=16).hexdigest()}"
            return Append(subject, ScoresGiven(event=slug, scores=given), msg_id)

        appended = await self.store.append_decided(decision)
        for index, waiting in enumerate(batch):
            if waiting.outcome.done():  # its caller gave up waiting
                continue
            if index in refused:
                waiting.outcome.set_exception(refused[index])
            else:
                waiting.outcome.set_result(None)
        if appended is not None:
            await self._announce(slug)

    async def _teams_current(self) -> None:
        """Teams are created by another service: make sure the newest one is known here."""
        await self.teams.catch_up_all(timeout=5.0)

    # --- commands ---

    async def score(self, command: GiveScore) -> Sheet:
        spec = await self.catalog.spec(command.event)
        if command.team not in self.state.of(spec.slug).teams:
            await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append_score(spec.slug, command, lambda j: decide_score(j, spec, command, now))
        return self._sheet(spec.slug, command.juror)

    async def withdraw(self, command: WithdrawScore) -> Sheet:
        spec = await self.catalog.spec(command.event)
        if command.team not in self.state.of(spec.slug).teams:
            await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_withdraw_score(j, spec, command, now))
        return self._sheet(spec.slug, command.juror)

    async def absent(self, command: MarkAbsent) -> Standings:
        spec = await self.catalog.spec(command.event)
        if command.team not in self.state.of(spec.slug).teams:
            await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_absent(j, spec, command, now))
        return self._standings(spec, [] if command.by_juror is None else [command.by_juror])

    async def feedback(self, command: GiveFeedback) -> Sheet:
        spec = await self.catalog.spec(command.event)
        if command.team not in self.state.of(spec.slug).teams:
            await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_feedback(j, spec, command, now))
        return self._sheet(spec.slug, command.juror)

    async def assign(self, command: AssignJuror) -> Standings:
        spec = await self.catalog.spec(command.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_assign(j, spec, command, now))
        return self._standings(spec, [command.juror])

    async def tracks(self, command: GiveTracks) -> Standings:
        """The challenges a juror judges; the standings that follow (their progress among them)."""
        spec = await self.catalog.spec(command.event)
        await self._teams_current()
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_tracks(j, spec, command, now))
        return self._standings(spec, [command.juror])

    async def import_scores(self, command: ImportScores) -> Standings:
        """The paper sheets' scores, all of the file or none; the standings that follow."""
        spec = await self.catalog.spec(command.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_import(j, spec, command, now))
        return self._standings(spec, list(command.jurors))

    async def close(self, command: CloseJudging | ReopenJudging) -> Standings:
        spec = await self.catalog.spec(command.event)
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_close(j, spec, command, now))
        return self._standings(spec, [])

    async def conflict(self, command: DeclareConflict) -> Sheet:
        """A conflict declared or lifted; the juror's sheet that follows (the team off it)."""
        spec = await self.catalog.spec(command.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug)
        now = datetime.now(UTC)
        await self._append(spec.slug, command, lambda j: decide_conflict(j, spec, command, now))
        return self._sheet(spec.slug, command.juror)

    # --- queries ---

    async def conflicts(self, query: GetConflicts) -> Conflicts:
        spec = await self.catalog.spec(query.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug, fresh=True)
        return Conflicts(event=spec.slug, conflicts=self.state.of(spec.slug).conflicts())

    def _sheet(self, slug: str, juror: str) -> Sheet:
        judging = self.state.of(slug)
        return Sheet(
            event=slug,
            juror=juror,
            closed=judging.closed,
            teams=judging.teams_of(juror),
            scores=judging.scores_of(juror),
            feedback={team: text for (who, team), text in judging.feedback.items() if who == juror},
            absent=[t.id for t in judging.teams_of(juror) if t.id in judging.absent],
            criteria=[c.id for c in spec.criteria] if (spec := self.catalog.specs.get(slug)) else [],
            conflicted=[judging.teams[t] for t in sorted(judging.conflicts_of(juror)) if t in judging.teams],
        )

    async def sheet(self, query: GetSheet) -> Sheet:
        spec = await self.catalog.spec(query.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug, fresh=True)
        return self._sheet(spec.slug, query.juror)

    async def sheets(self, query: GetSheets) -> Sheets:
        spec = await self.catalog.spec(query.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug, fresh=True)
        return Sheets(sheets=[self._sheet(spec.slug, juror) for juror in query.jurors])

    def _standings(self, spec: EventSpec, jurors: list[str]) -> Standings:
        judging = self.state.of(spec.slug)
        return Standings(
            event=spec.slug,
            closed=judging.closed,
            standings=standings(judging, spec, jurors),
            model=spec.jury_model and bool(spec.criteria),
            jurors=progress(judging, spec, jurors),
            absent=[t for t in judging.teams.values() if t.id in judging.absent],
            tracks=track_standings(judging, spec, jurors),
        )

    async def standings(self, query: GetStandings) -> Standings:
        spec = await self.catalog.spec(query.event)
        await self._teams_current()
        await self._know_conflicts(spec.slug, fresh=True)
        return self._standings(spec, query.jurors)
