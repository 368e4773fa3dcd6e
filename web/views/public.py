"""Pages without login: landing page and the event log's head."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from checklists.models import CatalogueItem, Department
from inspection.models import Firm
from inspection.operations.events import chain_head

from ..database import db
from .blueprint import bp


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("views.home"))
    session = db()
    stats = {
        "items": session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.status == "published")),
        "departments": session.scalar(select(func.count(Department.id))),
        "firms": session.scalar(select(func.count(Firm.id))),
    }
    return render_template("index.html", stats=stats)


@bp.get("/log")
def log_head():
    seq, head = chain_head(db())
    return render_template("log.html", seq=seq, head=head)


@bp.get("/healthz")
def health():
    return {"status": "ok"}
