"""凡检查必通知: the documents of an inspection (司法部《行政检查文书基本格式文本（试行）》), numbered per
department, kind and year without gaps or repeats, rendered once as PDF and never changed; each carries a
QR code to its public verification page, and the PDF's SHA-256 goes into the event log.

Documents issued here: the approval form (行政检查审批表) when a plan is approved, the inspection notice
(行政检查通知书) when a department enters a firm (:func:`issue_entry_notice`), the result notice
(行政检查结果告知书) from a visit's outcomes (:func:`issue_result_notice`), and corrections of any of them
(:func:`correct_document`)."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Callable

from PIL import Image as PilImage
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock

from ..errors import InvalidInput, InvalidState, NotPermitted, Settled
from ..models import (
    DOCUMENT_KIND_MARKS,
    DOCUMENT_KINDS,
    EMERGENCY_KINDS,
    FIELD_RECORD_KINDS,
    RESULT_LABELS,
    STATEMENT_KINDS,
    Department,
    DepartmentEntry,
    Document,
    DocumentAcknowledgement,
    DocumentCounter,
    DocumentStatement,
    Finding,
    InspectionTask,
    ItemOutcome,
    PlanApproval,
    RecordSignature,
    User,
    Visit,
)
from ..pure.calendar import add_working_days
from ..pure.pdf import PdfDocument, render
from .events import append_event, utcnow
from .findings import checklist_results

CITY_MARK = "东"   # 东营
# The department's mark in a document number (东市监检通〔2026〕第0001号); others use their short name.
DEPARTMENT_MARKS = {"market": "市监", "emergency": "应急", "ecology": "环", "fire": "消", "health": "卫健",
                    "transport": "交运", "housing": "住建", "hr": "人社"}
# Entries from this day on are audited (the day approval and notice of every inspection came into force).
APPROVALS_IN_FORCE_FROM = dt.date(2026, 12, 1)
STATEMENT_DAYS = 5   # the firm may state its case (陈述、申辩) within this many days of a result notice
_public_url = "http://127.0.0.1:5000"

RIGHTS = ("贵单位依法享有以下权利：（一）查验执法人员的行政执法证件，执法人员少于两人或者未出示证件的，有权拒绝检查；"
          "（二）执法人员与贵单位有直接利害关系或者其他关系可能影响公正执法的，有权申请其回避；"
          "（三）对检查中认定的事实和问题，有权进行陈述和申辩；"
          "（四）对检查中的违法违规行为，有权向本机关或者行政执法监督机构投诉、举报；"
          "（五）检查结束后，可通过“政企行”平台对本次检查作出评价。")
DISCIPLINE = ("检查纪律：执法人员应当出示执法证件，不少于两人；只检查本通知所列事项，不得超出检查事项清单；"
              "不得妨碍企业正常生产经营活动；不得索取或者收受财物，不得接受宴请；"
              "不得要求企业提供与检查无关的资料；对检查中知悉的商业秘密、个人信息依法保密。")


def set_public_url(url: str) -> None:
    """The platform's public address (``PUBLIC_URL``): the QR code of each document opens a page there."""
    global _public_url
    _public_url = url.rstrip("/")


def verify_url(token: str) -> str:
    return f"{_public_url}/d/{token}"


def department_mark(department: Department) -> str:
    return DEPARTMENT_MARKS.get(department.code, department.short_name[:2])


def format_number(department: Department, kind: str, year: int, serial: int) -> str:
    return f"{CITY_MARK}{department_mark(department)}检{DOCUMENT_KIND_MARKS[kind]}〔{year}〕第{serial:04d}号"


def next_serial(session: Session, department_id: int, kind: str, year: int) -> int:
    """The next number of ``department_id``'s ``kind`` in ``year``, taken under the counter row's lock
    (SELECT ... FOR UPDATE; SQLite's writers queue on BEGIN IMMEDIATE): a second request waits until the
    first one's transaction ends, then reads its number. The counter row of a new year is made once; a
    simultaneous maker loses the insert and takes the lock on the winner's row."""
    key = {"department_id": department_id, "kind": kind, "year": year}
    counter = session.get(DocumentCounter, key, with_for_update=True)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(DocumentCounter(**key, last=0))
        except IntegrityError:
            pass
        counter = session.get(DocumentCounter, key, with_for_update=True, populate_existing=True)
    counter.last += 1
    session.flush()
    return counter.last


def issue(session: Session, actor: User | None, *, department: Department, kind: str, title: str,
          build: Callable[[str, str], PdfDocument], plan_id: int | None = None, visit_id: int | None = None,
          firm_id: int | None = None, corrects: Document | None = None, reason: str | None = None,
          content: dict | None = None, at: dt.datetime | None = None) -> Document:
    """Number, render and store one document (issued now, or ``at`` for a record of the past); its SHA-256 goes
    into the event log."""
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"未知的文书种类 {kind}", fields={"kind": "未知种类"})
    now = at or utcnow()
    year = clock.local_day(now).year
    serial = next_serial(session, department.id, kind, year)
    number = format_number(department, kind, year, serial)
    token = secrets.token_urlsafe(12)
    pdf = render(build(number, verify_url(token)))
    document = Document(department_id=department.id, kind=kind, year=year, serial=serial, number=number,
                        title=title, verify_token=token, sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf,
                        plan_id=plan_id, visit_id=visit_id, firm_id=firm_id, corrects=corrects,
                        reason=reason, issued_at=now, issued_by_id=actor.id if actor is not None else None,
                        content=content)
    session.add(document)
    session.flush()
    append_event(session, actor, "document.issued", f"document:{document.id}",
                 {"kind": kind, "number": number, "sha256": document.sha256, "department": department.code,
                  "plan": plan_id, "visit": visit_id, "corrects": corrects.number if corrects else None}, at=at)
    return document


def _local(at) -> str:
    return f"{clock.to_local(at):%Y年%m月%d日 %H:%M}"


def _day(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _correction_line(corrects: Document | None, reason: str | None) -> list[str]:
    if corrects is None:
        return []
    return [f"本文书更正 {corrects.number}（{corrects.kind_label}），原文书自本文书送达之日起不再有效。更正理由：{reason}"]


# -- 行政检查审批表 ----------------------------------------------------------------------------------

def issue_approval_form(session: Session, actor: User, approval: PlanApproval, *, corrects: Document | None = None,
                        reason: str | None = None, at: dt.datetime | None = None) -> Document:
    plan = approval.plan
    department = approval.department

    def build(number: str, url: str) -> PdfDocument:
        officers = "、".join(f"{o['name']}（执法证号 {o['certificate_no']}）" for o in approval.officers) \
            or "由双随机从本部门持证执法人员中抽取，检查前在通知书中列明"
        fields = [("检查计划", plan.title), ("检查期间", f"{_day(plan.period_start)}至{_day(plan.period_end)}"),
                  ("任务来源", approval.task_source_label + (f"：{plan.lead}" if plan.lead else "")),
                  ("检查对象", approval.subject),
                  ("检查事项", "\n".join(f"{i['code']} {i['name']}" for i in approval.items)),
                  ("检查依据", "\n".join(approval.legal_basis)), ("检查频次", approval.frequency),
                  ("执法人员", officers),
                  ("审批意见", approval.decision_label + (f"：{approval.opinion}" if approval.opinion else "")),
                  ("负责人", f"{approval.decided_by.display_name}（{_local(approval.decided_at)}）")]
        if approval.afterwards:
            fields.append(("说明", "先行入企后补办审批（紧急情况或依线索入企）"))
        return PdfDocument(department=department.name, title="行政检查审批表", number=number, fields=fields,
                           paragraphs=_correction_line(corrects, reason), verify_url=url,
                           footer=f"计划编号 {plan.id}")

    document = issue(session, actor, department=department, kind="approval", title=f"行政检查审批表：{plan.title}",
                     build=build, plan_id=plan.id, corrects=corrects, reason=reason, at=at)
    approval.document_id = document.id
    session.flush()
    return document


# -- 行政检查通知书 ----------------------------------------------------------------------------------

def _department_tasks(visit: Visit, department: Department) -> list[InspectionTask]:
    tasks = [t for t in visit.tasks if t.plan.department_id == department.id]
    if not tasks:
        raise InvalidState(f"{department.name}没有参与这次检查", fields={"department": department.code})
    return tasks


def _approval_numbers(session: Session, tasks: list[InspectionTask]) -> list[str]:
    return list(session.scalars(select(Document.number).join(PlanApproval, PlanApproval.document_id == Document.id)
                                .where(PlanApproval.plan_id.in_({t.plan_id for t in tasks}),
                                       PlanApproval.decision == "approved").order_by(Document.id)))


def _live(session: Session, kind: str, visit_id: int, department_id: int) -> Document | None:
    """The visit's document of ``kind`` for the department that no later document corrects."""
    corrected = select(Document.corrects_id).where(Document.corrects_id.is_not(None))
    return session.scalar(select(Document).where(Document.kind == kind, Document.visit_id == visit_id,
                                                 Document.department_id == department_id,
                                                 Document.id.not_in(corrected)).order_by(Document.id.desc()).limit(1))


def live_document(session: Session, kind: str, visit_id: int, department_id: int) -> Document | None:
    """The department's document of ``kind`` for the visit as it stands (a corrected one gives way to its
    correction), or None."""
    return _live(session, kind, visit_id, department_id)


def issue_entry_notice(session: Session, visit: Visit, department: Department, *, actor: User | None = None,
                       corrects: Document | None = None, reason: str | None = None,
                       at: dt.datetime | None = None, ahead: bool = False) -> Document:
    """The inspection notice (行政检查通知书) of ``department``'s entry into the visit's firm: who inspects,
    on what items and legal basis, under which approval, with the firm's rights (陈述申辩、申请回避...) and
    the inspection discipline. Called once the department has entered (two of its officers scanned in);
    calling it again returns the notice already issued. ``ahead``: the notice of a visit announced in advance
    (检查预告), issued before the entry with the visit's day and its scheduled officers."""
    tasks = _department_tasks(visit, department)
    if corrects is None and (existing := _live(session, "notice", visit.id, department.id)) is not None:
        return existing
    entry = session.get(DepartmentEntry, (visit.id, department.id))
    if entry is None and not ahead:
        raise InvalidState("本部门尚未入企（本部门两名执法人员扫码后才开具检查通知书）", fields={"visit": visit.id})
    when = _local(entry.entered_at) if entry is not None else f"{_day(visit.day)}（检查预告，提前告知）"
    firm = visit.firm
    officers = [o.officer for o in visit.officers if o.department_id == department.id]
    items = {i.code: i for t in tasks for i in t.plan.items}
    approvals = _approval_numbers(session, tasks)
    origin = visit.origin
    if origin == "emergency":
        basis = f"紧急入企（{EMERGENCY_KINDS.get(visit.emergency_kind, '')}），审批于事后补办"
    elif origin == "unplanned":
        basis = "依线索入企：" + "；".join(t.plan.lead or "" for t in tasks)
    else:
        basis = "；".join(dict.fromkeys(t.plan.title for t in tasks))

    def build(number: str, url: str) -> PdfDocument:
        fields = [("被检查单位", firm.name), ("统一社会信用代码", firm.uscc), ("地址", firm.address or "（未登记）"),
                  ("检查时间", when), ("检查依据", basis),
                  ("审批文书", "、".join(approvals) or "（尚未审批：须于规定期限内补办）"),
                  ("检查事项", "\n".join(f"{c} {i.name}" for c, i in sorted(items.items()))),
                  ("法律依据", "\n".join(dict.fromkeys(f"{b['law']}{b['articles']}" for i in items.values()
                                                     for b in i.legal_basis))),
                  ("执法人员", "\n".join(f"{o.name}（执法证号 {o.certificate_no}）" for o in officers))]
        paragraphs = [f"{firm.name}：根据《中华人民共和国行政处罚法》和行政检查有关规定，本机关决定对你单位进行行政检查，"
                      "请予以配合，如实提供有关情况和资料。", RIGHTS, DISCIPLINE,
                      f"如对本次检查有异议，可向{department.name}或东营市司法局行政执法监督机构反映。"]
        return PdfDocument(department=department.name, title="行政检查通知书", number=number, fields=fields,
                           paragraphs=paragraphs + _correction_line(corrects, reason), verify_url=url,
                           footer=f"检查编号 {visit.id}")

    return issue(session, actor, department=department, kind="notice", title=f"行政检查通知书：{firm.name}",
                 build=build, visit_id=visit.id, firm_id=firm.id, plan_id=tasks[0].plan_id, corrects=corrects,
                 reason=reason, at=at)


def announced(visit: Visit, today: dt.date) -> bool:
    """The visit is announced ahead (检查预告): every plan of its tasks gives notice at least that many days
    before, and every item allows notice."""
    plans = {t.plan for t in visit.tasks}
    return bool(plans) and all(p.notice_days and (visit.day - today).days <= p.notice_days
                               and all(i.advance_notice for i in p.items) for p in plans)


def issue_advance_notices(session: Session, today: dt.date) -> list[Document]:
    """The inspection notices of confirmed visits announced ahead whose notice period has begun, one per
    department and visit (at the entry, the notice issued ahead is the notice of the entry)."""
    visits = session.scalars(select(Visit).where(Visit.status == "confirmed", Visit.day >= today,
                                                 Visit.day <= today + dt.timedelta(days=30))
                             .order_by(Visit.day, Visit.id)).all()
    issued = []
    for visit in visits:
        if not announced(visit, today):
            continue
        for department in sorted({t.plan.department for t in visit.tasks}, key=lambda d: d.id):
            if _live(session, "notice", visit.id, department.id) is None:
                issued.append(issue_entry_notice(session, visit, department, ahead=True))
    return issued


def notify_entry(session: Session, visit: Visit) -> list[Document]:
    """The inspection notice of every department that has entered the visit's firm (its part of the entry is
    recorded: two of its certified officers scanned in). Safe to call after any scan (a notice is issued once)."""
    entered = set(session.scalars(select(DepartmentEntry.department_id).where(DepartmentEntry.visit_id == visit.id)))
    departments = {t.plan.department_id: t.plan.department for t in visit.tasks}
    return [issue_entry_notice(session, visit, department) for department_id, department in sorted(departments.items())
            if department_id in entered]


# -- 行政检查结果告知书 ------------------------------------------------------------------------------

def require_department_official(actor: User, department: Department) -> None:
    if actor.role != "department" or actor.department_id != department.id:
        raise NotPermitted("只有本部门账号可以开具本部门的检查文书")


def issue_result_notice(session: Session, actor: User, visit: Visit, department: Department, *,
                        corrects: Document | None = None, reason: str | None = None,
                        at: dt.datetime | None = None) -> Document:
    """The result notice (行政检查结果告知书) from the outcomes recorded for the department's items on the
    visit; refused while an item has no outcome. Issuing it again returns the notice already issued
    (a changed result is told by a correction)."""
    require_department_official(actor, department)
    tasks = _department_tasks(visit, department)
    if corrects is None and (existing := _live(session, "result", visit.id, department.id)) is not None:
        return existing
    entry = session.get(DepartmentEntry, (visit.id, department.id))
    if entry is None:
        raise InvalidState("本部门这次检查尚未入企，没有检查结果可以告知", fields={"visit": visit.id})
    outcomes = session.scalars(select(ItemOutcome).where(ItemOutcome.visit_id == visit.id,
                                                         ItemOutcome.task_id.in_([t.id for t in tasks]))
                               .order_by(ItemOutcome.id)).all()
    recorded = {(o.task_id, o.item_id) for o in outcomes}
    missing = [f"{i.code} {i.name}" for t in tasks for i in t.plan.items if (t.id, i.id) not in recorded]
    if missing:
        raise InvalidState("以下检查事项尚未记录检查结果，不能开具结果告知书：" + "、".join(missing),
                           fields={"items": missing})
    firm = visit.firm
    notice = _live(session, "notice", visit.id, department.id)
    order = None
    if any(o.outcome == "rectify" for o in outcomes):
        order = _live(session, "order", visit.id, department.id) or issue_rectification_order(
            session, actor, visit, department, outcomes=outcomes, at=at)

    def build(number: str, url: str) -> PdfDocument:
        rows = []
        for o in outcomes:
            result = o.outcome_label
            if o.outcome == "rectify" and o.rectify_by:
                result += f"（{_day(o.rectify_by)}前整改完毕）"
            if o.treatment_label:
                result += f"；{o.treatment_label}"
            rows.append([f"{o.item.code} {o.item.name}", result])
        fields = [("被检查单位", firm.name), ("统一社会信用代码", firm.uscc),
                  ("检查时间", _local(entry.entered_at) + (f" 至 {_local(entry.left_at)}" if entry.left_at else "")),
                  ("检查通知书", notice.number if notice else "（无）")]
        if order is not None:
            fields.append(("责令改正通知书", order.number))
        problems = [o for o in outcomes if o.outcome != "no_problem"]
        summary = ("经检查，未发现你单位存在违法违规问题。" if not problems else
                   f"经检查，你单位有 {len(problems)} 项检查事项存在问题，处理意见见上表。责令整改的，请在期限内整改完毕并报告；"
                   "立案查处的，本机关将依法另行告知。")
        paragraphs = [f"{firm.name}：本机关已于{_day(visit.day)}对你单位完成行政检查，现将检查结果告知如下。", summary,
                      f"你单位对检查结果有异议的，可自收到本告知书之日起 {STATEMENT_DAYS} 个工作日内向本机关提出陈述、申辩；"
                      "对检查结果的公示，依照“双随机、一公开”的规定办理。",
                      "你单位可通过“政企行”平台对本次检查作出评价；评价内容对被评价部门匿名汇总。"]
        return PdfDocument(department=department.name, title="行政检查结果告知书", number=number, fields=fields,
                           rows=rows, row_header=["检查事项", "检查结果及处理意见"],
                           paragraphs=paragraphs + _correction_line(corrects, reason), verify_url=url,
                           footer=f"检查编号 {visit.id}")

    return issue(session, actor, department=department, kind="result", title=f"行政检查结果告知书：{firm.name}",
                 build=build, visit_id=visit.id, firm_id=firm.id, plan_id=tasks[0].plan_id, corrects=corrects,
                 reason=reason, at=at)


# -- 责令改正通知书 ----------------------------------------------------------------------------------

def issue_rectification_order(session: Session, actor: User, visit: Visit, department: Department, *,
                              outcomes: list[ItemOutcome] | None = None, corrects: Document | None = None,
                              reason: str | None = None, at: dt.datetime | None = None) -> Document:
    """The order to rectify (责令改正通知书) of the items whose outcome is 责令限期整改, each with its deadline;
    issued with the result notice (:func:`issue_result_notice`) and named in it. Issuing it again returns the
    order already issued."""
    require_department_official(actor, department)
    tasks = _department_tasks(visit, department)
    if corrects is None and (existing := _live(session, "order", visit.id, department.id)) is not None:
        return existing
    if outcomes is None:
        outcomes = session.scalars(select(ItemOutcome).where(ItemOutcome.visit_id == visit.id,
                                                             ItemOutcome.task_id.in_([t.id for t in tasks]))
                                   .order_by(ItemOutcome.id)).all()
    orders = [o for o in outcomes if o.outcome == "rectify"]
    if not orders:
        raise InvalidState("本部门这次检查没有责令限期整改的事项", fields={"visit": visit.id})
    undated = [f"{o.item.code} {o.item.name}" for o in orders if o.rectify_by is None]
    if undated:
        raise InvalidState("以下责令整改的事项没有整改期限：" + "、".join(undated), fields={"items": undated})
    firm = visit.firm
    findings = session.scalars(select(Finding).where(Finding.visit_id == visit.id,
                                                     Finding.task_id.in_([t.id for t in tasks]),
                                                     Finding.result == "non_compliant")).all()
    problems: dict[int, list[str]] = {}
    for finding in findings:
        problems.setdefault(finding.item_id, []).append(
            f"第 {finding.point.position} 项 {finding.point.text}" + (f"（{finding.note}）" if finding.note else ""))
    deadline = max(o.rectify_by for o in orders)

    def build(number: str, url: str) -> PdfDocument:
        rows = [[f"{o.item.code} {o.item.name}", "；".join(problems.get(o.item_id, [])) or "见现场检查记录",
                 f"{_day(o.rectify_by)}前"] for o in orders]
        laws = dict.fromkeys(f"{b['law']}{b['articles']}" for o in orders for b in o.item.legal_basis)
        fields = [("被检查单位", firm.name), ("统一社会信用代码", firm.uscc), ("地址", firm.address or "（未登记）"),
                  ("检查日期", _day(visit.day)), ("法律依据", "\n".join(laws))]
        paragraphs = [f"{firm.name}：经检查，你单位存在下表所列问题，违反了上述规定。依据上述规定，责令你单位在下表所列期限内"
                      f"（最迟于{_day(deadline)}前）改正，并将整改情况书面报告本机关。逾期不改正的，本机关将依法处理。",
                      f"你单位对本通知有异议的，可自收到本通知书之日起 {STATEMENT_DAYS} 个工作日内向本机关提出陈述、申辩"
                      "（可在平台“检查文书”中提交）；也可以依法申请行政复议或者提起行政诉讼。"]
        return PdfDocument(department=department.name, title="责令改正通知书", number=number, fields=fields,
                           rows=rows, row_header=["检查事项", "存在的问题", "改正期限"],
                           paragraphs=paragraphs + _correction_line(corrects, reason), verify_url=url,
                           footer=f"检查编号 {visit.id}")

    return issue(session, actor, department=department, kind="order", title=f"责令改正通知书：{firm.name}",
                 build=build, visit_id=visit.id, firm_id=firm.id, plan_id=tasks[0].plan_id, corrects=corrects,
                 reason=reason, at=at)


# -- 陈述、申辩 --------------------------------------------------------------------------------------

MAX_STATEMENT = 2000


def statement_due(document: Document) -> dt.date:
    """The last day of the firm's statement on a result notice or order: STATEMENT_DAYS working days on."""
    return add_working_days(clock.local_day(document.issued_at), STATEMENT_DAYS)


def record_statement(session: Session, actor: User, document: Document, text: str) -> DocumentStatement:
    """The firm states its case (陈述、申辩) on a result notice or an order to rectify issued to it, within
    the days the document gives; the statement is kept beside the unchanged document and logged."""
    if actor.role != "enterprise" or document.firm_id != actor.firm_id:
        raise NotPermitted("只有文书送达的企业可以提出陈述、申辩")
    if document.kind not in STATEMENT_KINDS:
        raise InvalidState(f"{document.kind_label}不接受陈述、申辩", fields={"document": document.number})
    text = (text or "").strip()
    if len(text) < 5:
        raise InvalidInput("请写明陈述、申辩的事实和理由（至少 5 个字）", fields={"text": "至少 5 个字"})
    if len(text) > MAX_STATEMENT:
        raise InvalidInput(f"陈述、申辩不超过 {MAX_STATEMENT} 字", fields={"text": "过长"})
    due = statement_due(document)
    if clock.local_day(utcnow()) > due:
        raise InvalidState(f"陈述、申辩的期限已于 {_day(due)} 届满", fields={"document": document.number})
    statement = DocumentStatement(document=document, user_id=actor.id, text=text, at=utcnow())
    session.add(statement)
    session.flush()
    append_event(session, actor, "document.statement", f"document:{document.id}",
                 {"number": document.number, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
    return statement


# -- 更正 ---------------------------------------------------------------------------------------------

def correct_document(session: Session, actor: User, document: Document, reason: str) -> Document:
    """A correction: a new numbered document of the same kind, made from the records as they are now, naming
    the one it corrects; the corrected document stays as issued and reads as corrected."""
    department = session.get(Department, document.department_id)
    require_department_official(actor, department)
    if not (reason or "").strip():
        raise InvalidInput("更正文书须说明理由", fields={"reason": "必填"})
    if document.corrected_by is not None:
        raise InvalidState(f"{document.number} 已被 {document.corrected_by.number} 更正，请更正最新的文书",
                           fields={"document": document.corrected_by.number})
    reason = reason.strip()
    if document.kind == "approval":
        approval = session.scalar(select(PlanApproval).where(PlanApproval.document_id == document.id))
        return issue_approval_form(session, actor, approval, corrects=document, reason=reason)
    visit = session.get(Visit, document.visit_id)
    if document.kind == "notice":
        return issue_entry_notice(session, visit, department, actor=actor, corrects=document, reason=reason,
                                  ahead=True)
    if document.kind == "result":
        return issue_result_notice(session, actor, visit, department, corrects=document, reason=reason)
    if document.kind == "order":
        return issue_rectification_order(session, actor, visit, department, corrects=document, reason=reason)
    raise InvalidState(f"{document.kind_label}不能在平台上更正", fields={"kind": document.kind})


def public_record(document: Document) -> dict:
    """What the verification page shows: no firm, no person, only the document's identity and state."""
    return {"number": document.number, "kind": document.kind, "kind_label": document.kind_label,
            "department": document.department.name, "issued_at": document.issued_at.isoformat() + "Z",
            "sha256": document.sha256, "status": document.status, "status_label": document.status_label,
            "corrected_by": document.corrected_by.number if document.corrected_by else None,
            "corrects": document.corrects.number if document.corrects else None}


# -- 现场检查记录: read back on the phone and signed -------------------------------------------------

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 300 * 1024


def signature_bytes(text: str | None) -> bytes | None:
    """The PNG of a signature sent as base64 or as a ``data:image/png;base64,`` URL (as the phone's canvas
    gives it); refused when unreadable."""
    if not text:
        return None
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("签名数据无法读取（应为 PNG 图片的 base64）", fields={"signature": "格式无效"}) from None


def _check_signature(png: bytes | None) -> bytes:
    if not png:
        raise InvalidInput("请当事人在屏幕上签名，或记录其拒绝签名及见证人", fields={"signature": "必填"})
    if not png.startswith(PNG_MAGIC):
        raise InvalidInput("签名应为 PNG 图片", fields={"signature": "不是 PNG 图片"})
    if len(png) > MAX_SIGNATURE_BYTES:
        raise InvalidInput("签名图片过大（不超过 300 KB）", fields={"signature": "过大"})
    try:
        with PilImage.open(io.BytesIO(png)) as image:
            image.verify()
    except Exception:  # noqa: BLE001 - any decoding failure is the same refusal
        raise InvalidInput("签名图片无法读取", fields={"signature": "图片损坏"}) from None
    return png


def _recording_department(session: Session, actor: User, visit: Visit, what: str):
    """The department (its tasks and its entry) of an officer of the visit who makes a record (``what``):
    refused unless the department has entered."""
    if actor.role != "inspector" or actor.officer_id not in {o.officer_id for o in visit.officers}:
        raise NotPermitted(f"只有本次检查的执法人员可以制作{what}")
    department = session.get(Department, actor.department_id)
    tasks = _department_tasks(visit, department)
    entry = session.get(DepartmentEntry, (visit.id, department.id))
    if entry is None:
        raise InvalidState(f"本部门尚未入企，不能制作{what}", fields={"visit": visit.id})
    return department, tasks, entry


def _officer_signs(actor: User, at: dt.datetime, synced_at: dt.datetime | None) -> str:
    """The recording officer's signature: his own act, by his account online or his phone's key offline."""
    officer = actor.officer
    how = "以本人执法终端密钥离线签署" if synced_at is not None else "以本人账号签署"
    return f"执法人员签名：{officer.name}（执法证号 {officer.certificate_no}），{_local(at)} {how}。"


def _offline_line(at: dt.datetime, synced_at: dt.datetime | None) -> list[tuple[str, str]]:
    if synced_at is None:
        return []
    return [("离线制作", f"无网络时于 {_local(at)} 宣读签署，{_local(synced_at)} 上传")]


def _check_read_back(sheets: list, read_back: list[dict]) -> None:
    """An on-site record signed offline: the results read back to the firm's person on the phone must be
    the ones the platform holds for every point, or the signed paper would say what was not read."""
    heard = {}
    for entry in read_back:
        if not isinstance(entry, dict) or type(entry.get("point")) is not int or entry.get("result") not in RESULT_LABELS:
            raise InvalidInput("宣读记录应为每个检查要点的编号和结果", fields={"read_back": "格式无效"})
        heard[entry["point"]] = entry["result"]
    wrong = []
    for item, (_row, points, _apart) in sheets:
        for point, finding in points:
            said = heard.get(point.id, heard.get(finding.point_id))
            if said != finding.result:
                wrong.append(f"{item.code} 第 {point.position} 项（宣读：{RESULT_LABELS.get(said, '未宣读')}，"
                             f"平台记录：{RESULT_LABELS[finding.result]}）")
    if wrong:
        raise Settled("离线宣读的结果与平台记录不一致，现场检查记录未生成，请重新宣读签署：" + "、".join(wrong),
                      fields={"read_back": wrong})


def sign_record(session: Session, actor: User, visit: Visit, *, signer_name: str | None = None,
                signature_png: bytes | None = None, refused: bool = False, witness: str | None = None,
                note: str = "", at: dt.datetime | None = None, read_back: list[dict] | None = None,
                synced_at: dt.datetime | None = None) -> Document:
    """The on-site record (现场检查记录) of the actor's department, read back to the firm's person on the
    officer's phone: every checklist point's result, then the person's signature drawn on the screen, or
    their refusal to sign before a named witness. The signed record is issued as a numbered document.

    A record signed on a phone without network arrives later (``synced_at``) with the results that were
    read back (``read_back``: point and result); it is issued only if they are the platform's."""
    department, tasks, entry = _recording_department(session, actor, visit, "现场检查记录")
    if _live(session, "record", visit.id, department.id) is not None:
        raise Settled("本部门这次检查的现场检查记录已经签署", fields={"visit": visit.id})
    # Each item's checklist in force on the visit's day, with its findings (a catalogue revision applies
    # from its effective date; results on points it dropped are read back too).
    sheets = [(item, checklist_results(session, visit, t, item)) for t in tasks for item in t.plan.items]
    missing = [f"{i.code} 第 {p.position} 项" for i, (_row, points, _apart) in sheets for p, f in points if f is None]
    if missing:
        raise InvalidState("以下检查要点尚未记录结果，不能宣读签署：" + "、".join(missing), fields={"points": missing})
    if read_back is not None:
        _check_read_back(sheets, read_back)
    missing = [f"{i.code} {i.name}" for t in tasks for i in t.plan.items if "sampling" in (i.modes or [])
               and not _field_records(session, "sampling", visit.id, department.id, i.code)]
    if missing:
        raise InvalidState("以下监督抽查事项尚无抽样记录，请先制作抽样记录：" + "、".join(missing), fields={"items": missing})
    answer = _answer(signer_name, signature_png, refused, witness, note)
    png, caption = answer.png, answer.caption
    others = session.scalars(select(Document).where(Document.kind.in_(FIELD_RECORD_KINDS), Document.visit_id == visit.id,
                                                    Document.department_id == department.id)
                             .order_by(Document.id)).all()
    firm = visit.firm
    officers = [o.officer for o in visit.officers if o.department_id == department.id]
    now = at or utcnow()

    def build(number: str, url: str) -> PdfDocument:
        rows = []
        for item, (_row, points, apart) in sheets:
            for point, finding in points:
                rows.append([f"{item.code}-{point.position} {point.text}", RESULT_LABELS[finding.result],
                             finding.note or ""])
            for finding in apart:
                rows.append([f"{item.code}（{finding.point.item.version} 版原第 {finding.point.position} 项）"
                             f"{finding.point.text}", RESULT_LABELS[finding.result], finding.note or ""])
        fields = [("被检查单位", firm.name), ("统一社会信用代码", firm.uscc), ("地址", firm.address or "（未登记）"),
                  ("检查时间", _local(entry.entered_at) + (f" 至 {_local(entry.left_at)}" if entry.left_at else "")),
                  ("执法人员", "\n".join(f"{o.name}（执法证号 {o.certificate_no}）" for o in officers)),
                  ("记录时间", _local(now)), *_offline_line(now, synced_at)]
        if others:
            fields.append(("其他记录", "\n".join(f"{d.kind_label} {d.number}" for d in others)))
        return PdfDocument(department=department.name, title="现场检查记录", number=number, fields=fields,
                           rows=rows, row_header=["检查要点", "结果", "情况说明"],
                           paragraphs=["执法人员已出示执法证件，告知当事人享有陈述、申辩和申请回避的权利。"],
                           verify_url=url, footer=f"检查编号 {visit.id}", signature_png=png, signature_caption=caption,
                           officer_caption=_officer_signs(actor, now, synced_at))

    document = issue(session, actor, department=department, kind="record", title=f"现场检查记录：{firm.name}",
                     build=build, visit_id=visit.id, firm_id=firm.id, plan_id=tasks[0].plan_id, at=now)
    _store_answer(session, actor, document, answer, now)
    return document


class _Answer:
    """How the firm's person answered a record read back on the phone: a signature, or a refusal before a witness."""

    def __init__(self, signer_name: str | None, png: bytes | None, refused: bool, witness: str | None, note: str,
                 caption: str):
        self.signer_name, self.png, self.refused, self.witness, self.note = signer_name, png, refused, witness, note
        self.caption = caption


def _answer(signer_name: str | None, signature_png: bytes | None, refused: bool, witness: str | None,
            note: str) -> _Answer:
    signer_name, witness, note = (signer_name or "").strip() or None, (witness or "").strip() or None, (note or "").strip()
    if refused:
        if witness is None:
            raise InvalidInput("当事人拒绝签名的，须记录见证人", fields={"witness": "必填"})
        return _Answer(None, None, True, witness, note,
                       f"当事人拒绝签名。见证人：{witness}。" + (f"说明：{note}" if note else ""))
    if signer_name is None:
        raise InvalidInput("请填写签名人姓名", fields={"signer_name": "必填"})
    return _Answer(signer_name, _check_signature(signature_png), False, None, note,
                   f"以上记录已向当事人宣读，当事人确认无误。当事人签名（{signer_name}）：")


def _store_answer(session: Session, actor: User, document: Document, answer: _Answer, now: dt.datetime) -> None:
    signature = RecordSignature(document=document, signer_name=answer.signer_name, signature_png=answer.png,
                                signature_sha256=hashlib.sha256(answer.png).hexdigest() if answer.png else None,
                                refused=answer.refused, witness=answer.witness, note=answer.note, signed_at=now)
    session.add(signature)
    session.flush()
    append_event(session, actor, "record.signed", f"document:{document.id}",
                 {"number": document.number, "kind": document.kind, "refused": answer.refused,
                  "signature_sha256": signature.signature_sha256, "witness": signature.witness}, at=now)


# -- 抽样记录、勘验笔录、询问笔录 ------------------------------------------------------------------------

# What the officer writes in each record, in the order printed; every field is required.
FIELD_RECORD_FIELDS = {
    "sampling": (("sample", "样品名称"), ("batch", "规格型号、生产日期或批号"), ("quantity", "抽样数量"),
                 ("place", "抽样地点"), ("handling", "样品封存及送检")),
    "premises": (("place", "勘验场所"), ("situation", "勘验情况")),
    "questioning": (("person", "被询问人及职务"), ("questions", "询问内容（问答）")),
}
FIELD_RECORD_LEADS = {
    "sampling": "执法人员依法对下列样品进行抽样，样品已当场封存，封条由执法人员和当事人共同签字。",
    "premises": "执法人员依法对下列场所进行勘验，勘验情况如实记录如下。",
    "questioning": "执法人员出示执法证件，告知被询问人应当如实回答询问，并享有陈述、申辩和申请回避的权利。",
}


def _field_records(session: Session, kind: str, visit_id: int, department_id: int, item_code: str) -> list[Document]:
    return [d for d in session.scalars(select(Document).where(Document.kind == kind, Document.visit_id == visit_id,
                                                              Document.department_id == department_id))
            if (d.content or {}).get("item") == item_code]


def called_for(session: Session, visit: Visit, department: Department) -> list[dict]:
    """The sampling, premises and questioning records the department's items and findings call for: a
    sampling record for each item checked by 监督抽查; a questioning record may be made wherever a point was
    found non-compliant. Each with the record already made, if any."""
    tasks = [t for t in visit.tasks if t.plan.department_id == department.id]
    flagged = set(session.scalars(select(Finding.item_id).where(
        Finding.visit_id == visit.id, Finding.task_id.in_([t.id for t in tasks]), Finding.result == "non_compliant")))
    wanted = []
    for item in (i for t in tasks for i in t.plan.items):
        if "sampling" in (item.modes or []):
            wanted.append({"kind": "sampling", "item": item, "required": True})
        if item.id in flagged:
            wanted.append({"kind": "questioning", "item": item, "required": False})
    for want in wanted:
        want["made"] = _field_records(session, want["kind"], visit.id, department.id, want["item"].code)
        want["label"] = DOCUMENT_KINDS[want["kind"]]
    return wanted


def sign_field_record(session: Session, actor: User, visit: Visit, kind: str, content: dict, *,
                      signer_name: str | None = None, signature_png: bytes | None = None, refused: bool = False,
                      witness: str | None = None, note: str = "", at: dt.datetime | None = None,
                      synced_at: dt.datetime | None = None) -> Document:
    """A sampling (抽样记录), premises (勘验笔录) or questioning (询问笔录) record of one of the department's items,
    composed by an officer on the phone, read back and signed by the firm's person (or refused before a named
    witness), and issued as a numbered PDF naming the officers."""
    if kind not in FIELD_RECORD_KINDS:
        raise InvalidInput(f"未知的记录种类 {kind}", fields={"kind": "应为抽样记录、勘验笔录或询问笔录"})
    department, tasks, _entry = _recording_department(session, actor, visit, "检查记录")
    items = {i.code: i for t in tasks for i in t.plan.items}
    code = str((content or {}).get("item") or "").strip()
    if code not in items:
        raise InvalidInput("请选择本部门本次检查的事项", fields={"item": "不是本次检查的事项"})
    values = {"item": code}
    blank = {}
    for key, _label in FIELD_RECORD_FIELDS[kind]:
        value = str((content or {}).get(key) or "").strip()
        if not value:
            blank[key] = "必填"
        elif len(value) > 2000:
            blank[key] = "不超过 2000 字"
        values[key] = value
    if blank:
        labels = dict(FIELD_RECORD_FIELDS[kind])
        raise InvalidInput(f"{DOCUMENT_KINDS[kind]}缺少：" + "、".join(labels[k] for k in blank), fields=blank)
    answer = _answer(signer_name, signature_png, refused, witness, note)
    firm, item = visit.firm, items[code]
    officers = [o.officer for o in visit.officers if o.department_id == department.id]
    now = at or utcnow()
    title = DOCUMENT_KINDS[kind]

    def build(number: str, url: str) -> PdfDocument:
        fields = [("被检查单位", firm.name), ("统一社会信用代码", firm.uscc), ("地址", firm.address or "（未登记）"),
                  ("检查事项", f"{item.code} {item.name}"),
                  ("执法人员", "\n".join(f"{o.name}（执法证号 {o.certificate_no}）" for o in officers)),
                  ("记录时间", _local(now)), *_offline_line(now, synced_at)]
        fields += [(label, values[key]) for key, label in FIELD_RECORD_FIELDS[kind]]
        return PdfDocument(department=department.name, title=title, number=number, fields=fields,
                           paragraphs=[FIELD_RECORD_LEADS[kind]], verify_url=url, footer=f"检查编号 {visit.id}",
                           signature_png=answer.png, signature_caption=answer.caption,
                           officer_caption=_officer_signs(actor, now, synced_at))

    document = issue(session, actor, department=department, kind=kind, title=f"{title}：{firm.name}", build=build,
                     visit_id=visit.id, firm_id=firm.id, plan_id=tasks[0].plan_id, content=values, at=now)
    _store_answer(session, actor, document, answer, now)
    return document


def acknowledge_document(session: Session, actor: User, document: Document,
                         at: dt.datetime | None = None) -> DocumentAcknowledgement:
    """The firm acknowledges (签收) a notice, record or result notice issued to it."""
    if actor.role != "enterprise" or document.firm_id != actor.firm_id or document.kind == "approval":
        raise NotPermitted("只有文书送达的企业可以签收")
    if document.acknowledgement is not None:
        raise InvalidState(f"{document.number} 已于 {_local(document.acknowledgement.at)} 签收",
                           fields={"document": document.number})
    receipt = DocumentAcknowledgement(document=document, user_id=actor.id, at=at or utcnow())
    session.add(receipt)
    session.flush()
    append_event(session, actor, "document.acknowledged", f"document:{document.id}", {"number": document.number},
                 at=receipt.at)
    return receipt


# -- oversight rules -------------------------------------------------------------------------------

RECORD_WORKING_DAYS = 1      # the signed on-site record is made by the working day after leaving
RESULT_WORKING_DAYS = 5      # the result notice is issued within this many working days of leaving
NOTICE_GRACE = dt.timedelta(minutes=30)   # the notice of an entry is issued by a job moments after the scan


def entries_without_notice(session: Session, today, since):
    """Departments that entered a firm (from the day the rules came into force) and whose inspection notice
    was not issued: half an hour after the entry, the job that issues it has failed or never ran."""
    from_day = max(since, APPROVALS_IN_FORCE_FROM)
    noticed = select(Document.id).where(Document.kind == "notice", Document.visit_id == DepartmentEntry.visit_id,
                                        Document.department_id == DepartmentEntry.department_id).exists()
    rows = session.execute(select(Visit.id, Visit.firm_id, DepartmentEntry.entered_at, Department.id, Department.name)
                           .join(DepartmentEntry, DepartmentEntry.visit_id == Visit.id)
                           .join(Department, Department.id == DepartmentEntry.department_id)
                           .where(Visit.day >= from_day, ~noticed).order_by(Visit.id, Department.id)).all()
    limit = utcnow() - NOTICE_GRACE
    for visit_id, firm_id, entered_at, department_id, name in rows:
        if entered_at < limit or clock.local_day(entered_at) < today:
            yield (f"entry_without_notice:{visit_id}:{department_id}", f"{name}入企后未开具行政检查通知书",
                   {"visit": visit_id, "entered_at": entered_at.isoformat() + "Z"}, department_id, firm_id)


def overdue_results(session: Session, today, since):
    """Departments that left a firm and issued no result notice within RESULT_WORKING_DAYS working days."""
    from_day = max(since, APPROVALS_IN_FORCE_FROM)
    told = select(Document.id).where(Document.kind == "result", Document.visit_id == DepartmentEntry.visit_id,
                                     Document.department_id == DepartmentEntry.department_id).exists()
    rows = session.execute(select(Visit.id, Visit.firm_id, DepartmentEntry.left_at, Department.id, Department.name)
                           .join(DepartmentEntry, DepartmentEntry.visit_id == Visit.id)
                           .join(Department, Department.id == DepartmentEntry.department_id)
                           .where(DepartmentEntry.left_at.is_not(None), Visit.day >= from_day, ~told)
                           .order_by(Visit.id, Department.id)).all()
    for visit_id, firm_id, left_at, department_id, name in rows:
        due = add_working_days(clock.local_day(left_at), RESULT_WORKING_DAYS)
        if today > due:
            yield (f"result_overdue:{visit_id}:{department_id}", f"{name}离开企业后至 {due} 仍未开具行政检查结果告知书",
                   {"visit": visit_id, "due": due.isoformat()}, department_id, firm_id)


def unsigned_records(session: Session, today, since):
    """Departments that entered and left a firm without a signed on-site record by the next working day."""
    from_day = max(since, APPROVALS_IN_FORCE_FROM)
    rows = session.execute(select(Visit.id, Visit.firm_id, DepartmentEntry.left_at, Department.id, Department.name)
                           .join(DepartmentEntry, DepartmentEntry.visit_id == Visit.id)
                           .join(Department, Department.id == DepartmentEntry.department_id)
                           .where(DepartmentEntry.left_at.is_not(None), Visit.day >= from_day)
                           .order_by(Visit.id, Department.id)).all()
    signed = set(session.execute(select(Document.visit_id, Document.department_id)
                                 .where(Document.kind == "record")).all())
    seen = set()
    for visit_id, firm_id, left_at, department_id, name in rows:
        if (visit_id, department_id) in seen or (visit_id, department_id) in signed:
            continue
        seen.add((visit_id, department_id))
        due = add_working_days(clock.local_day(left_at), RECORD_WORKING_DAYS)
        if today > due:
            yield (f"unsigned_record:{visit_id}:{department_id}", f"{name}离开企业后至 {due} 仍无签署的现场检查记录",
                   {"visit": visit_id, "due": due.isoformat()}, department_id, firm_id)


def numbering_gaps(session: Session):
    """Numbers given by a counter but held by no document (a document removed from the record)."""
    counters = session.scalars(select(DocumentCounter)).all()
    held: dict[tuple, set[int]] = {}
    for department_id, kind, year, serial in session.execute(
            select(Document.department_id, Document.kind, Document.year, Document.serial)):
        held.setdefault((department_id, kind, year), set()).add(serial)
    for counter in counters:
        have = held.get((counter.department_id, counter.kind, counter.year), set())
        missing = [n for n in range(1, counter.last + 1) if n not in have]
        for serial in missing:
            department = session.get(Department, counter.department_id)
            number = format_number(department, counter.kind, counter.year, serial)
            yield (f"document_gap:{counter.department_id}:{counter.kind}:{counter.year}:{serial}",
                   f"文号 {number} 已编号但没有对应的文书（编号缺失）",
                   {"number": number, "kind": counter.kind, "year": counter.year, "serial": serial},
                   counter.department_id, None)
