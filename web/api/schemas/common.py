"""What every part of the API shares: the one error body, and how an optional instant is written."""
from __future__ import annotations

from marshmallow import fields

from inspection.operations.events import format_timestamp

from ...schemas import BaseSchema, Str


class ErrorSchema(BaseSchema):
    error = Str(metadata={"description": "machine-readable code, e.g. validation_failed, outside_catalogue"})
    message = Str(metadata={"description": "中文说明"})
    fields = fields.Dict()


def _z(value):
    return format_timestamp(value) if value else None
