"""A plan's target pool (the firms its draw chooses from) and the share of it its class ratios take.

An item's published ratio bound ("不低于3%", "抽查比例为全年总体抽查比例") is on the whole pool: the
plan's classes may vary freely (信用风险分类监管: A 1%, D 30%) as long as together they take a share of
the pool within the bound. A bound the list says per year ("一般不超过10%/年", "全年合计…") is on the sum of
the department's plans of the item in the year: its ceiling holds for this plan's share together with those
of the department's other plans of the item that year (filed, drawn or under way: not drafts, not cancelled);
its floor cannot be judged on one plan, so the year's total is shown against it and never refuses a plan.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import CatalogueItem, District, Firm, FirmTag, InspectionPlan, plan_items
from ..pure.draws import CLASSES, sample_size

# The plans whose shares count towards the year's total of a per-year bound.
COUNTED_STATUSES = ("filed", "drawn", "scheduled", "in_progress", "completed")


def target_filters(plan: InspectionPlan) -> tuple[list[str], list[str], list[str]]:
    districts = plan.target_districts or [d.code for d in plan.department.districts]
    industries, tags = plan.target_industries, plan.target_tags
    if not industries and not tags:
        # No filter given: the items' own scopes say which firms they concern.
        industries = sorted({i for item in plan.items for i in item.scope_industries})
        tags = sorted({t for item in plan.items for t in item.scope_tags})
    return districts, industries, tags


def eligible_rows(session: Session, plan: InspectionPlan) -> list[tuple[int, str, str, int]]:
    """``(firm id, uscc, credit class, district id)`` of firms in the plan's districts matching an industry or
    a tag of its filters (or of its items' scopes)."""
    districts, industries, tags = target_filters(plan)
    match = []
    if industries:
        match.append(Firm.industry.in_(industries))
    if tags:
        match.append(Firm.id.in_(select(FirmTag.firm_id).where(FirmTag.tag.in_(tags))))
    stmt = (select(Firm.id, Firm.uscc, Firm.credit_class, Firm.district_id)
            .join(District, Firm.district_id == District.id)
            .where(District.code.in_(districts)).order_by(Firm.uscc))
    if match:
        stmt = stmt.where(or_(*match))
    return [tuple(row) for row in session.execute(stmt)]


def pool_share(session: Session, plan: InspectionPlan, ratios: dict[str, float]) -> dict:
    """The pool by class, the firms the ratios take and their share of the whole pool, beside each item's
    bound. ``share`` is the ratios weighted by the classes' sizes (what the department set); ``selected``
    counts the firms the draw takes (each class rounded up)."""
    counts = Counter(credit_class for _, _, credit_class, _ in eligible_rows(session, plan))
    pool = sum(counts.values())
    taken = {c: sample_size(float(ratios.get(c, 0)), counts.get(c, 0)) for c in CLASSES}
    weighted = sum(float(ratios.get(c, 0)) * counts.get(c, 0) for c in CLASSES)
    share = round(weighted / pool, 6) if pool else None
    bounds = []
    for item in plan.items:
        if item.ratio_min is None and item.ratio_max is None:
            continue
        bound = {"item": item.code, "name": item.name, "min": item.ratio_min, "max": item.ratio_max,
                 "text": item.ratio_published}
        if item.ratio_period == "year":
            bound.update(_year_total(session, plan, item, share))
        else:
            bound["ok"] = _within(share, item.ratio_min, item.ratio_max)
        bounds.append(bound)
    return {"pool": {c: counts.get(c, 0) for c in CLASSES}, "pool_size": pool, "taken": taken,
            "selected": sum(taken.values()), "share": share, "bounds": bounds}


def _year_total(session: Session, plan: InspectionPlan, item: CatalogueItem, share: float | None) -> dict:
    """A per-year bound: this plan's share with those of the department's other counted plans of the item (by
    code, across catalogue versions) whose period starts in the same year. ``ok`` judges the ceiling only;
    ``floor_met`` says whether the year's total has reached the floor yet."""
    year = plan.period_start.year
    same_item = (select(plan_items.c.plan_id).join(CatalogueItem, CatalogueItem.id == plan_items.c.item_id)
                 .where(CatalogueItem.code == item.code, CatalogueItem.department_id == item.department_id))
    others = session.execute(
        select(InspectionPlan.id, InspectionPlan.share)
        .where(InspectionPlan.id.in_(same_item), InspectionPlan.department_id == plan.department_id,
               InspectionPlan.status.in_(COUNTED_STATUSES), InspectionPlan.id != (plan.id or 0),
               InspectionPlan.period_start >= dt.date(year, 1, 1), InspectionPlan.period_start <= dt.date(year, 12, 31))
        .order_by(InspectionPlan.id)).all()
    other_share = round(sum((s or {}).get("share") or 0 for _, s in others), 6)
    total = round((share or 0) + other_share, 6)
    return {"per": "year", "year": year, "other_plans": [plan_id for plan_id, _ in others],
            "other_share": other_share, "year_total": total,
            "ok": None if share is None else _within(total, None, item.ratio_max),
            "floor_met": None if item.ratio_min is None else total >= item.ratio_min - 1e-9}


def _within(share: float | None, low: float | None, high: float | None) -> bool | None:
    if share is None:
        return None   # an empty pool: nothing is drawn, no bound can be broken
    return (low is None or share >= low - 1e-9) and (high is None or share <= high + 1e-9)


def share_text(share: dict | None) -> str:
    """The plan's overall share in words, for the plan page."""
    if not share:
        return ""
    if share["share"] is None:
        return "按当前名录库，抽取池中没有企业"
    return (f"抽取池 {share['pool_size']} 家，按各类比例抽取约 {share['selected']} 家，"
            f"占全部检查对象的 {share['share'] * 100:.2f}%")
