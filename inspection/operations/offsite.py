"""非现场监管 (云检查): an off-site task becomes a request to the firm, the firm answers with evidence,
an inspector reviews it remotely, and doubtful evidence escalates to an on-site task through the usual
gate (a filed plan with its lead, then the combined schedule). Points that the platform's own records
prove (a licence in force, an annual report filed, rectifications closed) are checked at once.

Off-site checks are published like on-site results and never count as entries."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from checklists.gate import require_current
from checklists.models import ChecklistPoint
from core import clock

from ..errors import InvalidInput, InvalidState, NotPermitted, OutsideJurisdiction
from ..models import (
    OUTCOMES,
    RESULTS,
    Finding,
    Firm,
    FirmRecord,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    OffsiteEvidence,
    OffsiteRequest,
    User,
)
from ..pure.calendar import add_working_days, working_days
from . import notices
from .door import platform_lead
from .entries import PUBLISH_WORKING_DAYS
from .events import append_event, utcnow
from .plans import file_targeted_plan, transition
from .presence import advance_plans
from .publication import publish_outcomes

DEFAULT_DEADLINE = 10          # working days to answer, unless the item publishes its own rule
DEFAULT_EXTENSION = 5
ESCALATION_WORKING_DAYS = 20   # window of the on-site task an escalation creates
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES_PER_POINT = 5
MAX_ANSWERS_PER_POINT = 20
ESCALATE = "escalate"          # a review decision besides the results of RESULTS
FILE_TYPES = [(b"%PDF-", ".pdf", "application/pdf", "PDF"), (b"\xff\xd8\xff", ".jpg", "image/jpeg", "JPEG"),
              (b"\x89PNG\r\n\x1a\n", ".png", "image/png", "PNG"),
              (b"PK\x03\x04", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel")]
SAFE_NAME = re.compile(r"[^\w-]+")
KIND_SUFFIXES = {"document": {".pdf", ".jpg", ".png"}, "photo": {".jpg", ".png"},
                 "record": {".pdf", ".jpg", ".png", ".xlsx"}}


@dataclasses.dataclass
class Decision:
    result: str          # compliant, non_compliant, not_applicable, or escalate
    note: str = ""


# -- Who may act ---------------------------------------------------------------------------------

def _require_officer_for(actor: User, request_or_task_department_id: int, firm: Firm, today: dt.date) -> None:
    """An inspector of the task's department, certified today, acting where his department may act."""
    if actor.role != "inspector" or actor.officer is None or actor.officer.department_id != request_or_task_department_id:
        raise NotPermitted("只有任务所属部门的执法人员可以办理非现场核查")
    officer = actor.officer
    if not officer.certified_on(today):
        raise NotPermitted(f"您的执法证今日无效（有效期 {officer.valid_from} 至 {officer.valid_to}），不能办理非现场核查")
    if firm.district_id not in {d.id for d in officer.department.districts}:
        raise OutsideJurisdiction(f"{firm.name}不在{officer.department.name}的管辖区域，禁止违规异地执法",
                                  fields={"firm": firm.uscc})


def _require_firm(actor: User, request: OffsiteRequest) -> None:
    if actor.role != "enterprise" or actor.firm_id != request.firm_id:
        raise NotPermitted("只有被核查企业可以提交材料")


# -- The platform's own records ------------------------------------------------------------------

def platform_proof(session: Session, firm: Firm, point: ChecklistPoint, today: dt.date) -> tuple[bool, str]:
    """Whether the platform's records prove ``point`` for ``firm`` today, and what they say."""
    kind, _, name = (point.offsite_data or "").partition(":")
    if kind == "licence":
        rows = session.scalars(select(FirmRecord).where(FirmRecord.firm_id == firm.id, FirmRecord.kind == "licence",
                                                        FirmRecord.name == name).order_by(FirmRecord.valid_to.desc())).all()
        valid = [r for r in rows if r.valid_from and r.valid_to and r.valid_from <= today <= r.valid_to]
        if valid:
            r = valid[0]
            return True, f"平台数据：{name}（编号 {r.number}）有效期 {r.valid_from} 至 {r.valid_to}，来源：{r.source}"
        if rows:
            return False, f"平台数据：{name}（编号 {rows[0].number}）已于 {rows[0].valid_to} 到期，请上传有效的证照"
        return False, f"平台数据中没有{name}，请上传证照"
    if kind == "annual_report":
        year = today.year - 1 if today > dt.date(today.year, 6, 30) else today.year - 2
        row = session.scalar(select(FirmRecord).where(FirmRecord.firm_id == firm.id, FirmRecord.kind == "annual_report",
                                                      FirmRecord.year == year))
        if row is not None:
            return True, f"平台数据：{year} 年度报告已于 {row.filed_on} 报送，来源：{row.source}"
        return False, f"平台数据中没有 {year} 年度报告的报送记录，请上传报送回执"
    if kind == "rectification_closed":
        rows = session.scalars(select(ItemOutcome).join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
                               .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                               .where(InspectionTask.firm_id == firm.id, ItemOutcome.outcome == "rectify",
                                      InspectionPlan.department_id == point.item.department_id)).all()
        open_late = [r for r in rows if r.rectified_at is None and r.rectify_by < today]
        if open_late:
            return False, (f"平台数据：有 {len(open_late)} 项整改已过期限未确认完成"
                           f"（{'、'.join(sorted({r.item.code for r in open_late}))}），请上传整改报告")
        closed = sum(1 for r in rows if r.rectified_at is not None)
        return True, f"平台数据：没有逾期未完成的整改（已确认完成 {closed} 项）"
    return False, "该要点没有可用的平台数据"


# -- Sending ---------------------------------------------------------------------------------------

def request_points(task: InspectionTask) -> list[ChecklistPoint]:
    return [point for item in task.plan.items for point in item.points]


def _rule(task: InspectionTask, key: str, default: int | None) -> int | None:
    values = [getattr(item, key) for item in task.plan.items if getattr(item, key) is not None]
    if key == "offsite_escalate_after":
        return min(values) if values else None
    return min(values) if values else default


def send_request(session: Session, actor: User, task: InspectionTask, *, now: dt.datetime | None = None,
                 deadline_days: int = DEFAULT_DEADLINE) -> OffsiteRequest:
    """Turn an off-site task into a request on the firm's page, and check at once what the platform's
    records prove."""
    now = now or utcnow()
    today = clock.local_day(now)
    department_id = task.plan.department_id
    if actor.role == "department":
        if actor.department_id != department_id:
            raise NotPermitted("只有任务所属部门可以发出非现场核查")
    else:
        _require_officer_for(actor, department_id, task.firm, today)
    if task.on_site:
        raise InvalidState("这是现场检查任务，须扫码入企检查")
    if task.status != "pending":
        raise InvalidState("该任务已完成或已取消")
    if session.scalar(select(OffsiteRequest.id).where(OffsiteRequest.task_id == task.id)) is not None:
        raise InvalidState("该任务的材料清单已经发出")
    if not task.window_start <= today <= task.window_end:
        raise InvalidState(f"任务时间窗为 {task.window_start} 至 {task.window_end}，今天不能发出")
    require_current(task.plan.items, department=task.plan.department, on=today)
    days = _rule(task, "offsite_deadline", deadline_days)
    request = OffsiteRequest(task_id=task.id, firm_id=task.firm_id, department_id=department_id, status="sent",
                             sent_at=now, sent_by_id=actor.id, deadline=add_working_days(today, days),
                             escalated_points=[])
    session.add(request)
    session.flush()
    proved = 0
    for point in request_points(task):
        if point.offsite_data is None:
            continue
        ok, text = platform_proof(session, task.firm, point, today)
        request.evidence.append(OffsiteEvidence(point_id=point.id, kind="data", text=text, at=now))
        if ok:
            proved += 1
            session.add(Finding(request_id=request.id, task_id=task.id, item_id=point.item_id, point_id=point.id,
                                result="compliant", note=text, recorded_by_id=None, recorded_at=now))
    if task.plan.status == "drawn":
        transition(task.plan, "in_progress")
    session.flush()
    append_event(session, actor, "offsite.requested", f"task:{task.id}",
                 {"request": request.id, "firm": task.firm.uscc, "items": [i.code for i in task.plan.items],
                  "deadline": request.deadline, "points": len(request_points(task)), "proved_by_data": proved})
    notices.offsite_requested(session, request)
    return request


def proved_points(session: Session, request: OffsiteRequest) -> set[int]:
    """Points the platform's records proved when the request was sent."""
    return set(session.scalars(select(Finding.point_id).where(Finding.request_id == request.id,
                                                              Finding.recorded_by_id.is_(None))))


# -- The firm's side -------------------------------------------------------------------------------

def _file_type(data: bytes) -> tuple[str, str, str] | None:
    for magic, suffix, content_type, label in FILE_TYPES:
        if data.startswith(magic):
            if suffix == ".xlsx":
                try:
                    with zipfile.ZipFile(io.BytesIO(data)) as archive:
                        if "xl/workbook.xml" not in archive.namelist():
                            return None
                except zipfile.BadZipFile:
                    return None
            return suffix, content_type, label
    return None


def add_evidence(session: Session, actor: User, request: OffsiteRequest, point_id: int, *, folder: Path,
                 filename: str | None = None, data: bytes | None = None, answer: str | None = None,
                 max_bytes: int = MAX_FILE_BYTES, now: dt.datetime | None = None) -> OffsiteEvidence:
    """The firm adds a file (stored outside the database under its SHA-256) or a written answer to one point."""
    _require_firm(actor, request)
    if request.status != "sent":
        raise InvalidState("材料已提交审核或核查已结束，不能再补充")
    point = next((p for p in request_points(request.task) if p.id == point_id), None)
    if point is None:
        raise InvalidInput("该检查要点不在本次非现场核查中", fields={"point": point_id})
    if point.id in proved_points(session, request):
        raise InvalidState("该要点已由平台数据核验通过，无需提交材料")
    kinds = set(point.offsite_evidence or [])
    now = now or utcnow()
    if data is not None:
        file_kinds = kinds & set(KIND_SUFFIXES)
        if not file_kinds:
            raise InvalidInput("该要点只需要文字说明，不需要上传文件", fields={"file": "不需要文件"})
        if len(data) > max_bytes:
            raise InvalidInput(f"文件不能超过 {max_bytes / (1024 * 1024):g} MB", fields={"file": "文件过大"})
        if not data:
            raise InvalidInput("文件是空的", fields={"file": "空文件"})
        found = _file_type(data)
        allowed = set().union(*(KIND_SUFFIXES[k] for k in file_kinds))
        if found is None or found[0] not in allowed:
            names = "、".join(label for _, suffix, _, label in FILE_TYPES if suffix in allowed)
            raise InvalidInput(f"该要点只接受 {names} 文件", fields={"file": "文件类型不符"})
        count = len([e for e in request.evidence if e.point_id == point.id and e.kind == "file"])
        if count >= MAX_FILES_PER_POINT:
            raise InvalidInput(f"每个要点最多上传 {MAX_FILES_PER_POINT} 个文件", fields={"file": "文件过多"})
        digest = hashlib.sha256(data).hexdigest()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{digest}{found[0]}"
        if not target.exists():
            target.write_bytes(data)
        evidence = OffsiteEvidence(request_id=request.id, point_id=point.id, kind="file",
                                   filename=(filename or f"材料{found[0]}")[-200:], content_type=found[1],
                                   size=len(data), sha256=digest, text="", uploaded_by_id=actor.id, at=now)
    elif answer is not None and answer.strip():
        if "answer" not in kinds:
            raise InvalidInput("该要点需要上传文件材料", fields={"answer": "需要文件"})
        count = len([e for e in request.evidence if e.point_id == point.id and e.kind == "answer"])
        if count >= MAX_ANSWERS_PER_POINT:
            raise InvalidInput(f"每个要点最多提交 {MAX_ANSWERS_PER_POINT} 条文字说明，请修改或合并已有说明",
                               fields={"answer": "文字说明过多"})
        evidence = OffsiteEvidence(request_id=request.id, point_id=point.id, kind="answer", text=answer.strip()[:4000],
                                   uploaded_by_id=actor.id, at=now)
    else:
        raise InvalidInput("请选择文件或填写文字说明", fields={"file": "必填"})
    request.evidence.append(evidence)
    session.flush()
    append_event(session, actor, "offsite.evidence", f"offsite:{request.id}",
                 {"point": point.position, "item": point.item.code, "kind": evidence.kind, "sha256": evidence.sha256,
                  "size": evidence.size, "filename": evidence.filename or None})
    return evidence


def remove_evidence(session: Session, actor: User, request: OffsiteRequest, evidence: OffsiteEvidence) -> None:
    """The firm takes back a file or an answer it added, until it hands the evidence in. The stored file stays
    (it is named by its content, which another upload may share, and the event log names its digest)."""
    _require_firm(actor, request)
    if evidence.request_id != request.id or evidence.kind not in ("file", "answer"):
        raise InvalidInput("该材料不属于本次非现场核查", fields={"evidence": evidence.id})
    if request.status != "sent":
        raise InvalidState("材料已提交审核或核查已结束，不能再删除")
    request.evidence.remove(evidence)
    session.delete(evidence)
    session.flush()
    append_event(session, actor, "offsite.evidence_removed", f"offsite:{request.id}",
                 {"point": evidence.point.position, "item": evidence.point.item.code, "kind": evidence.kind,
                  "sha256": evidence.sha256})


def stored_name(evidence: OffsiteEvidence) -> str:
    """The file's name in the evidence folder: its SHA-256 and the suffix of its detected type."""
    suffix = next(s for _, s, content_type, _ in FILE_TYPES if content_type == evidence.content_type)
    return f"{evidence.sha256}{suffix}"


def download_name(evidence: OffsiteEvidence) -> str:
    """The name a download of the file is offered under: the uploaded name's letters, digits, ``-`` and
    ``_`` (anything else, markup included, becomes ``_``) and the suffix of the type its content was
    checked to be, never the suffix the uploader typed."""
    suffix = stored_name(evidence).removeprefix(evidence.sha256)
    base = SAFE_NAME.sub("_", Path(evidence.filename or "").stem).strip("_")[:80]
    return f"{base or f'材料{evidence.id}'}{suffix}"


def missing_points(session: Session, request: OffsiteRequest) -> list[ChecklistPoint]:
    """Points that still need the firm's evidence."""
    proved = proved_points(session, request)
    answered = {e.point_id for e in request.evidence if e.kind in ("file", "answer")}
    return [p for p in request_points(request.task) if p.id not in proved and p.id not in answered]


def submit_answers(session: Session, actor: User, request: OffsiteRequest, *,
                   now: dt.datetime | None = None) -> OffsiteRequest:
    """The firm hands its evidence in for review."""
    now = now or utcnow()
    today = clock.local_day(now)
    _require_firm(actor, request)
    if request.status != "sent":
        raise InvalidState("材料已提交审核或核查已结束")
    missing = missing_points(session, request)
    if missing:
        raise InvalidInput(f"还有 {len(missing)} 个要点没有提交材料：" + "；".join(p.text for p in missing[:3]),
                           fields={"points": [p.id for p in missing]})
    request.status, request.answered_at = "answered", now
    session.flush()
    append_event(session, actor, "offsite.answered", f"offsite:{request.id}",
                 {"late": today > request.due, "evidence": len(request.evidence)})
    notices.offsite_answered(session, request)
    return request


def extend_deadline(session: Session, actor: User, request: OffsiteRequest, reason: str, *,
                    today: dt.date | None = None) -> OffsiteRequest:
    """The firm may ask once, before the deadline, for the extension the item publishes."""
    today = today or clock.today()
    _require_firm(actor, request)
    if request.status != "sent":
        raise InvalidState("材料已提交审核或核查已结束，不需要延期")
    if request.extended_to is not None:
        raise InvalidState(f"已经延期一次（至 {request.extended_to}），不能再次延期")
    if today > request.deadline:
        raise InvalidState(f"提交期限 {request.deadline} 已过，不能再申请延期")
    if not reason.strip():
        raise InvalidInput("申请延期须说明理由", fields={"reason": "必填"})
    days = _rule(request.task, "offsite_extension", DEFAULT_EXTENSION) or DEFAULT_EXTENSION
    request.extended_to, request.extension_reason = add_working_days(request.deadline, days), reason.strip()[:500]
    session.flush()
    append_event(session, actor, "offsite.extended", f"offsite:{request.id}",
                 {"from": request.deadline, "to": request.extended_to, "reason": request.extension_reason})
    return request


# -- The review ----------------------------------------------------------------------------------

def review_request(session: Session, actor: User, request: OffsiteRequest, decisions: dict[int, Decision],
                   outcomes: dict[str, tuple[str, dt.date | None]], *, escalation_reason: str = "",
                   now: dt.datetime | None = None, publish_within: int = PUBLISH_WORKING_DAYS) -> OffsiteRequest:
    """The inspector records a result per point like an on-site finding, or escalates points whose evidence
    does not suffice; items fully checked get their outcome (published like on-site results)."""
    now = now or utcnow()
    today = clock.local_day(now)
    _require_officer_for(actor, request.department_id, request.firm, today)
    task = request.task
    proved = proved_points(session, request)
    if request.status not in ("sent", "answered"):
        raise InvalidState(f"本次核查{request.status_label}，不能再审核")
    if request.status == "sent" and missing_points(session, request):
        raise InvalidState("企业尚未提交全部材料；逾期未交的，按事项公布的规则转现场检查")
    require_current(task.plan.items, department=task.plan.department, on=today)
    points = [p for p in request_points(task) if p.id not in proved]
    bad = {}
    for point in points:
        decision = decisions.get(point.id)
        if decision is None or decision.result not in (*RESULTS, ESCALATE):
            bad[point.id] = "请选择符合、不符合、不适用或转现场核查"
        elif decision.result == "non_compliant" and not decision.note.strip():
            bad[point.id] = "不符合须写明具体情况"
    if bad:
        raise InvalidInput(f"有 {len(bad)} 个要点未完成审核：" + next(iter(bad.values())), fields={"points": bad})
    escalated = [p for p in points if decisions[p.id].result == ESCALATE]
    if escalated and not escalation_reason.strip():
        raise InvalidInput("转现场检查须说明理由（材料不足或存疑之处）", fields={"escalation_reason": "必填"})
    escalated_items = {p.item_id for p in escalated}
    checked_items = [i for i in task.plan.items if i.id not in escalated_items]
    for item in checked_items:
        outcome = outcomes.get(item.code)
        if outcome is None or outcome[0] not in OUTCOMES:
            raise InvalidInput(f"请为事项 {item.code} 选择处理结果", fields={"outcome": {item.code: "必填"}})
        if outcome[0] == "rectify" and outcome[1] is None:
            raise InvalidInput("责令整改须写明整改期限", fields={"rectify_by": {item.code: "必填"}})
    for point in points:
        decision = decisions[point.id]
        if decision.result == ESCALATE:
            continue
        session.add(Finding(request_id=request.id, task_id=task.id, item_id=point.item_id, point_id=point.id,
                            result=decision.result, note=decision.note.strip()[:1000], recorded_by_id=actor.officer_id,
                            recorded_at=now))
    due = working_days(today, today + dt.timedelta(days=3 * publish_within + 30))[publish_within]
    for item in checked_items:
        outcome, rectify_by = outcomes[item.code]
        session.add(ItemOutcome(request_id=request.id, task_id=task.id, item_id=item.id, outcome=outcome,
                                rectify_by=rectify_by if outcome == "rectify" else None, recorded_at=now,
                                publish_due=due))
    request.reviewed_by_id, request.closed_at = actor.officer_id, now
    task.status, task.done_at = "done", now
    session.flush()
    append_event(session, actor, "offsite.reviewed", f"offsite:{request.id}",
                 {"results": {str(p.position) + "@" + p.item.code: decisions[p.id].result for p in points},
                  "proved_by_data": len(proved), "outcomes": {i.code: outcomes[i.code][0] for i in checked_items}})
    if escalated:
        escalate(session, actor, request, escalated, escalation_reason, today=today, now=now)
    else:
        request.status = "closed"
    advance_plans(session, [task])
    session.flush()
    return request


def escalate(session: Session, actor: User, request: OffsiteRequest, points: Iterable[ChecklistPoint], reason: str,
             *, today: dt.date, by_rule: bool = False, now: dt.datetime | None = None) -> InspectionTask:
    """Escalate to an on-site task through the usual gate: a targeted plan filed with this request as its
    lead, whose task the next combined schedule places; the request links to it."""
    points = list(points)
    task = request.task
    items = sorted({p.item.code for p in points})
    end = add_working_days(today, ESCALATION_WORKING_DAYS)
    lead = f"非现场核查 #{request.id} 转现场检查：{reason.strip()}"
    record = platform_lead(session, actor, task.plan.department, task.firm, reference=f"非现场核查#{request.id}",
                           summary=f"非现场核查转现场检查：{reason.strip()}", today=today)
    plan = file_targeted_plan(session, actor, task.plan.department, title=f"非现场核查转现场：{task.firm.name}",
                              item_codes=items, firms=[task.firm], lead=lead, period_start=add_working_days(today, 1),
                              period_end=end, on_site_reason=lead, kind="offsite_escalation", lead_record=record)
    escalated_task = plan.tasks[0] if plan.tasks else session.scalars(
        select(InspectionTask).where(InspectionTask.plan_id == plan.id)).one()
    request.status, request.escalation_reason = "escalated", reason.strip()[:1000]
    request.escalated_points, request.escalated_task_id = [p.id for p in points], escalated_task.id
    if task.status != "done":
        task.status, task.done_at = "done", now or utcnow()
    if request.closed_at is None:
        request.closed_at = now or utcnow()
    session.flush()
    append_event(session, None if by_rule else actor, "offsite.escalated", f"offsite:{request.id}",
                 {"points": [f"{p.position}@{p.item.code}" for p in points], "reason": request.escalation_reason,
                  "plan": plan.id, "task": escalated_task.id, "by_rule": by_rule})
    return escalated_task


def sweep_requests(session: Session, *, today: dt.date) -> dict[str, int]:
    """Overdue requests remind the firm and flag the task; an unanswered request escalates when the item's
    published rule says so (so many working days past the deadline), never by mood."""
    now = utcnow()
    counts = {"reminded": 0, "escalated": 0}
    overdue = session.scalars(select(OffsiteRequest).where(OffsiteRequest.status == "sent")
                              .order_by(OffsiteRequest.id)).all()
    for request in overdue:
        if today <= request.due:
            continue
        if request.reminded_at is None:
            request.reminded_at = request.overdue_at = now
            counts["reminded"] += 1
            append_event(session, None, "offsite.reminded", f"offsite:{request.id}",
                         {"firm": request.firm.uscc, "due": request.due})
            notices.offsite_overdue(session, request)
        after = _rule(request.task, "offsite_escalate_after", None)
        sender = session.get(User, request.sent_by_id) if request.sent_by_id else None
        if after is not None and sender is not None and today > add_working_days(request.due, after):
            proved = proved_points(session, request)
            points = [p for p in request_points(request.task) if p.id not in proved]
            if points:
                escalate(session, sender, request, points,
                         f"逾期 {after} 个工作日未提交材料（依事项公布的非现场核查规则）", today=today, by_rule=True)
                advance_plans(session, [request.task])
                counts["escalated"] += 1
    session.flush()
    return counts


# -- After the review ----------------------------------------------------------------------------

def publish_offsite(session: Session, actor: User, request: OffsiteRequest) -> list[ItemOutcome]:
    """The department publishes the results of an off-site check (一公开), like on-site ones."""
    if actor.role != "department" or actor.department_id != request.department_id:
        raise NotPermitted("只有核查部门可以公示核查结果")
    rows = session.scalars(select(ItemOutcome).where(ItemOutcome.request_id == request.id)).all()
    if not rows:
        raise InvalidState("本次核查还没有处理结果可以公示")
    publish_outcomes(session, actor, rows, f"offsite:{request.id}", offsite=True)
    notices.results_published(session, None, request.department_id, offsite=request)
    return rows


def confirm_rectification(session: Session, actor: User, outcome: ItemOutcome, note: str = "") -> ItemOutcome:
    """The department confirms that an ordered rectification is done (整改销号)."""
    task = session.get(InspectionTask, outcome.task_id)
    if actor.role != "department" or actor.department_id != task.plan.department_id:
        raise NotPermitted("只有作出整改决定的部门可以确认整改完成")
    if outcome.outcome != "rectify":
        raise InvalidState("该事项没有责令整改")
    if outcome.rectified_at is not None:
        raise InvalidState("整改已经确认完成")
    outcome.rectified_at = utcnow()
    session.flush()
    append_event(session, actor, "rectification.confirmed", f"task:{task.id}",
                 {"item": outcome.item.code, "rectify_by": outcome.rectify_by, "note": note.strip()[:500]})
    return outcome
