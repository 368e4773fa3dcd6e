"""Visits: which day each task is done on, which firm-days are visits, max_visits.

The variables exist only for feasible pairs: ``assign_task_day[t, d]`` for the days in
``Prepared.feasible_days[t]`` and ``visit_firm_day[f, d]`` for the union of them over the
firm's tasks.  One visit per firm and day holds by construction (one variable each).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from ..prepare import Prepared


def add_visit_variables(
    model: cp_model.CpModel,
    P: Prepared,
    firms: list[int],
    visit_firm_day: dict[tuple[int, int], cp_model.IntVar],
    assign_task_day: dict[tuple[int, int], cp_model.IntVar],
) -> None:
    """Create the day variables of ``firms`` and post the visit rules on them."""
    for f in firms:
        tasks = [t for t in P.firm_tasks[f] if P.feasible_mask[t]]
        if not tasks or P.firm_cap[f] <= 0:
            continue
        firm_visits = {}
        for d in P.mask_days(P.firm_candidate_mask[f]):
            firm_visits[d] = visit_firm_day[(f, d)] = model.NewBoolVar(f"visit_firm_day_{f}_{d}")
        on_day: dict[int, list] = {d: [] for d in firm_visits}
        for t in tasks:
            choices = []
            for d in P.feasible_days[t]:
                x = assign_task_day[(t, d)] = model.NewBoolVar(f"assign_task_day_{t}_{d}")
                choices.append(x)
                on_day[d].append(x)
                # A task is done on a day only if the firm is visited that day.
                model.AddImplication(x, firm_visits[d])
            # Each task is done at most once (otherwise it is unscheduled).
            model.AddAtMostOne(choices)
        for d, y in firm_visits.items():
            # A visit does at least one task.
            model.AddBoolOr(on_day[d]).OnlyEnforceIf(y)
        # The firm's visit cap over the horizon.
        if len(firm_visits) > P.firm_cap[f]:
            model.Add(sum(firm_visits.values()) <= P.firm_cap[f])
