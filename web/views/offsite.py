"""非现场核查 pages: the department's and inspector's worklist, a request as the firm answers it and the
inspector reviews it, evidence downloads, publication."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core import clock
from inspection import queries
from inspection.errors import DomainError, InvalidInput
from inspection.models import (
    OFFSITE_STATUS_LABELS,
    OUTCOME_LABELS,
    RESULT_LABELS,
    Firm,
    InspectionTask,
    ItemOutcome,
    OffsiteEvidence,
    OffsiteRequest,
)
from inspection.operations.offsite import (
    Decision,
    add_evidence,
    confirm_rectification,
    download_name,
    extend_deadline,
    publish_offsite,
    remove_evidence,
    review_request,
    send_request,
    stored_name,
    submit_answers,
)
from inspection.permissions import can_view_request
from inspection.pure.timestamps import parse_day

from ..auth import roles_required
from ..database import db
from ..presenters.offsite import DECISION_LABELS, evidence_folder, request_sheet
from .blueprint import bp
from .outcomes import attempt, refused


@bp.get("/offsite")
@login_required
def offsite_list():
    """The worklist: tasks to send, requests waiting for the firm, answers to review, concluded checks."""
    session, today = db(), clock.today()
    status = request.args.get("status") if request.args.get("status") in OFFSITE_STATUS_LABELS else None
    pending, pending_total = [], 0
    if current_user.role in ("department", "inspector"):
        stmt = queries.pending_offsite_tasks(current_user.department_id, today)
        pending_total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        pending = session.scalars(stmt.options(selectinload(InspectionTask.firm), selectinload(InspectionTask.plan))
                                  .limit(100)).all()
    rows = session.scalars(queries.offsite_requests_for(current_user, status).limit(500)).all()
    counts = dict(session.execute(select(OffsiteRequest.status, func.count())
                                  .where(OffsiteRequest.id.in_(queries.offsite_requests_for(current_user)
                                                               .with_only_columns(OffsiteRequest.id)))
                                  .group_by(OffsiteRequest.status)).all())
    return render_template("offsite/list.html", pending=pending, pending_total=pending_total, requests=rows,
                           counts=counts, statuses=OFFSITE_STATUS_LABELS, status=status, today=today)


@bp.post("/offsite/tasks/<int:task_id>/send")
@roles_required("department", "inspector")
def offsite_send(task_id: int):
    task = db().get(InspectionTask, task_id)
    if task is None or task.plan.department_id != current_user.department_id:
        abort(404)
    try:
        sent = send_request(db(), current_user, task)
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.offsite_list"))
    flash(f"材料清单已发送给{task.firm.name}，提交期限 {sent.deadline}", "success")
    return redirect(url_for("views.offsite_request", request_id=sent.id))


@bp.post("/offsite/send-all")
@roles_required("department")
def offsite_send_all():
    """Send every pending off-site task of the department at once."""
    session, today = db(), clock.today()
    tasks = session.scalars(queries.pending_offsite_tasks(current_user.department_id, today).limit(2000)).all()
    try:
        for task in tasks:
            send_request(session, current_user, task)
    except DomainError as err:
        refused(err, f"未能全部发出：{err.message}")
        return redirect(url_for("views.offsite_list"))
    flash(f"已向 {len(tasks)} 家企业发出材料清单", "success")
    return redirect(url_for("views.offsite_list"))


def _visible_request(request_id: int) -> OffsiteRequest:
    found = db().get(OffsiteRequest, request_id)
    if found is None or not can_view_request(current_user, found):
        abort(404)
    return found


@bp.get("/offsite/<int:request_id>")
@login_required
def offsite_request(request_id: int):
    found = _visible_request(request_id)
    today = clock.today()
    return render_template("offsite/request.html", r=found, sheet=request_sheet(db(), found, current_user, today),
                           decisions=DECISION_LABELS, results=RESULT_LABELS, outcomes=OUTCOME_LABELS, today=today,
                           max_mb=current_app.config["OFFSITE_MAX_MB"])


def _request_url(found: OffsiteRequest, anchor: str = "") -> str:
    return url_for("views.offsite_request", request_id=found.id) + anchor


@bp.post("/offsite/<int:request_id>/evidence")
@roles_required("enterprise")
def offsite_evidence(request_id: int):
    found = _visible_request(request_id)
    point_id = request.form.get("point", type=int) or 0
    uploads = [f for f in request.files.getlist("file") if f and f.filename]
    answer = request.form.get("answer", "")
    limit = int(current_app.config["OFFSITE_MAX_MB"] * 1024 * 1024)

    def add():
        if not uploads and not answer.strip():
            raise InvalidInput("请选择文件或填写文字说明", fields={"file": "必填"})
        for upload in uploads:
            data = upload.read(limit + 1)
            upload.close()
            add_evidence(db(), current_user, found, point_id, folder=evidence_folder(), filename=upload.filename,
                         data=data, max_bytes=limit)
        if answer.strip():
            add_evidence(db(), current_user, found, point_id, folder=evidence_folder(), answer=answer)
    return attempt(add, "材料已保存，可继续补充；全部要点提交后请点击“提交审核”", _request_url(found, f"#point-{point_id}"))


@bp.post("/offsite/<int:request_id>/evidence/<int:evidence_id>/remove")
@roles_required("enterprise")
def offsite_evidence_remove(request_id: int, evidence_id: int):
    found = _visible_request(request_id)
    evidence = db().get(OffsiteEvidence, evidence_id)
    if evidence is None or evidence.request_id != found.id:
        abort(404)
    point_id = evidence.point_id
    return attempt(lambda: remove_evidence(db(), current_user, found, evidence), "已删除该材料",
                   _request_url(found, f"#point-{point_id}"))


@bp.post("/offsite/<int:request_id>/extend")
@roles_required("enterprise")
def offsite_extend(request_id: int):
    found = _visible_request(request_id)
    return attempt(lambda: extend_deadline(db(), current_user, found, request.form.get("reason", "")),
                   "已延期，请在新的期限前提交材料", _request_url(found))


@bp.post("/offsite/<int:request_id>/submit")
@roles_required("enterprise")
def offsite_submit(request_id: int):
    found = _visible_request(request_id)
    return attempt(lambda: submit_answers(db(), current_user, found), "材料已提交，等待执法人员审核",
                   _request_url(found))


@bp.post("/offsite/<int:request_id>/review")
@roles_required("inspector")
def offsite_review(request_id: int):
    found = _visible_request(request_id)
    form = request.form
    decisions = {int(key.split("_", 1)[1]): Decision(value, form.get(f"note_{key.split('_', 1)[1]}", ""))
                 for key, value in form.items() if key.startswith("decision_") and key.split("_", 1)[1].isdigit()}

    def review():
        outcomes = {}
        for item in found.task.plan.items:
            chosen = form.get(f"outcome_{item.code}")
            if chosen:
                raw = (form.get(f"rectify_{item.code}") or "").strip()
                outcomes[item.code] = (chosen, parse_day(raw, f"rectify_{item.code}", "整改期限") if raw else None)
        review_request(db(), current_user, found, decisions, outcomes,
                       escalation_reason=form.get("escalation_reason", ""),
                       publish_within=current_app.config["PUBLISH_WORKING_DAYS"])
    return attempt(review, "审核结果已保存", _request_url(found))


@bp.post("/offsite/<int:request_id>/publish")
@roles_required("department")
def offsite_publish(request_id: int):
    found = _visible_request(request_id)
    return attempt(lambda: publish_offsite(db(), current_user, found), "核查结果已公示", _request_url(found))


@bp.post("/outcomes/<int:outcome_id>/rectified")
@roles_required("department")
def outcome_rectified(outcome_id: int):
    outcome = db().get(ItemOutcome, outcome_id)
    if outcome is None:
        abort(404)
    task = db().get(InspectionTask, outcome.task_id)
    if task.plan.department_id != current_user.department_id:
        abort(404)
    return attempt(lambda: confirm_rectification(db(), current_user, outcome, request.form.get("note", "")),
                   "已确认整改完成", request.referrer or url_for("views.plan_results", plan_id=task.plan_id))


@bp.get("/offsite/evidence/<int:evidence_id>")
@login_required
def offsite_evidence_file(evidence_id: int):
    evidence = db().get(OffsiteEvidence, evidence_id)
    if evidence is None or evidence.kind != "file" or not can_view_request(current_user, evidence.request):
        abort(404)
    path = evidence_folder() / stored_name(evidence)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=evidence.content_type, as_attachment=True, download_name=download_name(evidence))


def offsite_for_firm(firm: Firm) -> list[OffsiteRequest]:
    """The firm's off-site requests, open ones first."""
    return open_first(db().scalars(select(OffsiteRequest).where(OffsiteRequest.firm_id == firm.id)
                                   .options(selectinload(OffsiteRequest.department))))


def open_first(requests) -> list[OffsiteRequest]:
    """Off-site requests waiting for the firm first, then the rest; newest first within each."""
    return sorted(requests, key=lambda r: (r.status != "sent", -r.id))

