"""Officer load balance (objective term 4): per department the largest number of
visits any of its officers makes in the horizon, then the total officer-visits (so no
team is larger than it has to be)."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from ..prepare import Prepared


def add_load_terms(
    model: cp_model.CpModel,
    P: Prepared,
    assign_officer_visit: dict[tuple[int, int, int], cp_model.IntVar],
) -> tuple[list[cp_model.IntVar], list[cp_model.IntVar], int]:
    """Return (max load per department, all assignment variables, bound on their sum)."""
    per_officer: dict[int, list] = defaultdict(list)
    for (o, _f, _d), a in assign_officer_visit.items():
        per_officer[o].append(a)
    per_department: dict[int, list] = defaultdict(list)
    for o, visits in per_officer.items():
        per_department[P.officer_dept[o]].append((o, visits))
    maxima = []
    for k, officers in per_department.items():
        top = max(len(v) for _, v in officers)
        max_load_department = model.NewIntVar(0, top, f"max_load_department_{k}")
        for _o, visits in officers:
            # The department's maximum load is at least every officer's load.
            model.Add(sum(visits) <= max_load_department)
        maxima.append(max_load_department)
    assignments = list(assign_officer_visit.values())
    return maxima, assignments, len(assignments)
