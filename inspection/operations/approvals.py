"""凡检查必审批: the department's responsible person (负责人) approves each plan, with the fields of the
approval form (行政检查审批表), before it is drawn or carried out; an entry made first (an emergency, a
lead) is approved afterwards within :data:`AFTERWARDS_WORKING_DAYS` working days, else oversight is alerted."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock

from ..errors import InvalidInput, InvalidState, NotPermitted
from ..models import (
    TASK_SOURCES,
    DepartmentEntry,
    InspectionPlan,
    InspectionTask,
    Officer,
    PlanApproval,
    User,
    Visit,
)
from ..pure.calendar import add_working_days
from .documents import APPROVALS_IN_FORCE_FROM, issue_approval_form
from .events import append_event, utcnow

AFTERWARDS_WORKING_DAYS = 3    # an entry made before approval is approved within this many working days
LEAD_SOURCES = ("complaint", "referral", "accident")
PERIOD_LABELS = {"year": "年", "half_year": "半年", "quarter": "季度", "month": "月"}


def approval_of(session: Session, plan: InspectionPlan) -> PlanApproval | None:
    """The plan's approval, if it was approved."""
    return session.scalar(select(PlanApproval).where(PlanApproval.plan_id == plan.id,
                                                     PlanApproval.decision == "approved"))


def require_approved(session: Session, plans: list[InspectionPlan]) -> None:
    """Refuse, naming them, plans the responsible person has not approved (what draws call before drawing)."""
    missing = [p for p in plans if approval_of(session, p) is None]
    if missing:
        refused = {a.plan_id: a for a in session.scalars(select(PlanApproval).where(
            PlanApproval.plan_id.in_([p.id for p in missing]), PlanApproval.decision == "refused"))}
        names = "、".join(f"「{p.title}」" + (f"（负责人不予批准：{refused[p.id].opinion}）" if p.id in refused else "")
                         for p in missing)
        raise InvalidState(f"计划{names}尚未经部门负责人批准，不能抽取或实施（凡检查必审批）",
                           fields={"approval": {str(p.id): "未批准" for p in missing}})


def _require_head(actor: User, plan: InspectionPlan) -> None:
    if actor.role != "department_head" or actor.department_id != plan.department_id:
        raise NotPermitted("只有计划所属部门的负责人可以审批检查计划")


def _subject(plan: InspectionPlan) -> str:
    if plan.selection == "targeted":
        return "、".join(f"{t.firm.name}（{t.firm.uscc}）" for t in plan.tasks)
    districts = [d.name for d in plan.department.districts if not plan.target_districts or d.code in plan.target_districts]
    scope = "、".join(plan.target_industries or sorted({i for item in plan.items for i in item.scope_industries})
                     or plan.target_tags or ["检查事项适用范围内"])
    ratios = "、".join(f"{c} 类 {r * 100:g}%" for c, r in sorted(plan.ratios.items()) if r)
    return f"{'、'.join(districts)}的{scope}企业，按信用风险分类随机抽取（{ratios}）"


def _frequency(plan: InspectionPlan) -> str:
    return "；".join(f"{i.code} 每{PERIOD_LABELS.get(i.frequency_period, '年')}对同一企业不超过 {i.frequency_cap} 次"
                     for i in plan.items)


def _officers(session: Session, plan: InspectionPlan) -> list[dict]:
    """Officers fixed in advance: the plan's officer pool, or the team of a targeted plan's visit."""
    if plan.officer_pool:
        rows = session.scalars(select(Officer).where(Officer.certificate_no.in_(plan.officer_pool))
                               .order_by(Officer.certificate_no)).all()
    else:
        rows = [o.officer for t in plan.tasks if t.visit is not None for o in t.visit.officers
                if o.department_id == plan.department_id]
    return [{"certificate_no": o.certificate_no, "name": o.name} for o in dict.fromkeys(rows)]


def legal_bases(items) -> list[str]:
    """Each law and its articles, once, as the catalogue gives them for ``items``."""
    return list(dict.fromkeys(f"{b['law']}{b['articles']}" for i in items for b in i.legal_basis))


def approval_form(session: Session, plan: InspectionPlan) -> dict:
    """The approval form's fields as the platform fills them from the plan and the catalogue."""
    return {"subject": _subject(plan), "legal_basis": legal_bases(plan.items),
            "items": [{"code": i.code, "name": i.name, "version": i.version} for i in plan.items],
            "frequency": _frequency(plan), "officers": _officers(session, plan)}


def _entered(session: Session, plan: InspectionPlan) -> bool:
    return session.scalar(select(func.count()).select_from(DepartmentEntry)
                          .join(InspectionTask, InspectionTask.visit_id == DepartmentEntry.visit_id)
                          .where(InspectionTask.plan_id == plan.id,
                                 DepartmentEntry.department_id == plan.department_id)) > 0


def _check_decidable(session: Session, plan: InspectionPlan) -> None:
    if approval_of(session, plan) is not None:
        raise InvalidState(f"计划「{plan.title}」已经批准", fields={"plan": plan.id})
    if plan.status == "cancelled":
        raise InvalidState(f"计划「{plan.title}」已取消，不能审批", fields={"status": plan.status})
    if plan.status == "draft":
        raise InvalidState(f"计划「{plan.title}」尚未备案，备案后方可报负责人审批", fields={"status": plan.status})
    if plan.selection == "random" and plan.status != "filed":
        raise InvalidState(f"计划「{plan.title}」当前状态为「{plan.status_label}」，不能审批", fields={"status": plan.status})


def approve_plan(session: Session, actor: User, plan: InspectionPlan, *, task_source: str,
                 opinion: str = "", at: dt.datetime | None = None) -> PlanApproval:
    """The responsible person approves ``plan``; refused, naming each missing field of the approval form
    (task source, a lead for a lead's source, each item's legal basis, target firms). The approval form
    (行政检查审批表) is issued as a numbered PDF."""
    _require_head(actor, plan)
    _check_decidable(session, plan)
    form = approval_form(session, plan)
    missing: dict[str, str] = {}
    if task_source not in TASK_SOURCES:
        missing["task_source"] = "任务来源（" + "、".join(TASK_SOURCES.values()) + "）"
    elif task_source in LEAD_SOURCES and not (plan.lead or "").strip():
        missing["lead"] = f"{TASK_SOURCES[task_source]}的线索来源"
    elif task_source == "random" and plan.selection != "random":
        missing["task_source"] = "任务来源：定向检查不是双随机抽查，请选择其线索的来源"
    for item in plan.items:
        if not item.legal_basis:
            missing[f"legal_basis:{item.code}"] = f"事项 {item.code} 的法律依据"
    if not plan.items:
        missing["items"] = "检查事项"
    if plan.selection == "targeted" and not plan.tasks:
        missing["subject"] = "检查对象"
    if plan.selection == "random" and not any((plan.ratios or {}).values()):
        missing["subject"] = "检查对象的抽查比例"
    if missing:
        raise InvalidInput("审批表缺少：" + "；".join(missing.values()), fields=missing)
    afterwards = _entered(session, plan)
    approval = PlanApproval(plan=plan, department=plan.department, decision="approved", task_source=task_source,
                            opinion=(opinion or "").strip(), afterwards=afterwards, decided_by=actor,
                            decided_at=at or utcnow(), **form)
    session.add(approval)
    session.flush()
    document = issue_approval_form(session, actor, approval, at=at)
    append_event(session, actor, "plan.approved", f"plan:{plan.id}",
                 {"task_source": task_source, "items": [i["code"] for i in form["items"]],
                  "officers": [o["certificate_no"] for o in form["officers"]], "afterwards": afterwards,
                  "document": document.number, "sha256": document.sha256}, at=at)
    return approval


def refuse_plan(session: Session, actor: User, plan: InspectionPlan, *, reason: str) -> PlanApproval:
    """The responsible person declines (不予批准) with the reason; the plan cannot be drawn or carried out."""
    _require_head(actor, plan)
    _check_decidable(session, plan)
    if not (reason or "").strip():
        raise InvalidInput("不予批准须说明理由（缺少什么、须如何补正）", fields={"reason": "必填"})
    form = approval_form(session, plan)
    approval = PlanApproval(plan=plan, department=plan.department, decision="refused", task_source="other",
                            opinion=reason.strip(), afterwards=False, decided_by=actor, decided_at=utcnow(), **form)
    session.add(approval)
    session.flush()
    append_event(session, actor, "plan.refused", f"plan:{plan.id}", {"reason": approval.opinion})
    return approval


def pending_plans(department_id: int):
    """Plans of the department awaiting the responsible person: filed and not yet decided, and targeted
    plans (emergencies, leads) not yet approved."""
    decided = select(PlanApproval.plan_id)
    return (select(InspectionPlan).where(InspectionPlan.department_id == department_id,
                                         InspectionPlan.id.not_in(decided),
                                         ((InspectionPlan.status == "filed") & (InspectionPlan.selection == "random"))
                                         | ((InspectionPlan.selection == "targeted")
                                            & (InspectionPlan.status != "cancelled")))
            .order_by(InspectionPlan.id))


# -- the oversight rule --------------------------------------------------------------------------

def unapproved_entries(session: Session, today: dt.date, since: dt.date):
    """Entries under a plan without the responsible person's approval: a planned entry at once (it should
    have been approved before); an emergency or lead entry once its deadline for approval afterwards
    (:data:`AFTERWARDS_WORKING_DAYS` working days) has passed, or when it was approved after it."""
    rows = session.execute(select(Visit.id, Visit.firm_id, Visit.origin, DepartmentEntry.entered_at, InspectionPlan.id,
                                  InspectionPlan.title, InspectionPlan.department_id)
                           .join(InspectionTask, InspectionTask.visit_id == Visit.id)
                           .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                           .join(DepartmentEntry, (DepartmentEntry.visit_id == Visit.id)
                                 & (DepartmentEntry.department_id == InspectionPlan.department_id))
                           .where(Visit.day >= max(since, APPROVALS_IN_FORCE_FROM)).order_by(Visit.id, InspectionPlan.id)).all()
    approved = dict(session.execute(select(PlanApproval.plan_id, PlanApproval.decided_at)
                                    .where(PlanApproval.decision == "approved",
                                           PlanApproval.plan_id.in_({r[4] for r in rows}))).all())
    for visit_id, firm_id, origin, entered_at, plan_id, title, department_id in rows:
        entered_day = clock.local_day(entered_at)
        decided = approved.get(plan_id)
        decided_day = clock.local_day(decided) if decided else None
        if origin == "planned":
            if decided is not None and decided <= entered_at:
                continue
            title_text = (f"{entered_day} 入企时计划「{title}」未经负责人批准"
                          + (f"（{decided_day} 才批准）" if decided_day else "（至今未批准）"))
            due = entered_day
        else:
            due = add_working_days(entered_day, AFTERWARDS_WORKING_DAYS)
            if decided_day is not None and decided_day <= due or decided_day is None and today <= due:
                continue
            title_text = (f"{entered_day} 先行入企，应于 {due} 前补办审批，"
                          + (f"{decided_day} 才补办" if decided_day else "至今未补办"))
        yield (f"unapproved_entry:{visit_id}:{plan_id}", title_text,
               {"visit": visit_id, "plan": plan_id, "origin": origin, "due": due.isoformat(),
                "approved": decided_day.isoformat() if decided_day else None}, department_id, firm_id)
