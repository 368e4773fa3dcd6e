"""Tag-driven joint campaigns (标签式监管): the platform proposes which departments' draft plans of
the same period should share one seed, and says how many entries into firms that would save.

With independent seeds, a firm that two plans may draw with probabilities p and q is entered
by both with probability p·q only by chance; with one shared seed the selections nest, and the
expected number of distinct firms entered falls from Σ 1 − Π(1 − p_i) to about Σ max p_i.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidState, NotPermitted
from ..models import CampaignProposal, InspectionPlan, User
from .draws import eligible_firms
from .events import append_event, utcnow
from .plans import create_campaign

MIN_SAVING = 1.0   # expected entries saved below which no proposal is made


def inclusion(session: Session, plan: InspectionPlan) -> dict[int, float]:
    """Each eligible firm's probability of being drawn by ``plan`` (exclusions aside)."""
    rows = eligible_firms(session, plan)
    size = Counter(credit_class for _, _, credit_class in rows)
    probability = {}
    for credit_class, count in size.items():
        ratio = float(plan.ratios.get(credit_class, 0))
        probability[credit_class] = min(count, math.ceil(ratio * count - 1e-9)) / count if count else 0.0
    return {firm_id: probability[credit_class] for firm_id, _, credit_class in rows
            if probability[credit_class] > 0}


def expected_visits(members: list[dict[int, float]]) -> tuple[float, float, int]:
    """(independent, coordinated, firms shared by two or more plans)."""
    firms: dict[int, list[float]] = defaultdict(list)
    for probabilities in members:
        for firm_id, p in probabilities.items():
            firms[firm_id].append(p)
    independent = sum(1 - math.prod(1 - p for p in ps) for ps in firms.values())
    coordinated = sum(max(ps) for ps in firms.values())
    return independent, coordinated, sum(1 for ps in firms.values() if len(ps) > 1)


def _overlap(a: InspectionPlan, b: InspectionPlan) -> bool:
    return a.period_start <= b.period_end and b.period_start <= a.period_end


def propose(session: Session) -> list[CampaignProposal]:
    """Group the draft plans of different departments whose pools overlap, greedily by saving, and keep
    one open proposal per group (groups a department has already answered are not proposed again)."""
    drafts = session.scalars(select(InspectionPlan).where(InspectionPlan.status == "draft",
                                                          InspectionPlan.campaign_id.is_(None))
                             .order_by(InspectionPlan.id)).all()
    drafts = [p for p in drafts if p.on_site and any(p.ratios.values())]
    probabilities = {p.id: inclusion(session, p) for p in drafts}
    groups = _groups(_saving_pairs(drafts, probabilities))
    return _keep_proposals(session, groups, probabilities)


def _saving_pairs(drafts: list[InspectionPlan], probabilities) -> list[tuple[float, InspectionPlan, InspectionPlan]]:
    """Pairs of plans of different departments that overlap and would save enough visits coordinated."""
    pairs = []
    for i, a in enumerate(drafts):
        for b in drafts[i + 1:]:
            if a.department_id == b.department_id or not _overlap(a, b):
                continue
            independent, coordinated, _ = expected_visits([probabilities[a.id], probabilities[b.id]])
            if independent - coordinated >= MIN_SAVING:
                pairs.append((independent - coordinated, a, b))
    return pairs


def _groups(pairs) -> list[list[InspectionPlan]]:
    """Pairs merged into groups, best saving first; a plan joins a group only if it fits every member."""
    groups: list[list[InspectionPlan]] = []
    placed: dict[int, list[InspectionPlan]] = {}
    for _, a, b in sorted(pairs, key=lambda t: (-t[0], t[1].id, t[2].id)):
        ga, gb = placed.get(a.id), placed.get(b.id)
        if ga is None and gb is None:
            group = [a, b]
        elif ga is not None and gb is None and _fits(ga, b):
            group = ga + [b]
        elif gb is not None and ga is None and _fits(gb, a):
            group = gb + [a]
        else:
            continue
        for old in (ga, gb):
            if old is not None and old in groups:
                groups.remove(old)
        groups.append(group)
        for plan in group:
            placed[plan.id] = group
    return groups


def _keep_proposals(session: Session, groups, probabilities) -> list[CampaignProposal]:
    """One open proposal row per group with its expected visits; open rows of groups that no longer hold go."""
    decided = {p.key for p in session.scalars(select(CampaignProposal).where(CampaignProposal.status != "open"))}
    open_rows = {p.key: p for p in session.scalars(select(CampaignProposal)
                                                   .where(CampaignProposal.status == "open"))}
    proposals = []
    now = utcnow()
    for group in groups:
        ids = sorted(p.id for p in group)
        key = ",".join(map(str, ids))
        if key in decided:
            continue
        independent, coordinated, shared = expected_visits([probabilities[i] for i in ids])
        proposal = open_rows.pop(key, None)
        if proposal is None:
            proposal = CampaignProposal(key=key, plan_ids=ids, status="open", accepted_plan_ids=[], created_at=now)
            session.add(proposal)
        proposal.expected_visits_independent = round(independent, 2)
        proposal.expected_visits_joint = round(coordinated, 2)
        proposal.shared_firms = shared
        proposals.append(proposal)
    for stale in open_rows.values():  # plans changed since: the old grouping no longer holds
        session.delete(stale)
    session.flush()
    return proposals


def _fits(group: list[InspectionPlan], plan: InspectionPlan) -> bool:
    return (plan.department_id not in {p.department_id for p in group}
            and all(_overlap(plan, member) for member in group))


def proposals_for(session: Session, plan: InspectionPlan) -> list[CampaignProposal]:
    return [p for p in propose(session) if plan.id in p.plan_ids]


def respond(session: Session, actor: User, proposal: CampaignProposal, plan: InspectionPlan,
            accept: bool) -> CampaignProposal:
    """A department accepts or declines for its plan; once every plan accepted, the campaign opens."""
    if actor.role != "department" or actor.department_id != plan.department_id or plan.id not in proposal.plan_ids:
        raise NotPermitted("只有建议中计划的所属部门可以答复")
    if proposal.status != "open":
        raise InvalidState("该联合抽查建议已经答复完毕")
    plans = session.scalars(select(InspectionPlan).where(InspectionPlan.id.in_(proposal.plan_ids))).all()
    if any(p.status != "draft" or p.campaign_id for p in plans):
        raise InvalidState("建议中的计划已备案或已加入其他联合抽查，建议失效")
    now = utcnow()
    if not accept:
        proposal.status, proposal.decided_at = "declined", now
        session.flush()
        append_event(session, actor, "campaign.proposal_declined", f"proposal:{proposal.id}",
                     {"plans": proposal.plan_ids, "by_plan": plan.id})
        return proposal
    proposal.accepted_plan_ids = sorted(set(proposal.accepted_plan_ids) | {plan.id})
    append_event(session, actor, "campaign.proposal_accepted", f"proposal:{proposal.id}",
                 {"plans": proposal.plan_ids, "by_plan": plan.id})
    if set(proposal.accepted_plan_ids) == set(proposal.plan_ids):
        names = "、".join(dict.fromkeys(p.department.short_name for p in plans))
        start, end = min(p.period_start for p in plans), max(p.period_end for p in plans)
        campaign = create_campaign(session, actor, title=f"联合抽查（{names}）{start:%Y-%m-%d} 至 {end:%Y-%m-%d}",
                                   period_start=start, period_end=end)
        for member in plans:
            member.campaign = campaign
        proposal.status, proposal.campaign_id, proposal.decided_at = "accepted", campaign.id, now
    session.flush()
    return proposal
