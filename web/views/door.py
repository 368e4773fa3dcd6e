"""Pages at the door: invitations and postponements from the scan-time prompt, back-filing an emergency
entry, the firm's report of an inspection without a valid code, the department's leads and its anonymous
evaluation summary, and the offline shell with its service worker (断网补录)."""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from core import clock
from inspection.errors import DomainError
from inspection.models import InspectionTask, Visit
from inspection.operations.door import backfile, invite, postpone, report_no_code
from inspection.operations.risk import record_lead
from inspection.pure.timestamps import parse_day, parse_instant
from inspection.queries.kpis import evaluation_summary

from ..auth import roles_required
from ..database import db
from ..loading import firm_or_404
from ..query_args import id_arg, year_arg
from .blueprint import bp
from .outcomes import attempt, refused
from .visits import _team_visit

MIN_GROUP = 5   # 匿名评价: a department never sees fewer evaluations than this together


def _visit_url(visit: Visit, anchor: str = "#prompt") -> str:
    return url_for("views.visit", visit_id=visit.id) + anchor


@bp.post("/visits/<int:visit_id>/invite")
@roles_required("inspector")
def visit_invite(visit_id: int):
    visit = _team_visit(visit_id)
    task_id = id_arg("task", label="任务", source=request.form)
    task = db().get(InspectionTask, task_id) if task_id else None
    if task is None:
        abort(404)
    return attempt(lambda: invite(db(), current_user, visit, task),
                   f"已邀请{task.plan.department.name}：对方两名持证执法人员扫码后即合并为本次入企", _visit_url(visit))


@bp.post("/visits/<int:visit_id>/postpone")
@roles_required("inspector")
def visit_postpone(visit_id: int):
    visit = _team_visit(visit_id)
    try:
        postpone(db(), current_user, visit, request.form.get("reason", ""))
    except DomainError as err:
        refused(err)
        return redirect(_visit_url(visit))
    flash("已推迟本部门的检查：任务退回待排程，避免了一次入企", "success")
    return redirect(url_for("views.home"))


@bp.post("/visits/<int:visit_id>/backfile")
@roles_required("inspector", "department")
def visit_backfile(visit_id: int):
    visit = db().get(Visit, visit_id)
    if visit is None or current_user.department_id not in {t.plan.department_id for t in visit.tasks}:
        abort(404)
    form = request.form
    return attempt(lambda: backfile(db(), current_user, visit, kind=form.get("kind", ""),
                                    reference=form.get("reference", ""), summary=form.get("summary", "")),
                   "线索已补录", _visit_url(visit, "#backfile"))


@bp.post("/firms/<uscc>/no-code-reports", endpoint="report_no_code")
@roles_required("enterprise")
def report_no_code_page(uscc: str):
    firm = firm_or_404(uscc)
    try:
        occurred = parse_instant(request.form.get("occurred_at", ""), "occurred_at", "发生时间", naive_zone=clock.zone())
        report_no_code(db(), current_user, firm, occurred_at=occurred, officers=request.form.get("officers", ""),
                       department=request.form.get("department", ""), description=request.form.get("description", ""))
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.firm", uscc=uscc) + "#no-code")
    flash("已向监督机构反映：未出示有效检查码的检查，企业有权拒绝", "success")
    return redirect(url_for("views.firm", uscc=uscc))


@bp.post("/firms/<uscc>/leads")
@roles_required("department")
def firm_lead(uscc: str):
    firm = firm_or_404(uscc, visible_only=False)
    form = request.form

    def record():
        received = parse_day(form.get("received_on", ""), "received_on", "收到日期")
        return record_lead(db(), current_user, firm, kind=form.get("kind", ""), received_on=received,
                           reference=form.get("reference", ""), summary=form.get("summary", ""),
                           source=form.get("source", ""))
    return attempt(record, lambda lead: f"线索 {lead.reference} 已登记：执法人员可凭此编号扫码入企",
                   url_for("views.firm", uscc=uscc) + "#lead")


@bp.get("/evaluations")
@roles_required("department")
def evaluations_summary():
    """匿名评价: the department's evaluations by closed month, only months with five firms or more."""
    session, today = db(), clock.today()
    year = year_arg(default=today.year)
    months = evaluation_summary(session, current_user.department_id, year, today, MIN_GROUP)
    return render_template("home/evaluations.html", months=months, year=year, minimum=MIN_GROUP)


@bp.get("/offline")
@roles_required("inspector")
def offline_shell():
    """The inspector's offline page: today's visits kept on the phone, scans and findings signed there."""
    return render_template("visits/offline.html")


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it may answer for every page when offline."""
    response = make_response(send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript"))
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response

