"""Small charts drawn on the server: pure functions from figures to SVG geometry (the template draws it).

Every chart has the same frame (WIDTH x HEIGHT user units, a margin for the axis labels); the page
also gives the numbers as a table, for screen readers and for anyone who would rather read them.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WIDTH = 320
HEIGHT = 140
LEFT = 28  # room for the scale's labels
BOTTOM = 20  # room for the time labels
TOP = 8
PLOT_WIDTH = WIDTH - LEFT - 4
PLOT_HEIGHT = HEIGHT - BOTTOM - TOP


def _y(value: float, top: float) -> float:
    """The height of `value` on a scale from 0 to `top`, SVG's y growing downwards."""
    return round(TOP + PLOT_HEIGHT * (1 - (value / top if top else 0)), 1)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    hour: datetime  # local start of the hour
    value: int


def arrivals_per_hour(moments: list[datetime], zone: str) -> list[Bar]:
    """One bar per local hour from the first arrival's to the last one's, empty hours included."""
    if not moments:
        return []
    tz = ZoneInfo(zone)
    hours = Counter(m.astimezone(tz).replace(minute=0, second=0, microsecond=0) for m in moments)
    first, last = min(hours), max(hours)
    span = [first + timedelta(hours=i) for i in range(int((last - first) / timedelta(hours=1)) + 1)]
    top = max(hours.values())
    step = PLOT_WIDTH / len(span)
    bars = []
    for index, hour in enumerate(span):
        value = hours.get(hour, 0)
        y = _y(value, top)
        bars.append(
            Bar(
                x=round(LEFT + index * step + step * 0.1, 1),
                y=y,
                width=round(step * 0.8, 1),
                height=round(TOP + PLOT_HEIGHT - y, 1),
                hour=hour,
                value=value,
            )
        )
    return bars


@dataclass(frozen=True)
class Line:
    name: str
    points: str  # SVG polyline points, a step line of the running total
    total: int


@dataclass(frozen=True)
class Timeline:
    lines: list[Line]
    start: datetime
    end: datetime
    top: int


def registrations_over_time(series: dict[str, list[datetime]]) -> Timeline | None:
    """Each category's running total of registrations, on one time axis from the first to the last."""
    moments = [m for values in series.values() for m in values]
    if not moments:
        return None
    start, end = min(moments), max(moments)
    length = (end - start).total_seconds() or 1.0
    top = max(len(values) for values in series.values())

    def x(moment: datetime) -> float:
        return round(LEFT + PLOT_WIDTH * (moment - start).total_seconds() / length, 1)

    lines = []
    for name, values in series.items():
        points = [(float(LEFT), _y(0, top))]
        for count, moment in enumerate(sorted(values), start=1):
            points += [(x(moment), _y(count - 1, top)), (x(moment), _y(count, top))]
        points.append((float(LEFT + PLOT_WIDTH), _y(len(values), top)))
        lines.append(Line(name=name, points=" ".join(f"{a},{b}" for a, b in points), total=len(values)))
    return Timeline(lines=lines, start=start, end=end, top=top)


@dataclass(frozen=True)
class Dot:
    x: float
    count: int  # scores at this very place: one dot, larger, keeps the page light however many teams
    r: float


@dataclass(frozen=True)
class Spread:
    label: str
    y: float
    dots: list[Dot]  # one per distinct score, left to right
    low: float
    high: float
    mean: float  # x of the mean
    mean_share: float  # the mean as a share of the scale (0 to 1)
    count: int


ROW = 22


def spread_height(rows: int) -> int:
    return TOP + ROW * max(rows, 1) + BOTTOM


def score_spread(rows: list[tuple[str, list[float]]]) -> list[Spread]:
    """One row per juror: each score as a share of its criterion's scale (0 to 1), its range and mean.

    Jurors who gave no score yet have no row: there is nothing to spread."""
    spreads = []
    for label, shares in rows:
        if not shares:
            continue

        def x(share: float) -> float:
            return round(LEFT + PLOT_WIDTH * min(max(share, 0.0), 1.0), 1)

        mean = sum(shares) / len(shares)
        spreads.append(
            Spread(
                label=label,
                y=TOP + ROW * len(spreads) + ROW / 2,
                dots=[
                    Dot(x=place, count=count, r=round(min(3 + (count - 1) * 0.75, 8), 2))
                    for place, count in sorted(Counter(x(s) for s in shares).items())
                ],
                low=x(min(shares)),
                high=x(max(shares)),
                mean=x(mean),
                mean_share=mean,
                count=len(shares),
            )
        )
    return spreads
