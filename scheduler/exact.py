"""Exact CP-SAT model for small instances: days, visits and officers in one model.

The lexicographic objective is solved in stages, each fixing the optimum of the one
before (CP-SAT primer style "staged solves"):
  1. fewest unscheduled tasks, then fewest visits (weighted sum, the weight of an
     unscheduled task exceeding the number of possible visits),
  2. fewest officer-days spanning more than one district,
  3. balanced load: smallest sum over departments of the largest officer load, then
     the fewest officer-visits; the visits of stage 2 stay fixed, only officers move.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from .constraints.balance import add_load_terms
from .constraints.capacity import add_officer_capacity
from .constraints.districts import add_spanning
from .constraints.staffing import add_officer_variables
from .constraints.visits import add_visit_variables
from .model import SolverConfig
from .plan import Plan
from .prepare import Prepared

__all__ = ["ExactModel", "solve_exact"]


class ExactModel:
    def __init__(self, P: Prepared):
        self.P = P
        self.model = cp_model.CpModel()
        self.visit_firm_day: dict[tuple[int, int], cp_model.IntVar] = {}
        self.assign_task_day: dict[tuple[int, int], cp_model.IntVar] = {}
        self.assign_officer_visit: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.span_officer_day: dict[tuple[int, int], cp_model.IntVar] = {}
        add_visit_variables(self.model, P, list(range(len(P.firm_ids))), self.visit_firm_day, self.assign_task_day)
        add_officer_variables(self.model, P, self.visit_firm_day, self.assign_task_day, self.assign_officer_visit)
        add_officer_capacity(self.model, P, self.assign_officer_visit)
        add_spanning(self.model, P, self.assign_officer_visit, self.span_officer_day)
        self.max_loads, self.assignments, self.assignment_bound = add_load_terms(
            self.model, P, self.assign_officer_visit
        )
        scheduled = sum(self.assign_task_day.values())
        # Objective term 1+2: unscheduled tasks dominate visits.
        self.weight_unscheduled = len(self.visit_firm_day) + 1
        self.stage_objectives = [
            -self.weight_unscheduled * scheduled + sum(self.visit_firm_day.values()),
            sum(self.span_officer_day.values()),
            (self.assignment_bound + 1) * sum(self.max_loads) + sum(self.assignments),
        ]

    def _variables(self):
        yield from self.visit_firm_day.values()
        yield from self.assign_task_day.values()
        yield from self.assign_officer_visit.values()
        yield from self.span_officer_day.values()
        yield from self.max_loads

    def hint_plan(self, plan: Plan) -> None:
        self.model.ClearHints()
        for (f, d), y in self.visit_firm_day.items():
            self.model.AddHint(y, (f, d) in plan.visit_tasks)
        for (t, d), x in self.assign_task_day.items():
            self.model.AddHint(x, plan.task_day[t] == d)
        members = set()
        for (f, d), teams in plan.teams.items():
            for team in teams.values():
                members.update((o, f, d) for o in team)
        for key, a in self.assign_officer_visit.items():
            self.model.AddHint(a, key in members)

    def hint_values(self, solver: cp_model.CpSolver) -> None:
        self.model.ClearHints()
        for var in self._variables():
            self.model.AddHint(var, solver.Value(var))

    def plan_from(self, solver: cp_model.CpSolver) -> Plan:
        P = self.P
        plan = Plan(P)
        for (t, d), x in self.assign_task_day.items():
            if solver.BooleanValue(x):
                plan.add_task(t, d)
        teams: dict[tuple[int, int, int], list[int]] = {}
        for (o, f, d), a in self.assign_officer_visit.items():
            if solver.BooleanValue(a) and (f, d) in plan.visit_tasks:
                teams.setdefault((f, d, P.officer_dept[o]), []).append(o)
        for (f, d, k), team in teams.items():
            if any(P.task_dept[t] == k for t in plan.visit_tasks[(f, d)]):
                plan.set_team(f, d, k, team)
        return plan


def solve_exact(P: Prepared, config: SolverConfig, deadline: float, start_plan: Plan | None) -> tuple[Plan | None, bool]:
    """Staged exact solve.  Returns (plan or None, whether stages 1 and 2 are optimal)."""
    exact = ExactModel(P)
    if start_plan is not None:
        exact.hint_plan(start_plan)
    plan = None
    proven = True
    shares = (0.6, 0.5, 1.0)
    for stage, objective in enumerate(exact.stage_objectives):
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            proven = proven and stage >= 2
            break
        exact.model.Minimize(objective)
        solver = cp_model.CpSolver()
        budget = remaining * shares[stage]
        if stage == 2:
            # A tie-break on symmetric officers: proving it can take long, so cap it.
            budget = min(budget, 0.1 * config.time_limit)
        solver.parameters.max_time_in_seconds = max(0.05, budget)
        solver.parameters.num_workers = config.workers
        solver.parameters.random_seed = config.seed
        status = solver.Solve(exact.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven = proven and stage >= 2
            break
        plan = exact.plan_from(solver)
        if stage < 2 and status != cp_model.OPTIMAL:
            proven = False
        # Fix this stage's optimum for the next stage.
        exact.model.Add(objective <= int(round(solver.ObjectiveValue())))
        exact.hint_values(solver)
        if stage == 1:
            # The balance stage only re-assigns officers: the visits stay as they are.
            for var in list(exact.visit_firm_day.values()) + list(exact.assign_task_day.values()):
                exact.model.Add(var == solver.Value(var))
    return plan, proven and plan is not None
