"""``solve(instance, config) -> Solution``: combined scheduling ("综合查一次").

Objective, lexicographic: (1) fewest unscheduled on-site tasks, (2) fewest visits
(firm-days), (3) fewest officer-days spanning more than one district, (4) balanced
officer load (per department the largest load, then the fewest officer-visits).

Two strategies share the careful greedy (``greedy.py``) as start and fallback:

* exact (small instances): one CP-SAT model with day, visit and officer variables,
  solved in lexicographic stages (``exact.py``).
* decomposed (everything else): firms interact only through officer capacity per
  department, day and district, so
    a. large-neighbourhood search on the visit days (``lns.py``): a CP-SAT sub-model
       re-optimises the days of a few thousand firms while all others stay fixed,
       with officer capacity aggregated into group flows, warm-started from the
       current plan (AddHint) and accepted when not worse, counting the tasks a
       greedy staffing of the changed department-days would leave out;
    b. officer assignment per department and day (``staffing.py``), minimising
       district-spanning officer-days and balancing the load;
    c. a last greedy pass inserts what is left where capacity remains;
    d. while time is left (the search leaves staffing a share of the time that it
       often does not need), further rounds of a-c start from the best plan so far.
  The result is never worse than the greedy: the better of the two is returned.
  Beside the search, a thread solves the joint LP of ``joint.py`` (firms' day choices with
  the officers of the departments shortest of them), which raises the unscheduled bound.

Status (the order of the checks):

* INFEASIBLE: there are on-site tasks and none of them has a single feasible day.
* OPTIMAL: every objective term is proven to be at its lower bound.  Exact strategy:
  CP-SAT proved stages 1 and 2 optimal and the spanning stage was solved.  Otherwise:
  unscheduled == the unscheduled lower bound (no schedule leaves fewer on-site tasks
  out), visits == the spec's visits ``lower_bound``, and no officer-day spans two
  districts (its bound is 0).  The spec's visits bound is counted over every on-site
  task, so it is a proof for schedules that do the same tasks; when tasks must be
  left out, a schedule leaving out others could in principle need fewer visits.  The
  load balance (objective 4) is a best-effort tie-break and never part of the proof.
  The solve stops as soon as this holds (after the greedy, or after the search).
  ``stats["optimal_objectives"]`` names the terms proven optimal in the objective's
  order (each at its bound, and every term before it too), also when not all are.
* FEASIBLE: a valid schedule without that proof -- also what comes back when the
  time limit cuts the search short (the best valid schedule so far, at worst the
  greedy's, which is itself cut short when the limit passes while it is placing).

Time: ``config.time_limit`` bounds the whole solve.  Every phase (greedy, bounds, the
neighbourhood search, staffing, the last insertion passes) looks at the deadline; what
runs after it is bounded work that keeps the schedule valid (the staffing's greedy pass,
the reasons for unscheduled tasks).  Phases that would not fit degrade rather than
overrun: the greedy tries fewer days per visit when its pace, counted in days to try,
would miss the time it leaves for the output (``greedy_hurried``), and on a machine slower
than that pace spends this reserve on its last visits rather than leave them out (only
the limit itself cuts it short, ``greedy_cut_short``), a department's capacity LP that would not be done in time is
skipped (a weaker bound, ``unscheduled_capacity_bound_skipped``), and no LP is solved
when the quick bounds already reach the greedy's unscheduled tasks.  ``stats`` records when the first valid schedule
was known (``first_feasible_seconds``) and when one was known within 1% of the bounds
(``within_1pct_seconds``: visits <= 1.01 x lower_bound and unscheduled <= 1.01 x the
unscheduled bound; None if never).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from .bounds import LowerBounds, quick_bounds, with_capacity
from .exact import solve_exact
from .greedy import careful_greedy, insert_task, relocate_firm
from .joint import JointBound
from .lns import improve_days
from .model import Instance, Solution, SolverConfig
from .plan import Plan
from .prepare import Prepared
from .reasons import explain_unscheduled
from .staffing import staff_plan

__all__ = ["solve", "plan_key"]

Progress = Callable[[float, str], None]


def plan_key(plan: Plan) -> tuple:
    """Lexicographic objective value of a plan (smaller is better)."""
    loads = plan.load_stats()
    return (
        plan.unscheduled_count(),
        plan.visit_count(),
        plan.spanning_officer_days(),
        loads.get("sum_department_max_load", 0),
        sum(plan.load),
    )


def _insert_leftovers(P: Prepared, plan: Plan, deadline: float) -> None:
    """Final passes with real officer capacities: insert left-over tasks into visits,
    then move one-visit firms that leave tasks out to a day that does more."""
    left = [t for t in range(P.n_tasks) if plan.task_day[t] < 0 and P.feasible_mask[t]]
    left.sort(key=lambda t: bin(P.feasible_mask[t]).count("1"))
    for i, t in enumerate(left):
        if i % 64 == 0 and time.monotonic() > deadline:
            return
        insert_task(plan, t)
    firms = sorted({P.task_firm[t] for t in range(P.n_tasks) if plan.task_day[t] < 0 and P.feasible_mask[t]})
    for i, f in enumerate(firms):
        if i % 64 == 0 and time.monotonic() > deadline:
            return
        relocate_firm(plan, f)


# A further round of search and staffing needs at least this many seconds (the search
# gives up below one second, and staffing the changed department-days takes a few).
ROUND_SECONDS = 3.0


def _more_rounds(
    P: Prepared, best: Plan, config: SolverConfig, deadline: float, bounds: LowerBounds, report: Progress,
    extra: dict,
) -> Plan:
    """Search again from the staffed ``best`` while time is left.  The search stops early
    to leave staffing its share of the time (``lns.STAFFING_SHARE``), and staffing often
    needs less: a further round (with a fresh random stream) starts from the best plan,
    keeps its teams where the days stay, and is kept when it is better.  ``extra``
    (the search's statistics) adds up every round."""
    best_key = plan_key(best)
    round_ = 1
    while (
        time.monotonic() < deadline - max(ROUND_SECONDS, 1e-4 * P.n_tasks)
        and not _at_bounds(best_key, bounds)
    ):
        round_ += 1
        config = replace(config, seed=config.seed + 1)
        day_plan, more = improve_days(P, best, config, deadline, bounds, report)
        for name in ("lns_iterations", "lns_improvements", "lns_rejected_by_staffing", "lns_infeasible"):
            extra[name] = extra.get(name, 0) + more.get(name, 0)
        if day_plan.task_day == best.task_day:
            break  # nothing moved: more rounds would not either in so little time
        plan = staff_plan(P, day_plan, config, deadline, report, base=best)
        _insert_leftovers(P, plan, deadline)
        key = plan_key(plan)
        if key < best_key:
            best, best_key = plan, key
            extra["lns_unscheduled"], extra["lns_visits"] = more["lns_unscheduled"], more["lns_visits"]
    extra["search_rounds"] = round_
    return best


def _at_bounds(key: tuple, bounds: LowerBounds) -> bool:
    """Unscheduled, visits and spanning officer-days all at their lower bounds."""
    return key[0] <= bounds.unscheduled and key[1] <= bounds.visits and key[2] == 0


def _proven(key: tuple, bounds: LowerBounds, exact: bool) -> list[str]:
    """The objective terms, in their lexicographic order, proven optimal: each is at its
    lower bound and so is every term before it (the exact strategy's CP-SAT proof covers
    unscheduled tasks and visits).  The visits bound counts every on-site task, so it
    proves the visits only together with the unscheduled tasks."""
    proven = []
    for name, done in (
        ("unscheduled", exact or key[0] <= bounds.unscheduled),
        ("visits", exact or key[1] <= bounds.visits),
        ("district_spanning_officer_days", key[2] == 0),
    ):
        if not done:
            break
        proven.append(name)
    return proven


def _within_1pct(key: tuple, bounds: LowerBounds) -> bool:
    return key[0] <= 1.01 * bounds.unscheduled and key[1] <= 1.01 * bounds.visits


def solve(instance: Instance, config: SolverConfig | None = None, progress: Progress | None = None) -> Solution:
    """Schedule ``instance`` within ``config.time_limit`` seconds (see module docstring)."""
    config = config or SolverConfig()
    start = time.monotonic()
    deadline = start + config.time_limit

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, fraction)), message)

    with _collector_paused():
        P = Prepared(instance)
        report(0.01, f"prepared {P.n_tasks} on-site tasks, {len(P.firm_ids)} firms, {len(P.officer_ids)} officers")
        # The greedy paces itself to leave time for the bounds, the reasons and the
        # output (about 20 microseconds a task measured at 100,000 tasks); on a machine
        # slower than its pace expected it places its last visits in that time rather
        # than leave them out, and the answer comes up to ``finish`` late.
        finish = min(0.3 * config.time_limit, 2e-5 * P.n_tasks)
        greedy = careful_greedy(P, seed=config.seed, deadline=deadline, reserve=finish)
        greedy_key = plan_key(greedy)
        first_feasible = time.monotonic() - start
        report(0.05, f"greedy: {greedy_key[0]} unscheduled, {greedy_key[1]} visits")
        # The capacity LPs only raise the quick bounds: within 1% of these is within 1%.
        quick = quick_bounds(P)
    within = time.monotonic() - start if _within_1pct(greedy_key, quick) else None
    # Departments' capacity LPs run while they leave the same time for the output.
    bounds = with_capacity(P, quick, deadline - finish, unscheduled=greedy_key[0])
    if within is None and _within_1pct(greedy_key, bounds):
        within = time.monotonic() - start
    # The joint LP of the departments shortest of officers is built and solved beside the search.
    joint = JointBound(P, bounds, deadline - finish, unscheduled=greedy_key[0])

    strategy = config.strategy
    if strategy == "auto":
        strategy = "exact" if P.n_tasks <= config.exact_max_tasks else "decomposed"
    extra: dict = {}
    proven = False
    best = greedy
    greedy_at_bounds = _at_bounds(greedy_key, bounds)
    if P.n_tasks and len(P.reason) < P.n_tasks and not greedy_at_bounds and time.monotonic() < deadline:
        if strategy == "exact":
            plan, proven = solve_exact(P, config, deadline, greedy)
        else:
            day_plan, extra = improve_days(P, greedy, config, deadline, bounds, report)
            unchanged = day_plan.task_day == greedy.task_day
            if unchanged and (not greedy_key[2] or time.monotonic() > deadline - 5e-5 * P.n_tasks - 0.5):
                plan = None  # the search changed nothing: the greedy's teams stand
            else:
                plan = staff_plan(P, day_plan, config, deadline, report, base=greedy)
        if plan is not None:
            _insert_leftovers(P, plan, deadline)
            if plan_key(plan) <= greedy_key:
                best = plan
            else:
                proven = False
        if strategy != "exact" and best is not greedy:
            best = _more_rounds(P, best, config, deadline, bounds, report, extra)
    best_key = plan_key(best)
    # Where the schedule is proven optimal already, the joint LP is stopped, not waited for.
    bounds = joint.raised(wait=best_key[0] > bounds.unscheduled and not (strategy == "exact" and proven))
    if within is None and _within_1pct(best_key, bounds):
        within = time.monotonic() - start
    report(0.98, f"best: {best_key[0]} unscheduled, {best_key[1]} visits")

    with _collector_paused():
        reasons = explain_unscheduled(P, best, cut_short=best is greedy and greedy.cut_short)
    unscheduled = best_key[0]
    visits = best_key[1]
    spanning = best_key[2]
    loads = best.load_stats()
    if P.n_tasks and unscheduled == P.n_tasks and len(P.reason) == P.n_tasks:
        status = "INFEASIBLE"
    elif strategy == "exact" and proven:
        status = "OPTIMAL"
    elif _at_bounds(best_key, bounds):
        status = "OPTIMAL"
    else:
        status = "FEASIBLE"
    stats = {
        "visits": visits,
        "lower_bound": bounds.visits,
        "seconds": round(time.monotonic() - start, 3),
        "unscheduled": unscheduled,
        "unscheduled_lower_bound": bounds.unscheduled,
        "unscheduled_forced": bounds.forced,
        "gap": round((visits - bounds.visits) / bounds.visits, 6) if bounds.visits else 0.0,
        "unscheduled_gap": unscheduled - bounds.unscheduled,
        "district_spanning_officer_days": spanning,
        "penalties": {
            "unscheduled": unscheduled,
            "visits": visits,
            "district_spanning_officer_days": spanning,
            "sum_department_max_load": loads.get("sum_department_max_load", 0),
        },
        "max_officer_load": loads.get("max_officer_load", 0),
        "officer_load_stdev": loads.get("officer_load_stdev", 0.0),
        "officer_visits": sum(best.load),
        "greedy": {
            "unscheduled": greedy_key[0],
            "visits": greedy_key[1],
            "district_spanning_officer_days": greedy_key[2],
        },
        "strategy": strategy,
        "off_site_tasks": len(P.off_site_ids),
        "first_feasible_seconds": round(first_feasible, 3),
        "within_1pct_seconds": None if within is None else round(within, 3),
        "optimal_objectives": _proven(best_key, bounds, strategy == "exact" and proven),
        "greedy_at_bounds": greedy_at_bounds,
        "greedy_cut_short": greedy.cut_short,
        "greedy_hurried": greedy.hurried,
        "unscheduled_capacity_bound_skipped": bounds.capacity_skipped,
        "unscheduled_joint_departments": [P.departments[k] for k in bounds.joint_departments],
    }
    stats.update(extra)
    with _collector_paused():
        solution = best.to_solution(status, reasons, stats)
    report(1.0, "done")
    return solution


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a phase builds or reads many small
    objects and few reference cycles (preparation, the greedy, the output): each full
    collection walks every live object, which at 100,000 tasks cost a third of those
    phases.  The collector runs as usual during the CP-SAT searches, and collects the
    few cycles then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
