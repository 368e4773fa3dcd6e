"""Oversight's alert list: run the audit rules, read the evidence, explain or close each alert."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from inspection.errors import DomainError
from inspection.models import ALERT_RULES, ALERT_STATUS_LABELS, Alert, Department, Firm
from inspection.operations.alerts import handle_alert, refresh_alerts
from inspection.operations.entries import local_today
from inspection.operations.events import utcnow

from ..auth import roles_required
from ..database import db
from .blueprint import bp


@bp.get("/oversight/alerts")
@roles_required("oversight", "admin")
def alerts():
    rule = request.args.get("rule") if request.args.get("rule") in ALERT_RULES else None
    status = request.args.get("status", "open")
    status = status if status in ALERT_STATUS_LABELS else None
    stmt = select(Alert).order_by(Alert.id.desc())
    if rule:
        stmt = stmt.where(Alert.rule == rule)
    if status:
        stmt = stmt.where(Alert.status == status)
    session = db()
    rows = session.scalars(stmt.limit(300)).all()
    counts = dict(session.execute(select(Alert.rule, func.count()).where(Alert.status == "open")
                                  .group_by(Alert.rule)).all())
    firms = {f.id: f for f in session.scalars(select(Firm).where(Firm.id.in_({a.firm_id for a in rows if a.firm_id})))}
    departments = {d.id: d for d in session.scalars(select(Department))}
    return render_template("oversight/alerts.html", alerts=rows, rules=ALERT_RULES, statuses=ALERT_STATUS_LABELS,
                           selected={"rule": rule, "status": status}, counts=counts, firms=firms,
                           departments=departments)


@bp.post("/oversight/alerts/refresh")
@roles_required("oversight", "admin")
def refresh():
    raised = refresh_alerts(db(), today=local_today(utcnow()))
    flash(f"已运行全部审查规则，新增预警 {sum(raised.values())} 条", "success")
    return redirect(url_for("views.alerts"))


@bp.post("/oversight/alerts/<int:alert_id>")
@roles_required("oversight", "admin")
def handle(alert_id: int):
    alert = db().get(Alert, alert_id)
    if alert is None:
        abort(404)
    try:
        handle_alert(db(), current_user, alert, request.form.get("status", ""), request.form.get("note", ""))
        flash("预警处理情况已记录", "success")
    except DomainError as err:
        db().rollback()
        flash(err.message, "error")
    return redirect(url_for("views.alerts") + f"#alert-{alert_id}")
