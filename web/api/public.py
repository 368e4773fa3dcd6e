"""一公开: published draw records and plan commitments, without login."""
from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from inspection import queries
from inspection.models import InspectionPlan

from ..database import db
from .schemas import DrawRecordSchema

PREFIX = "/public"
blp = Blueprint("api_public", __name__, description="公开信息（无需登录）")


@blp.get("/plans/<int:plan_id>/draw")
@blp.response(200, DrawRecordSchema)
def draw_record(plan_id: int):
    """The draw record (docs/protocols/draws.md); 404 until the plan is drawn."""
    plan = db().scalar(queries.public_plans().where(InspectionPlan.id == plan_id))
    if plan is None or plan.draw is None:
        abort(404)
    return plan.draw.record
