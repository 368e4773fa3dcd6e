"""The home page of each role."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from checklists import queries as catalogue_queries
from core import clock
from inspection.operations.approvals import pending_plans
from inspection.operations.entries import EVALUATION_DAYS
from inspection.queries import homes

from ..database import db
from .blueprint import bp
from .notices import recent_notices
from .offsite import offsite_for_firm


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
        context.update(homes.department_home(session, department, today))
    elif role == "inspector":
        context["officer"] = current_user.officer
        context.update(homes.inspector_home(session, current_user.officer_id, current_user.department_id,
                                            clock.today()))
    elif role == "department_head":
        context["pending"] = session.scalars(pending_plans(current_user.department_id)).all()
    elif role == "enterprise":
        context["firm"] = current_user.firm
        context["offsite"] = offsite_for_firm(current_user.firm)
        context["today"] = clock.today()
        context["to_evaluate"] = homes.visits_to_evaluate(session, current_user.firm_id, context["today"],
                                                          EVALUATION_DAYS)
    else:
        context.update(homes.city_overview(session))
    # Oversight and admin read the same city-wide view.
    context["recent_notices"] = recent_notices
    template = "home/oversight.html" if role in ("oversight", "admin") else f"home/{role}.html"
    return render_template(template, **context)
