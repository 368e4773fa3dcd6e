"""Independent checker of a solution against an instance.

Written from the exchange-format rules alone: it imports nothing of the solver, so a
solver bug cannot hide itself.  ``check_solution`` returns one line per violation,
each starting with the name of the broken rule followed by a colon, e.g.
``"officer_capacity: officer o1 is on 4 visits on 2026-03-04 (capacity 3)"``.

Rules:
  unknown_firm, unknown_task, unknown_officer  ids that the instance does not define
  day_not_in_horizon        a visit on a day that is not a working day of ``days``
  closed_day                a visit on one of the firm's closed days
  duplicate_visit           two visits of one firm on one day
  max_visits                more visits to a firm than its max_visits
  empty_visit               a visit without tasks
  task_firm                 a task in a visit of another firm
  off_site_task             an off-site task in a visit or in unscheduled
  task_twice                a task in two visits, twice in one, or twice in unscheduled
  scheduled_and_unscheduled a task both in a visit and in unscheduled
  missing_task              an on-site task neither in a visit nor in unscheduled
  unscheduled_reason        an unscheduled task without a reason
  window                    a visit day outside one of its tasks' windows
  wrong_department          an officer listed under a department that is not his
  department_without_task   officers listed for a department with no task in the visit
  duplicate_officer         an officer twice in one visit
  officer_day               an officer on a visit on a day he does not work
  officer_district          an officer at a firm outside his districts
  officers_needed           a task with fewer officers of its department than it needs
  qualification             a task with fewer qualified officers than it needs
  officer_capacity          an officer on more visits a day than his capacity
  status                    a status outside the four allowed
  stats                     stats["visits"] disagreeing with the visits
"""

from __future__ import annotations

from collections import Counter, defaultdict

from .model import Instance, Solution

__all__ = ["check_solution", "RULES"]

RULES = (
    "unknown_firm",
    "unknown_task",
    "unknown_officer",
    "day_not_in_horizon",
    "closed_day",
    "duplicate_visit",
    "max_visits",
    "empty_visit",
    "task_firm",
    "off_site_task",
    "task_twice",
    "scheduled_and_unscheduled",
    "missing_task",
    "unscheduled_reason",
    "window",
    "wrong_department",
    "department_without_task",
    "duplicate_officer",
    "officer_day",
    "officer_district",
    "officers_needed",
    "qualification",
    "officer_capacity",
    "status",
    "stats",
)


def check_solution(instance: Instance, solution: Solution) -> list[str]:
    """Every rule of the exchange format that ``solution`` breaks, as readable lines."""
    return _Checker(instance).check(solution)


class _Checker:
    """The checks of one solution against its instance: each visit (its firm and day, its tasks, its
    officers and their teams), then the counts across visits, then the unscheduled tasks."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.horizon = set(instance.days)
        self.firms = {f.id: f for f in instance.firms}
        self.tasks = {t.id: t for t in instance.tasks}
        self.officers = {o.id: o for o in instance.officers}
        self.officer_days = {o.id: set(o.days) for o in instance.officers}
        self.errors: list[str] = []
        self.visits_per_firm: Counter[str] = Counter()
        self.firm_days: Counter[tuple[str, str]] = Counter()
        self.officer_load: Counter[tuple[str, str]] = Counter()
        self.scheduled: Counter[str] = Counter()
        self.unscheduled: Counter[str] = Counter()

    def check(self, solution: Solution) -> list[str]:
        if solution.status not in ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"):
            self.errors.append(f"status: unknown status {solution.status!r}")
        for number, visit in enumerate(solution.visits):
            self._visit(number, visit)
        self._counts()
        self._unscheduled(solution)
        self._every_task_once()
        if "visits" in solution.stats and solution.stats["visits"] != len(solution.visits):
            self.errors.append(f"stats: stats.visits is {solution.stats['visits']} but there are "
                               f"{len(solution.visits)} visits")
        return self.errors

    def _visit(self, number: int, visit) -> None:
        where = f"visit {number} ({visit.firm} on {visit.day})"
        firm = self.firms.get(visit.firm)
        if firm is None:
            self.errors.append(f"unknown_firm: {where} names an unknown firm")
        if visit.day not in self.horizon:
            self.errors.append(f"day_not_in_horizon: {where} is not on a working day of the horizon")
        if firm is not None and visit.day in firm.closed_days:
            self.errors.append(f"closed_day: {where} is on a day the firm is closed")
        self.firm_days[(visit.firm, visit.day)] += 1
        self.visits_per_firm[visit.firm] += 1
        if not visit.tasks:
            self.errors.append(f"empty_visit: {where} has no tasks")
        by_department = self._tasks_of(visit, where)
        team = self._officers_of(visit, where, firm, by_department)
        self._teams(where, by_department, team)

    def _tasks_of(self, visit, where: str) -> dict[str, list]:
        """The visit's tasks, grouped by department."""
        by_department: dict[str, list] = defaultdict(list)
        for task_id in visit.tasks:
            self.scheduled[task_id] += 1
            task = self.tasks.get(task_id)
            if task is None:
                self.errors.append(f"unknown_task: {where} names unknown task {task_id!r}")
                continue
            if task.firm != visit.firm:
                self.errors.append(f"task_firm: task {task_id} of firm {task.firm} is in {where}")
            if not task.on_site:
                self.errors.append(f"off_site_task: off-site task {task_id} is in {where}")
            if not (task.window[0] <= visit.day <= task.window[1]):
                self.errors.append(f"window: task {task_id} is in {where}, outside its window "
                                   f"[{task.window[0]}, {task.window[1]}]")
            by_department[task.department].append(task)
        return by_department

    def _officers_of(self, visit, where: str, firm, by_department: dict[str, list]) -> dict[str, list]:
        """The officers of each department on the visit who may be there."""
        seen_on_visit: set[str] = set()
        team: dict[str, list] = defaultdict(list)
        for department, officer_ids in visit.officers.items():
            if department not in by_department:
                self.errors.append(f"department_without_task: {where} lists officers of department "
                                   f"{department} but none of its tasks")
            for officer_id in officer_ids:
                officer = self.officers.get(officer_id)
                if officer is None:
                    self.errors.append(f"unknown_officer: {where} names unknown officer {officer_id!r}")
                    continue
                if officer_id in seen_on_visit:
                    self.errors.append(f"duplicate_officer: officer {officer_id} is listed twice in {where}")
                    continue
                seen_on_visit.add(officer_id)
                if officer.department != department:
                    self.errors.append(f"wrong_department: officer {officer_id} of department {officer.department} "
                                       f"is listed for department {department} in {where}")
                    continue
                if visit.day not in self.officer_days[officer_id]:
                    self.errors.append(f"officer_day: officer {officer_id} does not work on {visit.day} ({where})")
                if firm is not None and officer.districts is not None and firm.district not in officer.districts:
                    self.errors.append(f"officer_district: officer {officer_id} does not cover district "
                                       f"{firm.district} ({where})")
                self.officer_load[(officer_id, visit.day)] += 1
                team[department].append(officer)
        return team

    def _teams(self, where: str, by_department: dict[str, list], team: dict[str, list]) -> None:
        """Each task needs officers_needed officers of its department (qualified ones if it names a
        qualification); a department's team serves all its tasks on the visit."""
        for department, department_tasks in by_department.items():
            members = team.get(department, [])
            for task in department_tasks:
                if len(members) < task.officers_needed:
                    self.errors.append(f"officers_needed: task {task.id} needs {task.officers_needed} officers of "
                                       f"department {department} but {where} has {len(members)}")
                if task.qualification is not None:
                    qualified = sum(1 for o in members if task.qualification in o.qualifications)
                    if qualified < task.officers_needed:
                        self.errors.append(f"qualification: task {task.id} needs {task.officers_needed} officers "
                                           f"qualified for {task.qualification} but {where} has {qualified}")

    def _counts(self) -> None:
        for (firm_id, day), count in sorted(self.firm_days.items()):
            if count > 1:
                self.errors.append(f"duplicate_visit: firm {firm_id} has {count} visits on {day}")
        for firm_id, count in sorted(self.visits_per_firm.items()):
            firm = self.firms.get(firm_id)
            if firm is not None and firm.max_visits is not None and count > firm.max_visits:
                self.errors.append(f"max_visits: firm {firm_id} has {count} visits, more than its max_visits "
                                   f"{firm.max_visits}")
        for (officer_id, day), count in sorted(self.officer_load.items()):
            capacity = self.officers[officer_id].capacity
            if count > capacity:
                self.errors.append(f"officer_capacity: officer {officer_id} is on {count} visits on {day} "
                                   f"(capacity {capacity})")

    def _unscheduled(self, solution: Solution) -> None:
        for item in solution.unscheduled:
            self.unscheduled[item.task] += 1
            task = self.tasks.get(item.task)
            if task is None:
                self.errors.append(f"unknown_task: unscheduled names unknown task {item.task!r}")
                continue
            if not task.on_site:
                self.errors.append(f"off_site_task: off-site task {item.task} is listed as unscheduled")
            if not item.reason or not item.reason.strip():
                self.errors.append(f"unscheduled_reason: task {item.task} is unscheduled without a reason")

    def _every_task_once(self) -> None:
        for task_id, count in sorted(self.scheduled.items()):
            if count > 1:
                self.errors.append(f"task_twice: task {task_id} is in {count} visit slots")
        for task_id, count in sorted(self.unscheduled.items()):
            if count > 1:
                self.errors.append(f"task_twice: task {task_id} is listed {count} times as unscheduled")
            if self.scheduled.get(task_id):
                self.errors.append(f"scheduled_and_unscheduled: task {task_id} is in a visit and in unscheduled")
        for task in self.instance.tasks:
            if task.on_site and not self.scheduled.get(task.id) and not self.unscheduled.get(task.id):
                self.errors.append(f"missing_task: on-site task {task.id} is neither in a visit nor unscheduled")
