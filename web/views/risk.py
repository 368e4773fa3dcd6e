"""The early-warning model (预警模型) for admins and oversight: its versions with their evaluation on a
year they had not seen, the features it reads (and those it never reads), and retraining in the background."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from inspection import queries
from inspection.errors import DomainError
from inspection.models import RiskModel
from inspection.operations.risk import queue_training
from inspection.pure import risk

from ..auth import roles_required
from ..database import db
from ..jobs import live_progress, submit_risk_training
from ..presenters.risk import model_summary
from .blueprint import bp
from .outcomes import refused


@bp.get("/admin/risk")
@roles_required("admin", "oversight")
def risk_models():
    session = db()
    models = session.scalars(queries.risk_models()).all()
    current = session.scalar(queries.published_risk_model())
    running = session.scalar(select(RiskModel).where(RiskModel.status.in_(("queued", "running"))))
    live = live_progress("risk", running.id) if running else None
    return render_template("admin/risk.html", models=[(m, model_summary(m)) for m in models], current=current,
                           running=running, live=live, features=risk.FEATURES, excluded=risk.EXCLUDED)


@bp.post("/admin/risk")
@roles_required("admin", "oversight")
def risk_train():
    try:
        model = queue_training(db(), current_user)
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.risk_models"))
    submit_risk_training(model, current_user)
    flash(f"预警模型版本 {model.version} 已开始训练", "success")
    return redirect(url_for("views.risk_models"))
