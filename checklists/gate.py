"""The one gate of "清单之外无检查" (no inspection outside the list).

Every path that creates a plan, task, visit or finding calls :func:`require_items`
(by item code) or :func:`require_current` (for items already stored on a plan):
an item that is unknown, unpublished, revoked, not in force on the day, or owned by
another department is refused with a reason naming it.

An item keeps its identity across catalogue versions by code and department: a row that a later
version continues (``superseded``) stands for that version's row, so that plans, tasks, visits and
findings filed under an earlier version stay valid; only an item the list no longer has is refused.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from .errors import OutsideCatalogue
from .models import CatalogueItem, Department


def refusal(item: CatalogueItem | None, code: str, department: Department | None, on: dt.date) -> str | None:
    """Why ``item`` may not be inspected by ``department`` on ``on``; ``None`` when it may."""
    if item is None:
        return f"事项 {code} 不在已发布的检查事项清单中（清单之外无检查）"
    label = f"事项 {item.code}「{item.name}」"
    if item.is_group:
        return f"{label}是分类标题，请选择其子项"
    if item.status == "draft":
        return f"{label}尚未发布，不能据以检查"
    if item.status == "revoked":
        return f"{label}已撤销，不能据以检查"
    if not item.is_effective_on(on):
        until = f"{item.effective_to:%Y-%m-%d}" if item.effective_to else "长期"
        return f"{label}的有效期为 {item.effective_from:%Y-%m-%d} 至 {until}，{on:%Y-%m-%d} 不在有效期内"
    if department is not None and item.department_id != department.id:
        return f"{label}由{item.department.name}实施，{department.name}无权据此检查"
    return None


def _latest_by_code(session: Session, codes: list[str]) -> dict[str, CatalogueItem]:
    """For each code, its published row if any, else its most recent row."""
    rows = session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(codes))
                           .options(selectinload(CatalogueItem.department))
                           .order_by(CatalogueItem.id)).all()
    found: dict[str, CatalogueItem] = {}
    for row in rows:
        current = found.get(row.code)
        if current is None or current.status != "published":
            found[row.code] = row
    return found


def _standing_before(session: Session, row: CatalogueItem, on: dt.date) -> CatalogueItem | None:
    """The earlier row (same code and department) that ``row`` continues and that is in force on ``on``."""
    earlier = session.scalars(select(CatalogueItem).where(CatalogueItem.code == row.code,
                                                          CatalogueItem.department_id == row.department_id,
                                                          CatalogueItem.status == "superseded",
                                                          CatalogueItem.id < row.id)
                              .order_by(CatalogueItem.id.desc())).first()
    return earlier if earlier is not None and earlier.is_effective_on(on) else None


def require_items(session: Session, codes: Iterable[str], *, department: Department | None,
                  on: dt.date) -> list[CatalogueItem]:
    """Resolve item codes to published items in force on ``on`` owned by ``department``."""
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not codes:
        raise OutsideCatalogue("至少需要一个已发布的检查事项（清单之外无检查）", fields={"items": "不能为空"})
    found = _latest_by_code(session, codes)
    for code, row in list(found.items()):
        if row.status == "published" and not row.is_effective_on(on):
            # A new version published ahead of its effective date: the item it continues stands until then.
            standing = _standing_before(session, row, on)
            if standing is not None:
                found[code] = standing
    reasons = {code: refusal(found.get(code), code, department, on) for code in codes}
    bad = {code: reason for code, reason in reasons.items() if reason}
    if bad:
        raise OutsideCatalogue("；".join(bad.values()), fields={"items": bad})
    return [found[code] for code in codes]


def continuation(item: CatalogueItem, on: dt.date) -> CatalogueItem:
    """The row that stands for ``item`` on ``on``: ``item`` itself unless a later version continues it
    (same code, same department) and that version is in force by then; a continued item whose code the
    list has since dropped resolves to the revoked row, which the gate refuses."""
    if item.status != "superseded":
        return item
    session = object_session(item)
    later = session.scalars(select(CatalogueItem).where(CatalogueItem.code == item.code,
                                                        CatalogueItem.department_id == item.department_id,
                                                        CatalogueItem.id > item.id,
                                                        CatalogueItem.status != "draft")
                            .order_by(CatalogueItem.id)).all()
    successor = next((row for row in reversed(later) if row.status in ("published", "revoked")), None)
    if successor is None:
        return item
    if successor.status == "published" and successor.effective_from > on:
        # The new version is not yet in force: the earlier row stands until it is.
        return item if item.effective_from <= on else successor
    return successor


def require_current(items: Iterable[CatalogueItem], *, department: Department | None, on: dt.date) -> None:
    """Check items already referenced by a plan or visit: still in the list (in this version or continued
    by a later one), in force and the department's."""
    bad = {}
    for item in items:
        reason = refusal(continuation(item, on), item.code, department, on)
        if reason:
            bad[item.code] = reason
    if bad:
        raise OutsideCatalogue("；".join(bad.values()), fields={"items": bad})
