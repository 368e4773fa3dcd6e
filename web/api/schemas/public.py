"""What anyone may read: the draw record."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, Str, StrList


class DrawRecordSchema(BaseSchema):
    """The draw record (README, "Checking the platform from outside"), exactly as stored."""

    algorithm = Str()
    plan = Str()
    campaign = Str(allow_none=True)
    seed = Str()
    seed_commitment = Str()
    committed_at = Str()
    drawn_at = Str()
    ratios = fields.Dict(keys=Str(), values=fields.Float())
    pool = fields.List(fields.Dict())
    excluded = fields.List(fields.Dict())
    selected = StrList()
    pool_sha256 = Str()
    risk_model = Str(metadata={"description": "prn-sps-hmac-sha256-v1 only: the risk model version of the weights"})
    weight_floor = fields.Float(metadata={"description": "prn-sps-hmac-sha256-v1 only: the floor of every weight"})
