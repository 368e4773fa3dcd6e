"""Index structures shared by the greedy, the bounds and the CP-SAT models.

Everything is turned into small integers once: days ``d`` index ``instance.days``,
firms ``f``, officers ``o``, departments ``k``; tasks ``t`` index the *on-site* tasks
only (``Prepared.task_ids``).  The expensive part is ``feasible_days[t]``: the days of
the horizon inside the task's window on which the firm is open and enough eligible
officers (own department, covering the firm's district, qualified when the task names
a qualification) work to staff it.  Only those (task, day) pairs ever become variables.
Tasks without a single feasible day get a specific reason here, before any solving.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Instance

__all__ = ["Prepared", "OfficerGroup", "team_demand", "prepare"]

ANY = None  # the demand class "any officer of the department"


@dataclass
class OfficerGroup:
    """Officers of one department with the same districts and qualifications.

    ``supply[d]`` is the sum of their capacities on day d (visits they can make).
    """

    index: int
    department: int
    districts: frozenset[str] | None
    qualifications: frozenset[str]
    officers: list[int]
    supply: list[int]

    def covers(self, district: str | None) -> bool:
        return self.districts is None or district in self.districts

    def serves(self, qualification: str | None) -> bool:
        return qualification is ANY or qualification in self.qualifications


def team_demand(needs: list[tuple[int, str | None]]) -> dict[str | None, int]:
    """Officer slots one department's team takes on a visit, by demand class.

    ``needs`` lists (officers_needed, qualification) of the department's tasks on the
    visit.  The team has max(officers_needed) members; for every qualification q it
    holds max(officers_needed of q's tasks) officers qualified for q, distinct across
    qualifications; the rest (class ANY) may be any officer of the department.  This
    decomposition is what the aggregated capacity models and the staffing use, so a
    team they build always satisfies every task's rule.
    """
    total = 0
    per_qualification: dict[str, int] = {}
    for need, qualification in needs:
        total = max(total, need)
        if qualification is not None:
            per_qualification[qualification] = max(per_qualification.get(qualification, 0), need)
    demand: dict[str | None, int] = dict(per_qualification)
    rest = total - sum(per_qualification.values())
    if rest > 0:
        demand[ANY] = rest
    return demand


class Prepared:
    """Integer-indexed view of an instance (see module docstring)."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.days = list(instance.days)
        self.n_days = len(self.days)
        self.day_of = {day: d for d, day in enumerate(self.days)}
        self._index_firms(instance)
        departments = self._index_departments(instance)
        self._index_officers(instance, departments)
        self._index_tasks(instance, departments)

        # Eligible officers per (department, district, qualification) and, per day, how
        # many of them work.
        self._eligible: dict[tuple[int, str | None, str | None], list[int]] = {}
        self._eligible_count: dict[tuple[int, str | None, str | None], list[int]] = {}

        self._find_feasible_days()
        self._group_officers()

    # -- construction --------------------------------------------------------------

    def _index_firms(self, instance: Instance) -> None:
        """Firms: ids, districts, visit caps and the days each is open (bit masks)."""
        all_days = (1 << self.n_days) - 1
        self.firm_ids = [f.id for f in instance.firms]
        self.firm_of = {fid: f for f, fid in enumerate(self.firm_ids)}
        self.firm_district = [f.district for f in instance.firms]
        self.firm_cap = [self.n_days if f.max_visits is None else min(f.max_visits, self.n_days) for f in instance.firms]
        self.firm_open_mask = []
        for firm in instance.firms:
            mask = all_days
            for day in firm.closed_days:
                d = self.day_of.get(day)
                if d is not None:
                    mask &= ~(1 << d)
            self.firm_open_mask.append(mask)

    def _index_departments(self, instance: Instance) -> dict[str, int]:
        """Departments (those of officers and of on-site tasks), numbered in order of
        first appearance; returns name -> index."""
        departments: dict[str, int] = {}
        for officer in instance.officers:
            departments.setdefault(officer.department, len(departments))
        for task in instance.tasks:
            if task.on_site:
                departments.setdefault(task.department, len(departments))
        self.departments = list(departments)
        self.dept_of = departments
        return departments

    def _index_officers(self, instance: Instance, departments: dict[str, int]) -> None:
        """Officers: department, capacity, districts, qualifications and working days
        (a bit mask, empty for officers without capacity); officers per department."""
        self.officer_ids = [o.id for o in instance.officers]
        self.officer_dept = [departments[o.department] for o in instance.officers]
        self.officer_cap = [max(0, o.capacity) for o in instance.officers]
        self.officer_districts = [None if o.districts is None else frozenset(o.districts) for o in instance.officers]
        self.officer_quals = [frozenset(o.qualifications) for o in instance.officers]
        self.officer_days_mask = []
        for officer in instance.officers:
            mask = 0
            for day in officer.days:
                d = self.day_of.get(day)
                if d is not None:
                    mask |= 1 << d
            self.officer_days_mask.append(mask if officer.capacity > 0 else 0)
        self.dept_officers: list[list[int]] = [[] for _ in self.departments]
        for o, k in enumerate(self.officer_dept):
            self.dept_officers[k].append(o)

    def _index_tasks(self, instance: Instance, departments: dict[str, int]) -> None:
        """On-site tasks (firm, department, officers needed, qualification, window as a
        bit mask) and the tasks of every firm; off-site tasks are only listed."""
        self.task_ids: list[str] = []
        self.task_firm: list[int] = []
        self.task_dept: list[int] = []
        self.task_need: list[int] = []
        self.task_qual: list[str | None] = []
        self.task_window_mask: list[int] = []
        self.off_site_ids: list[str] = []
        window_masks: dict[tuple[str, str], int] = {}
        for task in instance.tasks:
            if not task.on_site:
                self.off_site_ids.append(task.id)
                continue
            mask = window_masks.get(task.window)
            if mask is None:
                mask = self._window_mask(task.window)
                window_masks[task.window] = mask
            self.task_ids.append(task.id)
            self.task_firm.append(self.firm_of[task.firm])
            self.task_dept.append(departments[task.department])
            self.task_need.append(task.officers_needed)
            self.task_qual.append(task.qualification)
            self.task_window_mask.append(mask)
        self.n_tasks = len(self.task_ids)
        self.task_of = {tid: t for t, tid in enumerate(self.task_ids)}
        self.firm_tasks: list[list[int]] = [[] for _ in self.firm_ids]
        for t, f in enumerate(self.task_firm):
            self.firm_tasks[f].append(t)

    def _window_mask(self, window: tuple[str, str]) -> int:
        """Bit mask of the horizon's days inside ``window`` (first, last)."""
        mask = 0
        for d, day in enumerate(self.days):
            if window[0] <= day <= window[1]:
                mask |= 1 << d
        return mask

    def _find_feasible_days(self) -> None:
        """Feasible days of every task, and a reason for tasks that have none; the
        days some task of each firm could be done on."""
        self.feasible_mask: list[int] = []
        self.reason: dict[int, str] = {}
        for t in range(self.n_tasks):
            mask = self._feasible_mask(t)
            self.feasible_mask.append(mask)
            if not mask:
                self.reason[t] = self._infeasibility_reason(t)
        self.feasible_days: list[list[int]] = [self.mask_days(m) for m in self.feasible_mask]
        self.firm_candidate_mask = [0] * len(self.firm_ids)
        for t, m in enumerate(self.feasible_mask):
            self.firm_candidate_mask[self.task_firm[t]] |= m

    def _feasible_mask(self, t: int) -> int:
        """Days of task t's window on which its firm is open and enough eligible
        officers work to staff it."""
        f = self.task_firm[t]
        base = self.task_window_mask[t] & self.firm_open_mask[f]
        counts = self.eligible_count(self.task_dept[t], self.firm_district[f], self.task_qual[t])
        need = self.task_need[t]
        mask = 0
        rest = base
        while rest:
            low = rest & -rest
            d = low.bit_length() - 1
            if counts[d] >= need:
                mask |= low
            rest ^= low
        return mask

    def _group_officers(self) -> None:
        """Officer groups (same department, districts and qualifications) of the
        officers who work, with their supply per day; the groups of every department."""
        self.groups: list[OfficerGroup] = []
        keyed: dict[tuple, OfficerGroup] = {}
        for o in range(len(self.officer_ids)):
            if not self.officer_days_mask[o]:
                continue
            key = (self.officer_dept[o], self.officer_districts[o], self.officer_quals[o])
            group = keyed.get(key)
            if group is None:
                group = OfficerGroup(len(self.groups), key[0], key[1], key[2], [], [0] * self.n_days)
                keyed[key] = group
                self.groups.append(group)
            group.officers.append(o)
            for d in self.mask_days(self.officer_days_mask[o]):
                group.supply[d] += self.officer_cap[o]
        self.dept_groups: list[list[OfficerGroup]] = [[] for _ in self.departments]
        for group in self.groups:
            self.dept_groups[group.department].append(group)

    # -- helpers -----------------------------------------------------------------

    def mask_days(self, mask: int) -> list[int]:
        days = []
        while mask:
            low = mask & -mask
            days.append(low.bit_length() - 1)
            mask ^= low
        return days

    def covers(self, o: int, district: str | None) -> bool:
        districts = self.officer_districts[o]
        return districts is None or district in districts

    def eligible(self, k: int, district: str | None, qualification: str | None) -> list[int]:
        """Officers of department k who cover ``district`` (and hold ``qualification``)."""
        key = (k, district, qualification)
        found = self._eligible.get(key)
        if found is None:
            found = [
                o
                for o in self.dept_officers[k]
                if self.officer_days_mask[o]
                and self.covers(o, district)
                and (qualification is None or qualification in self.officer_quals[o])
            ]
            self._eligible[key] = found
        return found

    def eligible_count(self, k: int, district: str | None, qualification: str | None) -> list[int]:
        key = (k, district, qualification)
        counts = self._eligible_count.get(key)
        if counts is None:
            counts = [0] * self.n_days
            for o in self.eligible(k, district, qualification):
                for d in self.mask_days(self.officer_days_mask[o]):
                    counts[d] += 1
            self._eligible_count[key] = counts
        return counts

    # -- reasons -----------------------------------------------------------------

    def _infeasibility_reason(self, t: int) -> str:
        f = self.task_firm[t]
        k = self.task_dept[t]
        dept = self.departments[k]
        district = self.firm_district[f]
        qual = self.task_qual[t]
        need = self.task_need[t]
        window = self.task_window_mask[t]
        if not window:
            return "window has no working day of the horizon: move the window into the planning period"
        if not window & self.firm_open_mask[f]:
            return "window has no day the firm is open"
        staff = [o for o in self.dept_officers[k] if self.officer_days_mask[o]]
        if not staff:
            return f"department {dept} has no officers available in the horizon"
        local = [o for o in staff if self.covers(o, district)]
        if not local:
            return f"no officer of department {dept} covers district {district}"
        if qual is not None:
            if not any(qual in self.officer_quals[o] for o in staff):
                return f"no officer of department {dept} is qualified for {qual}"
            local = [o for o in local if qual in self.officer_quals[o]]
            if not local:
                return f"no officer of department {dept} qualified for {qual} covers district {district}"
        if len(local) < need:
            what = f"qualified for {qual} and " if qual is not None else ""
            return (
                f"task needs {need} officers of department {dept} but only {len(local)} are "
                f"{what}covering district {district}"
            )
        open_window = window & self.firm_open_mask[f]
        if not any(self.officer_days_mask[o] & open_window for o in local):
            return (
                f"no eligible officer of department {dept} works on a day of the window "
                f"when the firm is open"
            )
        return (
            f"on no open day of the window do {need} eligible officers of department {dept} "
            f"work: widen the window or roster more officers"
        )


def prepare(instance: Instance) -> Prepared:
    return Prepared(instance)

