"""Response and request schemas of the API."""
from __future__ import annotations

from marshmallow import fields

from inspection.operations.events import format_timestamp

from ..schemas import BaseSchema, Bool, Day, Id, Int, Page, Str, StrList, between, length, one_of


class ErrorSchema(BaseSchema):
    error = Str(metadata={"description": "machine-readable code, e.g. validation_failed, outside_catalogue"})
    message = Str(metadata={"description": "中文说明"})
    fields = fields.Dict()


class DepartmentSchema(BaseSchema):
    code = Str()
    name = Str()
    short_name = Str()
    yearly_cap = Int(allow_none=True)
    districts = fields.Function(lambda d: [x.code for x in d.districts])


class LegalBasisSchema(BaseSchema):
    law = Str()
    articles = Str()
    text = Str(metadata={"description": "the citation as the list publishes it, where it was one text"})


class PointSchema(BaseSchema):
    position = Int()
    text = Str()
    legal_basis = Str()
    verify = Str()


class ItemSummarySchema(BaseSchema):
    code = Str()
    version = Str()
    name = Str()
    department = fields.Function(lambda item: item.department.code)
    category = Str()
    method = Str()
    target_type = Str()
    frequency_cap = Int()
    frequency_period = Str()
    ratio_min = fields.Float(allow_none=True)
    ratio_max = fields.Float(allow_none=True)
    modes = StrList()
    parent_code = Str(allow_none=True)
    qualification = Str(allow_none=True)
    status = Str()
    effective_from = Day()
    effective_to = Day(allow_none=True)
    frequency_words = Str(allow_none=True, metadata={"description": "抽查频次 as the list publishes it"})
    ratio_words = Str(allow_none=True, metadata={"description": "抽查比例 as the list publishes it"})
    runs_min = Int(allow_none=True, metadata={"description": "the department's rounds of the check per period, at least"})
    runs_max = Int(allow_none=True)
    ratio_source = Str(metadata={"description": "item: the bounds above; plan: set by each plan; higher: by a higher level"})
    ratio_options = fields.List(fields.Dict(), allow_none=True)
    ratio_period = Str(allow_none=True, metadata={"description": "year: the bounds hold for the sum of the department's "
                                                                 "plans of the item in a year; null: for each plan"})
    is_group = fields.Bool(metadata={"description": "a heading: plans name its sub-items"})


class ItemSchema(ItemSummarySchema):
    legal_basis = fields.List(fields.Nested(LegalBasisSchema))
    scope = fields.Function(lambda item: {"industries": item.scope_industries, "tags": item.scope_tags})
    points = fields.List(fields.Nested(PointSchema))


class ItemQuerySchema(BaseSchema):
    department = Str(validate=length(1, 32))
    method = Str(validate=one_of(["random", "key", "special", "offsite"]))
    q = Str(validate=length(1, 50))


class UserSchema(BaseSchema):
    username = Str()
    display_name = Str()
    role = Str()
    department = fields.Function(lambda u: u.department.code if u.department else None)
    firm = fields.Function(lambda u: u.firm.uscc if u.firm else None)
    certificate_no = fields.Function(lambda u: u.officer.certificate_no if u.officer else None)


class FirmSchema(BaseSchema):
    uscc = Str()
    name = Str()
    district = fields.Function(lambda f: f.district.name)
    district_code = fields.Function(lambda f: f.district.code)
    industry = Str()
    credit_class = Str()
    tags = StrList()
    address = Str()


class FirmQuerySchema(BaseSchema):
    district = Str(validate=length(1, 12))
    industry = Str(validate=length(1, 32))
    credit_class = Str(validate=one_of(["A", "B", "C", "D"]))
    tag = Str(validate=length(1, 32))
    q = Str(validate=length(1, 50))
    page = Page(load_default=1)
    per_page = Int(load_default=50, validate=between(1, 500))


class FirmPageSchema(BaseSchema):
    total = Int()
    page = Int()
    per_page = Int()
    items = fields.List(fields.Nested(FirmSchema))


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


class DrawRecordSchema(BaseSchema):
    """The draw record (README, "Checking the platform from outside"), exactly as stored."""

    algorithm = Str()
    plan = Str()
    campaign = Str(allow_none=True)
    seed = Str()
    seed_commitment = Str()
    committed_at = Str()
    drawn_at = Str()
    ratios = fields.Dict(keys=Str(), values=fields.Float())
    pool = fields.List(fields.Dict())
    excluded = fields.List(fields.Dict())
    selected = StrList()
    pool_sha256 = Str()
    risk_model = Str(metadata={"description": "prn-sps-hmac-sha256-v1 only: the risk model version of the weights"})
    weight_floor = fields.Float(metadata={"description": "prn-sps-hmac-sha256-v1 only: the floor of every weight"})


def _z(value):
    return format_timestamp(value) if value else None


class LogHeadSchema(BaseSchema):
    seq = Int()
    hash = Str()


class LogExportQuerySchema(BaseSchema):
    since = Int(load_default=0, validate=between(0, 2**31 - 1),
                metadata={"description": "只导出序号大于此值的记录（默认 0：从第 1 条起）"})


class LogVerifySchema(BaseSchema):
    ok = Bool()
    records = Int()
    problem = Str(allow_none=True)
    first_bad_seq = Int(allow_none=True)
    queued = Int(metadata={"description": "已提交、尚待封入哈希链的记录数（由网站进程在提交后随即封入）"})


class ScheduleRunSchema(BaseSchema):
    id = Int()
    status = Str()
    progress = fields.Float()
    message = Str()
    period_start = Day()
    period_end = Day()
    plans = fields.Function(lambda r: r.plan_ids)
    stats = fields.Dict()
    unscheduled = fields.List(fields.Dict())
    started_at = fields.Function(lambda r: _z(r.started_at))
    finished_at = fields.Function(lambda r: _z(r.finished_at))


class VisitSchema(BaseSchema):
    id = Int()
    firm = fields.Function(lambda v: v.firm.uscc)
    firm_name = fields.Function(lambda v: v.firm.name)
    district = fields.Function(lambda v: v.firm.district.name)
    day = Day()
    status = Str()
    locked = Bool()
    joint = Bool()
    tasks = fields.Function(lambda v: [{"id": t.id, "plan": t.plan_id, "department": t.plan.department.code,
                                        "status": t.status} for t in v.tasks])
    officers = fields.Function(lambda v: [{"department": o.department.code, "certificate_no": o.officer.certificate_no,
                                           "name": o.officer.name} for o in v.officers])


class VisitLockSchema(BaseSchema):
    locked = Bool(load_default=True)


class VisitMoveSchema(BaseSchema):
    day = Day(required=True)


class RankingSchema(BaseSchema):
    department = fields.Function(lambda r: r.officer.department.code)
    certificate_no = fields.Function(lambda r: r.officer.certificate_no)
    name = fields.Function(lambda r: r.officer.name)
    rank = Int()
    key = Str()
    chosen = Bool()
    reason = Str(allow_none=True)


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


class QuietPeriodInSchema(BaseSchema):
    scope = Str(required=True, validate=one_of(["city", "district", "firm"]))
    district = Str(load_default=None, allow_none=True)
    firm = Str(load_default=None, allow_none=True)
    days_of_month = fields.List(Int(), load_default=None, allow_none=True)
    start = Day(load_default=None, allow_none=True)
    end = Day(load_default=None, allow_none=True)
    reason = Str(required=True, validate=length(2, 200))
    evidence = Str(load_default=None, allow_none=True, validate=length(2, 500))


class QuietPeriodSchema(BaseSchema):
    id = Int()
    scope = Str()
    district = fields.Function(lambda q: q.district_id)
    firm = fields.Function(lambda q: q.firm_id)
    days_of_month = fields.List(Int(), allow_none=True)
    start = Day(allow_none=True)
    end = Day(allow_none=True)
    reason = Str()
    department = fields.Function(lambda q: q.department_id)
    evidence = Str(allow_none=True)
    declared_on = Day(allow_none=True)


class YearlyCapSchema(BaseSchema):
    yearly_cap = Int(required=True, allow_none=True)


class ConflictInSchema(BaseSchema):
    firm = Str(required=True, validate=length(18, 18))
    reason = Str(required=True, validate=length(2, 200))


class ConflictSchema(BaseSchema):
    officer = fields.Function(lambda c: c.officer_id)
    firm = fields.Function(lambda c: c.firm_id)
    reason = Str()
