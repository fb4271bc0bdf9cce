"""Team formation: balanced teams for the people who come alone, and top-ups for short teams.

Pure and deterministic: no network, no clock, no global random state. The same problem
and the same seed give the same teams, whether the CLI, the service or the benchmark runs it:
that is why it lives in the kit, which they may all use.

The objective, in words an organiser can repeat (also in the README):

- each team gets a score out of 100: 40 for challenge preferences (each member's points
  for the team's challenge: 1st choice 4, 2nd 3, 3rd 2, any other ranked 1, not ranked 0,
  no preference given 4; averaged over the team), 15 for having someone who codes, 15 for
  having a domain expert (a farmer), 15 for mixed experience, 15 for spread skills (up to
  4 different skills);
- the formation's value is half the average team score plus half the worst team's score,
  so raising the weakest team counts as much as raising all the others together;
- there are as few teams as the size bounds allow;
- the hard rules come first: sizes within the bounds, "together" in one team, "apart"
  in different teams, someone who codes in every team when there are enough coders.
  What cannot be met is reported as a violation that names the rule and the people.

The search builds teams greedily (coders first, then domain experts, then the rest where
they add most), then improves them by moves and swaps drawn from a seeded generator, for a
fixed budget of moves rather than a time limit, so the result is reproducible.
"""

import random
from collections.abc import Sequence
from heapq import heapify, heappop, heappush
from typing import Literal

import msgspec

__all__ = [
    "LEVELS",
    "Experience",
    "ExistingTeam",
    "FormedTeam",
    "Formation",
    "Person",
    "Problem",
    "TeamFacts",
    "Violation",
    "assess",
    "form",
    "team_count",
]

Experience = Literal["beginner", "intermediate", "expert"]
LEVELS: tuple[Experience, ...] = ("beginner", "intermediate", "expert")
Rule = Literal["size", "together", "apart", "coder"]

PREFERENCE_WEIGHT = 40.0
CRITERION_WEIGHT = 15.0  # each of: coder, domain expert, experience mix, skills spread
SKILL_TARGET = 4
RANK_POINTS = (4, 3, 2)  # 1st, 2nd, 3rd choice; any other ranked one gets 1
FULL_POINTS = 4


class Person(msgspec.Struct, frozen=True):
    id: str
    name: str
    skills: tuple[str, ...] = ()
    codes: bool = False
    experience: Experience = "beginner"
    domain_expert: bool = False
    challenges: tuple[str, ...] = ()  # most preferred first; empty: happy with any


class ExistingTeam(msgspec.Struct, frozen=True):
    """A team that keeps its members and may receive more (a top-up)."""

    id: str
    members: tuple[str, ...]
    challenge: str | None = None  # kept when set


class Problem(msgspec.Struct, frozen=True):
    people: tuple[Person, ...]
    challenges: tuple[str, ...]
    min_size: int
    max_size: int
    teams: tuple[ExistingTeam, ...] = ()
    together: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()


class Violation(msgspec.Struct, frozen=True):
    """A hard rule not met. note: too_small, too_large, not_enough_coders, or empty."""

    rule: Rule
    people: tuple[str, ...]
    team: int | None = None
    note: str = ""


class TeamFacts(msgspec.Struct, frozen=True):
    """Why a team scores what it does, for the web and the CLI to put into words."""

    size: int
    coders: int
    domain_experts: int
    levels: tuple[Experience, ...]
    skills: tuple[str, ...]
    first_or_second: int  # members whose 1st or 2nd choice is the team's challenge
    no_preference: int
    kept: int  # members who were already in the team


class FormedTeam(msgspec.Struct, frozen=True):
    members: tuple[str, ...]
    challenge: str | None
    score: float
    facts: TeamFacts
    existing: str | None = None


class Formation(msgspec.Struct, frozen=True):
    teams: tuple[FormedTeam, ...]
    violations: tuple[Violation, ...]
    objective: float


def team_count(people: int, min_size: int, max_size: int, existing: int = 0) -> int | None:
    """As few teams as the bounds allow (at least the existing ones), or None when no count fits."""
    if people == 0:
        return existing
    if min_size < 1 or max_size < min_size:
        return None
    k = max(existing, -(-people // max_size))
    return k if k * min_size <= people else None


def _points(person: Person, challenge: str) -> int:
    if not person.challenges:
        return FULL_POINTS
    if challenge not in person.challenges:
        return 0
    rank = person.challenges.index(challenge)
    return RANK_POINTS[rank] if rank < len(RANK_POINTS) else 1


class Pool:
    """What the scores are measured against: the whole problem's people, as indices (the benchmark's
    exact model reads the same constants)."""

    def __init__(self, problem: Problem) -> None:
        self.people = problem.people
        self.index = {p.id: i for i, p in enumerate(problem.people)}
        if len(self.index) != len(problem.people):
            raise ValueError("two people share an id")
        self.challenges = problem.challenges
        skills = sorted({s for p in problem.people for s in p.skills})
        self.skill_index = {s: i for i, s in enumerate(skills)}
        self.skill_target = min(SKILL_TARGET, len(skills))
        self.level_span = len({p.experience for p in problem.people}) - 1
        self.any_domain = any(p.domain_expert for p in problem.people)
        self.coders = sum(p.codes for p in problem.people)
        self.points = [[_points(p, c) for c in problem.challenges] for p in problem.people]
        self.skills_of = [[self.skill_index[s] for s in set(p.skills)] for p in problem.people]
        self.level_of = [LEVELS.index(p.experience) for p in problem.people]
        self.data = [
            (p.codes, p.domain_expert, self.level_of[i], self.skills_of[i], self.points[i])
            for i, p in enumerate(problem.people)
        ]


class TeamCounters:
    """Counters per team, updated person by person, from which a score is computed at once."""

    def __init__(self, pool: Pool, k: int, fixed: Sequence[int]) -> None:
        self.pool = pool
        c = len(pool.challenges)
        self.size = [0] * k
        self.coders = [0] * k
        self.domain = [0] * k
        self.levels = [[0, 0, 0] for _ in range(k)]
        self.skills: list[dict[int, int]] = [{} for _ in range(k)]
        self.points = [[0] * c for _ in range(k)]
        self.fixed = list(fixed)  # challenge index, or -1 for the best one for the members

    def add(self, t: int, p: int, sign: int = 1) -> None:
        codes, domain, level, skills, points = self.pool.data[p]
        self.size[t] += sign
        if codes:
            self.coders[t] += sign
        if domain:
            self.domain[t] += sign
        self.levels[t][level] += sign
        counts = self.skills[t]
        for s in skills:
            n = counts.get(s, 0) + sign
            if n:
                counts[s] = n
            else:
                del counts[s]
        row = self.points[t]
        if sign > 0:
            self.points[t] = [a + b for a, b in zip(row, points, strict=True)]
        else:
            self.points[t] = [a - b for a, b in zip(row, points, strict=True)]

    def challenge(self, t: int) -> int:
        if self.fixed[t] >= 0 or not self.pool.challenges:
            return self.fixed[t]
        row = self.points[t]
        return row.index(max(row))

    def score(self, t: int) -> float:
        s = self.size[t]
        if s == 0:
            return 0.0
        pool = self.pool
        c = self.challenge(t)
        preference = self.points[t][c] / (FULL_POINTS * s) if c >= 0 else 1.0
        coder = 1.0 if self.coders[t] else 0.0
        domain = 1.0 if self.domain[t] or not pool.any_domain else 0.0
        present = sum(1 for n in self.levels[t] if n)
        mix = (present - 1) / pool.level_span if pool.level_span else 1.0
        spread = min(len(self.skills[t]), pool.skill_target) / pool.skill_target if pool.skill_target else 1.0
        return PREFERENCE_WEIGHT * preference + CRITERION_WEIGHT * (coder + domain + mix + spread)


def _objective(scores: Sequence[float]) -> float:
    return (min(scores) + sum(scores) / len(scores)) / 2 if scores else 0.0


def assess(
    problem: Problem, groups: Sequence[Sequence[str]], challenges: Sequence[str | None] | None = None
) -> Formation:
    """Score any grouping of the problem's people and list the hard rules it breaks.

    The benchmark scores random, greedy and exact groupings with this same function.
    Without `challenges`, each team gets the challenge its members prefer most.
    """
    pool = Pool(problem)
    k = len(groups)
    existing: list[ExistingTeam | None] = [*problem.teams, *([None] * max(0, k - len(problem.teams)))]
    fixed = []
    for t in range(k):
        kept_team = existing[t]
        wanted = challenges[t] if challenges is not None else (kept_team.challenge if kept_team else None)
        fixed.append(problem.challenges.index(wanted) if wanted in problem.challenges else -1)
    state = TeamCounters(pool, k, fixed)
    team_of: dict[str, int] = {}
    for t, group in enumerate(groups):
        for pid in group:
            state.add(t, pool.index[pid])
            team_of[pid] = t
    scores = [state.score(t) for t in range(k)]
    violations: list[Violation] = []
    for t, group in enumerate(groups):
        if len(group) < problem.min_size:
            violations.append(Violation("size", tuple(group), t, "too_small"))
        elif len(group) > problem.max_size:
            violations.append(Violation("size", tuple(group), t, "too_large"))
    for a, b in problem.together:
        if team_of[a] != team_of[b]:
            violations.append(Violation("together", (a, b)))
    for a, b in problem.apart:
        if team_of[a] == team_of[b]:
            violations.append(Violation("apart", (a, b), team_of[a]))
    enough = pool.coders >= k
    for t, group in enumerate(groups):
        if group and not state.coders[t]:
            violations.append(Violation("coder", tuple(group), t, "" if enough else "not_enough_coders"))
    teams = []
    for t, group in enumerate(groups):
        c = state.challenge(t)
        challenge = problem.challenges[c] if c >= 0 else None
        members = [pool.people[pool.index[pid]] for pid in group]
        kept_team = existing[t]
        kept = set(kept_team.members) if kept_team else set()
        facts = TeamFacts(
            size=len(group),
            coders=state.coders[t],
            domain_experts=state.domain[t],
            levels=tuple(level for i, level in enumerate(LEVELS) if state.levels[t][i]),
            skills=tuple(sorted({s for m in members for s in m.skills})),
            first_or_second=sum(1 for m in members if challenge in m.challenges[:2]),
            no_preference=sum(1 for m in members if not m.challenges),
            kept=sum(1 for pid in group if pid in kept),
        )
        teams.append(
            FormedTeam(tuple(group), challenge, round(scores[t], 1), facts, kept_team.id if kept_team else None)
        )
    return Formation(tuple(teams), tuple(violations), round(_objective(scores), 3))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _blocks(problem: Problem, pool: Pool) -> tuple[list[list[int]], list[int]]:
    """People linked "together" as blocks that move as one; each block's pinned team or -1."""
    n = len(pool.people)
    links = _UnionFind(n)
    for a, b in problem.together:
        links.union(pool.index[a], pool.index[b])
    pinned_of = [-1] * n
    for t, team in enumerate(problem.teams):
        for pid in team.members:
            pinned_of[pool.index[pid]] = t
    grouped: dict[tuple[int, int], list[int]] = {}
    for root_people in _components(links, n).values():
        teams_touched = sorted({pinned_of[p] for p in root_people if pinned_of[p] >= 0})
        # A "together" link across two kept teams cannot hold: each kept team stays whole,
        # and the free people of the group join the first one (assess reports the link).
        home = teams_touched[0] if teams_touched else -1
        for p in root_people:
            t = pinned_of[p] if pinned_of[p] >= 0 else home
            grouped.setdefault((root_people[0], t), []).append(p)
    blocks = list(grouped.values())
    pins = [t for (_, t) in grouped]
    return blocks, pins


def _components(links: _UnionFind, n: int) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for p in range(n):
        out.setdefault(links.find(p), []).append(p)
    return out


class _Search:
    def __init__(self, problem: Problem, pool: Pool, k: int, seed: int) -> None:
        self.problem, self.pool, self.k = problem, pool, k
        self.rng = random.Random(seed)
        fixed = [-1] * k
        for t, team in enumerate(problem.teams):
            if team.challenge in problem.challenges:
                fixed[t] = problem.challenges.index(team.challenge)
        self.state = TeamCounters(pool, k, fixed)
        self.blocks, self.pins = _blocks(problem, pool)
        self.block_of = [0] * len(pool.people)
        for b, members in enumerate(self.blocks):
            for p in members:
                self.block_of[p] = b
        self.apart: list[list[int]] = [[] for _ in pool.people]
        for left, right in problem.apart:
            ia, ib = pool.index[left], pool.index[right]
            self.apart[ia].append(ib)
            self.apart[ib].append(ia)
        self.team_of_block = [-1] * len(self.blocks)
        self.members: list[list[int]] = [[] for _ in range(k)]  # the movable blocks of each team
        self.kept: list[list[int]] = [[] for _ in range(k)]  # the pinned ones

    # --- moving blocks ---

    def put(self, b: int, t: int) -> None:
        for p in self.blocks[b]:
            self.state.add(t, p)
        self.team_of_block[b] = t
        (self.kept if self.pins[b] >= 0 else self.members)[t].append(b)

    def take(self, b: int) -> int:
        t = self.team_of_block[b]
        for p in self.blocks[b]:
            self.state.add(t, p, -1)
        self.team_of_block[b] = -1
        self.members[t].remove(b)
        return t

    def clashes(self, b: int, t: int) -> int:
        """Apart partners of block b's people who sit in team t (b itself not counted)."""
        n = 0
        for p in self.blocks[b]:
            for q in self.apart[p]:
                qb = self.block_of[q]
                if qb != b and self.team_of_block[qb] == t:
                    n += 1
        return n

    def size_excess(self, t: int, change: int) -> int:
        s = self.state.size[t] + change
        lo, hi = self.problem.min_size, self.problem.max_size
        return (lo - s if s < lo else 0) + (s - hi if s > hi else 0)

    def team_penalty(self, t: int) -> int:
        s = self.state.size[t]
        lo, hi = self.problem.min_size, self.problem.max_size
        size = (lo - s if s < lo else 0) + (s - hi if s > hi else 0)
        # Counted even when there are too few coders: then as many teams as possible get one.
        coder = 1 if s and not self.state.coders[t] else 0
        return 2 * size + coder

    # --- building ---

    def build(self) -> None:
        free: list[int] = []
        for b, t in enumerate(self.pins):
            if t >= 0:
                self.put(b, t)
            else:
                free.append(b)
        people = self.pool.people
        # Larger blocks first: they are the hardest to fit.
        free.sort(key=lambda b: -len(self.blocks[b]))
        coders = [b for b in free if any(people[p].codes for p in self.blocks[b])]
        experts = [b for b in free if any(people[p].domain_expert for p in self.blocks[b])]
        placed: set[int] = set()
        # One coder for each team first, then one domain expert for each team.
        for counts, candidates in ((self.state.coders, coders), (self.state.domain, experts)):
            queue = [b for b in candidates if b not in placed]
            for t in range(self.k):
                if counts[t]:
                    continue
                for i, b in enumerate(queue):
                    if self.fits(b, t):
                        self.put(b, t)
                        placed.add(b)
                        del queue[i]
                        break
        heap: list[tuple[int, int]] = [(self.state.size[t], t) for t in range(self.k)]
        for b in free:
            if b in placed:
                continue
            popped: list[tuple[int, int]] = []
            while heap and len(popped) < 8:
                size, t = heappop(heap)
                if size != self.state.size[t]:
                    heappush(heap, (self.state.size[t], t))
                    continue
                popped.append((size, t))
            best = min(popped, key=lambda st: (not self.fits(b, st[1]), st[0], -self.gain(b, st[1]), st[1]))
            if not self.fits(b, best[1]):
                fitting = [t for t in range(self.k) if self.fits(b, t)]
                if fitting:
                    best = (self.state.size[fitting[0]], fitting[0])
            for entry in popped:
                heappush(heap, entry)
            self.put(b, best[1])
            heappush(heap, (self.state.size[best[1]], best[1]))

    def fits(self, b: int, t: int) -> bool:
        return self.state.size[t] + len(self.blocks[b]) <= self.problem.max_size and not self.clashes(b, t)

    def gain(self, b: int, t: int) -> float:
        before = self.state.score(t)
        for p in self.blocks[b]:
            self.state.add(t, p)
        after = self.state.score(t)
        for p in self.blocks[b]:
            self.state.add(t, p, -1)
        return after - before

    # --- improving ---

    def improve(self, budget: int) -> None:
        k, rng, state = self.k, self.rng, self.state
        if k < 2:
            return
        movable = [b for b, t in enumerate(self.pins) if t < 0]
        if not movable:
            return
        scores = [state.score(t) for t in range(k)]
        penalty = sum(self.team_penalty(t) for t in range(k))
        total = sum(scores)
        # The lowest scores, kept in a heap with stale entries skipped, so that finding the
        # worst team costs a logarithm rather than a pass over every team.
        version = [0] * k
        heap = [(scores[t], 0, t) for t in range(k)]
        heapify(heap)

        def lowest_team(xa: int, xb: int) -> int:
            kept: list[tuple[float, int, int]] = []
            found = -1
            while heap:
                entry = heappop(heap)
                if entry[1] != version[entry[2]]:
                    continue
                kept.append(entry)
                if entry[2] != xa and entry[2] != xb:
                    found = entry[2]
                    break
            for entry in kept:
                heappush(heap, entry)
            return found

        worst = lowest_team(-1, -1)
        for _ in range(budget):
            # Half the moves start from the worst team: its score is half the objective.
            ta = worst if rng.random() < 0.5 else self.team_of_block[movable[rng.randrange(len(movable))]]
            tb = rng.randrange(k - 1)
            if tb >= ta:
                tb += 1
            ours, theirs = self.members[ta], self.members[tb]
            swap = bool(ours and theirs) and rng.random() < 0.5
            if swap:
                ba, bb = ours[rng.randrange(len(ours))], theirs[rng.randrange(len(theirs))]
                moved = [(ba, tb), (bb, ta)]
            elif ours and (not theirs or rng.random() < 0.5):
                moved = [(ours[rng.randrange(len(ours))], tb)]
            elif theirs:
                moved = [(theirs[rng.randrange(len(theirs))], ta)]
            else:
                continue
            before_clash = sum(self.clashes(b, self.team_of_block[b]) for b, _ in moved)
            if not swap:
                # A move that takes a team out of its bounds by more than the coders and the
                # "apart" links it could mend is refused without being tried: with teams at
                # their largest, most moves are of this kind.
                b, to = moved[0]
                grown = self.size_excess(to, len(self.blocks[b])) - self.size_excess(to, 0)
                shrunk = self.size_excess(self.team_of_block[b], -len(self.blocks[b]))
                shrunk -= self.size_excess(self.team_of_block[b], 0)
                if 2 * (grown + shrunk) > 2 + 2 * before_clash:
                    continue
            before_pen = self.team_penalty(ta) + self.team_penalty(tb)
            origins = [(b, self.take(b)) for b, _ in moved]
            for b, t in moved:
                self.put(b, t)
            after_clash = sum(self.clashes(b, t) for b, t in moved)
            new_penalty = penalty + self.team_penalty(ta) + self.team_penalty(tb) - before_pen
            new_penalty += 2 * (after_clash - before_clash)
            sa, sb = state.score(ta), state.score(tb)
            old_a, old_b = scores[ta], scores[tb]
            new_total = total - old_a - old_b + sa + sb
            other = lowest_team(ta, tb) if worst in (ta, tb) else worst
            new_min = min(sa, sb, scores[other] if other >= 0 else sa)
            old_value = scores[worst] + total / k
            new_value = new_min + new_total / k
            if new_penalty < penalty or (new_penalty == penalty and new_value >= old_value - 1e-9):
                scores[ta], scores[tb] = sa, sb
                version[ta] += 1
                version[tb] += 1
                heappush(heap, (sa, version[ta], ta))
                heappush(heap, (sb, version[tb], tb))
                total, penalty = new_total, new_penalty
                lower = ta if sa <= sb else tb
                worst = other if other >= 0 and scores[other] <= scores[lower] else lower
            else:
                for b, _ in moved:
                    self.take(b)
                for b, t in origins:
                    self.put(b, t)

    def groups(self) -> list[list[str]]:
        ids = [p.id for p in self.pool.people]
        out = []
        for t in range(self.k):
            blocks = sorted(self.kept[t] + self.members[t], key=lambda b: self.blocks[b][0])
            out.append([ids[p] for b in blocks for p in self.blocks[b]])
        return out


def form(problem: Problem, seed: int = 0, moves: int | None = None) -> Formation:
    """Teams for everyone in the problem; never fails: what cannot be met is in the violations.

    Raises ValueError only for a malformed problem (an id that names nobody).
    """
    pool = Pool(problem)
    for a, b in (*problem.together, *problem.apart):
        if a not in pool.index or b not in pool.index:
            raise ValueError(f"a link names nobody: {a} / {b}")
    for team in problem.teams:
        for pid in team.members:
            if pid not in pool.index:
                raise ValueError(f"team {team.id} names nobody: {pid}")
    n = len(problem.people)
    k = team_count(n, problem.min_size, problem.max_size, len(problem.teams))
    if k is None:
        # No count of teams fits the bounds: as many full teams as needed, the sizes reported.
        k = max(len(problem.teams), -(-n // max(problem.max_size, 1)), 1 if n else 0)
    if k == 0:
        return Formation((), (), 0.0)
    search = _Search(problem, pool, k, seed)
    search.build()
    search.improve(moves if moves is not None else 20_000 + 10 * n)
    return assess(problem, search.groups())
