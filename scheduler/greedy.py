"""Constructive "careful greedy".

1. Stab each firm's task windows (its feasible days): sort tasks by their last feasible
   day and stab at that day whenever a task is not yet met; every stab is a candidate
   visit whose tasks share the days common to all of them.  A firm keeps its
   ``max_visits`` largest stabs.
2. Take the candidate visits most-constrained first (fewest common days, then most
   tasks) and put each on the common day with the most free officer capacity of the
   departments involved in the firm's district, joining an existing visit of the firm
   when there is one.  Every other not yet scheduled task of the firm that fits the
   chosen day rides along.  A greedy running late for its deadline tries only the
   best scored days (``careful_greedy``), and a day where the district's officers have
   fewer visits left than the team has members is not tried.
3. Staff each department's team at once: qualified officers for the qualified slots,
   preferring officers who would not span a second district that day, officers who
   cover few districts (the flexible ones are kept for later) and the least loaded.
4. A last pass inserts the tasks left over wherever a visit or a new visit fits.
"""

from __future__ import annotations

import heapq
import random
import time

from .plan import Plan
from .prepare import ANY, Prepared, team_demand

__all__ = ["careful_greedy", "staff_team", "restaff_department", "insert_task", "relocate_firm"]

# Days a candidate visit tries once the greedy runs late for its deadline, then once
# it still does (a visit that no day can staff whole otherwise tries every day of its
# window).
HURRY = (2, 1)


class _Free:
    """Free capacity of each (department, district) per day: the remaining visits of the
    department's officers who cover the district (an officer covering two districts
    counts in both; it is a score, not a constraint)."""

    def __init__(self, P: Prepared, plan: Plan):
        self.P = P
        self.districts = sorted({d for d in P.firm_district if d is not None}) + [None]
        self.free: dict[tuple[int, str | None], list[int]] = {}
        for k in range(len(P.departments)):
            for r in self.districts:
                counts = [0] * P.n_days
                for o in P.eligible(k, r, None):
                    row = plan.rem[o]
                    for d in range(P.n_days):
                        counts[d] += row[d]
                self.free[(k, r)] = counts
        # the counts each officer is part of
        self.cells: list[list[list[int]]] = []
        for o, k in enumerate(P.officer_dept):
            covered = P.officer_districts[o]
            self.cells.append([self.free[(k, r)] for r in self.districts if covered is None or r in covered])

    def take(self, o: int, d: int, amount: int) -> None:
        for counts in self.cells[o]:
            counts[d] -= amount


def staff_team(plan: Plan, f: int, d: int, k: int, tasks: list[int]) -> list[int] | None:
    """Officers of department k for its ``tasks`` at firm f on day d, or None.

    Uses only capacity still free in ``plan``; does not change the plan.  Officers come
    in the order of ``queues.OfficerQueues``: not spanning a second district that day,
    covering few districts, holding few unneeded qualifications, least loaded.
    """
    P = plan.P
    district = P.firm_district[f]
    demand = team_demand([(P.task_need[t], P.task_qual[t]) for t in tasks])
    queues = plan.queues
    chosen: list[int] = []
    taken: set[int] = set()
    for qualification in sorted(demand, key=lambda q: (q is ANY, q or "")):
        picked = queues.pick(k, district, qualification, d, demand[qualification], taken)
        if picked is None:
            return None
        chosen.extend(picked)
        taken.update(picked)
    return chosen


def restaff_department(plan: Plan, f: int, d: int, k: int, tasks: list[int], free: _Free | None = None) -> bool:
    """Re-staff department k's team at visit (f, d) for ``tasks`` (all its tasks there).

    Releases the current team first; on failure the old team is put back.
    """
    old = plan.clear_team(f, d, k)
    if free is not None:
        for o in old:
            free.take(o, d, -1)
    team = staff_team(plan, f, d, k, tasks)
    if team is None:
        if old:
            plan.set_team(f, d, k, old)
            if free is not None:
                for o in old:
                    free.take(o, d, 1)
        return False
    plan.set_team(f, d, k, team)
    if free is not None:
        for o in team:
            free.take(o, d, 1)
    return True


def _department_tasks(plan: Plan, f: int, d: int, k: int) -> list[int]:
    P = plan.P
    return [t for t in plan.visit_tasks.get((f, d), ()) if P.task_dept[t] == k]


def insert_task(plan: Plan, t: int, free: _Free | None = None, new_visits: bool = True) -> bool:
    """Put unscheduled task t into an existing visit of its firm, else a new one."""
    P = plan.P
    f = P.task_firm[t]
    k = P.task_dept[t]
    mask = P.feasible_mask[t]
    for d in sorted(plan.firm_days[f]):
        if mask >> d & 1:
            tasks = _department_tasks(plan, f, d, k) + [t]
            if restaff_department(plan, f, d, k, tasks, free):
                plan.add_task(t, d)
                return True
    if not new_visits or len(plan.firm_days[f]) >= P.firm_cap[f]:
        return False
    days = [d for d in P.mask_days(mask) if d not in plan.firm_days[f]]
    if free is not None:
        district = P.firm_district[f]
        days.sort(key=lambda d: -free.free[(k, district)][d])
    for d in days:
        team = staff_team(plan, f, d, k, [t])
        if team is not None:
            plan.add_task(t, d)
            plan.set_team(f, d, k, team)
            if free is not None:
                for o in team:
                    free.take(o, d, 1)
            return True
    return False


def _stabs(P: Prepared, tasks: list[int]) -> list[tuple[int, list[int]]]:
    """Greedy interval stabbing over feasible days: (stab day, tasks it meets)."""
    order = sorted(tasks, key=lambda t: (P.feasible_mask[t].bit_length(), P.feasible_mask[t]))
    points: list[list] = []
    stabbed = 0
    for t in order:
        mask = P.feasible_mask[t]
        if mask & stabbed:
            # join the latest stab that meets it
            for point in reversed(points):
                if mask >> point[0] & 1:
                    point[1].append(t)
                    break
            continue
        day = mask.bit_length() - 1
        points.append([day, [t]])
        stabbed |= 1 << day
    return [(p[0], p[1]) for p in points]


def _candidates(P: Prepared, rng: random.Random) -> list[tuple]:
    """Candidate visits, most constrained first: (common days, -tasks, tie-break, firm, tasks, day mask)."""
    candidates = []
    for f, tasks in enumerate(P.firm_tasks):
        tasks = [t for t in tasks if P.feasible_mask[t]]
        if not tasks or P.firm_cap[f] <= 0:
            continue
        stabs = _stabs(P, tasks)
        if len(stabs) > P.firm_cap[f]:
            if P.firm_cap[f] == 1:
                # One visit: aim at the days that meet the most tasks.
                cover = {d: sum(1 for t in tasks if P.feasible_mask[t] >> d & 1) for d in P.mask_days(P.firm_candidate_mask[f])}
                top = max(cover.values())
                best = 0
                for d, n in cover.items():
                    if n == top:
                        best |= 1 << d
                group = [t for t in tasks if P.feasible_mask[t] & best]
                candidates.append((bin(best).count("1"), -top, rng.random(), f, group, best))
                continue
            stabs.sort(key=lambda s: -len(s[1]))
            stabs = stabs[: P.firm_cap[f]]
        for _, group in stabs:
            common = -1
            for t in group:
                common &= P.feasible_mask[t]
            candidates.append((bin(common).count("1"), -len(group), rng.random(), f, group, common))
    candidates.sort(key=lambda c: c[:3])
    return candidates


def careful_greedy(P: Prepared, seed: int = 0, deadline: float | None = None, reserve: float = 0.0) -> Plan:
    """A complete plan (days and teams) built by the careful greedy (module docstring).

    With a ``deadline`` (time.monotonic()), the greedy watches its pace: when placing
    every candidate visit at the pace so far would overrun ``deadline - reserve``, each
    of the rest tries only its two best scored days, and only the best one if it is
    still late (``HURRY``; ``plan.hurried`` is set).  Only when the deadline itself
    passes does placing stop: the plan is valid, the tasks not placed yet are left
    unscheduled, and ``plan.cut_short`` is set.  The caller's ``reserve`` (the time it
    keeps for what follows the greedy) is thus spent on placing visits rather than
    leaving the last candidates out on a machine slower than the pace expected.
    """
    rng = random.Random(seed)
    plan = Plan(P)
    free = _Free(P, plan)

    candidates = _candidates(P, rng)

    # Days tried per candidate visit: all of them while time allows, then fewer.
    levels = [None, *HURRY]
    # The work left from candidate i on at each level, in days to try (and one for the
    # visit): the candidates come most constrained first, so the wide windows at the end
    # cost more than the pace of the first ones says.  Without a deadline nothing is paced.
    work_left = [_work_left(candidates, tries) for tries in levels] if deadline is not None else []
    level, tries = 0, None
    paced_since, paced_from = time.monotonic(), 0
    for i, (_, _, _, f, group, common) in enumerate(candidates):
        if deadline is not None and i % 64 == 0:
            now = time.monotonic()
            if now > deadline:
                plan.cut_short = True
                return plan
            left = work_left[level]
            if level + 1 < len(levels) and i > paced_from:
                pace = (now - paced_since) / (left[paced_from] - left[i])
                if pace * left[i] > 0.8 * (deadline - reserve - now):
                    # at this pace the deadline comes first: hurry (more if still late)
                    level += 1
                    tries = levels[level]
                    plan.hurried = True
                    paced_since, paced_from = now, i
        _place_group(plan, free, f, group, common, tries)

    # Last pass: insert what is left, most constrained first.
    left = [t for t in range(P.n_tasks) if plan.task_day[t] < 0 and P.feasible_mask[t]]
    left.sort(key=lambda t: (bin(P.feasible_mask[t]).count("1"), rng.random()))
    for i, t in enumerate(left):
        if deadline is not None and i % 64 == 0 and time.monotonic() > deadline:
            plan.cut_short = True
            break
        insert_task(plan, t, free)
    return plan


def _work_left(candidates: list[tuple], tries: int | None) -> list[int]:
    """Suffix sums over the candidates of 1 + the days each tries (its common days, at most ``tries``)."""
    left = [0] * (len(candidates) + 1)
    for i in range(len(candidates) - 1, -1, -1):
        days = candidates[i][0]
        left[i] = left[i + 1] + 1 + (days if tries is None else min(days, tries))
    return left


def _try_day(plan: Plan, free: _Free | None, f: int, d: int) -> tuple[list[int], dict[int, list[int]]]:
    """Staff every department of firm f's open tasks that fit day d (kept in the plan).

    Returns the tasks staffed and, per department touched, its previous team for undo.
    """
    P = plan.P
    by_department: dict[int, list[int]] = {}
    for t in P.firm_tasks[f]:
        if plan.task_day[t] < 0 and P.feasible_mask[t] >> d & 1:
            by_department.setdefault(P.task_dept[t], []).append(t)
    staffed: list[int] = []
    previous: dict[int, list[int]] = {}
    district = P.firm_district[f]
    for k, tasks in by_department.items():
        old = list(plan.teams.get((f, d), {}).get(k, ()))
        if free is not None and free.free[(k, district)][d] + len(old) < max(P.task_need[t] for t in tasks):
            # Fewer visits left among the officers who cover the district than the team has
            # members: no team can be found (the staffing would look and fail).
            continue
        if restaff_department(plan, f, d, k, _department_tasks(plan, f, d, k) + tasks, free):
            previous[k] = old
            staffed.extend(tasks)
    return staffed, previous


def _undo_day(plan: Plan, free: _Free | None, f: int, d: int, previous: dict[int, list[int]]) -> None:
    for k, old in previous.items():
        for o in plan.clear_team(f, d, k):
            if free is not None:
                free.take(o, d, -1)
        if old:
            plan.set_team(f, d, k, old)
            if free is not None:
                for o in old:
                    free.take(o, d, 1)


def relocate_firm(plan: Plan, f: int) -> bool:
    """Move a one-visit firm's visit to the day where the most of its tasks can be
    staffed with the capacity left; keeps the current visit unless that does more."""
    P = plan.P
    if P.firm_cap[f] != 1:
        return False
    tasks = [t for t in P.firm_tasks[f] if P.feasible_mask[t]]
    done = [t for t in tasks if plan.task_day[t] >= 0]
    if len(done) == len(tasks):
        return False
    old_days = list(plan.firm_days[f])
    cover = {d: sum(1 for t in tasks if P.feasible_mask[t] >> d & 1) for d in P.mask_days(P.firm_candidate_mask[f])}
    days = sorted((d for d, n in cover.items() if n > len(done)), key=lambda d: -cover[d])
    if not days:
        return False
    # Take the current visit out.
    saved = []
    for d in old_days:
        teams = dict(plan.teams.get((f, d), {}))
        for k in teams:
            plan.clear_team(f, d, k)
        saved.append((d, list(plan.visit_tasks[(f, d)]), teams))
        for t in list(plan.visit_tasks[(f, d)]):
            plan.remove_task(t)
    for d in days:
        staffed, previous = _try_day(plan, None, f, d)
        if len(staffed) > len(done):
            for t in staffed:
                plan.add_task(t, d)
            return True
        _undo_day(plan, None, f, d, previous)
    # Put the old visit back.
    for d, visit_tasks, teams in saved:
        for t in visit_tasks:
            plan.add_task(t, d)
        for k, team in teams.items():
            plan.set_team(f, d, k, team)
    return False


def _place_group(plan: Plan, free: _Free, f: int, group: list[int], common: int, tries: int | None = None) -> None:
    """Put the candidate visit (firm f, ``group`` of its tasks, ``common`` days) on the
    first day, best scored first, that staffs the whole group, else on the day that
    staffs most of it.  ``tries``: look at only that many of the best scored days."""
    P = plan.P
    district = P.firm_district[f]
    used = plan.firm_days[f]
    group = [t for t in group if plan.task_day[t] < 0]
    if not group:
        return
    if len(used) >= P.firm_cap[f]:
        days = [d for d in used if common >> d & 1]
    else:
        days = P.mask_days(common)
    if not days:
        return
    departments: dict[int, int] = {}
    for t in group:
        departments[P.task_dept[t]] = max(departments.get(P.task_dept[t], 0), P.task_need[t])

    def score(d: int) -> tuple:
        slack = min(free.free[(k, district)][d] - need for k, need in departments.items())
        return (d in used, slack)

    if tries is None:
        days.sort(key=score, reverse=True)
    else:
        days = heapq.nlargest(tries, days, key=score)
    best_day, best_count = -1, 0
    for d in days:
        staffed, previous = _try_day(plan, free, f, d)
        if all(t in staffed for t in group):
            for t in staffed:
                plan.add_task(t, d)
            return
        _undo_day(plan, free, f, d, previous)
        if len(staffed) > best_count:
            best_day, best_count = d, len(staffed)
    if best_day >= 0:
        staffed, _ = _try_day(plan, free, f, best_day)
        for t in staffed:
            plan.add_task(t, best_day)
