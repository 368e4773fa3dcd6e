"""Audit rules of oversight (行政执法监督): each rule finds its cases in the records, and every case
becomes one alert, raised once, that oversight explains or closes with a note."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from core import clock

from ..calendar import city_limit
from ..errors import InvalidInput, NotPermitted
from ..models import (
    ALERT_STATUSES,
    LEAD_KIND_LABELS,
    Alert,
    CatalogueItem,
    ChecklistPoint,
    EntryFact,
    EntryItemFact,
    Evaluation,
    Finding,
    FirmLead,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    LeniencyDecision,
    Officer,
    QuietPeriod,
    RefusalReport,
    Scan,
    User,
    Visit,
    VisitEntry,
)
from .approvals import unapproved_entries
from .documents import numbering_gaps, unsigned_records
from .events import append_event, utcnow

TOTAL_ENTRIES_CAP = 6        # entries into one firm a year, all departments together
UNCOMBINED_DAYS = 30         # two departments entering within this many days could have come together
PROFIT_GROWTH = 0.5          # cases or fines up by half on the same span of the year before (趋利性执法)...
PROFIT_MIN_CASES = 10        # ...once there are this many cases
PROFIT_MIN_FINES = 100_000   # ...or this many yuan of fines...
PROFIT_Z = 2.0               # ...and the rise is beyond chance: this many standard deviations
HEAVIER_REPEAT = 3           # heavier treatments by one officer in a calendar year
QUIET_NOTICE_DAYS = 5        # a firm's quiet period declared fewer days than this before it starts is late


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


def lenient_cases(session: Session):
    """Cases opened on an item all of whose non-compliant points had a no-penalty entry that applied (all
    its conditions held), whatever the inspector then decided: oversight reads the reason. A case that
    another non-compliant point of the item justifies does not count."""
    failing = (select(Finding.id, Finding.visit_id, Finding.task_id, Finding.item_id, Finding.point_id)
               .where(Finding.result == "non_compliant").subquery())
    rows = session.execute(
        select(ItemOutcome.id, ItemOutcome.visit_id, Visit.firm_id, InspectionPlan.department_id,
               CatalogueItem.code, ChecklistPoint.position, LeniencyDecision.treatment, LeniencyDecision.decision,
               LeniencyDecision.reason)
        .join(Visit, Visit.id == ItemOutcome.visit_id)
        .join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .join(CatalogueItem, CatalogueItem.id == ItemOutcome.item_id)
        .join(failing, and_(failing.c.visit_id == ItemOutcome.visit_id, failing.c.task_id == ItemOutcome.task_id,
                            failing.c.item_id == ItemOutcome.item_id))
        .join(ChecklistPoint, ChecklistPoint.id == failing.c.point_id)
        .outerjoin(LeniencyDecision, LeniencyDecision.finding_id == failing.c.id)
        .where(ItemOutcome.outcome == "case")
        .order_by(ItemOutcome.id, ChecklistPoint.position)).all()
    by_outcome: dict[int, list] = defaultdict(list)
    for row in rows:
        by_outcome[row[0]].append(row)
    for outcome_id, points in by_outcome.items():
        if not all(treatment == "no_penalty" for *_, treatment, _decision, _reason in points):
            continue
        _, visit_id, firm_id, department_id, code, *_rest = points[0]
        positions = [p[5] for p in points]
        departed = [p for p in points if p[7] == "depart"]
        yield (f"lenient_case:{outcome_id}",
               f"事项 {code} 第 {'、'.join(map(str, positions))} 个要点符合不予处罚清单的全部条件，仍立案查处",
               {"visit": visit_id, "item": code, "points": positions,
                "decisions": [p[7] for p in points], "reason": "；".join(p[8] for p in departed if p[8])},
               department_id, firm_id)


def profit_driven(session: Session, today: dt.date, growth: float = PROFIT_GROWTH,
                  min_cases: int = PROFIT_MIN_CASES, min_fines: int = PROFIT_MIN_FINES, z: float = PROFIT_Z):
    """Departments whose cases or fines, from 1 January to the same day, grew by ``growth`` on the same span
    of the year before (a year already over counts whole), past a minimum and beyond chance: cases as
    Poisson counts (rise > z·√(n₁ + n₀)), fines as sums of their cases (rise > z·√Σfine²). The evidence
    says whether the department's entries grew alike."""
    fine = cast(ItemOutcome.fine_amount, Float)
    cases = session.execute(
        select(InspectionPlan.department_id, Visit.day, func.count(ItemOutcome.id),
               func.coalesce(func.sum(ItemOutcome.fine_amount), 0), func.coalesce(func.sum(fine * fine), 0.0))
        .join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .join(Visit, Visit.id == ItemOutcome.visit_id)
        .where(ItemOutcome.outcome == "case", Visit.day <= today)
        .group_by(InspectionPlan.department_id, Visit.day)).all()
    entries = session.execute(
        select(EntryFact.department_id, EntryFact.day, func.count())
        .where(EntryFact.day <= today).group_by(EntryFact.department_id, EntryFact.day)).all()
    per_day = defaultdict(lambda: [0, 0, 0.0, 0])       # (department, day) -> [cases, fines, Σfine², entries]
    for department_id, day, n, fines, squares in cases:
        totals = per_day[(department_id, day)]
        totals[0] += n
        totals[1] += int(fines)
        totals[2] += float(squares)
    for department_id, day, n in entries:
        per_day[(department_id, day)][3] += n
    by_department = defaultdict(list)
    for (department_id, day), totals in per_day.items():
        by_department[department_id].append((day, totals))

    def total(department_id: int, first: dt.date, last: dt.date) -> list:
        sums = [0, 0, 0.0, 0]
        for day, totals in by_department[department_id]:
            if first <= day <= last:
                sums = [a + b for a, b in zip(sums, totals)]
        return sums

    years = sorted({day.year for _, day, *_ in cases})
    for department_id in sorted({row[0] for row in cases}):
        for year in (y for y in years if y - 1 in years):
            span_end = min(today, dt.date(year, 12, 31))
            now = total(department_id, dt.date(year, 1, 1), span_end)
            then = total(department_id, dt.date(year - 1, 1, 1), _same_day(span_end, year - 1))
            span = f"1月1日至{span_end.month}月{span_end.day}日"
            for metric, label, unit, minimum, current, previous, variance in (
                    ("cases", "立案", "件", min_cases, now[0], then[0], now[0] + then[0]),
                    ("fines", "罚没金额", "元", min_fines, now[1], then[1], now[2] + then[2])):
                if (previous > 0 and current >= minimum and current >= (1 + growth) * previous
                        and current - previous > z * variance ** 0.5):
                    yield (f"profit_driven:{department_id}:{year}:{metric}",
                           f"{year} 年{span}{label} {current:,} {unit}，同比增长 "
                           f"{100 * (current - previous) / previous:.0f}%（上年同期 {previous:,} {unit}）",
                           {"year": year, "metric": metric, "current": current, "previous": previous,
                            "growth": round((current - previous) / previous, 3), "entries": now[3],
                            "entries_previous": then[3]}, department_id, None)


def _same_day(day: dt.date, year: int) -> dt.date:
    """The same month and day in ``year`` (28 February for a 29th)."""
    return day.replace(year=year) if not (day.month == 2 and day.day == 29) else dt.date(year, 2, 28)


def heavier_repeats(session: Session, repeat: int = HEAVIER_REPEAT):
    """Officers who recorded a heavier treatment (从重处罚) ``repeat`` times or more in one calendar year."""
    year = func.extract("year", Visit.day)
    rows = session.execute(
        select(ItemOutcome.recorded_by_id, year.label("year"), func.count(ItemOutcome.id),
               Officer.certificate_no, Officer.name, Officer.department_id)
        .join(Visit, Visit.id == ItemOutcome.visit_id)
        .join(Officer, Officer.id == ItemOutcome.recorded_by_id)
        .where(ItemOutcome.treatment == "heavier")
        .group_by(ItemOutcome.recorded_by_id, year, Officer.certificate_no, Officer.name, Officer.department_id)
        .having(func.count(ItemOutcome.id) >= repeat)).all()
    for officer_id, yr, n, certificate_no, name, department_id in rows:
        visits = session.scalars(select(ItemOutcome.visit_id).join(Visit, Visit.id == ItemOutcome.visit_id)
                                 .where(ItemOutcome.recorded_by_id == officer_id, ItemOutcome.treatment == "heavier",
                                        func.extract("year", Visit.day) == yr)
                                 .order_by(ItemOutcome.visit_id).limit(20)).all()
        yield (f"heavier_repeat:{officer_id}:{int(yr)}", f"执法人员 {name}（{certificate_no}）{int(yr)} 年从重处罚 {n} 次",
               {"year": int(yr), "officer": certificate_no, "count": n, "visit_ids": visits}, department_id, None)


def unplanned_entries(session: Session, since: dt.date):
    """Entries on a lead: each one is shown to oversight with its lead (counted apart from planned ones)."""
    rows = session.execute(select(Visit.id, Visit.firm_id, Visit.day, FirmLead.kind, FirmLead.reference,
                                  func.min(InspectionPlan.department_id))
                           .join(VisitEntry, VisitEntry.visit_id == Visit.id)
                           .join(FirmLead, FirmLead.id == Visit.lead_id)
                           .join(InspectionTask, InspectionTask.visit_id == Visit.id)
                           .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                           .where(Visit.origin == "unplanned", Visit.day >= since)
                           .group_by(Visit.id, Visit.firm_id, Visit.day, FirmLead.kind, FirmLead.reference)).all()
    for visit_id, firm_id, day, kind, reference, department_id in rows:
        yield (f"unplanned_entry:{visit_id}", f"{day} 依线索入企：{LEAD_KIND_LABELS[kind]} {reference}",
               {"visit": visit_id, "lead_kind": kind, "lead": reference}, department_id, firm_id)


def emergency_backfiles(session: Session, today: dt.date, since: dt.date):
    """Emergency entries whose lead was not back-filed by its deadline (still missing, or filed late)."""
    rows = session.execute(select(Visit.id, Visit.firm_id, Visit.day, Visit.backfile_due, Visit.backfiled_at,
                                  func.min(InspectionPlan.department_id))
                           .join(VisitEntry, VisitEntry.visit_id == Visit.id)
                           .join(InspectionTask, InspectionTask.visit_id == Visit.id)
                           .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                           .where(Visit.origin == "emergency", Visit.day >= since, Visit.backfile_due < today)
                           .group_by(Visit.id, Visit.firm_id, Visit.day, Visit.backfile_due, Visit.backfiled_at)).all()
    for visit_id, firm_id, day, due, filed, department_id in rows:
        filed_day = clock.local_day(filed) if filed else None
        if filed_day is not None and filed_day <= due:
            continue
        title = (f"{day} 紧急入企，应于 {due} 前补录线索，" + (f"{filed_day} 才补录" if filed_day else "至今未补录"))
        yield (f"emergency_backfile:{visit_id}", title,
               {"visit": visit_id, "due": due.isoformat(), "backfiled": filed_day.isoformat() if filed_day else None},
               department_id, firm_id)


def offline_entries(session: Session, since: dt.date):
    """Entries recorded on a phone without network and received later: each is audited once."""
    rows = session.execute(select(Visit.id, Visit.firm_id, Visit.day, VisitEntry.entered_at,
                                  func.max(Scan.synced_at), func.min(InspectionPlan.department_id))
                           .join(VisitEntry, VisitEntry.visit_id == Visit.id)
                           .join(Scan, Scan.visit_id == Visit.id)
                           .join(InspectionTask, InspectionTask.visit_id == Visit.id)
                           .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                           .where(VisitEntry.recorded_offline.is_(True), Visit.day >= since)
                           .group_by(Visit.id, Visit.firm_id, Visit.day, VisitEntry.entered_at)).all()
    for visit_id, firm_id, day, entered, synced, department_id in rows:
        hours = round((synced - entered).total_seconds() / 3600, 1) if synced else None
        yield (f"offline_entry:{visit_id}", f"{day} 断网入企，{hours} 小时后补录上传",
               {"visit": visit_id, "hours_late": hours}, department_id, firm_id)


def no_code_reports(session: Session, since: dt.date):
    rows = session.scalars(select(RefusalReport).where(RefusalReport.at >= dt.datetime.combine(since, dt.time()))).all()
    for report in rows:
        yield (f"no_code_report:{report.id}",
               f"企业反映 {clock.to_local(report.occurred_at):%Y-%m-%d %H:%M} 有人未出示有效检查码要求检查：{report.officers}",
               {"report": report.id, "officers": report.officers, "department": report.department,
                "description": report.description}, None, report.firm_id)


def _year_days(period: QuietPeriod, year: int) -> set[dt.date]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if period.days_of_month is None:
        first, last = max(first, period.start), min(last, period.end)
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)
            if period.covers(first + dt.timedelta(days=n))}


def quiet_periods(session: Session, since: dt.date, notice_days: int = QUIET_NOTICE_DAYS):
    """Firms' quiet periods (企业宁静期) longer than the city's cap, declared fewer than ``notice_days``
    days before they start, and firms whose periods (of all departments) cover more than the cap in a year."""
    cap = city_limit("quiet_period_max_days", 30)
    periods = session.scalars(select(QuietPeriod).where(
        QuietPeriod.scope == "firm", (QuietPeriod.end.is_(None)) | (QuietPeriod.end >= since))
        .order_by(QuietPeriod.id)).all()
    by_firm_year: dict[tuple[int, int], set[dt.date]] = defaultdict(set)
    for period in periods:
        about = {"period": period.id, "start": period.start and period.start.isoformat(),
                 "end": period.end and period.end.isoformat(), "cap": cap,
                 "declared_on": period.declared_on and period.declared_on.isoformat()}
        if period.start and period.end and (period.end - period.start).days + 1 > cap:
            days = (period.end - period.start).days + 1
            yield (f"quiet_long:{period.id}", f"宁静期 #{period.id} 长 {days} 天，超过上限 {cap} 天",
                   {**about, "days": days}, period.department_id, period.firm_id)
        if period.start and period.declared_on and (period.start - period.declared_on).days < notice_days:
            yield (f"quiet_late:{period.id}",
                   f"宁静期 #{period.id} 于 {period.declared_on} 设定，距开始不足 {notice_days} 天",
                   about, period.department_id, period.firm_id)
        years = range(max(since.year, period.start.year if period.start else since.year),
                      (period.end.year if period.end else since.year + 1) + 1)
        for year in years:
            by_firm_year[(period.firm_id, year)] |= _year_days(period, year)
    for (firm_id, year), days in sorted(by_firm_year.items()):
        if len(days) > cap:
            yield (f"quiet_year:{firm_id}:{year}", f"{year} 年企业宁静期共 {len(days)} 天，超过上限 {cap} 天",
                   {"year": year, "days": len(days), "cap": cap}, None, firm_id)


def refresh_alerts(session: Session, *, today: dt.date, since: dt.date | None = None,
                   total_cap: int = TOTAL_ENTRIES_CAP, uncombined_days: int = UNCOMBINED_DAYS) -> dict[str, int]:
    """Run every rule over the audit window (from ``since``, by default January of last year); raise an
    alert for each case not raised before. Returns new alerts per rule."""
    since = since or audit_start(today)
    rules = {"over_cap": over_cap(session, since, total_cap), "refused_scan": refused_scans(session, since),
             "under_staffed": under_staffed(session, since), "uncombined": uncombined(session, since, uncombined_days),
             "unpublished": unpublished(session, today, since), "late_plan": late_plans(session, today, since),
             "low_evaluation": low_evaluations(session, since), "lenient_case": lenient_cases(session),
             "profit_driven": profit_driven(session, today), "heavier_repeat": heavier_repeats(session),
             "unplanned_entry": unplanned_entries(session, since),
             "emergency_backfile": emergency_backfiles(session, today, since),
             "offline_entry": offline_entries(session, since), "no_code_report": no_code_reports(session, since),
             "quiet_periods": quiet_periods(session, since),
             "unapproved_entry": unapproved_entries(session, today, since),
             "unsigned_record": unsigned_records(session, today, since), "document_gap": numbering_gaps(session)}
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



