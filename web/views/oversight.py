"""Oversight: the KPI dashboard with its drill-down and exports, and the alert list (run the audit
rules, read the evidence, explain or close each alert)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from inspection import kpis
from inspection.errors import DomainError
from inspection.kpis import Scope
from inspection.models import (ALERT_RULES, ALERT_STATUS_LABELS, Alert, Department, District, Firm, InspectionPlan,
                               InspectionTask, Visit, VisitEntry)
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


def _scope() -> Scope:
    year = request.args.get("year", type=int) or local_today(utcnow()).year
    department = request.args.get("department") or None
    district = request.args.get("district") or None
    return Scope(year=year, department=department, district=district)


def _scope_args(scope: Scope, **extra) -> dict:
    return {k: v for k, v in {"year": scope.year, "department": scope.department, "district": scope.district,
                              **extra}.items() if v}


@bp.get("/oversight/dashboard")
@roles_required("oversight", "admin")
def dashboard():
    """KPIs at a glance: entries by month (against last year), by department, joint share, publication,
    on-time completion, evaluations, entries per firm by credit class; every number leads to its visits."""
    session, scope = db(), _scope()
    today = local_today(utcnow())
    last_year = Scope(scope.year - 1, scope.department, scope.district)
    figures = {
        "monthly": kpis.monthly_entries(session, scope), "last_year": kpis.monthly_entries(session, last_year),
        "by_department": kpis.entries_by_department(session, scope), "joint": kpis.joint_share(session, scope),
        "published": kpis.publication_rate(session, scope, today), "on_time": kpis.on_time_rate(session, scope, today),
        "evaluation": kpis.average_evaluation(session, scope), "per_firm": kpis.entries_per_firm(session, scope),
        "avoided": kpis.entries_avoided(session, scope)}
    return render_template("oversight/dashboard.html", scope=scope, f=figures, args=_scope_args(scope),
                           months=[f"{m}月" for m in range(1, 13)],
                           departments=session.scalars(select(Department).order_by(Department.id)).all(),
                           districts=session.scalars(select(District).order_by(District.code)).all())


def _drill_rows(scope: Scope, month: int | None):
    """The visits behind a figure (at most 5,000), loaded in a few queries whatever their number."""
    visits = db().scalars(kpis.entered_visits(scope, month).order_by(Visit.day, Visit.id).limit(5000)
                          .options(selectinload(Visit.firm).selectinload(Firm.district),
                                   selectinload(Visit.tasks).selectinload(InspectionTask.plan)
                                   .selectinload(InspectionPlan.department))).all()
    entries = {e.visit_id: e for e in db().scalars(select(VisitEntry).where(
        VisitEntry.visit_id.in_([v.id for v in visits])))} if visits else {}
    rows = []
    for visit in visits:
        entry = entries[visit.id]
        rows.append({"visit": visit, "departments": "、".join(sorted({t.plan.department.short_name for t in visit.tasks})),
                     "minutes": round((entry.left_at - entry.entered_at).total_seconds() / 60) if entry.left_at else None})
    return rows


@bp.get("/oversight/visits")
@roles_required("oversight", "admin")
def drill_visits():
    scope = _scope()
    month = request.args.get("month", type=int)
    return render_template("oversight/visits.html", rows=_drill_rows(scope, month), scope=scope, month=month,
                           args=_scope_args(scope, month=month))


@bp.get("/oversight/visits.<fmt>")
@roles_required("oversight", "admin")
def export_visits(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope = _scope()
    month = request.args.get("month", type=int)
    header = ["日期", "企业", "统一社会信用代码", "区县", "部门", "时长（分钟）", "状态"]
    table = [[r["visit"].day.isoformat(), r["visit"].firm.name, r["visit"].firm.uscc, r["visit"].firm.district.name,
              r["departments"], r["minutes"] if r["minutes"] is not None else "", r["visit"].status_label]
             for r in _drill_rows(scope, month)]
    buffer = io.BytesIO()
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows([header, *table])
        buffer.write(text.getvalue().encode("utf-8-sig"))
        mimetype = "text/csv"
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "入企检查"
        for row in [header, *table]:
            sheet.append(row)
        book.save(buffer)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(io.BytesIO(buffer.getvalue()), mimetype=mimetype, as_attachment=True,
                     download_name=f"入企检查-{scope.year}{'-' + str(month) if month else ''}.{fmt}")


@bp.get("/oversight/report")
@roles_required("oversight", "admin")
def monthly_report():
    """A month on one printable page: entries by department, joint share, publication, evaluations, alerts."""
    session = db()
    today = local_today(utcnow())
    year = request.args.get("year", type=int) or today.year
    month = request.args.get("month", type=int) or today.month
    if not 1 <= month <= 12:
        abort(404)
    rows = []
    for department in session.scalars(select(Department).order_by(Department.id)):
        scope = Scope(year, department.code)
        rows.append({"department": department, "entries": kpis.monthly_entries(session, scope)[month - 1],
                     "last_year": kpis.monthly_entries(session, Scope(year - 1, department.code))[month - 1]})
    city = Scope(year)
    first = dt.datetime(year, month, 1)
    following = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    raised = session.execute(select(Alert.rule, func.count()).where(Alert.raised_at >= first,
                                                                    Alert.raised_at < following)
                             .group_by(Alert.rule)).all()
    return render_template("oversight/report.html", year=year, month=month, rows=rows,
                           entries=kpis.monthly_entries(session, city)[month - 1],
                           joint=kpis.joint_share(session, city), published=kpis.publication_rate(session, city, today),
                           evaluation=kpis.average_evaluation(session, city), raised=raised, rules=ALERT_RULES,
                           today=today)
