"""A model of the jury: each juror's severity and spread, fitted together with each team's quality.

Per criterion, a juror's score is read as

    points = mean + severity[juror] + spread[juror] * quality[team] + noise

A lenient juror has a positive severity (they give more to everyone), a juror who
uses the whole scale has a spread above 1, one who gives 6 or 7 to all has a
spread near 0. The three are fitted together by alternating least squares, on
the teams each juror actually saw: a juror who happened to see the strongest
teams is not taken for a lenient one, because the other jurors who saw those
teams scored them high too. Each juror's effects are pulled towards « no effect »
(severity 0, spread 1) as if they had given a couple of ordinary scores more, so a
juror with two scores barely moves anything. The fit runs a fixed number of rounds
from a fixed start: the same scores always give the same standings. It lives in the kit
because the judging service and `perche judging rank` (on a file) both run it.

A team's fitted score is what an average juror of this jury would have given it;
criteria are combined by weight as a share of their maximum, out of 100. Its
uncertainty comes from the noise left after the fit and from how many jurors,
and which, scored it; two teams are told apart only when the gap between them
is clearly larger than that uncertainty, otherwise their places overlap.
"""

import math
from dataclasses import dataclass

__all__ = ["CriterionScale", "JurorEffect", "Mark", "Placed", "fit_criterion", "rank"]

# Rounds of alternating least squares: ample for these sizes (it settles in a few dozen).
ROUNDS = 60
# How many ordinary scores a juror's severity and spread are worth before any of theirs.
SEVERITY_PRIOR = 1.0
SPREAD_PRIOR = 3.0
# A juror's spread never falls below this: a juror who gives everyone the same still
# cannot turn the order upside down.
MIN_SPREAD = 0.2
# A barely-there pull of each team's quality towards the average, so a team nobody
# separated from the others stays in the middle rather than anywhere.
QUALITY_PRIOR = 0.05
# Two teams are told apart when their gap is this many standard errors of the gap.
SEPARATION = 1.645
# Places from 1 to PODIUM are the ones « too close to call » is said about.
PODIUM = 3


@dataclass(frozen=True, slots=True)
class Mark:
    """One score: a juror's points for a team on a criterion."""

    juror: str
    team: str
    criterion: str
    points: float


@dataclass(frozen=True, slots=True)
class CriterionScale:
    id: str
    max_points: int
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class JurorEffect:
    severity: float
    spread: float
    scores: int


@dataclass(frozen=True, slots=True)
class CriterionFit:
    # What an average juror would give each team scored on the criterion, in points.
    fitted: dict[str, float]
    # The standard error of each fitted score, in points.
    error: dict[str, float]
    jurors: dict[str, JurorEffect]
    noise: float


@dataclass(frozen=True, slots=True)
class Placed:
    """A team's place: its fitted score, the raw mean beside it, and how sure the place is."""

    team: str
    rank: int
    # Weighted share of each criterion's maximum, out of 100; None when nobody scored it.
    score: float | None
    raw: float | None
    # Standard error of `score`.
    error: float | None
    # The best and the worst place the scores allow.
    best: int
    worst: int
    too_close: bool
    jurors: int


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def fit_criterion(marks: list[Mark], max_points: int) -> CriterionFit:
    """Fit severity, spread and quality on one criterion's marks (several criteria are fitted apart)."""
    if not marks:
        return CriterionFit({}, {}, {}, 0.0)
    teams = sorted({m.team for m in marks})
    jurors = sorted({m.juror for m in marks})
    by_team: dict[str, list[Mark]] = {t: [] for t in teams}
    by_juror: dict[str, list[Mark]] = {j: [] for j in jurors}
    for mark in sorted(marks, key=lambda m: (m.team, m.juror)):
        by_team[mark.team].append(mark)
        by_juror[mark.juror].append(mark)
    centre = _mean([m.points for m in marks])
    # By position rather than by name: the rounds below are the whole cost of a standings
    # page (a hundred jurors' live scores refit it each time), and the sums keep the order
    # they had by name, so the same scores give the same figures.
    team_at = {t: i for i, t in enumerate(teams)}
    juror_at = {j: i for i, j in enumerate(jurors)}
    team_marks = [[(juror_at[m.juror], m.points) for m in by_team[t]] for t in teams]
    juror_marks = [[(team_at[m.team], m.points) for m in by_juror[j]] for j in jurors]
    every_mark = [(team_at[m.team], juror_at[m.juror], m.points) for m in marks]
    sev = [0.0] * len(jurors)
    spr = [1.0] * len(jurors)
    q = [_mean([m.points for m in by_team[t]]) - centre for t in teams]
    for _ in range(ROUNDS):
        for k, seen in enumerate(team_marks):
            weight = 0.0
            pulled = 0.0
            for j, y in seen:
                weight += spr[j] ** 2
                pulled += spr[j] * (y - centre - sev[j])
            q[k] = pulled / (weight + QUALITY_PRIOR)
        # The prior on spread is worth SPREAD_PRIOR scores of a typical team's size.
        typical = _mean([x * x for x in q]) or 1.0
        la, lb = SEVERITY_PRIOR, SPREAD_PRIOR * typical
        for k, given in enumerate(juror_marks):
            sq = sqq = sy = syq = 0.0
            for seen_team, y in given:
                sq += q[seen_team]
                sqq += q[seen_team] ** 2
                sy += y - centre
                syq += (y - centre) * q[seen_team]
            # Least squares of y = a + b q with ridges a -> 0 and b -> 1: a 2x2 system.
            a11, a12, a22 = len(given) + la, sq, sqq + lb
            b1, b2 = sy, syq + lb
            det = a11 * a22 - a12 * a12
            sev[k] = (b1 * a22 - a12 * b2) / det
            spr[k] = max((a11 * b2 - a12 * b1) / det, MIN_SPREAD)
        centre += _mean([y - centre - sev[j] - spr[j] * q[k] for k, j, y in every_mark])
    quality = dict(zip(teams, q, strict=True))
    severity = dict(zip(jurors, sev, strict=True))
    spread = dict(zip(jurors, spr, strict=True))
    residuals = [m.points - centre - severity[m.juror] - spread[m.juror] * quality[m.team] for m in marks]
    # Parameters spent: a quality per team and two effects per juror, though the priors hold
    # them back; at least a little rounding noise is always assumed.
    free = len(marks) - len(teams) - len(jurors)
    floor = max_points / 20
    noise = math.sqrt(sum(r * r for r in residuals) / free) if free > 0 else max_points / 8
    noise = max(noise, floor)
    mean_severity = _mean(list(severity.values()))
    mean_spread = _mean(list(spread.values()))
    fitted: dict[str, float] = {}
    error: dict[str, float] = {}
    for t in teams:
        weight = sum(spread[m.juror] ** 2 for m in by_team[t]) + QUALITY_PRIOR
        # The team's own noise, and the uncertainty of the severities of the jurors who saw it.
        own = sum(
            spread[m.juror] ** 2 * (noise**2 + noise**2 / (len(by_juror[m.juror]) + SEVERITY_PRIOR)) for m in by_team[t]
        )
        fitted[t] = centre + mean_severity + mean_spread * quality[t]
        error[t] = mean_spread * math.sqrt(own) / weight
    effects = {j: JurorEffect(severity[j], spread[j], len(by_juror[j])) for j in jurors}
    return CriterionFit(fitted, error, effects, noise)


def _raw(marks: list[Mark], criteria: list[CriterionScale], team: str) -> float | None:
    weights = sum(c.weight for c in criteria)
    parts = []
    for c in criteria:
        points = [m.points for m in marks if m.team == team and m.criterion == c.id]
        parts.append(c.weight * _mean(points) / c.max_points)
    if not weights or not any(m.team == team for m in marks):
        return None
    return 100 * sum(parts) / weights


def rank(marks: list[Mark], criteria: list[CriterionScale], teams: list[str] | None = None) -> list[Placed]:
    """Every team in order of its fitted score, best first; teams nobody scored come last, unranked among themselves.

    `teams` adds teams without any mark; marks on a criterion not in `criteria` are ignored.
    """
    known = {c.id for c in criteria}
    marks = [m for m in marks if m.criterion in known]
    everyone = sorted(set(teams or []) | {m.team for m in marks})
    weights = sum(c.weight for c in criteria)
    fits = {c.id: fit_criterion([m for m in marks if m.criterion == c.id], c.max_points) for c in criteria}
    score: dict[str, float] = {}
    error: dict[str, float] = {}
    scored = {m.team for m in marks}
    for t in everyone:
        if t not in scored or not weights:
            continue
        total = 0.0
        variance = 0.0
        for c in criteria:
            fit = fits[c.id]
            share = c.weight / weights / c.max_points * 100
            if t in fit.fitted:
                total += share * fit.fitted[t]
                variance += (share * fit.error[t]) ** 2
            else:
                # Not scored on this criterion: counted as an average team, and as uncertain as one.
                total += share * _mean(list(fit.fitted.values()))
                variance += (share * c.max_points / 4) ** 2
        score[t] = total
        error[t] = math.sqrt(variance)
    order = sorted(score, key=lambda t: (-score[t], t))
    unscored = [t for t in everyone if t not in score]

    def apart(high: str, low: str) -> bool:
        return score[high] - score[low] > SEPARATION * math.hypot(error[high], error[low])

    placed: list[Placed] = []
    for t in order:
        best = 1 + sum(1 for u in order if u != t and apart(u, t))
        worst = len(order) - sum(1 for u in order if u != t and apart(t, u))
        placed.append(
            Placed(
                team=t,
                rank=1 + sum(1 for u in order if round(score[u], 2) > round(score[t], 2)),
                score=round(score[t], 2),
                raw=_round(_raw(marks, criteria, t)),
                error=round(error[t], 2),
                best=best,
                worst=worst,
                too_close=best <= PODIUM and best != worst,
                jurors=len({m.juror for m in marks if m.team == t}),
            )
        )
    for t in unscored:
        placed.append(
            Placed(
                team=t,
                rank=len(order) + 1,
                score=None,
                raw=None,
                error=None,
                best=len(order) + 1,
                worst=len(everyone),
                too_close=False,
                jurors=0,
            )
        )
    return placed


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
