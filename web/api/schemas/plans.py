"""Plans, joint campaigns and the proposals to join them."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Bool, Day, Id, Int, Str, StrList
from .common import _z


class PlanSchema(BaseSchema):
    id = Int()
    title = Str()
    department = fields.Function(lambda p: p.department.code)
    period_start = Day()
    period_end = Day()
    status = Str()
    lead = Str(allow_none=True)
    items = fields.Function(lambda p: [{"code": i.code, "version": i.version, "name": i.name} for i in p.items])
    ratios = fields.Dict()
    ratio_source = Str(metadata={"description": "plan: set by the department; credit_policy: the city's credit policy"})
    share = fields.Dict(allow_none=True, metadata={
        "description": "pool by class, firms taken, overall share of the pool, and each item's bound beside it"})
    target_districts = StrList()
    target_industries = StrList()
    target_tags = StrList()
    officers_needed = Int()
    officer_pool = StrList()
    series = Str(allow_none=True)
    campaign = fields.Function(lambda p: p.campaign_id)
    weighting = Str()
    risk_model = fields.Function(lambda p: p.risk_model.version if p.risk_model else None)
    seed_commitment = fields.Function(lambda p: p.public_commitment)
    committed_at = fields.Function(lambda p: _z(p.campaign.committed_at if p.campaign else p.committed_at))
    drawn_at = fields.Function(lambda p: _z(p.drawn_at))
    tasks = fields.Function(lambda p: len(p.tasks))
    selection = Str()
    on_site = fields.Function(lambda p: p.on_site)
    on_site_reason = Str(allow_none=True)
    notice_days = Int(allow_none=True)


class CampaignSchema(BaseSchema):
    id = Int()
    title = Str()
    period_start = Day()
    period_end = Day()
    status = Str()
    seed_commitment = Str()
    committed_at = fields.Function(lambda c: _z(c.committed_at))
    drawn_at = fields.Function(lambda c: _z(c.drawn_at))
    plans = fields.Function(lambda c: [{"id": p.id, "department": p.department.code, "status": p.status}
                                       for p in c.plans])


class ProposalSchema(BaseSchema):
    id = Int()
    plans = fields.Function(lambda p: p.plan_ids)
    status = Str()
    accepted = fields.Function(lambda p: p.accepted_plan_ids)
    expected_visits_independent = fields.Float()
    expected_visits_joint = fields.Float()
    visits_saved = fields.Function(lambda p: round(p.visits_saved, 2))
    shared_firms = Int()
    campaign = fields.Function(lambda p: p.campaign_id)


class ProposalAnswerSchema(BaseSchema):
    plan = Id(required=True)
    accept = Bool(required=True)
