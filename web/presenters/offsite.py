"""What an off-site request (非现场核查) looks like to the firm, the inspector and oversight."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from inspection.models import OUTCOME_LABELS, RESULT_LABELS, Finding, InspectionTask, ItemOutcome, OffsiteRequest, User
from inspection.operations.events import format_timestamp
from inspection.operations.offsite import ESCALATE, missing_points, proved_points

from .. import files

DECISION_LABELS = {**RESULT_LABELS, ESCALATE: "转现场核查"}


def evidence_folder() -> Path:
    """Where evidence files live: outside the database, each under its SHA-256."""
    return files.folder("evidence")


def request_sheet(session: Session, request: OffsiteRequest, user: User, today: dt.date) -> dict:
    """Every point with the evidence it needs, what the firm gave and what the review found."""
    task = request.task
    findings = {f.point_id: f for f in session.scalars(select(Finding).where(Finding.request_id == request.id))}
    outcomes = {o.item_id: o for o in session.scalars(select(ItemOutcome).where(ItemOutcome.request_id == request.id))}
    proved = proved_points(session, request)
    missing = {p.id for p in missing_points(session, request)}
    escalated = set(request.escalated_points or [])
    evidence_of: dict[int, list] = {}
    for evidence in request.evidence:
        evidence_of.setdefault(evidence.point_id, []).append(evidence)
    items = []
    for item in task.plan.items:
        outcome = outcomes.get(item.id)
        points = []
        for point in item.points:
            finding = findings.get(point.id)
            points.append({
                "id": point.id, "position": point.position, "text": point.text, "legal_basis": point.legal_basis,
                "evidence_kinds": list(point.offsite_evidence or []), "evidence_text": point.evidence_text,
                "ask": point.offsite_ask, "proved_by_data": point.id in proved, "missing": point.id in missing,
                "escalated": point.id in escalated,
                "evidence": [{"id": e.id, "kind": e.kind, "filename": e.filename, "size": e.size, "sha256": e.sha256,
                              "text": e.text, "content_type": e.content_type, "at": format_timestamp(e.at)}
                             for e in evidence_of.get(point.id, [])],
                "result": finding.result if finding else ("escalate" if point.id in escalated else None),
                "result_label": DECISION_LABELS[finding.result] if finding else (
                    DECISION_LABELS[ESCALATE] if point.id in escalated else None),
                "note": finding.note if finding else ""})
        items.append({"code": item.code, "name": item.name, "legal_basis": item.legal_basis_text,
                      "rule": item.offsite_rule_text, "points": points,
                      "outcome": outcome.outcome if outcome else None,
                      "outcome_label": OUTCOME_LABELS[outcome.outcome] if outcome else None,
                      "rectify_by": outcome.rectify_by.isoformat() if outcome and outcome.rectify_by else None,
                      "published": bool(outcome and outcome.published_at)})
    escalated_task = session.get(InspectionTask, request.escalated_task_id) if request.escalated_task_id else None
    return {"id": request.id, "status": request.status, "status_label": request.status_label,
            "firm": request.firm.name, "uscc": request.firm.uscc, "department": request.department.name,
            "plan": task.plan.title, "task": task.id, "sent_at": format_timestamp(request.sent_at),
            "deadline": request.deadline.isoformat(), "extended_to": request.extended_to.isoformat() if request.extended_to else None,
            "due": request.due.isoformat(), "overdue": request.status == "sent" and today > request.due,
            "extension_reason": request.extension_reason, "can_extend": request.status == "sent" and request.extended_to is None
            and today <= request.deadline, "answered_at": format_timestamp(request.answered_at) if request.answered_at else None,
            "reminded_at": format_timestamp(request.reminded_at) if request.reminded_at else None,
            "closed_at": format_timestamp(request.closed_at) if request.closed_at else None,
            "escalation_reason": request.escalation_reason,
            "escalated_task": {"id": escalated_task.id, "plan": escalated_task.plan_id, "plan_title": escalated_task.plan.title,
                               "status": escalated_task.status, "visit": escalated_task.visit_id} if escalated_task else None,
            "items": items, "missing": len(missing)}
