"""Time limits, early stops at the bounds, the officer queues and the second generator.

Timing checks here are properties with generous margins (the suite may share a loaded
two-core machine), not benchmarks: see benchmarks/scheduler.py for those.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict

import pytest

from scheduler import Instance, SolverConfig, check_solution, lower_bound, solve, unscheduled_lower_bound
from scheduler.bounds import compute_bounds
from scheduler.generate import city_instance, small_instance, varied_instance, working_days
from scheduler.greedy import careful_greedy
from scheduler.model import Firm, Officer, Task
from scheduler.plan import Plan
from scheduler.prepare import ANY, Prepared


def _solve(instance: Instance, **options):
    options.setdefault("workers", 1)
    options.setdefault("seed", 0)
    solution = solve(instance, SolverConfig(**options))
    assert check_solution(instance, solution) == []
    return solution


def test_short_time_limit_is_respected_on_a_medium_instance(pace):
    instance = city_instance(4000, seed=3)
    began = time.monotonic()
    solution = _solve(instance, time_limit=0.5)
    assert time.monotonic() - began < pace.seconds(0.5, 2.5)
    assert solution.status in ("FEASIBLE", "OPTIMAL")
    assert solution.stats["first_feasible_seconds"] <= solution.stats["seconds"]
    on_site = sum(1 for t in instance.tasks if t.on_site)
    assert len(solution.unscheduled) + sum(len(v.tasks) for v in solution.visits) == on_site


def test_greedy_cut_short_by_its_deadline_is_valid():
    instance = varied_instance(2000, seed=2, capacity="tight")
    P = Prepared(instance)
    plan = careful_greedy(P, seed=0, deadline=time.monotonic() - 1.0)
    assert plan.cut_short
    full = careful_greedy(P, seed=0)
    assert not full.cut_short
    assert plan.unscheduled_count() >= full.unscheduled_count()


def easy_instance(seed: int, n_firms: int = 120, n_days: int = 10) -> Instance:
    """Plenty of officers everywhere every day: every bound is reached by the greedy."""
    rng = random.Random(seed)
    days = working_days(datetime.date(2026, 3, 2), n_days)
    firms = [Firm(f"F{i}", rng.choice(["east", "west"]), 1, ()) for i in range(n_firms)]
    officers = [Officer(f"{k}-{j}", k, tuple(days), 50, None, ()) for k in ("market", "fire") for j in range(6)]
    tasks = []
    for firm in firms:
        day = rng.randrange(n_days)
        for j, department in enumerate(rng.sample(["market", "fire"], rng.randint(1, 2))):
            first = max(0, day - rng.randint(0, 3))
            last = min(n_days - 1, day + rng.randint(0, 3))
            tasks.append(Task(f"{firm.id}-{j}", department, firm.id, (days[first], days[last]), True, rng.randint(1, 2)))
    return Instance(days, firms, officers, tasks)


@pytest.mark.parametrize("seed", range(3))
def test_optimal_as_soon_as_the_bounds_are_met(seed):
    instance = easy_instance(seed)
    began = time.monotonic()
    solution = _solve(instance, time_limit=60.0)
    assert time.monotonic() - began < 20.0  # it stops at the bounds, not at the limit
    assert solution.status == "OPTIMAL"
    assert len(solution.unscheduled) == unscheduled_lower_bound(instance) == 0
    assert len(solution.visits) == lower_bound(instance)
    assert solution.stats["district_spanning_officer_days"] == 0
    assert solution.stats["within_1pct_seconds"] is not None
    assert solution.stats["optimal_objectives"] == ["unscheduled", "visits", "district_spanning_officer_days"]


@pytest.mark.parametrize("capacity", ["tight", "loose"])
@pytest.mark.parametrize("seed", range(2))
def test_checker_accepts_every_result_of_the_second_family(capacity, seed):
    instance = varied_instance(300, seed=seed, capacity=capacity)
    solution = _solve(instance, time_limit=1.5)
    assert solution.status in ("FEASIBLE", "OPTIMAL")
    assert len(solution.unscheduled) >= unscheduled_lower_bound(instance)
    if solution.status == "OPTIMAL":
        assert len(solution.visits) == lower_bound(instance)
    # The terms said proven are those at their bounds, in the objective's order.
    stats, proven = solution.stats, solution.stats["optimal_objectives"]
    at_bound = [stats["unscheduled"] <= stats["unscheduled_lower_bound"], stats["visits"] <= stats["lower_bound"],
                stats["district_spanning_officer_days"] == 0]
    if stats["strategy"] == "decomposed":
        assert len(proven) == (at_bound + [False]).index(False)
    assert (solution.status == "OPTIMAL") == (len(proven) == 3)


def test_second_generator_is_seeded():
    a = varied_instance(500, seed=4, capacity="loose")
    b = varied_instance(500, seed=4, capacity="loose")
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != varied_instance(500, seed=4, capacity="tight").to_dict()
    with pytest.raises(ValueError):
        varied_instance(10, capacity="medium")


def test_bounds_stay_valid_when_the_deadline_cuts_the_capacity_lp():
    P = Prepared(city_instance(2000, seed=5))
    full = compute_bounds(P)
    cut = compute_bounds(P, deadline=time.monotonic() - 1.0)
    assert cut.capacity_skipped and not full.capacity_skipped
    assert cut.visits == full.visits
    assert cut.forced + cut.firm_lost <= cut.unscheduled <= full.unscheduled


def _brute_force(plan: Plan, k: int, district, qualification, d: int) -> list[tuple]:
    """(spans, breadth, waste) of every eligible officer with capacity left, best first."""
    P = plan.P
    out = []
    for o in P.eligible(k, district, qualification):
        if not (P.officer_days_mask[o] >> d & 1) or plan.rem[o][d] <= 0:
            continue
        covered = P.officer_districts[o]
        out.append((
            plan.spans(o, d, district),
            99 if covered is None else len(covered),
            len(P.officer_quals[o]) if qualification is ANY else 0,
        ))
    return sorted(out)


@pytest.mark.parametrize("seed", range(6))
def test_officer_queues_agree_with_a_full_sort(seed):
    """After random team changes, the officers picked rank like a full sort on every
    criterion but the load (a tie-break the queues may see a little late)."""
    instance = small_instance(seed, n_firms=12, n_days=4, n_districts=3, officers_per_department=6, max_capacity=3)
    P = Prepared(instance)
    plan = Plan(P)
    rng = random.Random(seed)
    districts = sorted({r for r in P.firm_district})
    firms_of = {r: [f for f in range(len(P.firm_ids)) if P.firm_district[f] == r] for r in districts}
    qualifications = [ANY] + sorted({q for q in P.task_qual if q is not None})
    for _ in range(60):
        k = rng.randrange(len(P.departments))
        d = rng.randrange(P.n_days)
        r = rng.choice(districts)
        f = rng.choice(firms_of[r])
        if (f, d) in plan.teams and k in plan.teams[(f, d)] and rng.random() < 0.4:
            plan.clear_team(f, d, k)
            continue
        q = rng.choice(qualifications)
        need = rng.randint(1, 2)
        picked = plan.queues.pick(k, r, q, d, need, set())
        expected = _brute_force(plan, k, r, q, d)
        if len(expected) < need:
            assert picked is None
            continue
        assert picked is not None and len(set(picked)) == need
        got = sorted(_brute_force_one(plan, o, r, q, d) for o in picked)
        assert got == expected[:need]
        if (f, d) not in plan.teams or k not in plan.teams[(f, d)]:
            plan.set_team(f, d, k, picked)


def _brute_force_one(plan: Plan, o: int, district, qualification, d: int) -> tuple:
    P = plan.P
    covered = P.officer_districts[o]
    return (
        plan.spans(o, d, district),
        99 if covered is None else len(covered),
        len(P.officer_quals[o]) if qualification is ANY else 0,
    )


def _staffed_greedily(P: Prepared, plan: Plan) -> int:
    """Unscheduled tasks of ``plan``'s days once each (department, day) is staffed greedily."""
    from scheduler.lns import DayLNS

    search = DayLNS(P, plan.copy_days(), SolverConfig(workers=1))
    return plan.unscheduled_count() + sum(search._staffing_loss(*key, firms) for key, firms in search.day_firms.items())


def test_day_search_counts_the_tasks_staffing_would_leave_out():
    """The day model aggregates officers; a move it accepts must not lose, once teams of
    distinct officers are drawn, more tasks than it placed: tasks placed plus tasks a
    greedy staffing leaves out never get worse than the start's."""
    from scheduler.lns import improve_days

    P = Prepared(city_instance(2000, seed=1))
    start = careful_greedy(P, seed=0)
    config = SolverConfig(workers=1, seed=1, neighbourhood_vars=300)
    plan, extra = improve_days(P, start, config, time.monotonic() + 5.0, compute_bounds(P), lambda *_: None)
    assert extra["lns_iterations"] > 0
    assert _staffed_greedily(P, plan) <= _staffed_greedily(P, start)


def test_day_search_keeps_every_sub_model_solvable():
    """A multi-visit firm's visit counts toward a class's visits (one officer slot each) only when the
    plan, once the move is applied, gives it slots of that class. Counted on days its tasks of the class
    were not done, a move could place more than the officers can then serve, and every later sub-model
    over that (department, day) had no solution (seven of this run's sub-models, before)."""
    from scheduler.lns import improve_days

    P = Prepared(city_instance(2000, seed=1))
    start = careful_greedy(P, seed=0)
    config = SolverConfig(workers=1, seed=1, neighbourhood_vars=300)
    plan, extra = improve_days(P, start, config, time.monotonic() + 6.0, compute_bounds(P), lambda *_: None)
    assert extra["lns_iterations"] >= 3
    assert extra["lns_infeasible"] == 0
    assert plan.unscheduled_count() <= start.unscheduled_count()


class _Clock:
    """A monotonic clock that advances ``step`` seconds at every reading."""

    def __init__(self, step: float):
        self.now = 0.0
        self.step = step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


def test_greedy_hurries_for_its_deadline_instead_of_stopping(monkeypatch):
    """Running late at its pace, the greedy tries fewer days per visit and still places
    every candidate visit; with time to spare it is the careful greedy unchanged."""
    import scheduler.greedy as greedy_module

    instance = varied_instance(1500, seed=3, capacity="tight")
    P = Prepared(instance)
    careful = careful_greedy(P, seed=0)
    clock = _Clock(1.0)
    monkeypatch.setattr(greedy_module, "time", clock)
    relaxed = careful_greedy(P, seed=0, deadline=1e9)
    assert not relaxed.hurried and not relaxed.cut_short
    assert relaxed.task_day == careful.task_day
    # Time for every reading of the clock the careful greedy made, and a little more:
    # at its pace the careful greedy would not be done by then.
    readings = clock.now
    monkeypatch.setattr(greedy_module, "time", _Clock(1.0))
    hurried = careful_greedy(P, seed=0, deadline=readings + 4.0)
    assert hurried.hurried and not hurried.cut_short
    solution = hurried.to_solution("FEASIBLE", {}, {})
    assert check_solution(instance, solution) == []
    assert hurried.unscheduled_count() <= 1.1 * careful.unscheduled_count() + 10


def test_greedy_late_for_its_reserve_places_every_visit_before_its_deadline(monkeypatch):
    """Paced for a time already gone (its caller's reserve for the output), the greedy hurries at
    once but places its last visits in the reserve rather than leave them out: only the deadline
    itself cuts it short."""
    import scheduler.greedy as greedy_module

    instance = varied_instance(1500, seed=3, capacity="tight")
    P = Prepared(instance)
    careful = careful_greedy(P, seed=0)
    clock = _Clock(1.0)
    monkeypatch.setattr(greedy_module, "time", clock)
    careful_greedy(P, seed=0, deadline=1e9)
    readings = clock.now
    monkeypatch.setattr(greedy_module, "time", _Clock(1.0))
    late = careful_greedy(P, seed=0, deadline=readings + 4.0, reserve=readings)
    assert late.hurried and not late.cut_short
    assert check_solution(instance, late.to_solution("FEASIBLE", {}, {})) == []
    assert late.unscheduled_count() <= 1.1 * careful.unscheduled_count() + 10
    monkeypatch.setattr(greedy_module, "time", _Clock(1.0))
    cut = careful_greedy(P, seed=0, deadline=readings / 4, reserve=readings)
    assert cut.hurried and cut.cut_short
    assert cut.unscheduled_count() > late.unscheduled_count()


def test_every_phase_keeps_a_short_time_limit_at_scale(pace):
    """Preparation, greedy, bounds, search, staffing and output together stay near a
    one-second limit on 20,000 tasks, and the answer is valid."""
    instance = varied_instance(20000, seed=1, capacity="tight")
    began = time.monotonic()
    solution = solve(instance, SolverConfig(time_limit=1.0, workers=1, seed=0))
    assert time.monotonic() - began < pace.seconds(1.0, 1.5)
    assert check_solution(instance, solution) == []
    on_site = sum(1 for t in instance.tasks if t.on_site)
    assert len(solution.unscheduled) < on_site
    assert solution.stats["first_feasible_seconds"] <= solution.stats["seconds"]


def test_capacity_lp_is_skipped_when_the_quick_bound_meets_the_schedule():
    from scheduler.bounds import quick_bounds, with_capacity

    P = Prepared(city_instance(2000, seed=5))
    quick = quick_bounds(P)
    full = compute_bounds(P)
    assert quick.capacity_skipped and quick.visits == full.visits
    assert quick.unscheduled <= full.unscheduled
    met = with_capacity(P, quick, unscheduled=quick.unscheduled)
    assert met.unscheduled == quick.unscheduled and not met.capacity_skipped
    assert with_capacity(P, quick, unscheduled=quick.unscheduled + 1) == with_capacity(P, quick)
    assert with_capacity(P, quick).unscheduled <= full.unscheduled  # the joint LP may raise it further


def test_departments_whose_capacity_lp_would_overrun_are_skipped_alone(monkeypatch):
    import scheduler.bounds as bounds_module

    P = Prepared(city_instance(2000, seed=5))
    full = compute_bounds(P)
    sizes = sorted(len({P.task_firm[t] for t in range(P.n_tasks) if P.task_dept[t] == k}) for k in range(len(P.departments)))
    # Only departments of fewer than the median number of firms fit in the deadline.
    monkeypatch.setattr(bounds_module, "LP_SECONDS_PER_GROUP", 100.0 / sizes[len(sizes) // 2])
    cut = compute_bounds(P, deadline=time.monotonic() + 99.0)
    assert cut.capacity_skipped
    assert cut.forced + cut.firm_lost <= cut.unscheduled <= full.unscheduled
    assert 0 < full.capacity_lost and cut.capacity_lost <= full.capacity_lost


@pytest.mark.parametrize("enabled", [True, False])
def test_solve_leaves_the_garbage_collector_as_it_found_it(enabled):
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        _solve(city_instance(300, seed=2), time_limit=1.0)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_day_search_counts_no_loss_where_staffing_keeps_the_start_teams():
    """Staffing keeps the start plan's teams where the visits did not change, so the day
    search counts no task left out there; a greedy staffing from scratch would."""
    from scheduler.lns import DayLNS

    P = Prepared(varied_instance(2000, seed=1, capacity="tight"))
    start = careful_greedy(P, seed=0)
    config = SolverConfig(workers=1)
    search = DayLNS(P, start.copy_days(), config, base=start)
    assert all(search._staffing_loss(*key, firms) == 0 for key, firms in search.day_firms.items())
    scratch = DayLNS(P, start.copy_days(), config)
    assert sum(scratch._staffing_loss(*key, firms) for key, firms in scratch.day_firms.items()) > 0


def test_staffing_after_the_day_search_is_not_worse_than_the_start():
    from scheduler.lns import improve_days
    from scheduler.staffing import staff_plan

    instance = varied_instance(2000, seed=2, capacity="tight")
    P = Prepared(instance)
    start = careful_greedy(P, seed=0)
    config = SolverConfig(workers=1, seed=1, neighbourhood_vars=300)
    plan, _ = improve_days(P, start, config, time.monotonic() + 3.0, compute_bounds(P), lambda *_: None)
    staffed = staff_plan(P, plan, config, time.monotonic(), lambda *_: None, base=start)
    assert staffed.unscheduled_count() <= start.unscheduled_count()
    assert check_solution(instance, staffed.to_solution("FEASIBLE", {}, {})) == []


def test_a_departments_second_district_is_one_its_officers_also_serve():
    """A neighbourhood that adds a second district adds one whose firms the same
    officers serve: there a visit can move to free an officer for a left-out task."""
    from scheduler.lns import DayLNS

    days = working_days(datetime.date(2026, 12, 7), 5)
    window = (days[0], days[-1])
    firms = [Firm(f"{district}-{i}", district) for district in "ABCD" for i in range(2)]
    officers = [
        Officer("h-ab", "health", tuple(days), 2, ("A", "B")),
        Officer("h-a", "health", tuple(days), 2, ("A",)),
        Officer("h-cd", "health", tuple(days), 2, ("C", "D")),
        Officer("m-all", "market", tuple(days), 2, None),
    ]
    tasks = [Task(f"{firm.id}-{k}", k, firm.id, window) for firm in firms for k in ("health", "market")]
    P = Prepared(Instance(list(days), firms, officers, tasks))
    search = DayLNS(P, careful_greedy(P, seed=0).copy_days(), SolverConfig(workers=1, seed=3))
    health, market = P.departments.index("health"), P.departments.index("market")
    assert {search._partner_district(health, "A") for _ in range(40)} == {"B"}
    assert {search._partner_district(health, "D") for _ in range(40)} == {"C"}
    assert {search._partner_district(market, "A") for _ in range(200)} == {"B", "C", "D"}


def test_a_move_staffing_undoes_is_solved_again_with_fewer_slots_where_it_lost(monkeypatch):
    """When a greedy staffing of its days would leave out more than the sub-model placed, the move is undone
    and the same sub-model is solved again, with one team slot fewer for its firms on each (department, day)
    where staffing lost tasks: the next answer keeps to that, and the plan never gets worse."""
    from scheduler import lns as lns_module

    P = Prepared(city_instance(2000, seed=1))
    start = careful_greedy(P, seed=0)
    search = lns_module.DayLNS(P, start.copy_days(), SolverConfig(workers=1, seed=1, neighbourhood_vars=300))
    answers: dict[int, list] = {}
    try_move = lns_module.DayLNS._try_move

    def spy(self, firms, solver, sub, *args):
        slots = defaultdict(int)
        for (k, d, _, _), terms in sub.free_terms.items():
            slots[(k, d)] += sum(solver.Value(term) for term in terms)
        outcome = try_move(self, firms, solver, sub, *args)
        answers.setdefault(id(sub), []).append((dict(slots), outcome))
        return outcome

    monkeypatch.setattr(lns_module.DayLNS, "_try_move", spy)
    for _ in range(60):
        kind, firms = search.neighbourhood(search.excess_unscheduled())
        search.solve_neighbourhood(firms, 2.0, time.monotonic() + 60)
        if search.retried:
            break
    assert search.retried, "no move was undone by staffing in 60 sub-models"
    retried = [calls for calls in answers.values() if len(calls) > 1]
    assert retried
    for calls in retried:
        for (slots, move), (again, _) in zip(calls, calls[1:]):
            assert not move.kept and move.lost
            assert any(again.get(key, 0) < slots[key] for key in move.lost)
    assert _staffed_greedily(P, search.plan) <= _staffed_greedily(P, start)

