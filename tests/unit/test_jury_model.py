"""The jury model: severity and spread fitted with the teams' quality, and how sure each place is."""

import random

from services.bench.judging import kendall_tau
from services.kit.jury_model import CriterionScale, Mark, fit_criterion, rank

ONE = [CriterionScale("impact", 10, 1)]


def synthetic(seed: int = 7) -> tuple[list[Mark], dict[str, float], dict[str, tuple[float, float]]]:
    """20 teams each seen by 5 of 10 jurors, with known severities and spreads and a little noise."""
    rng = random.Random(seed)
    teams = {f"t{i:02d}": rng.gauss(0, 1.5) for i in range(20)}
    jurors = {f"j{k}": (rng.uniform(-2, 2), rng.uniform(0.5, 1.6)) for k in range(10)}
    names = sorted(jurors)
    marks = []
    for i, (team, quality) in enumerate(sorted(teams.items())):
        for k in range(5):
            juror = names[(i + 2 * k) % len(names)]
            severity, spread = jurors[juror]
            marks.append(Mark(juror, team, "impact", 5 + severity + spread * quality + rng.gauss(0, 0.1)))
    return marks, teams, jurors


def test_the_fit_recovers_each_jurors_severity_and_spread_on_a_synthetic_jury() -> None:
    marks, _, jurors = synthetic()
    fit = fit_criterion(marks, 10)
    # Severities are known up to the jury's own average, spreads up to the jury's own scale.
    true_mean = sum(s for s, _ in jurors.values()) / len(jurors)
    fitted_mean = sum(e.severity for e in fit.jurors.values()) / len(jurors)
    true_scale = sum(b for _, b in jurors.values()) / len(jurors)
    fitted_scale = sum(e.spread for e in fit.jurors.values()) / len(jurors)
    # Each juror's effects are pulled a little towards « no effect », so they are close, not exact.
    for juror, (severity, spread) in jurors.items():
        effect = fit.jurors[juror]
        assert abs((effect.severity - fitted_mean) - (severity - true_mean)) < 0.45, juror
        assert abs(effect.spread / fitted_scale - spread / true_scale) < 0.3, juror
    names = sorted(jurors)
    assert correlation([jurors[j][0] for j in names], [fit.jurors[j].severity for j in names]) > 0.97
    assert correlation([jurors[j][1] for j in names], [fit.jurors[j].spread for j in names]) > 0.9


def correlation(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return float(cov / (sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)) ** 0.5)


def test_the_fit_recovers_the_true_order_of_the_teams() -> None:
    marks, teams, _ = synthetic()
    placed = rank(marks, ONE)
    assert kendall_tau(teams, {p.team: p.score or 0.0 for p in placed}) > 0.95
    assert [p.team for p in placed][:3] == sorted(teams, key=lambda t: -teams[t])[:3]


def test_a_lenient_and_a_severe_juror_seeing_different_teams_do_not_decide_the_order() -> None:
    # Teams a and b are good, c and d weak. The lenient juror saw a weak team, the severe one a good
    # team; a shared juror saw them all, and both saw team e too. Raw means put the weak teams seen
    # by the lenient juror first.
    marks = [
        Mark("shared", "a", "impact", 8),
        Mark("shared", "b", "impact", 8),
        Mark("shared", "c", "impact", 4),
        Mark("shared", "d", "impact", 4),
        Mark("shared", "e", "impact", 5),
        Mark("lenient", "c", "impact", 9),
        Mark("lenient", "d", "impact", 9),
        Mark("lenient", "e", "impact", 10),
        Mark("severe", "a", "impact", 3),
        Mark("severe", "b", "impact", 3),
        Mark("severe", "e", "impact", 0),
    ]
    placed = {p.team: p for p in rank(marks, ONE)}
    assert placed["c"].raw is not None and placed["a"].raw is not None
    assert placed["c"].raw > placed["a"].raw  # what the raw means say
    assert placed["a"].score is not None and placed["c"].score is not None
    assert placed["a"].score > placed["c"].score  # what the model says
    assert placed["b"].score == placed["a"].score and placed["d"].score == placed["c"].score


def test_the_same_scores_always_give_the_same_standings() -> None:
    marks, _, _ = synthetic(3)
    shuffled = list(marks)
    random.Random(1).shuffle(shuffled)
    assert rank(marks, ONE) == rank(shuffled, ONE) == rank(list(marks), ONE)


def test_two_equal_teams_at_the_top_are_too_close_to_call() -> None:
    marks = []
    for juror, offset in (("j1", 0), ("j2", 1), ("j3", -1)):
        for team, points in (("a", 8), ("b", 8), ("c", 4), ("d", 3)):
            marks.append(Mark(juror, team, "impact", points + offset))
    placed = {p.team: p for p in rank(marks, ONE)}
    assert placed["a"].rank == placed["b"].rank == 1
    assert placed["a"].too_close and placed["b"].too_close
    assert (placed["a"].best, placed["a"].worst) == (1, 2)
    assert not placed["d"].too_close and placed["d"].best >= 3


def test_a_team_scored_by_one_juror_has_a_wider_range_than_one_scored_by_five() -> None:
    marks, _, _ = synthetic(5)
    alone = "t00"
    marks = [m for m in marks if m.team != alone] + [next(m for m in marks if m.team == alone)]
    placed = {p.team: p for p in rank(marks, ONE)}
    lone = placed[alone]
    assert lone.jurors == 1 and placed["t01"].jurors == 5
    assert lone.error is not None and placed["t01"].error is not None
    assert lone.error > 2 * placed["t01"].error
    assert lone.worst - lone.best > placed["t01"].worst - placed["t01"].best


def test_criteria_are_combined_by_weight_and_the_raw_mean_kept_beside() -> None:
    criteria = [CriterionScale("impact", 10, 3), CriterionScale("pitch", 5, 1)]
    marks = [
        Mark("j1", "a", "impact", 9),
        Mark("j1", "a", "pitch", 1),
        Mark("j1", "b", "impact", 5),
        Mark("j1", "b", "pitch", 5),
    ]
    placed = rank(marks, criteria, ["a", "b", "nobody"])
    assert [p.team for p in placed] == ["a", "b", "nobody"]
    # a: (3 × 0.9 + 0.2) / 4 = 72.5; b: (3 × 0.5 + 1) / 4 = 62.5
    assert [p.raw for p in placed] == [72.5, 62.5, None]
    assert placed[2].score is None and placed[2].jurors == 0 and placed[2].rank == 3
