"""Data classes of the combined-inspection scheduler and their JSON exchange format.

The exchange format is fixed by the platform's public spec::

    Instance  {"days": [...], "firms": [...], "officers": [...], "tasks": [...]}
    Solution  {"status": ..., "visits": [...], "unscheduled": [...], "stats": {...}}

Dates are ISO 8601 strings ("2026-03-02"); they compare correctly as strings.
``Instance.from_dict`` / ``Solution.from_dict`` accept exactly that format (optional
keys may be absent) and ``to_dict`` writes every key of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Firm",
    "Officer",
    "Task",
    "Instance",
    "SolverConfig",
    "Visit",
    "Unscheduled",
    "Solution",
    "STATUSES",
]

STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class Firm:
    """A firm (identified by its USCC) that departments inspect.

    ``max_visits`` caps the firm's visits in the horizon (None: no cap);
    ``closed_days`` are days on which the firm may not be visited.
    """

    id: str
    district: str | None = None
    max_visits: int | None = 1
    closed_days: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Firm:
        max_visits = data.get("max_visits", 1)
        return cls(
            id=str(data["id"]),
            district=None if data.get("district") is None else str(data["district"]),
            max_visits=None if max_visits is None else int(max_visits),
            closed_days=_str_list(data.get("closed_days"), "closed_days"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "district": self.district,
            "max_visits": self.max_visits,
            "closed_days": list(self.closed_days),
        }


@dataclass(frozen=True)
class Officer:
    """An officer of one department.

    He works only on ``days``, on at most ``capacity`` visits a day, only at firms of
    ``districts`` (None: every district), and counts toward a task that names a
    qualification only if he holds it.
    """

    id: str
    department: str
    days: tuple[str, ...] = ()
    capacity: int = 1
    districts: tuple[str, ...] | None = None
    qualifications: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Officer:
        districts = data.get("districts")
        return cls(
            id=str(data["id"]),
            department=str(data["department"]),
            days=_str_list(data.get("days"), "days"),
            capacity=int(data.get("capacity", 1)),
            districts=None if districts is None else _str_list(districts, "districts"),
            qualifications=_str_list(data.get("qualifications"), "qualifications"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "department": self.department,
            "days": list(self.days),
            "capacity": self.capacity,
            "districts": None if self.districts is None else list(self.districts),
            "qualifications": list(self.qualifications),
        }


@dataclass(frozen=True)
class Task:
    """One department's inspection task at one firm, due within ``window`` (inclusive)."""

    id: str
    department: str
    firm: str
    window: tuple[str, str]
    on_site: bool = True
    officers_needed: int = 1
    qualification: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        window = _str_list(data.get("window"), "window")
        if len(window) != 2:
            raise ValueError(f"task {data.get('id')!r}: window must be [first, last]")
        qualification = data.get("qualification")
        return cls(
            id=str(data["id"]),
            department=str(data["department"]),
            firm=str(data["firm"]),
            window=(window[0], window[1]),
            on_site=bool(data.get("on_site", True)),
            officers_needed=int(data.get("officers_needed", 1)),
            qualification=None if qualification is None else str(qualification),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "department": self.department,
            "firm": self.firm,
            "window": [self.window[0], self.window[1]],
            "on_site": self.on_site,
            "officers_needed": self.officers_needed,
            "qualification": self.qualification,
        }


@dataclass
class Instance:
    """A scheduling instance: working days of the horizon, firms, officers and tasks."""

    days: list[str]
    firms: list[Firm]
    officers: list[Officer]
    tasks: list[Task]

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("invalid instance: " + "; ".join(problems[:10]))

    def problems(self) -> list[str]:
        """Structural problems (duplicate ids, unknown firms, bad numbers); empty if none."""
        problems: list[str] = []
        if len(set(self.days)) != len(self.days):
            problems.append("days contain duplicates")
        for kind, items in (("firm", self.firms), ("officer", self.officers), ("task", self.tasks)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    problems.append(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        firm_ids = {f.id for f in self.firms}
        for firm in self.firms:
            if firm.max_visits is not None and firm.max_visits < 0:
                problems.append(f"firm {firm.id!r}: max_visits must be >= 0")
        for officer in self.officers:
            if officer.capacity < 0:
                problems.append(f"officer {officer.id!r}: capacity must be >= 0")
        for task in self.tasks:
            if task.firm not in firm_ids:
                problems.append(f"task {task.id!r}: unknown firm {task.firm!r}")
            if task.officers_needed < 1:
                problems.append(f"task {task.id!r}: officers_needed must be >= 1")
            if task.window[0] > task.window[1]:
                problems.append(f"task {task.id!r}: window starts after it ends")
        return problems

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instance:
        return cls(
            days=list(_str_list(data.get("days"), "days")),
            firms=[Firm.from_dict(f) for f in data.get("firms") or []],
            officers=[Officer.from_dict(o) for o in data.get("officers") or []],
            tasks=[Task.from_dict(t) for t in data.get("tasks") or []],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": list(self.days),
            "firms": [f.to_dict() for f in self.firms],
            "officers": [o.to_dict() for o in self.officers],
            "tasks": [t.to_dict() for t in self.tasks],
        }


@dataclass
class SolverConfig:
    """Solver settings.

    time_limit: wall-clock seconds for the whole solve, model building included.
    workers: CP-SAT search workers.  seed: every random choice is seeded from it.
    strategy: "auto" (exact model for small instances, decomposition otherwise),
        "exact" (one CP-SAT model with officer assignment, staged lexicographic
        solves) or "decomposed" (greedy + large-neighbourhood search on visit days,
        then officer assignment per department and day).
    exact_max_tasks: "auto" uses the exact model up to this many on-site tasks.
    neighbourhood_vars: starting number of day variables in one LNS sub-model (it
        adapts: grows while sub-models solve fast, shrinks when they time out).
    """

    time_limit: float = 30.0
    workers: int = 1
    seed: int = 0
    strategy: str = "auto"
    exact_max_tasks: int = 150
    neighbourhood_vars: int = 3000

    def __post_init__(self) -> None:
        if self.strategy not in ("auto", "exact", "decomposed"):
            raise ValueError(f"unknown strategy {self.strategy!r}")
        if self.time_limit <= 0:
            raise ValueError("time_limit must be positive")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")


@dataclass
class Visit:
    """One visit: a firm on a day, the tasks done there and each department's team."""

    firm: str
    day: str
    tasks: list[str]
    officers: dict[str, list[str]]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Visit:
        return cls(
            firm=str(data["firm"]),
            day=str(data["day"]),
            tasks=list(_str_list(data.get("tasks"), "tasks")),
            officers={str(k): list(_str_list(v, "officers")) for k, v in (data.get("officers") or {}).items()},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "firm": self.firm,
            "day": self.day,
            "tasks": list(self.tasks),
            "officers": {k: list(v) for k, v in self.officers.items()},
        }


@dataclass
class Unscheduled:
    """An on-site task left out of every visit, with a reason a planner can act on."""

    task: str
    reason: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unscheduled:
        return cls(task=str(data["task"]), reason=str(data.get("reason", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "reason": self.reason}


@dataclass
class Solution:
    """A schedule: status, visits, unscheduled tasks and statistics."""

    status: str = "UNKNOWN"
    visits: list[Visit] = field(default_factory=list)
    unscheduled: list[Unscheduled] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Solution:
        status = str(data.get("status", "UNKNOWN"))
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        return cls(
            status=status,
            visits=[Visit.from_dict(v) for v in data.get("visits") or []],
            unscheduled=[Unscheduled.from_dict(u) for u in data.get("unscheduled") or []],
            stats=dict(data.get("stats") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "visits": [v.to_dict() for v in self.visits],
            "unscheduled": [u.to_dict() for u in self.unscheduled],
            "stats": dict(self.stats),
        }
