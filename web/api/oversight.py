"""Oversight's alerts: run the audit rules, list the alerts, explain or close them."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from core import clock
from inspection.models import Alert
from inspection.operations.alerts import handle_alert, refresh_alerts

from ..auth import roles_required
from ..database import db
from .schemas import AlertQuerySchema, AlertSchema, AlertUpdateSchema

PREFIX = "/oversight"
blp = Blueprint("api_oversight", __name__, description="行政执法监督：预警")


@blp.post("/alerts/refresh")
@roles_required("oversight", "admin")
@blp.response(200)
def refresh():
    return refresh_alerts(db(), today=clock.today())


@blp.get("/alerts")
@roles_required("oversight", "admin")
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertSchema(many=True))
def alerts(args):
    stmt = select(Alert).order_by(Alert.id.desc())
    if args.get("rule"):
        stmt = stmt.where(Alert.rule == args["rule"])
    if args.get("status"):
        stmt = stmt.where(Alert.status == args["status"])
    return db().scalars(stmt.limit(1000)).all()


@blp.post("/alerts/<int:alert_id>")
@roles_required("oversight", "admin")
@blp.arguments(AlertUpdateSchema)
@blp.response(200, AlertSchema)
def update(body, alert_id: int):
    alert = db().get(Alert, alert_id)
    if alert is None:
        abort(404)
    return handle_alert(db(), current_user, alert, body["status"], body["note"])
