"""What a visit looks like to the inspector (sheet), the firm (record) and anyone holding its code."""
from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import and_, bindparam, literal, or_, select
from sqlalchemy.orm import Session, joinedload

from checklists.revisions import checklist_on, preload_lineages, preload_points, revision_of
from core import clock
from inspection.models import (
    COMPLAINT_LABELS,
    OUTCOME_LABELS,
    RESULT_LABELS,
    TREATMENT_LABELS,
    DepartmentEntry,
    Evaluation,
    Finding,
    Firm,
    ItemOutcome,
    LeniencyDecision,
    Scan,
    User,
    Visit,
    VisitEntry,
)
from inspection.operations.door import VISIT_WITH_TASKS
from inspection.operations.entries import leniency_proposals
from inspection.operations.events import format_timestamp
from inspection.operations.findings import checklist_results
from inspection.operations.leniency import first_offence_history
from inspection.operations.notices import gives_notice
from inspection.operations.presence import PRESENCE_LABELS, presence, presence_of
from inspection.permissions import reads_findings
from inspection.queries import one_per_row

STATE_MESSAGES = {"valid": "检查码有效：这是一次已备案并经扫码核验入企的检查",
                  "closed": "检查码对应的检查已经结束",
                  "expired": "检查码已过期：请要求执法人员出示当前检查码",
                  "forged": "检查码无效：不是本平台签发的检查码，您有权拒绝检查并向监督机构反映"}


def _officers(visit: Visit) -> list[dict]:
    return [{"name": o.officer.name, "certificate_no": o.officer.certificate_no, "department": o.department.name}
            for o in visit.officers]


def _items(visit: Visit) -> list[dict]:
    seen, items = set(), []
    for task in visit.tasks:
        for item in task.plan.items:
            if item.id not in seen:
                seen.add(item.id)
                row = checklist_on(item, visit.day)   # the item as the list in force on the visit's day has it
                items.append({"code": item.code, "name": row.name, "legal_basis": row.legal_basis_text,
                              "department": task.plan.department.name})
    return items


def _presence(session: Session, visit: Visit) -> list[dict]:
    """Per department: entered and left when, and the officers who scanned in (scheduled officers who never
    came are not listed)."""
    return _presence_rows(presence(session, visit))


def _presence_rows(rows: list[dict]) -> list[dict]:
    return [{"department": p["department"], "short_name": p["short_name"], "status": p["status"],
             "status_label": PRESENCE_LABELS[p["status"]],
             "entered_at": format_timestamp(p["entered_at"]) if p["entered_at"] else None,
             "left_at": format_timestamp(p["left_at"]) if p["left_at"] else None,
             "officers": [{"name": o["name"], "certificate_no": o["certificate_no"],
                           "accompanying": o["kind"] != "enforcement",
                           "scanned_in_at": format_timestamp(o["scanned_in_at"]),
                           "left_at": format_timestamp(o["left_at"]) if o["left_at"] else None}
                          for o in p["officers"]]}
            for p in rows]


def _present_officers(parts: list[dict]) -> list[dict]:
    return [{"name": o["name"], "certificate_no": o["certificate_no"], "department": p["department"]}
            for p in parts if p["status"] != "not_entered" for o in p["officers"] if not o["accompanying"]]


def verification(session: Session, state: str, visit: Visit | None) -> dict:
    result = {"state": state, "valid": state == "valid", "message": STATE_MESSAGES[state]}
    if visit is None:
        return result
    parts = _presence(session, visit)
    result.update({"firm": visit.firm.name, "day": visit.day.isoformat(), "status": visit.status,
                   "departments": [p["department"] for p in parts if p["status"] != "not_entered"],
                   "presence": parts, "officers": _present_officers(parts), "items": _items(visit),
                   "plans": [{"id": t.plan.id, "title": t.plan.title} for t in visit.tasks]})
    return result


def _decision(row: LeniencyDecision | None) -> dict | None:
    if row is None:
        return None
    return {"decision": row.decision, "decision_label": row.decision_label, "treatment": row.treatment,
            "treatment_label": row.treatment_label, "conditions": row.conditions, "reason": row.reason}


def _revision_json(revision: dict) -> dict:
    return {**revision, "effective_from": revision["effective_from"].isoformat()}


def visit_sheet(session: Session, visit: Visit, user: User) -> dict:
    """The inspector's sheet: each task's items on the checklist in force on the visit's day, with the
    findings, outcomes, leniency proposals and decisions; read in a number of statements that does not
    grow with the items, the points or the findings."""
    recorded = session.scalars(select(Finding).where(Finding.visit_id == visit.id)
                               .options(joinedload(Finding.point)).order_by(Finding.recorded_at, Finding.id)).all()
    findings = {(f.task_id, f.point_id): f for f in recorded}
    by_item: dict[tuple[int, int], list[Finding]] = {}
    for finding in recorded:
        by_item.setdefault((finding.task_id, finding.item_id), []).append(finding)
    preload_lineages(session, {item for task in visit.tasks for item in task.plan.items})
    preload_points(session, {checklist_on(item, visit.day) for task in visit.tasks for item in task.plan.items})
    outcomes = {(o.task_id, o.item_id): o for o in session.scalars(select(ItemOutcome)
                                                                    .where(ItemOutcome.visit_id == visit.id))}
    decisions = {d.finding_id: d for d in session.scalars(select(LeniencyDecision).where(
        LeniencyDecision.finding_id.in_([f.id for f in findings.values()])))} if findings else {}
    today = clock.today()
    tasks = []
    on_team = user.officer_id in {o.officer_id for o in visit.officers}
    for task in visit.tasks:
        mine = on_team and task.plan.department_id == user.officer.department_id
        reads = reads_findings(user, task.plan.department_id, visit.firm_id)
        sheets = [(item, checklist_results(session, visit, task, item, by_item.get((task.id, item.id), [])))
                  for item in task.plan.items]
        proposals = leniency_proposals(session, task, [p.id for _, (_, sheet, _) in sheets for p, _ in sheet],
                                       today) if mine else {}
        items = []
        for item, (row, sheet, apart) in sheets:
            outcome = outcomes.get((task.id, item.id))
            if not reads and (outcome is None or outcome.published_at is None):
                outcome = None   # another department's result: shown once published (一公开)
            points = []
            for p, finding in sheet:
                finding = finding if reads else None
                proposal = proposals.get(p.id)
                asks_first = proposal is not None and any(c["code"] == "first_offence" for c in proposal["conditions"])
                points.append({"id": p.id, "position": p.position, "text": p.text, "legal_basis": p.legal_basis,
                               "verify": p.verify, "result": finding.result if finding else None,
                               "note": finding.note if finding else "",
                               "leniency": proposal,
                               "first_offence": first_offence_history(session, visit.firm_id, p.id,
                                                                      task.plan.department_id, visit.day,
                                                                      exclude_visit=visit.id) if asks_first else None,
                               "decision": _decision(decisions.get(finding.id)) if finding else None})
            revision = revision_of(item, visit.day)
            earlier = [{"version": f.point.item.version, "position": f.point.position, "text": f.point.text,
                        "result": f.result, "result_label": f.result_label, "note": f.note}
                       for f in apart] if reads else []
            items.append({"code": item.code, "name": row.name, "legal_basis": row.legal_basis_text,
                          "version": row.version, "sampling": "sampling" in (row.modes or []),
                          "revision": _revision_json(revision) if revision and revision["changed"] else None,
                          "earlier_findings": earlier,
                          "outcome": outcome.outcome if outcome else None,
                          "outcome_label": OUTCOME_LABELS[outcome.outcome] if outcome else None,
                          "rectify_by": outcome.rectify_by.isoformat() if outcome and outcome.rectify_by else None,
                          "treatment": outcome.treatment if outcome else None,
                          "treatment_label": TREATMENT_LABELS.get(outcome.treatment) if outcome else None,
                          "fine_amount": outcome.fine_amount if outcome else None,
                          "points": points})
        tasks.append({"id": task.id, "department": task.plan.department.name, "plan": task.plan.title, "mine": mine,
                      "status": task.status, "findings_shown": reads, "items": items})
    entry = session.get(VisitEntry, visit.id)
    return {"visit": visit.id, "firm": visit.firm.name, "uscc": visit.firm.uscc, "address": visit.firm.address,
            "day": visit.day.isoformat(), "status": visit.status, "joint": visit.joint,
            "entered_at": format_timestamp(entry.entered_at) if entry else None, "officers": _officers(visit),
            "presence": _presence(session, visit), "tasks": tasks}


def sees_evaluations(viewer: User) -> bool:
    """匿名评价: an evaluation is seen whole by the firm that gave it and by oversight; the inspected
    departments and their officers see evaluations only in aggregate (never fewer than five together)."""
    return viewer.role in ("enterprise", "oversight", "admin")


def firm_record(session: Session, firm: Firm, viewer: User, *, with_findings: bool = True) -> list[dict]:
    """Every entry into the firm (who, when, how long, items, results, and its evaluation where the viewer
    may see it), newest first. Visits not yet entered are not shown, except the advance notice (检查预告)
    of a confirmed visit whose plans all give it and whose items all allow it.

    Read in a fixed number of queries whatever the firm's history: the visits with their tasks, plans,
    items and departments, entries, departments' parts and evaluations; then, for all of them at once and
    in one statement, their scans, outcomes and findings (``with_findings=False``: not read, and each visit's
    list left empty)."""
    today = clock.today()
    rows = session.execute(_record_visits(sees_evaluations(viewer)), {
        "firm": firm.id, "today": today, "horizon": today + dt.timedelta(days=30)}).unique().all()
    visits = [row[0] for row in rows]
    preload_lineages(session, {item for visit in visits for task in visit.tasks for item in task.plan.items})
    entries = {row[0].id: row[1] for row in rows if row[1] is not None}
    evaluations = {row[0].id: row[2] for row in rows if row[2] is not None}
    upcoming = sorted((v for v in visits if v.status == "confirmed"), key=lambda v: (v.day, v.id))
    record = [{"visit": v.id, "day": v.day.isoformat(), "status": "notice", "origin": v.origin,
               "origin_label": v.origin_label, "departments": sorted({t.plan.department.name for t in v.tasks}),
               "officers": [], "items": _items(v), "findings": [], "outcomes": [], "evaluation": None,
               "entered_at": None, "left_at": None, "minutes": None} for v in _announced(upcoming, today)]
    visits = [v for v in visits if v.status != "confirmed"]
    if not visits:
        return record
    scans_of: dict[int, list[Scan]] = {}
    outcomes_of: dict[int, list[ItemOutcome]] = {}
    findings_of: dict[int, list[Finding]] = {}
    for row in session.execute(_record_details(with_findings), {"firm": firm.id}):
        for of_visit, detail in zip((scans_of, outcomes_of, findings_of), row):
            if detail is not None:
                of_visit.setdefault(detail.visit_id, []).append(detail)
    for visit in visits:
        entry = entries.get(visit.id)
        parts = _presence_rows(presence_of(visit, visit.department_entries, scans_of.get(visit.id, [])))
        reads = {t.id for t in visit.tasks if reads_findings(viewer, t.plan.department_id, visit.firm_id)}
        outcomes = [o for o in outcomes_of.get(visit.id, []) if o.task_id in reads or o.published_at is not None]
        findings = [f for f in findings_of.get(visit.id, []) if f.task_id in reads]
        evaluation = evaluations.get(visit.id)
        record.append({
            "visit": visit.id, "day": visit.day.isoformat(), "status": visit.status, "origin": visit.origin,
            "origin_label": visit.origin_label,
            "departments": [p["department"] for p in parts if p["status"] != "not_entered"],
            "officers": _present_officers(parts), "presence": parts,
            "entered_at": format_timestamp(entry.entered_at) if entry else None,
            "left_at": format_timestamp(entry.left_at) if entry and entry.left_at else None,
            "minutes": round((entry.left_at - entry.entered_at).total_seconds() / 60) if entry and entry.left_at else None,
            "recorded_offline": bool(entry and entry.recorded_offline),
            "items": _items(visit),
            "findings": [{"item": f.item.code, "point": f.point.text, "result": f.result,
                          "result_label": RESULT_LABELS[f.result], "note": f.note} for f in findings],
            "outcomes": [{"item": o.item.code, "item_name": o.item.name, "outcome": o.outcome,
                          "outcome_label": OUTCOME_LABELS[o.outcome], "treatment_label": o.treatment_label,
                          "rectify_by": o.rectify_by.isoformat() if o.rectify_by else None,
                          "published": o.published_at is not None} for o in outcomes],
            "evaluation": {"score": evaluation.score, "comment": evaluation.comment, "complaint": evaluation.complaint,
                           "complaint_label": COMPLAINT_LABELS.get(evaluation.complaint)} if evaluation else None,
        })
    return record


ENTERED = ("in_progress", "completed")   # the statuses of a visit the team has entered
_WITH_PARTS = joinedload(Visit.department_entries).joinedload(DepartmentEntry.department)


# The record's statements, built once and run with parameters (building them cost more than running them).
@functools.cache
def _record_visits(evaluated: bool):
    """The firm's entered visits, and its confirmed ones of the next 30 days, with their tasks, plans, items,
    departments, entries, departments' parts and (for a viewer who sees them) evaluations."""
    stmt = select(Visit, VisitEntry, Evaluation if evaluated else literal(None)).outerjoin(
        VisitEntry, VisitEntry.visit_id == Visit.id)
    if evaluated:
        stmt = stmt.outerjoin(Evaluation, Evaluation.visit_id == Visit.id)
    return (stmt.where(Visit.firm_id == bindparam("firm"),
                       or_(Visit.status.in_(ENTERED),
                           and_(Visit.status == "confirmed", Visit.day >= bindparam("today"),
                                Visit.day <= bindparam("horizon"))))
            .options(VISIT_WITH_TASKS, _WITH_PARTS).order_by(Visit.day.desc(), Visit.id.desc()))


@functools.cache
def _record_details(with_findings: bool):
    """The firm's (bound ``firm``) entered visits' accepted scans with their officers, their outcomes with their
    items and, when ``with_findings``, their findings with their items and points: one statement, each row
    holding one of them. The visits are chosen in the statement, not passed as a list of ids: a list renders a
    statement of its own length, which PostgreSQL would plan anew for each firm and never keep prepared."""
    ids = (select(Visit.id).where(Visit.firm_id == bindparam("firm"), Visit.status.in_(ENTERED))
           .scalar_subquery())
    kinds = [(Scan, and_(Scan.visit_id.in_(ids), Scan.accepted.is_(True))), (ItemOutcome, ItemOutcome.visit_id.in_(ids))]
    options = [joinedload(Scan.officer), joinedload(ItemOutcome.item)]
    order = [Scan.at, Scan.id, ItemOutcome.id]
    if with_findings:
        kinds.append((Finding, Finding.visit_id.in_(ids)))
        options += [joinedload(Finding.item), joinedload(Finding.point)]
        order.append(Finding.id)
    return one_per_row(*kinds).options(*options).order_by(*order)


def _announced(upcoming: list[Visit], today: dt.date) -> list[Visit]:
    return [visit for visit in upcoming if gives_notice(visit, today)]


def announced_visits(session: Session, firm: Firm, today=None) -> list[Visit]:
    """Confirmed visits the firm may see ahead: every task's plan gives notice that many days before, and
    every item allows notice; anything else stays unseen until the team arrives."""
    today = today or clock.today()
    upcoming = session.scalars(select(Visit).where(Visit.firm_id == firm.id, Visit.status == "confirmed",
                                                   Visit.day >= today, Visit.day <= today + dt.timedelta(days=30))
                               .options(VISIT_WITH_TASKS).order_by(Visit.day, Visit.id)).unique().all()
    return _announced(upcoming, today)


def jsonable_prompt(prompt: dict) -> dict:
    """The scan-time prompt with its dates written out."""
    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, dt.date) else value
    return plain(prompt)
