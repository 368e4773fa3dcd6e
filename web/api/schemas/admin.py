"""Background imports."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Int, Str


class ImportRunSchema(BaseSchema):
    id = Int()
    kind = Str()
    filename = Str()
    status = Str()
    progress = fields.Float()
    message = Str()
    counts = fields.Dict()
    problems = fields.List(fields.Dict())
    problem_count = Int()
    problems_note = Str()
