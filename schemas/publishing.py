"""Published results: a snapshot of the closed judging's standings, hidden until an organiser publishes it."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.catalog import Slug

CommandId = Annotated[str, Meta(min_length=8, max_length=100)]
Note = Annotated[str, Meta(max_length=2000)]
PrizeTitle = Annotated[str, Meta(max_length=200)]
# Why the team won, a sentence or two: a megabyte of it is refused at the boundary.
PrizeLine = Annotated[str, Meta(max_length=1000)]
PrizeKind = Literal["overall", "track", "audience", "partner", "jury_favourite"]
PRIZE_KINDS: tuple[str, ...] = PrizeKind.__args__  # type: ignore[attr-defined]


class Prize(msgspec.Struct, frozen=True, kw_only=True):
    """One prize of the event and the team the organiser gave it to."""

    kind: PrizeKind
    title: PrizeTitle
    title_en: PrizeTitle = ""
    # The challenge a "track" prize is for.
    challenge: str | None = None
    # Who gives a "partner" prize.
    partner: PrizeTitle = ""
    team: str
    # Filled in by publishing from the standings, so the page needs nothing else.
    team_name: str = ""
    line: PrizeLine = ""
    line_en: PrizeLine = ""


ChangeKind = Literal["winner", "line", "ranking", "prize_added", "prize_removed"]


class ResultsChange(msgspec.Struct, frozen=True, kw_only=True):
    """What a correction changed against the version before it."""

    kind: ChangeKind
    # The prize's title (empty for the ranking).
    prize: str = ""
    prize_en: str = ""
    before: str = ""
    after: str = ""


class PublishResults(msgspec.Struct, frozen=True, kw_only=True):
    """Take the standings of the closed judging and make them public."""

    command_id: CommandId
    event: Slug
    by_organiser: str
    note: Note = ""
    note_en: Note = ""
    prizes: list[Prize] = []


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
    prizes: list[Prize] = []
    # A correction (version 2 and after): when, and what changed against the version before.
    corrected_at: datetime | None = None
    changes: list[ResultsChange] = []
    # Set while results once published are withdrawn: the page says so and shows nothing of them.
    withdrawn_at: datetime | None = None


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
    prizes: list[Prize] = []


class ResultsWithdrawn(msgspec.Struct, frozen=True, kw_only=True, tag="results_withdrawn"):
    command_id: str
    event: str
    by_organiser: str
    at: datetime


PublishingEvent = ResultsPublished | ResultsWithdrawn
