"""Off-site checks (非现场核查): requests, extensions, the review and rectification."""
from __future__ import annotations

from marshmallow import fields

from inspection.models import OFFSITE_STATUSES

from ...schemas import BaseSchema, Day, Id, Int, Str, length, one_of


class RequestSummarySchema(BaseSchema):
    id = Int()
    task = fields.Function(lambda r: r.task_id)
    firm = fields.Function(lambda r: r.firm.uscc)
    department = fields.Function(lambda r: r.department.code)
    status = Str()
    deadline = Day()
    due = Day()
    escalated_task = fields.Function(lambda r: r.escalated_task_id)


class RequestQuerySchema(BaseSchema):
    status = Str(validate=one_of(OFFSITE_STATUSES))


class ExtensionSchema(BaseSchema):
    reason = Str(required=True, validate=length(2, 500))


class DecisionInSchema(BaseSchema):
    point = Id(required=True)
    result = Str(required=True, validate=one_of(["compliant", "non_compliant", "not_applicable", "escalate"]))
    note = Str(load_default="", validate=length(max_=1000))


class OutcomeChoiceSchema(BaseSchema):
    item = Str(required=True, validate=length(1, 32))
    outcome = Str(required=True, validate=one_of(["no_problem", "rectify", "case"]))
    rectify_by = Day(load_default=None, allow_none=True)


class ReviewSchema(BaseSchema):
    decisions = fields.List(fields.Nested(DecisionInSchema), required=True)
    outcomes = fields.List(fields.Nested(OutcomeChoiceSchema), load_default=list)
    escalation_reason = Str(load_default="", validate=length(max_=1000))


class RectifiedSchema(BaseSchema):
    note = Str(load_default="", validate=length(max_=500))
