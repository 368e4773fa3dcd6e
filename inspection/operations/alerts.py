"""Audit rules of oversight (行政执法监督): each rule finds its cases in the records, and every case
becomes one alert, raised once, that oversight explains or closes with a note."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from ..errors import InvalidInput, NotPermitted
from ..models import (ALERT_STATUSES, Alert, EntryFact, EntryItemFact, Evaluation, InspectionPlan, InspectionTask,
                      ItemOutcome, Officer, Scan, User, Visit)
from .events import append_event, utcnow

TOTAL_ENTRIES_CAP = 6        # entries into one firm a year, all departments together
UNCOMBINED_DAYS = 30         # two departments entering within this many days could have come together


def audit_start(today: dt.date) -> dt.date:
    """The audit window's first day: the rules look at this year and last (earlier years were
    audited in their time; an alert once raised stays)."""
    return dt.date(today.year - 1, 1, 1)


def over_cap(session: Session, since: dt.date, total_cap: int = TOTAL_ENTRIES_CAP):
    """Firms entered more often than an item's cap allows in the cap's period (a year unless the item
    says per half-year, quarter or month), or more than ``total_cap`` times a year in all."""
    per_item = session.execute(
        select(EntryItemFact.firm_id, EntryItemFact.item_code, EntryItemFact.period, func.count(),
               func.max(EntryItemFact.frequency_cap), func.min(EntryItemFact.department_id))
        .where(EntryItemFact.year >= since.year)
        .group_by(EntryItemFact.firm_id, EntryItemFact.item_code, EntryItemFact.period)
        .having(func.count() > func.max(EntryItemFact.frequency_cap))).all()
    for firm_id, code, period, entries, cap, department_id in per_item:
        year = int(period[:4])
        yield (f"over_cap:{firm_id}:{code}:{period}", f"{period} 事项 {code} 入企 {entries} 次，超过上限 {cap} 次",
               {"year": year, "period": period, "item": code, "entries": entries, "cap": cap}, department_id, firm_id)
    totals = session.execute(
        select(EntryFact.firm_id, EntryFact.year, func.count())
        .where(EntryFact.visit_row.is_(True), EntryFact.year >= since.year)
        .group_by(EntryFact.firm_id, EntryFact.year).having(func.count() > total_cap)).all()
    for firm_id, year, entries in totals:
        yield (f"over_total:{firm_id}:{year}", f"{year} 年各部门共入企 {entries} 次，超过 {total_cap} 次",
               {"year": year, "entries": entries, "cap": total_cap}, None, firm_id)


def refused_scans(session: Session, since: dt.date):
    rows = session.execute(select(Scan.id, Scan.firm_id, Scan.at, Scan.reason, Officer.certificate_no,
                                  Officer.department_id)
                           .join(Officer, Officer.id == Scan.officer_id)
                           .where(Scan.accepted.is_(False), Scan.at >= dt.datetime.combine(since, dt.time()))).all()
    for scan_id, firm_id, at, reason, certificate_no, department_id in rows:
        yield (f"refused_scan:{scan_id}", f"扫码被拒：{reason}",
               {"scan": scan_id, "officer": certificate_no, "at": at.isoformat(), "reason": reason},
               department_id, firm_id)


def under_staffed(session: Session, since: dt.date):
    """Entered visits with fewer than two officers certified on the day among those who scanned in."""
    rows = session.execute(select(EntryFact.visit_id, EntryFact.firm_id, EntryFact.certified)
                           .where(EntryFact.visit_row.is_(True), EntryFact.certified < 2,
                                  EntryFact.day_number >= since.toordinal())).all()
    for visit_id, firm_id, n in rows:
        yield (f"under_staffed:{visit_id}", f"入企检查只有 {n} 名当日持证执法人员扫码",
               {"visit": visit_id, "certified": n}, None, firm_id)


def uncombined(session: Session, since: dt.date, days: int = UNCOMBINED_DAYS):
    """Two departments entering one firm within ``days`` days when their windows overlapped.

    Pairs are found within buckets of ``days + 1`` days and in the next bucket, joined on equal keys,
    so that the work grows with the entries, not with the square of each firm's entries."""
    width = days + 1
    a, b = aliased(EntryFact, name="a"), aliased(EntryFact, name="b")
    gap = b.day_number - a.day_number
    pairs = set()
    for offset in (0, 1):
        rows = session.execute(
            select(a.visit_id, b.visit_id, a.firm_id, a.day, b.day, b.department_id)
            .join(b, and_(b.firm_id == a.firm_id, b.day_number // width == a.day_number // width + offset))
            .where(a.day_number >= since.toordinal(), b.day_number >= since.toordinal(), gap >= 0, gap <= days,
                   (gap > 0) | (a.visit_id < b.visit_id),
                   b.visit_id != a.visit_id,
                   b.department_id != a.department_id, a.window_start <= b.window_end, b.window_start <= a.window_end)
            .order_by(a.visit_id, b.visit_id, b.department_id)).all()
        for first, second, firm_id, day_a, day_b, department_id in rows:
            if (first, second) in pairs:
                continue
            pairs.add((first, second))
            yield (f"uncombined:{first}:{second}", f"{day_a} 与 {day_b} 两个部门分别入企，时间窗重叠，本可联合检查",
                   {"visits": [first, second], "days": [day_a.isoformat(), day_b.isoformat()]}, department_id, firm_id)


def unpublished(session: Session, today: dt.date, since: dt.date):
    rows = session.execute(select(ItemOutcome.id, ItemOutcome.publish_due, ItemOutcome.visit_id, Visit.firm_id,
                                  InspectionPlan.department_id)
                           .join(Visit, Visit.id == ItemOutcome.visit_id)
                           .join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
                           .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                           .where(ItemOutcome.published_at.is_(None), ItemOutcome.publish_due < today,
                                  ItemOutcome.publish_due >= since)).all()
    for outcome_id, due, visit_id, firm_id, department_id in rows:
        yield (f"unpublished:{outcome_id}", f"检查结果应于 {due} 前公示，至今未公示",
               {"outcome": outcome_id, "due": due.isoformat(), "visit": visit_id}, department_id, firm_id)


def late_plans(session: Session, today: dt.date, since: dt.date):
    rows = session.execute(select(InspectionPlan, func.count(InspectionTask.id))
                           .join(InspectionTask, InspectionTask.plan_id == InspectionPlan.id)
                           .where(InspectionPlan.period_end < today, InspectionPlan.period_end >= since,
                                  InspectionPlan.status.in_(("drawn", "scheduled", "in_progress")),
                                  InspectionTask.status.in_(("pending", "scheduled")))
                           .group_by(InspectionPlan.id)).all()
    for plan, pending in rows:
        yield (f"late_plan:{plan.id}", f"计划「{plan.title}」已于 {plan.period_end} 到期，仍有 {pending} 项任务未完成",
               {"plan": plan.id, "pending": pending, "period_end": plan.period_end.isoformat()}, plan.department_id, None)


def low_evaluations(session: Session, since: dt.date):
    """Scores of 2 or less and complaints, one alert for each department on the visit."""
    rows = session.execute(select(Evaluation.id, Evaluation.visit_id, Evaluation.firm_id, Evaluation.score,
                                  Evaluation.complaint, EntryFact.department_id)
                           .join(EntryFact, EntryFact.visit_id == Evaluation.visit_id)
                           .where((Evaluation.score <= 2) | Evaluation.complaint.is_not(None),
                                  Evaluation.at >= dt.datetime.combine(since, dt.time()))).all()
    for evaluation_id, visit_id, firm_id, score, complaint, department_id in rows:
        yield (f"low_evaluation:{evaluation_id}:{department_id}", f"企业评价 {score} 分" + ("，并投诉" if complaint else ""),
               {"visit": visit_id, "score": score, "complaint": complaint}, department_id, firm_id)


def refresh_alerts(session: Session, *, today: dt.date, since: dt.date | None = None,
                   total_cap: int = TOTAL_ENTRIES_CAP, uncombined_days: int = UNCOMBINED_DAYS) -> dict[str, int]:
    """Run every rule over the audit window (from ``since``, by default January of last year); raise an
    alert for each case not raised before. Returns new alerts per rule."""
    since = since or audit_start(today)
    rules = {"over_cap": over_cap(session, since, total_cap), "refused_scan": refused_scans(session, since),
             "under_staffed": under_staffed(session, since), "uncombined": uncombined(session, since, uncombined_days),
             "unpublished": unpublished(session, today, since), "late_plan": late_plans(session, today, since),
             "low_evaluation": low_evaluations(session, since)}
    known = set(session.scalars(select(Alert.key)))
    raised: dict[str, int] = {}
    now = utcnow()
    for rule, cases in rules.items():
        raised[rule] = 0
        for key, title, evidence, department_id, firm_id in cases:
            if key in known:
                continue
            known.add(key)
            session.add(Alert(rule=rule, key=key, title=title, evidence=evidence, department_id=department_id,
                              firm_id=firm_id, status="open", note="", raised_at=now))
            raised[rule] += 1
    session.flush()
    if any(raised.values()):
        append_event(session, None, "alerts.raised", "oversight:alerts", raised)
    return raised


def handle_alert(session: Session, actor: User, alert: Alert, status: str, note: str) -> Alert:
    """Oversight explains or closes an alert; a note is required."""
    if actor.role not in ("oversight", "admin"):
        raise NotPermitted("只有监督机构可以处理预警")
    if status not in ALERT_STATUSES:
        raise InvalidInput("状态应为待处理、已说明或已办结", fields={"status": "取值无效"})
    if not note.strip():
        raise InvalidInput("处理预警须填写说明", fields={"note": "必填"})
    old = alert.status
    alert.status, alert.note, alert.updated_at, alert.updated_by_id = status, note.strip(), utcnow(), actor.id
    session.flush()
    append_event(session, actor, "alert.handled", f"alert:{alert.id}",
                 {"rule": alert.rule, "status": [old, status], "note": alert.note})
    return alert



