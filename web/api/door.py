"""At the door through the API: the scan-time prompt, invitations, postponement, back-filing an
emergency entry, the firm's report of an inspection without a valid code, the department's anonymous
evaluation summary, and offline records (devices, the day's bundle, sync)."""
from __future__ import annotations

import datetime as dt
import hashlib

from flask import abort, current_app
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from core import clock
from inspection.models import DOCUMENT_KINDS, FIELD_RECORD_KINDS, EntryToken, InspectionTask, Visit, VisitOfficer
from inspection.operations.documents import FIELD_RECORD_FIELDS
from inspection.operations.door import backfile, invite, postpone, prompt_for, report_no_code
from inspection.operations.offline import register_device, sync_records
from inspection.queries.kpis import evaluation_summary

from ..auth import roles_required
from ..database import db
from ..limits import device_limit
from ..loading import firm_or_404
from ..presenters.visits import jsonable_prompt, visit_sheet
from ..views.door import MIN_GROUP
from .schemas import (
    BackfileSchema,
    DeviceSchema,
    NoCodeSchema,
    ReasonInSchema,
    SyncSchema,
    TaskRefSchema,
    YearQuerySchema,
)

PREFIX = ""
blp = Blueprint("api_door", __name__, description="扫码提示、依线索与紧急入企、断网补录、匿名评价、未亮码反映")


def _own_visit(visit_id: int) -> Visit:
    visit = db().get(Visit, visit_id)
    if visit is None or current_user.officer_id not in {o.officer_id for o in visit.officers}:
        abort(404)
    return visit


@blp.get("/visits/<int:visit_id>/prompt")
@roles_required("inspector")
@blp.response(200)
def prompt(visit_id: int):
    """扫码提示: the firm's visits of the last 90 days, other departments' open tasks here."""
    visit = _own_visit(visit_id)
    return jsonable_prompt(prompt_for(db(), visit.firm, current_user.officer, visit.day, visit))


@blp.post("/visits/<int:visit_id>/invite")
@roles_required("inspector")
@blp.arguments(TaskRefSchema)
@blp.response(201)
def invite_department(body, visit_id: int):
    visit = _own_visit(visit_id)
    task = db().get(InspectionTask, body["task"])
    if task is None or task.firm_id != visit.firm_id:
        abort(404)
    row = invite(db(), current_user, visit, task)
    return {"invitation": row.id, "task": task.id, "status": row.status}


@blp.post("/visits/<int:visit_id>/postpone")
@roles_required("inspector")
@blp.arguments(ReasonInSchema)
@blp.response(200)
def postpone_visit(body, visit_id: int):
    tasks = postpone(db(), current_user, _own_visit(visit_id), body["reason"])
    return {"tasks": [t.id for t in tasks], "visit_status": db().get(Visit, visit_id).status}


@blp.post("/visits/<int:visit_id>/backfile")
@roles_required("inspector", "department")
@blp.arguments(BackfileSchema)
@blp.response(200)
def backfile_visit(body, visit_id: int):
    visit = db().get(Visit, visit_id)
    if visit is None or current_user.department_id not in {t.plan.department_id for t in visit.tasks}:
        abort(404)
    backfile(db(), current_user, visit, kind=body["kind"], reference=body["reference"], summary=body["summary"])
    return {"visit": visit.id, "backfiled_at": visit.backfiled_at.isoformat() + "Z", "due": visit.backfile_due.isoformat()}


@blp.post("/firms/<uscc>/no-code-reports")
@roles_required("enterprise")
@blp.arguments(NoCodeSchema)
@blp.response(201)
def no_code(body, uscc: str):
    """拒绝检查的权利: report an inspection that showed no valid inspection code."""
    firm = firm_or_404(uscc)
    row = report_no_code(db(), current_user, firm, occurred_at=body["occurred_at"].astimezone(dt.UTC).replace(tzinfo=None),
                         officers=body["officers"], department=body["department"], description=body["description"])
    return {"report": row.id}


@blp.get("/evaluations/summary")
@roles_required("department")
@blp.arguments(YearQuerySchema, location="query")
@blp.response(200)
def evaluations(args):
    """匿名评价: the department's evaluations by the month they were made, a month only once a full calendar
    month has passed since its end and only when at least five firms evaluated in it (see
    ``inspection.queries.kpis.evaluation_summary``)."""
    today = clock.today()
    year = args.get("year") or today.year
    months = evaluation_summary(db(), current_user.department_id, year, today, MIN_GROUP)
    return {"year": year, "minimum": MIN_GROUP, "by_month": months,
            "rule": "月份结束满一个自然月后显示；评价企业不少于 5 家的月份才显示"}


@blp.post("/devices")
@device_limit
@roles_required("inspector")
@blp.arguments(DeviceSchema)
@blp.response(201)
def device(body):
    """Register this phone's public key (ECDSA P-256, as a JWK) for signing offline records."""
    row = register_device(db(), current_user, body["public_key"])
    return {"key": row.key_id, "registered_at": row.registered_at.isoformat() + "Z"}


@blp.get("/offline/bundle")
@roles_required("inspector")
@blp.response(200)
def bundle():
    """What the phone keeps for a day without network: the officer's confirmed and running visits of
    today and the next days, with their sheets and the hash of each firm's posted code."""
    session, today = db(), clock.today()
    visits = session.scalars(select(Visit).join(VisitOfficer, VisitOfficer.visit_id == Visit.id)
                             .where(VisitOfficer.officer_id == current_user.officer_id,
                                    Visit.status.in_(("confirmed", "in_progress")),
                                    Visit.day >= today, Visit.day <= today + dt.timedelta(days=7))
                             .order_by(Visit.day, Visit.id)).all()
    tokens = {t.firm_id: t for t in session.scalars(select(EntryToken).where(
        EntryToken.firm_id.in_([v.firm_id for v in visits]), EntryToken.active.is_(True)))}

    def sha256(firm_id: int, field: str) -> str | None:
        return hashlib.sha256(getattr(tokens[firm_id], field).encode()).hexdigest() if firm_id in tokens else None
    return {"officer": current_user.officer.certificate_no, "day": today.isoformat(),
            "papers": {kind: {"label": DOCUMENT_KINDS[kind], "fields": [list(f) for f in FIELD_RECORD_FIELDS[kind]]}
                       for kind in FIELD_RECORD_KINDS},
            "visits": [{**visit_sheet(session, v, current_user), "token_sha256": sha256(v.firm_id, "token"),
                        "short_code_sha256": sha256(v.firm_id, "short_code")} for v in visits]}


@blp.post("/offline/sync")
@roles_required("inspector")
@blp.arguments(SyncSchema)
@blp.response(200)
def sync(body):
    """Upload records signed on this phone while offline; each is applied once, as of its own time."""
    results = sync_records(db(), current_user, body["records"], secret=current_app.config["SECRET_KEY"],
                           deadline_days=current_app.config["OFFLINE_SYNC_DAYS"])
    return {"results": results}
