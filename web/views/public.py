"""Pages without login: landing page and the event log's head."""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from checklists.models import CatalogueItem, Department
from inspection import queries
from inspection.models import Firm, InspectionPlan
from inspection.operations.draws import exclusion_label
from inspection.operations.events import chain_head

from ..database import db
from .blueprint import bp


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: the platform's icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


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


PROTOCOLS = Path(__file__).resolve().parents[2] / "docs" / "protocols"


@bp.get("/protocols/<name>")
def protocol(name: str):
    """The project's protocol pages (docs/protocols/*.md) as text, for anyone writing their own checker."""
    names = {p.stem: p for p in PROTOCOLS.glob("*.md")} if PROTOCOLS.is_dir() else {}
    if name not in names:
        abort(404)
    return Response(names[name].read_text(encoding="utf-8"), mimetype="text/plain")


@bp.get("/public/plans")
def public_plans():
    """一公开: every filed plan with its seed commitment; drawn plans with their record; targeted plans
    (on a lead) only once their results are published, and then without their title."""
    rows = db().scalars(queries.public_plans()
                        .options(selectinload(InspectionPlan.department), selectinload(InspectionPlan.campaign))
                        .order_by(InspectionPlan.id.desc()).limit(200)).all()
    return render_template("public/plans.html", plans=rows)


@bp.get("/public/plans/<int:plan_id>")
def public_plan(plan_id: int):
    plan = db().scalar(queries.public_plans().where(InspectionPlan.id == plan_id))
    if plan is None:
        abort(404)
    record = plan.draw.record if plan.draw else None
    firms = {}
    if record:
        firms = {f.uscc: f for f in db().scalars(select(Firm).where(Firm.uscc.in_(record["selected"])))}
    weights = {e["uscc"]: e["weight"] for e in record["pool"] if "weight" in e} if record else {}
    return render_template("public/plan.html", plan=plan, record=record, firms=firms, label=exclusion_label,
                           weights=weights)
