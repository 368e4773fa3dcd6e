"""Health endpoints for load balancers and process managers: ``/health`` says the process answers
(it touches nothing); ``/health/ready`` also asks the database and answers 503 when it cannot."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .limits import limiter
from .session import db, discard

bp = Blueprint("health", __name__)


@bp.get("/health")
@bp.get("/healthz")
@limiter.exempt
def alive():
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
@limiter.exempt
def ready():
    try:
        db().execute(text("select 1"))
    except SQLAlchemyError as exc:
        discard()
        return jsonify({"status": "unavailable", "database": type(exc).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
