"""The event log: its head and public export (no login), the whole export and the verification (oversight).

The protocol is described in docs/protocols/event-log.md."""
from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Response, current_app
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from inspection.operations.events import (
    canonical_json,
    chain_head,
    iter_records,
    public_record,
    queued_count,
    verify_chain,
)

from ..auth import roles_required
from ..database import db
from .schemas import LogExportQuerySchema, LogHeadSchema, LogVerifySchema

PREFIX = "/log"
NDJSON = "application/x-ndjson"
blp = Blueprint("api_log", __name__, description="全程留痕：事件日志")


@blp.get("/head")
@blp.response(200, LogHeadSchema)
def head():
    seq, digest = chain_head(db())
    return {"seq": seq, "hash": digest}


def _lines(factory: Callable[[], Session], since: int, shape: Callable[[dict], dict]) -> Iterator[bytes]:
    """The records after ``since`` in the given shape, one canonical JSON line each, read in a session of
    their own that lives as long as the stream (the request's session is closed once the response starts)."""
    with factory() as session:
        for record in iter_records(session, since):
            yield canonical_json(shape(record)) + b"\n"


def _whole(record: dict) -> dict:
    return record


@blp.get("/export")
@blp.arguments(LogExportQuerySchema, location="query")
@blp.response(200, {"type": "string"}, content_type=NDJSON,
              description="每行一条公开记录（JSON Lines）：v、seq、at、kind、digest、prev、hash；"
                          "第 1 版记录只有 seq、at、kind、prev、hash。")
def export(args):
    """公开导出：无需登录，不含操作人、对象、内容与 salt。"""
    return Response(_lines(current_app.extensions["db_factory"], args["since"], public_record), mimetype=NDJSON)


@blp.get("/records")
@roles_required("oversight", "admin")
@blp.arguments(LogExportQuerySchema, location="query")
@blp.response(200, {"type": "string"}, content_type=NDJSON,
              description="每行一条完整记录（JSON Lines），与 inspection export-log 相同：第 2 版含 actor、subject、"
                          "payload、salt、digest；第 1 版保持原样。")
def records(args):
    """完整导出（监督机构）：含操作人、对象、内容与 salt，可逐条核对 digest 与 hash。"""
    return Response(_lines(current_app.extensions["db_factory"], args["since"], _whole), mimetype=NDJSON)


@blp.get("/verify")
@roles_required("oversight", "admin")
@blp.response(200, LogVerifySchema)
def verify():
    ok, count, problem, bad_seq = verify_chain(db())
    return {"ok": ok, "records": count, "problem": problem, "first_bad_seq": bad_seq, "queued": queued_count(db())}
