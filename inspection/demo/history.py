"""Past years of the demo city, in bulk: each department's half-yearly random plans, drawn with the
published algorithm, their joint visits, scans, findings per checklist point, outcomes and publication,
and the complaints and leads about firms. These plans stand for the years before the platform: their
selections follow the algorithm, but their draw records are not kept (they would add megabytes).

What the inspections find comes from a hidden truth that only this module knows: every firm has a
violation propensity derived from the seed (``Truth``), never stored in any column the platform reads.
The platform's risk model must learn it back from the records, which is what makes its evaluation
(and ``benchmarks/risk.py``) mean something.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import math
import random
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core import clock

from ..models import (
    CatalogueItem,
    ChecklistPoint,
    Department,
    DepartmentEntry,
    Finding,
    Firm,
    FirmLead,
    FirmTag,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    Officer,
    Scan,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
    plan_items,
)
from ..operations.events import append_event, utcnow
from ..pure import draws
from ..pure.calendar import working_days

Progress = Callable[[str, int, int], None]
HISTORY_RATIOS = {"A": 0.03, "B": 0.04, "C": 0.08, "D": 0.16}   # per half-year
CLASS_INDEX = {"A": 0, "B": 1, "C": 2, "D": 3}
# The truth: a department's baseline (log-odds), an industry's lean, and how much each trait weighs.
DEPARTMENT_BASE = {"market": -2.0, "emergency": -1.7, "ecology": -1.9, "fire": -1.8, "health": -2.1,
                   "transport": -1.9, "housing": -1.6, "hr": -2.2}
INDUSTRY_LEAN = {"化工": 0.5, "危险化学品经营": 0.4, "建筑施工": 0.45, "餐饮服务": 0.35, "娱乐场所": 0.3,
                 "机动车维修": 0.25, "食品制造": 0.2, "石油开采与炼化": 0.3, "道路货物运输": 0.2, "印刷": 0.15,
                 "电子信息制造": -0.3, "医疗机构": -0.2, "药品零售": -0.1, "房地产开发": 0.1}
CLASS_WEIGHT = 0.3          # per step from A to D
FIRM_WEIGHT = 1.1           # the firm's own hidden trait (standard normal)
LAPSE_WEIGHT = 0.25         # per year without an entry, up to 3 years
YEAR_NOISE = 0.35
CASE_SHARE = 0.12           # problems found that become a case
# On the platform, the share of the departments whose half-year plans join the joint campaign: more join
# once the first half-year has shown what combining saves.
CAMPAIGN_SHARE = {"上半年": 0.6, "下半年": 1.0}
FINES = (2000, 3000, 5000, 8000, 10000, 20000, 30000, 50000)


def _uniforms(seed: int, label: str, n: int = 2) -> list[float]:
    digest = hashlib.blake2b(label.encode("utf-8"), key=str(seed).encode(), digest_size=8 * n).digest()
    return [(int.from_bytes(digest[8 * i:8 * i + 8], "big") + 0.5) / 2**64 for i in range(n)]


def _normal(seed: int, label: str) -> float:
    u1, u2 = _uniforms(seed, label)
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


@dataclasses.dataclass(frozen=True)
class Truth:
    """The hidden propensity of the demo city's firms, a pure function of the seed."""

    seed: int

    def trait(self, uscc: str) -> float:
        return _normal(self.seed, f"trait:{uscc}")

    def propensity(self, uscc: str, industry: str, credit_class: str, department: str, year: int,
                   years_since_entry: float) -> float:
        """The chance that the department's inspection in ``year`` finds a problem at the firm."""
        logit = (DEPARTMENT_BASE.get(department, -1.4) + INDUSTRY_LEAN.get(industry, 0.0)
                 + CLASS_WEIGHT * CLASS_INDEX[credit_class] + FIRM_WEIGHT * self.trait(uscc)
                 + LAPSE_WEIGHT * min(years_since_entry, 3.0)
                 + YEAR_NOISE * _normal(self.seed, f"year:{uscc}:{department}:{year}"))
        return 1 / (1 + math.exp(-logit))

    def violates(self, uscc: str, industry: str, credit_class: str, department: str, year: int,
                 years_since_entry: float) -> bool:
        """Whether the firm is in breach of the department's rules that year (found if inspected)."""
        draw = _uniforms(self.seed, f"violation:{uscc}:{department}:{year}", 1)[0]
        return draw < self.propensity(uscc, industry, credit_class, department, year, years_since_entry)

    def complaints(self, uscc: str, credit_class: str, year: int) -> int:
        """Complaints and leads about the firm in ``year``: more for firms that break rules."""
        rate = 0.22 * math.exp(0.8 * self.trait(uscc) + 0.2 * CLASS_INDEX[credit_class])
        u, k, p = _uniforms(self.seed, f"complaints:{uscc}:{year}", 1)[0], 0, math.exp(-rate)
        cumulative = p
        while u > cumulative and k < 12:
            k += 1
            p *= rate / k
            cumulative += p
        return k


@dataclasses.dataclass
class _Department:
    id: int
    code: str
    short_name: str
    user_id: int
    items: list[tuple[int, set[str], set[str], list[int]]]   # (item id, industries, tags, point ids)
    officers: list[tuple[int, dt.date, dt.date]]

    def items_for(self, industry: str, tags: set[str]) -> list[tuple[int, list[int]]]:
        return [(item_id, points) for item_id, industries, scope_tags, points in self.items
                if industry in industries or tags & scope_tags]


@dataclasses.dataclass
class _Firm:
    id: int
    uscc: str
    industry: str
    credit_class: str
    tags: set[str]


def _returning_ids(model):
    """A Core insert of many rows that returns their ids in the order given (no ORM bookkeeping)."""
    table = model.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def _halves(year: int, until: dt.date | None = None) -> list[tuple[str, dt.date, dt.date]]:
    """The year's two half-year plan periods, cut at ``until``."""
    halves = [("上半年", dt.date(year, 1, 1), dt.date(year, 6, 30)), ("下半年", dt.date(year, 7, 1), dt.date(year, 12, 31))]
    return [(name, first, min(last, until) if until else last) for name, first, last in halves
            if until is None or first <= until]


def city_snapshot(session: Session) -> tuple[list[_Firm], list[_Department]]:
    """The firms and the departments with random items (their scopes, points and officers), as plain data."""
    tags = defaultdict(set)
    for firm_id, tag in session.execute(select(FirmTag.firm_id, FirmTag.tag)):
        tags[firm_id].add(tag)
    firms = [_Firm(fid, uscc, industry, credit_class, tags[fid]) for fid, uscc, industry, credit_class
             in session.execute(select(Firm.id, Firm.uscc, Firm.industry, Firm.credit_class).order_by(Firm.id))]
    points = defaultdict(list)
    for item_id, point_id in session.execute(select(ChecklistPoint.item_id, ChecklistPoint.id)
                                             .order_by(ChecklistPoint.item_id, ChecklistPoint.position)):
        points[item_id].append(point_id)
    users = dict(session.execute(select(User.department_id, User.id).where(User.role == "department")
                                 .order_by(User.id.desc())).all())
    departments = []
    for department in session.scalars(select(Department).order_by(Department.id)):
        items = [(item.id, set(item.scope_industries), set(item.scope_tags), points[item.id])
                 for item in session.scalars(select(CatalogueItem).where(
                     CatalogueItem.department_id == department.id, CatalogueItem.status == "published",
                     CatalogueItem.method == "random").order_by(CatalogueItem.code)) if points[item.id]]
        officers = list(session.execute(select(Officer.id, Officer.valid_from, Officer.valid_to).where(
            Officer.department_id == department.id, Officer.kind == "enforcement", Officer.active.is_(True))
            .order_by(Officer.id)).all())
        if items and department.id in users and len(officers) >= 2:
            departments.append(_Department(department.id, department.code, department.short_name,
                                           users[department.id], items, officers))
    return firms, departments


def generate_history(session: Session, *, seed: int, years: list[int], progress: Progress | None = None,
                     staged: bool = True, ratios: dict[str, float] | None = None, until: dt.date | None = None,
                     combined_from: int | None = None) -> dict:
    """Insert ``years`` of past inspections (the last one up to ``until``) and the complaints of ``years``
    and the current year to date.

    ``combined_from`` is the first year of the platform (综合查一次): before it every department visits
    the firms it drew on its own day, each visit its own entry; from it most departments of a half-year
    (``CAMPAIGN_SHARE``, more in the second half-year) draw with one shared seed (a joint campaign, so that their samples overlap as
    far as their ratios allow), the others alone, and a firm drawn by several is entered once, jointly. Without it every year is combined.

    ``staged`` adds what the demo shows oversight: one department whose cases and fines jump in the
    last year before the platform (趋利性执法) and one of its officers who treats three cases heavier (从重)."""
    progress = progress or (lambda stage, done, total: None)
    ratios = ratios or HISTORY_RATIOS
    truth = Truth(seed)
    rng = random.Random(f"history:{seed}")
    firms, departments = city_snapshot(session)
    by_id = {f.id: f for f in firms}
    last_entry: dict[int, dt.date] = {}
    totals = defaultdict(int)
    now = utcnow()
    staged_department = next((d for d in departments if d.code == "transport"), None) if staged else None
    concerned = {d.id: [f for f in firms if d.items_for(f.industry, f.tags)] for d in departments}
    before_platform = [y for y in sorted(years) if combined_from is None or y < combined_from]
    staged_year = before_platform[-1] if before_platform else None
    for n_year, year in enumerate(sorted(years), start=1):
        year_start = dt.date(year, 1, 1)
        since = {f.id: ((year_start - last_entry[f.id]).days / 365.25 if f.id in last_entry else 3.0) for f in firms}
        drawn_this_year: dict[int, set[int]] = defaultdict(set)
        combined = combined_from is None or year >= combined_from
        for half, first, last in _halves(year, until if year == max(years) else None):
            plans, chosen = [], defaultdict(list)            # firm id -> [(department, plan index)]
            campaign = set()
            if combined_from is not None and combined:
                order = sorted(departments, key=lambda d: _uniforms(seed, f"joins:{year}:{half}:{d.code}", 1)[0])
                campaign = {d.code for d in order[:round(CAMPAIGN_SHARE[half] * len(order))]}
            for department in departments:
                pool = [f for f in concerned[department.id] if f.id not in drawn_this_year[department.id]]
                label = (f"campaign:{year}:{half}" if department.code in campaign
                         else f"plan:{year}:{half}:{department.code}")
                plan_seed = hmac.new(str(seed).encode(), label.encode(), "sha256").hexdigest()
                committed = dt.datetime.combine(first - dt.timedelta(days=20), dt.time(1, 0))
                drawn = committed + dt.timedelta(days=10)
                selected = draws.select([{"uscc": f.uscc, "class": f.credit_class} for f in pool], ratios, plan_seed)
                codes = {f.uscc: f for f in pool}
                for uscc in selected:
                    chosen[codes[uscc].id].append((department, len(plans)))
                    drawn_this_year[department.id].add(codes[uscc].id)
                plans.append((department, plan_seed, committed, drawn))
            plan_ids = session.scalars(_returning_ids(InspectionPlan), [
                {"department_id": d.id, "title": f"{year}年{half}{d.short_name}双随机抽查", "period_start": first,
                 "period_end": last, "status": "completed", "created_by_id": d.user_id, "created_at": committed,
                 "ratios": ratios, "target_districts": [], "target_industries": [], "target_tags": [],
                 "officer_pool": [], "officers_needed": 2, "seed": plan_seed,
                 "seed_commitment": draws.commitment(plan_seed), "committed_at": committed, "drawn_at": drawn,
                 "weighting": "ratios"} for d, plan_seed, committed, drawn in plans]).all()
            session.execute(insert(plan_items), [{"plan_id": pid, "item_id": item[0]}
                                                 for pid, (d, *_rest) in zip(plan_ids, plans) for item in d.items])
            counts = _visits(session, rng, truth, by_id, chosen, plan_ids, year, first, last, since, last_entry,
                             now, staged_department if year == staged_year else None, combined=combined)
            for key, value in counts.items():
                totals[key] += value
            totals["plans"] += len(plans)
        progress("历史检查", n_year, len(years))
    totals["leads"] = _leads(session, rng, truth, firms, concerned, departments, sorted(years) + [now.year], now)
    append_event(session, None, "history.imported", "demo:history",
                 {"years": sorted(years), **{k: totals[k] for k in sorted(totals)}, "source": "demo"})
    return dict(totals)


def _team(rng: random.Random, department: _Department, day: dt.date, lead: int | None = None) -> list[int]:
    """Two officers certified on the day (``lead`` first when he is)."""
    certified = [oid for oid, start, end in department.officers if start <= day <= end]
    if len(certified) < 2:
        return []
    if lead in certified:
        return [lead, rng.choice([oid for oid in certified if oid != lead])]
    return rng.sample(certified, 2)


def _visits(session, rng, truth, firms, chosen, plan_ids, year, first, last, since, last_entry, now,
            staged_department, *, combined: bool = True) -> dict:
    """One joint visit per drawn firm and half-year, with every department that drew it (``combined``), or
    else one visit per department that drew the firm, each on its own day. In the staged department, one
    officer leads every team he can and treats all his cases heavier."""
    visits, groups = [], []
    days = working_days(first, last) or [first]
    lead = None
    if staged_department is not None:
        lead = next((oid for oid, start, end in staged_department.officers if start <= first and last <= end), None)
    units = sorted(chosen.items()) if combined else [(firm_id, [part]) for firm_id, parts in sorted(chosen.items())
                                                     for part in parts]
    for firm_id, parts in units:
        day = rng.choice(days)
        teams = [(department, plan, _team(rng, department, day, lead if department is staged_department else None))
                 for department, plan in parts]
        teams = [t for t in teams if t[2]]
        if not teams:
            continue
        entered = dt.datetime.combine(day, dt.time(1, 0)) + dt.timedelta(minutes=rng.randint(0, 360))
        visits.append({"firm_id": firm_id, "day": day, "status": "completed", "locked": False,
                       "created_at": dt.datetime.combine(first, dt.time(0, 0)) - dt.timedelta(days=5)})
        groups.append((firm_id, day, entered, teams))
    if not visits:
        return {}
    visit_ids = session.scalars(_returning_ids(Visit), visits).all()
    entries, parts, tasks, officers, scans = [], [], [], [], []
    for visit_id, (firm_id, day, entered, teams) in zip(visit_ids, groups):
        left = entered + dt.timedelta(minutes=rng.randint(40, 150))
        entries.append({"visit_id": visit_id, "entered_at": entered, "left_at": left, "code_nonce": "history"})
        for department, plan, team in teams:
            parts.append({"visit_id": visit_id, "department_id": department.id, "entered_at": entered, "left_at": left})
            tasks.append({"plan_id": plan_ids[plan], "firm_id": firm_id, "status": "done", "on_site": True,
                          "window_start": first, "window_end": last, "visit_id": visit_id})
            for officer_id in team:
                officers.append({"visit_id": visit_id, "officer_id": officer_id, "department_id": department.id})
                scans.append({"kind": "in", "firm_id": firm_id, "officer_id": officer_id, "visit_id": visit_id,
                              "at": entered, "accepted": True})
        scans.append({"kind": "out", "firm_id": firm_id, "officer_id": teams[0][2][0], "visit_id": visit_id,
                      "at": left, "accepted": True})
        last_entry[firm_id] = max(day, last_entry.get(firm_id, day))
    session.execute(insert(VisitEntry.__table__), entries)
    session.execute(insert(DepartmentEntry.__table__), parts)
    task_ids = session.scalars(_returning_ids(InspectionTask), tasks).all()
    session.execute(insert(VisitOfficer.__table__), officers)
    session.execute(insert(Scan.__table__), scans)
    findings, outcomes = [], []
    task_ids = iter(task_ids)
    for visit_id, (firm_id, day, entered, teams) in zip(visit_ids, groups):
        firm = firms[firm_id]
        for department, _plan, team in teams:
            task_id = next(task_ids)
            concerned = department.items_for(firm.industry, firm.tags)
            items = [concerned[(year + firm_id) % len(concerned)]]   # one of the plan's items that concern it
            violated = truth.violates(firm.uscc, firm.industry, firm.credit_class, department.code, year,
                                      since[firm_id])
            all_points = [p for _, points in items for p in points]
            failing = set()
            if violated:
                failing.add(rng.choice(all_points))
                failing |= {p for p in all_points if rng.random() < 0.15}
            at = entered + dt.timedelta(minutes=30)
            for item_id, points in items:
                for point_id in points:
                    bad = point_id in failing
                    findings.append({"visit_id": visit_id, "task_id": task_id, "item_id": item_id,
                                     "point_id": point_id, "result": "non_compliant" if bad else "compliant",
                                     "note": "现场发现问题，已当场告知" if bad else "", "recorded_by_id": team[0],
                                     "recorded_at": at})
                problems = sum(p in failing for p in points)
                staged = department is staged_department
                case = problems and rng.random() < (0.45 if staged else CASE_SHARE)
                heavier = bool(case and staged and team[0] == lead)
                outcome = "case" if case else ("rectify" if problems else "no_problem")
                fine = rng.choice(FINES) * (3 if staged else 1) if case else None
                outcomes.append({"visit_id": visit_id, "task_id": task_id, "item_id": item_id, "outcome": outcome,
                                 "rectify_by": day + dt.timedelta(days=15) if outcome == "rectify" else None,
                                 "treatment": "heavier" if heavier else None, "fine_amount": fine,
                                 "recorded_by_id": team[0], "recorded_at": at + dt.timedelta(minutes=20),
                                 "publish_due": day + dt.timedelta(days=28),
                                 "published_at": at + dt.timedelta(days=rng.randint(1, 10))})
    session.execute(insert(Finding.__table__), findings)
    session.execute(insert(ItemOutcome.__table__), outcomes)
    return {"visits": len(visits), "tasks": len(tasks), "findings": len(findings), "outcomes": len(outcomes)}


def _leads(session, rng, truth, firms, concerned, departments, years, now) -> int:
    today = clock.local_day(now)
    rows, serial = [], 0
    departments_of = defaultdict(list)
    for department in departments:
        for firm in concerned[department.id]:
            departments_of[firm.id].append(department)
    for year in sorted(set(years)):
        last = min(dt.date(year, 12, 31), today)
        if last < dt.date(year, 1, 1):
            continue
        span = (last - dt.date(year, 1, 1)).days
        for firm in firms:
            for _ in range(truth.complaints(firm.uscc, firm.credit_class, year)):
                if span < 365 and rng.random() > span / 365:   # this year: only what has come in so far
                    continue
                serial += 1
                kind = "complaint" if rng.random() < 0.8 else "referral"
                options = departments_of[firm.id]
                rows.append({"firm_id": firm.id, "department_id": rng.choice(options).id if options else None,
                             "kind": kind, "received_on": dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, span)),
                             "reference": (f"12345-{year}-{serial:06d}" if kind == "complaint"
                                           else f"YS-{year}-{serial:05d}"),
                             "summary": "群众来电反映经营场所存在安全隐患" if kind == "complaint" else "其他部门移送线索",
                             "source": "12345政务服务便民热线" if kind == "complaint" else "市综合行政执法局",
                             "via": "hotline" if kind == "complaint" else "manual", "recorded_at": now})
    for start in range(0, len(rows), 5000):
        session.execute(insert(FirmLead.__table__), rows[start:start + 5000])
    return len(rows)
