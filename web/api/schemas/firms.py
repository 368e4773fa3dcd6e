"""Firms, their filter and a page of them."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Int, Page, Str, StrList, between, length, one_of


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
