"""Flexible-enforcement lists (包容审慎清单): published lists are public; a department publishes its own."""
from __future__ import annotations

import hashlib
import json

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, post_load

from inspection import queries
from inspection.operations.leniency import publish_list

from ..auth import roles_required
from ..database import db
from .schemas import BaseSchema, Day, Str, length

PREFIX = ""
blp = Blueprint("api_leniency", __name__, description="包容审慎监管清单")


class LeniencyListInSchema(BaseSchema):
    department = Str(validate=length(1, 32))
    version = Str(required=True, validate=length(1, 32))
    title = Str(required=True, validate=length(2, 200))
    effective_from = Day(required=True)
    effective_to = Day(allow_none=True)
    first_offence_years = fields.Integer(metadata={"description": "首违认定期限（年），默认 1"})
    entries = fields.List(fields.Dict(), load_default=None,
                          metadata={"description": "条目；也可按四张清单分列 no_penalty、reduced、lighter、heavier"})
    no_penalty = fields.List(fields.Dict())
    reduced = fields.List(fields.Dict())
    lighter = fields.List(fields.Dict())
    heavier = fields.List(fields.Dict())
    # The same, under the headings the lists are published with.
    no_penalty_cn = fields.List(fields.Dict(), data_key="不予处罚清单")
    reduced_cn = fields.List(fields.Dict(), data_key="减轻处罚清单")
    lighter_cn = fields.List(fields.Dict(), data_key="从轻处罚清单")
    heavier_cn = fields.List(fields.Dict(), data_key="从重处罚清单")
    first_offence_years_cn = fields.Integer(data_key="首违认定期限（年）")

    @post_load
    def published_headings(self, data, **kwargs):
        """Keep the published headings as the list file has them (the operation reads both)."""
        return {self.fields[k].data_key if k.endswith("_cn") else k: v for k, v in data.items()}


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
