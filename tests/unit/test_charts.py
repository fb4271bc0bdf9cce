"""The day's charts as geometry: bars, steps and dots where the figures put them."""

from datetime import UTC, datetime

from services.web import charts

BASE = charts.TOP + charts.PLOT_HEIGHT  # the y of zero


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 6, 12, hour, minute, tzinfo=UTC)


def test_arrivals_are_one_bar_per_local_hour_with_empty_hours_kept() -> None:
    # 07:05 and 07:50 UTC are 9 h in Paris (summer time), 09:10 UTC is 11 h: 10 h stays empty.
    bars = charts.arrivals_per_hour([at(7, 5), at(7, 50), at(9, 10)], "Europe/Paris")
    assert [(b.hour.hour, b.value) for b in bars] == [(9, 2), (10, 0), (11, 1)]
    tallest, empty, half = bars
    assert tallest.y == charts.TOP and tallest.y + tallest.height == BASE
    assert empty.height == 0
    assert half.height == charts.PLOT_HEIGHT / 2
    assert tallest.x < empty.x < half.x and all(b.x + b.width <= charts.WIDTH for b in bars)


def test_no_arrival_no_bar() -> None:
    assert charts.arrivals_per_hour([], "Europe/Paris") == []


def test_registrations_over_time_are_running_totals_by_category() -> None:
    timeline = charts.registrations_over_time({"public": [at(8), at(10), at(9)], "mentor": [at(10)]})
    assert timeline is not None
    assert (timeline.start, timeline.end, timeline.top) == (at(8), at(10), 3)
    public, mentor = timeline.lines
    assert (public.name, public.total, mentor.total) == ("public", 3, 1)
    points = [tuple(map(float, p.split(","))) for p in public.points.split()]
    # From zero at the left edge, up one step per registration, to three at the right edge.
    assert points[0] == (charts.LEFT, BASE) and points[-1] == (charts.LEFT + charts.PLOT_WIDTH, charts.TOP)
    middle = charts.LEFT + charts.PLOT_WIDTH / 2  # 9 h, half-way between 8 h and 10 h
    assert (middle, round(BASE - charts.PLOT_HEIGHT / 3, 1)) in points
    assert (middle, round(BASE - 2 * charts.PLOT_HEIGHT / 3, 1)) in points
    assert charts.registrations_over_time({"public": []}) is None


def test_each_jurors_scores_spread_as_shares_of_the_scale() -> None:
    spreads = charts.score_spread([("Ana", [0.0, 0.5, 1.0, 0.5]), ("Bob", []), ("Chloé", [0.8])])
    assert [s.label for s in spreads] == ["Ana", "Chloé"]  # no score, nothing to spread
    ana, chloe = spreads
    # The two halves are one dot, larger: as many scores as there are, the dots stay few.
    assert [(d.x, d.count) for d in ana.dots] == [
        (charts.LEFT, 1),
        (charts.LEFT + charts.PLOT_WIDTH / 2, 2),
        (charts.LEFT + charts.PLOT_WIDTH, 1),
    ]
    assert ana.dots[1].r > ana.dots[0].r == ana.dots[2].r
    assert (ana.low, ana.high, ana.mean_share, ana.count) == (charts.LEFT, charts.LEFT + charts.PLOT_WIDTH, 0.5, 4)
    assert chloe.low == chloe.high == chloe.mean == round(charts.LEFT + 0.8 * charts.PLOT_WIDTH, 1)
    assert ana.y < chloe.y < charts.spread_height(2)
