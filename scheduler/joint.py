"""A joint bound on unscheduled tasks: firms' day choices and their departments' officers in one LP.

``bounds.unscheduled_lower_bound`` adds to the forced tasks the larger of two bounds that cannot be
added: what firms lose to their own visit caps and windows (firm_lost), and what each department's
officers cannot serve (capacity_lost).  Where a department's officers are short, both happen at
once: its firms must pick a visit day that suits their other tasks too, and the officers who may go
to their district are few.  This LP holds both for the firms F with a task of a few such
departments K:

* each firm of F chooses its visit days (``v[f, d]`` in [0, 1], at most max_visits of them); a task
  is done on one of its feasible days that is a visit (``x[t, d] <= v[f, d]``).  A firm with one
  visit does its other departments' tasks with that visit, so those are counted on ``v`` alone;
* each department of K staffs a visit with its team: a qualification's slots are at least the
  officers its tasks there need, the team as a whole at least the largest need (``team_demand``);
  where one visit has tasks of two qualifications the qualifications are left out there (an
  officer may hold both, and the LP would count him twice);
* the department's officers, grouped by districts and qualifications as in the day model, give each
  day at most their capacity, only to the classes (district, qualification) they may serve, and at
  most one slot per officer to one visit: a group of n officers gives a class at most n times the
  visits that may need it.

Every schedule is a solution of this LP (each variable 0 or 1 as it happened), so the tasks of F it
leaves out are at least what the LP leaves out; every other firm loses at least its firm_lost.  The
bound, forced + firm_lost of the firms outside F + the LP's loss over F, is valid on its own and
counts no task twice.  On the 10,000-task city instance it is 778 where the other two give 753: the
health department's few officers in one district, and two others', cost tasks that firm_lost had
already counted at the same firms only in part.

The LP is solved by GLOP, which leaves the interpreter free: ``JointBound`` builds and solves it in
a thread while the search runs.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import replace

from ortools.linear_solver import pywraplp

from .bounds import LowerBounds, firm_lost_tasks
from .prepare import ANY, Prepared

__all__ = ["JointBound", "Stop", "joint_lost", "joint_departments", "raise_bounds"]

# Variables of the LP at most, and the seconds one costs built and solved: on this 2-core machine
# the 10,000-task city instance's LP of three departments (68,808 variables) took 9.3 s, of one
# (27,981) 1.5 s: the time grows faster than the size.
JOINT_MAX_VARIABLES = 80000
JOINT_SECONDS_PER_VARIABLE = 1.5e-4
START_MARGIN = 2.0  # the LP starts when this many times its estimated seconds are left
# Departments in the LP at most, those whose own capacity LP leaves the most tasks out.
JOINT_MAX_DEPARTMENTS = 3


def _department_firms(P: Prepared, departments: set[int], by_department: dict[int, set[int]] | None = None) -> list[int]:
    """The firms that can be visited with a feasible task of ``departments``, in index order."""
    by_department = by_department if by_department is not None else _firms_by_department(P)
    firms: set[int] = set()
    for k in departments:
        firms |= by_department.get(k, set())
    return sorted(firms)


def _firms_by_department(P: Prepared) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for t in range(P.n_tasks):
        f = P.task_firm[t]
        if P.feasible_mask[t] and P.firm_candidate_mask[f] and P.firm_cap[f] > 0:
            out[P.task_dept[t]].add(f)
    return out


def _size(P: Prepared, firms: list[int], departments: set[int], stop_above: int | None = None) -> int:
    """The LP's variables: the visit days, and the task-days of K's tasks (of every task at firms of
    more visits); counting stops once above ``stop_above``."""
    count = 0
    for f in firms:
        if stop_above is not None and count > stop_above:
            break
        count += bin(P.firm_candidate_mask[f]).count("1")
        for t in P.firm_tasks[f]:
            if P.feasible_mask[t] and (P.firm_cap[f] > 1 or P.task_dept[t] in departments):
                count += len(P.feasible_days[t])
    return count


def joint_departments(P: Prepared, department_lost: dict[int, int], seconds: float | None = None) -> list[int]:
    """The departments of the LP: those whose capacity LP leaves tasks out, most first, as long as the
    LP stays within ``JOINT_MAX_VARIABLES`` and ``JOINT_MAX_DEPARTMENTS`` and, with ``seconds``, would
    take at most half of them (``JOINT_SECONDS_PER_VARIABLE``)."""
    return _chosen_departments(P, department_lost, seconds)[0]


def _chosen_departments(P: Prepared, department_lost: dict[int, int], seconds: float | None) -> tuple[list[int], int]:
    """``joint_departments`` and the size of their LP."""
    budget = JOINT_MAX_VARIABLES
    if seconds is not None:
        budget = min(budget, int(0.5 * seconds / JOINT_SECONDS_PER_VARIABLE))
    chosen: list[int] = []
    chosen_size = 0
    by_department = _firms_by_department(P)
    for k in sorted((k for k, lost in department_lost.items() if lost > 0), key=lambda k: (-department_lost[k], k)):
        if len(chosen) == JOINT_MAX_DEPARTMENTS:
            break
        trial = set(chosen) | {k}
        size = _size(P, _department_firms(P, trial, by_department), trial, budget)
        if size <= budget:
            chosen.append(k)
            chosen_size = size
    return chosen, chosen_size


class Stop:
    """A flag that stops ``joint_lost`` while it builds its LP, or interrupts GLOP while it solves."""

    def __init__(self):
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._solver = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            if self._solver is not None:
                self._solver.InterruptSolve()

    @property
    def watching(self) -> bool:
        """Whether a solver is handed over: GLOP is solving (or about to)."""
        return self._solver is not None

    def watch(self, solver) -> bool:
        """Interrupt ``solver`` when set from now on; False when set already."""
        with self._lock:
            self._solver = solver
            return not self._event.is_set()


def joint_lost(
    P: Prepared, departments: list[int], deadline: float | None = None, cancel: Stop | None = None
) -> tuple[int, int] | None:
    """(tasks the LP leaves out at the firms F with a task of ``departments``, the firm_lost of those
    firms), or None when the LP is not solved to optimality by ``deadline`` or ``cancel`` is set."""
    K = set(departments)
    firms = _department_firms(P, K)
    if not firms:
        return None
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with ortools
        return None
    infinity = solver.infinity()
    objective = solver.Objective()
    slots: dict[tuple, list[tuple]] = defaultdict(list)  # (k, d, district, class) -> (variable, coefficient)
    visits: dict[tuple, list] = defaultdict(list)  # (k, d, district, class) -> visit variables
    total = 0
    for i, f in enumerate(firms):
        if i % 256 == 0 and _stopped(deadline, cancel):
            return None
        total += _add_firm(P, solver, objective, K, f, slots, visits)
    for (k, d), classes in _classes_by_department_day(slots).items():
        _add_officers(P, solver, k, d, classes, slots, visits, infinity)
    objective.SetMaximization()
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        solver.SetTimeLimit(max(1, int(1000 * remaining)))
    if _stopped(deadline, cancel) or (cancel is not None and not cancel.watch(solver)):
        return None
    if solver.Solve() != pywraplp.Solver.OPTIMAL or (cancel is not None and cancel.is_set()):
        return None
    # The floor of the optimum, with room for GLOP's tolerances (a bound one lower is still a bound).
    value = objective.Value()
    lost = total - int(value + 1e-6 * max(1.0, abs(value)))
    return lost, sum(firm_lost_tasks(P, f) for f in firms)


def _stopped(deadline: float | None, cancel: Stop | None) -> bool:
    return (cancel is not None and cancel.is_set()) or (deadline is not None and time.monotonic() > deadline)


def _add_firm(P: Prepared, solver, objective, K: set[int], f: int, slots: dict, visits: dict) -> int:
    """Firm f's visit days, its tasks' days and the team slots of K's departments; returns its tasks."""
    tasks = [t for t in P.firm_tasks[f] if P.feasible_mask[t]]
    one = P.firm_cap[f] == 1
    days = P.mask_days(P.firm_candidate_mask[f])
    visit = {d: solver.NumVar(0.0, 1.0, "") for d in days}
    if len(days) > P.firm_cap[f]:
        row = solver.Constraint(0.0, float(P.firm_cap[f]))
        for y in visit.values():
            row.SetCoefficient(y, 1.0)
    done_with_visit: dict[int, int] = defaultdict(int)
    on_day: dict[tuple[int, int], list[tuple]] = defaultdict(list)  # (k, d) -> (variable, need, qualification)
    for t in tasks:
        if one and P.task_dept[t] not in K:
            for d in P.feasible_days[t]:
                done_with_visit[d] += 1  # one visit: done whenever the visit is on one of its days
            continue
        once = None if one else solver.Constraint(0.0, 1.0)
        for d in P.feasible_days[t]:
            x = solver.NumVar(0.0, 1.0, "")
            objective.SetCoefficient(x, 1.0)
            row = solver.Constraint(-solver.infinity(), 0.0)
            row.SetCoefficient(x, 1.0)
            row.SetCoefficient(visit[d], -1.0)
            if once is not None:
                once.SetCoefficient(x, 1.0)
            if P.task_dept[t] in K:
                on_day[(P.task_dept[t], d)].append((x, P.task_need[t], P.task_qual[t]))
    for d, count in done_with_visit.items():
        objective.SetCoefficient(visit[d], float(count))
    district = P.firm_district[f]
    for (k, d), members in on_day.items():
        _add_team(solver, (k, d, district), members, visit[d], slots, visits)
    return len(tasks)


def _add_team(solver, where: tuple, members: list[tuple], visit, slots: dict, visits: dict) -> None:
    """The slots per class of one department's team on one visit (``members``: its tasks' variables,
    needs and qualifications there)."""
    if len(members) == 1:
        x, need, qualification = members[0]
        slots[where + (qualification,)].append((x, float(need)))
        visits[where + (qualification,)].append(visit)
        return
    qualifications = {q for _, _, q in members if q is not None}
    if len(qualifications) > 1:
        qualifications = set()  # an officer may hold both: the qualifications are left out here
    qualified = None
    if qualifications:
        (q,) = qualifications
        qualified = solver.NumVar(0.0, solver.infinity(), "")
        for x, need, qualification in members:
            if qualification == q:
                row = solver.Constraint(0.0, solver.infinity())
                row.SetCoefficient(qualified, 1.0)
                row.SetCoefficient(x, -float(need))
        slots[where + (q,)].append((qualified, 1.0))
        visits[where + (q,)].append(visit)
    rest = solver.NumVar(0.0, solver.infinity(), "")
    for x, need, qualification in members:
        if qualifications and qualification is not None:
            continue
        # The team is as large as its largest need (qualified members count toward it).
        row = solver.Constraint(0.0, solver.infinity())
        row.SetCoefficient(rest, 1.0)
        if qualified is not None:
            row.SetCoefficient(qualified, 1.0)
        row.SetCoefficient(x, -float(need))
    slots[where + (ANY,)].append((rest, 1.0))
    visits[where + (ANY,)].append(visit)


def _classes_by_department_day(slots: dict) -> dict[tuple[int, int], list[tuple]]:
    out: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for k, d, district, qualification in slots:
        out[(k, d)].append((district, qualification))
    return out


def _add_officers(P: Prepared, solver, k: int, d: int, classes: list[tuple], slots: dict, visits: dict,
                  infinity: float) -> None:
    """Department k's officers on day d serve the classes' slots (module docstring)."""
    inflow: dict[tuple, list] = defaultdict(list)
    for group in P.dept_groups[k]:
        supply = group.supply[d]
        if supply <= 0:
            continue
        members = sum(1 for o in group.officers if P.officer_days_mask[o] >> d & 1)
        served = [c for c in classes if group.covers(c[0]) and group.serves(c[1])]
        if not served:
            continue
        row = solver.Constraint(-infinity, float(supply))
        for c in served:
            flow = solver.NumVar(0.0, float(supply), "")
            row.SetCoefficient(flow, 1.0)
            inflow[c].append(flow)
            # One slot per officer and visit.
            per_visit = solver.Constraint(-infinity, 0.0)
            per_visit.SetCoefficient(flow, 1.0)
            for y in visits[(k, d) + c]:
                per_visit.SetCoefficient(y, -float(members))
    for c in classes:
        row = solver.Constraint(-infinity, 0.0)
        for var, coefficient in slots[(k, d) + c]:
            row.SetCoefficient(var, coefficient)
        for flow in inflow.get(c, ()):
            row.SetCoefficient(flow, -1.0)


def raise_bounds(bounds: LowerBounds, departments: list[int], result: tuple[int, int] | None) -> LowerBounds:
    """``bounds`` with the joint LP's loss over the firms of ``departments`` (``joint_lost``'s result)."""
    if result is None:
        return bounds
    lost, firm_lost_there = result
    joint = bounds.firm_lost - firm_lost_there + lost
    return replace(
        bounds,
        unscheduled=bounds.forced + max(bounds.firm_lost, bounds.capacity_lost, joint),
        joint_lost=joint,
        joint_departments=tuple(departments),
    )


class JointBound:
    """``joint_lost`` of ``joint_departments`` built and solved in a thread of its own while the
    search runs (nothing is started when ``unscheduled``, a known schedule's, already meets the
    bounds); ``raised`` waits for it until ``deadline`` at most and returns the bounds it raises.

    The thread waits until twice the LP's estimated time is left before the deadline, or until
    ``raised`` asks for the bounds (a search that ends early does not wait for that start): the
    search makes most of its gains early, and at 10,000 tasks the runs with the LP beside it from the
    start left out more (809.7 on average over three seeds, 802.7 without it)."""

    def __init__(self, P: Prepared, bounds: LowerBounds, deadline: float, unscheduled: int | None = None):
        self.P = P
        self.bounds = bounds
        self.deadline = deadline
        met = unscheduled is not None and unscheduled <= bounds.unscheduled
        seconds = deadline - time.monotonic()
        self.departments, self.size = ([], 0) if met else _chosen_departments(P, bounds.department_lost, seconds)
        self.result: tuple[int, int] | None = None
        self.cancel = Stop()
        self.go = threading.Event()  # start now
        self.thread: threading.Thread | None = None
        if self.departments:
            self.thread = threading.Thread(target=self._run, name="joint-bound", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        start = self.deadline - START_MARGIN * JOINT_SECONDS_PER_VARIABLE * self.size
        self.go.wait(max(0.0, start - time.monotonic()))
        if self.cancel.is_set():
            return
        self.result = joint_lost(self.P, self.departments, self.deadline, self.cancel)

    def raised(self, wait: bool = True) -> LowerBounds:
        """The bounds, raised by the LP when it is solved by the deadline; without ``wait`` the LP is
        stopped where it is (when the schedule is proven optimal already)."""
        if self.thread is None:
            return self.bounds
        if not wait:
            self.cancel.set()
            self.go.set()
            return self.bounds
        self.go.set()
        self.thread.join(max(0.0, self.deadline - time.monotonic()))
        if self.thread.is_alive():  # it stops at its next look at the flag, or GLOP is interrupted
            self.cancel.set()
            return self.bounds
        return raise_bounds(self.bounds, self.departments, self.result)
