"""At the door (现场的实际情况): entries on a recorded lead and emergency entries back-filed afterwards,
what an officer is shown at scan-in (扫码提示: the firm's recent visits, other departments' open tasks)
with the invitations and postponements it leads to, and the firm's report of an inspection that showed
no valid code. Scan-in itself (``entries.scan_in``) calls the parts that decide which visit a scan is for."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, load_only

from core import clock

from ..errors import DomainError, InvalidInput, InvalidState, NotPermitted
from ..models import (
    EMERGENCY_KINDS,
    LEAD_KIND_LABELS,
    CatalogueItem,
    Department,
    Finding,
    Firm,
    FirmLead,
    InspectionPlan,
    InspectionTask,
    JoinInvitation,
    Officer,
    OffsiteRequest,
    RefusalReport,
    RiskScore,
    ScanPrompt,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
)
from ..pure.calendar import add_working_days
from .events import append_event, utcnow
from .facts import refresh_visit_facts
from .leads import (
    DEFAULT_SOURCES,
    HOTLINE,
    LEAD_MAX_AGE,
    check_lead,
    lead_text,
    normalise_reference,
)
from .plans import file_targeted_plan, transition

# A visit's tasks with their plans, the plans' items and departments, loaded with the visit (one query).
VISIT_WITH_TASKS = joinedload(Visit.tasks).joinedload(InspectionTask.plan).options(
    joinedload(InspectionPlan.items), joinedload(InspectionPlan.department))

PARTNER_WINDOW = dt.timedelta(minutes=30)   # the second officer must scan within this of the first
BACKFILE_WORKING_DAYS = 3                    # an emergency entry's lead is back-filed within this
RECENT_DAYS = 90                             # the firm's visits shown at scan-in


# -- Recording leads (无线索不检查): typed by the department, imported from the 12345 hotline, or made
# by the platform itself; the channel rules are in ``leads``.

def _refuse_lead(problems: dict[str, str]) -> None:
    if problems:
        first = next(iter(problems.values()))
        more = f"（另有 {len(problems) - 1} 处问题）" if len(problems) > 1 else ""
        raise InvalidInput(f"线索不能登记：{first}{more}", fields=problems)


def record_lead(session: Session, actor: User, firm: Firm, *, kind: str, received_on: dt.date, reference: str,
                summary: str = "", source: str = "", via: str = "manual") -> FirmLead:
    """A lead about a firm of the department's jurisdiction, as it came in: its channel (``kind``), who
    sent it (``source``), the channel's reference and what it says. Recording the same reference again
    returns the lead already recorded."""
    if actor.role != "department" or actor.department is None:
        raise NotPermitted("只有执法部门可以登记投诉举报和线索")
    return _record(session, actor, actor.department, firm, kind=kind, received_on=received_on, reference=reference,
                   summary=summary, source=source, via=via)


def _record(session: Session, actor: User | None, department: Department, firm: Firm, *, kind: str,
            received_on, reference: str, summary: str, source: str, via: str) -> FirmLead:
    source = (source or "").strip() or DEFAULT_SOURCES.get(kind, "")
    problems = check_lead(department, firm, kind, reference, summary, source, received_on, clock.today())
    if kind == "platform" and "reference" not in problems:
        problem = platform_record_problem(session, firm, normalise_reference(reference))
        if problem:
            problems["reference"] = problem
    _refuse_lead(problems)
    reference = normalise_reference(reference)
    existing = session.scalar(select(FirmLead).where(FirmLead.firm_id == firm.id, FirmLead.kind == kind,
                                                     FirmLead.reference == reference,
                                                     FirmLead.department_id == department.id))
    if existing is not None:
        return existing
    lead = FirmLead(firm_id=firm.id, department_id=department.id, kind=kind, received_on=received_on,
                    reference=reference[:64], summary=summary.strip()[:1000], source=source[:100], via=via,
                    recorded_by_id=actor.id if actor else None, recorded_at=utcnow())
    session.add(lead)
    session.flush()
    append_event(session, actor, "lead.recorded", f"firm:{firm.uscc}",
                 {"kind": kind, "received_on": received_on, "reference": lead.reference, "source": lead.source,
                  "via": via})
    return lead


def import_hotline(session: Session, actor: User | None, department: Department, rows: list[dict]) -> list[FirmLead]:
    """12345 hotline work orders dispatched to the department (a file or the hotline's API): each row
    ``{hotline_no, uscc, received_on, summary}``. Every row is checked first and every bad row reported
    with its line; nothing is written unless all are good. A work order already recorded is kept."""
    if actor is not None and (actor.role != "department" or actor.department_id != department.id):
        raise NotPermitted("只有本部门账号可以导入派发给本部门的 12345 热线工单")
    if not rows:
        raise InvalidInput("没有工单可以导入", fields={"records": "为空"})
    firms = {f.uscc: f for f in session.scalars(select(Firm).where(
        Firm.uscc.in_([str(r.get("uscc", "")).strip() for r in rows if isinstance(r, dict)])))}
    problems: dict[str, str] = {}
    parsed = []
    for line, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems[str(line)] = "每条工单应为一个映射"
            continue
        firm = firms.get(str(row.get("uscc", "")).strip())
        if firm is None:
            problems[str(line)] = f"统一社会信用代码 {row.get('uscc') or '（空）'} 不是平台登记的企业"
            continue
        received = row.get("received_on")
        if isinstance(received, str):
            try:
                received = dt.date.fromisoformat(received.strip())
            except ValueError:
                received = None
        found = check_lead(department, firm, "complaint", str(row.get("hotline_no") or ""),
                            str(row.get("summary") or ""), HOTLINE, received, clock.today())
        if found:
            problems[str(line)] = "；".join(found.values())
            continue
        parsed.append((firm, received, str(row["hotline_no"]), str(row["summary"])))
    if problems:
        raise InvalidInput(f"{len(problems)} 条工单有误，未导入任何工单：" + "；".join(
            f"第 {line} 条：{text}" for line, text in list(problems.items())[:5]), fields=problems)
    return [_record(session, actor, department, firm, kind="complaint", received_on=received, reference=number,
                    summary=summary, source=HOTLINE, via="hotline") for firm, received, number, summary in parsed]


def platform_record_problem(session: Session, firm: Firm, reference: str) -> str | None:
    """Why the platform record a lead names (非现场核查#N, 检查记录#N, 风险预警#N) does not support a lead about
    ``firm``, or ``None``: the record (an off-site check, a visit, a risk model's score) must exist and be
    about the firm, and a 检查记录 must hold a point found 不符合."""
    kind, _, number = reference.partition("#")
    record_id = int(number)
    if kind == "非现场核查":
        found = session.scalar(select(OffsiteRequest.id).where(OffsiteRequest.id == record_id,
                                                               OffsiteRequest.firm_id == firm.id))
    elif kind == "检查记录":
        found = session.scalar(select(Finding.id).join(Visit, Visit.id == Finding.visit_id).where(
            Visit.id == record_id, Visit.firm_id == firm.id, Finding.result == "non_compliant").limit(1))
        if found is None and session.scalar(select(Visit.id).where(Visit.id == record_id, Visit.firm_id == firm.id)):
            return f"平台{reference}没有发现不符合的检查要点，不能作为线索"
    else:
        found = session.scalar(select(RiskScore.id).where(RiskScore.id == record_id, RiskScore.firm_id == firm.id))
    if found is None:
        return f"平台上没有{firm.name}的{reference}：平台线索须指向本企业的非现场核查、检查记录或风险预警"
    return None


def platform_lead(session: Session, actor: User | None, department: Department, firm: Firm, *, reference: str,
                  summary: str, today: dt.date) -> FirmLead:
    """The platform's own finding as a lead (an off-site check escalated to an on-site one)."""
    existing = session.scalar(select(FirmLead).where(FirmLead.firm_id == firm.id, FirmLead.kind == "platform",
                                                     FirmLead.reference == reference,
                                                     FirmLead.department_id == department.id))
    if existing is not None:
        return existing
    lead = FirmLead(firm_id=firm.id, department_id=department.id, kind="platform", received_on=today,
                    reference=reference[:64], summary=summary.strip()[:1000], source="本平台", via="platform",
                    recorded_by_id=actor.id if actor else None, recorded_at=utcnow())
    session.add(lead)
    session.flush()
    return lead


@dataclasses.dataclass
class Lead:
    """What justifies entering a firm with no scheduled visit: a lead recorded on the platform (投诉举报,
    移送转办, 事故报告) and the item inspected; or, in an emergency, its kind, back-filed later."""

    kind: str
    item: str
    reference: str = ""
    emergency: bool = False
    entered_at: dt.datetime | None = None    # an emergency team went in first: when


class LeadRefused(DomainError):
    """A lead that does not justify the entry; the refused scan stays on the record for oversight."""

    status = 422
    code = "scan_refused"
    audited = True


def find_lead(session: Session, firm: Firm, officer: Officer, lead: Lead, today: dt.date) -> FirmLead:
    """The recorded lead the officer names: of this firm, of his department or none, not too old."""
    if lead.kind not in LEAD_KIND_LABELS:
        raise LeadRefused("线索来源应为" + "、".join(LEAD_KIND_LABELS.values()), fields={"lead_kind": "取值无效"})
    reference = normalise_reference(lead.reference)
    if not reference:
        raise LeadRefused("依线索入企须填写线索编号（无线索不检查）", fields={"lead_reference": "必填"})
    found = session.scalar(select(FirmLead).where(
        FirmLead.firm_id == firm.id, FirmLead.kind == lead.kind, FirmLead.reference == reference,
        FirmLead.received_on <= today, FirmLead.received_on >= today - LEAD_MAX_AGE,
        or_(FirmLead.department_id.is_(None), FirmLead.department_id == officer.department_id)))
    if found is None:
        raise LeadRefused(f"{LEAD_KIND_LABELS[lead.kind]} {reference} 未在平台登记为{firm.name}的线索"
                          f"（或已超过 {LEAD_MAX_AGE.days} 天）：依线索检查须先登记线索", fields={"lead_reference": reference})
    return found


def open_lead_visit(session: Session, user: User, firm: Firm, lead: Lead, now: dt.datetime,
                    today: dt.date) -> Visit:
    """A visit for an entry without a schedule: a targeted plan filed with its lead (the catalogue item,
    jurisdiction and quiet-period exception checked as for every plan), its one task, and the visit the
    officer's partner joins by scanning."""
    officer = user.officer
    if lead.emergency:
        if lead.kind not in EMERGENCY_KINDS:
            raise LeadRefused("紧急入企的情形应为生产安全事故或重大安全隐患", fields={"emergency_kind": "取值无效"})
        if lead.entered_at is not None and not (local_day(lead.entered_at) == today and lead.entered_at <= now):
            raise LeadRefused("紧急入企时间应为今天、且不晚于现在", fields={"entered_at": "时间无效"})
        record, label = None, EMERGENCY_KINDS[lead.kind]
        text = f"紧急入企（{label}），线索须于 {add_working_days(today, BACKFILE_WORKING_DAYS)} 前补录"
        exception, evidence = ("accident" if lead.kind == "accident" else "hazard"), f"紧急入企：{label}"
    else:
        record = find_lead(session, firm, officer, lead, today)
        label = LEAD_KIND_LABELS[lead.kind]
        text = lead_text(record)
        exception = {"complaint": "complaint", "referral": "order", "accident": "accident", "hazard": "hazard",
                     "assignment": "order", "platform": "order"}[lead.kind]
        evidence = f"{label} {record.reference}"
    plan = file_targeted_plan(session, user, officer.department, title=f"{label}：{firm.name}", item_codes=[lead.item],
                              firms=[firm], lead=text, period_start=today, period_end=today, on_site_reason=text,
                              quiet_exception=exception, quiet_exception_evidence=evidence,
                              kind="emergency" if lead.emergency else "unplanned", lead_record=record)
    task = plan.tasks[0]
    visit = Visit(firm_id=firm.id, day=today, status="confirmed", locked=True, created_at=now,
                  origin="emergency" if lead.emergency else "unplanned", lead_id=record.id if record else None,
                  emergency_kind=lead.kind if lead.emergency else None,
                  entered_before=lead.entered_at if lead.emergency else None,
                  backfile_due=add_working_days(today, BACKFILE_WORKING_DAYS) if lead.emergency else None)
    session.add(visit)
    session.flush()
    task.visit_id, task.status = visit.id, "scheduled"
    transition(plan, "scheduled")
    session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=officer.department_id))
    session.flush()
    append_event(session, user, f"visit.{visit.origin}", f"visit:{visit.id}",
                 {"firm": firm.uscc, "plan": plan.id, "item": lead.item, "lead": record.reference if record else None,
                  "lead_kind": lead.kind, "backfile_due": visit.backfile_due})
    return visit


def local_day(at: dt.datetime) -> dt.date:
    return clock.local_day(at)


def lead_visit_awaiting_partner(session: Session, officer: Officer, firm: Firm, now: dt.datetime) -> Visit | None:
    """An entry on a lead that a colleague of the officer's department opened here within the partner
    window: the officer joins its team by scanning."""
    visit = session.scalar(
        select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .where(Visit.firm_id == firm.id, Visit.origin != "planned", Visit.status.in_(("confirmed", "in_progress")),
               Visit.created_at >= now - PARTNER_WINDOW, Visit.created_at <= now + PARTNER_WINDOW,
               InspectionPlan.department_id == officer.department_id)
        .order_by(Visit.id.desc()).limit(1))
    if visit is not None and officer.id not in {o.officer_id for o in visit.officers}:
        session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=officer.department_id))
        session.flush()
        session.refresh(visit, ["officers"])
    return visit


# -- Backfiling an emergency entry ---------------------------------------------------------------

def backfile(session: Session, actor: User, visit: Visit, *, kind: str, reference: str, summary: str = "",
             now: dt.datetime | None = None) -> Visit:
    """The lead of an emergency entry, recorded afterwards (within the deadline, or late and flagged)."""
    now = now or utcnow()
    department_ids = {t.plan.department_id for t in visit.tasks}
    if actor.role not in ("department", "inspector") or actor.department_id not in department_ids:
        raise NotPermitted("只有入企部门可以补录线索")
    if visit.origin != "emergency":
        raise InvalidState("只有紧急入企需要补录线索")
    if visit.backfiled_at is not None:
        raise InvalidState("线索已经补录")
    if kind not in LEAD_KIND_LABELS:
        raise InvalidInput("线索来源应为" + "、".join(LEAD_KIND_LABELS.values()), fields={"kind": "取值无效"})
    if not reference.strip():
        raise InvalidInput("补录须填写线索编号（事故报告编号、投诉编号或交办文号）", fields={"reference": "必填"})
    # A back-filed reference not in its channel's format is kept (the entry happened), and audited.
    record = FirmLead(firm_id=visit.firm_id, department_id=actor.department_id, kind=kind,
                      received_on=visit.day, reference=normalise_reference(reference)[:64],
                      summary=summary.strip()[:1000], source=DEFAULT_SOURCES.get(kind, ""), via="backfile",
                      recorded_by_id=actor.id, recorded_at=now)
    session.add(record)
    session.flush()
    visit.lead_id, visit.backfiled_at = record.id, now
    for task in visit.tasks:
        task.plan.lead_id = record.id
        task.plan.lead = f"{task.plan.lead}；补录：{LEAD_KIND_LABELS[kind]} {record.reference}"
        task.plan.quiet_exception_evidence = f"{LEAD_KIND_LABELS[kind]} {record.reference}"
    session.flush()
    late = local_day(now) > visit.backfile_due
    append_event(session, actor, "visit.backfiled", f"visit:{visit.id}",
                 {"lead_kind": kind, "lead": record.reference, "due": visit.backfile_due, "late": late})
    return visit


# -- Scan-time prompts (扫码提示) -------------------------------------------------------------------

@functools.cache
def _prompt_query():
    """The firm's tasks the prompt shows, each row saying whether it is of a recent entered visit, an open
    task of another department, and invited: built once, run with the firm, the visit (``here``), the day,
    the 90 days' start and the officer's department as parameters. Each task comes with what the prompt
    shows of its plan (title, department) and items (codes), through the join that filters on the plan."""
    here = bindparam("here")
    recent = and_(VisitEntry.visit_id.is_not(None), Visit.day >= bindparam("since"), Visit.day <= bindparam("today"),
                  Visit.id != here)
    open_ = and_(InspectionTask.on_site.is_(True), InspectionTask.status.in_(("pending", "scheduled")),
                 InspectionTask.window_start <= bindparam("today"), InspectionTask.window_end >= bindparam("today"),
                 InspectionPlan.department_id != bindparam("department"), InspectionPlan.status != "cancelled",
                 or_(InspectionTask.visit_id.is_(None), InspectionTask.visit_id != here))
    invited = exists().where(JoinInvitation.visit_id == here, JoinInvitation.task_id == InspectionTask.id,
                             JoinInvitation.status == "open")
    return (select(InspectionTask, recent.label("recent"), open_.label("open"), invited.label("invited"))
            .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
            .outerjoin(Visit, Visit.id == InspectionTask.visit_id)
            .outerjoin(VisitEntry, VisitEntry.visit_id == Visit.id)
            .where(InspectionTask.firm_id == bindparam("firm"), or_(recent, open_))
            .options(contains_eager(InspectionTask.plan).options(
                         load_only(InspectionPlan.department_id, InspectionPlan.title),
                         joinedload(InspectionPlan.items).load_only(CatalogueItem.code),
                         joinedload(InspectionPlan.department)),
                     contains_eager(InspectionTask.visit))
            .order_by(InspectionTask.id))


def _prompt_tasks(session: Session, firm: Firm, officer: Officer, today: dt.date, visit: Visit | None):
    """In one query, the firm's tasks that the prompt shows, with their plans and visits: the tasks of its
    visits entered in the last 90 days (other than ``visit``), and other departments' on-site tasks that
    could be done today outside ``visit``; each row says which it is, and whether ``visit`` invited it."""
    return session.execute(_prompt_query(), {
        "firm": firm.id, "here": visit.id if visit else 0, "today": today,
        "since": today - dt.timedelta(days=RECENT_DAYS), "department": officer.department_id}).unique().all()


def prompt_for(session: Session, firm: Firm, officer: Officer, today: dt.date, visit: Visit | None = None) -> dict:
    """What the officer sees at scan-in (one query): the firm's entered visits of the last 90 days (when,
    which departments, which items), whether his own items were checked here recently, and other
    departments' on-site tasks here that could be done today."""
    rows = _prompt_tasks(session, firm, officer, today, visit)
    by_visit: dict[int, list[InspectionTask]] = defaultdict(list)
    for row in rows:
        if row.recent:
            by_visit[row.InspectionTask.visit_id].append(row.InspectionTask)
    recent = [{"visit": tasks[0].visit.id, "day": tasks[0].visit.day,
               "departments": sorted({t.plan.department.short_name for t in tasks}),
               "items": sorted({i.code for t in tasks for i in t.plan.items})}
              for tasks in sorted(by_visit.values(), key=lambda ts: (ts[0].visit.day, ts[0].visit.id), reverse=True)]
    mine = {i.code for t in (visit.tasks if visit else []) if t.plan.department_id == officer.department_id
            for i in t.plan.items}
    same = [r for r in recent if mine & set(r["items"])]
    return {"recent": recent, "same_item_recently": same,
            "open_tasks": [{"task": t.id, "department": t.plan.department.name, "plan": t.plan.title,
                            "items": [i.code for i in t.plan.items], "invited": bool(row.invited),
                            "scheduled_day": t.visit.day if t.visit else None}
                           for row in rows if row.open for t in [row.InspectionTask]]}


def record_prompt(session: Session, visit: Visit, officer: Officer, prompt: dict, now: dt.datetime) -> ScanPrompt | None:
    """Keep what an officer was shown at his first scan of a visit, when there was anything to show."""
    if not prompt["recent"] and not prompt["open_tasks"]:
        return None
    row = ScanPrompt(visit_id=visit.id, officer_id=officer.id, department_id=officer.department_id, at=now,
                     recent_visits=len(prompt["recent"]), open_tasks=len(prompt["open_tasks"]))
    session.add(row)
    session.flush()
    return row


def _team_member(actor: User, visit: Visit) -> Officer:
    if actor.role != "inspector" or actor.officer_id not in {o.officer_id for o in visit.officers}:
        raise NotPermitted("只有本次检查组成员可以处理扫码提示")
    return actor.officer


def _latest_prompt(session: Session, visit: Visit, officer: Officer) -> ScanPrompt | None:
    return session.scalar(select(ScanPrompt).where(ScanPrompt.visit_id == visit.id,
                                                   ScanPrompt.department_id == officer.department_id)
                          .order_by(ScanPrompt.id.desc()).limit(1))


def invite(session: Session, actor: User, visit: Visit, task: InspectionTask, *, now: dt.datetime | None = None) -> JoinInvitation:
    """Invite another department with an open task here into this visit: its task joins when two of its
    certified officers scan in."""
    now = now or utcnow()
    officer = _team_member(actor, visit)
    if visit.status not in ("confirmed", "in_progress") or visit.day != local_day(now):
        raise InvalidState("只能邀请其他部门加入今天进行中的检查")
    if task.id not in {t["task"] for t in prompt_for(session, visit.firm, officer, visit.day, visit)["open_tasks"]}:
        raise InvalidInput("该任务不是本企业今天可以一并检查的其他部门任务", fields={"task": task.id})
    existing = session.scalar(select(JoinInvitation).where(JoinInvitation.visit_id == visit.id,
                                                           JoinInvitation.task_id == task.id))
    if existing is not None:
        return existing
    prompt = _latest_prompt(session, visit, officer)
    row = JoinInvitation(visit_id=visit.id, task_id=task.id, prompt_id=prompt.id if prompt else None,
                         invited_by_id=officer.id, at=now, status="open")
    session.add(row)
    session.flush()
    append_event(session, actor, "visit.invited", f"visit:{visit.id}",
                 {"task": task.id, "department": task.plan.department.code, "firm": visit.firm.uscc})
    return row


def invited_visit(session: Session, officer: Officer, firm: Firm, today: dt.date) -> tuple[Visit, JoinInvitation] | None:
    """The visit here today that invited the officer's department, with the invitation."""
    row = session.execute(
        select(Visit, JoinInvitation).join(JoinInvitation, JoinInvitation.visit_id == Visit.id)
        .join(InspectionTask, InspectionTask.id == JoinInvitation.task_id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .where(Visit.firm_id == firm.id, Visit.day == today, Visit.status.in_(("confirmed", "in_progress")),
               JoinInvitation.status == "open", InspectionPlan.department_id == officer.department_id,
               InspectionTask.status.in_(("pending", "scheduled")))
        .order_by(JoinInvitation.id).limit(1)).first()
    return (row[0], row[1]) if row else None


def join(session: Session, actor: User, visit: Visit, invitation: JoinInvitation, officers: list[Officer],
         now: dt.datetime) -> InspectionTask:
    """Two certified officers of the invited department scanned in: their task moves into this visit (its
    earlier visit, left empty, is cancelled) and they join the team."""
    task = invitation.task
    old = task.visit
    task.visit_id, task.status, task.unscheduled_reason = visit.id, "scheduled", None
    present = {o.officer_id for o in visit.officers}
    for officer in officers:
        if officer.id not in present:
            session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=officer.department_id))
    invitation.status, invitation.joined_at = "joined", now
    if invitation.prompt_id:
        prompt = session.get(ScanPrompt, invitation.prompt_id)
        prompt.outcome, prompt.decided_at = "joined", now
    session.flush()
    cancelled = None
    if old is not None and old.id != visit.id and old.status in ("proposed", "confirmed"):
        if not session.scalar(select(func.count()).select_from(InspectionTask).where(InspectionTask.visit_id == old.id)):
            old.status, cancelled = "cancelled", old.id
    if task.plan.status == "drawn":
        transition(task.plan, "scheduled")
    session.flush()
    session.refresh(visit, ["tasks", "officers"])
    refresh_visit_facts(session, visit)
    append_event(session, actor, "visit.joined", f"visit:{visit.id}",
                 {"task": task.id, "department": task.plan.department.code, "from_visit": old.id if old else None,
                  "cancelled": cancelled, "officers": [o.certificate_no for o in officers]})
    return task


def postpone(session: Session, actor: User, visit: Visit, reason: str, *, now: dt.datetime | None = None) -> list[InspectionTask]:
    """Postpone the officer's own part of a visit not yet entered, because the firm was inspected for the
    same item recently: his department's tasks go back to the next schedule; an emptied visit is cancelled."""
    now = now or utcnow()
    officer = _team_member(actor, visit)
    if visit.status != "confirmed" or session.get(VisitEntry, visit.id) is not None:
        raise InvalidState("已经入企的检查不能推迟")
    prompt = prompt_for(session, visit.firm, officer, local_day(now), visit)
    if not prompt["same_item_recently"]:
        raise InvalidState(f"近 {RECENT_DAYS} 天内没有同一事项的入企检查，不能以此推迟")
    if not reason.strip():
        raise InvalidInput("推迟须说明理由", fields={"reason": "必填"})
    last = prompt["same_item_recently"][0]
    own = [t for t in visit.tasks if t.plan.department_id == officer.department_id]
    for task in own:
        task.visit_id, task.status = None, "pending"
        task.unscheduled_reason = f"推迟：{last['day']} 已就同一事项入企检查（{reason.strip()[:200]}）"
    for member in [o for o in visit.officers if o.department_id == officer.department_id]:
        session.delete(member)
    session.flush()
    session.refresh(visit, ["tasks", "officers"])
    if not visit.tasks:
        visit.status = "cancelled"
    row = _latest_prompt(session, visit, officer)
    if row is None:
        row = record_prompt(session, visit, officer, prompt, now)
    row.outcome, row.decided_at = "avoided", now
    session.flush()
    append_event(session, actor, "visit.postponed", f"visit:{visit.id}",
                 {"tasks": [t.id for t in own], "recent_visit": last["visit"], "reason": reason.strip(),
                  "cancelled": visit.status == "cancelled"})
    return own


# -- The firm's right to refuse --------------------------------------------------------------------

def report_no_code(session: Session, actor: User, firm: Firm, *, occurred_at: dt.datetime, officers: str,
                   department: str = "", description: str = "", now: dt.datetime | None = None) -> RefusalReport:
    """The firm reports an inspection that showed no valid inspection code; oversight is alerted."""
    now = now or utcnow()
    if actor.role != "enterprise" or actor.firm_id != firm.id:
        raise NotPermitted("只有本企业账号可以反映未亮码检查")
    if not officers.strip():
        raise InvalidInput("请填写来人自称的姓名或执法证号", fields={"officers": "必填"})
    if occurred_at > now + dt.timedelta(minutes=5) or occurred_at < now - dt.timedelta(days=30):
        raise InvalidInput("发生时间应在最近 30 天内", fields={"occurred_at": "时间无效"})
    row = RefusalReport(firm_id=firm.id, reported_by_id=actor.id, occurred_at=occurred_at,
                        officers=officers.strip()[:500], department=department.strip()[:100],
                        description=description.strip()[:2000], at=now)
    session.add(row)
    session.flush()
    append_event(session, actor, "firm.reported_no_code", f"firm:{firm.uscc}",
                 {"report": row.id, "occurred_at": occurred_at, "officers": row.officers, "department": row.department})
    return row
