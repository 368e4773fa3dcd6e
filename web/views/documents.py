"""Pages of 凡检查必审批、凡检查必通知: the responsible person's approvals, the documents a signed-in person
may read, and each document's public verification page (the QR code's address)."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from inspection import queries
from inspection.models import (
    DOCUMENT_KINDS,
    FIELD_RECORD_KINDS,
    RESULT_LABELS,
    TASK_SOURCES,
    Department,
    DepartmentEntry,
    Document,
    Finding,
    InspectionPlan,
    PlanApproval,
    Visit,
)
from inspection.operations.approvals import approval_form, approval_of, approve_plan, pending_plans, refuse_plan
from inspection.operations.documents import (
    FIELD_RECORD_FIELDS,
    acknowledge_document,
    called_for,
    issue_result_notice,
    public_record,
    record_statement,
    sign_field_record,
    sign_record,
    signature_bytes,
)
from inspection.permissions import can_view_document, on_visit_team, visit_of_department

from ..auth import roles_required
from ..database import db
from .blueprint import bp
from .outcomes import attempt


def _head_plan(plan_id: int) -> InspectionPlan:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or plan.department_id != current_user.department_id:
        abort(404)
    return plan


@bp.get("/approvals")
@roles_required("department_head")
def approvals():
    session = db()
    pending = session.scalars(pending_plans(current_user.department_id)).all()
    decided = session.scalars(select(PlanApproval).where(PlanApproval.department_id == current_user.department_id)
                              .order_by(PlanApproval.id.desc()).limit(50)).all()
    return render_template("documents/approvals.html", pending=pending, decided=decided)


def _default_source(plan: InspectionPlan) -> str:
    """The task source the form starts with: a random plan's draw, an emergency, or a lead's complaint."""
    if plan.selection == "random":
        return "random"
    return "accident" if (plan.lead or "").startswith("紧急入企") else "complaint"


@bp.get("/approvals/<int:plan_id>")
@roles_required("department_head")
def approval(plan_id: int):
    plan = _head_plan(plan_id)
    return render_template("documents/approval.html", plan=plan, form=approval_form(db(), plan),
                           approval=approval_of(db(), plan), sources=TASK_SOURCES,
                           source=_default_source(plan))


@bp.post("/approvals/<int:plan_id>")
@roles_required("department_head")
def decide(plan_id: int):
    plan = _head_plan(plan_id)
    back = url_for("views.approval", plan_id=plan.id)
    if request.form.get("decision") == "refuse":
        return attempt(lambda: refuse_plan(db(), current_user, plan, reason=request.form.get("reason", "")),
                       "已不予批准，计划不能抽取或实施", back)
    return attempt(lambda: approve_plan(db(), current_user, plan, task_source=request.form.get("task_source", ""),
                                        opinion=request.form.get("opinion", "")),
                   lambda done: f"已批准，审批表 {done.document.number} 已生成", back)


@bp.get("/documents")
@login_required
def documents():
    return render_template("documents/list.html", documents=db().scalars(queries.documents_for(current_user, 200)).all())


@bp.get("/d/<token>")
def verify_document(token: str):
    """The public verification page of one document: no login, no firm, no person."""
    document = db().scalar(select(Document).where(Document.verify_token == token))
    if document is None:
        return render_template("documents/verify.html", record=None), 404
    return render_template("documents/verify.html", record=public_record(document), document=document)


@bp.get("/visits/<int:visit_id>/record")
@roles_required("inspector")
def record(visit_id: int):
    """The on-site record read back on the phone: every point's result, then the signature pad."""
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    tasks = [t for t in visit.tasks if t.plan.department_id == current_user.department_id]
    findings = {(f.task_id, f.point_id): f for f in db().scalars(select(Finding).where(Finding.visit_id == visit.id))}
    signed = db().scalar(select(Document).where(Document.kind == "record", Document.visit_id == visit.id,
                                                Document.department_id == current_user.department_id))
    department = db().get(Department, current_user.department_id)
    made = db().scalars(select(Document).where(Document.kind.in_(FIELD_RECORD_KINDS), Document.visit_id == visit.id,
                                               Document.department_id == department.id).order_by(Document.id)).all()
    return render_template("documents/record.html", visit=visit, tasks=tasks, findings=findings,
                           results=RESULT_LABELS, signed=signed, wanted=called_for(db(), visit, department) if tasks
                           else [], made=made, field_kinds={k: DOCUMENT_KINDS[k] for k in FIELD_RECORD_KINDS},
                           entry=db().get(DepartmentEntry, (visit.id, current_user.department_id)))


@bp.post("/visits/<int:visit_id>/record")
@roles_required("inspector")
def sign_record_page(visit_id: int):
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    back = url_for("views.record", visit_id=visit.id)
    refused_to_sign = request.form.get("refused") == "yes"
    return attempt(lambda: sign_record(db(), current_user, visit, signer_name=request.form.get("signer_name"),
                                       signature_png=signature_bytes(request.form.get("signature")),
                                       refused=refused_to_sign, witness=request.form.get("witness"),
                                       note=request.form.get("note", "")),
                   lambda document: f"现场检查记录 {document.number} 已签署", back)


def _field_kind(kind: str) -> str:
    if kind not in FIELD_RECORD_KINDS:
        abort(404)
    return kind


@bp.get("/visits/<int:visit_id>/field-records/<kind>")
@roles_required("inspector")
def field_record(visit_id: int, kind: str):
    """A sampling, premises or questioning record composed on the phone, read back and signed."""
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    kind = _field_kind(kind)
    items = [i for t in visit.tasks if t.plan.department_id == current_user.department_id for i in t.plan.items]
    return render_template("documents/field_record.html", visit=visit, kind=kind, title=DOCUMENT_KINDS[kind],
                           fields=FIELD_RECORD_FIELDS[kind], items=items, chosen=request.args.get("item", ""),
                           entry=db().get(DepartmentEntry, (visit.id, current_user.department_id)))


@bp.post("/visits/<int:visit_id>/field-records/<kind>")
@roles_required("inspector")
def sign_field_record_page(visit_id: int, kind: str):
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    kind = _field_kind(kind)
    content = {key: request.form.get(key, "") for key, _label in FIELD_RECORD_FIELDS[kind]}
    content["item"] = request.form.get("item", "")
    return attempt(lambda: sign_field_record(db(), current_user, visit, kind, content,
                                             signer_name=request.form.get("signer_name"),
                                             signature_png=signature_bytes(request.form.get("signature")),
                                             refused=request.form.get("refused") == "yes",
                                             witness=request.form.get("witness"), note=request.form.get("note", "")),
                   lambda document: f"{document.kind_label} {document.number} 已签署",
                   url_for("views.record", visit_id=visit.id))


@bp.post("/documents/<int:document_id>/statement")
@roles_required("enterprise")
def statement_page(document_id: int):
    document = db().get(Document, document_id)
    if document is None or not can_view_document(current_user, document):
        abort(404)
    return attempt(lambda: record_statement(db(), current_user, document, request.form.get("text", "")),
                   f"已就 {document.number} 提出陈述、申辩", url_for("views.documents"))


@bp.post("/documents/<int:document_id>/acknowledge")
@roles_required("enterprise")
def acknowledge_page(document_id: int):
    document = db().get(Document, document_id)
    if document is None or not can_view_document(current_user, document):
        abort(404)
    return attempt(lambda: acknowledge_document(db(), current_user, document), f"已签收 {document.number}",
                   url_for("views.documents"))


@bp.post("/visits/<int:visit_id>/result-notice")
@roles_required("department")
def result_notice_page(visit_id: int):
    """The department issues the visit's result notice from its recorded outcomes, from the plan's results page."""
    visit = db().get(Visit, visit_id)
    if visit is None or not visit_of_department(current_user, visit):
        abort(404)
    plan_id = next(t.plan_id for t in visit.tasks if t.plan.department_id == current_user.department_id)
    department = db().get(Department, current_user.department_id)
    return attempt(lambda: issue_result_notice(db(), current_user, visit, department),
                   lambda document: f"结果告知书 {document.number} 已开具", url_for("views.plan_results", plan_id=plan_id))
