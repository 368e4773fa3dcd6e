"""Lower bounds and the careful greedy."""

from __future__ import annotations

import datetime
import itertools
import random

import pytest

from scheduler import Instance, check_solution, lower_bound, unscheduled_lower_bound
from scheduler.bounds import _max_coverage, compute_bounds, firm_lost_tasks
from scheduler.generate import city_instance, small_instance, working_days
from scheduler.greedy import careful_greedy
from scheduler.model import Firm, Officer, Task
from scheduler.prepare import Prepared

DAYS = working_days(datetime.date(2026, 3, 2), 10)


def _instance(windows, closed=(), max_visits=None, officers=None, on_site=None) -> Instance:
    tasks = [
        Task(f"t{i}", "market", "F", (DAYS[a], DAYS[b]), True if on_site is None else on_site[i], 1, None)
        for i, (a, b) in enumerate(windows)
    ]
    officers = officers or [Officer("o", "market", tuple(DAYS), 5, None, ())]
    return Instance(list(DAYS), [Firm("F", "east", max_visits, tuple(DAYS[d] for d in closed))], officers, tasks)


def test_visits_bound_is_the_stabbing_number():
    assert lower_bound(_instance([(0, 2), (1, 4), (5, 7)])) == 2
    assert lower_bound(_instance([(0, 0), (1, 1), (2, 2)])) == 3
    assert lower_bound(_instance([(0, 9), (3, 3)])) == 1


def test_visits_bound_stabs_open_days_only():
    # Day 2 is closed: windows [1,2] and [2,3] can no longer share a day.
    assert lower_bound(_instance([(1, 2), (2, 3)])) == 1
    assert lower_bound(_instance([(1, 2), (2, 3)], closed=(2,))) == 2


def test_visits_bound_caps_and_skips():
    assert lower_bound(_instance([(0, 0), (2, 2), (4, 4)], max_visits=2)) == 2
    # A window with no open day cannot be met and is left out.
    assert lower_bound(_instance([(0, 0), (3, 3)], closed=(3,))) == 1
    # Off-site tasks are not visited.
    assert lower_bound(_instance([(0, 0), (3, 3)], on_site=[True, False])) == 1


def test_firm_lost_tasks_one_visit_and_more():
    P = Prepared(_instance([(0, 1), (1, 2), (5, 6), (8, 9)], max_visits=1))
    assert firm_lost_tasks(P, 0) == 2
    P = Prepared(_instance([(0, 1), (1, 2), (5, 6), (8, 9)], max_visits=2))
    assert firm_lost_tasks(P, 0) == 1
    P = Prepared(_instance([(0, 1), (1, 2), (5, 6), (8, 9)], max_visits=3))
    assert firm_lost_tasks(P, 0) == 0


def _brute_coverage(intervals, points):
    positions = sorted({p for s, e in intervals for p in range(s, e + 1)})
    best = 0
    for chosen in itertools.combinations(positions, min(points, len(positions))):
        best = max(best, sum(1 for s, e in intervals if any(s <= p <= e for p in chosen)))
    return best


@pytest.mark.parametrize("seed", range(30))
def test_max_coverage_matches_brute_force(seed):
    rng = random.Random(seed)
    intervals = []
    for _ in range(rng.randint(1, 7)):
        start = rng.randrange(8)
        intervals.append((start, min(7, start + rng.randint(0, 3))))
    points = rng.randint(1, 3)
    assert _max_coverage(intervals, points) == _brute_coverage(intervals, points)


def test_capacity_bound_counts_officer_slots():
    # Three firms want the same single day; one officer with capacity 2 that day.
    firms = [Firm(f"F{i}", "east", 1, ()) for i in range(3)]
    tasks = [Task(f"t{i}", "market", f"F{i}", (DAYS[4], DAYS[4]), True, 1, None) for i in range(3)]
    officers = [Officer("o", "market", tuple(DAYS), 2, None, ())]
    bounds = compute_bounds(Instance(list(DAYS), firms, officers, tasks))
    assert (bounds.capacity_lost, bounds.firm_lost, bounds.unscheduled) == (1, 0, 1)


def test_capacity_bound_lets_one_team_serve_two_tasks():
    # Two market tasks at one firm share one visit and one team: nothing is lost.
    tasks = [Task(f"t{i}", "market", "F", (DAYS[4], DAYS[4]), True, 1, None) for i in range(2)]
    officers = [Officer("o", "market", tuple(DAYS), 1, None, ())]
    instance = Instance(list(DAYS), [Firm("F", "east", 1, ())], officers, tasks)
    assert unscheduled_lower_bound(instance) == 0


def test_capacity_bound_respects_districts():
    firms = [Firm("E", "east", 1, ()), Firm("W", "west", 1, ())]
    tasks = [Task(f"t{f.id}", "market", f.id, (DAYS[0], DAYS[0]), True, 1, None) for f in firms]
    officers = [Officer("o", "market", (DAYS[0],), 2, ("east",), ())]
    bounds = compute_bounds(Instance(list(DAYS), firms, officers, tasks))
    # West has no officer at all: a forced task, not a capacity one.
    assert (bounds.forced, bounds.capacity_lost, bounds.unscheduled) == (1, 0, 1)


@pytest.mark.parametrize("seed", range(10))
def test_greedy_is_valid_and_within_bounds(seed):
    instance = small_instance(seed, n_firms=10)
    P = Prepared(instance)
    plan = careful_greedy(P, seed=seed)
    solution = plan.to_solution("FEASIBLE", dict(P.reason), {"visits": plan.visit_count()})
    assert check_solution(instance, solution) == []
    assert plan.unscheduled_count() >= unscheduled_lower_bound(P)


def test_greedy_is_deterministic_and_valid_on_a_city():
    instance = city_instance(400, seed=7)
    P = Prepared(instance)
    first, second = careful_greedy(P, seed=1), careful_greedy(P, seed=1)
    assert first.task_day == second.task_day and first.teams == second.teams
    solution = first.to_solution("FEASIBLE", dict(P.reason), {})
    assert check_solution(instance, solution) == []
    bounds = compute_bounds(P)
    assert first.unscheduled_count() >= bounds.unscheduled


def test_the_joint_bound_never_passes_a_proven_optimum_and_often_raises_the_others():
    """The joint LP (firms' day choices and their departments' officers together) bounds every schedule:
    on small instances that the exact strategy solves to proven optimality it never passes the optimum,
    and it is above max(firm_lost, capacity_lost) on some of them."""
    from scheduler import SolverConfig, solve
    from scheduler.bounds import quick_bounds, with_capacity

    raised = proven = 0
    for seed in range(30):
        instance = small_instance(seed, n_firms=12, n_days=4, officers_per_department=2, max_capacity=2,
                                  tasks_per_firm=(2, 3))
        P = Prepared(instance)
        before = with_capacity(P, quick_bounds(P)).unscheduled
        bounds = compute_bounds(P)
        assert bounds.unscheduled >= before
        raised += bounds.unscheduled > before
        solution = solve(instance, SolverConfig(time_limit=10, workers=1, seed=1, strategy="exact"))
        assert bounds.unscheduled <= solution.stats["unscheduled"], seed
        proven += solution.status == "OPTIMAL"
    assert proven >= 25 and raised >= 5, (proven, raised)


def test_the_joint_bound_raises_a_citys_and_stays_below_its_schedules():
    """On the 3,000-task city instance the joint LP of the departments shortest of officers raises the
    bound from 302 to 352 (the best schedules found leave 421 out); the greedy's schedule is above it."""
    from scheduler.bounds import quick_bounds, with_capacity

    P = Prepared(city_instance(3000, seed=1))
    before = with_capacity(P, quick_bounds(P))
    bounds = compute_bounds(P)
    assert (before.unscheduled, bounds.unscheduled) == (302, 352)
    assert bounds.joint_departments and bounds.joint_lost == bounds.unscheduled - bounds.forced
    assert careful_greedy(P, seed=1).unscheduled_count() >= bounds.unscheduled


def test_the_joint_lp_runs_beside_the_search_and_is_stopped_when_not_needed():
    """``solve`` builds and solves the joint LP in a thread; waited for, it raises the bounds as the
    LP solved in this thread does; not waited for (the schedule is proven optimal already), it is stopped,
    also in the middle of GLOP's solve, and the bounds stay as they were."""
    import time

    from scheduler.bounds import quick_bounds, with_capacity
    from scheduler.joint import JointBound, joint_lost, raise_bounds

    P = Prepared(city_instance(3000, seed=1))
    bounds = with_capacity(P, quick_bounds(P))
    # The LP (about 25,000 variables, 3 s) starts when twice its estimated time is left: at once here.
    waited = JointBound(P, bounds, time.monotonic() + 7)
    assert waited.departments and waited.thread is not None
    raised = waited.raised()
    assert raised == raise_bounds(bounds, waited.departments, joint_lost(P, waited.departments))
    assert raised.unscheduled > bounds.unscheduled

    for lead, solving in ((30.0, False), (7.8, True)):  # stopped while it waits for its start, then while it solves
        stopped = JointBound(P, bounds, time.monotonic() + lead)
        while solving and not stopped.cancel.watching:
            assert stopped.thread.is_alive()
            time.sleep(0.005)
        assert stopped.raised(wait=False) == bounds
        stopped.thread.join(10)
        assert not stopped.thread.is_alive() and stopped.result is None

    # Asked for before its start (the search ended early), it starts at once rather than then.
    early = JointBound(P, bounds, time.monotonic() + 60)
    began = time.monotonic()
    assert early.raised() == compute_bounds(P)
    assert time.monotonic() - began < 30

    met = JointBound(P, bounds, time.monotonic() + 60, unscheduled=bounds.unscheduled)
    assert met.thread is None and met.raised() == bounds
