"""Published results: a snapshot of the closed judging's standings, hidden until an organiser publishes it."""

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.catalog import Slug

CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
Note = Annotated[str, Meta(max_length=2000)]


class PublishResults(msgspec.Struct, frozen=True, kw_only=True):
    """Take the standings of the closed judging and make them public."""

    command_id: CommandId
    event: Slug
    by_organiser: str
    note: Note = ""
    note_en: Note = ""


class WithdrawResults(msgspec.Struct, frozen=True, kw_only=True):
    command_id: CommandId
    event: Slug
    by_organiser: str


class GetResults(msgspec.Struct, frozen=True, kw_only=True):
    event: Slug


class ResultLine(msgspec.Struct, frozen=True, kw_only=True):
    rank: int
    team: str
    team_name: str
    challenge: str | None = None
    total: float
    # The jury could not settle this podium place against its neighbours: « ex æquo » is honest.
    too_close: bool = False


class AbsentTeam(msgspec.Struct, frozen=True, kw_only=True):
    """A team that did not show up before the jury: out of the ranking, not last in it."""

    team: str
    team_name: str
    challenge: str | None = None


class TrackResult(msgspec.Struct, frozen=True, kw_only=True):
    """One challenge's own ranking, published beside the overall one."""

    challenge: str
    lines: list[ResultLine]


class Results(msgspec.Struct, frozen=True, kw_only=True, tag="results"):
    event: str
    # 0 while nothing is published (or after a withdrawal); grows with each publication.
    version: int
    published_at: datetime | None
    note: str = ""
    note_en: str = ""
    lines: list[ResultLine] = []
    absent: list[AbsentTeam] = []
    tracks: list[TrackResult] = []


# --- events (perche.publishing.evt.<slug>.results) ---


class ResultsPublished(msgspec.Struct, frozen=True, kw_only=True, tag="results_published"):
    command_id: str
    event: str
    lines: list[ResultLine]
    note: str = ""
    note_en: str = ""
    by_organiser: str
    at: datetime
    absent: list[AbsentTeam] = []
    tracks: list[TrackResult] = []


class ResultsWithdrawn(msgspec.Struct, frozen=True, kw_only=True, tag="results_withdrawn"):
    command_id: str
    event: str
    by_organiser: str
    at: datetime


PublishingEvent = ResultsPublished | ResultsWithdrawn
