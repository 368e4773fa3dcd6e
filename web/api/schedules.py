"""Combined scheduling (综合查一次): builds with progress, visits, lock, move, confirm."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from inspection.models import InspectionPlan, InspectionTask, ScheduleRun, Visit
from inspection.operations.schedules import confirm_schedule, lock_visit, move_visit, start_build
from inspection.permissions import can_view_plan

from ..auth import roles_required
from ..database import db
from ..jobs import submit_schedule_run
from .schemas import PlanSchema, RankingSchema, ScheduleRunSchema, VisitLockSchema, VisitMoveSchema, VisitSchema

PREFIX = ""
blp = Blueprint("api_schedules", __name__, description="综合查一次：排程与入企安排")
OFFICIALS = ("department", "oversight", "admin")


def _plan(plan_id: int) -> InspectionPlan:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or not can_view_plan(current_user, plan):
        abort(404)
    return plan


def _visit(visit_id: int) -> Visit:
    visit = db().get(Visit, visit_id)
    if visit is None:
        abort(404)
    if current_user.role == "department" and current_user.department_id not in {t.plan.department_id
                                                                                 for t in visit.tasks}:
        abort(404)
    return visit


@blp.post("/plans/<int:plan_id>/schedule")
@roles_required("department")
@blp.response(202, ScheduleRunSchema)
def build(plan_id: int):
    """Start (or join) the build of the combined schedule of the plan's period; poll the run."""
    run = start_build(db(), current_user, _plan(plan_id))
    if run.status == "queued":
        submit_schedule_run(run)
    return run


@blp.get("/schedule-runs/<int:run_id>")
@roles_required(*OFFICIALS)
@blp.response(200, ScheduleRunSchema)
def get_run(run_id: int):
    run = db().get(ScheduleRun, run_id)
    if run is None:
        abort(404)
    return run


@blp.get("/plans/<int:plan_id>/visits")
@roles_required(*OFFICIALS)
@blp.response(200, VisitSchema(many=True))
def plan_visits(plan_id: int):
    plan = _plan(plan_id)
    return db().scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                        .where(InspectionTask.plan_id == plan.id).distinct()
                        .options(selectinload(Visit.tasks), selectinload(Visit.officers))
                        .order_by(Visit.day, Visit.id)).all()


@blp.get("/visits/<int:visit_id>/ranking")
@roles_required(*OFFICIALS)
@blp.response(200, RankingSchema(many=True))
def ranking(visit_id: int):
    return _visit(visit_id).rankings


@blp.post("/visits/<int:visit_id>/lock")
@roles_required("department")
@blp.arguments(VisitLockSchema)
@blp.response(200, VisitSchema)
def lock(body, visit_id: int):
    return lock_visit(db(), current_user, _visit(visit_id), body["locked"])


@blp.post("/visits/<int:visit_id>/move")
@roles_required("department")
@blp.arguments(VisitMoveSchema)
@blp.response(200, VisitSchema)
def move(body, visit_id: int):
    return move_visit(db(), current_user, _visit(visit_id), body["day"])


@blp.post("/plans/<int:plan_id>/confirm")
@roles_required("department")
@blp.response(200, PlanSchema)
def confirm(plan_id: int):
    return confirm_schedule(db(), current_user, _plan(plan_id))
