"""Oversight: the KPI dashboard with its drill-down and exports, and the alert list (run the audit
rules, read the evidence, explain or close each alert)."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core import clock
from inspection import queries
from inspection.errors import InvalidInput
from inspection.models import (
    ALERT_RULES,
    ALERT_STATUS_LABELS,
    CREDIT_CLASSES,
    Alert,
    InspectionPlan,
    OffsiteRequest,
)
from inspection.operations.alerts import handle_alert, refresh_alerts
from inspection.pure.calendar import credit_policy
from inspection.queries import kpis
from inspection.queries import oversight as oversight_queries
from inspection.queries.kpis import Drill, Scope

from ..auth import roles_required
from ..database import db
from ..exports import table_file
from ..presenters.alert_evidence import evidence_rows
from ..query_args import month_arg, year_arg
from .blueprint import bp
from .outcomes import attempt


def _alert_selection() -> dict:
    rule = request.args.get("rule") if request.args.get("rule") in ALERT_RULES else None
    status = request.args.get("status", "open")
    return {"rule": rule, "status": status if status in ALERT_STATUS_LABELS else None}


@bp.get("/oversight/alerts")
@roles_required("oversight", "admin")
def alerts():
    selected = _alert_selection()
    session = db()
    rows, firms, departments = oversight_queries.alerts(session, **selected, limit=300)
    counts = oversight_queries.open_alerts_by_rule(session)
    evidence = {a.id: evidence_rows(a, firms[a.firm_id].uscc if a.firm_id in firms else None) for a in rows}
    return render_template("oversight/alerts.html", evidence=evidence, alerts=rows, rules=ALERT_RULES, statuses=ALERT_STATUS_LABELS,
                           selected=selected, counts=counts, firms=firms,
                           selected_args={"rule": selected["rule"] or "", "status": selected["status"] or ""},
                           departments=departments)


@bp.post("/oversight/alerts/refresh")
@roles_required("oversight", "admin")
def refresh():
    raised = refresh_alerts(db(), today=clock.today())
    flash(f"已运行全部审查规则，新增预警 {sum(raised.values())} 条", "success")
    return redirect(url_for("views.alerts"))


@bp.post("/oversight/alerts/<int:alert_id>")
@roles_required("oversight", "admin")
def handle(alert_id: int):
    alert = db().get(Alert, alert_id)
    if alert is None:
        abort(404)
    return attempt(lambda: handle_alert(db(), current_user, alert, request.form.get("status", ""),
                                        request.form.get("note", "")),
                   "预警处理情况已记录", url_for("views.alerts", **{k: v for k, v in _alert_selection().items() if v})
                   + f"#alert-{alert_id}")


def _scope() -> Scope:
    year = year_arg(default=clock.today().year)
    department = request.args.get("department") or None
    district = request.args.get("district") or None
    first, last = month_arg("from", 1, label="起始月份"), month_arg("to", 12, label="截止月份")
    if first > last:
        raise InvalidInput(f"起始月份（{first} 月）不能晚于截止月份（{last} 月）", fields={"from": "晚于截止月份"})
    return Scope(year=year, department=department, district=district, months=(first, last))


def _drill() -> Drill:
    args = request.args
    return Drill(month=month_arg(), joint=args.get("joint") == "1",
                 results=args.get("results") if args.get("results") in ("published", "late") else None,
                 evaluated=args.get("evaluated") == "1",
                 credit_class=args.get("credit_class") if args.get("credit_class") in CREDIT_CLASSES else None,
                 times=args.get("times") if args.get("times") in kpis.TIMES else None,
                 origin=args.get("origin") if args.get("origin") in ("unplanned", "emergency") else None)


def _scope_args(scope: Scope, **extra) -> dict:
    period = {} if scope.whole_year else {"from": scope.months[0], "to": scope.months[1]}
    return {k: v for k, v in {"year": scope.year, "department": scope.department, "district": scope.district,
                              **period, **extra}.items() if v}


def period_label(scope: Scope) -> str:
    """年 and, for a part of the year, its months: 2026 年 1—6 月."""
    if scope.whole_year:
        return f"{scope.year} 年"
    first, last = scope.months
    return f"{scope.year} 年 {first} 月" if first == last else f"{scope.year} 年 {first}—{last} 月"


@bp.get("/oversight/dashboard")
@roles_required("oversight", "admin")
def dashboard():
    """KPIs at a glance: entries by month (against last year), by department (against the scheduler's
    baseline) and district, joint share, publication, on-time completion, evaluations, entries per firm
    by credit class; every number leads to the visits (or plans) behind it."""
    session, scope = db(), _scope()
    today = clock.today()
    last_year = Scope(scope.year - 1, scope.department, scope.district, months=scope.months)
    figures = {
        "monthly": kpis.monthly_entries(session, scope), "last_year": kpis.monthly_entries(session, last_year),
        "same_span": sum(kpis.monthly_entries(session, kpis.year_before(scope, today))),
        "span_until": kpis.year_before(scope, today).until,
        "by_department": kpis.entries_by_department(session, scope), "joint": kpis.joint_share(session, scope),
        "by_district": kpis.entries_by_district(session, scope), "departments": kpis.department_figures(session, scope, today),
        "published": kpis.publication_rate(session, scope, today), "on_time": kpis.on_time_rate(session, scope, today),
        "evaluation": kpis.average_evaluation(session, scope), "per_firm": kpis.entries_per_firm(session, scope),
        "avoided": kpis.entries_avoided(session, scope), "offsite": kpis.offsite_figures(session, scope),
        "origins": kpis.entries_by_origin(session, scope), "prompts": kpis.prompt_figures(session, scope),
        "offline": kpis.offline_entries(session, scope),
        "credit": kpis.entries_by_credit_class(session, scope, credit_policy()),
        "obligations": kpis.frequency_obligations(session, scope, today)}
    figures["inversions"] = kpis.policy_inversions(figures["credit"])
    figures["department_entries"] = sum(n for _, _, n in figures["by_department"])
    figures["offsite_share"] = kpis.offsite_share(figures["offsite"].total, figures["department_entries"])
    figures["offsite_monthly"] = [a + b for a, b in zip(figures["offsite"].closed, figures["offsite"].escalated)]
    return render_template("oversight/dashboard.html", scope=scope, f=figures, args=_scope_args(scope),
                           period=period_label(scope),
                           months=[f"{m}月" for m in range(1, 13)],
                           departments=session.scalars(queries.departments()).all(),
                           districts=session.scalars(queries.districts()).all())


DRILL_TITLES = {"joint": "联合检查", "evaluated": "企业已评价", "published": "结果已公示", "late": "结果逾期未公示",
                "unplanned": "依线索入企", "emergency": "紧急入企"}


def _drill_title(scope: Scope, drill: Drill) -> str:
    parts = [f"{scope.year} 年 {drill.month} 月" if drill.month else period_label(scope)]
    if scope.department:
        parts.append(next((d.short_name for d in db().scalars(queries.department_by_code(scope.department))),
                          scope.department))
    if scope.district:
        parts.append(next((d.name for d in db().scalars(queries.district_by_code(scope.district))),
                          scope.district))
    parts += [DRILL_TITLES[k] for k in ("joint", "evaluated") if getattr(drill, k)]
    if drill.results:
        parts.append(DRILL_TITLES[drill.results])
    if drill.origin:
        parts.append(DRILL_TITLES[drill.origin])
    if drill.credit_class or drill.times:
        parts.append(f"{drill.credit_class or '各'} 类企业" + (f"中被入企 {drill.times} 次的" if drill.times else ""))
    return " · ".join(parts)


def _drill_rows(scope: Scope, drill: Drill):
    """The visits behind a figure (at most 5,000), loaded in a few queries whatever their number."""
    return oversight_queries.drill_rows(db(), kpis.drilled_visits(scope, drill, clock.today()))


@bp.get("/oversight/visits")
@roles_required("oversight", "admin")
def drill_visits():
    scope, drill = _scope(), _drill()
    return render_template("oversight/visits.html", rows=_drill_rows(scope, drill), scope=scope,
                           title=_drill_title(scope, drill), args=_scope_args(scope, **drill.args()))


@bp.get("/oversight/visits.<fmt>")
@roles_required("oversight", "admin")
def export_visits(fmt: str):
    scope, drill = _scope(), _drill()
    header = ["日期", "企业", "统一社会信用代码", "区县", "部门", "时长（分钟）", "状态"]
    table = [[r["visit"].day.isoformat(), r["visit"].firm.name, r["visit"].firm.uscc, r["visit"].firm.district.name,
              r["departments"], r["minutes"] if r["minutes"] is not None else "", r["visit"].status_label]
             for r in _drill_rows(scope, drill)]
    return table_file("入企检查", header, table, fmt,
                      f"入企检查-{scope.year}{'-' + str(drill.month) if drill.month else ''}")


@bp.get("/oversight/departments.<fmt>")
@roles_required("oversight", "admin")
def export_departments(fmt: str):
    scope = _scope()
    header = ["部门", "入企次数", "其中联合", "折合入企", "上年同期", "同比", "排程基线（单独检查）", "排程折合", "联合减少"]
    table = [[r.name, r.entries, r.joint, round(r.shared, 1), r.last_year,
              f"{r.change:+.0%}" if r.change is not None else "", r.scheduled_alone, round(r.scheduled_shared, 1),
              f"{r.saved:.0%}" if r.saved is not None else ""] for r in kpis.department_figures(db(), scope, clock.today())]
    return table_file("部门", header, table, fmt, f"部门入企-{scope.year}")


@bp.get("/oversight/plans")
@roles_required("oversight", "admin")
def drill_plans():
    """The plans behind 按时完成率: every plan of the year whose period has ended, late ones first."""
    scope = _scope()
    plans = db().scalars(kpis.ended_plans(scope, clock.today())
                         .options(selectinload(InspectionPlan.department))
                         .order_by(InspectionPlan.period_end, InspectionPlan.id)).all()
    plans = sorted(plans, key=lambda p: (p.status == "completed", p.period_end, p.id))
    tasks = oversight_queries.task_counts_of_plans(db(), [p.id for p in plans])
    return render_template("oversight/plans.html", plans=plans, tasks=tasks, scope=scope, args=_scope_args(scope),
                           period=period_label(scope))


@bp.get("/oversight/offsite")
@roles_required("oversight", "admin")
def drill_offsite():
    """The off-site checks behind a figure: concluded in the year (and month), closed or escalated."""
    scope, rows = _scope(), _offsite_rows()
    return render_template("oversight/offsite.html", rows=rows, scope=scope, month=_drill().month, period=period_label(scope),
                           args=_scope_args(scope, month=_drill().month, status=request.args.get("status")))


def _offsite_rows() -> list[OffsiteRequest]:
    stmt = kpis.offsite_requests(_scope(), _drill().month)
    if request.args.get("status") in ("closed", "escalated"):
        stmt = stmt.where(OffsiteRequest.status == request.args["status"])
    return db().scalars(stmt.options(selectinload(OffsiteRequest.firm), selectinload(OffsiteRequest.department))
                        .order_by(OffsiteRequest.closed_at, OffsiteRequest.id).limit(5000)).all()


@bp.get("/oversight/offsite.<fmt>")
@roles_required("oversight", "admin")
def export_offsite(fmt: str):
    header = ["办结时间", "企业", "统一社会信用代码", "部门", "结果", "转现场理由"]
    table = [[clock.to_local(r.closed_at).strftime("%Y-%m-%d"), r.firm.name, r.firm.uscc, r.department.name,
              r.status_label, r.escalation_reason or ""] for r in _offsite_rows()]
    return table_file("非现场核查", header, table, fmt, f"非现场核查-{_scope().year}")


ALERT_HEADER = ["编号", "规则", "状态", "内容", "部门", "企业", "统一社会信用代码", "发现时间", "处理说明"]


@bp.get("/oversight/alerts.<fmt>")
@roles_required("oversight", "admin")
def export_alerts(fmt: str):
    rows, firms, departments = oversight_queries.alerts(db(), **_alert_selection())
    table = [[a.id, a.rule_label, a.status_label, a.title, departments[a.department_id].name if a.department_id else "",
              firms[a.firm_id].name if a.firm_id else "", firms[a.firm_id].uscc if a.firm_id else "",
              clock.to_local(a.raised_at).strftime("%Y-%m-%d %H:%M"), a.note] for a in rows]
    return table_file("监督预警", ALERT_HEADER, table, fmt, "监督预警")


@bp.get("/oversight/report")
@roles_required("oversight", "admin")
def monthly_report():
    """A month on one printable page: entries by department, joint share, publication, evaluations, alerts."""
    session = db()
    today = clock.today()
    year = year_arg(default=today.year)
    month = month_arg(default=today.month)
    rows = []
    for department in session.scalars(queries.departments()):
        scope = Scope(year, department.code)
        # The same days of last year's month: while the month runs, up to today's date.
        rows.append({"department": department, "entries": kpis.monthly_entries(session, scope)[month - 1],
                     "last_year": kpis.monthly_entries(session, kpis.year_before(scope, today))[month - 1]})
    city = Scope(year)
    first = dt.datetime(year, month, 1)
    following = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    raised = oversight_queries.alerts_raised(session, first, following)
    running = (year, month) == (today.year, today.month)
    return render_template("oversight/report.html", year=year, month=month, rows=rows, running=running,
                           years=range(today.year, today.year - 6, -1),
                           entries=kpis.monthly_entries(session, city)[month - 1],
                           joint=kpis.joint_share(session, city), published=kpis.publication_rate(session, city, today),
                           evaluation=kpis.average_evaluation(session, city), raised=raised, rules=ALERT_RULES,
                           today=today)
