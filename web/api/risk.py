"""The early-warning model: versions and their evaluation, a firm's scores with their top factors,
retraining in the background, and complaints and leads about firms."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from inspection import queries
from inspection.models import LEAD_KINDS, RiskModel
from inspection.operations.door import import_hotline
from inspection.operations.risk import queue_training, record_lead

from ..auth import roles_required
from ..database import db
from ..jobs import submit_risk_training
from ..loading import firm_or_404
from ..presenters.risk import firm_risk, model_summary
from .schemas import BaseSchema, Day, Str, length, one_of

PREFIX = ""
blp = Blueprint("api_risk", __name__, description="预警模型与投诉举报线索")


class LeadInSchema(BaseSchema):
    kind = Str(required=True, validate=one_of(list(LEAD_KINDS)),
               metadata={"description": "线索来源：complaint 12345 热线投诉举报, referral 移送, accident 事故报告, "
                                        "hazard 隐患报告, assignment 督办交办, platform 平台发现"})
    received_on = Day(required=True)
    reference = Str(required=True, validate=length(1, 64), metadata={"description": "来源渠道的编号（工单号、文号）"})
    summary = Str(load_default="", validate=length(max_=1000))
    source = Str(load_default="", validate=length(max_=100), metadata={"description": "线索来自哪里（移送机关等）"})


class HotlineRecordSchema(BaseSchema):
    hotline_no = Str(required=True, validate=length(1, 64), metadata={"description": "12345 热线工单号"})
    uscc = Str(required=True, validate=length(1, 18))
    received_on = Day(required=True)
    summary = Str(required=True, validate=length(max_=1000))


class HotlineImportSchema(BaseSchema):
    records = fields.List(fields.Nested(HotlineRecordSchema), required=True, validate=length(1, 5000))


class RiskModelSchema(BaseSchema):
    version = Str()
    status = Str()
    trained_at = Str(allow_none=True)
    test_year = fields.Integer(allow_none=True)
    train_years = fields.List(fields.Integer())
    fit_years = fields.List(fields.Integer())
    features = fields.List(Str())
    examples = fields.Integer()
    scores = fields.Integer()
    auc = fields.Float(allow_none=True)
    random_per_100 = fields.Float(allow_none=True)
    weighted_per_100 = fields.Float(allow_none=True)
    days_earlier = fields.Float(allow_none=True)
    message = Str()


@blp.get("/risk-models")
@roles_required("admin", "oversight", "department")
@blp.response(200, RiskModelSchema(many=True))
def models():
    return [model_summary(m) for m in db().scalars(queries.risk_models())]


@blp.get("/risk-models/<version>")
@roles_required("admin", "oversight", "department")
@blp.response(200)
def model(version: str):
    """A version's recipe, coefficients and full evaluation."""
    found = db().scalar(select(RiskModel).where(RiskModel.version == version))
    if found is None:
        abort(404)
    return {**model_summary(found), "params": found.params, "metrics": found.metrics}


@blp.post("/risk-models")
@roles_required("admin", "oversight")
@blp.response(202, RiskModelSchema)
def retrain():
    """Train a new version in the background (inline in tests); poll ``GET /risk-models/<version>``."""
    queued = queue_training(db(), current_user)
    submit_risk_training(queued, current_user)
    return model_summary(queued)


@blp.get("/firms/<uscc>/risk")
@roles_required("admin", "oversight", "department")
@blp.response(200)
def firm_scores(uscc: str):
    """The firm's scores under the model in force (a department sees its own), with the top factors."""
    firm = firm_or_404(uscc)
    found = firm_risk(db(), firm, current_user)
    if found is None:
        abort(404)
    return found


@blp.post("/firms/<uscc>/leads")
@roles_required("department")
@blp.arguments(LeadInSchema)
@blp.response(201)
def lead(body, uscc: str):
    firm = firm_or_404(uscc, visible_only=False)
    row = record_lead(db(), current_user, firm, kind=body["kind"], received_on=body["received_on"],
                      reference=body["reference"], summary=body["summary"], source=body["source"])
    return _lead(row)


def _lead(row) -> dict:
    return {"id": row.id, "kind": row.kind, "received_on": row.received_on.isoformat(), "reference": row.reference,
            "source": row.source, "via": row.via}


@blp.post("/leads/hotline")
@roles_required("department")
@blp.arguments(HotlineImportSchema)
@blp.response(201)
def hotline(body):
    """12345 hotline work orders dispatched to the department, as the hotline sends them: every record is
    checked first (firm, jurisdiction, work order number, content, date) and nothing is written on any error."""
    rows = import_hotline(db(), current_user, current_user.department, body["records"])
    return {"imported": len(rows), "leads": [_lead(r) for r in rows]}
