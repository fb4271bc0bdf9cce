"""`perche bench judging`'s parts: the simulation is seeded, and each ranking method does what it says."""

from services.bench.judging import (
    METHODS,
    RANKERS,
    SCENARIOS,
    Scenario,
    crowd_bt,
    kendall_tau,
    measure,
    render,
    simulate,
)


def test_the_same_seed_simulates_the_same_hackathon() -> None:
    scenario = Scenario(10, 5, 3)
    assert simulate(scenario, 4).marks == simulate(scenario, 4).marks
    assert simulate(scenario, 4).marks != simulate(scenario, 5).marks


def test_an_incomplete_jury_gives_each_team_the_same_number_of_jurors() -> None:
    h = simulate(Scenario(14, 9, 4), 1)
    seen = {t: sum(t in v for v in h.visits.values()) for t in h.truth}
    assert set(seen.values()) == {4}


def test_kendall_tau_is_one_for_the_same_order_and_minus_one_for_the_reverse() -> None:
    truth = {"a": 3.0, "b": 2.0, "c": 1.0}
    assert kendall_tau(truth, {"a": 30.0, "b": 20.0, "c": 10.0}) == 1.0
    assert kendall_tau(truth, {"a": 1.0, "b": 2.0, "c": 3.0}) == -1.0


def test_crowd_bt_puts_the_team_that_wins_every_comparison_first() -> None:
    h = simulate(Scenario(8, 5, None), 3)
    best = max(h.truth, key=lambda t: h.truth[t])
    # Every juror gives the best team full marks and the others nothing.
    h.marks = [m.__class__(m.juror, m.team, m.criterion, 10.0 if m.team == best else 0.0) for m in h.marks]
    found = crowd_bt(h)
    assert max(found, key=lambda t: found[t]) == best


def test_every_method_is_measured_on_every_scenario_and_the_table_names_them() -> None:
    table = measure(runs=1)
    assert list(table) == [s.label for s in SCENARIOS]
    assert all(set(row) == set(METHODS) == set(RANKERS) for row in table.values())
    text = render(table)
    assert all(method in text for method in METHODS) and "Perche / oracle" in text
