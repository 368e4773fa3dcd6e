"""Inspection plans (事前备案), their draws (双随机) and joint campaigns."""
from __future__ import annotations

from flask import abort
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from inspection import queries
from inspection.errors import NotFound
from inspection.models import CampaignProposal, InspectionPlan, JointCampaign
from inspection.operations.campaigns import proposals_for, respond
from inspection.operations.draws import draw_campaign, draw_plan
from inspection.operations.plans import cancel_plan, create_campaign, create_plan, file_plan
from inspection.permissions import can_view_plan

from ..auth import roles_required
from ..database import db, writes_when_read
from ..schemas import CampaignCreateSchema, PlanCreateSchema, ReasonSchema
from .schemas import CampaignSchema, PlanSchema, ProposalAnswerSchema, ProposalSchema

PREFIX = ""
blp = Blueprint("api_plans", __name__, description="检查计划、抽取与联合抽查")


def _own_plan(plan_id: int) -> InspectionPlan:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None or not can_view_plan(current_user, plan):
        abort(404)
    return plan


@blp.get("/plans")
@roles_required("department", "oversight", "admin")
@blp.response(200, PlanSchema(many=True))
def list_plans():
    department = current_user.department_id if current_user.role == "department" else None
    return db().scalars(queries.plans_of(department)).all()


@blp.post("/plans")
@roles_required("department")
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
def new_plan(body):
    campaign = None
    if body.get("campaign") is not None:
        campaign = db().get(JointCampaign, body["campaign"])
        if campaign is None:
            raise NotFound(f"没有编号为 {body['campaign']} 的联合抽查", fields={"campaign": "不存在"})
    return create_plan(db(), current_user, title=body["title"], period_start=body["period_start"],
                       period_end=body["period_end"], item_codes=body["items"], lead=body.get("lead"),
                       ratios=body["ratios"], target_districts=body["target_districts"],
                       target_industries=body["target_industries"], target_tags=body["target_tags"],
                       officers_needed=body["officers_needed"], series=body.get("series"), campaign=campaign,
                       quiet_exception=body.get("quiet_exception"),
                       quiet_exception_evidence=body.get("quiet_exception_evidence"),
                       officer_pool=body["officer_pool"], on_site_reason=body.get("on_site_reason"),
                       weighting=body["weighting"], notice_days=body.get("notice_days"),
                       credit_ratios=body["credit_ratios"])


@blp.get("/plans/<int:plan_id>")
@login_required
@blp.response(200, PlanSchema)
def get_plan(plan_id: int):
    return _own_plan(plan_id)


@blp.post("/plans/<int:plan_id>/file")
@roles_required("department")
@blp.response(200, PlanSchema)
def file(plan_id: int):
    return file_plan(db(), current_user, _own_plan(plan_id))


@blp.post("/plans/<int:plan_id>/draw")
@roles_required("department")
@blp.response(200, PlanSchema)
def draw(plan_id: int):
    plan = _own_plan(plan_id)
    draw_plan(db(), current_user, plan)
    return plan


@blp.post("/plans/<int:plan_id>/cancel")
@roles_required("department")
@blp.arguments(ReasonSchema)
@blp.response(200, PlanSchema)
def cancel(body, plan_id: int):
    return cancel_plan(db(), current_user, _own_plan(plan_id), body["reason"])


@blp.post("/campaigns")
@roles_required("department")
@blp.arguments(CampaignCreateSchema)
@blp.response(201, CampaignSchema)
def new_campaign(body):
    return create_campaign(db(), current_user, title=body["title"], period_start=body["period_start"],
                           period_end=body["period_end"])


@blp.get("/campaigns/<int:campaign_id>")
@blp.response(200)
def get_campaign(campaign_id: int):
    """A campaign's title, commitment and plans are public (一公开), its draft plans only to their own
    department: a draft is not yet a decision."""
    campaign = db().get(JointCampaign, campaign_id)
    if campaign is None:
        abort(404)
    mine = current_user.department_id if current_user.is_authenticated else None
    return {**CampaignSchema().dump(campaign),
            "plans": [{"id": p.id, "department": p.department.code, "status": p.status} for p in campaign.plans
                      if p.status != "draft" or (mine is not None and p.department_id == mine)]}


@blp.post("/campaigns/<int:campaign_id>/draw")
@roles_required("department")
@blp.response(200, CampaignSchema)
def draw_joint(campaign_id: int):
    campaign = db().get(JointCampaign, campaign_id)
    if campaign is None:
        abort(404)
    draw_campaign(db(), current_user, campaign)
    return campaign


@blp.get("/plans/<int:plan_id>/campaign-proposals")
@roles_required("department", "oversight", "admin")
@blp.response(200, ProposalSchema(many=True))
@writes_when_read    # the proposals are brought up to date as they are read
def campaign_proposals(plan_id: int):
    """Joint-campaign proposals that involve this draft plan, with the entries they would save."""
    return proposals_for(db(), _own_plan(plan_id))


@blp.post("/campaign-proposals/<int:proposal_id>/answer")
@roles_required("department")
@blp.arguments(ProposalAnswerSchema)
@blp.response(200, ProposalSchema)
def answer_proposal(body, proposal_id: int):
    proposal = db().get(CampaignProposal, proposal_id)
    if proposal is None:
        abort(404)
    return respond(db(), current_user, proposal, _own_plan(body["plan"]), body["accept"])
