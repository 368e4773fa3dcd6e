"""Append to and verify the hash-chained event log (INTERFACES.md §3)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator

from sqlalchemy import select

from core import clock
from sqlalchemy.orm import Session

from ..models import GENESIS, Event, EventHead

HEAD_ID = 1


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def format_timestamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> dt.datetime:
    """Now, as naive UTC (as stored in the database): the platform's clock."""
    return clock.now()


def record_of(event: Event) -> dict:
    """The exported record of ``event``, ``hash`` included."""
    return {"seq": event.seq, "at": format_timestamp(event.at), "kind": event.kind, "actor": event.actor,
            "subject": event.subject, "payload": event.payload, "prev": event.prev, "hash": event.hash}


def record_hash(record: dict) -> str:
    return hashlib.sha256(canonical_json({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def actor_label(actor) -> str:
    """``user:<username>`` for accounts, ``system`` for commands run without one."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.username}"


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def append_event(session: Session, actor, kind: str, subject: str, payload: dict | None = None,
                 *, at: dt.datetime | None = None) -> Event:
    """Append one record. The head row is locked, so concurrent writers append in turn."""
    head = session.get(EventHead, HEAD_ID, with_for_update=True)
    if head is None:
        head = EventHead(id=HEAD_ID, seq=0, hash=GENESIS)
        session.add(head)
    at = (at or utcnow())
    record = {"seq": head.seq + 1, "at": format_timestamp(at), "kind": kind, "actor": actor_label(actor),
              "subject": subject, "payload": _jsonable(payload or {}), "prev": head.hash}
    record["hash"] = record_hash(record)
    event = Event(seq=record["seq"], at=at, kind=kind, actor=record["actor"], subject=subject,
                  payload=record["payload"], prev=record["prev"], hash=record["hash"])
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    session.flush()
    return event


def iter_records(session: Session, since: int = 0, batch: int = 5000) -> Iterator[dict]:
    """Records with ``seq > since`` in order, read in batches."""
    last = since
    while True:
        rows = session.scalars(select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield record_of(row)
        last = rows[-1].seq


def verify_records(records) -> tuple[bool, int, str | None, int | None]:
    """Check a sequence of records: ``(ok, count, problem, first_bad_seq)``."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for record in records:
        seq = record.get("seq")
        if seq != expected_seq:
            return False, count, f"第 {expected_seq} 条记录缺失或序号错乱（见到序号 {seq}）", expected_seq
        if record.get("prev") != expected_prev:
            return False, count, f"第 {seq} 条记录的 prev 与前一条记录的 hash 不符", seq
        if record_hash(record) != record.get("hash"):
            return False, count, f"第 {seq} 条记录的内容与其 hash 不符（记录被改动）", seq
        expected_prev, expected_seq, count = record["hash"], seq + 1, count + 1
    return True, count, None, None


def verify_chain(session: Session) -> tuple[bool, int, str | None, int | None]:
    """Verify the stored chain, and that the head row agrees with its last record."""
    ok, count, problem, bad_seq = verify_records(iter_records(session))
    if not ok:
        return ok, count, problem, bad_seq
    head = session.get(EventHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    last = session.scalar(select(Event).order_by(Event.seq.desc()).limit(1))
    last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS)
    if (head_seq, head_hash) != (last_seq, last_hash):
        return False, count, f"链头（第 {head_seq} 条）与最后一条记录（第 {last_seq} 条）不符：记录被删除或链被改写", last_seq + 1
    return True, count, None, None


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(EventHead, HEAD_ID)
    return (head.seq, head.hash) if head else (0, GENESIS)
