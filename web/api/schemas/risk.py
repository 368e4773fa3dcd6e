"""The early-warning model's versions, leads and 12345 hotline imports."""
from __future__ import annotations

from marshmallow import fields

from inspection.models import LEAD_KINDS

from ...schemas import BaseSchema, Day, Str, length, one_of


class LeadInSchema(BaseSchema):
    kind = Str(required=True, validate=one_of(list(LEAD_KINDS)),
               metadata={"description": "线索来源：complaint 12345 热线投诉举报, referral 移送, accident 事故报告, "
                                        "hazard 隐患报告, assignment 督办交办, platform 平台发现"})
    received_on = Day(required=True)
    reference = Str(required=True, validate=length(1, 64), metadata={"description": "来源渠道的编号（工单号、文号）"})
    summary = Str(load_default="", validate=length(max_=1000))
    source = Str(load_default="", validate=length(max_=100), metadata={"description": "线索来自哪里（移送机关等）"})


class HotlineRecordSchema(BaseSchema):
    hotline_no = Str(required=True, validate=length(1, 64), metadata={"description": "12345 热线工单号"})
    uscc = Str(required=True, validate=length(1, 18))
    received_on = Day(required=True)
    summary = Str(required=True, validate=length(max_=1000))


class HotlineImportSchema(BaseSchema):
    records = fields.List(fields.Nested(HotlineRecordSchema), required=True, validate=length(1, 5000))


class RiskModelSchema(BaseSchema):
    version = Str()
    status = Str()
    trained_at = Str(allow_none=True)
    test_year = fields.Integer(allow_none=True)
    train_years = fields.List(fields.Integer())
    fit_years = fields.List(fields.Integer())
    features = fields.List(Str())
    examples = fields.Integer()
    scores = fields.Integer()
    auc = fields.Float(allow_none=True)
    random_per_100 = fields.Float(allow_none=True)
    weighted_per_100 = fields.Float(allow_none=True)
    days_earlier = fields.Float(allow_none=True)
    message = Str()
