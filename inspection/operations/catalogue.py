"""Publishing the catalogue, with its event-log records; plans on items the new list drops are ended."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from checklists.loader import DEFAULT_CAP, parse_catalogue
from checklists.operations import PublishResult, publish_catalogue
from checklists.revisions import revision_of

from ..models import Alert, CatalogueItem, CatalogueVersion, Department, InspectionPlan, plan_items
from ..pure.calendar import city_limit
from .events import append_event, utcnow
from .notices import plan_ended

OPEN_PLAN_STATUSES = ("draft", "filed", "drawn", "scheduled", "in_progress")


def load_catalogue_file(session: Session, actor, path: str | Path, *, publish: bool = True) -> PublishResult:
    """Validate ``path`` and store it as a catalogue version (published unless ``publish`` is false).

    A file with any problem raises before anything is written. Items the new version continues (same
    code and department, changed or not) keep their plans going; the plans of an item it drops end. An item
    that states no cap per firm of its own takes the city's (``item_yearly_cap`` in the city file).
    """
    known = set(session.scalars(select(Department.code)))
    parsed = parse_catalogue(path, known, default_cap=city_limit("item_yearly_cap", DEFAULT_CAP))
    result = publish_catalogue(session, parsed, now=utcnow(), publish=publish)
    version = session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == parsed.version))
    revised = [c for c in ((version.changes or {}).get("changed", []) if result.status == "published" else [])
               if c.get("point_map")]
    if result.status != "unchanged":
        append_event(session, actor, f"catalogue.{result.status}", f"catalogue:{parsed.version}",
                     {"file": parsed.path, "sha256": parsed.sha256, "items": result.items,
                      "revoked": result.revoked, "removed": result.removed, "changed": result.changed,
                      "added": result.added,
                      "checklists": {c["code"]: c["point_map"] for c in revised}})
    if result.removed:
        result.plans_ended = len(end_plans_of_removed_items(session, actor, parsed.version, result.removed))
    if revised:
        revise_plans_under_way(session, actor, version, [c["code"] for c in revised])
    return result


def revise_plans_under_way(session: Session, actor, version: CatalogueVersion, codes: list[str]) -> list:
    """Plans under way on an item whose checklist the new version revises take the revised checklist from
    the version's effective date (before it, the checklist they were filed with): each plan's event records
    the date and the mapping of points, from the points it was filed with to the revised ones (old point ->
    new point, points dropped, points added)."""
    rows = session.scalars(select(CatalogueItem).where(CatalogueItem.catalogue_version_id == version.id,
                                                       CatalogueItem.code.in_(codes))).all()
    revised = []
    for row in rows:
        earlier = select(CatalogueItem.id).where(CatalogueItem.code == row.code,
                                                 CatalogueItem.department_id == row.department_id,
                                                 CatalogueItem.id < row.id)
        on_item = select(plan_items.c.plan_id).where(plan_items.c.item_id.in_(earlier))
        plans = session.scalars(select(InspectionPlan).where(InspectionPlan.id.in_(on_item),
                                                             InspectionPlan.status.in_(OPEN_PLAN_STATUSES))
                                .order_by(InspectionPlan.id)).all()
        for plan in plans:
            filed = next(i for i in plan.items if i.code == row.code and i.department_id == row.department_id)
            mapping = revision_of(filed, row.effective_from)
            if mapping is None:
                continue
            append_event(session, actor, "plan.checklist_revised", f"plan:{plan.id}",
                         {"department": plan.department.code, "item": row.code, "from": filed.version,
                          "to": row.version, "effective_from": row.effective_from,
                          "points": [{"from": m["from"], "to": m["to"]} for m in mapping["points"]],
                          "dropped": [m["from"] for m in mapping["points"] if m["to"] is None],
                          "added": mapping["added"]})
            revised.append(plan)
    session.flush()
    return revised


def end_plans_of_removed_items(session: Session, actor, version: str, codes: list[str]) -> list[InspectionPlan]:
    """Plans under way on an item the list no longer has end: the plan is cancelled (or, once visits have
    begun, its remaining tasks are), the department is told through the plan's event and a notice to its
    accounts naming the plan and why, and oversight gets an alert for each plan."""
    removed = session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(codes),
                                                          CatalogueItem.status == "revoked")).all()
    by_key = {(row.code, row.department_id): row for row in removed}
    # The plans by id (PostgreSQL has no equality for the plan's JSON columns, so no DISTINCT over them).
    on_removed = (select(plan_items.c.plan_id).join(CatalogueItem, CatalogueItem.id == plan_items.c.item_id)
                  .where(CatalogueItem.code.in_(codes)))
    plans = session.scalars(
        select(InspectionPlan).where(InspectionPlan.id.in_(on_removed), InspectionPlan.status.in_(OPEN_PLAN_STATUSES))
        .order_by(InspectionPlan.id)).all()
    now = utcnow()
    ended = []
    for plan in plans:
        gone = sorted({i.code for i in plan.items if (i.code, i.department_id) in by_key})
        if not gone:
            continue
        names = "、".join(f"{c}「{by_key[(c, plan.department_id)].name}」" for c in gone)
        reason = f"检查事项清单 {version} 版已删除事项 {names}，本计划依据的事项不在清单中（清单之外无检查）"
        old = plan.status
        cancelled = 0
        for task in plan.tasks:
            if task.status in ("pending", "scheduled"):
                task.status = "cancelled"
                cancelled += 1
        if old != "in_progress":
            plan.status = "cancelled"
        session.flush()
        append_event(session, actor, "plan.ended_by_catalogue", f"plan:{plan.id}",
                     {"department": plan.department.code, "version": version, "items": gone, "from": old,
                      "to": plan.status, "tasks_cancelled": cancelled, "reason": reason})
        plan_ended(session, plan, version, reason, cancelled)
        key = f"item_removed:{plan.id}:{version}"
        if session.scalar(select(Alert.id).where(Alert.key == key)) is None:
            session.add(Alert(rule="item_removed", key=key,
                              title=f"计划「{plan.title}」因清单删除事项而终止，{cancelled} 项任务取消",
                              evidence={"plan": plan.id, "version": version, "items": gone, "from": old,
                                        "tasks_cancelled": cancelled},
                              department_id=plan.department_id, firm_id=None, status="open", note="", raised_at=now))
        ended.append(plan)
    session.flush()
    return ended
