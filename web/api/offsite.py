"""非现场核查 through the API: send a request, the firm's evidence and answers, the review, publication."""
from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from core import clock
from inspection import queries
from inspection.errors import InvalidInput
from inspection.models import InspectionTask, ItemOutcome, OffsiteRequest
from inspection.operations.offsite import (
    Decision,
    add_evidence,
    confirm_rectification,
    extend_deadline,
    publish_offsite,
    review_request,
    send_request,
    submit_answers,
)
from inspection.permissions import can_view_request

from ..auth import roles_required
from ..database import db
from ..presenters.offsite import evidence_folder, request_sheet
from .schemas import ExtensionSchema, RectifiedSchema, RequestQuerySchema, RequestSummarySchema, ReviewSchema

PREFIX = ""
blp = Blueprint("api_offsite", __name__, description="非现场核查：材料清单、企业提交、远程审核、转现场检查")


def _request(request_id: int) -> OffsiteRequest:
    found = db().get(OffsiteRequest, request_id)
    if found is None or not can_view_request(current_user, found):
        abort(404)
    return found


def _sheet(found: OffsiteRequest) -> dict:
    return request_sheet(db(), found, current_user, clock.today())


@blp.get("/offsite")
@login_required
@blp.arguments(RequestQuerySchema, location="query")
@blp.response(200, RequestSummarySchema(many=True))
def list_requests(args):
    """The requests the account may see (its firm's, its department's, or all for oversight)."""
    return db().scalars(queries.offsite_requests_for(current_user, args.get("status")).limit(2000)).all()


@blp.post("/tasks/<int:task_id>/offsite-request")
@roles_required("department", "inspector")
@blp.response(201)
def send(task_id: int):
    """Send an off-site task's checklist to the firm; points the platform's records prove are checked at once."""
    task = db().get(InspectionTask, task_id)
    if task is None or task.plan.department_id != current_user.department_id:
        abort(404)
    return _sheet(send_request(db(), current_user, task))


@blp.get("/offsite/<int:request_id>")
@login_required
@blp.response(200)
def detail(request_id: int):
    return _sheet(_request(request_id))


@blp.post("/offsite/<int:request_id>/evidence")
@roles_required("enterprise")
@blp.response(201)
def evidence(request_id: int):
    """multipart/form-data: ``point`` and a ``file``, or ``point`` and an ``answer``."""
    found = _request(request_id)
    point = request.form.get("point", type=int)
    if point is None:
        raise InvalidInput("请指明检查要点", fields={"point": "必填"})
    upload = request.files.get("file")
    limit = int(current_app.config["OFFSITE_MAX_MB"] * 1024 * 1024)
    if upload is not None and upload.filename:
        data = upload.read(limit + 1)
        upload.close()
        row = add_evidence(db(), current_user, found, point, folder=evidence_folder(), filename=upload.filename,
                           data=data, max_bytes=limit)
    else:
        row = add_evidence(db(), current_user, found, point, folder=evidence_folder(), answer=request.form.get("answer"))
    return {"id": row.id, "kind": row.kind, "sha256": row.sha256, "size": row.size}


@blp.post("/offsite/<int:request_id>/extension")
@roles_required("enterprise")
@blp.arguments(ExtensionSchema)
@blp.response(200)
def extension(body, request_id: int):
    found = extend_deadline(db(), current_user, _request(request_id), body["reason"])
    return {"deadline": found.deadline.isoformat(), "extended_to": found.extended_to.isoformat()}


@blp.post("/offsite/<int:request_id>/submit")
@roles_required("enterprise")
@blp.response(200)
def submit(request_id: int):
    return _sheet(submit_answers(db(), current_user, _request(request_id)))


@blp.post("/offsite/<int:request_id>/review")
@roles_required("inspector")
@blp.arguments(ReviewSchema)
@blp.response(200)
def review(body, request_id: int):
    """A result per point (or ``escalate``), an outcome per item fully checked, and the escalation's reason."""
    found = _request(request_id)
    decisions = {d["point"]: Decision(d["result"], d["note"]) for d in body["decisions"]}
    outcomes = {o["item"]: (o["outcome"], o.get("rectify_by")) for o in body["outcomes"]}
    review_request(db(), current_user, found, decisions, outcomes, escalation_reason=body["escalation_reason"],
                   publish_within=current_app.config["PUBLISH_WORKING_DAYS"])
    return _sheet(found)


@blp.post("/offsite/<int:request_id>/publish")
@roles_required("department")
@blp.response(200)
def publish(request_id: int):
    rows = publish_offsite(db(), current_user, _request(request_id))
    return {"published": [r.item.code for r in rows]}


@blp.post("/outcomes/<int:outcome_id>/rectified")
@roles_required("department")
@blp.arguments(RectifiedSchema)
@blp.response(200)
def rectified(body, outcome_id: int):
    outcome = db().get(ItemOutcome, outcome_id)
    if outcome is None or db().get(InspectionTask, outcome.task_id).plan.department_id != current_user.department_id:
        abort(404)
    row = confirm_rectification(db(), current_user, outcome, body["note"])
    return {"outcome": row.id, "rectified_at": row.rectified_at.isoformat() + "Z"}

