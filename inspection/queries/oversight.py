"""What oversight's pages read beyond the KPIs: alerts with the firms and departments they name, and the
visits behind a figure with who entered and for how long."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ..models import Alert, Department, DepartmentEntry, Firm, InspectionPlan, InspectionTask, Visit, VisitEntry

DRILL_LIMIT = 5000


class AlertList(NamedTuple):
    alerts: list[Alert]
    firms: dict[int, Firm]                 # the alerts' firms by id
    departments: dict[int, Department]     # every department by id


def alerts(session: Session, *, rule: str | None = None, status: str | None = None,
           limit: int | None = None) -> AlertList:
    """Alerts of a rule and status (either may be None: all), newest first, with their firms and departments."""
    stmt = select(Alert).order_by(Alert.id.desc())
    if rule:
        stmt = stmt.where(Alert.rule == rule)
    if status:
        stmt = stmt.where(Alert.status == status)
    rows = session.scalars(stmt.limit(limit) if limit else stmt).all()
    firm_ids = {a.firm_id for a in rows if a.firm_id}
    firms = {f.id: f for f in session.scalars(select(Firm).where(Firm.id.in_(firm_ids)))} if firm_ids else {}
    return AlertList(rows, firms, {d.id: d for d in session.scalars(select(Department))})


def open_alerts_by_rule(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Alert.rule, func.count()).where(Alert.status == "open")
                                .group_by(Alert.rule)).all())


def alerts_raised(session: Session, first: dt.datetime, following: dt.datetime) -> list[tuple[str, int]]:
    """Alerts raised from ``first`` until before ``following``, counted by rule."""
    return session.execute(select(Alert.rule, func.count()).where(Alert.raised_at >= first, Alert.raised_at < following)
                           .group_by(Alert.rule)).all()


def drill_rows(session: Session, drilled: Select) -> list[dict]:
    """The visits of ``drilled`` (at most ``DRILL_LIMIT``, by day) with the departments that entered (one
    scheduled but never come is not credited) and the minutes spent, in a few queries whatever their number."""
    visits = session.scalars(drilled.order_by(Visit.day, Visit.id).limit(DRILL_LIMIT)
                             .options(selectinload(Visit.firm).selectinload(Firm.district),
                                      selectinload(Visit.tasks).selectinload(InspectionTask.plan)
                                      .selectinload(InspectionPlan.department))).all()
    if not visits:
        return []
    ids = [v.id for v in visits]
    entries = {e.visit_id: e for e in session.scalars(select(VisitEntry).where(VisitEntry.visit_id.in_(ids)))}
    present: dict[int, list[str]] = {}
    for part in session.scalars(select(DepartmentEntry).where(DepartmentEntry.visit_id.in_(ids))
                                .options(selectinload(DepartmentEntry.department))):
        present.setdefault(part.visit_id, []).append(part.department.short_name)
    rows = []
    for visit in visits:
        entry = entries[visit.id]
        rows.append({"visit": visit, "departments": "、".join(sorted(present.get(visit.id, []))),
                     "minutes": round((entry.left_at - entry.entered_at).total_seconds() / 60) if entry.left_at else None})
    return rows


def task_counts_of_plans(session: Session, plan_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each plan's tasks: ``(all, still open)`` (pending or scheduled)."""
    return {plan_id: (int(n), int(open_n or 0)) for plan_id, n, open_n in session.execute(
        select(InspectionTask.plan_id, func.count(),
               func.count().filter(InspectionTask.status.in_(("pending", "scheduled"))))
        .where(InspectionTask.plan_id.in_(plan_ids)).group_by(InspectionTask.plan_id))}
