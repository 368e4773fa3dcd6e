"""Who may inspect whom: quiet periods, yearly caps, conflicts of interest."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Day, Int, Str, length, one_of


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
