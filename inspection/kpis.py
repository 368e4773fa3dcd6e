"""Oversight's key figures (per city, district, department, month), computed in the database.

入企次数 counts entered visits (a joint visit counts once for the city and once for each department
in it); off-site checks and visits never entered do not count."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .models import (Department, District, Evaluation, Firm, InspectionPlan, InspectionTask, ItemOutcome,
                     ScheduleRun, Visit, VisitEntry)


@dataclasses.dataclass
class Scope:
    year: int
    department: str | None = None     # department code
    district: str | None = None       # district code


def entered_visits(scope: Scope, month: int | None = None) -> Select:
    """The entered visits in ``scope`` (and ``month``), as rows of Visit."""
    stmt = (select(Visit).join(VisitEntry, VisitEntry.visit_id == Visit.id)
            .where(Visit.day >= dt.date(scope.year, month or 1, 1),
                   Visit.day < (dt.date(scope.year, month + 1, 1) if month and month < 12
                                else dt.date(scope.year + 1, 1, 1))))
    if scope.district:
        stmt = stmt.join(Firm, Firm.id == Visit.firm_id).join(District, District.id == Firm.district_id) \
            .where(District.code == scope.district)
    if scope.department:
        stmt = stmt.where(Visit.id.in_(
            select(InspectionTask.visit_id).join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
            .join(Department, Department.id == InspectionPlan.department_id).where(Department.code == scope.department)))
    return stmt


def monthly_entries(session: Session, scope: Scope) -> list[int]:
    month = func.extract("month", Visit.day)
    sub = entered_visits(scope).with_only_columns(Visit.id.label("id"), month.label("month")).subquery()
    counts = dict(session.execute(select(sub.c.month, func.count()).group_by(sub.c.month)).all())
    return [int(counts.get(m, 0) or 0) for m in range(1, 13)]


def entries_by_department(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    sub = entered_visits(scope).with_only_columns(Visit.id.label("id")).subquery()
    rows = session.execute(
        select(Department.code, Department.short_name, func.count(func.distinct(InspectionTask.visit_id)))
        .join(InspectionPlan, InspectionPlan.department_id == Department.id)
        .join(InspectionTask, InspectionTask.plan_id == InspectionPlan.id)
        .where(InspectionTask.visit_id.in_(select(sub.c.id)))
        .group_by(Department.id, Department.code, Department.short_name).order_by(Department.id)).all()
    return [(code, name, n) for code, name, n in rows]


def joint_share(session: Session, scope: Scope) -> tuple[int, int]:
    """(joint entries, all entries): a joint entry has tasks of more than one department."""
    sub = entered_visits(scope).with_only_columns(Visit.id.label("id")).subquery()
    per_visit = (select(InspectionTask.visit_id, func.count(func.distinct(InspectionPlan.department_id)).label("n"))
                 .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                 .where(InspectionTask.visit_id.in_(select(sub.c.id))).group_by(InspectionTask.visit_id).subquery())
    total, joint = session.execute(select(func.count(), func.count().filter(per_visit.c.n > 1))).one()
    return int(joint or 0), int(total or 0)


def publication_rate(session: Session, scope: Scope, today: dt.date) -> tuple[int, int]:
    """(results published, results due by today) for visits of the scope."""
    sub = entered_visits(scope).with_only_columns(Visit.id.label("id")).subquery()
    due, published = session.execute(
        select(func.count(), func.count().filter(ItemOutcome.published_at.is_not(None)))
        .where(ItemOutcome.visit_id.in_(select(sub.c.id)),
               (ItemOutcome.publish_due <= today) | ItemOutcome.published_at.is_not(None))).one()
    return int(published or 0), int(due or 0)


def on_time_rate(session: Session, scope: Scope, today: dt.date) -> tuple[int, int]:
    """(plans finished by their end, plans whose period ended) in the year."""
    stmt = (select(InspectionPlan).where(InspectionPlan.period_end < today,
                                         func.extract("year", InspectionPlan.period_end) == scope.year,
                                         InspectionPlan.status.not_in(("draft", "cancelled"))))
    if scope.department:
        stmt = stmt.join(Department, Department.id == InspectionPlan.department_id).where(Department.code == scope.department)
    plans = session.scalars(stmt).all()
    done = sum(1 for p in plans if p.status == "completed")
    return done, len(plans)


def average_evaluation(session: Session, scope: Scope) -> tuple[float | None, int]:
    sub = entered_visits(scope).with_only_columns(Visit.id.label("id")).subquery()
    average, count = session.execute(select(func.avg(Evaluation.score), func.count())
                                     .where(Evaluation.visit_id.in_(select(sub.c.id)))).one()
    return (round(float(average), 2) if average is not None else None), int(count or 0)


def entries_per_firm(session: Session, scope: Scope) -> dict[str, Counter]:
    """For each credit class, how many firms were entered 0, 1, 2, 3+ times."""
    sub = entered_visits(scope).with_only_columns(Visit.firm_id.label("firm_id")).subquery()
    entered = dict(session.execute(select(sub.c.firm_id, func.count()).group_by(sub.c.firm_id)).all())
    firms = select(Firm.id, Firm.credit_class)
    if scope.district:
        firms = firms.join(District, District.id == Firm.district_id).where(District.code == scope.district)
    histogram: dict[str, Counter] = defaultdict(Counter)
    for firm_id, credit_class in session.execute(firms):
        n = entered.get(firm_id, 0)
        histogram[credit_class]["3+" if n >= 3 else str(n)] += 1
    return dict(sorted(histogram.items()))


def entries_avoided(session: Session, scope: Scope) -> tuple[int, int]:
    """(visits the schedule builds made, visits each department alone would have made) in the year."""
    runs = session.scalars(select(ScheduleRun).where(ScheduleRun.status == "done",
                                                     func.extract("year", ScheduleRun.period_start) == scope.year)).all()
    return (sum(int(r.stats.get("visits", 0)) for r in runs),
            sum(int(r.stats.get("separate_visits", 0)) for r in runs))
