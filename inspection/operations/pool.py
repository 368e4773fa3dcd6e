"""A plan's target pool (the firms its draw chooses from) and the share of it its class ratios take.

An item's published ratio bound ("不低于3%", "抽查比例为全年总体抽查比例") is on the whole pool: the
plan's classes may vary freely (信用风险分类监管: A 1%, D 30%) as long as together they take a share of
the pool within the bound.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import District, Firm, FirmTag, InspectionPlan
from ..pure.draws import CLASSES, sample_size


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
    bounds = [{"item": i.code, "name": i.name, "min": i.ratio_min, "max": i.ratio_max, "text": i.ratio_published,
               "ok": _within(share, i.ratio_min, i.ratio_max)}
              for i in plan.items if i.ratio_min is not None or i.ratio_max is not None]
    return {"pool": {c: counts.get(c, 0) for c in CLASSES}, "pool_size": pool, "taken": taken,
            "selected": sum(taken.values()), "share": share, "bounds": bounds}


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
