"""Flexible-enforcement lists (包容审慎清单): published lists are public; a department publishes its own."""
from __future__ import annotations

import hashlib
import json

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from inspection import queries
from inspection.operations.leniency import publish_list

from ..auth import roles_required
from ..database import db
from .schemas import LeniencyListInSchema

PREFIX = ""
blp = Blueprint("api_leniency", __name__, description="包容审慎监管清单")


def _summary(row) -> dict:
    return {"id": row.id, "department": row.department.code, "version": row.version, "title": row.title,
            "effective_from": row.effective_from.isoformat(),
            "effective_to": row.effective_to.isoformat() if row.effective_to else None, "status": row.status,
            "sha256": row.source_sha256, "entries": len(row.entries)}


def _detail(row) -> dict:
    return {**_summary(row), "first_offence_months": row.lookback_months, "entries": [
        {"item": e.item.code if e.item else None, "point": e.point.position if e.point else None,
         "point_text": e.point.text if e.point else None, "treatment": e.treatment, "conditions": e.conditions,
         "basis": e.basis, "guidance": e.guidance, "code": e.code, "offence": e.offence, "legal_basis": e.legal_basis,
         "penalty_basis": e.penalty_basis, "conditions_text": e.conditions_text, "fine_min": e.fine_min,
         "fine_max": e.fine_max} for e in row.entries]}


@blp.get("/public/leniency-lists")
@blp.response(200)
def lists():
    return [_summary(row) for row in db().scalars(queries.leniency_lists())]


@blp.get("/public/leniency-lists/<int:list_id>")
@blp.response(200)
def one(list_id: int):
    row = db().scalar(queries.leniency_list(list_id))
    if row is None:
        abort(404)
    return _detail(row)


@blp.post("/leniency-lists")
@roles_required("department")
@blp.arguments(LeniencyListInSchema)
@blp.response(201)
def publish(body):
    """Publish a new version of the department's list (same shape as the YAML file); any bad entry refuses
    the whole list with every problem listed."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    row, status = publish_list(db(), current_user, body, label="请求", sha256=digest)
    return {**_detail(row), "result": status}
