"""Reasons for unscheduled tasks, phrased so a planner knows what to change.

Tasks that no schedule could take get their reason from ``Prepared`` (computed before
solving).  For the others the final plan is inspected: a full visit cap, or officers
of the department at capacity on the open days of the window.
"""

from __future__ import annotations

from .bounds import firm_lost_tasks
from .greedy import staff_team
from .plan import Plan
from .prepare import Prepared

__all__ = ["explain_unscheduled"]


CUT_SHORT = (
    "the time limit ran out before the solver could place this task: give it more time"
)


def explain_unscheduled(P: Prepared, plan: Plan, cut_short: bool = False) -> dict[int, str]:
    """A reason for every unscheduled on-site task of ``plan``.  ``cut_short``: the
    plan was built until the time limit and not every task was tried."""
    reasons: dict[int, str] = {}
    lost_cache: dict[int, int] = {}
    # whether one more team fits: depends on the district, department, team size,
    # qualification and day only
    fits: dict[tuple, bool] = {}
    for t in range(P.n_tasks):
        if plan.task_day[t] >= 0:
            continue
        if t in P.reason:
            reasons[t] = P.reason[t]
            continue
        if cut_short:
            reasons[t] = CUT_SHORT
            continue
        f = P.task_firm[t]
        k = P.task_dept[t]
        department = P.departments[k]
        cap = P.firm_cap[f]
        visit_days = plan.firm_days[f]
        feasible = P.feasible_days[t]
        if len(visit_days) >= cap and not any(d in visit_days for d in feasible):
            if f not in lost_cache:
                lost_cache[f] = firm_lost_tasks(P, f)
            if lost_cache[f] > 0:
                reasons[t] = (
                    f"firm's visit cap reached: its tasks' windows need more days than max_visits ({cap}); "
                    "raise the cap or align the windows"
                )
            else:
                reasons[t] = (
                    f"firm's visit cap ({cap}) is used on days outside this task's window, where officer "
                    f"capacity allowed the firm's other tasks; officers of department {department} had no "
                    "room on the window's open days"
                )
            continue
        free_days = []
        for d in feasible:
            key = (P.firm_district[f], k, P.task_need[t], P.task_qual[t], d)
            if key not in fits:
                fits[key] = staff_team(plan, f, d, k, [t]) is not None
            if fits[key]:
                free_days.append(P.days[d])
        if free_days:
            reasons[t] = (
                f"officers of department {department} are free on {', '.join(free_days[:3])} but a visit "
                "there would break the firm's visit cap or its other tasks' staffing"
            )
        else:
            reasons[t] = (
                f"officers of department {department} are at capacity on every open day of the window"
            )
    return reasons
