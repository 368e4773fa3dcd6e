"""Which checklist applies to work under way on a given day, and how an earlier version's points map onto it.

An item keeps its identity across catalogue versions by code and department. A plan names the row it was
filed with; from the effective date of a later version that continues the item, the later row's checklist
applies to that plan's visits. Each continuing row records how the points of the row before it map onto
its own (``point_map``: earlier position -> position, or null where the point was dropped; the positions
added); a row without a mapping has the same checklist as the row before it. Before the effective date the
earlier checklist applies.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import event, inspect, select, tuple_
from sqlalchemy.orm import Session, object_session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .errors import OutsideCatalogue
from .models import CatalogueItem, ChecklistPoint

_LINEAGES = "catalogue_lineages"
_EARLIER = "catalogue_earlier_rows"
_CONTINUING = ("published", "superseded", "revoked")


def lineage(item: CatalogueItem) -> list[CatalogueItem]:
    """``item`` and the rows that continue it (same code and department, in order of loading), up to the
    newest one the list has published; a removal (revoked row) ends the line. Lines read once are kept on
    the session until it next writes (see :func:`preload_lineages`)."""
    session = object_session(item)
    known = session.info.setdefault(_LINEAGES, {})
    if item.id not in known:
        preload_lineages(session, [item])
    return known[item.id]


def preload_lineages(session, items) -> None:
    """Read the lines of ``items`` in one query (a page listing many visits asks for all of them at once);
    none when every item is the list's current row."""
    known = session.info.setdefault(_LINEAGES, {})
    # A published row is the newest of its line (publishing a later version supersedes it): nothing to read.
    for item in items:
        if item.status == "published" and item.id not in known:
            known[item.id] = [item]
    wanted = {item.id: item for item in items if item.id not in known}
    if not wanted:
        return
    keys = {(item.code, item.department_id) for item in wanted.values()}
    rows = session.scalars(select(CatalogueItem).where(tuple_(CatalogueItem.code, CatalogueItem.department_id).in_(keys),
                                                       CatalogueItem.status.in_(_CONTINUING))
                           .order_by(CatalogueItem.id)).all()
    for item in wanted.values():
        line = [item]
        for row in rows:
            if row.code != item.code or row.department_id != item.department_id or row.id <= item.id:
                continue
            if row.status == "revoked":
                break
            line.append(row)
        known[item.id] = line


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_lineages(session, *_args) -> None:
    """A write may publish a version: lines are read again after it."""
    session.info.pop(_LINEAGES, None)
    session.info.pop(_EARLIER, None)


def earlier_rows(item: CatalogueItem) -> list[CatalogueItem]:
    """The published or superseded rows of ``item``'s line before it, oldest first; kept on the session
    like the lines (see :func:`preload_earlier_rows`)."""
    session = object_session(item)
    known = session.info.setdefault(_EARLIER, {})
    if item.id not in known:
        preload_earlier_rows(session, [item])
    return known[item.id]


def preload_earlier_rows(session, items) -> None:
    """Read the earlier rows of ``items`` in one query (a sheet maps every point of its items)."""
    known = session.info.setdefault(_EARLIER, {})
    wanted = {item.id: item for item in items if item.id not in known}
    if not wanted:
        return
    keys = {(item.code, item.department_id) for item in wanted.values()}
    rows = session.scalars(select(CatalogueItem).where(tuple_(CatalogueItem.code, CatalogueItem.department_id).in_(keys),
                                                       CatalogueItem.id < max(wanted),
                                                       CatalogueItem.status.in_(("published", "superseded")))
                           .options(selectinload(CatalogueItem.points)).order_by(CatalogueItem.id)).all()
    for item in wanted.values():
        known[item.id] = [row for row in rows if row.code == item.code and row.department_id == item.department_id
                          and row.id < item.id]


def preload_points(session, items) -> None:
    """Read the checklist points of ``items`` not loaded yet in one query (a sheet lists every point of its
    items); each item's ``points`` then holds them in their order."""
    wanted = {item.id: item for item in items if "points" in inspect(item).unloaded}
    if not wanted:
        return
    points = defaultdict(list)
    for point in session.scalars(select(ChecklistPoint).where(ChecklistPoint.item_id.in_(wanted))
                                 .order_by(ChecklistPoint.item_id, ChecklistPoint.position)):
        points[point.item_id].append(point)
    for item_id, item in wanted.items():
        set_committed_value(item, "points", points[item_id])


def checklist_on(item: CatalogueItem, on: dt.date) -> CatalogueItem:
    """The row whose checklist applies on ``on`` to work filed under ``item``: the newest continuing row in
    force by then, else ``item`` itself (also for an item the list has since removed: its findings stay
    readable on the checklist they were recorded on)."""
    standing = item
    for row in lineage(item)[1:]:
        if row.effective_from <= on:
            standing = row
    return standing


def map_point(point: ChecklistPoint, target: CatalogueItem) -> ChecklistPoint | None:
    """The point of ``target`` that ``point`` (of an earlier row of the same item) became, through each
    recorded mapping in turn; ``None`` where a revision dropped it."""
    line = lineage(point.item)
    if target not in line:
        return None
    position = point.position
    for row in line[1:line.index(target) + 1]:
        if row.point_map:
            step = next((m for m in row.point_map.get("points", []) if m["from"] == position), None)
            position = step["to"] if step else None
        if position is None:
            return None
    return next((p for p in target.points if p.position == position), None)


def dropped_by(point: ChecklistPoint, target: CatalogueItem) -> CatalogueItem | None:
    """The row (version) whose revision dropped ``point`` on the way to ``target``."""
    position = point.position
    line = lineage(point.item)
    for row in line[1:line.index(target) + 1] if target in line else []:
        if row.point_map:
            step = next((m for m in row.point_map.get("points", []) if m["from"] == position), None)
            position = step["to"] if step else None
        if position is None:
            return row
    return None


def point_for(point: ChecklistPoint, item: CatalogueItem, on: dt.date) -> tuple[ChecklistPoint, ChecklistPoint | None]:
    """The point of the checklist that applies on ``on`` to work on ``item`` for a result given on ``point``:
    ``(point, None)`` when ``point`` is on that checklist, ``(mapped, point)`` when it is an earlier version's
    point that a revision in force maps onto it. A point a revision dropped, or of a version not yet in
    force, is refused with the reason."""
    current = checklist_on(item, on)
    if point.item_id == current.id:
        return point, None
    line = lineage(item)
    if point.item not in line:
        raise OutsideCatalogue("该检查要点不在本次检查事项的检查清单中（清单之外无检查）", fields={"point": point.id})
    label = f"事项 {item.code}「{current.name}」"
    if line.index(point.item) > line.index(current):
        raise OutsideCatalogue(
            f"{label}第 {point.position} 项检查要点属于 {point.item.version} 版清单，该版自 "
            f"{point.item.effective_from:%Y-%m-%d} 起施行；{on:%Y-%m-%d} 仍按 {current.version} 版检查要点记录",
            fields={"point": point.id})
    mapped = map_point(point, current)
    if mapped is None:
        row = dropped_by(point, current) or current
        raise OutsideCatalogue(
            f"检查事项清单 {row.version} 版自 {row.effective_from:%Y-%m-%d} 起施行，已删除{label}原第 "
            f"{point.position} 项检查要点「{point.text}」；{on:%Y-%m-%d} 的检查结果不能记入该要点，"
            f"请按 {current.version} 版检查要点重新记录", fields={"point": point.id})
    return mapped, point


def revision_of(item: CatalogueItem, on: dt.date) -> dict | None:
    """What changed between the checklist ``item`` was filed with and the one in force on ``on``, for the
    plan and visit pages: ``None`` where it is the same checklist."""
    current = checklist_on(item, on)
    if current is item:
        return None
    points = []
    for point in item.points:
        mapped = map_point(point, current)
        points.append({"from": point.position, "to": mapped.position if mapped else None, "text": point.text})
    reached = {p["to"] for p in points if p["to"] is not None}
    added = [p.position for p in current.points if p.position not in reached]
    return {"version": current.version, "previous": item.version, "effective_from": current.effective_from,
            "points": points, "added": added, "changed": any(r.point_map for r in lineage(item)[1:]
                                                             if r.id <= current.id)}


def next_revision(item: CatalogueItem, on: dt.date) -> CatalogueItem | None:
    """A published row continuing ``item`` whose checklist takes over after ``on``."""
    return next((row for row in lineage(item)[1:] if row.effective_from > on), None)


def same_point(point: ChecklistPoint) -> set[int]:
    """The ids of ``point`` and of the points of the item's other versions that the recorded mappings
    make the same point (earlier points that became it, later points it became): a firm's record of a
    point reads across revisions."""
    item = point.item
    same = {point.id}
    for row in earlier_rows(item):
        same |= {p.id for p in row.points if map_point(p, item) is point}
    for row in lineage(item)[1:]:
        mapped = map_point(point, row)
        if mapped is not None:
            same.add(mapped.id)
    return same
