"""The home page of each role."""
from __future__ import annotations

import datetime as dt

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from checklists import queries as catalogue_queries
from checklists.models import CatalogueItem
from core import clock
from inspection import queries
from inspection.models import (
    Alert,
    Department,
    District,
    Evaluation,
    Event,
    Firm,
    InspectionPlan,
    Officer,
    OffsiteRequest,
    User,
    Visit,
)
from inspection.operations.approvals import pending_plans
from inspection.operations.entries import EVALUATION_DAYS, local_today
from inspection.operations.events import chain_head, utcnow

from ..database import db
from .blueprint import bp
from .notices import recent_notices
from .offsite import offsite_for_firm
from .visits import officer_visits


@bp.get("/home")
@login_required
def home():
    session = db()
    role = current_user.role
    today = clock.today()
    context: dict = {"today": today}
    if role == "department":
        department = current_user.department
        context["items"] = session.scalars(catalogue_queries.published_items(department.code)).all()
        context["plans"] = session.scalars(queries.plans_of(department.id).limit(20)).all()
        context["officers"] = session.scalar(select(func.count(Officer.id))
                                             .where(Officer.department_id == department.id))
        context["certified"] = session.scalar(select(func.count(Officer.id)).where(
            Officer.department_id == department.id, Officer.active.is_(True),
            Officer.valid_from <= today, Officer.valid_to >= today))
    elif role == "inspector":
        context["officer"] = current_user.officer
        now = local_today(utcnow())
        upcoming = officer_visits(current_user.officer_id, now, now + dt.timedelta(days=14))
        context["visits"] = [v for v in upcoming if v.day == now]
        context["upcoming"] = [v for v in upcoming if v.day != now]
        context["offsite_pending"] = session.scalar(select(func.count()).select_from(
            queries.pending_offsite_tasks(current_user.department_id, now).subquery()))
        context["offsite_review"] = session.scalar(select(func.count(OffsiteRequest.id)).where(
            OffsiteRequest.department_id == current_user.department_id, OffsiteRequest.status == "answered"))
    elif role == "department_head":
        context["pending"] = session.scalars(pending_plans(current_user.department_id)).all()
    elif role == "enterprise":
        context["firm"] = current_user.firm
        context["offsite"] = offsite_for_firm(current_user.firm)
        context["today"] = local_today(utcnow())
        context["to_evaluate"] = [(v, v.day + dt.timedelta(days=EVALUATION_DAYS)) for v in session.scalars(
            select(Visit).where(Visit.firm_id == current_user.firm_id, Visit.status == "completed",
                                Visit.day >= context["today"] - dt.timedelta(days=EVALUATION_DAYS),
                                ~select(Evaluation.id).where(Evaluation.visit_id == Visit.id).exists())
            .order_by(Visit.day.desc()))]
    else:
        context["by_district"] = session.execute(
            select(District.name, func.count(Firm.id)).join(Firm, Firm.district_id == District.id)
            .group_by(District.name, District.code).order_by(District.code)).all()
        context["by_class"] = dict(session.execute(
            select(Firm.credit_class, func.count(Firm.id)).group_by(Firm.credit_class)).all())
        context["firms"] = sum(n for _, n in context["by_district"])
        context["items"] = session.scalar(select(func.count(CatalogueItem.id))
                                          .where(CatalogueItem.status == "published"))
        context["plans"] = session.scalar(select(func.count(InspectionPlan.id)))
        context["users"] = session.scalar(select(func.count(User.id)))
        context["open_alerts"] = session.scalar(select(func.count(Alert.id)).where(Alert.status == "open"))
        context["head"] = chain_head(session)
        context["exceptions"] = session.execute(
            select(Department.short_name, func.count(InspectionPlan.id),
                   func.count(InspectionPlan.quiet_exception))
            .join(InspectionPlan, InspectionPlan.department_id == Department.id)
            .where(InspectionPlan.status != "draft").group_by(Department.id, Department.short_name)
            .order_by(Department.id)).all()
        context["evaluations"] = session.execute(
            select(Evaluation, Visit, Firm).join(Visit, Visit.id == Evaluation.visit_id)
            .join(Firm, Firm.id == Visit.firm_id)
            .order_by((Evaluation.complaint.is_not(None)).desc(), Evaluation.score, Evaluation.id.desc())
            .limit(10)).all()
        context["refusals"] = session.scalars(select(Event).where(Event.kind == "refused")
                                              .order_by(Event.seq.desc()).limit(10)).all()
    # Oversight and admin read the same city-wide view.
    context["recent_notices"] = recent_notices
    template = "home/oversight.html" if role in ("oversight", "admin") else f"home/{role}.html"
    return render_template(template, **context)
