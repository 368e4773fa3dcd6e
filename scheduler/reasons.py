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


def explain_unscheduled(P: Prepared, plan: Plan) -> dict[int, str]:
    reasons: dict[int, str] = {}
    lost_cache: dict[int, int] = {}
    for t in range(P.n_tasks):
        if plan.task_day[t] >= 0:
            continue
        if t in P.reason:
            reasons[t] = P.reason[t]
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
        free_days = [P.days[d] for d in feasible if staff_team(plan, f, d, k, [t]) is not None]
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
