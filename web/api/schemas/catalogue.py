"""The catalogue: departments, items with their legal basis and points, the item filter."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Day, Int, Str, StrList, length, one_of


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
