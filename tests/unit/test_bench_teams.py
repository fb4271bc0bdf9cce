"""The benchmark's exact model measures the same objective as the algorithm (when OR-Tools is installed)."""

import pytest

from services.bench.teams import exact, greedy_groups, instance, random_groups
from services.kit.team_formation import assess, form


@pytest.mark.parametrize("n", [9, 12])
def test_the_exact_optimum_is_scored_alike_by_the_model_and_by_assess_and_is_not_beaten(n: int) -> None:
    pytest.importorskip("ortools")
    problem = instance(n, seed=n)
    best, bound, optimal = exact(problem, seconds=30)
    assert optimal
    # The model's proven value is the evaluator's value (to the model's thousandths).
    assert best.objective == pytest.approx(bound, abs=0.01)
    assert [v for v in best.violations if v.note != "not_enough_coders"] == []
    assert form(problem).objective <= best.objective + 1e-9


def test_the_baselines_place_everyone_in_teams_of_the_right_sizes() -> None:
    problem = instance(23, seed=1)
    for groups in (greedy_groups(problem), random_groups(problem, seed=1)):
        assert sorted(p for g in groups for p in g) == sorted(p.id for p in problem.people)
        assert all(problem.min_size <= len(g) <= problem.max_size for g in groups)
        assert assess(problem, groups).objective > 0
