"""At the door: invitations, postponement, back-filing, no-code reports, evaluations, offline devices and sync."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Id, Instant, Str, Year, length, one_of


class TaskRefSchema(BaseSchema):
    task = Id(required=True)


class ReasonInSchema(BaseSchema):
    reason = Str(required=True, validate=length(2, 500))


class BackfileSchema(BaseSchema):
    kind = Str(required=True, validate=one_of(["complaint", "referral", "accident"]))
    reference = Str(required=True, validate=length(1, 64))
    summary = Str(load_default="", validate=length(max_=1000))


class NoCodeSchema(BaseSchema):
    occurred_at = Instant(required=True)
    officers = Str(required=True, validate=length(1, 500))
    department = Str(load_default="", validate=length(max_=100))
    description = Str(load_default="", validate=length(max_=2000))


class JwkSchema(BaseSchema):
    kty = Str(required=True)
    crv = Str(required=True)
    x = Str(required=True, validate=length(1, 64))
    y = Str(required=True, validate=length(1, 64))


class DeviceSchema(BaseSchema):
    public_key = fields.Nested(JwkSchema, required=True)


class SignedRecordSchema(BaseSchema):
    # a paper signed offline carries the signature drawn on the screen (a PNG of at most 300 KB, in base64)
    payload = Str(required=True, validate=length(2, 450_000))
    signature = Str(required=True, validate=length(2, 200))


class SyncSchema(BaseSchema):
    records = fields.List(fields.Nested(SignedRecordSchema), required=True)


class YearQuerySchema(BaseSchema):
    year = Year(load_default=None)
