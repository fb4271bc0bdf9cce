"""`perche bench teams`: how close team formation comes to the optimum, and how fast it is.

- small instances (12 to 40 people): our objective against the optimum found by
  OR-Tools CP-SAT on the very same objective and hard rules (targets: within 2% on
  average, never worse than 5%). CP-SAT comes from the optional `bench` extra
  (`pip install -e '.[bench]'`); Perche never needs it at run time;
- the same and larger instances: against random assignment and a simple greedy (each
  person in file order to the team with room where they add most, links ignored), on
  the objective and on the hard rules each breaks;
- time for 1,000 people (target under 2 s) and 5,000 (under 10 s).

Every grouping, whoever made it, is scored by `services.kit.team_formation.assess`.
"""

import random
import sys
import time
from collections.abc import Sequence

from services.kit.team_formation import LEVELS, Formation, Person, Pool, Problem, TeamCounters, assess, form, team_count

CHALLENGES = ("eau", "sols", "élevage", "circuits courts")
SKILLS = ("python", "data", "web", "design", "électronique", "pitch", "agronomie", "élevage", "compta")
EXACT_SIZES = (12, 16, 20, 24, 28, 32, 36, 40)
LARGE_SIZES = (100, 300, 1000)
TIMED_SIZES = ((1000, 2.0), (5000, 10.0))
TARGET_MEAN_GAP, TARGET_WORST_GAP = 2.0, 5.0


def instance(n: int, seed: int, min_size: int = 3, max_size: int = 5) -> Problem:
    """A hackathon's people: about 40% code, 20% farmers, a few together and apart links."""
    rng = random.Random(seed)
    people = []
    for i in range(n):
        farmer = rng.random() < 0.2
        skills = set(rng.sample(SKILLS[:6], rng.randint(0, 2)))
        if farmer:
            skills.add(rng.choice(SKILLS[6:]))
        people.append(
            Person(
                id=f"p{i}",
                name=f"Personne {i}",
                skills=tuple(sorted(skills)),
                codes=rng.random() < 0.4,
                experience=rng.choice(LEVELS),
                domain_expert=farmer,
                challenges=tuple(rng.sample(CHALLENGES, rng.randint(0, 3))),
            )
        )
    pairs = rng.sample(range(n - 1), max(1, n // 12))
    together = tuple((f"p{a}", f"p{a + 1}") for a in pairs)
    joined = {p for pair in together for p in pair}
    apart = []
    while len(apart) < max(1, n // 12):
        a, b = rng.sample(range(n), 2)
        if f"p{a}" not in joined and f"p{b}" not in joined:
            apart.append((f"p{a}", f"p{b}"))
    return Problem(tuple(people), CHALLENGES, min_size, max_size, together=together, apart=tuple(apart))


def _sizes(problem: Problem) -> list[int]:
    n = len(problem.people)
    k = team_count(n, problem.min_size, problem.max_size) or 1
    return [n // k + (1 if t < n % k else 0) for t in range(k)]


def random_groups(problem: Problem, seed: int) -> list[list[str]]:
    ids = [p.id for p in problem.people]
    random.Random(seed).shuffle(ids)
    groups, start = [], 0
    for size in _sizes(problem):
        groups.append(ids[start : start + size])
        start += size
    return groups


def greedy_groups(problem: Problem) -> list[list[str]]:
    """Each person in file order to the team with room where they add most; no look-ahead, no links."""
    pool = Pool(problem)
    room = _sizes(problem)
    k = len(room)
    state = TeamCounters(pool, k, [-1] * k)
    groups: list[list[str]] = [[] for _ in range(k)]
    for p, person in enumerate(pool.people):
        best, best_gain = -1, 0.0
        for t in range(k):
            if len(groups[t]) >= room[t]:
                continue
            before = state.score(t)
            state.add(t, p)
            gain = state.score(t) - before
            state.add(t, p, -1)
            if best < 0 or gain > best_gain:
                best, best_gain = t, gain
        state.add(best, p)
        groups[best].append(person.id)
    return groups


def exact(problem: Problem, seconds: float, hint: Sequence[Sequence[str]] = ()) -> tuple[Formation, float, bool]:
    """CP-SAT on the same objective: the best grouping found, the proven bound, and whether it is optimal.

    With a hint (our own teams), CP-SAT starts from them, so what it returns is at least as good:
    the reference we are measured against is then the better of the two.
    """
    from ortools.sat.python import cp_model

    pool = Pool(problem)
    people, n = problem.people, len(problem.people)
    k = team_count(n, problem.min_size, problem.max_size)
    assert k is not None
    teams, cs = range(k), range(len(problem.challenges))
    span = pool.level_span
    target = pool.skill_target
    model = cp_model.CpModel()
    x = {(p, t): model.new_bool_var(f"x{p}_{t}") for p in range(n) for t in teams if t <= p}
    for p in range(n):
        model.add_exactly_one(x[p, t] for t in teams if t <= p)  # teams are alike: person p in team <= p

    def member(p: int, t: int) -> "cp_model.IntVar | int":
        return x.get((p, t), 0)

    for a, b in problem.together:
        ia, ib = pool.index[a], pool.index[b]
        for t in teams:
            model.add(member(ia, t) == member(ib, t))
    for a, b in problem.apart:
        ia, ib = pool.index[a], pool.index[b]
        for t in teams:
            model.add(member(ia, t) + member(ib, t) <= 1)
    scaled = []
    minimum = model.new_int_var(0, 100_000, "min")
    coders = [p for p in range(n) if people[p].codes]
    for t in teams:
        size = sum(member(p, t) for p in range(n))
        sizes = {s: model.new_bool_var(f"s{t}_{s}") for s in range(problem.min_size, problem.max_size + 1)}
        model.add_exactly_one(sizes.values())
        model.add(size == sum(s * v for s, v in sizes.items()))
        if len(coders) >= k:
            model.add(sum(member(p, t) for p in coders) >= 1)
        chosen = [model.new_bool_var(f"y{t}_{c}") for c in cs]
        if chosen:
            model.add_exactly_one(chosen)
        preference = []
        for p in range(n):
            for c in cs:
                points = pool.points[p][c]
                if points and (p, t) in x:
                    z = model.new_bool_var("")
                    model.add_implication(z, x[p, t])
                    model.add_implication(z, chosen[c])
                    preference.append(points * z)
        coder = model.new_bool_var("")
        model.add(coder <= sum(member(p, t) for p in coders))
        domain = model.new_bool_var("")
        model.add(domain <= sum(member(p, t) for p in range(n) if people[p].domain_expert))
        levels = []
        for i in range(len(LEVELS)):
            present = model.new_bool_var("")
            model.add(present <= sum(member(p, t) for p in range(n) if pool.level_of[p] == i))
            levels.append(present)
        covered = []
        for s in pool.skill_index.values():
            have = model.new_bool_var("")
            model.add(have <= sum(member(p, t) for p in range(n) if s in pool.skills_of[p]))
            covered.append(have)
        if target:
            model.add(sum(covered) <= target)
        # score = 10 * preference / size + 15 * (coder + domain + mix + spread), in thousandths:
        # multiplied by size * span * target so that every term is an integer.
        d_span, d_target = max(span, 1), max(target, 1)
        score = model.new_int_var(0, 100_000, f"score{t}")
        for s, chosen_size in sizes.items():
            mix = 15 * d_target * (sum(levels) - 1) if span else 15 * d_target * d_span
            spread = 15 * d_span * sum(covered) if target else 15 * d_span * d_target
            dom = 15 * d_span * d_target * (domain if pool.any_domain else 1)
            pref = 10 * d_span * d_target * sum(preference) if cs else 10 * d_span * d_target * s
            rhs = pref + s * (15 * d_span * d_target * coder + dom + mix + spread)
            model.add(score * s * d_span * d_target <= 1000 * rhs).only_enforce_if(chosen_size)
        model.add(minimum <= score)
        scaled.append(score)
    model.maximize(k * minimum + sum(scaled))
    index = pool.index
    # Teams in the order of their first member, so that person p is in a team numbered <= p.
    for t, group in enumerate(sorted(hint, key=lambda g: min(index[pid] for pid in g))):
        for pid in group:
            for u in teams:
                if (index[pid], u) in x:
                    model.add_hint(x[index[pid], u], u == t)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no grouping for {n} people ({solver.status_name(status)})")
    groups: list[list[str]] = [[] for _ in teams]
    for (p, t), var in x.items():
        if solver.value(var):
            groups[t].append(people[p].id)
    bound = solver.best_objective_bound / (2000 * k)
    return assess(problem, groups), bound, status == cp_model.OPTIMAL


def _broken(formation: Formation) -> int:
    return sum(1 for v in formation.violations if v.note != "not_enough_coders")


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def run_bench_teams(solver_seconds: float) -> int:
    try:
        import ortools  # noqa: F401
    except ImportError:
        print("error: the exact solver is missing: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    lines = [
        _row(
            [
                "people",
                "ours",
                f"CP-SAT from ours ({solver_seconds:g} s)",
                "bound",
                "gap",
                "greedy",
                "random",
                "rules broken ours/greedy/random",
            ]
        ),
        _row(["---:"] * 8),
    ]
    gaps = []
    for n in EXACT_SIZES:
        problem = instance(n, seed=n)
        ours = form(problem)
        best, bound, optimal = exact(problem, solver_seconds, hint=[t.members for t in ours.teams])
        reference = max(best.objective, ours.objective)
        gap = 100 * (reference - ours.objective) / reference
        gaps.append(gap)
        greedy = assess(problem, greedy_groups(problem))
        rand = assess(problem, random_groups(problem, seed=n))
        lines.append(
            _row(
                [
                    n,
                    f"{ours.objective:.2f}",
                    f"{best.objective:.2f}{'' if optimal else ' (not proven)'}",
                    f"{bound:.2f}",
                    f"{gap:.2f}%",
                    f"{greedy.objective:.2f}",
                    f"{rand.objective:.2f}",
                    f"{_broken(ours)} / {_broken(greedy)} / {_broken(rand)}",
                ]
            )
        )
        print(lines[-1], file=sys.stderr)
    for n in LARGE_SIZES:
        problem = instance(n, seed=n)
        ours = form(problem)
        greedy = assess(problem, greedy_groups(problem))
        rand = assess(problem, random_groups(problem, seed=n))
        lines.append(
            _row(
                [
                    n,
                    f"{ours.objective:.2f}",
                    "—",
                    "—",
                    "—",
                    f"{greedy.objective:.2f}",
                    f"{rand.objective:.2f}",
                    f"{_broken(ours)} / {_broken(greedy)} / {_broken(rand)}",
                ]
            )
        )
        print(lines[-1], file=sys.stderr)
    mean_gap, worst_gap = sum(gaps) / len(gaps), max(gaps)
    lines.append("")
    lines.append(
        f"gap to the best known (the optimum where proven): {mean_gap:.2f}% on average "
        f"(target under {TARGET_MEAN_GAP:g}%), "
        f"{worst_gap:.2f}% at worst (target under {TARGET_WORST_GAP:g}%)"
    )
    timed_ok = True
    for n, limit in TIMED_SIZES:
        problem = instance(n, seed=n)
        started = time.perf_counter()
        formed = form(problem)
        elapsed = time.perf_counter() - started
        timed_ok = timed_ok and elapsed < limit
        lines.append(
            f"{n} people: {elapsed:.2f} s (target under {limit:g} s), "
            f"{len(formed.teams)} teams, {_broken(formed)} rules broken"
        )
    print("\n".join(lines))
    met = mean_gap < TARGET_MEAN_GAP and worst_gap < TARGET_WORST_GAP and timed_ok
    return 0 if met else 1
