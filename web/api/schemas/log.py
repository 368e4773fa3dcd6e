"""The event log: its head, the export's filter, the chain check."""
from __future__ import annotations

from ...schemas import BaseSchema, Bool, Int, Str, between


class LogHeadSchema(BaseSchema):
    seq = Int()
    hash = Str()


class LogExportQuerySchema(BaseSchema):
    since = Int(load_default=0, validate=between(0, 2**31 - 1),
                metadata={"description": "只导出序号大于此值的记录（默认 0：从第 1 条起）"})


class LogVerifySchema(BaseSchema):
    ok = Bool()
    records = Int()
    problem = Str(allow_none=True)
    first_bad_seq = Int(allow_none=True)
    queued = Int(metadata={"description": "已提交、尚待封入哈希链的记录数（由网站进程在提交后随即封入）"})
