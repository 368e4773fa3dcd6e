"""Who may inspect whom: quiet periods, departments' yearly caps, officers' conflicts of interest."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from inspection import queries
from inspection.errors import NotFound
from inspection.models import Department, District, Officer, QuietPeriod
from inspection.operations.quiet import declare_quiet_period
from inspection.operations.rules import declare_conflict, set_yearly_cap
from inspection.permissions import officer_of_department

from ..auth import roles_required
from ..database import db
from .schemas import (
    ConflictInSchema,
    ConflictSchema,
    DepartmentSchema,
    QuietPeriodInSchema,
    QuietPeriodSchema,
    YearlyCapSchema,
)

PREFIX = ""
blp = Blueprint("api_rules", __name__, description="宁静期、年度检查上限与回避")


@blp.get("/quiet-periods")
@roles_required("department", "inspector", "oversight", "admin")
@blp.response(200, QuietPeriodSchema(many=True))
def quiet_periods():
    return db().scalars(select(QuietPeriod).order_by(QuietPeriod.id)).all()


@blp.post("/quiet-periods")
@roles_required("department", "oversight", "admin")
@blp.arguments(QuietPeriodInSchema)
@blp.response(201, QuietPeriodSchema)
def new_quiet_period(body):
    session = db()
    district = firm = None
    if body.get("district"):
        district = session.scalar(select(District).where(District.code == body["district"]))
        if district is None:
            raise NotFound(f"未知区县 {body['district']}", fields={"district": "未知区县"})
    if body.get("firm"):
        firm = session.scalar(queries.firm_by_uscc(), {"uscc": body["firm"]})
        if firm is None:
            raise NotFound(f"未知企业 {body['firm']}", fields={"firm": "未知企业"})
    return declare_quiet_period(session, current_user, scope=body["scope"], reason=body["reason"], district=district,
                                firm=firm, days_of_month=body.get("days_of_month"), start=body.get("start"),
                                end=body.get("end"), evidence=body.get("evidence"))


@blp.put("/departments/<code>/yearly-cap")
@roles_required("department")
@blp.arguments(YearlyCapSchema)
@blp.response(200, DepartmentSchema)
def yearly_cap(body, code: str):
    department = db().scalar(select(Department).where(Department.code == code))
    if department is None:
        abort(404)
    return set_yearly_cap(db(), current_user, department, body["yearly_cap"])


@blp.post("/officers/<certificate_no>/conflicts")
@roles_required("department", "inspector")
@blp.arguments(ConflictInSchema)
@blp.response(201, ConflictSchema)
def conflict(body, certificate_no: str):
    session = db()
    officer = session.scalar(select(Officer).where(Officer.certificate_no == certificate_no))
    if officer is None or not officer_of_department(current_user, officer):
        abort(404)
    firm = session.scalar(queries.firm_by_uscc(), {"uscc": body["firm"]})
    if firm is None:
        raise NotFound(f"未知企业 {body['firm']}", fields={"firm": "未知企业"})
    return declare_conflict(session, current_user, officer, firm, body["reason"])
