"""Append to and verify the hash-chained event log; the protocol is described in docs/protocols/event-log.md."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator

from sqlalchemy import event as orm_events
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock

from ..models import GENESIS, Event, EventHead

HEAD_ID = 1
VERSION = 2
DIGESTED_FIELDS = ("actor", "subject", "payload", "salt")
HASHED_FIELDS = ("v", "seq", "at", "kind", "digest", "prev")
PUBLIC_FIELDS = HASHED_FIELDS + ("hash",)
PUBLIC_FIELDS_V1 = ("seq", "at", "kind", "prev", "hash")
WHOLE_FIELDS_V1 = ("seq", "at", "kind", "actor", "subject", "payload", "prev", "hash")
WHOLE_FIELDS = WHOLE_FIELDS_V1 + ("v", "salt", "digest")


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def format_timestamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> dt.datetime:
    """Now, as naive UTC (as stored in the database): the platform's clock."""
    return clock.now()


def record_of(event: Event) -> dict:
    """The whole record of ``event`` as exported, ``hash`` included: version 1 in its own form (no ``v``),
    version 2 with its salt and digest."""
    record = {"seq": event.seq, "at": format_timestamp(event.at), "kind": event.kind, "actor": event.actor,
              "subject": event.subject, "payload": event.payload, "prev": event.prev, "hash": event.hash}
    if event.v != 1:
        record.update(v=event.v, salt=event.salt, digest=event.digest)
    return record


def public_record(record: dict) -> dict:
    """The public form of a whole record: who did what to whom left out."""
    fields = PUBLIC_FIELDS if record.get("v", 1) != 1 else PUBLIC_FIELDS_V1
    return {k: record[k] for k in fields if k in record}


def content_digest(record: dict) -> str:
    """Version 2: what a record says (actor, subject, payload) under its salt."""
    return hashlib.sha256(canonical_json({k: record.get(k) for k in DIGESTED_FIELDS})).hexdigest()


def record_hash(record: dict) -> str:
    """Version 2: over the public fields; version 1: over every field but ``hash``."""
    if record.get("v", 1) == 1:
        body = {k: v for k, v in record.items() if k != "hash"}
    else:
        body = {k: record.get(k) for k in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body)).hexdigest()


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


SEAL_AT_COMMIT = "seal_events_at_commit"
_PENDING = "events_to_seal"


def seal_at_commit(session: Session) -> Session:
    """Let ``session`` seal its records into the chain when it commits (or when it reads the log first),
    all at once: the chain head is locked only for the moment of the commit, not from the first record on,
    and a request writing several records takes the head once."""
    session.info[SEAL_AT_COMMIT] = True
    return session


def append_event(session: Session, actor, kind: str, subject: str, payload: dict | None = None,
                 *, at: dt.datetime | None = None) -> Event:
    """Append one record. The head row is locked, so concurrent writers append in turn. In a session
    that seals at commit (:func:`seal_at_commit`) the record gets its place in the chain (``seq``,
    ``prev``, ``hash``) then, in the order the records were appended."""
    event = Event(v=VERSION, at=at, kind=kind, actor=actor_label(actor), subject=subject,
                  payload=_jsonable(payload or {}), salt=secrets.token_bytes(16).hex())
    if session.info.get(SEAL_AT_COMMIT):
        session.info.setdefault(_PENDING, []).append(event)
        return event
    _seal(session, [event])
    return event


def seal_pending(session: Session) -> None:
    """Seal the records the session appended and has not sealed yet."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        _seal(session, pending)


def _seal(session: Session, events: list[Event]) -> None:
    head = session.get(EventHead, HEAD_ID, with_for_update=True)
    if head is None:
        head = EventHead(id=HEAD_ID, seq=0, hash=GENESIS)
        session.add(head)
    now = None
    for event in events:
        if event.at is None:
            event.at = now = now or utcnow()
        record = {"v": VERSION, "seq": head.seq + 1, "at": format_timestamp(event.at), "kind": event.kind,
                  "actor": event.actor, "subject": event.subject, "payload": event.payload, "salt": event.salt,
                  "prev": head.hash}
        record["digest"] = content_digest(record)
        record["hash"] = record_hash(record)
        event.seq, event.digest, event.prev, event.hash = record["seq"], record["digest"], record["prev"], record["hash"]
        head.seq, head.hash = event.seq, event.hash
    session.add_all(events)
    session.flush()


@orm_events.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    seal_pending(session)


@orm_events.listens_for(Session, "do_orm_execute")
def _seal_before_reading_the_log(state) -> None:
    """A query of the log in the session that appended sees its own records, as without sealing at commit."""
    session = state.session
    if session.info.get(_PENDING) and any(m.class_ in (Event, EventHead) for m in state.all_mappers):
        seal_pending(session)


@orm_events.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


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


def _is_hex(value, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def _record_problem(record: dict, public: bool, seen_v2: bool) -> str | None:
    """What is wrong with one record on its own, if anything (its place in the chain is checked apart)."""
    seq, version = record.get("seq"), record.get("v", 1)
    if version not in (1, 2) or isinstance(version, bool):
        return f"第 {seq} 条记录的版本 {version!r} 无法识别"
    if version == 1 and seen_v2:
        return f"第 {seq} 条记录为第 1 版，却排在第 2 版记录之后（链被改写）"
    if not _is_hex(record.get("hash"), 64):
        return f"第 {seq} 条记录的 hash 不是 64 位十六进制"
    if version == 1:
        if public:
            return None  # the public form of a version-1 record cannot be re-hashed: only its links are checked
        if any(k not in record for k in WHOLE_FIELDS_V1):
            return f"第 {seq} 条记录（第 1 版）内容不完整"
        if record_hash(record) != record["hash"]:
            return f"第 {seq} 条记录的内容与其 hash 不符（记录被改动）"
        return None
    if not public:
        if any(k not in record for k in WHOLE_FIELDS) or not _is_hex(record["salt"], 32):
            return f"第 {seq} 条记录内容不完整（缺少操作人、对象、内容或 32 位十六进制的 salt）"
        if content_digest(record) != record["digest"]:
            return f"第 {seq} 条记录的内容与其 digest 不符（操作人、对象、内容或 salt 被改动）"
    if record_hash(record) != record["hash"]:
        return f"第 {seq} 条记录与其 hash 不符（序号、时间、类型、digest 或 prev 被改动）"
    return None


def verify_records(records, *, public: bool = False) -> tuple[bool, int, str | None, int | None]:
    """Check a sequence of records from the first: ``(ok, count, problem, first_bad_seq)``.

    Whole records (``public=False``) are checked in full: version 2 against its digest and hash, version 1
    against its hash. Public records (``public=True``): version 2 against its hash, version 1 by its links only.
    """
    expected_prev, expected_seq, count, seen_v2 = GENESIS, 1, 0, False
    for record in records:
        seq = record.get("seq")
        if seq != expected_seq:
            return False, count, f"第 {expected_seq} 条记录缺失或序号错乱（见到序号 {seq}）", expected_seq
        if record.get("prev") != expected_prev:
            return False, count, f"第 {seq} 条记录的 prev 与前一条记录的 hash 不符", seq
        problem = _record_problem(record, public, seen_v2)
        if problem:
            return False, count, problem, seq
        seen_v2 = seen_v2 or record.get("v", 1) == 2
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
