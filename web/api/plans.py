"""Inspection plans of a department (事前备案)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from inspection import queries
from inspection.models import InspectionPlan
from inspection.operations.plans import create_plan
from inspection.permissions import can_view_plan

from ..auth import roles_required
from ..database import db
from ..schemas import PlanCreateSchema
from .schemas import PlanSchema

PREFIX = "/plans"
blp = Blueprint("api_plans", __name__, description="检查计划")


@blp.get("")
@roles_required("department", "oversight", "admin")
@blp.response(200, PlanSchema(many=True))
def list_plans():
    department = current_user.department_id if current_user.role == "department" else None
    return db().scalars(queries.plans_of(department)).all()


@blp.post("")
@roles_required("department")
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
def new_plan(body):
    return create_plan(db(), current_user, title=body["title"], period_start=body["period_start"],
                       period_end=body["period_end"], item_codes=body["items"], lead=body.get("lead"))


@blp.get("/<int:plan_id>")
@login_required
@blp.response(200, PlanSchema)
def get_plan(plan_id: int):
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or not can_view_plan(current_user, plan):
        abort(404)
    return plan
