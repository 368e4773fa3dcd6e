"""The department's schedule page: a calendar of proposed visits, build with progress, lock, move, confirm."""
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import clock
from inspection.errors import DomainError
from inspection.models import Department, InspectionPlan, InspectionTask, ScheduleRun, Visit
from inspection.operations.schedules import PASS_REASONS, confirm_schedule, lock_visit, move_visit, start_build
from inspection.pure.timestamps import parse_day

from ..auth import roles_required
from ..database import db
from ..jobs import submit_schedule_run
from .blueprint import bp
from .outcomes import attempt, refused


def _plan(plan_id: int) -> InspectionPlan:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or plan.department_id != current_user.department_id:
        abort(404)
    return plan


def _months(start: dt.date, end: dt.date):
    """Weeks of each month of the period, as lists of dates (None outside the month)."""
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        yield f"{year}年{month}月", [[d if d.month == month else None for d in week] for week in weeks]
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@bp.get("/plans/<int:plan_id>/schedule")
@roles_required("department")
def schedule(plan_id: int):
    plan = _plan(plan_id)
    session = db()
    visits = session.scalars(
        select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
        .where(InspectionTask.plan_id == plan.id).distinct()
        .options(selectinload(Visit.tasks).selectinload(InspectionTask.plan), selectinload(Visit.firm),
                 selectinload(Visit.officers)).order_by(Visit.day, Visit.id)).all()
    by_day = defaultdict(list)
    for visit in visits:
        by_day[visit.day].append(visit)
    # The latest build that took this plan in (a build of another plan of the period is not this plan's).
    run = next((r for r in session.scalars(
        select(ScheduleRun).where(ScheduleRun.period_start <= plan.period_end,
                                  ScheduleRun.period_end >= plan.period_start).order_by(ScheduleRun.id.desc()))
        if plan.id in (r.plan_ids or [])), None)
    unscheduled = [t for t in plan.tasks if t.status == "pending" and t.visit_id is None and t.unscheduled_reason]
    # The plan's own figures: a build's statistics cover every plan of its period, and a later build of the
    # period only what it placed anew.
    figures = {"visits": len(visits), "joint": sum(1 for v in visits if v.joint),
               "separate": sum(len({t.plan.department_id for t in v.tasks}) for v in visits),
               "unscheduled": len(unscheduled)}
    return render_template("plans/schedule.html", plan=plan, visits=visits, by_day=by_day,
                           months=list(_months(plan.period_start, plan.period_end)), run=run,
                           quality=_quality(session, run),
                           unscheduled=unscheduled, reasons=PASS_REASONS, figures=figures,
                           running=run is not None and run.status in ("queued", "running"), today=clock.today())


def _quality(session, run: ScheduleRun | None) -> dict | None:
    """What the solver proved of the period's last build (every department's plans together): which of its
    objectives no schedule can better (unscheduled tasks, then visits), how many tasks any schedule must
    leave out, how many of those cannot be placed even alone, and the departments whose officers the joint
    bound weighed together. None before a build is done."""
    stats = (run.stats or {}) if run is not None and run.status == "done" else {}
    if "unscheduled_lower_bound" not in stats:
        return None
    codes = stats.get("unscheduled_joint_departments") or []
    names = dict(session.execute(select(Department.code, Department.short_name)
                                 .where(Department.code.in_(codes))).all()) if codes else {}
    proven = stats.get("optimal_objectives")
    if proven is None:
        proven = ["unscheduled", "visits"] if stats.get("status") == "OPTIMAL" else []
    return {"unscheduled": stats.get("unscheduled", 0), "bound": stats["unscheduled_lower_bound"],
            "forced": stats.get("unscheduled_forced", 0), "visits": stats.get("visits", 0),
            "fewest_left_out": "unscheduled" in proven, "fewest_visits": "visits" in proven,
            "departments": [names.get(code, code) for code in codes]}


@bp.post("/plans/<int:plan_id>/schedule/build")
@roles_required("department")
def build_schedule(plan_id: int):
    plan = _plan(plan_id)
    try:
        run = start_build(db(), current_user, plan)
        if run.status == "queued":
            submit_schedule_run(run)
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.plan", plan_id=plan.id))
    return redirect(url_for("views.schedule", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/schedule/confirm")
@roles_required("department")
def confirm(plan_id: int):
    plan = _plan(plan_id)
    return attempt(lambda: confirm_schedule(db(), current_user, plan),
                   "排程已确认；各部门都确认后的联合检查即成为正式安排", url_for("views.schedule", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/visits/<int:visit_id>/<action>")
@roles_required("department")
def visit_action(plan_id: int, visit_id: int, action: str):
    plan = _plan(plan_id)
    visit = db().get(Visit, visit_id)
    if visit is None or plan.id not in {t.plan_id for t in visit.tasks}:
        abort(404)
    try:
        if action == "lock":
            lock_visit(db(), current_user, visit, not visit.locked)
            flash("已锁定：重新生成排程时保留该企业和日期，检查人员重新配备" if visit.locked else "已解锁", "success")
        elif action == "move":
            day = parse_day(request.form.get("day", ""), "day", "新的日期")
            move_visit(db(), current_user, visit, day)
            flash(f"已改到 {day:%Y-%m-%d} 并锁定；重新生成排程后配备检查人员", "success")
        else:
            abort(404)
    except DomainError as err:
        refused(err)
    return redirect(url_for("views.schedule", plan_id=plan.id) + f"#visit-{visit.id}")
