"""A visit's checklist per item: the one in force on the visit's day (a revision of the catalogue applies
from its effective date), with the findings recorded on it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checklists.revisions import checklist_on, map_point

from ..models import Finding, InspectionTask, Visit


def checklist_results(session: Session, visit: Visit, task: InspectionTask, item, findings=None) -> tuple:
    """The checklist in force on the visit's day for the task's item (``item`` is the row the plan was
    filed with), each of its points with its finding (recorded on it, or on an earlier version's point
    that maps onto it), and the findings on points a revision has since dropped: they stay valid and
    are shown apart. Returns ``(row, [(point, finding or None)], [finding])``. ``findings``: the task's
    findings on the item in the order they were recorded, where the caller has read them already."""
    current = checklist_on(item, visit.day)
    if findings is None:
        findings = session.scalars(select(Finding).where(Finding.visit_id == visit.id, Finding.task_id == task.id,
                                                         Finding.item_id == item.id)
                                   .order_by(Finding.recorded_at, Finding.id)).all()
    by_point = {f.point_id: f for f in findings if f.point.item_id == current.id}
    apart = []
    for finding in findings:
        if finding.point.item_id == current.id:
            continue
        target = map_point(finding.point, current)
        if target is None or target.id in by_point:
            apart.append(finding)
        else:
            by_point[target.id] = finding
    return current, [(p, by_point.get(p.id)) for p in current.points], apart
