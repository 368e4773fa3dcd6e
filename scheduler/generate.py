"""Seeded random instances: small ones for tests, city-sized ones for the benchmark.

``city_instance`` builds a city where officer capacity binds: the officers of every
(department, district) together can make 1.1-1.2 times the officer-visits the on-site
tasks need, each officer works about 80% of the days, windows are mixed (whole period,
two weeks, a few days), about 4% of firm-days are closed, most firms take one visit,
and a heavy tail of firms is targeted by many departments.

``varied_instance`` is a second, differently shaped family for the benchmark: more
districts and fewer departments, many low-capacity officers (long lists of eligible
officers per team), teams of up to three, two qualifications per department, firms
closed on a weekday of their own, some firms without a visit cap, and a capacity that
is either tight (below what the tasks need) or loose (well above it).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .model import Firm, Instance, Officer, Task

__all__ = ["working_days", "city_instance", "varied_instance", "small_instance"]

DEPARTMENTS = ("market", "fire", "ecology", "health", "safety", "transport", "culture", "housing")
DISTRICTS = ("huangpu", "xuhui", "changning", "jingan", "putuo", "hongkou", "yangpu", "minhang")


def working_days(start: date, count: int) -> list[str]:
    """``count`` Monday-to-Friday dates from ``start`` on, as ISO strings."""
    days: list[str] = []
    current = start
    while len(days) < count:
        if current.weekday() < 5:
            days.append(current.isoformat())
        current += timedelta(days=1)
    return days


def _window(rng: random.Random, days: list[str]) -> tuple[str, str]:
    n = len(days)
    roll = rng.random()
    if roll < 0.4:
        return days[0], days[-1]
    length = min(n, 10) if roll < 0.75 else rng.randint(2, 4)
    first = rng.randint(0, n - length)
    return days[first], days[first + length - 1]


def _tasks_per_firm(rng: random.Random) -> int:
    """Heavy tail: most firms get one or two tasks, a few get ten or more."""
    roll = rng.random()
    if roll < 0.45:
        return 1
    if roll < 0.70:
        return 2
    if roll < 0.82:
        return 3
    if roll < 0.97:
        return rng.randint(4, 7)
    return rng.randint(8, 14)


def city_instance(
    n_tasks: int,
    seed: int = 1,
    n_days: int = 20,
    n_districts: int = 6,
    n_departments: int = 8,
    capacity_ratio: tuple[float, float] = (1.1, 1.2),
    availability: float = 0.8,
    closed_rate: float = 0.04,
    qualified_share: float = 0.08,
) -> Instance:
    """A seeded city instance with about ``n_tasks`` tasks (see module docstring)."""
    rng = random.Random(seed)
    days = working_days(date(2026, 3, 2), n_days)
    districts = list(DISTRICTS[:n_districts])
    departments = list(DEPARTMENTS[:n_departments])
    district_weight = [rng.uniform(0.6, 1.4) for _ in districts]
    department_weight = [1.0 / (1 + 0.35 * i) for i in range(len(departments))]

    firms: list[Firm] = []
    tasks: list[Task] = []
    while len(tasks) < n_tasks:
        district = rng.choices(districts, district_weight)[0]
        count = min(_tasks_per_firm(rng), n_tasks - len(tasks))
        firm_id = f"91{districts.index(district):02d}{len(firms):014d}"
        roll = rng.random()
        max_visits = 1 if roll < 0.85 or count == 1 else (2 if roll < 0.97 else 3)
        closed = tuple(day for day in days if rng.random() < closed_rate)
        firms.append(Firm(firm_id, district, max_visits, closed))
        chosen = _city_departments(rng, count, departments, department_weight)
        tasks += _city_tasks(rng, firm_id, chosen, days, len(tasks), qualified_share)

    # Officers: per department, capacity for ratio x the officer-visits its on-site tasks
    # need; home districts follow the demand only roughly (staff are not placed to
    # match this period's plan), so some districts run short and officers who cover a
    # neighbouring district matter.
    firm_district = {f.id: f.district for f in firms}
    need: dict[tuple[str, str], int] = {}
    for task in tasks:
        if task.on_site:
            key = (task.department, firm_district[task.firm])
            need[key] = need.get(key, 0) + task.officers_needed
    ratio = rng.uniform(*capacity_ratio)
    officers: list[Officer] = []
    expected_days = max(1.0, availability * n_days)
    for department in departments:
        total = sum(need.get((department, r), 0) for r in districts)
        if not total:
            continue
        officers += _city_officers(
            rng, department, ratio * total, expected_days, need, days, districts, availability
        )
    return Instance(days=days, firms=firms, officers=officers, tasks=tasks)


def _city_departments(
    rng: random.Random, count: int, departments: list[str], department_weight: list[float]
) -> list[str]:
    """Departments of a city firm's ``count`` tasks: as many distinct ones as there are
    (drawn by weight, without replacement), the rest repeats of those."""
    distinct = min(count, len(departments))
    chosen: list[str] = []
    pool = list(range(len(departments)))
    weights = list(department_weight)
    for _ in range(distinct):
        pick = rng.choices(range(len(pool)), weights)[0]
        chosen.append(departments[pool.pop(pick)])
        weights.pop(pick)
    chosen += [rng.choice(chosen) for _ in range(count - distinct)]
    return chosen


def _city_tasks(
    rng: random.Random,
    firm_id: str,
    chosen: list[str],
    days: list[str],
    serial: int,
    qualified_share: float,
) -> list[Task]:
    """A city firm's tasks, one per department in ``chosen``, numbered after ``serial``."""
    tasks: list[Task] = []
    for department in chosen:
        serial += 1
        on_site = rng.random() < 0.9
        qualification = f"{department}-special" if on_site and rng.random() < qualified_share else None
        tasks.append(
            Task(
                id=f"t{serial}",
                department=department,
                firm=firm_id,
                window=_window(rng, days),
                on_site=on_site,
                officers_needed=2 if rng.random() < 0.6 else 1,
                qualification=qualification,
            )
        )
    return tasks


def _city_officers(
    rng: random.Random,
    department: str,
    target: float,
    expected_days: float,
    need: dict[tuple[str, str], int],
    days: list[str],
    districts: list[str],
    availability: float,
) -> list[Officer]:
    """A city department's officers, able to make about ``target`` officer-visits."""
    count = max(3, round(target / (3 * expected_days)))
    share = [need.get((department, r), 0) * rng.uniform(0.6, 1.4) for r in districts]
    raw = [rng.uniform(0.7, 1.3) for _ in range(count)]
    made = [_city_officer_draft(rng, share, raw[i], days, districts, availability) for i in range(count)]
    # Scale capacities so the department's total is about target.
    weighted_days = sum(m["weight"] * len(m["days"]) for m in made)
    for m in made:
        exact = target * m["weight"] / weighted_days
        m["capacity"] = max(1, int(exact + rng.random()))
    # Every district with tasks is covered by at least three officers.
    for r in districts:
        if not need.get((department, r)):
            continue
        covering = [m for m in made if m["districts"] is None or r in m["districts"]]
        others = [m for m in made if m not in covering]
        rng.shuffle(others)
        for m in others[: max(0, 3 - len(covering))]:
            m["districts"].append(r)
    return [
        Officer(
            id=f"{department}-{i + 1:04d}",
            department=department,
            days=tuple(m["days"]),
            capacity=m["capacity"],
            districts=None if m["districts"] is None else tuple(m["districts"]),
            qualifications=(f"{department}-special",) if rng.random() < 0.35 else (),
        )
        for i, m in enumerate(made)
    ]


def _city_officer_draft(
    rng: random.Random,
    share: list[float],
    weight: float,
    days: list[str],
    districts: list[str],
    availability: float,
) -> dict:
    """One city officer before capacities: home district (by ``share``), working days
    and covered districts (home only, home and the next one, or all: None)."""
    r = rng.choices(range(len(districts)), share)[0]
    worked = [day for day in days if rng.random() < availability] or [rng.choice(days)]
    roll = rng.random()
    if roll < 0.65:
        covered: list[str] | None = [districts[r]]
    elif roll < 0.9:
        covered = [districts[r], districts[(r + 1) % len(districts)]]
    else:
        covered = None
    return {"home": districts[r], "days": worked, "districts": covered, "weight": weight}


def varied_instance(n_tasks: int, seed: int = 1, capacity: str = "tight", n_days: int = 22) -> Instance:
    """A seeded instance of the second family (module docstring); ``capacity`` is
    "tight" (officers can make about 0.85x the officer-visits the tasks ask for) or
    "loose" (about 1.6x)."""
    if capacity not in ("tight", "loose"):
        raise ValueError("capacity must be 'tight' or 'loose'")
    rng = random.Random(f"varied-{seed}-{capacity}")
    days = working_days(date(2026, 4, 1), n_days)
    districts = [f"d{i:02d}" for i in range(10)]
    departments = list(DEPARTMENTS[:5])
    qualifications = {k: (f"{k}-a", f"{k}-b") for k in departments}
    firms: list[Firm] = []
    tasks: list[Task] = []
    while len(tasks) < n_tasks:
        district = districts[min(9, int(rng.expovariate(0.25)))]
        roll = rng.random()
        max_visits = 1 if roll < 0.7 else (2 if roll < 0.9 else None)
        weekday = rng.randrange(7)  # 5, 6: no closed weekday
        closed = tuple(day for i, day in enumerate(days) if i % 5 == weekday or rng.random() < 0.02)
        firm = Firm(f"92{len(firms):016d}", district, max_visits, closed)
        firms.append(firm)
        count = min(n_tasks - len(tasks), 1 + int(rng.expovariate(0.7)))
        for _ in range(count):
            department = rng.choice(departments)
            roll = rng.random()
            if roll < 0.5:
                first, last = 0, n_days - 1
            elif roll < 0.8:
                first = rng.randrange(n_days - 4)
                last = first + 4
            else:
                first = rng.randrange(n_days)
                last = min(n_days - 1, first + rng.randint(0, 2))
            tasks.append(
                Task(
                    id=f"v{len(tasks) + 1}",
                    department=department,
                    firm=firm.id,
                    window=(days[first], days[last]),
                    on_site=rng.random() < 0.95,
                    officers_needed=rng.choices((1, 2, 3), (5, 4, 1))[0],
                    qualification=rng.choice(qualifications[department]) if rng.random() < 0.1 else None,
                )
            )
    need: dict[str, int] = {}
    for task in tasks:
        if task.on_site:
            need[task.department] = need.get(task.department, 0) + task.officers_needed
    ratio = 0.85 if capacity == "tight" else 1.6
    officers: list[Officer] = []
    for department in departments:
        target = ratio * need.get(department, 0)
        made = 0.0
        serial = 0
        while made < target:
            serial += 1
            worked = tuple(day for day in days if rng.random() < 0.75) or (days[0],)
            cap = rng.choice((1, 1, 2))
            roll = rng.random()
            home = rng.randrange(len(districts))
            if roll < 0.5:
                covered: tuple[str, ...] | None = (districts[home],)
            elif roll < 0.8:
                covered = tuple(sorted({districts[home], districts[(home + 1) % 10], districts[(home + 3) % 10]}))
            else:
                covered = None
            held = tuple(q for q in qualifications[department] if rng.random() < 0.3)
            officers.append(Officer(f"{department}-v{serial:05d}", department, worked, cap, covered, held))
            made += cap * len(worked)
    return Instance(days=days, firms=firms, officers=officers, tasks=tasks)


def small_instance(
    seed: int,
    n_firms: int = 6,
    n_days: int = 5,
    n_departments: int = 2,
    n_districts: int = 2,
    officers_per_department: int = 3,
    tasks_per_firm: tuple[int, int] = (1, 3),
    max_capacity: int = 2,
    qualified_share: float = 0.2,
    off_site_share: float = 0.1,
    closed_rate: float = 0.1,
    multi_visit_share: float = 0.2,
) -> Instance:
    """A small seeded random instance for property tests."""
    rng = random.Random(seed)
    days = working_days(date(2026, 3, 2), n_days)
    districts = list(DISTRICTS[:n_districts])
    departments = list(DEPARTMENTS[:n_departments])
    firms = []
    for i in range(n_firms):
        closed = tuple(day for day in days if rng.random() < closed_rate)
        max_visits = 2 if rng.random() < multi_visit_share else 1
        firms.append(Firm(f"F{i}", rng.choice(districts), max_visits, closed))
    officers = []
    for department in departments:
        for j in range(officers_per_department):
            worked = tuple(day for day in days if rng.random() < 0.8) or (days[0],)
            covered = None if rng.random() < 0.3 else tuple(sorted(rng.sample(districts, rng.randint(1, len(districts)))))
            quals = ("special",) if rng.random() < 0.5 else ()
            officers.append(
                Officer(f"{department}-{j}", department, worked, rng.randint(1, max_capacity), covered, quals)
            )
    tasks = []
    serial = 0
    for firm in firms:
        for department in rng.sample(departments, min(len(departments), rng.randint(*tasks_per_firm))):
            serial += 1
            first = rng.randrange(n_days)
            last = min(n_days - 1, first + rng.choice((0, 1, 2, n_days)))
            tasks.append(
                Task(
                    id=f"T{serial}",
                    department=department,
                    firm=firm.id,
                    window=(days[first], days[last]),
                    on_site=rng.random() >= off_site_share,
                    officers_needed=rng.choice((1, 1, 2)),
                    qualification="special" if rng.random() < qualified_share else None,
                )
            )
    return Instance(days=days, firms=firms, officers=officers, tasks=tasks)
