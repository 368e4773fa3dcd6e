"""The signed-in account."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Str


class UserSchema(BaseSchema):
    username = Str()
    display_name = Str()
    role = Str()
    department = fields.Function(lambda u: u.department.code if u.department else None)
    firm = fields.Function(lambda u: u.firm.uscc if u.firm else None)
    certificate_no = fields.Function(lambda u: u.officer.certificate_no if u.officer else None)
