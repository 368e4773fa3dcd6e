"""Plans of a department (事前备案): list and a form that files a draft through the catalogue gate."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from checklists import queries as catalogue_queries
from inspection import queries
from inspection.errors import DomainError
from inspection.operations.plans import create_plan

from ..auth import roles_required
from ..database import db
from ..schemas import PlanCreateSchema
from .blueprint import bp


@bp.get("/plans")
@roles_required("department")
def plans():
    rows = db().scalars(queries.plans_of(current_user.department_id)).all()
    return render_template("plans/list.html", plans=rows)


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required("department")
def new_plan():
    session = db()
    items = session.scalars(catalogue_queries.published_items(current_user.department.code)).all()
    if request.method == "GET":
        return render_template("plans/new.html", items=items, form={}, errors={})
    raw = {"title": request.form.get("title", ""), "period_start": request.form.get("period_start", ""),
           "period_end": request.form.get("period_end", ""), "items": request.form.getlist("items"),
           "lead": request.form.get("lead") or None}
    try:
        data = PlanCreateSchema().load(raw)
        plan = create_plan(session, current_user, title=data["title"], period_start=data["period_start"],
                           period_end=data["period_end"], item_codes=data["items"], lead=data.get("lead"))
    except ValidationError as err:
        return render_template("plans/new.html", items=items, form=raw, errors=err.messages), 422
    except DomainError as err:
        return render_template("plans/new.html", items=items, form=raw, errors=err.fields,
                               error=err.message), err.status
    flash(f"检查计划「{plan.title}」已保存为草稿", "success")
    return redirect(url_for("views.plans"))
