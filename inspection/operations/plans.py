"""Inspection plans (事前备案): create, file, cancel. Every item goes through the catalogue gate."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from checklists.gate import require_current, require_items
from core import clock

from .. import queries
from ..errors import InvalidInput, InvalidState, NotPermitted, OutsideJurisdiction
from ..models import (
    CREDIT_CLASSES,
    QUIET_EXCEPTIONS,
    WEIGHTINGS,
    InspectionPlan,
    InspectionTask,
    JointCampaign,
    Officer,
    User,
)
from ..pure import draws
from ..pure.calendar import credit_policy
from .events import append_event, utcnow
from .leads import lead_text, plan_lead
from .notices import approval_due
from .pool import pool_share

LEAD_METHODS = ("key", "special")
TRANSITIONS = {
    "draft": {"filed", "cancelled"},
    "filed": {"drawn", "cancelled"},
    "drawn": {"scheduled", "in_progress", "cancelled"},
    "scheduled": {"scheduled", "in_progress", "cancelled"},
    "in_progress": {"completed"},
    "completed": set(),
    "cancelled": set(),
}
ACTION_LABELS = {"filed": "备案", "drawn": "抽取", "scheduled": "排程", "in_progress": "开始实施",
                 "completed": "完成", "cancelled": "取消"}


def transition(plan: InspectionPlan, to: str) -> str:
    """Move ``plan`` to ``to`` or refuse with the current state named; returns the old state."""
    if to not in TRANSITIONS[plan.status]:
        raise InvalidState(f"计划「{plan.title}」当前状态为「{plan.status_label}」，不能{ACTION_LABELS[to]}",
                           fields={"status": plan.status})
    old, plan.status = plan.status, to
    return old


def require_department_of(actor: User, plan: InspectionPlan) -> None:
    if actor.role != "department" or actor.department_id != plan.department_id:
        raise NotPermitted("只有计划所属部门可以执行此操作")


def _check_ratios(ratios: dict) -> dict[str, float]:
    unknown = sorted(set(ratios) - set(CREDIT_CLASSES))
    if unknown:
        raise InvalidInput(f"未知的信用风险分类 {'、'.join(unknown)}（应为 A、B、C、D）", fields={"ratios": "未知分类"})
    clean = {}
    for credit_class, ratio in ratios.items():
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
            raise InvalidInput(f"{credit_class} 类抽查比例应在 0 至 1 之间", fields={"ratios": {credit_class: "应在 0 至 1 之间"}})
        clean[credit_class] = float(ratio)
    return clean


def check_jurisdiction(department, codes: list[str]) -> list[str]:
    """The district codes, all of them in ``department``'s jurisdiction today, or a refusal naming the others."""
    jurisdiction = {d.code: d.name for d in department.districts}
    outside = [code for code in codes if code not in jurisdiction]
    if outside:
        raise OutsideJurisdiction(f"区县 {'、'.join(outside)} 不在{department.name}的管辖范围内（禁止违规异地执法）",
                                  fields={"target_districts": {code: "不在管辖范围内" for code in outside}})
    return list(dict.fromkeys(codes))


def _check_quiet_exception(kind: str | None, evidence: str | None) -> tuple[str | None, str | None]:
    evidence = (evidence or "").strip() or None
    if kind is None and evidence is None:
        return None, None
    if kind not in QUIET_EXCEPTIONS:
        raise InvalidInput("宁静期例外的类型应为：" + "、".join(f"{k}（{v}）" for k, v in QUIET_EXCEPTIONS.items()),
                           fields={"quiet_exception": "未知类型"})
    if evidence is None:
        raise InvalidInput("宁静期例外须附依据（投诉编号、事故报告、隐患记录或上级文件）",
                           fields={"quiet_exception_evidence": "必填"})
    return kind, evidence


def _checked(session: Session, actor: User, *, title: str, period_start: dt.date, period_end: dt.date,
             item_codes: list[str], lead: str | None, ratios: dict | None, target_districts: list[str] | None,
             target_industries: list[str] | None, target_tags: list[str] | None, officers_needed: int,
             series: str | None, campaign: JointCampaign | None, quiet_exception: str | None,
             quiet_exception_evidence: str | None, officer_pool: list[str] | None, on_site_reason: str | None,
             weighting: str, notice_days: int | None, credit_ratios: bool) -> tuple[dict, object]:
    """A draft plan's fields, each checked (the same rules for a new draft and an edited one), and the
    lead record it rests on."""
    if actor.role != "department" or actor.department is None:
        raise NotPermitted("只有执法部门账号可以编制检查计划")
    if weighting not in WEIGHTINGS:
        raise InvalidInput("抽取方式应为 ratios（按信用风险分类比例）或 risk（比例 + 风险加权）",
                           fields={"weighting": "取值无效"})
    if not (title or "").strip():
        raise InvalidInput("请填写计划名称", fields={"title": "必填"})
    if period_end < period_start:
        raise InvalidInput("计划结束日期早于开始日期", fields={"period_end": "早于开始日期"})
    items = require_items(session, item_codes, department=actor.department, on=period_start)
    if period_end != period_start:
        require_items(session, item_codes, department=actor.department, on=period_end)
    needs_lead = [i.code for i in items if i.method in LEAD_METHODS]
    if needs_lead and not (lead and lead.strip()):
        raise InvalidInput(f"重点检查、专项检查事项（{'、'.join(needs_lead)}）须记录线索来源（无线索不检查）",
                           fields={"lead": "必填"})
    # A key or special plan rests on a lead recorded on the platform, named by its reference.
    record = plan_lead(session, actor.department, lead, clock.today()) if needs_lead else None
    if record is not None:
        lead = lead_text(record)
    if officers_needed < 2:
        raise InvalidInput("每项入企检查至少需要两名执法人员", fields={"officers_needed": "至少 2 人"})
    if campaign is not None:
        _check_campaign(campaign, period_start, period_end)
    exception, evidence = _check_quiet_exception(quiet_exception, quiet_exception_evidence)
    pool = _check_officer_pool(session, actor, officer_pool or [], officers_needed)
    if credit_ratios:
        if ratios:
            raise InvalidInput("按信用风险分类政策取比例时不能另设抽查比例", fields={"ratios": "与信用政策二选一"})
        ratios = credit_policy()
        if not ratios:
            raise InvalidInput("本市尚未设定信用风险分类抽查比例（城市文件的 credit_ratios）",
                               fields={"credit_ratios": "未设定"})
    clean_ratios = _check_ratios(ratios or {})
    return dict(
        title=title.strip(), period_start=period_start, period_end=period_end,
        lead=(lead or "").strip() or None, lead_id=record.id if record else None, items=items,
        ratios=clean_ratios, target_districts=check_jurisdiction(actor.department, target_districts or []),
        target_industries=list(dict.fromkeys(target_industries or [])),
        target_tags=list(dict.fromkeys(target_tags or [])), officer_pool=pool, officers_needed=officers_needed,
        series=(series or "").strip() or None, campaign=campaign, quiet_exception=exception,
        quiet_exception_evidence=evidence, on_site_reason=(on_site_reason or "").strip() or None,
        weighting=weighting, notice_days=_check_notice(items, notice_days),
        ratio_source="credit_policy" if credit_ratios else "plan"), record


def _plan_payload(plan: InspectionPlan, record) -> dict:
    return {"department": plan.department.code, "title": plan.title,
            "period": [plan.period_start, plan.period_end], "items": [f"{i.code}@{i.version}" for i in plan.items],
            "ratios": plan.ratios, "ratio_source": plan.ratio_source, "share": plan.share,
            "campaign": plan.campaign.id if plan.campaign else None,
            "quiet_exception": plan.quiet_exception, "on_site": plan.on_site, "on_site_reason": plan.on_site_reason,
            "weighting": plan.weighting, "lead": record.reference if record else None}


def create_plan(session: Session, actor: User, *, title: str, period_start: dt.date, period_end: dt.date,
                item_codes: list[str], lead: str | None = None, ratios: dict | None = None,
                target_districts: list[str] | None = None, target_industries: list[str] | None = None,
                target_tags: list[str] | None = None, officers_needed: int = 2, series: str | None = None,
                campaign: JointCampaign | None = None, quiet_exception: str | None = None,
                quiet_exception_evidence: str | None = None, officer_pool: list[str] | None = None,
                on_site_reason: str | None = None, weighting: str = "ratios",
                notice_days: int | None = None, credit_ratios: bool = False) -> InspectionPlan:
    """Create a draft plan of the actor's department on published catalogue items; ``weighting`` is
    ``ratios`` (class ratios only) or ``risk`` (the same ratios, firms weighted by their risk scores).
    With ``credit_ratios`` the class ratios are the city's credit policy (信用风险分类监管)."""
    fields, record = _checked(session, actor, title=title, period_start=period_start, period_end=period_end,
                              item_codes=item_codes, lead=lead, ratios=ratios, target_districts=target_districts,
                              target_industries=target_industries, target_tags=target_tags,
                              officers_needed=officers_needed, series=series, campaign=campaign,
                              quiet_exception=quiet_exception, quiet_exception_evidence=quiet_exception_evidence,
                              officer_pool=officer_pool, on_site_reason=on_site_reason, weighting=weighting,
                              notice_days=notice_days, credit_ratios=credit_ratios)
    plan = InspectionPlan(department=actor.department, status="draft", created_by=actor, created_at=utcnow(),
                          **fields)
    if plan.ratios:
        plan.share = check_share(session, plan)
    session.add(plan)
    session.flush()
    append_event(session, actor, "plan.created", f"plan:{plan.id}", _plan_payload(plan, record))
    return plan


def update_plan(session: Session, actor: User, plan: InspectionPlan, *, title: str, period_start: dt.date,
                period_end: dt.date, item_codes: list[str], lead: str | None = None, ratios: dict | None = None,
                target_districts: list[str] | None = None, target_industries: list[str] | None = None,
                series: str | None = None, on_site_reason: str | None = None, weighting: str = "ratios",
                notice_days: int | None = None, credit_ratios: bool = False) -> InspectionPlan:
    """Edit a draft of the actor's department; a filed plan is fixed (its seed is committed to)."""
    require_department_of(actor, plan)
    if plan.status != "draft":
        raise InvalidState(f"计划「{plan.title}」当前状态为「{plan.status_label}」，只有草稿可以修改")
    fields, record = _checked(session, actor, title=title, period_start=period_start, period_end=period_end,
                              item_codes=item_codes, lead=lead, ratios=ratios, target_districts=target_districts,
                              target_industries=target_industries, target_tags=plan.target_tags,
                              officers_needed=plan.officers_needed, series=series, campaign=plan.campaign,
                              quiet_exception=plan.quiet_exception,
                              quiet_exception_evidence=plan.quiet_exception_evidence,
                              officer_pool=plan.officer_pool, on_site_reason=on_site_reason, weighting=weighting,
                              notice_days=notice_days, credit_ratios=credit_ratios)
    with session.no_autoflush:
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.share = check_share(session, plan) if plan.ratios else None
    session.flush()
    append_event(session, actor, "plan.updated", f"plan:{plan.id}", _plan_payload(plan, record))
    return plan


def _check_notice(items, days: int | None) -> int | None:
    """检查预告: a plan may tell the firms its visits ahead only where every item allows it."""
    if not days:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
        raise InvalidInput("检查预告天数应为 1 至 30 天", fields={"notice_days": "应为 1 至 30"})
    barred = [i.code for i in items if not i.advance_notice]
    if barred:
        raise InvalidInput(f"事项 {'、'.join(barred)} 不允许检查预告（重点、专项检查不得提前告知）",
                           fields={"notice_days": "事项不允许预告"})
    return days


def check_share(session: Session, plan: InspectionPlan) -> dict:
    """The plan's share of its pool against each item's published bound, which is on the whole pool
    ("抽查比例为全年总体抽查比例"): the classes vary freely within it. Returns the share to record."""
    with session.no_autoflush:   # a plan being created is not in the session yet
        share = pool_share(session, plan, plan.ratios)
    bad = {b["item"]: _over(b, share) for b in share["bounds"] if b["ok"] is False}
    if bad:
        raise InvalidInput("；".join(bad.values()), fields={"ratios": bad})
    return share


def _over(bound: dict, share: dict) -> str:
    """Why a plan's share breaks an item's bound, in Chinese: per plan, or (a bound said per year) the year's
    total of the department's plans of the item."""
    label = f"事项 {bound['item']}「{bound['name']}」要求抽查比例{bound['text']}"
    mine = f"本计划各类比例合计为抽取池 {share['pool_size']} 家的 {share['share'] * 100:.2f}%"
    if bound.get("per") != "year":
        return f"{label}（针对全部检查对象），{mine}"
    return (f"{label}（按全年各计划合计），{mine}，加上本部门 {bound['year']} 年该事项已备案的其他 "
            f"{len(bound['other_plans'])} 个计划（合计 {bound['other_share'] * 100:.2f}%），"
            f"{bound['year']} 年合计为 {bound['year_total'] * 100:.2f}%，超过上限 {bound['max'] * 100:g}%")


def _check_officer_pool(session: Session, actor: User, numbers: list[str], needed: int) -> list[str]:
    """The plan's inspector pool: certificate numbers of the department's enforcement officers."""
    numbers = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not numbers:
        return []
    found = {o.certificate_no: o for o in session.scalars(select(Officer).where(Officer.certificate_no.in_(numbers)))}
    bad = {n: "不是本部门的持证执法人员" for n in numbers
           if n not in found or found[n].department_id != actor.department_id or found[n].kind != "enforcement"}
    if bad:
        raise InvalidInput("执法人员库中有不属于本部门的人员：" + "、".join(bad), fields={"officer_pool": bad})
    if len(numbers) < needed:
        raise InvalidInput(f"执法人员库至少需要 {needed} 人", fields={"officer_pool": f"至少 {needed} 人"})
    return numbers


def _check_campaign(campaign: JointCampaign, start: dt.date, end: dt.date) -> None:
    if campaign.status != "open":
        raise InvalidState(f"联合抽查「{campaign.title}」已抽取或已取消，不能再加入计划")
    if start < campaign.period_start or end > campaign.period_end:
        raise InvalidInput(f"计划期间须在联合抽查期间 {campaign.period_start} 至 {campaign.period_end} 之内",
                           fields={"period_start": "超出联合抽查期间"})


def file_plan(session: Session, actor: User, plan: InspectionPlan) -> InspectionPlan:
    """File the plan (备案): the items are checked again, and the draw seed's commitment is published."""
    require_department_of(actor, plan)
    require_current(plan.items, department=plan.department, on=plan.period_start)
    require_current(plan.items, department=plan.department, on=plan.period_end)
    check_jurisdiction(plan.department, plan.target_districts)
    if not plan.ratios or not any(plan.ratios.values()):
        raise InvalidInput("备案前须设定至少一个信用风险分类的抽查比例", fields={"ratios": "必填"})
    plan.share = check_share(session, plan)
    if plan.weighting == "risk":
        model = session.scalar(queries.published_risk_model())
        if model is None:
            raise InvalidState("尚无已发布的预警模型，不能备案风险加权抽取的计划：请先训练模型，或改为按信用风险分类比例抽取",
                               fields={"weighting": "没有已发布的预警模型"})
        plan.risk_model = model  # bound before the seed is revealed: the weights cannot be chosen afterwards
    transition(plan, "filed")
    now = utcnow()
    if plan.campaign is None:
        plan.seed = draws.new_seed()
        plan.seed_commitment = draws.commitment(plan.seed)
        plan.committed_at = now
    else:
        _check_campaign(plan.campaign, plan.period_start, plan.period_end)
    session.flush()
    append_event(session, actor, "plan.filed", f"plan:{plan.id}",
                 {"seed_commitment": plan.public_commitment,
                  "campaign": plan.campaign_id, "ratios": plan.ratios, "ratio_source": plan.ratio_source,
                  "share": plan.share, "weighting": plan.weighting,
                  "risk_model": plan.risk_model.version if plan.risk_model else None})
    approval_due(session, plan)
    return plan


def cancel_plan(session: Session, actor: User, plan: InspectionPlan, reason: str) -> InspectionPlan:
    require_department_of(actor, plan)
    if not reason.strip():
        raise InvalidInput("取消计划须说明理由", fields={"reason": "必填"})
    old = transition(plan, "cancelled")
    for task in plan.tasks:
        if task.status in ("pending", "scheduled"):
            task.status = "cancelled"
    session.flush()
    append_event(session, actor, "plan.cancelled", f"plan:{plan.id}", {"from": old, "reason": reason.strip()})
    return plan


def create_campaign(session: Session, actor: User, *, title: str, period_start: dt.date,
                    period_end: dt.date) -> JointCampaign:
    """Open a joint campaign; its seed's commitment is published at once."""
    if actor.role != "department":
        raise NotPermitted("只有执法部门账号可以发起联合抽查")
    if period_end < period_start:
        raise InvalidInput("结束日期早于开始日期", fields={"period_end": "早于开始日期"})
    seed = draws.new_seed()
    campaign = JointCampaign(title=title.strip(), period_start=period_start, period_end=period_end, status="open",
                             seed=seed, seed_commitment=draws.commitment(seed), committed_at=utcnow(),
                             created_by_id=actor.id)
    session.add(campaign)
    session.flush()
    append_event(session, actor, "campaign.opened", f"campaign:{campaign.id}",
                 {"title": campaign.title, "seed_commitment": campaign.seed_commitment,
                  "period": [period_start, period_end]})
    return campaign


def file_targeted_plan(session: Session, actor: User, department, *, title: str, item_codes: list[str], firms: list,
                       lead: str, period_start: dt.date, period_end: dt.date, on_site_reason: str | None = None,
                       quiet_exception: str | None = None, quiet_exception_evidence: str | None = None,
                       kind: str = "lead", lead_record=None) -> InspectionPlan:
    """A targeted plan (定向检查): its firms come from a recorded lead (a complaint, a referral, an off-site
    check escalated to an on-site one), not from a draw. It passes the same gates as any plan (items
    published and the department's, firms in its jurisdiction, a lead) and is filed with its tasks at once,
    so that the next schedule build places them like every other task."""
    if not (lead and lead.strip()):
        raise InvalidInput("定向检查须记录线索来源（无线索不检查）", fields={"lead": "必填"})
    if period_end < period_start:
        raise InvalidInput("计划结束日期早于开始日期", fields={"period_end": "早于开始日期"})
    items = require_items(session, item_codes, department=department, on=period_start)
    needs_lead = [i.code for i in items if i.method in LEAD_METHODS]
    if needs_lead and lead_record is None:
        raise InvalidInput(f"重点检查、专项检查事项（{'、'.join(needs_lead)}）须依据平台登记的线索（无线索不检查）",
                           fields={"lead": "未登记"})
    jurisdiction = {d.id for d in department.districts}
    outside = [f for f in firms if f.district_id not in jurisdiction]
    if outside:
        raise OutsideJurisdiction(f"{outside[0].name}不在{department.name}的管辖区域，禁止违规异地执法",
                                  fields={"firm": outside[0].uscc})
    exception, evidence = _check_quiet_exception(quiet_exception, quiet_exception_evidence)
    now = utcnow()
    plan = InspectionPlan(department=department, title=title.strip(), period_start=period_start, period_end=period_end,
                          status="drawn", selection="targeted", lead=lead.strip(),
                          lead_id=lead_record.id if lead_record is not None else None, created_by=actor, created_at=now,
                          items=items, ratios={}, target_districts=[], target_industries=[], target_tags=[],
                          officer_pool=[], officers_needed=2, on_site_reason=(on_site_reason or "").strip() or None,
                          quiet_exception=exception, quiet_exception_evidence=evidence)
    # No firm is drawn, but the officers still are (the second random): the seed is committed now.
    plan.seed = draws.new_seed()
    plan.seed_commitment, plan.committed_at = draws.commitment(plan.seed), now
    session.add(plan)
    session.flush()
    for firm in firms:
        session.add(InspectionTask(plan=plan, firm_id=firm.id, status="pending", on_site=plan.on_site,
                                   window_start=period_start, window_end=period_end))
    session.flush()
    append_event(session, actor, "plan.targeted", f"plan:{plan.id}",
                 {"department": department.code, "title": plan.title, "kind": kind, "lead": plan.lead,
                  "lead_reference": lead_record.reference if lead_record is not None else None,
                  "period": [period_start, period_end], "items": [f"{i.code}@{i.version}" for i in items],
                  "firms": [f.uscc for f in firms], "on_site": plan.on_site, "seed_commitment": plan.seed_commitment})
    return plan
