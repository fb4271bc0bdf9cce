"""Pure rules of publishing results: what may be made public, and when."""

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.judging import Standing, Standings
from schemas.publishing import (
    AbsentTeam,
    PublishingEvent,
    PublishResults,
    ResultLine,
    Results,
    ResultsPublished,
    ResultsWithdrawn,
    TrackResult,
    WithdrawResults,
)
from services.publishing.prizes import changes, checked_prizes


@dataclass
class PublishingState:
    results: dict[str, Results] = field(default_factory=dict)
    # The last version published, kept through a withdrawal: the next publication is numbered after
    # it and says what it corrected.
    last: dict[str, Results] = field(default_factory=dict)
    withdrawn: dict[str, datetime] = field(default_factory=dict)
    # (event, command id): ids are scoped to their event, the same key for another event is another command.
    commands: set[tuple[str, str]] = field(default_factory=set)

    def of(self, slug: str) -> Results:
        return self.results.get(slug) or Results(
            event=slug, version=0, published_at=None, withdrawn_at=self.withdrawn.get(slug)
        )

    def done(self, slug: str, command_id: str) -> bool:
        """Whether this event already has this command: a repeat changes nothing."""
        return (slug, command_id) in self.commands

    def evolve(self, event: PublishingEvent) -> None:
        self.commands.add((event.event, event.command_id))
        if isinstance(event, ResultsPublished):
            before = self.last.get(event.event)
            results = Results(
                event=event.event,
                version=before.version + 1 if before else 1,
                published_at=event.at,
                note=event.note,
                note_en=event.note_en,
                lines=event.lines,
                absent=event.absent,
                tracks=event.tracks,
                prizes=event.prizes,
            )
            if before is not None:
                results = msgspec.structs.replace(results, corrected_at=event.at, changes=changes(before, results))
            self.results[event.event] = self.last[event.event] = results
            self.withdrawn.pop(event.event, None)
        else:
            self.results.pop(event.event, None)
            self.withdrawn[event.event] = event.at


def _lines(scored: list[Standing]) -> list[ResultLine]:
    return [
        # The jury model's score when it ranked the teams, so the published order and scores agree.
        ResultLine(
            rank=s.rank,
            team=s.team.id,
            team_name=s.team.name,
            challenge=s.team.challenge,
            total=s.total if s.score is None else s.score,
            too_close=s.too_close,
        )
        for s in scored
    ]


def decide_publish(spec: EventSpec, standings: Standings, command: PublishResults, now: datetime) -> ResultsPublished:
    """A snapshot of the standings; only once judging is closed, so results cannot move after."""
    if not standings.closed:
        raise Rejected("conflict", "Close the judging before publishing its results", key="results_judging_open")
    scored = [s for s in standings.standings if s.given > 0]
    if not scored:
        raise Rejected("conflict", "No team has been scored yet", key="results_nothing_scored")
    lines = _lines(scored)
    tracks = [
        TrackResult(challenge=track.challenge, lines=_lines([s for s in track.standings if s.given > 0]))
        for track in standings.tracks
    ]
    absent = [AbsentTeam(team=t.id, team_name=t.name, challenge=t.challenge) for t in standings.absent]
    prizes = checked_prizes(command.prizes, standings)
    return ResultsPublished(
        command_id=command.command_id,
        event=spec.slug,
        lines=lines,
        absent=absent,
        tracks=[track for track in tracks if track.lines],
        note=command.note.strip(),
        note_en=command.note_en.strip(),
        prizes=prizes,
        by_organiser=command.by_organiser,
        at=now,
    )


def decide_withdraw(current: Results, command: WithdrawResults, now: datetime) -> ResultsWithdrawn | None:
    if current.version == 0 or current.published_at is None:
        return None
    return ResultsWithdrawn(
        command_id=command.command_id, event=current.event, by_organiser=command.by_organiser, at=now
    )
