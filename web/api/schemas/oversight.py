"""Oversight's alerts."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Int, Str, length, one_of


class AlertSchema(BaseSchema):
    id = Int()
    rule = Str()
    rule_label = Str()
    title = Str()
    evidence = fields.Dict()
    department = fields.Function(lambda a: a.department_id)
    firm = fields.Function(lambda a: a.firm_id)
    status = Str()
    note = Str()


class AlertQuerySchema(BaseSchema):
    rule = Str(validate=length(1, 24))
    status = Str(validate=one_of(["open", "explained", "closed"]))


class AlertUpdateSchema(BaseSchema):
    status = Str(required=True, validate=one_of(["open", "explained", "closed"]))
    note = Str(required=True, validate=length(1, 1000))
