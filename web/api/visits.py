"""At the firm: scans, the inspection sheet, findings, outcomes, publication, evaluation, code verification."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, url_for
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from core import clock
from inspection import queries
from inspection.models import InspectionTask, Visit
from inspection.operations.door import Lead, prompt_for
from inspection.operations.entries import (
    decide_leniency,
    evaluate_visit,
    leniency_proposal,
    publish_results,
    record_finding,
    record_outcome,
    rotate_token,
    scan_in,
    scan_out,
    verify_code,
)
from inspection.permissions import on_visit_team, visit_of_department
from inspection.pure.short_codes import format_short_code

from ..auth import roles_required
from ..database import db
from ..limits import scan_limit, verify_limit
from ..loading import firm_or_404
from ..presenters.visits import firm_record, jsonable_prompt, verification, visit_sheet
from .schemas import (
    EvaluationInSchema,
    FindingInSchema,
    LeniencyDecisionInSchema,
    OutcomeInSchema,
    ScanInSchema,
    ScanOutSchema,
)

PREFIX = ""
blp = Blueprint("api_visits", __name__, description="扫码入企、检查结果、亮码核验与事后评价")


def _visit(visit_id: int) -> Visit:
    visit = db().get(Visit, visit_id)
    if visit is None:
        abort(404)
    return visit


def _team_visit(visit_id: int) -> Visit:
    """A visit of the signed-in inspector's team; any other answers 404, to writes as to reads."""
    visit = _visit(visit_id)
    if not on_visit_team(current_user, visit):
        abort(404)
    return visit


def _department_visit(visit_id: int) -> Visit:
    """A visit holding a task of the signed-in department; any other answers 404."""
    visit = _visit(visit_id)
    if not visit_of_department(current_user, visit):
        abort(404)
    return visit


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


@blp.post("/scans")
@scan_limit
@roles_required("inspector")
@blp.arguments(ScanInSchema)
@blp.response(200, ScanOutSchema)
def scan(body):
    """Scan in at a firm with the token of its code (with a lead, or as an emergency, when nothing is
    scheduled); the answer carries the scan-time prompt (扫码提示)."""
    lead = None
    if body.get("lead"):
        lead = Lead(kind=body["lead"]["kind"], reference=body["lead"]["reference"], item=body["lead"]["item"])
    elif body.get("emergency"):
        entered = body["emergency"].get("entered_at")
        lead = Lead(kind=body["emergency"]["kind"], item=body["emergency"]["item"], emergency=True,
                    entered_at=entered.astimezone(dt.UTC).replace(tzinfo=None) if entered else None)
    result = scan_in(db(), current_user, body["token"], secret=_secret(), lead=lead)
    prompt = result.prompt if result.prompt is not None else prompt_for(
        db(), result.visit.firm, current_user.officer, result.visit.day, result.visit)
    return {"state": result.state, "visit": result.visit.id, "firm": result.visit.firm.uscc, "scanned": result.scanned,
            "code": result.code, "origin": result.visit.origin, "prompt": jsonable_prompt(prompt),
            "verify_url": url_for("views.verify", code=result.code, _external=True) if result.code else None}


@blp.post("/visits/<int:visit_id>/leave")
@roles_required("inspector")
@blp.response(200)
def leave(visit_id: int):
    """扫码离开: the inspector's department leaves its part of the visit; the visit ends when the last
    department inside has left."""
    visit = _team_visit(visit_id)
    part = scan_out(db(), current_user, visit)
    return {"visit": visit_id, "department": part.department.code,
            "minutes": round((part.left_at - part.entered_at).total_seconds() / 60),
            "visit_status": visit.status}


@blp.get("/visits/<int:visit_id>/sheet")
@roles_required("inspector")
@blp.response(200)
def sheet(visit_id: int):
    visit = _team_visit(visit_id)
    return visit_sheet(db(), visit, current_user)


@blp.post("/visits/<int:visit_id>/findings")
@roles_required("inspector")
@blp.arguments(FindingInSchema)
@blp.response(201)
def finding(body, visit_id: int):
    visit = _team_visit(visit_id)
    row = record_finding(db(), current_user, visit, body["task"], body["point"], body["result"], body["note"])
    task = next(t for t in visit.tasks if t.id == body["task"])
    proposal = (leniency_proposal(db(), task, row.point_id, clock.today())
                if row.result == "non_compliant" else None)
    return {"id": row.id, "result": row.result, "leniency": proposal}


@blp.post("/visits/<int:visit_id>/leniency-decisions")
@roles_required("inspector")
@blp.arguments(LeniencyDecisionInSchema)
@blp.response(201)
def leniency_decision(body, visit_id: int):
    """包容审慎: the conditions that hold for a non-compliant listed point, and the decision (follow the
    list or depart from it with a reason; none when no entry applies)."""
    row = decide_leniency(db(), current_user, _team_visit(visit_id), body["task"], body["point"], body["conditions"],
                          body.get("decision"), body["reason"])
    return {"id": row.id, "decision": row.decision, "treatment": row.treatment, "applies": row.applies,
            "conditions": row.conditions, "reason": row.reason}


@blp.post("/visits/<int:visit_id>/outcomes")
@roles_required("inspector")
@blp.arguments(OutcomeInSchema)
@blp.response(201)
def outcome(body, visit_id: int):
    row = record_outcome(db(), current_user, _team_visit(visit_id), body["task"], body["item"], body["outcome"],
                         body.get("rectify_by"),
                         publish_within=current_app.config["PUBLISH_WORKING_DAYS"],
                         treatment=body.get("treatment"), fine_amount=body.get("fine_amount"),
                         fine_reason=body["fine_reason"])
    return {"id": row.id, "outcome": row.outcome, "publish_due": row.publish_due.isoformat(),
            "treatment": row.treatment, "fine_amount": row.fine_amount, "fine_reason": row.fine_reason}


@blp.post("/visits/<int:visit_id>/publish")
@roles_required("department")
@blp.response(200)
def publish(visit_id: int):
    rows = publish_results(db(), current_user, _department_visit(visit_id))
    return {"published": [r.item.code for r in rows]}


@blp.post("/visits/<int:visit_id>/evaluation")
@roles_required("enterprise")
@blp.arguments(EvaluationInSchema)
@blp.response(201)
def evaluation(body, visit_id: int):
    visit = _visit(visit_id)
    if visit.firm_id != current_user.firm_id:
        abort(404)
    row = evaluate_visit(db(), current_user, visit, body["score"], body["comment"], body.get("complaint"))
    return {"id": row.id, "score": row.score}


@blp.get("/verify/<code>")
@verify_limit
@blp.response(200)
def verify(code: str):
    """亮码检查: anyone (the firm, without login) checks an inspection code."""
    state, visit = verify_code(db(), code, _secret())
    return verification(db(), state, visit)


@blp.get("/firms/<uscc>/visits")
@login_required
@blp.response(200)
def firm_visits(uscc: str):
    firm = firm_or_404(uscc)
    return firm_record(db(), firm, current_user)


@blp.post("/firms/<uscc>/code/rotate")
@roles_required("enterprise", "admin")
@blp.response(200)
def rotate(uscc: str):
    firm = firm_or_404(uscc)
    token = rotate_token(db(), current_user, firm)
    return {"scan_url": url_for("views.scan_token", token=token.token, _external=True),
            "short_code": format_short_code(token.short_code)}


@blp.get("/public/firms/<uscc>/results")
@blp.response(200)
def public_results(uscc: str):
    """一公开: a firm's published inspection results, without login."""
    firm = firm_or_404(uscc, visible_only=False)
    rows = db().execute(queries.published_results().where(InspectionTask.firm_id == firm.id)).all()
    return [{"visit": r.visit_id, "offsite": r.request_id, "day": (visit.day if visit else clock.local_day(r.recorded_at)).isoformat(),
             "item": r.item.code, "item_name": r.item.name, "outcome": r.outcome,
             "rectify_by": r.rectify_by.isoformat() if r.rectify_by else None}
            for r, visit, _, _ in rows]
