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
