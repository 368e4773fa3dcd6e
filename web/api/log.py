"""The event log's head (public) and its verification."""
from __future__ import annotations

from flask_smorest import Blueprint

from inspection.operations.events import chain_head, verify_chain

from ..auth import roles_required
from ..database import db
from .schemas import LogHeadSchema, LogVerifySchema

PREFIX = "/log"
blp = Blueprint("api_log", __name__, description="全程留痕：事件日志")


@blp.get("/head")
@blp.response(200, LogHeadSchema)
def head():
    seq, digest = chain_head(db())
    return {"seq": seq, "hash": digest}


@blp.get("/verify")
@roles_required("oversight", "admin")
@blp.response(200, LogVerifySchema)
def verify():
    ok, count, problem, bad_seq = verify_chain(db())
    return {"ok": ok, "records": count, "problem": problem, "first_bad_seq": bad_seq}
