"""Team formation: hard rules held on many seeded instances, violations that name the rule
and the people when a rule cannot be met, reproducible results, short teams topped up."""

import random

import pytest

from services.kit.team_formation import LEVELS, ExistingTeam, Formation, Person, Problem, Violation, assess, form

CHALLENGES = ("eau", "sols", "élevage")


def person(pid: str, codes: bool = False, **kwargs: object) -> Person:
    return Person(id=pid, name=pid.title(), codes=codes, **kwargs)  # type: ignore[arg-type]


def random_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    n = rng.randint(6, 60)
    min_size = rng.randint(2, 4)
    max_size = min_size + rng.randint(0, 2)
    while n < min_size or -(-n // max_size) * min_size > n:
        n += 1
    people = tuple(
        Person(
            id=f"p{i}",
            name=f"P{i}",
            skills=tuple(rng.sample(("python", "web", "design", "agronomie", "pitch"), rng.randint(0, 2))),
            codes=rng.random() < 0.5,
            experience=rng.choice(LEVELS),
            domain_expert=rng.random() < 0.3,
            challenges=tuple(rng.sample(CHALLENGES, rng.randint(0, 3))),
        )
        for i in range(n)
    )
    # Pairs together (never more than two people, so any size from 2 fits them),
    # and apart links between people outside those pairs.
    starts = rng.sample(range(0, n - 1, 2), min(n // 10, len(range(0, n - 1, 2))))
    together = tuple((f"p{a}", f"p{a + 1}") for a in starts)
    linked = {p for pair in together for p in pair}
    free = [f"p{i}" for i in range(n) if f"p{i}" not in linked]
    apart = tuple(tuple(rng.sample(free, 2)) for _ in range(n // 10) if len(free) >= 2)
    return Problem(people, CHALLENGES, min_size, max_size, together=together, apart=apart)  # type: ignore[arg-type]


def team_of(formation: Formation) -> dict[str, int]:
    return {pid: t for t, team in enumerate(formation.teams) for pid in team.members}


@pytest.mark.parametrize("seed", range(40))
def test_the_hard_rules_hold_on_seeded_random_instances(seed: int) -> None:
    problem = random_problem(seed)
    formed = form(problem, moves=3000)
    where = team_of(formed)
    assert sorted(where) == sorted(p.id for p in problem.people)
    assert all(problem.min_size <= len(t.members) <= problem.max_size for t in formed.teams)
    assert all(where[a] == where[b] for a, b in problem.together)
    assert all(where[a] != where[b] for a, b in problem.apart)
    coders = {p.id for p in problem.people if p.codes}
    if len(coders) >= len(formed.teams):
        assert all(coders & set(t.members) for t in formed.teams)
        assert formed.violations == ()
    else:
        # Too few coders: the teams without one are named, and nothing else.
        coderless = [(t.members, i) for i, t in enumerate(formed.teams) if not coders & set(t.members)]
        assert [(v.people, v.team) for v in formed.violations] == coderless
        assert {(v.rule, v.note) for v in formed.violations} == {("coder", "not_enough_coders")}
        paired = sum(1 for a, b in problem.together if a in coders and b in coders)
        assert len(coderless) == len(formed.teams) - (len(coders) - paired)


def test_the_same_problem_and_seed_give_the_same_teams() -> None:
    problem = random_problem(7)
    assert form(problem, seed=3) == form(problem, seed=3)
    assert form(problem) == form(problem)


def test_a_team_without_a_coder_is_named_when_there_are_not_enough_coders() -> None:
    people = (person("ana", codes=True), *(person(f"p{i}") for i in range(5)))
    formed = form(Problem(people, CHALLENGES, 3, 3))
    coderless = [t for t in formed.teams if "ana" not in t.members]
    assert formed.violations == (
        Violation("coder", coderless[0].members, formed.teams.index(coderless[0]), "not_enough_coders"),
    )


def test_two_coders_who_must_stay_together_leave_a_team_without_one_and_say_so() -> None:
    people = (person("ana", codes=True), person("bob", codes=True), *(person(f"p{i}") for i in range(4)))
    formed = form(Problem(people, CHALLENGES, 3, 3, together=(("ana", "bob"),)))
    where = team_of(formed)
    assert where["ana"] == where["bob"]
    other = 1 - where["ana"]
    assert formed.violations == (Violation("coder", formed.teams[other].members, other, ""),)


def test_together_and_apart_on_the_same_pair_keeps_them_together_and_reports_apart() -> None:
    people = tuple(person(f"p{i}", codes=i < 2) for i in range(6))
    formed = form(Problem(people, CHALLENGES, 3, 3, together=(("p2", "p3"),), apart=(("p2", "p3"),)))
    where = team_of(formed)
    assert where["p2"] == where["p3"]
    assert formed.violations == (Violation("apart", ("p2", "p3"), where["p2"]),)


def test_a_together_group_larger_than_the_maximum_stays_together_and_the_size_is_reported() -> None:
    people = tuple(person(f"p{i}", codes=True) for i in range(8))
    together = (("p0", "p1"), ("p1", "p2"), ("p2", "p3"), ("p3", "p4"))
    formed = form(Problem(people, CHALLENGES, 2, 4, together=together))
    where = team_of(formed)
    assert len({where[f"p{i}"] for i in range(5)}) == 1
    big = where["p0"]
    assert Violation("size", formed.teams[big].members, big, "too_large") in formed.violations
    assert {v.rule for v in formed.violations} == {"size"}


def test_no_count_of_teams_fits_the_sizes_and_an_answer_still_comes() -> None:
    people = tuple(person(f"p{i}", codes=True) for i in range(7))
    formed = form(Problem(people, CHALLENGES, 4, 5))
    assert sorted(team_of(formed)) == sorted(p.id for p in people)
    assert [v.rule for v in formed.violations] == ["size"]
    assert formed.violations[0].note in ("too_small", "too_large")


def test_people_linked_together_share_a_team_and_people_apart_do_not() -> None:
    people = tuple(person(f"p{i}", codes=i % 3 == 0, challenges=(CHALLENGES[i % 3],)) for i in range(12))
    together = (("p0", "p5"), ("p5", "p7"))
    apart = (("p1", "p2"), ("p1", "p4"), ("p3", "p6"))
    formed = form(Problem(people, CHALLENGES, 3, 4, together=together, apart=apart))
    where = team_of(formed)
    assert where["p0"] == where["p5"] == where["p7"]
    assert where["p1"] not in (where["p2"], where["p4"])
    assert where["p3"] != where["p6"]
    assert formed.violations == ()


def test_a_short_team_is_topped_up_and_keeps_its_members_and_challenge() -> None:
    people = tuple(person(f"p{i}", codes=i < 4, challenges=("eau",)) for i in range(10))
    kept = ExistingTeam("les-epis", ("p8", "p9"), challenge="sols")
    formed = form(Problem(people, CHALLENGES, 3, 4, teams=(kept,)))
    first = formed.teams[0]
    assert first.existing == "les-epis"
    assert {"p8", "p9"} <= set(first.members)
    assert 3 <= len(first.members) <= 4
    assert first.challenge == "sols"
    assert first.facts.kept == 2
    assert [t.existing for t in formed.teams[1:]] == [None] * (len(formed.teams) - 1)
    assert formed.violations == ()


def test_the_facts_say_why_a_team_scores_what_it_does() -> None:
    people = (
        person("ana", codes=True, experience="expert", skills=("python",), challenges=("eau", "sols")),
        person("bea", experience="beginner", domain_expert=True, skills=("élevage",), challenges=("sols", "eau")),
        person("cyr", experience="beginner", challenges=("élevage",)),
        person("dan"),
    )
    formed = assess(Problem(people, CHALLENGES, 3, 4), [["ana", "bea", "cyr", "dan"]])
    team = formed.teams[0]
    assert team.challenge == "eau"  # 4 + 3 + 0 + 4 points, against 3 + 4 + 0 + 4 for sols
    assert (team.facts.coders, team.facts.domain_experts, team.facts.first_or_second) == (1, 1, 2)
    assert team.facts.levels == ("beginner", "expert")
    assert team.facts.skills == ("python", "élevage")
    assert team.facts.no_preference == 1
    # 40 * 11/16 for preferences, 15 each for a coder and a farmer, mix 15 * 1/1, skills 15 * 2/2.
    assert team.score == round(40 * 11 / 16 + 60, 1)


def test_the_worst_team_counts_half_the_objective() -> None:
    people = tuple(person(f"p{i}", codes=True, challenges=("eau",) if i < 3 else ("sols",)) for i in range(6))
    problem = Problem(people, CHALLENGES, 3, 3)
    split = assess(problem, [["p0", "p1", "p2"], ["p3", "p4", "p5"]])
    mixed = assess(problem, [["p0", "p1", "p3"], ["p2", "p4", "p5"]])
    assert split.objective > mixed.objective
    assert form(problem).objective == split.objective


def test_a_link_naming_nobody_is_a_malformed_problem() -> None:
    with pytest.raises(ValueError):
        form(Problem((person("ana"),), CHALLENGES, 1, 2, together=(("ana", "zoe"),)))


@pytest.mark.parametrize("seed", range(5))
def test_the_search_keeps_its_running_scores_equal_to_a_fresh_assessment(seed: int) -> None:
    from services.kit.team_formation import Pool, _Search, team_count

    problem = random_problem(100 + seed)
    pool = Pool(problem)
    k = team_count(len(problem.people), problem.min_size, problem.max_size)
    assert k is not None
    search = _Search(problem, pool, k, seed)
    search.build()
    search.improve(2000)
    fresh = assess(problem, search.groups())
    assert [round(search.state.score(t), 1) for t in range(k)] == [t.score for t in fresh.teams]
