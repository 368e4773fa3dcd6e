"""At the firm: scans, findings, leniency decisions, outcomes, evaluations."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Day, Id, Instant, Int, Str, between, length, one_of


class ScanLeadSchema(BaseSchema):
    kind = Str(required=True, validate=one_of(["complaint", "referral", "accident"]))
    reference = Str(required=True, validate=length(1, 64))
    item = Str(required=True, validate=length(1, 32))


class EmergencyInSchema(BaseSchema):
    kind = Str(required=True, validate=one_of(["accident", "hazard"]))
    item = Str(required=True, validate=length(1, 32))
    entered_at = Instant(load_default=None, allow_none=True,
                         metadata={"description": "when the team went in (ISO 8601)"})


class ScanInSchema(BaseSchema):
    token = Str(required=True, validate=length(8, 64),
                metadata={"description": "the token of the firm's QR code, or its short code typed by hand "
                                         "(7KQ4-M2XD-9: any case, spaces or hyphens)"})
    lead = fields.Nested(ScanLeadSchema, load_default=None, allow_none=True,
                         metadata={"description": "依线索入企: a lead recorded for this firm"})
    emergency = fields.Nested(EmergencyInSchema, load_default=None, allow_none=True,
                              metadata={"description": "紧急入企: the lead is back-filed within 3 working days"})


class FindingInSchema(BaseSchema):
    task = Id(required=True)
    point = Id(required=True)
    result = Str(required=True, validate=one_of(["compliant", "non_compliant", "not_applicable"]))
    note = Str(load_default="", validate=length(max_=1000))


class OutcomeInSchema(BaseSchema):
    task = Id(required=True)
    item = Str(required=True, validate=length(1, 32))
    outcome = Str(required=True, validate=one_of(["no_problem", "rectify", "case"]))
    rectify_by = Day(load_default=None, allow_none=True)
    treatment = Str(load_default=None, allow_none=True, validate=one_of(["no_penalty", "reduced", "lighter", "heavier"]))
    fine_amount = Int(load_default=None, allow_none=True, validate=between(0, 10**10))
    fine_reason = Str(load_default="", validate=length(0, 500),
                      metadata={"description": "why a fine lies outside the discretion standard's range"})


class LeniencyDecisionInSchema(BaseSchema):
    task = Id(required=True)
    point = Id(required=True)
    conditions = fields.List(Str(validate=length(1, 32)), load_default=list,
                             metadata={"description": "the conditions that hold"})
    decision = Str(load_default=None, allow_none=True, validate=one_of(["follow", "depart"]))
    reason = Str(load_default="", validate=length(max_=500))


class EvaluationInSchema(BaseSchema):
    score = Int(required=True)
    comment = Str(load_default="", validate=length(max_=1000))
    complaint = Str(load_default=None, allow_none=True,
                    validate=one_of(["without_cause", "excessive", "improper_conduct"]))


class ScanOutSchema(BaseSchema):
    state = Str()
    visit = Int()
    firm = Str()
    scanned = fields.List(Str())
    code = Str(allow_none=True)
    verify_url = Str(allow_none=True)
    origin = Str()
    prompt = fields.Dict()
