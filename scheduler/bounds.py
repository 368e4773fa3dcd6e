"""Lower bounds on the number of visits and of unscheduled tasks.

``lower_bound`` (visits) follows the exchange spec literally: for each firm, the fewest
of its open days that meet every on-site task's window (greedy interval stabbing: sort
windows by end, stab at the latest open day <= end that is >= start), at most its
max_visits, summed over firms.  Tasks whose window holds no open day of the horizon
cannot be met by any day and are left out.

``unscheduled_lower_bound`` is explained in its docstring.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from ortools.linear_solver import pywraplp

from .model import Instance
from .prepare import Prepared

__all__ = [
    "lower_bound",
    "unscheduled_lower_bound",
    "LowerBounds",
    "compute_bounds",
    "quick_bounds",
    "with_capacity",
    "firm_lost_tasks",
]

# Seconds one (firm, department) group of tasks costs the capacity LP, built and
# solved (measured at 100,000 tasks: 1 to 2 seconds for a department of 10,000 firms).
LP_SECONDS_PER_GROUP = 1.5e-4


@dataclass
class LowerBounds:
    """visits: the spec's visits bound.  unscheduled: the best proven bound on
    unscheduled on-site tasks, = forced + max(firm_lost, capacity_lost, joint_lost)."""

    visits: int
    unscheduled: int
    forced: int
    firm_lost: int
    capacity_lost: int
    capacity_skipped: bool = False  # the deadline cut some department's capacity LP
    department_lost: dict[int, int] = field(default_factory=dict)  # each department's capacity LP's loss
    joint_lost: int = 0  # see ``joint.py``: 0 until its LP is solved
    joint_departments: tuple[int, ...] = ()


def _stab_count(windows: list[tuple[int, int]]) -> int:
    """Fewest points meeting every interval (intervals of positions, inclusive)."""
    count = 0
    last = -1
    for start, end in sorted(windows, key=lambda w: w[1]):
        if start <= last:
            continue
        last = end
        count += 1
    return count


def lower_bound(instance: Instance | Prepared) -> int:
    """The spec's lower bound on visits (module docstring)."""
    P = instance if isinstance(instance, Prepared) else Prepared(instance)
    total = 0
    for f, tasks in enumerate(P.firm_tasks):
        if not tasks:
            continue
        open_mask = P.firm_open_mask[f]
        windows = []
        for t in tasks:
            # The open days of the window, as the span from the first to the last of
            # them: stabbing only ever happens at a window's last open day, so spans
            # over day indices stab exactly like spans over open-day positions.
            mask = P.task_window_mask[t] & open_mask
            if mask:
                windows.append(((mask & -mask).bit_length() - 1, mask.bit_length() - 1))
        total += min(_stab_count(windows), P.firm_cap[f])
    return total


def _max_coverage(intervals: list[tuple[int, int]], points: int) -> int:
    """Most intervals (inclusive, over positions 0..) that ``points`` points can meet."""
    if not intervals or points <= 0:
        return 0
    if _stab_count(intervals) <= points:
        return len(intervals)
    positions = sorted({p for s, e in intervals for p in (s, e)} | {s for s, _ in intervals})
    # best[j][i]: most intervals met by j points, the last at positions[i].
    n = len(positions)
    met = [[0] * n for _ in range(n + 1)]  # met[a][i]: intervals with start in (pos[a-1], pos[i]] and end >= pos[i]
    for i, p in enumerate(positions):
        for a in range(i + 1):
            low = positions[a - 1] if a > 0 else -1
            met[a][i] = sum(1 for s, e in intervals if low < s <= p <= e)
    best = [[0] * n for _ in range(points + 1)]
    for i in range(n):
        best[1][i] = met[0][i]
    for j in range(2, points + 1):
        for i in range(n):
            value = best[j - 1][i]
            for a in range(i):
                value = max(value, best[j - 1][a] + met[a + 1][i])
            best[j][i] = value
    return max(max(row) for row in best)


def firm_lost_tasks(P: Prepared, f: int) -> int:
    """Tasks of firm f (with a feasible day) that max_visits days cannot all meet.

    One visit: exact, the most tasks feasible on one day.  More visits: feasible days are
    relaxed to their span over the firm's open days (a superset), where intervals make
    the maximum coverage by max_visits points exact by dynamic programming.
    """
    tasks = [t for t in P.firm_tasks[f] if P.feasible_mask[t]]
    if not tasks:
        return 0
    cap = P.firm_cap[f]
    if cap <= 0:
        return len(tasks)
    if cap == 1:
        cover = [0] * P.n_days
        for t in tasks:
            for d in P.feasible_days[t]:
                cover[d] += 1
        return len(tasks) - max(cover)
    intervals = []
    for t in tasks:
        mask = P.feasible_mask[t]
        intervals.append(((mask & -mask).bit_length() - 1, mask.bit_length() - 1))
    return len(tasks) - _max_coverage(intervals, cap)


def _capacity_scheduled_upper_bound(P: Prepared, deadline: float | None = None) -> tuple[int, bool, dict[int, int]]:
    """Upper bound on schedulable tasks from officer capacity, by one LP per department.

    For department k, each (firm, k) group g of tasks with a feasible day has variables
    x[g, d] in [0, 1] ("g is served on day d"), with at most min(max_visits, |g|) days;
    it schedules s[g] <= sum_d cover[g, d] x[g, d] and s[g] <= |g| tasks, where
    cover[g, d] counts g's tasks feasible on d.  Serving g on d takes at least
    cost[g, d] = the smallest officers_needed among them of officer slots in the firm's
    district.  Officers with the same districts form groups whose day capacity (sum of
    capacities) flows to the districts they cover.  Any schedule maps onto this LP
    (x = 1 on the visit days) with the same number of scheduled tasks, because a team
    counts once per visit however many tasks it serves and holds at least
    cost[g, d] officers; qualifications and the distinctness of officers are relaxed.
    Identical groups are merged.  The floor of the LP optimum bounds schedulable tasks.

    Returns (bound, skipped, tasks each solved department's LP leaves out).  A department whose LP
    would not be done by ``deadline`` (time.monotonic(); judged by its size) or is not solved to
    optimality counts every one of its tasks as schedulable, and ``skipped`` is True: the bound stays
    valid.
    """
    total = 0
    skipped = False
    lost: dict[int, int] = {}
    by_department: list[dict[int, list[int]]] = [defaultdict(list) for _ in P.departments]
    for t in range(P.n_tasks):
        if P.feasible_mask[t]:
            by_department[P.task_dept[t]][P.task_firm[t]].append(t)
    for k, groups in enumerate(by_department):
        if not groups:
            continue
        if deadline is not None and time.monotonic() + LP_SECONDS_PER_GROUP * len(groups) > deadline:
            found = None  # building and solving this LP would overrun the deadline
        else:
            found = _department_lp(P, k, groups, deadline)
        tasks = sum(len(tasks) for tasks in groups.values())
        if found is None:
            skipped = True
            found = tasks
        else:
            lost[k] = tasks - found
        total += found
    return total, skipped, lost


def _group_classes(P: Prepared, groups: dict[int, list[int]]) -> dict[tuple, int]:
    """Department groups merged when their (district, visit cap, size, day profile)
    agree; the profile lists (day, tasks feasible that day, cheapest team that day)."""
    classes: dict[tuple, int] = defaultdict(int)
    for f, tasks in groups.items():
        count: dict[int, int] = {}
        cheapest: dict[int, int] = {}
        for t in tasks:
            need = P.task_need[t]
            for d in P.feasible_days[t]:
                count[d] = count.get(d, 0) + 1
                if need < cheapest.get(d, need + 1):
                    cheapest[d] = need
        profile = tuple((d, count[d], cheapest[d]) for d in sorted(count))
        key = (P.firm_district[f], min(P.firm_cap[f], len(tasks)), len(tasks), profile)
        classes[key] += 1
    return classes


def _department_lp(P: Prepared, k: int, groups: dict[int, list[int]], deadline: float | None) -> int | None:
    """The capacity LP of department k (see ``_capacity_scheduled_upper_bound``): the
    floor of its optimum, or None when it is not solved to optimality in time."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with ortools
        return None
    infinity = solver.infinity()
    demand: dict[tuple[int, str | None], list] = defaultdict(list)
    objective = solver.Objective()
    for i, ((district, visits, size, profile), count) in enumerate(_group_classes(P, groups).items()):
        x = [solver.NumVar(0.0, float(count), f"x_{i}_{d}") for d, _, _ in profile]
        served = solver.NumVar(0.0, float(count * size), f"s_{i}")
        objective.SetCoefficient(served, 1.0)
        days_row = solver.Constraint(-infinity, float(count * visits))
        cover_row = solver.Constraint(-infinity, 0.0)
        cover_row.SetCoefficient(served, 1.0)
        for var, (d, cover, cost) in zip(x, profile):
            days_row.SetCoefficient(var, 1.0)
            cover_row.SetCoefficient(var, -float(cover))
            demand[(d, district)].append((var, cost))
    objective.SetMaximization()
    inflow = _add_officer_supply(P, k, solver, demand)
    for key, terms in demand.items():
        row = solver.Constraint(-infinity, 0.0)
        for var, cost in terms:
            row.SetCoefficient(var, float(cost))
        for flow in inflow.get(key, ()):
            row.SetCoefficient(flow, -1.0)
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        solver.SetTimeLimit(max(1, int(1000 * remaining)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return int(objective.Value() + 1e-6)


def _add_officer_supply(P: Prepared, k: int, solver, demand: dict[tuple[int, str | None], list]) -> dict:
    """Officer capacity of department k: groups of equal districts flow to the
    districts they cover.  Returns the flows into each (day, district) of ``demand``."""
    infinity = solver.infinity()
    supply: dict[tuple[frozenset | None, int], int] = defaultdict(int)
    for group in P.dept_groups[k]:
        for d in range(P.n_days):
            if group.supply[d]:
                supply[(group.districts, d)] += group.supply[d]
    inflow: dict[tuple[int, str | None], list] = defaultdict(list)
    demand_districts: dict[int, list[str | None]] = defaultdict(list)
    for (d, r) in demand:
        demand_districts[d].append(r)
    for (districts, d), amount in supply.items():
        targets = [r for r in demand_districts.get(d, ()) if districts is None or r in districts]
        if not targets:
            continue
        row = solver.Constraint(-infinity, float(amount))
        for r in targets:
            flow = solver.NumVar(0.0, infinity, "")
            row.SetCoefficient(flow, 1.0)
            inflow[(d, r)].append(flow)
    return inflow


def compute_bounds(
    instance: Instance | Prepared, deadline: float | None = None, unscheduled: int | None = None
) -> LowerBounds:
    """All lower bounds (see LowerBounds and unscheduled_lower_bound): the quick ones of
    ``quick_bounds`` raised by the capacity LPs of ``with_capacity``, then by the joint LP of
    ``joint.py`` (in this thread; ``solve`` runs it beside the search)."""
    from .joint import joint_departments, joint_lost, raise_bounds  # joint.py builds on this module

    P = instance if isinstance(instance, Prepared) else Prepared(instance)
    bounds = with_capacity(P, quick_bounds(P), deadline, unscheduled)
    if unscheduled is not None and unscheduled <= bounds.unscheduled:
        return bounds
    departments = joint_departments(P, bounds.department_lost)
    if not departments:
        return bounds
    return raise_bounds(bounds, departments, joint_lost(P, departments, deadline))


def quick_bounds(P: Prepared) -> LowerBounds:
    """The bounds that take no LP (linear in the tasks): visits, and unscheduled tasks
    from forced and firm_lost only (capacity_lost 0, capacity_skipped set)."""
    forced = len(P.reason)
    firm_lost = sum(firm_lost_tasks(P, f) for f in range(len(P.firm_ids)))
    return LowerBounds(lower_bound(P), forced + firm_lost, forced, firm_lost, 0, capacity_skipped=True)


def with_capacity(
    P: Prepared, quick: LowerBounds, deadline: float | None = None, unscheduled: int | None = None
) -> LowerBounds:
    """``quick`` (from ``quick_bounds``) with the capacity LPs' bound.

    With a ``deadline`` (time.monotonic()), the capacity LP of a department that would
    not be done by then is skipped (its tasks count as schedulable, capacity_skipped
    stays set): the bound stays valid, only weaker.  ``unscheduled``: the unscheduled
    tasks of a known schedule.  When the quick bound already reaches it, no bound can
    be higher and the LPs are not solved (the bound is then exact).
    """
    if unscheduled is not None and unscheduled <= quick.unscheduled:
        return replace(quick, capacity_skipped=False)
    schedulable, skipped, department_lost = _capacity_scheduled_upper_bound(P, deadline)
    capacity_lost = max(0, P.n_tasks - quick.forced - schedulable)
    return replace(
        quick,
        unscheduled=quick.forced + max(quick.firm_lost, capacity_lost),
        capacity_lost=capacity_lost,
        capacity_skipped=skipped,
        department_lost=department_lost,
    )


def unscheduled_lower_bound(instance: Instance | Prepared) -> int:
    """Lower bound on unscheduled on-site tasks: forced + max(firm_lost, capacity_lost, joint_lost).

    forced: tasks with no feasible day at all (window outside the horizon or on closed
        days only, no eligible officers, or never enough of them on one open day);
        every schedule leaves them out.
    firm_lost: per firm, the tasks its max_visits days cannot all meet (exact for one
        visit, exact over interval spans otherwise), see ``firm_lost_tasks``.
    capacity_lost: tasks beyond what officer capacity can serve, from one LP per
        department, see ``_capacity_scheduled_upper_bound``.
    joint_lost: firm_lost of the firms outside F plus what one LP leaves out at the firms F
        of the departments whose officers are shortest, with the firms' day choices and
        those departments' officers together, see ``joint.py``.
    Each of the three bounds the unscheduled tasks among the non-forced ones, but they
    may count the same tasks, so only their maximum is added.
    """
    return compute_bounds(instance).unscheduled
