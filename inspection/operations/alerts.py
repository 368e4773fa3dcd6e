"""Audit rules of oversight (行政执法监督): each rule finds its cases in the records, and every case
becomes one alert, raised once, that oversight explains or closes with a note."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from core import clock

from ..errors import InvalidInput, NotPermitted
from ..models import (
    ALERT_STATUSES,
    LEAD_KIND_LABELS,
    Alert,
    CatalogueItem,
    ChecklistPoint,
    DepartmentEntry,
    EntryFact,
    EntryFirmCount,
    EntryItemCount,
    Evaluation,
    Finding,
    FirmLead,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    LeniencyDecision,
    MissedPart,
    Officer,
    QuietPeriod,
    RefusalReport,
    Scan,
    UncombinedPair,
    User,
    Visit,
    VisitEntry,
    plan_items,
)
from ..queries.kpis import PERIOD_NAMES, calendar_periods, runs_of
from .approvals import unapproved_entries
from .bulk import copy_rows
from .city_rules import city_rule_limit
from .documents import entries_without_notice, numbering_gaps, overdue_results, unsigned_records
from .events import append_event, utcnow
from .facts import UNCOMBINED_DAYS, uncombined_pairs
from .leads import LEAD_QUICK_USE, reference_problem
from .leniency import fine_disparities, fines_outside_range, first_offence_conflicts
from .plans import LEAD_METHODS

TOTAL_ENTRIES_CAP = 6        # entries into one firm a year, all departments together
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
    # The groups are counted as the entries are recorded (EntryItemCount, EntryFirmCount): only those
    # past their cap are read, from partial or ordered indexes.
    per_item = session.execute(
        select(EntryItemCount.firm_id, EntryItemCount.item_code, EntryItemCount.period, EntryItemCount.entries,
               EntryItemCount.frequency_cap, EntryItemCount.department_id)
        .where(EntryItemCount.year >= since.year, EntryItemCount.entries > EntryItemCount.frequency_cap)
        .order_by(EntryItemCount.firm_id, EntryItemCount.item_code, EntryItemCount.period)).all()
    for firm_id, code, period, entries, cap, department_id in per_item:
        year = int(period[:4])
        yield (f"over_cap:{firm_id}:{code}:{period}", f"{period} 事项 {code} 入企 {entries} 次，超过上限 {cap} 次",
               {"year": year, "period": period, "item": code, "entries": entries, "cap": cap}, department_id, firm_id)
    totals = session.execute(
        select(EntryFirmCount.firm_id, EntryFirmCount.year, EntryFirmCount.entries)
        .where(EntryFirmCount.year >= since.year, EntryFirmCount.entries > total_cap)
        .order_by(EntryFirmCount.firm_id, EntryFirmCount.year)).all()
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
    """Departments' entries with fewer than two of their own officers certified on the day among those
    who scanned in (each department of a joint visit counts on its own)."""
    rows = session.execute(select(EntryFact.visit_id, EntryFact.department_id, EntryFact.firm_id, EntryFact.certified)
                           .where(EntryFact.certified < 2, EntryFact.day_number >= since.toordinal())).all()
    for visit_id, department_id, firm_id, n in rows:
        yield (f"under_staffed:{visit_id}:{department_id}", f"本部门入企只有 {n} 名当日持证执法人员扫码",
               {"visit": visit_id, "certified": n}, department_id, firm_id)


def short_visits(session: Session, since: dt.date, minimum: int | None = None):
    """Departments' parts of a visit that lasted less than the city's minimum (default 10 minutes)."""
    minimum = city_rule_limit(session, "min_visit_minutes") if minimum is None else minimum
    rows = session.execute(select(DepartmentEntry, Visit.firm_id).join(Visit, Visit.id == DepartmentEntry.visit_id)
                           .where(DepartmentEntry.left_at.is_not(None), Visit.day >= since)).all()
    for part, firm_id in rows:
        minutes = (part.left_at - part.entered_at).total_seconds() / 60
        if minutes < minimum:
            yield (f"short_visit:{part.visit_id}:{part.department_id}",
                   f"入企检查仅 {round(minutes)} 分钟（少于 {minimum} 分钟）",
                   {"visit": part.visit_id, "minutes": round(minutes, 1), "minimum": minimum,
                    "entered_at": clock.to_local(part.entered_at).strftime("%Y-%m-%d %H:%M"),
                    "left_at": clock.to_local(part.left_at).strftime("%Y-%m-%d %H:%M")},
                   part.department_id, firm_id)


def absent_departments(session: Session, since: dt.date):
    """Departments scheduled on a visit whose officers never made its entry (their tasks went unperformed)."""
    rows = session.execute(select(MissedPart, Visit.firm_id, Visit.day).join(Visit, Visit.id == MissedPart.visit_id)
                           .where(Visit.day >= since)).all()
    for part, firm_id, day in rows:
        came = len(part.scanned)
        yield (f"absent_department:{part.visit_id}:{part.department_id}",
               f"{part.department.short_name}排定参加 {day} 的检查但未入企"
               + (f"（仅 {came} 人扫码）" if came else "（无人扫码）"),
               {"visit": part.visit_id, "day": day.isoformat(), "scanned": part.scanned,
                "tasks": len(part.tasks)}, part.department_id, firm_id)


def uncombined(session: Session, since: dt.date, days: int = UNCOMBINED_DAYS):
    """Two departments entering one firm within ``days`` days when their windows overlapped.

    The pairs are found when a visit's facts are made (``UncombinedPair``): the rule reads the
    window's; for another number of days it joins the window's entries on the firm. Pairs come in
    the order of the buckets of ``days + 1`` days they fall in (the same bucket first, then the
    next), then by visit."""
    if days == UNCOMBINED_DAYS:
        pairs = select(UncombinedPair.first_visit_id.label("first"), UncombinedPair.second_visit_id.label("second"),
                       UncombinedPair.firm_id, UncombinedPair.first_day, UncombinedPair.second_day,
                       UncombinedPair.department_id, UncombinedPair.bucket_step) \
            .where(UncombinedPair.first_day_number >= since.toordinal()).subquery()
    else:
        pairs = uncombined_pairs(days, since_number=since.toordinal()).subquery()
    rows = session.execute(select(pairs.c.first, pairs.c.second, pairs.c.firm_id, pairs.c.first_day,
                                  pairs.c.second_day, pairs.c.department_id)
                           .order_by(pairs.c.bucket_step, pairs.c.first, pairs.c.second)).all()
    for first, second, firm_id, day_a, day_b, department_id in rows:
        yield (f"uncombined:{first}:{second}", f"{day_a} 与 {day_b} 两个部门分别入企，时间窗重叠，本可联合检查",
               {"visits": [first, second], "days": [day_a.isoformat(), day_b.isoformat()]}, department_id, firm_id)


def unpublished(session: Session, today: dt.date, since: dt.date):
    # Firm and department are looked up for each of the few outcomes found, not joined from every
    # visit and task (every outcome has its task, and its task its plan).
    firm = select(Visit.firm_id).where(Visit.id == ItemOutcome.visit_id).scalar_subquery()
    department = (select(InspectionPlan.department_id).join(InspectionTask, InspectionTask.plan_id == InspectionPlan.id)
                  .where(InspectionTask.id == ItemOutcome.task_id).scalar_subquery())
    rows = session.execute(select(ItemOutcome.id, ItemOutcome.publish_due, ItemOutcome.visit_id, firm, department)
                           .where(ItemOutcome.published_at.is_(None), ItemOutcome.publish_due < today,
                                  ItemOutcome.publish_due >= since, ItemOutcome.visit_id.is_not(None))).all()
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
    per_day = defaultdict(lambda: [0, 0, 0.0])          # (department, day) -> [cases, fines, Σfine²]
    for department_id, day, n, fines, squares in cases:
        totals = per_day[(department_id, day)]
        totals[0] += n
        totals[1] += int(fines)
        totals[2] += float(squares)
    by_department = defaultdict(list)
    for (department_id, day), totals in per_day.items():
        by_department[department_id].append((day, totals))

    def total(department_id: int, first: dt.date, last: dt.date) -> list:
        sums = [0, 0, 0.0]
        for day, totals in by_department[department_id]:
            if first <= day <= last:
                sums = [a + b for a, b in zip(sums, totals)]
        return sums

    def entries(department_id: int, first: dt.date, last: dt.date) -> int:
        """The department's entries in the span: counted only for a case found, not for ten years of days."""
        return session.scalar(select(func.count()).select_from(EntryFact).where(
            EntryFact.department_id == department_id, EntryFact.year == first.year,
            EntryFact.day >= first, EntryFact.day <= min(last, today)))

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
                            "growth": round((current - previous) / previous, 3),
                            "entries": entries(department_id, dt.date(year, 1, 1), span_end),
                            "entries_previous": entries(department_id, dt.date(year - 1, 1, 1),
                                                        _same_day(span_end, year - 1))}, department_id, None)


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


def missed_runs(session: Session, today: dt.date, since: dt.date):
    """A list's 抽查频次 floor ("每年不少于1次", "1次/年") is the department's obligation: each finished
    period in which the department drew fewer plans of the item than the list says is a case."""
    items = session.scalars(select(CatalogueItem).where(CatalogueItem.status == "published",
                                                        CatalogueItem.runs_min.is_not(None))).all()
    for item in items:
        start = max(since, item.effective_from)
        for first, last in calendar_periods(item.frequency_period, start, today):
            if last >= today or (item.effective_to is not None and first > item.effective_to):
                break
            runs = runs_of(session, item, first, last)
            if runs < item.runs_min:
                label = f"{first:%Y}年" if item.frequency_period == "year" else f"{first} 至 {last}"
                yield (f"missed_runs:{item.code}:{item.department_id}:{first.isoformat()}",
                       f"{label}事项 {item.code}「{item.name}」开展 {runs} 次，少于清单规定的{item.frequency_words or ''}"
                       f"（{PERIOD_NAMES[item.frequency_period]}不少于 {item.runs_min} 次）",
                       {"item": item.code, "from": first.isoformat(), "to": last.isoformat(), "runs": runs,
                        "required": item.runs_min, "words": item.frequency_words}, item.department_id, None)


def _year_days(period: QuietPeriod, year: int) -> set[dt.date]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if period.days_of_month is None:
        first, last = max(first, period.start), min(last, period.end)
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)
            if period.covers(first + dt.timedelta(days=n))}


def quiet_periods(session: Session, since: dt.date, notice_days: int = QUIET_NOTICE_DAYS):
    """Firms' quiet periods (企业宁静期) longer than the city's cap, declared fewer than ``notice_days``
    days before they start, and firms whose periods (of all departments) cover more than the cap in a year."""
    cap = city_rule_limit(session, "quiet_period_max_days")
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


def quick_leads(session: Session, since: dt.date, window: dt.timedelta = LEAD_QUICK_USE):
    """Plans (and the entries filed on them) resting on a lead that an account of the same department
    recorded shortly before: the department made its own reason to inspect. A lead imported from the
    12345 hotline or made by the platform does not count; a back-filed one is recorded after the entry."""
    recorder = aliased(User)
    rows = session.execute(
        select(InspectionPlan.id, InspectionPlan.title, InspectionPlan.created_at, InspectionPlan.created_by_id,
               InspectionPlan.department_id, FirmLead.id, FirmLead.firm_id, FirmLead.kind, FirmLead.reference,
               FirmLead.recorded_at, FirmLead.recorded_by_id)
        .join(FirmLead, FirmLead.id == InspectionPlan.lead_id)
        .join(recorder, recorder.id == FirmLead.recorded_by_id)
        .where(FirmLead.via == "manual", recorder.department_id == InspectionPlan.department_id,
               InspectionPlan.created_at >= dt.datetime.combine(since, dt.time()))).all()
    for plan_id, title, used_at, user_id, department_id, _lead, firm_id, kind, reference, recorded_at, by in rows:
        gap = used_at - recorded_at
        if not dt.timedelta(0) <= gap <= window:
            continue
        minutes = int(gap.total_seconds() // 60)
        who = "同一账号" if by == user_id else "本部门"
        yield (f"lead_quick_use:{plan_id}",
               f"{LEAD_KIND_LABELS[kind]} {reference} 由{who}登记后 {minutes} 分钟即据以检查（「{title}」）",
               {"plan": plan_id, "lead": reference, "lead_kind": kind, "minutes": minutes,
                "same_account": by == user_id}, department_id, firm_id)


def sourceless_leads(session: Session, since: dt.date):
    """Plans that rest on a lead without a source reference in its channel's format (a back-filed or
    older record), and key or special plans that name no recorded lead at all."""
    start = dt.datetime.combine(since, dt.time())
    rows = session.execute(
        select(InspectionPlan.id, InspectionPlan.title, InspectionPlan.department_id, FirmLead.firm_id,
               FirmLead.kind, FirmLead.reference, FirmLead.source)
        .join(FirmLead, FirmLead.id == InspectionPlan.lead_id)
        .where(InspectionPlan.created_at >= start, InspectionPlan.status != "cancelled")).all()
    for plan_id, title, department_id, firm_id, kind, reference, source in rows:
        problem = reference_problem(kind, reference) or (None if source else "未写明线索来自哪里")
        if problem:
            yield (f"lead_without_source:{plan_id}", f"「{title}」所依线索 {reference}：{problem}",
                   {"plan": plan_id, "lead": reference, "lead_kind": kind, "problem": problem}, department_id, firm_id)
    keyed = session.execute(
        select(InspectionPlan.id, InspectionPlan.title, InspectionPlan.department_id, InspectionPlan.lead,
               func.min(CatalogueItem.code))
        .join(plan_items, plan_items.c.plan_id == InspectionPlan.id)
        .join(CatalogueItem, CatalogueItem.id == plan_items.c.item_id)
        .where(InspectionPlan.lead_id.is_(None), CatalogueItem.method.in_(LEAD_METHODS),
               InspectionPlan.created_at >= start, InspectionPlan.status != "cancelled")
        .group_by(InspectionPlan.id, InspectionPlan.title, InspectionPlan.department_id, InspectionPlan.lead)).all()
    for plan_id, title, department_id, lead, code in keyed:
        yield (f"lead_without_source:{plan_id}", f"重点、专项检查计划「{title}」未依据平台登记的线索（记为「{lead or '无'}」）",
               {"plan": plan_id, "item": code, "lead": lead}, department_id, None)


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
             "quiet_periods": quiet_periods(session, since), "short_visit": short_visits(session, since),
             "absent_department": absent_departments(session, since), "missed_runs": missed_runs(session, today, since),
             "lead_quick_use": quick_leads(session, since), "lead_without_source": sourceless_leads(session, since),
             "first_offence_conflict": first_offence_conflicts(session, since),
             "fine_outside_range": fines_outside_range(session, since),
             "fine_disparity": fine_disparities(session, since),
             "unapproved_entry": unapproved_entries(session, today, since),
             "entry_without_notice": entries_without_notice(session, today, since),
             "unsigned_record": unsigned_records(session, today, since),
             "result_overdue": overdue_results(session, today, since), "document_gap": numbering_gaps(session)}
    known = set(session.scalars(select(Alert.key)))
    raised: dict[str, int] = {}
    now = utcnow()
    new_rows = []
    for rule, cases in rules.items():
        raised[rule] = 0
        for key, title, evidence, department_id, firm_id in cases:
            if key in known:
                continue
            known.add(key)
            new_rows.append((rule, key, title, evidence, department_id, firm_id, "open", "", now))
            raised[rule] += 1
    session.flush()
    # Thousands of alerts at once on a first run: copied in, not inserted object by object.
    copy_rows(session, Alert.__table__, ("rule", "key", "title", "evidence", "department_id", "firm_id", "status",
                                             "note", "raised_at"), new_rows)
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



