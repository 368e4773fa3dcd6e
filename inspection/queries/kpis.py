"""Oversight's key figures (per city, district, department, month), computed in the database.

入企次数 counts entered visits (a joint visit counts once for the city and once for each department
in it); off-site checks and visits never entered do not count. The figures read ``EntryFact``, one
narrow row per department per entered visit, so that a year of a million visits answers fast."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from core import clock

from ..models import (
    CatalogueItem,
    Department,
    District,
    EntryCount,
    EntryFact,
    Evaluation,
    Firm,
    InspectionPlan,
    ItemOutcome,
    OffsiteRequest,
    ScanPrompt,
    ScheduleRun,
    Visit,
    VisitEntry,
    plan_items,
)


@dataclasses.dataclass
class Scope:
    year: int
    department: str | None = None     # department code
    district: str | None = None       # district code
    until: dt.date | None = None      # the last day counted (the same span of an earlier year); None: all of it
    months: tuple[int, int] = (1, 12)  # the period of the year: first and last month

    @property
    def whole_year(self) -> bool:
        return self.months == (1, 12)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.months[0], 1)

    @property
    def end(self) -> dt.date:
        """The day after the period (or after ``until``)."""
        after = dt.date(self.year + (self.months[1] == 12), self.months[1] % 12 + 1, 1)
        return min(after, self.until + dt.timedelta(days=1)) if self.until else after

    def at_start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0, 0))

    def at_end(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(0, 0))


def same_day(day: dt.date, year: int) -> dt.date:
    """The same month and day in ``year`` (28 February for a 29th)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def year_before(scope: Scope, today: dt.date) -> Scope:
    """The year before ``scope`` over the same span: the same months, and while ``scope``'s period runs, up to
    today's date a year ago (a comparison of a part of this year with all of last year says nothing)."""
    running = scope.year == today.year and scope.first_day <= today < scope.end
    until = same_day(today, scope.year - 1) if running else None
    return Scope(scope.year - 1, scope.department, scope.district, until, scope.months)


TIMES = ("1", "2", "3+")


@dataclasses.dataclass
class Drill:
    """Which of the scope's entered visits a figure stands for; every figure of the dashboard has one."""

    month: int | None = None
    joint: bool = False                # joint visits only (more than one department)
    results: str | None = None         # "published": with a published result; "late": a result past its due date unpublished
    evaluated: bool = False            # visits the firm evaluated
    credit_class: str | None = None    # visits of firms of this class ...
    times: str | None = None           # ... entered this often in the scope ("1", "2", "3+")
    origin: str | None = None          # "unplanned" (on a lead) or "emergency"

    def args(self) -> dict:
        """As query arguments (flags as "1")."""
        return {k: ("1" if v is True else v) for k, v in dataclasses.asdict(self).items() if v}


def _department_id(code: str):
    return select(Department.id).where(Department.code == code).scalar_subquery()


def _district_id(code: str):
    return select(District.id).where(District.code == code).scalar_subquery()


def facts(scope: Scope, month: int | None = None, *, per_department: bool = False) -> Select:
    """Fact rows of the scope: one per entered visit (the department's row when the scope names one),
    or one per department on each visit with ``per_department``."""
    stmt = select(EntryFact).where(EntryFact.year == scope.year)
    if scope.until:
        stmt = stmt.where(EntryFact.day <= scope.until)
    if not scope.whole_year:
        stmt = stmt.where(EntryFact.month.between(*scope.months))
    if month:
        stmt = stmt.where(EntryFact.month == month)
    if scope.department:
        stmt = stmt.where(EntryFact.department_id == _department_id(scope.department))
    elif not per_department:
        stmt = stmt.where(EntryFact.visit_row.is_(True))
    if scope.district:
        stmt = stmt.where(EntryFact.district_id == _district_id(scope.district))
    return stmt


def counted(scope: Scope, *, per_department: bool = False) -> Select:
    """``EntryCount`` rows of the scope, filtered as :func:`facts` filters ``EntryFact``: sum their
    ``entries`` for the same counts as counting the facts, from a few hundred rows a year. A scope cut
    at a day (the same span of an earlier year) counts its facts into rows of the same shape."""
    if scope.until:
        keys = (EntryFact.year, EntryFact.month, EntryFact.department_id, EntryFact.district_id,
                EntryFact.visit_row, EntryFact.departments, EntryFact.origin)
        return (facts(scope, per_department=per_department).with_only_columns(*keys, func.count().label("entries"))
                .group_by(*keys))
    stmt = select(EntryCount).where(EntryCount.year == scope.year)
    if not scope.whole_year:
        stmt = stmt.where(EntryCount.month.between(*scope.months))
    if scope.department:
        stmt = stmt.where(EntryCount.department_id == _department_id(scope.department))
    elif not per_department:
        stmt = stmt.where(EntryCount.visit_row.is_(True))
    if scope.district:
        stmt = stmt.where(EntryCount.district_id == _district_id(scope.district))
    return stmt


def _summed(session: Session, scope: Scope, column: str, *, per_department: bool = False) -> dict:
    """Entries of the scope by one column of ``EntryCount``."""
    sub = counted(scope, per_department=per_department).subquery()
    return {key: int(n) for key, n in session.execute(select(sub.c[column], func.sum(sub.c.entries))
                                                      .group_by(sub.c[column])).all()}


def drilled_visits(scope: Scope, drill: Drill, today: dt.date) -> Select:
    """The entered visits behind one figure."""
    ids = facts(scope, drill.month).with_only_columns(EntryFact.visit_id)
    if drill.joint:
        ids = ids.where(EntryFact.departments > 1)
    if drill.origin:
        ids = ids.where(EntryFact.origin == drill.origin)
    if drill.results == "published":
        ids = ids.where(EntryFact.visit_id.in_(select(ItemOutcome.visit_id).where(ItemOutcome.published_at.is_not(None))))
    elif drill.results == "late":
        ids = ids.where(EntryFact.visit_id.in_(select(ItemOutcome.visit_id).where(ItemOutcome.published_at.is_(None),
                                                                                  ItemOutcome.publish_due < today)))
    if drill.evaluated:
        ids = ids.where(EntryFact.visit_id.in_(select(Evaluation.visit_id)))
    if drill.credit_class or drill.times:
        counted = facts(scope).subquery()
        n = func.count()
        often = {"1": n == 1, "2": n == 2, "3+": n >= 3}.get(drill.times, n >= 1)
        firms = select(counted.c.firm_id).group_by(counted.c.firm_id).having(often)
        if drill.credit_class:
            firms = firms.where(counted.c.firm_id.in_(select(Firm.id).where(Firm.credit_class == drill.credit_class)))
        ids = ids.where(EntryFact.firm_id.in_(firms))
    return select(Visit).where(Visit.id.in_(ids))


def monthly_entries(session: Session, scope: Scope) -> list[int]:
    counts = _summed(session, scope, "month")
    return [counts.get(m, 0) for m in range(1, 13)]


def entries_by_department(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """Entries per department; a joint visit counts once for each of its departments."""
    counts = _summed(session, scope, "department_id", per_department=True)
    departments = session.scalars(select(Department).order_by(Department.id)).all()
    return [(d.code, d.short_name, counts[d.id]) for d in departments if counts.get(d.id)]


def entries_by_district(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    counts = _summed(session, scope, "district_id")
    districts = session.scalars(select(District).order_by(District.code)).all()
    return [(d.code, d.name, counts.get(d.id, 0)) for d in districts if not scope.district or d.code == scope.district]


def entries_by_origin(session: Session, scope: Scope) -> dict[str, int]:
    """Entries counted apart by what they rest on: a plan, a recorded lead, an emergency."""
    counts = _summed(session, scope, "origin")
    return {origin: counts.get(origin, 0) for origin in ("planned", "unplanned", "emergency")}


def prompt_figures(session: Session, scope: Scope) -> dict[str, int]:
    """扫码提示: how often officers were shown the firm's recent visits or other departments' open tasks,
    and how often that led to a department joining the visit or to a visit avoided."""
    stmt = select(ScanPrompt.outcome, func.count()).where(ScanPrompt.at >= scope.at_start(),
                                                          ScanPrompt.at < scope.at_end())
    if scope.department:
        stmt = stmt.where(ScanPrompt.department_id == _department_id(scope.department))
    counts = dict(session.execute(stmt.group_by(ScanPrompt.outcome)).all())
    return {"shown": sum(counts.values()), "joined": int(counts.get("joined", 0)), "avoided": int(counts.get("avoided", 0))}


def offline_entries(session: Session, scope: Scope) -> int:
    """Entries recorded on a phone without network and received later (断网补录)."""
    sub = facts(scope).subquery()
    return int(session.scalar(select(func.count()).select_from(sub).join(VisitEntry, VisitEntry.visit_id == sub.c.visit_id)
                              .where(VisitEntry.recorded_offline.is_(True))) or 0)


def joint_share(session: Session, scope: Scope) -> tuple[int, int]:
    """(joint entries, all entries): a joint entry has tasks of more than one department."""
    sub = counted(scope).subquery()
    total, joint = session.execute(select(func.sum(sub.c.entries),
                                          func.sum(sub.c.entries).filter(sub.c.departments > 1))).one()
    return int(joint or 0), int(total or 0)


def publication_rate(session: Session, scope: Scope, today: dt.date) -> tuple[int, int]:
    """(results published, results due by today) for visits of the scope."""
    sub = facts(scope).subquery()
    due, published = session.execute(
        select(func.count(), func.count().filter(ItemOutcome.published_at.is_not(None)))
        .join(sub, sub.c.visit_id == ItemOutcome.visit_id)
        # A result falls due after its visit: the bound lets the database skip earlier years' results.
        .where(ItemOutcome.publish_due >= scope.first_day,
               (ItemOutcome.publish_due <= today) | ItemOutcome.published_at.is_not(None))).one()
    return int(published or 0), int(due or 0)


def ended_plans(scope: Scope, today: dt.date) -> Select:
    """Plans of the year whose period has ended (the base of 按时完成率)."""
    stmt = (select(InspectionPlan).where(InspectionPlan.period_end < today,
                                         InspectionPlan.period_end >= scope.first_day,
                                         InspectionPlan.period_end < scope.end,
                                         InspectionPlan.status.not_in(("draft", "cancelled"))))
    if scope.department:
        stmt = stmt.where(InspectionPlan.department_id == _department_id(scope.department))
    return stmt


def on_time_rate(session: Session, scope: Scope, today: dt.date) -> tuple[int, int]:
    """(plans finished by their end, plans whose period ended) in the year."""
    sub = ended_plans(scope, today).with_only_columns(InspectionPlan.status.label("status")).subquery()
    total, done = session.execute(select(func.count(), func.count().filter(sub.c.status == "completed"))).one()
    return int(done or 0), int(total or 0)


def average_evaluation(session: Session, scope: Scope) -> tuple[float | None, int]:
    sub = facts(scope).subquery()
    average, count = session.execute(select(func.avg(Evaluation.score), func.count())
                                     .join(sub, sub.c.visit_id == Evaluation.visit_id)).one()
    return (round(float(average), 2) if average is not None else None), int(count or 0)


def entries_per_firm(session: Session, scope: Scope) -> dict[str, Counter]:
    """For each credit class, how many firms were entered 0, 1, 2, 3+ times."""
    sub = facts(scope).subquery()
    per_firm = select(sub.c.firm_id, func.count().label("n")).group_by(sub.c.firm_id).subquery()
    bucket = case((per_firm.c.n >= 3, 3), else_=per_firm.c.n)
    entered = session.execute(select(Firm.credit_class, bucket, func.count())
                              .join(per_firm, per_firm.c.firm_id == Firm.id).group_by(Firm.credit_class, bucket)).all()
    firms = select(Firm.credit_class, func.count()).group_by(Firm.credit_class)
    if scope.district:
        firms = firms.where(Firm.district_id == _district_id(scope.district))
    histogram: dict[str, Counter] = defaultdict(Counter)
    for credit_class, total in session.execute(firms):
        histogram[credit_class]["0"] = int(total)
    for credit_class, n, firms_n in entered:
        histogram[credit_class]["3+" if n >= 3 else str(n)] += int(firms_n)
        histogram[credit_class]["0"] -= int(firms_n)
    return dict(sorted(histogram.items()))


@dataclasses.dataclass
class CreditClassFigures:
    """One credit class against the city's credit policy (信用风险分类监管)."""

    credit_class: str
    firms: int                 # firms of the class (in the scope's district)
    entered: int               # of them, firms entered at least once in the scope
    entries: int               # entries into firms of the class
    policy: float | None       # the policy's sampling ratio for the class (``credit_ratios`` in the city file)

    @property
    def per_firm(self) -> float | None:
        """Entries per firm of the class."""
        return self.entries / self.firms if self.firms else None

    @property
    def entered_share(self) -> float | None:
        """The share of the class's firms entered at least once."""
        return self.entered / self.firms if self.firms else None

    @property
    def against_policy(self) -> float | None:
        """Entries per firm as a multiple of the policy's ratio (1: as the policy samples)."""
        if self.per_firm is None or not self.policy:
            return None
        return self.per_firm / self.policy


def entries_by_credit_class(session: Session, scope: Scope, policy: dict[str, float]) -> list[CreditClassFigures]:
    """Entries per firm by credit class beside the city's credit policy: a class the policy samples more
    (D) should see more entries per firm than one it samples less (A)."""
    sub = facts(scope).subquery()
    per_firm = select(sub.c.firm_id, func.count().label("n")).group_by(sub.c.firm_id).subquery()
    entered = {c: (int(f), int(n or 0)) for c, f, n in session.execute(
        select(Firm.credit_class, func.count(), func.sum(per_firm.c.n))
        .join(per_firm, per_firm.c.firm_id == Firm.id).group_by(Firm.credit_class))}
    firms = select(Firm.credit_class, func.count()).group_by(Firm.credit_class)
    if scope.district:
        firms = firms.where(Firm.district_id == _district_id(scope.district))
    totals = dict(session.execute(firms).all())
    classes = sorted(set(totals) | set(policy) | set(entered))
    return [CreditClassFigures(c, int(totals.get(c, 0)), entered.get(c, (0, 0))[0], entered.get(c, (0, 0))[1],
                               policy.get(c)) for c in classes]


def policy_inversions(rows: list[CreditClassFigures]) -> list[tuple[str, str]]:
    """Pairs of classes whose entries per firm run against the policy: ``(low, high)`` where the policy
    samples ``low`` less than ``high`` yet its firms were entered more often."""
    ranked = [r for r in rows if r.policy is not None and r.per_firm is not None]
    return [(a.credit_class, b.credit_class) for a in ranked for b in ranked
            if a.policy < b.policy and a.per_firm > b.per_firm]


@dataclasses.dataclass
class DepartmentFigures:
    code: str
    name: str
    entries: int = 0           # entered visits with a task of the department (a joint one counts for each)
    joint: int = 0             # of which joint
    shared: float = 0.0        # entries with a joint visit counted 1/k for each of its k departments
    last_year: int = 0
    scheduled_alone: int = 0   # the scheduler's baseline: visits the department alone would have made
    scheduled_shared: float = 0.0  # the same builds' visits, a joint one counted 1/k
    offsite: int = 0           # off-site checks concluded (closed or escalated)
    offsite_escalated: int = 0

    @property
    def offsite_share(self) -> float | None:
        return offsite_share(self.offsite, self.entries)

    @property
    def change(self) -> float | None:
        return (self.entries - self.last_year) / self.last_year if self.last_year else None

    @property
    def saved(self) -> float | None:
        """Share of the scheduler's baseline that combining took off the department's entries."""
        return 1 - self.scheduled_shared / self.scheduled_alone if self.scheduled_alone else None


def _department_counts(session: Session, scope: Scope) -> dict[int, tuple[int, int, float]]:
    sub = counted(scope, per_department=True).subquery()
    rows = session.execute(select(sub.c.department_id, sub.c.departments, func.sum(sub.c.entries))
                           .group_by(sub.c.department_id, sub.c.departments)
                           .order_by(sub.c.department_id, sub.c.departments)).all()
    counts: dict[int, tuple[int, int, float]] = {}
    for department, departments, n in rows:
        total, joint, shared = counts.get(department, (0, 0, 0.0))
        counts[department] = (total + int(n), joint + (int(n) if departments > 1 else 0), shared + int(n) / departments)
    return {department: figures for department, figures in counts.items() if figures[0]}


def department_figures(session: Session, scope: Scope, today: dt.date | None = None) -> list[DepartmentFigures]:
    """Per department: entries, joint entries, entries shared out over joint visits, last year's entries
    over the same span (to ``today``'s date while the year runs), and the baseline the scheduler reported for
    the year's builds (each department alone)."""
    now = _department_counts(session, scope)
    before = _department_counts(session, year_before(scope, today) if today else
                                Scope(scope.year - 1, scope.department, scope.district, months=scope.months))
    runs = session.scalars(_runs(scope)).all()
    offsite = offsite_figures(session, scope).by_department
    stmt = select(Department).order_by(Department.id)
    if scope.department:
        stmt = stmt.where(Department.code == scope.department)
    figures = []
    for department in session.scalars(stmt):
        row = DepartmentFigures(department.code, department.short_name)
        row.entries, row.joint, row.shared = now.get(department.id, (0, 0, 0.0))
        closed, escalated = offsite.get(department.id, (0, 0))
        row.offsite, row.offsite_escalated = closed + escalated, escalated
        row.last_year = before.get(department.id, (0, 0, 0.0))[0]
        for run in runs:
            mine = (run.stats.get("by_department") or {}).get(department.code) or {}
            row.scheduled_alone += int(mine.get("alone", 0))
            row.scheduled_shared += float(mine.get("shared", 0.0))
        figures.append(row)
    return figures


def _runs(scope: Scope) -> Select:
    """The finished schedule builds of periods that start in the scope's period."""
    return select(ScheduleRun).where(ScheduleRun.status == "done", ScheduleRun.period_start >= scope.first_day,
                                     ScheduleRun.period_start < scope.end)


def entries_avoided(session: Session, scope: Scope) -> tuple[int, int]:
    """(visits the schedule builds made, visits each department alone would have made) in the year."""
    runs = session.scalars(_runs(scope)).all()
    return (sum(int(r.stats.get("visits", 0)) for r in runs),
            sum(int(r.stats.get("separate_visits", 0)) for r in runs))


@dataclasses.dataclass
class OffsiteFigures:
    """Off-site checks (非现场核查) concluded in the year: closed without entering the firm (an entry
    avoided) or escalated to an on-site task. None of them is an entry."""

    closed: list[int]                          # per month
    escalated: list[int]                       # per month
    by_department: dict[int, tuple[int, int]]  # department id -> (closed, escalated)

    @property
    def total(self) -> int:
        return sum(self.closed) + sum(self.escalated)


def offsite_requests(scope: Scope, month: int | None = None) -> Select:
    """Off-site requests of the scope concluded in the year (and month)."""
    stmt = select(OffsiteRequest).where(OffsiteRequest.status.in_(("closed", "escalated")),
                                        OffsiteRequest.closed_at >= scope.at_start(),
                                        OffsiteRequest.closed_at < scope.at_end())
    if month:
        stmt = stmt.where(OffsiteRequest.closed_at >= dt.datetime(scope.year, month, 1),
                          OffsiteRequest.closed_at < (dt.datetime(scope.year, month + 1, 1) if month < 12
                                                      else dt.datetime(scope.year + 1, 1, 1)))
    if scope.department:
        stmt = stmt.where(OffsiteRequest.department_id == _department_id(scope.department))
    if scope.district:
        stmt = stmt.where(OffsiteRequest.firm_id.in_(select(Firm.id).where(Firm.district_id == _district_id(scope.district))))
    return stmt


def offsite_figures(session: Session, scope: Scope) -> OffsiteFigures:
    sub = offsite_requests(scope).with_only_columns(
        func.extract("month", OffsiteRequest.closed_at).label("month"), OffsiteRequest.department_id.label("department"),
        OffsiteRequest.status.label("status")).subquery()
    figures = OffsiteFigures([0] * 12, [0] * 12, {})
    for month, department, status, n in session.execute(
            select(sub.c.month, sub.c.department, sub.c.status, func.count())
            .group_by(sub.c.month, sub.c.department, sub.c.status)):
        series = figures.closed if status == "closed" else figures.escalated
        series[int(month) - 1] += n
        closed, escalated = figures.by_department.get(department, (0, 0))
        figures.by_department[department] = (closed + n, escalated) if status == "closed" else (closed, escalated + n)
    return figures


def offsite_share(offsite: int, entries: int) -> float | None:
    """Off-site checks among all checks: a department's entries are its on-site checks."""
    return offsite / (offsite + entries) if offsite + entries else None


def first_shown_day(month_start: dt.date) -> dt.date:
    """The day a month's evaluations are first shown to the inspected department: once a full calendar
    month has passed since the month ended, i.e. the first day of the month after next (October's
    figures appear on 1 December)."""
    year, month = divmod(month_start.year * 12 + month_start.month - 1 + 2, 12)
    return dt.date(year, month + 1, 1)


def evaluation_summary(session: Session, department_id: int, year: int, today: dt.date,
                       minimum: int = 5) -> list[dict]:
    """匿名评价 for the inspected department, built so that no firm's evaluation can be told apart:

    * one partition only: by the (local) month in which the evaluation was made; no plan groups, no
      year total, no count of hidden groups, so no shown figure minus another reveals a hidden one;
    * closed months only: a month is shown once a full calendar month has passed since its end
      (:func:`first_shown_day`); its evaluations were all made before it closed, so no figure that is
      shown ever moves when a firm evaluates;
    * a month is shown only when at least ``minimum`` distinct firms evaluated in it.

    Returns the shown months, oldest first: ``{"key", "month", "n", "average", "low", "complaints"}``.
    Oversight reads evaluations whole elsewhere."""
    last_month = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    start, end = dt.date(year, 1, 1), min(dt.date(year + 1, 1, 1), last_month.replace(day=1))  # end: not closed yet
    if end <= start:
        return []
    mine = select(EntryFact.visit_id).where(EntryFact.department_id == department_id)
    rows = session.execute(
        select(Evaluation.firm_id, Evaluation.at, Evaluation.score, Evaluation.complaint)
        .where(Evaluation.visit_id.in_(mine),
               Evaluation.at >= clock.from_local(dt.datetime.combine(start, dt.time())),
               Evaluation.at < clock.from_local(dt.datetime.combine(end, dt.time())))).all()
    groups: dict[int, list] = defaultdict(list)
    for row in rows:
        groups[clock.to_local(row.at).month].append(row)
    return [{"key": f"{year}年{month}月", "month": month, "n": len(g),
             "average": round(sum(r.score for r in g) / len(g), 2),
             "low": sum(1 for r in g if r.score <= 2), "complaints": sum(1 for r in g if r.complaint)}
            for month, g in sorted(groups.items()) if len({r.firm_id for r in g}) >= minimum]


# -- The list's frequency floors (抽查频次) --------------------------------------------------------------

PERIOD_MONTHS = {"year": 12, "half_year": 6, "quarter": 3, "month": 1}
PERIOD_NAMES = {"year": "年度", "half_year": "半年", "quarter": "季度", "month": "月度"}


def calendar_periods(period: str, start: dt.date, until: dt.date):
    """The calendar periods (year, half-year, quarter, month) from ``start``'s on that begin by ``until``,
    as ``(first, last)`` days."""
    months = PERIOD_MONTHS[period]
    first = dt.date(start.year, (start.month - 1) // months * months + 1, 1)
    while first <= until:
        month = first.month - 1 + months
        after = dt.date(first.year + month // 12, month % 12 + 1, 1)
        yield first, after - dt.timedelta(days=1)
        first = after


def runs_of(session: Session, item: CatalogueItem, first: dt.date, last: dt.date) -> int:
    """The department's drawn plans of the item (any version of it) that start within ``first``..``last``:
    the runs a list's 抽查频次 counts."""
    return session.scalar(
        select(func.count(func.distinct(InspectionPlan.id)))
        .join(plan_items, plan_items.c.plan_id == InspectionPlan.id)
        .join(CatalogueItem, CatalogueItem.id == plan_items.c.item_id)
        .where(CatalogueItem.code == item.code, InspectionPlan.department_id == item.department_id,
               InspectionPlan.status.in_(("drawn", "scheduled", "in_progress", "completed")),
               InspectionPlan.period_start >= first, InspectionPlan.period_start <= last))


@dataclasses.dataclass(frozen=True)
class Obligation:
    """One period of a list's frequency floor: how many runs the department made against how many it owes."""

    item: str
    name: str
    department: str
    period: str
    runs: int
    required: int
    words: str | None
    state: str          # met | missed (the period is over) | open (under way, not met yet)

    @property
    def state_label(self) -> str:
        return {"met": "已完成", "missed": "未完成", "open": "进行中"}[self.state]


def frequency_obligations(session: Session, scope: Scope, today: dt.date) -> list[Obligation]:
    """Each period of the scope's year (up to today) of every published item whose list sets a floor
    (每年不少于1次, 1次/年): the department's runs against the floor, met or not."""
    stmt = select(CatalogueItem).where(CatalogueItem.status == "published", CatalogueItem.runs_min.is_not(None))
    if scope.department:
        stmt = stmt.join(Department, Department.id == CatalogueItem.department_id).where(
            Department.code == scope.department)
    rows = []
    year_start, year_end = dt.date(scope.year, 1, 1), dt.date(scope.year, 12, 31)
    for item in session.scalars(stmt.order_by(CatalogueItem.code)).all():
        start = max(year_start, item.effective_from)
        for first, last in calendar_periods(item.frequency_period, start, min(today, year_end)):
            if item.effective_to is not None and first > item.effective_to:
                break
            runs = runs_of(session, item, first, last)
            state = "met" if runs >= item.runs_min else ("missed" if last < today else "open")
            label = f"{first:%Y}年" if item.frequency_period == "year" else f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"
            rows.append(Obligation(item.code, item.name, item.department.short_name, label, runs, item.runs_min,
                                   item.frequency_words, state))
    return rows
