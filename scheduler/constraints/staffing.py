"""Staffing: each task's officers_needed from its own department, qualified officers
for tasks that name a qualification, and teams only where their department works.

In the exact model ``assign_officer_visit[o, f, d]`` puts officer o on the visit of firm
f on day d; it exists only if o works on d, covers f's district and belongs to a
department with a task of f feasible on d.  An officer counts once per visit, so one
department team serves all of that department's tasks on the visit.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from ..prepare import Prepared


def add_officer_variables(
    model: cp_model.CpModel,
    P: Prepared,
    visit_firm_day: dict[tuple[int, int], cp_model.IntVar],
    assign_task_day: dict[tuple[int, int], cp_model.IntVar],
    assign_officer_visit: dict[tuple[int, int, int], cp_model.IntVar],
) -> None:
    for (f, d), visit in visit_firm_day.items():
        district = P.firm_district[f]
        by_department: dict[int, list[int]] = {}
        for t in P.firm_tasks[f]:
            if (t, d) in assign_task_day:
                by_department.setdefault(P.task_dept[t], []).append(t)
        for k, tasks in by_department.items():
            members = {}
            for o in P.eligible(k, district, None):
                if P.officer_days_mask[o] >> d & 1:
                    a = assign_officer_visit[(o, f, d)] = model.NewBoolVar(f"assign_officer_visit_{o}_{f}_{d}")
                    members[o] = a
                    # An officer is only on a visit that takes place.
                    model.AddImplication(a, visit)
            # Officers of a department only go where their department has a task that day.
            for a in members.values():
                model.AddBoolOr([assign_task_day[(t, d)] for t in tasks]).OnlyEnforceIf(a)
            for t in tasks:
                qualification = P.task_qual[t]
                team = [
                    a
                    for o, a in members.items()
                    if qualification is None or qualification in P.officer_quals[o]
                ]
                # officers_needed (qualified) officers of the task's department.
                model.Add(sum(team) >= P.task_need[t] * assign_task_day[(t, d)])
