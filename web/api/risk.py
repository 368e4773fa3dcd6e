"""The early-warning model: versions and their evaluation, a firm's scores with their top factors,
retraining in the background, and complaints and leads about firms."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from inspection import queries
from inspection.models import RiskModel
from inspection.operations.door import import_hotline
from inspection.operations.risk import queue_training, record_lead

from ..auth import roles_required
from ..database import db
from ..jobs import submit_risk_training
from ..loading import firm_or_404
from ..presenters.risk import firm_risk, model_summary
from .schemas import HotlineImportSchema, LeadInSchema, RiskModelSchema

PREFIX = ""
blp = Blueprint("api_risk", __name__, description="预警模型与投诉举报线索")


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
