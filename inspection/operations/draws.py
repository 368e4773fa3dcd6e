"""Drawing firms for filed plans (双随机、一公开), with the published record of docs/protocols/draws.md."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from checklists.errors import OutsideCatalogue
from checklists.gate import require_current

from .. import queries
from ..errors import InvalidState, NotPermitted
from ..models import (
    CatalogueItem,
    Draw,
    InspectionPlan,
    InspectionTask,
    JointCampaign,
    User,
    plan_items,
)
from ..pure import draws
from ..pure.calendar import working_days
from .approvals import require_approved
from .events import append_event, format_timestamp, utcnow
from .plans import check_jurisdiction, transition
from .pool import eligible_rows
from .quiet import quiet_cover

EXCLUSION_LABELS = {"yearly_cap": "本年度该事项检查次数已达上限", "department_cap": "本年度本部门检查次数已达上限",
                    "rotation": "本计划系列近期已抽中（轮换）", "quiet_period": "计划期间全部处于企业宁静期"}


def eligible_firms(session: Session, plan: InspectionPlan) -> list[tuple[int, str, str]]:
    """``(firm id, uscc, credit class)`` of firms in the plan's districts matching an industry or a tag."""
    return [(firm_id, uscc, credit_class) for firm_id, uscc, credit_class, _ in _eligible(session, plan)]


def _eligible(session: Session, plan: InspectionPlan) -> list[tuple[int, str, str, int]]:
    check_jurisdiction(plan.department, plan.target_districts)
    return eligible_rows(session, plan)


def cap_window(day, period: str):
    """The calendar year, half-year, quarter or month that ``day`` falls in, as (first, last)."""
    months = {"year": 12, "half_year": 6, "quarter": 3, "month": 1}[period]
    first_month = (day.month - 1) // months * months + 1
    first = day.replace(month=first_month, day=1)
    last_month = first_month + months - 1
    last = (first.replace(year=first.year + 1, month=1) if last_month == 12
            else first.replace(month=last_month + 1)) - dt.timedelta(days=1)
    return first, last


def _capped_firms(session: Session, plan: InspectionPlan) -> set[int]:
    """Firms whose tasks already reach the cap of one of the plan's items in the cap's period
    (per year unless the item says per half-year, quarter or month)."""
    capped: set[int] = set()
    for item in plan.items:
        first, last = cap_window(plan.period_start, item.frequency_period)
        stmt = (select(InspectionTask.firm_id)
                .join(InspectionPlan, InspectionTask.plan_id == InspectionPlan.id)
                .join(plan_items, plan_items.c.plan_id == InspectionPlan.id)
                .join(CatalogueItem, CatalogueItem.id == plan_items.c.item_id)
                .where(CatalogueItem.code == item.code, InspectionTask.status != "cancelled",
                       InspectionPlan.id != plan.id, InspectionPlan.period_start >= first,
                       InspectionPlan.period_start <= last)
                .group_by(InspectionTask.firm_id).having(func.count() >= item.frequency_cap))
        capped.update(session.scalars(stmt))
    return capped


def _department_capped(session: Session, plan: InspectionPlan) -> set[int]:
    """Firms that this department already inspects as often this year as its published cap allows."""
    cap = plan.department.yearly_cap
    if not cap:
        return set()
    year = plan.period_start.year
    return set(session.scalars(
        select(InspectionTask.firm_id).join(InspectionPlan, InspectionTask.plan_id == InspectionPlan.id)
        .where(InspectionPlan.department_id == plan.department_id, InspectionPlan.id != plan.id,
               InspectionTask.status != "cancelled", InspectionTask.on_site.is_(True),
               extract("year", InspectionPlan.period_start) == year)
        .group_by(InspectionTask.firm_id).having(func.count() >= cap)))


def _always_quiet(session: Session, plan: InspectionPlan, rows) -> dict[int, str]:
    """Firms quiet on every working day of the plan's period (unless the plan has a typed exception),
    each with its reason naming the periods: ``quiet_period:<id>[,<id>...]``. A firm's period declared
    by a department binds that department's plans only."""
    if plan.quiet_exception or not plan.on_site:
        return {}
    days = set(working_days(plan.period_start, plan.period_end))
    cover = quiet_cover(session, [(firm_id, district_id) for firm_id, _, _, district_id in rows],
                        plan.period_start, plan.period_end, {plan.department_id})
    return {firm_id: "quiet_period:" + ",".join(str(i) for i in sorted(set().union(*closed.values())))
            for firm_id, closed in cover.items() if days and days <= closed.keys()}


def exclusion_label(reason: str) -> str:
    """The Chinese label of an exclusion reason, naming the quiet periods of ``quiet_period:<ids>``."""
    kind, _, ids = reason.partition(":")
    label = EXCLUSION_LABELS.get(kind, reason)
    return f"{label}（宁静期编号 {ids}）" if ids else label


def _rotation_excluded(session: Session, plan: InspectionPlan, eligible: dict[int, str]) -> set[int]:
    """Firms drawn by earlier periods of the same series since their class was last fully covered."""
    if not plan.series:
        return set()
    earlier = session.scalars(
        select(InspectionPlan).where(InspectionPlan.series == plan.series,
                                     InspectionPlan.department_id == plan.department_id,
                                     InspectionPlan.id != plan.id, InspectionPlan.drawn_at.is_not(None),
                                     InspectionPlan.period_start < plan.period_start)
        .order_by(InspectionPlan.period_start, InspectionPlan.id)).all()
    class_members: dict[str, set[int]] = defaultdict(set)
    for firm_id, credit_class in eligible.items():
        class_members[credit_class].add(firm_id)
    drawn_in_cycle: dict[str, set[int]] = defaultdict(set)
    for earlier_plan in earlier:
        drawn = {t.firm_id for t in earlier_plan.tasks}
        for credit_class, members in class_members.items():
            drawn_in_cycle[credit_class] |= drawn & members
            if members <= drawn_in_cycle[credit_class]:
                drawn_in_cycle[credit_class] = set()  # the class was covered: a new cycle begins
    return set().union(*drawn_in_cycle.values()) if drawn_in_cycle else set()


def require_items_in_list(plan: InspectionPlan) -> None:
    """A filed plan draws only while its items are in the list (in its version or continued by a later one)
    and in force over its period: an item revoked since filing stops the draw, saying why."""
    try:
        require_current(plan.items, department=plan.department, on=plan.period_start)
        require_current(plan.items, department=plan.department, on=plan.period_end)
    except OutsideCatalogue as err:
        raise OutsideCatalogue(f"计划「{plan.title}」不能抽取：{err.message}", fields=err.fields) from err


def _draw_one(session: Session, actor: User, plan: InspectionPlan, seed: str, committed_at, now) -> Draw:
    require_items_in_list(plan)
    rows = _eligible(session, plan)
    by_id = {firm_id: (uscc, credit_class) for firm_id, uscc, credit_class, _ in rows}
    reasons: dict[int, str] = {}
    # One reason a firm, in this order: the item's cap, the department's cap, quiet days, rotation.
    for reason, firm_ids in (("yearly_cap", _capped_firms(session, plan)),
                             ("department_cap", _department_capped(session, plan))):
        for firm_id in firm_ids & by_id.keys():
            reasons.setdefault(firm_id, reason)
    for firm_id, reason in _always_quiet(session, plan, rows).items():
        reasons.setdefault(firm_id, reason)
    for firm_id in _rotation_excluded(session, plan, {fid: c for fid, (_, c) in by_id.items()}):
        reasons.setdefault(firm_id, "rotation")
    excluded = [{"uscc": by_id[fid][0], "reason": reason} for fid, reason in reasons.items()]
    pooled = [fid for fid in by_id if fid not in reasons]
    pool = [{"uscc": by_id[fid][0], "class": by_id[fid][1]} for fid in pooled]
    model = plan.risk_model if plan.weighting == "risk" else None
    if plan.weighting == "risk" and model is None:
        raise InvalidState(f"计划「{plan.title}」为风险加权抽取，但备案时未确定预警模型版本")
    if model is not None:
        for entry, weight in zip(pool, _weights(session, plan, pooled)):
            entry["weight"] = weight
    record = draws.build_record(plan=str(plan.id), campaign=str(plan.campaign_id) if plan.campaign_id else None,
                                seed=seed, committed_at=format_timestamp(committed_at),
                                drawn_at=format_timestamp(now), ratios=plan.ratios, pool=pool, excluded=excluded,
                                risk_model=model.version if model else None)
    firm_ids = {uscc: fid for fid, (uscc, _) in by_id.items()}
    on_site = plan.on_site
    for uscc in record["selected"]:
        session.add(InspectionTask(plan=plan, firm_id=firm_ids[uscc], status="pending", on_site=on_site,
                                   window_start=plan.period_start, window_end=plan.period_end))
    draw = Draw(plan=plan, algorithm=record["algorithm"], record=record, pool_sha256=record["pool_sha256"],
                drawn_at=now)
    session.add(draw)
    transition(plan, "drawn")
    plan.drawn_at = now
    session.flush()
    append_event(session, actor, "plan.drawn", f"plan:{plan.id}",
                 {"algorithm": record["algorithm"], "seed": seed, "seed_commitment": record["seed_commitment"],
                  "pool_sha256": record["pool_sha256"], "pool": len(pool), "excluded": len(excluded),
                  "selected": len(record["selected"]), "campaign": plan.campaign_id,
                  "risk_model": record.get("risk_model"), "weight_floor": record.get("weight_floor")})
    return draw


def _weights(session: Session, plan: InspectionPlan, firm_ids: list[int]) -> list[float]:
    """Each pool firm's weight: its score under the plan's risk model for the plan's department, floored
    (draws.WEIGHT_FLOOR). A firm the model has not scored (registered since) gets the pool's mean score."""
    scores: dict[int, float] = {}
    for start in range(0, len(firm_ids), 5000):
        chunk = firm_ids[start:start + 5000]
        scores.update(session.execute(queries.risk_scores(plan.risk_model_id, plan.department_id, chunk)).all())
    mean = sum(scores.values()) / len(scores) if scores else None
    return [draws.draw_weight(scores.get(firm_id, mean)) for firm_id in firm_ids]


def draw_plan(session: Session, actor: User, plan: InspectionPlan) -> list[Draw]:
    """Draw a filed plan; a plan of a joint campaign draws with every filed plan of its campaign."""
    if plan.campaign is not None:
        return draw_campaign(session, actor, plan.campaign)
    if actor.role != "department" or actor.department_id != plan.department_id:
        raise NotPermitted("只有计划所属部门可以抽取")
    if plan.status != "filed":
        transition(plan, "drawn")  # raises with the current state named
    require_approved(session, [plan])
    return [_draw_one(session, actor, plan, plan.seed, plan.committed_at, utcnow())]


def draw_campaign(session: Session, actor: User, campaign: JointCampaign) -> list[Draw]:
    """All filed plans of the campaign draw together on the campaign's seed, revealed now."""
    members = [p for p in campaign.plans if p.status == "filed"]
    if actor.role != "department" or actor.department_id not in {p.department_id for p in campaign.plans}:
        raise NotPermitted("只有参加联合抽查的部门可以抽取")
    if campaign.status != "open":
        raise InvalidState(f"联合抽查「{campaign.title}」已经抽取或已取消")
    if not members:
        raise InvalidState(f"联合抽查「{campaign.title}」还没有已备案的计划")
    require_approved(session, members)
    now = utcnow()
    result = [_draw_one(session, actor, plan, campaign.seed, campaign.committed_at, now) for plan in members]
    campaign.status, campaign.drawn_at = "drawn", now
    session.flush()
    append_event(session, actor, "campaign.drawn", f"campaign:{campaign.id}",
                 {"seed": campaign.seed, "plans": [p.id for p in members]})
    return result
