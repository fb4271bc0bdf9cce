"""`perche bench judging`: how close each way of ranking comes to the true order, on simulated juries.

Each simulated hackathon draws a true quality per team and per criterion, and
jurors who differ in severity (a farmer gives 8 to 10, an elected official 3 to
6), in spread (how much of the scale they use) and in noise. Jurors see every
team (complete) or a few teams each (incomplete, each team seen by the same
number of jurors). Every method ranks the same scores; Kendall's tau against the
true order and how often the true top 3 is found are averaged over seeded runs.

- raw mean: the weighted mean of raw scores (Perche before the jury model);
- z-score: each juror's scores centred and scaled by their own mean and deviation;
- perche: the jury model (services/kit/jury_model.py);
- crowd-bt: Gavel's Crowd-BT with its published defaults, fed the pairwise
  comparisons each juror's visits imply (each team against the previous one);
- copeland: hackutd/jury's ranking count, every pair in each juror's own order;
- oracle: knows every juror's true severity, spread and noise, and weighs each
  corrected score by how much it tells (the ceiling).
"""

import math
import random
from dataclasses import dataclass

from services.kit.jury_model import CriterionScale, Mark, rank

CRITERIA = [CriterionScale("impact", 10, 3), CriterionScale("feasibility", 10, 2), CriterionScale("pitch", 10, 1)]
METHODS = ["raw mean", "z-score", "perche", "crowd-bt", "copeland", "oracle"]


@dataclass(frozen=True)
class Scenario:
    teams: int
    jurors: int
    # Jurors per team; None: every juror sees every team.
    per_team: int | None

    @property
    def label(self) -> str:
        seen = "all" if self.per_team is None else str(self.per_team)
        return f"{self.teams} teams, {self.jurors} jurors, {seen} per team"


SCENARIOS = [
    Scenario(8, 5, None),
    Scenario(14, 9, 4),
    Scenario(14, 6, None),
    Scenario(24, 10, 4),
    Scenario(40, 14, 4),
    Scenario(60, 20, 3),
    Scenario(60, 18, 5),
]


@dataclass(frozen=True)
class Juror:
    severity: float
    spread: float
    noise: float


@dataclass
class Hackathon:
    truth: dict[str, float]
    quality: dict[tuple[str, str], float]
    jurors: dict[str, Juror]
    # Each juror's teams, in the order they visited them.
    visits: dict[str, list[str]]
    marks: list[Mark]


# A juror's points: BASE + severity + spread * SCALE * quality + noise, rounded, on 0..10.
BASE = 6.0
SCALE = 1.3


def simulate(scenario: Scenario, seed: int) -> Hackathon:
    rng = random.Random(seed)
    teams = [f"t{i:02d}" for i in range(scenario.teams)]
    overall = {t: rng.gauss(0, 1) for t in teams}
    quality = {(t, c.id): overall[t] + rng.gauss(0, 0.4) for t in teams for c in CRITERIA}
    weights = sum(c.weight for c in CRITERIA)
    truth = {t: sum(c.weight * quality[t, c.id] for c in CRITERIA) / weights for t in teams}
    jurors = {
        f"j{k:02d}": Juror(rng.gauss(0, 1.3), math.exp(rng.gauss(0, 0.4)), rng.uniform(0.4, 1.2))
        for k in range(scenario.jurors)
    }
    names = list(jurors)
    visits: dict[str, list[str]] = {j: [] for j in names}
    if scenario.per_team is None:
        for j in names:
            visits[j] = rng.sample(teams, len(teams))
    else:
        # Balanced: each team goes to the per_team jurors with the fewest teams so far.
        for t in rng.sample(teams, len(teams)):
            load = sorted(names, key=lambda j: (len(visits[j]), rng.random()))
            for j in load[: scenario.per_team]:
                visits[j].append(t)
        for j in names:
            rng.shuffle(visits[j])
    marks = []
    for j, seen in visits.items():
        juror = jurors[j]
        for t in seen:
            for c in CRITERIA:
                raw = BASE + juror.severity + juror.spread * SCALE * quality[t, c.id] + rng.gauss(0, juror.noise)
                marks.append(Mark(j, t, c.id, float(min(max(round(raw), 0), c.max_points))))
    return Hackathon(truth, quality, jurors, visits, marks)


def _weighted(per_criterion: dict[tuple[str, str], list[float]], teams: list[str]) -> dict[str, float]:
    weights = sum(c.weight for c in CRITERIA)
    out = {}
    for t in teams:
        total = 0.0
        for c in CRITERIA:
            values = per_criterion.get((t, c.id), [])
            total += c.weight * (sum(values) / len(values) if values else 0.0)
        out[t] = total / weights
    return out


def raw_mean(h: Hackathon) -> dict[str, float]:
    given: dict[tuple[str, str], list[float]] = {}
    for m in h.marks:
        given.setdefault((m.team, m.criterion), []).append(m.points)
    return _weighted(given, list(h.truth))


def z_score(h: Hackathon) -> dict[str, float]:
    own: dict[tuple[str, str], list[float]] = {}
    for m in h.marks:
        own.setdefault((m.juror, m.criterion), []).append(m.points)
    stats = {}
    for key, values in own.items():
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        stats[key] = (mean, sd or 1.0)
    given: dict[tuple[str, str], list[float]] = {}
    for m in h.marks:
        mean, sd = stats[m.juror, m.criterion]
        given.setdefault((m.team, m.criterion), []).append((m.points - mean) / sd)
    return _weighted(given, list(h.truth))


def oracle(h: Hackathon) -> dict[str, float]:
    """Each score undone with its juror's true severity and spread, weighted by how much it tells."""
    weights = sum(c.weight for c in CRITERIA)
    sums: dict[tuple[str, str], list[float]] = {}
    for m in h.marks:
        juror = h.jurors[m.juror]
        # The best unbiased mean: each juror's corrected score weighs spread² / noise².
        w = (juror.spread / juror.noise) ** 2
        acc = sums.setdefault((m.team, m.criterion), [0.0, 0.0])
        acc[0] += w * (m.points - BASE - juror.severity) / juror.spread
        acc[1] += w
    return {
        t: sum(c.weight * (sums[t, c.id][0] / sums[t, c.id][1] if (t, c.id) in sums else 0.0) for c in CRITERIA)
        / weights
        for t in h.truth
    }


def perche(h: Hackathon) -> dict[str, float]:
    return {p.team: p.score if p.score is not None else -math.inf for p in rank(h.marks, CRITERIA, list(h.truth))}


def _juror_totals(h: Hackathon) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    weight = {c.id: c.weight for c in CRITERIA}
    for m in h.marks:
        totals[m.juror, m.team] = totals.get((m.juror, m.team), 0.0) + weight[m.criterion] * m.points
    return totals


def copeland(h: Hackathon) -> dict[str, float]:
    totals = _juror_totals(h)
    count = dict.fromkeys(h.truth, 0.0)
    for j, seen in h.visits.items():
        for i, a in enumerate(seen):
            for b in seen[i + 1 :]:
                if totals[j, a] > totals[j, b]:
                    count[a] += 1
                    count[b] -= 1
                elif totals[j, b] > totals[j, a]:
                    count[b] += 1
                    count[a] -= 1
    return count


# Gavel's published defaults (gavel/crowd_bt.py, after Chen et al., « Pairwise ranking
# aggregation in a crowdsourced setting »).
KAPPA = 0.0001
MU_PRIOR = 0.0
SIGMA_SQ_PRIOR = 1.0
ALPHA_PRIOR = 10.0
BETA_PRIOR = 1.0


def _bt_step(
    alpha: float, beta: float, mu_w: float, s_w: float, mu_l: float, s_l: float
) -> tuple[float, float, float, float, float, float]:
    """One Crowd-BT update for « winner beat loser » seen by an annotator (alpha, beta)."""
    ew, el = math.exp(mu_w), math.exp(mu_l)
    # The annotator's reliability.
    c1 = ew / (ew + el) + 0.5 * (s_w + s_l) * (ew * el * (el - ew)) / (ew + el) ** 3
    c2 = 1 - c1
    c = (c1 * alpha + c2 * beta) / (alpha + beta)
    expt = (c1 * (alpha + 1) * alpha + c2 * alpha * beta) / (c * (alpha + beta + 1) * (alpha + beta))
    expt_sq = (c1 * (alpha + 2) * (alpha + 1) * alpha + c2 * (alpha + 1) * alpha * beta) / (
        c * (alpha + beta + 2) * (alpha + beta + 1) * (alpha + beta)
    )
    variance = expt_sq - expt**2
    new_alpha = (expt - expt_sq) * expt / variance
    new_beta = (expt - expt_sq) * (1 - expt) / variance
    # The items' means and variances, from the annotator's state before this vote.
    mult = (alpha * ew) / (alpha * ew + beta * el) - ew / (ew + el)
    new_mu_w, new_mu_l = mu_w + s_w * mult, mu_l - s_l * mult
    mult = (alpha * ew * beta * el) / ((alpha * ew + beta * el) ** 2) - (ew * el) / ((ew + el) ** 2)
    new_s_w = s_w * max(1 + s_w * mult, KAPPA)
    new_s_l = s_l * max(1 + s_l * mult, KAPPA)
    return new_alpha, new_beta, new_mu_w, new_s_w, new_mu_l, new_s_l


def crowd_bt(h: Hackathon) -> dict[str, float]:
    totals = _juror_totals(h)
    mu = dict.fromkeys(h.truth, MU_PRIOR)
    sigma = dict.fromkeys(h.truth, SIGMA_SQ_PRIOR)
    annotator = {j: (ALPHA_PRIOR, BETA_PRIOR) for j in h.visits}
    # Votes arrive in the order of the visits, the jurors walking the room at the same pace.
    longest = max((len(v) for v in h.visits.values()), default=0)
    for step in range(1, longest):
        for j, seen in h.visits.items():
            if step >= len(seen):
                continue
            prev, cur = seen[step - 1], seen[step]
            if totals[j, prev] == totals[j, cur]:
                continue  # Gavel asks for a winner; a juror's tie says nothing either way.
            w, lo = (prev, cur) if totals[j, prev] > totals[j, cur] else (cur, prev)
            alpha, beta = annotator[j]
            alpha, beta, mu[w], sigma[w], mu[lo], sigma[lo] = _bt_step(alpha, beta, mu[w], sigma[w], mu[lo], sigma[lo])
            annotator[j] = (alpha, beta)
    return mu


RANKERS = {
    "raw mean": raw_mean,
    "z-score": z_score,
    "perche": perche,
    "crowd-bt": crowd_bt,
    "copeland": copeland,
    "oracle": oracle,
}


def kendall_tau(truth: dict[str, float], found: dict[str, float]) -> float:
    """Kendall's tau-b between two scorings of the same teams."""
    teams = sorted(truth)
    concordant = discordant = tied_truth = tied_found = 0
    for i, a in enumerate(teams):
        for b in teams[i + 1 :]:
            x = truth[a] - truth[b]
            y = found[a] - found[b]
            if x == 0 and y == 0:
                continue
            if x == 0:
                tied_truth += 1
            elif y == 0:
                tied_found += 1
            elif (x > 0) == (y > 0):
                concordant += 1
            else:
                discordant += 1
    n1 = concordant + discordant + tied_truth
    n2 = concordant + discordant + tied_found
    return (concordant - discordant) / math.sqrt(n1 * n2) if n1 and n2 else 0.0


def top3(scores: dict[str, float]) -> set[str]:
    return set(sorted(scores, key=lambda t: (-scores[t], t))[:3])


def measure(runs: int = 30, seed: int = 2027) -> dict[str, dict[str, tuple[float, float]]]:
    """scenario label -> method -> (mean tau, share of runs finding the true top 3)."""
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for n, scenario in enumerate(SCENARIOS):
        taus: dict[str, list[float]] = {m: [] for m in METHODS}
        tops: dict[str, int] = dict.fromkeys(METHODS, 0)
        for run in range(runs):
            h = simulate(scenario, seed * 1000 + n * 100 + run)
            best = top3(h.truth)
            for method in METHODS:
                found = RANKERS[method](h)
                taus[method].append(kendall_tau(h.truth, found))
                tops[method] += top3(found) == best
        table[scenario.label] = {m: (sum(taus[m]) / runs, tops[m] / runs) for m in METHODS}
    return table


def render(table: dict[str, dict[str, tuple[float, float]]]) -> str:
    lines = ["| scenario | " + " | ".join(METHODS) + " |", "| --- |" + " --- |" * len(METHODS)]
    for label, row in table.items():
        cells = [f"{row[m][0]:.3f} ({100 * row[m][1]:.0f} %)" for m in METHODS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    means = {m: sum(row[m][0] for row in table.values()) / len(table) for m in METHODS}
    top = {m: sum(row[m][1] for row in table.values()) / len(table) for m in METHODS}
    lines.append("| mean | " + " | ".join(f"**{means[m]:.3f}** ({100 * top[m]:.0f} %)" for m in METHODS) + " |")
    ratio = means["perche"] / means["oracle"]
    others = max(means[m] for m in METHODS if m not in ("perche", "oracle"))
    lines.append("")
    lines.append(
        f"Kendall's tau against the true order (true top 3 found). Perche / oracle: {ratio:.3f}; "
        f"Perche {means['perche']:.3f} against the best other method {others:.3f}."
    )
    return "\n".join(lines)


def run_bench_judging(runs: int = 30, seed: int = 2027) -> int:
    table = measure(runs, seed)
    print(render(table))
    means = {m: sum(row[m][0] for row in table.values()) / len(table) for m in METHODS}
    ok = means["perche"] >= 0.97 * means["oracle"] and all(
        means["perche"] > means[m] for m in METHODS if m not in ("perche", "oracle")
    )
    print("target met" if ok else "target NOT met: Perche below 0.97 of the oracle or below another method")
    return 0 if ok else 1
