"""凡检查必审批、凡检查必通知: the responsible person's decisions on plans, the documents of an inspection
(each a numbered PDF) and their public verification."""
from __future__ import annotations

from flask import Response, abort
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy import select

from inspection import queries
from inspection.models import (
    Department,
    Document,
    InspectionPlan,
    Visit,
)
from inspection.operations.approvals import approval_form, approve_plan, refuse_plan
from inspection.operations.documents import (
    acknowledge_document,
    correct_document,
    issue_result_notice,
    live_document,
    public_record,
    record_statement,
    sign_field_record,
    sign_record,
    signature_bytes,
)
from inspection.permissions import can_view_document, can_view_plan, on_visit_team, visit_of_department

from ..auth import roles_required
from ..database import db
from .schemas import (
    ApprovalBodySchema,
    ApprovalFormSchema,
    ApprovalSchema,
    DocumentSchema,
    FieldRecordBodySchema,
    RecordBodySchema,
    RefusalBodySchema,
    StatementBodySchema,
    VerificationSchema,
)

PREFIX = ""
blp = Blueprint("api_documents", __name__, description="检查审批与检查文书")


def _plan(plan_id: int) -> InspectionPlan:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or not can_view_plan(current_user, plan):
        abort(404)
    return plan


def _document(document_id: int) -> Document:
    document = db().get(Document, document_id)
    if document is None or not can_view_document(current_user, document):
        abort(404)
    return document


@blp.get("/plans/<int:plan_id>/approval-form")
@roles_required("department", "department_head", "oversight", "admin")
@blp.response(200, ApprovalFormSchema)
def plan_approval_form(plan_id: int):
    """The approval form's fields as the platform fills them from the plan and the catalogue."""
    return approval_form(db(), _plan(plan_id))


@blp.post("/plans/<int:plan_id>/approval")
@roles_required("department_head")
@blp.arguments(ApprovalBodySchema)
@blp.response(201, ApprovalSchema)
def approve(body, plan_id: int):
    return approve_plan(db(), current_user, _plan(plan_id), task_source=body["task_source"], opinion=body["opinion"])


@blp.post("/plans/<int:plan_id>/refusal")
@roles_required("department_head")
@blp.arguments(RefusalBodySchema)
@blp.response(201, ApprovalSchema)
def refuse(body, plan_id: int):
    return refuse_plan(db(), current_user, _plan(plan_id), reason=body["reason"])


@blp.get("/documents")
@login_required
@blp.response(200, DocumentSchema(many=True))
def list_documents():
    """The documents the caller may read: a firm its own, a department its own, oversight all."""
    return db().scalars(queries.documents_for(current_user)).all()


@blp.get("/documents/<int:document_id>")
@login_required
@blp.response(200, DocumentSchema)
def get_document(document_id: int):
    return _document(document_id)


@blp.get("/documents/<int:document_id>/pdf")
@login_required
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
              description="文书的 PDF 原件；其 SHA-256 与核验页、留痕记录中的一致")
def document_pdf(document_id: int):
    document = _document(document_id)
    return Response(document.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=document-{document.id}.pdf",
                             "X-Content-SHA256": document.sha256})


@blp.post("/documents/<int:document_id>/correction")
@roles_required("department")
@blp.arguments(RefusalBodySchema)
@blp.response(201, DocumentSchema)
def correct(body, document_id: int):
    return correct_document(db(), current_user, _document(document_id), body["reason"])


@blp.post("/visits/<int:visit_id>/result-notice")
@roles_required("department")
@blp.response(201, DocumentSchema)
def result_notice(visit_id: int):
    """The department's result notice (行政检查结果告知书) of the visit, from its recorded outcomes."""
    visit = db().get(Visit, visit_id)
    if visit is None or not visit_of_department(current_user, visit):
        abort(404)
    department = db().get(Department, current_user.department_id)
    return issue_result_notice(db(), current_user, visit, department)


@blp.get("/public/documents/<token>")
@blp.response(200, VerificationSchema)
def verify(token: str):
    """A document's public check (the QR code's page): number, kind, department, SHA-256 and state; nothing
    about the firm or any person."""
    document = db().scalar(select(Document).where(Document.verify_token == token))
    if document is None:
        abort(404)
    return public_record(document)


@blp.post("/visits/<int:visit_id>/record")
@roles_required("inspector")
@blp.arguments(RecordBodySchema)
@blp.response(201, DocumentSchema)
def sign(body, visit_id: int):
    """The on-site record (现场检查记录) read back to the firm's person and signed on the phone, or their
    refusal before a witness; issued as a numbered document."""
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    return sign_record(db(), current_user, visit, signer_name=body["signer_name"],
                       signature_png=signature_bytes(body["signature"]), refused=body["refused"],
                       witness=body["witness"], note=body["note"])


@blp.post("/visits/<int:visit_id>/field-records")
@roles_required("inspector")
@blp.arguments(FieldRecordBodySchema)
@blp.response(201, DocumentSchema)
def field_record(body, visit_id: int):
    """A sampling (抽样记录), premises (勘验笔录) or questioning (询问笔录) record of one of the department's items,
    composed on the phone and signed by the firm's person (or refused before a witness)."""
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    return sign_field_record(db(), current_user, visit, body["kind"], body["content"],
                             signer_name=body["signer_name"], signature_png=signature_bytes(body["signature"]),
                             refused=body["refused"], witness=body["witness"], note=body["note"])


@blp.get("/visits/<int:visit_id>/notice")
@roles_required("inspector")
@blp.response(200, DocumentSchema)
def entry_notice(visit_id: int):
    """The inspection notice (行政检查通知书) of the inspector's department on the visit, to hand over at the
    door; 404 until it is issued (moments after the department's entry)."""
    visit = db().get(Visit, visit_id)
    if visit is None or not on_visit_team(current_user, visit):
        abort(404)
    notice = live_document(db(), "notice", visit.id, current_user.department_id)
    if notice is None:
        abort(404, description="本部门的检查通知书尚未开具")
    return notice


@blp.post("/documents/<int:document_id>/statement")
@roles_required("enterprise")
@blp.arguments(StatementBodySchema)
@blp.response(201, DocumentSchema)
def statement(body, document_id: int):
    """The firm's statement (陈述、申辩) on a result notice or an order to rectify issued to it."""
    document = _document(document_id)
    record_statement(db(), current_user, document, body["text"])
    return document


@blp.post("/documents/<int:document_id>/acknowledgement")
@roles_required("enterprise")
@blp.response(201, DocumentSchema)
def acknowledge(document_id: int):
    """The firm acknowledges (签收) a document issued to it."""
    document = _document(document_id)
    acknowledge_document(db(), current_user, document)
    return document
