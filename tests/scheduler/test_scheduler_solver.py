"""Solver behaviour on small seeded instances; every result goes through check_solution."""

from __future__ import annotations

import datetime
import random

import pytest

import scheduler.lns
from scheduler import Instance, Solution, SolverConfig, check_solution, lower_bound, solve, unscheduled_lower_bound
from scheduler.generate import city_instance, small_instance, working_days
from scheduler.model import Firm, Officer, Task

DAYS = working_days(datetime.date(2026, 3, 2), 5)


def run(instance: Instance, **options) -> Solution:
    options.setdefault("time_limit", 10.0)
    options.setdefault("workers", 1)
    options.setdefault("seed", 0)
    solution = solve(instance, SolverConfig(**options))
    assert check_solution(instance, solution) == []
    return solution


def scheduled_only(instance: Instance, solution: Solution) -> Instance:
    """The instance restricted to the tasks the solution schedules."""
    done = {t for v in solution.visits for t in v.tasks}
    return Instance(instance.days, instance.firms, instance.officers, [t for t in instance.tasks if t.id in done])


def assert_properties(instance: Instance, solution: Solution) -> None:
    off_site = {t.id for t in instance.tasks if not t.on_site}
    in_visits = [t for v in solution.visits for t in v.tasks]
    assert not off_site & set(in_visits)
    assert not off_site & {u.task for u in solution.unscheduled}
    assert len(in_visits) + len(solution.unscheduled) == len(instance.tasks) - len(off_site)
    assert len(solution.visits) >= lower_bound(scheduled_only(instance, solution))
    assert len(solution.unscheduled) >= unscheduled_lower_bound(instance)
    assert solution.stats["visits"] == len(solution.visits)
    assert solution.stats["lower_bound"] == lower_bound(instance)
    assert all(u.reason.strip() for u in solution.unscheduled)
    assert set(solution.stats["penalties"]) >= {"unscheduled", "visits", "district_spanning_officer_days"}


@pytest.mark.parametrize("seed", range(12))
def test_exact_small_random_instances(seed):
    instance = small_instance(seed)
    solution = run(instance, strategy="exact")
    assert_properties(instance, solution)
    assert solution.status == "OPTIMAL"
    if not solution.unscheduled:
        assert len(solution.visits) >= lower_bound(instance)


@pytest.mark.parametrize("seed", range(8))
def test_decomposed_small_random_instances(seed):
    instance = small_instance(seed, n_firms=10, n_days=6)
    solution = run(instance, strategy="decomposed", time_limit=5.0)
    assert_properties(instance, solution)
    exact = run(instance, strategy="exact")
    assert len(solution.unscheduled) >= len(exact.unscheduled)


def generous_instance(seed: int, n_firms: int = 8, n_days: int = 6) -> Instance:
    """Plenty of officers everywhere every day: the visits lower bound is achievable."""
    rng = random.Random(seed)
    days = working_days(datetime.date(2026, 3, 2), n_days)
    firms = [
        Firm(f"F{i}", rng.choice(["east", "west"]), None, tuple(d for d in days if rng.random() < 0.15))
        for i in range(n_firms)
    ]
    officers = [Officer(f"{k}-{j}", k, tuple(days), 20, None, ("special",)) for k in ("market", "fire") for j in range(4)]
    tasks = []
    for firm in firms:
        for j in range(rng.randint(1, 4)):
            first = rng.randrange(n_days)
            last = min(n_days - 1, first + rng.randint(0, 3))
            tasks.append(
                Task(f"{firm.id}-{j}", rng.choice(["market", "fire"]), firm.id, (days[first], days[last]), True, rng.randint(1, 2), None)
            )
    return Instance(days, firms, officers, tasks)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("strategy", ["exact", "decomposed"])
def test_lower_bound_reached_when_achievable(seed, strategy):
    instance = generous_instance(seed)
    solution = run(instance, strategy=strategy, time_limit=5.0)
    closed = [u for u in solution.unscheduled if u.reason == "window has no day the firm is open"]
    assert len(solution.unscheduled) == len(closed) == unscheduled_lower_bound(instance)
    assert len(solution.visits) == lower_bound(instance)
    assert solution.stats["district_spanning_officer_days"] == 0


def _one_firm(tasks, officers, days=DAYS, closed=(), max_visits=1, district="east") -> Instance:
    return Instance(list(days), [Firm("F", district, max_visits, tuple(closed))], officers, tasks)


def _officer(name, department="market", capacity=2, districts=None, quals=(), days=DAYS):
    return Officer(name, department, tuple(days), capacity, districts, quals)


def _task(name, department="market", window=(DAYS[0], DAYS[-1]), need=1, qualification=None, firm="F", on_site=True):
    return Task(name, department, firm, window, on_site, need, qualification)


def _reason(solution: Solution, task: str) -> str:
    return {u.task: u.reason for u in solution.unscheduled}[task]


def test_reason_window_closed():
    instance = _one_firm([_task("t", window=(DAYS[1], DAYS[2]))], [_officer("o")], closed=DAYS[1:3])
    solution = run(instance)
    assert _reason(solution, "t") == "window has no day the firm is open"
    assert solution.status == "INFEASIBLE"


def test_reason_window_outside_horizon():
    instance = _one_firm([_task("t", window=("2027-01-04", "2027-01-08"))], [_officer("o")])
    assert "horizon" in _reason(run(instance), "t")


def test_reason_no_qualified_officer():
    instance = _one_firm([_task("t", qualification="boilers"), _task("u")], [_officer("o", quals=("food",))])
    solution = run(instance)
    assert _reason(solution, "t") == "no officer of department market is qualified for boilers"
    assert solution.status == "OPTIMAL"
    assert [v.tasks for v in solution.visits] == [["u"]]


def test_reason_no_district_coverage():
    instance = _one_firm([_task("t")], [_officer("o", districts=("west",))])
    assert _reason(run(instance), "t") == "no officer of department market covers district east"


def test_reason_not_enough_officers():
    instance = _one_firm([_task("t", need=3)], [_officer("o1"), _officer("o2")])
    assert "needs 3 officers" in _reason(run(instance), "t")


def test_reason_visit_cap():
    tasks = [_task("a", window=(DAYS[0], DAYS[0])), _task("b", window=(DAYS[3], DAYS[4]))]
    solution = run(_one_firm(tasks, [_officer("o")]))
    assert len(solution.visits) == 1
    reason = _reason(solution, solution.unscheduled[0].task)
    assert reason.startswith("firm's visit cap reached")


def test_reason_officer_capacity():
    firms = [Firm(f"F{i}", "east", 1, ()) for i in range(3)]
    tasks = [_task(f"t{i}", window=(DAYS[2], DAYS[2]), firm=f"F{i}") for i in range(3)]
    instance = Instance(DAYS, firms, [_officer("o", capacity=2)], tasks)
    solution = run(instance)
    assert len(solution.unscheduled) == 1
    assert _reason(solution, solution.unscheduled[0].task) == (
        "officers of department market are at capacity on every open day of the window"
    )
    assert unscheduled_lower_bound(instance) == 1


def test_departments_go_together_once():
    tasks = [
        _task("m", window=(DAYS[0], DAYS[3])),
        _task("f", department="fire", window=(DAYS[2], DAYS[4]), need=2),
        _task("m2", window=(DAYS[1], DAYS[2]), need=2),
    ]
    officers = [_officer("m1"), _officer("m2"), _officer("f1", "fire"), _officer("f2", "fire")]
    solution = run(_one_firm(tasks, officers))
    assert len(solution.visits) == 1
    visit = solution.visits[0]
    assert visit.day == DAYS[2]
    assert sorted(visit.tasks) == ["f", "m", "m2"]
    # one market team of two serves both market tasks
    assert sorted(visit.officers["market"]) == ["m1", "m2"]
    assert sorted(visit.officers["fire"]) == ["f1", "f2"]


def test_off_site_tasks_are_neither_visited_nor_unscheduled():
    tasks = [_task("on"), _task("off", on_site=False)]
    solution = run(_one_firm(tasks, [_officer("o")]))
    assert [v.tasks for v in solution.visits] == [["on"]]
    assert solution.unscheduled == []
    assert solution.stats["off_site_tasks"] == 1


def test_avoids_district_spanning_officer_days():
    days = DAYS[:1]
    firms = [Firm("E", "east", 1, ()), Firm("W", "west", 1, ())]
    officers = [
        _officer("both1", districts=("east", "west"), days=days),
        _officer("both2", districts=("east", "west"), days=days),
    ]
    tasks = [_task("e", window=(days[0], days[0]), firm="E"), _task("w", window=(days[0], days[0]), firm="W")]
    instance = Instance(days, firms, officers, tasks)
    for strategy in ("exact", "decomposed"):
        solution = run(instance, strategy=strategy)
        assert solution.stats["district_spanning_officer_days"] == 0
        assert {tuple(v.officers["market"]) for v in solution.visits} == {("both1",), ("both2",)}


def test_same_seed_same_solution_and_progress_reported():
    instance = small_instance(5, n_firms=8)
    seen: list[tuple[float, str]] = []
    first = solve(instance, SolverConfig(time_limit=10, strategy="exact"), progress=lambda f, m: seen.append((f, m)))
    second = solve(instance, SolverConfig(time_limit=10, strategy="exact"))
    assert first.visits == second.visits and first.unscheduled == second.unscheduled
    assert seen and seen[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in seen)


def test_small_city_decomposed_not_worse_than_greedy(pace):
    instance = city_instance(300, seed=2)
    solution = run(instance, strategy="decomposed", time_limit=6.0)
    assert_properties(instance, solution)
    greedy = solution.stats["greedy"]
    ours = (len(solution.unscheduled), len(solution.visits), solution.stats["district_spanning_officer_days"])
    assert ours <= (greedy["unscheduled"], greedy["visits"], greedy["district_spanning_officer_days"])
    assert solution.stats["seconds"] < pace.seconds(6.0, 4.0)


def test_empty_instance():
    solution = run(Instance(DAYS, [], [], []))
    assert solution.visits == [] and solution.unscheduled == []
    assert solution.status == "OPTIMAL"


def test_decomposed_with_explicit_capacity_flows(monkeypatch):
    # Force the flow formulation the day model uses when a (department, day) has many
    # demand classes, instead of Hall's condition.
    monkeypatch.setattr(scheduler.lns, "add_capacity_hall", lambda *args, **kwargs: False)
    instance = city_instance(250, seed=4)
    solution = run(instance, strategy="decomposed", time_limit=4.0)
    assert_properties(instance, solution)
    assert solution.stats["lns_iterations"] >= 1


def test_the_solve_reports_the_joint_bound_it_proved_beside_the_search():
    """The joint LP runs while the search does: the bound the solve reports is the one ``compute_bounds``
    proves with it (above firm_lost and capacity_lost alone), with the departments it took."""
    from scheduler.bounds import compute_bounds, quick_bounds, with_capacity
    from scheduler.prepare import Prepared

    instance = city_instance(2000, seed=1)
    P = Prepared(instance)
    bounds = compute_bounds(P)
    assert bounds.unscheduled > with_capacity(P, quick_bounds(P)).unscheduled
    # The LP's departments are chosen to fit half the time left (at 1.5e-4 s a variable): all three
    # of this city's need 4.5 s left once the greedy and the capacity LPs are done.
    solution = solve(instance, SolverConfig(time_limit=10, workers=2, seed=1))
    assert check_solution(instance, solution) == []
    stats = solution.stats
    assert stats["unscheduled_lower_bound"] == bounds.unscheduled <= stats["unscheduled"]
    assert stats["unscheduled_joint_departments"] == [P.departments[k] for k in bounds.joint_departments]
