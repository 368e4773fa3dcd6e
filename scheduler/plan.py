"""Mutable schedule state shared by the greedy, the neighbourhood search and staffing.

A plan holds, in the integer indices of ``Prepared``: the day of every on-site task
(-1: unscheduled), the tasks of every visit (firm, day), the team of every department
on a visit, and each officer's remaining capacity per day.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from .model import Solution, Unscheduled, Visit
from .prepare import Prepared
from .queues import OfficerQueues

__all__ = ["Plan"]


class Plan:
    def __init__(self, prepared: Prepared):
        self.P = prepared
        self.task_day = [-1] * prepared.n_tasks
        self.visit_tasks: dict[tuple[int, int], list[int]] = {}
        self.teams: dict[tuple[int, int], dict[int, list[int]]] = {}
        self.firm_days: list[set[int]] = [set() for _ in prepared.firm_ids]
        self.rem = [
            [prepared.officer_cap[o] if prepared.officer_days_mask[o] >> d & 1 else 0 for d in range(prepared.n_days)]
            for o in range(len(prepared.officer_ids))
        ]
        self.load = [0] * len(prepared.officer_ids)
        # districts each officer visits on each day: (o, d) -> {district: visits}
        self.officer_day_districts: dict[tuple[int, int], dict[str | None, int]] = defaultdict(dict)
        self._queues: OfficerQueues | None = None
        self.cut_short = False  # built until a deadline: not every task was tried
        self.hurried = False  # built in a hurry for a deadline: some choices were cut short

    @property
    def queues(self) -> OfficerQueues:
        """Officers in order of preference per bucket (``queues.OfficerQueues``), built on
        first use and kept up to date by ``set_team`` and ``clear_team``."""
        if self._queues is None:
            self._queues = OfficerQueues(self)
        return self._queues

    # -- day plan ------------------------------------------------------------------

    def add_task(self, t: int, d: int) -> None:
        f = self.P.task_firm[t]
        self.task_day[t] = d
        tasks = self.visit_tasks.get((f, d))
        if tasks is None:
            self.visit_tasks[(f, d)] = [t]
            self.firm_days[f].add(d)
        else:
            tasks.append(t)

    def remove_task(self, t: int) -> None:
        d = self.task_day[t]
        if d < 0:
            return
        f = self.P.task_firm[t]
        tasks = self.visit_tasks[(f, d)]
        tasks.remove(t)
        self.task_day[t] = -1
        if not tasks:
            del self.visit_tasks[(f, d)]
            self.firm_days[f].discard(d)

    # -- teams ---------------------------------------------------------------------

    def set_team(self, f: int, d: int, k: int, team: list[int]) -> None:
        district = self.P.firm_district[f]
        self.teams.setdefault((f, d), {})[k] = list(team)
        for o in team:
            self.rem[o][d] -= 1
            self.load[o] += 1
            used = self.officer_day_districts[(o, d)]
            used[district] = used.get(district, 0) + 1
        if self._queues is not None:
            for o in team:
                self._queues.touch(o, d)

    def clear_team(self, f: int, d: int, k: int) -> list[int]:
        teams = self.teams.get((f, d))
        if not teams or k not in teams:
            return []
        team = teams.pop(k)
        if not teams:
            del self.teams[(f, d)]
        district = self.P.firm_district[f]
        for o in team:
            self.rem[o][d] += 1
            self.load[o] -= 1
            used = self.officer_day_districts[(o, d)]
            used[district] -= 1
            if not used[district]:
                del used[district]
        if self._queues is not None:
            for o in team:
                self._queues.touch(o, d)
        return team

    def clear_all_teams(self) -> None:
        for (f, d), teams in list(self.teams.items()):
            for k in list(teams):
                self.clear_team(f, d, k)

    def spans(self, o: int, d: int, district: str | None) -> bool:
        """Would a visit in ``district`` make officer o's day d span two districts?"""
        used = self.officer_day_districts.get((o, d))
        return bool(used) and district not in used

    # -- measures ------------------------------------------------------------------

    def unscheduled_count(self) -> int:
        return sum(1 for d in self.task_day if d < 0)

    def visit_count(self) -> int:
        return len(self.visit_tasks)

    def spanning_officer_days(self) -> int:
        return sum(1 for used in self.officer_day_districts.values() if len(used) > 1)

    def load_stats(self) -> dict[str, float]:
        """Officer loads (visits in the horizon) of officers who work at least one day."""
        loads = [self.load[o] for o in range(len(self.load)) if self.P.officer_days_mask[o]]
        if not loads:
            return {"max_officer_load": 0, "officer_load_stdev": 0.0}
        by_department: dict[int, int] = defaultdict(int)
        for o, load in enumerate(self.load):
            k = self.P.officer_dept[o]
            by_department[k] = max(by_department[k], load)
        return {
            "max_officer_load": max(loads),
            "sum_department_max_load": sum(by_department.values()),
            "officer_load_stdev": round(statistics.pstdev(loads), 3),
        }

    def copy_days(self) -> Plan:
        """A plan with the same task days and no teams."""
        other = Plan(self.P)
        for t, d in enumerate(self.task_day):
            if d >= 0:
                other.add_task(t, d)
        return other

    # -- output --------------------------------------------------------------------

    def to_solution(self, status: str, reasons: dict[int, str], stats: dict) -> Solution:
        P = self.P
        visits = []
        for (f, d) in sorted(self.visit_tasks, key=lambda key: (key[1], P.firm_ids[key[0]])):
            tasks = sorted(self.visit_tasks[(f, d)], key=lambda t: P.task_ids[t])
            teams = self.teams.get((f, d), {})
            officers = {
                P.departments[k]: sorted(P.officer_ids[o] for o in teams[k]) for k in sorted(teams, key=lambda k: P.departments[k])
            }
            visits.append(Visit(P.firm_ids[f], P.days[d], [P.task_ids[t] for t in tasks], officers))
        unscheduled = [
            Unscheduled(P.task_ids[t], reasons.get(t, "could not be scheduled"))
            for t in range(P.n_tasks)
            if self.task_day[t] < 0
        ]
        return Solution(status=status, visits=visits, unscheduled=unscheduled, stats=stats)
