"""Append to, seal and verify the stored hash-chained event log; the record format and the chain check are
``core.eventlog`` (docs/protocols/event-log.md)."""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

from sqlalchemy import delete, func, insert, select
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Session

from core import clock
from core.eventlog import (  # noqa: F401 - the log's format, used here and re-exported for the platform's callers
    GENESIS,
    PUBLIC_FIELDS,
    PUBLIC_FIELDS_V1,
    VERSION,
    WHOLE_FIELDS,
    WHOLE_FIELDS_V1,
    canonical_json,
    content_digest,
    format_timestamp,
    jsonable,
    public_record,
    record_hash,
    verify_records,
)

from ..models import Event, EventHead, QueuedEvent

HEAD_ID = 1


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


def actor_label(actor) -> str:
    """``user:<username>`` for accounts, ``system`` for commands run without one."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.username}"


SEAL_AT_COMMIT = "seal_events_at_commit"
QUEUE_AT_COMMIT = "queue_events_at_commit"
QUEUED = "events_queued"
_PENDING = "events_to_seal"
SEAL_BATCH = 200


def seal_at_commit(session: Session) -> Session:
    """Let ``session`` seal its records into the chain when it commits (or when it reads the log first),
    all at once: the chain head is locked only for the moment of the commit, not from the first record on,
    and a request writing several records takes the head once."""
    session.info[SEAL_AT_COMMIT] = True
    return session


def queue_at_commit(session: Session) -> Session:
    """Let ``session`` commit its records to the queue (one insert) instead of sealing them, so that it never
    waits on the chain's head: a sealer (:func:`seal_queued`) gives them their place soon after, in the order
    they were queued. A session that reads the log seals its own records first, as without the queue.
    ``session.info[QUEUED]`` says that its transaction queued records (the sealer has work)."""
    session.info[SEAL_AT_COMMIT] = True
    session.info[QUEUE_AT_COMMIT] = True
    return session


def append_event(session: Session, actor, kind: str, subject: str, payload: dict | None = None,
                 *, at: dt.datetime | None = None) -> Event:
    """Append one record. The head row is locked, so concurrent writers append in turn. In a session
    that seals at commit (:func:`seal_at_commit`) the record gets its place in the chain (``seq``,
    ``prev``, ``hash``) then, in the order the records were appended."""
    event = Event(v=VERSION, at=at, kind=kind, actor=actor_label(actor), subject=subject,
                  payload=jsonable(payload or {}), salt=secrets.token_bytes(16).hex())
    if session.info.get(SEAL_AT_COMMIT):
        session.info.setdefault(_PENDING, []).append(event)
        return event
    _seal(session, [event])
    return event


def seal_pending(session: Session, *, reading: bool = False) -> None:
    """Seal the records the session appended and has not sealed yet (or queue them, in a session that
    queues, unless it is ``reading`` the log)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.info.get(QUEUE_AT_COMMIT) and not reading:
        _queue(session, pending)
    else:
        _seal(session, pending)


_QUEUE_INSERT = insert(QueuedEvent.__table__)


def _queue(session: Session, events: list[Event]) -> None:
    """Write the records to the queue with a plain insert on the session's connection: the ORM's bulk insert
    path costs more than the row (twice as much, measured on PostgreSQL), and nothing reads them back."""
    now = utcnow()
    session.connection().execute(_QUEUE_INSERT, [
        {"at": event.at or now, "kind": event.kind, "actor": event.actor, "subject": event.subject,
         "payload": event.payload, "salt": event.salt} for event in events])
    session.info[QUEUED] = True


def seal_queued(session: Session, batch: int = SEAL_BATCH) -> int:
    """Give up to ``batch`` queued records their place in the chain, oldest first, and move them into the
    log; returns how many. The head is locked first, so sealers take turns and each reads the queue as the
    other left it."""
    head = session.get(EventHead, HEAD_ID, with_for_update=True, populate_existing=True)
    rows = session.scalars(select(QueuedEvent).order_by(QueuedEvent.id).limit(batch)).all()
    if not rows:
        return 0
    _seal(session, [Event(v=VERSION, at=row.at, kind=row.kind, actor=row.actor, subject=row.subject,
                          payload=row.payload, salt=row.salt) for row in rows], head)
    session.execute(delete(QueuedEvent).where(QueuedEvent.id.in_([row.id for row in rows])))
    for row in rows:
        session.expunge(row)
    return len(rows)


def seal_all_queued(session: Session, batch: int = SEAL_BATCH) -> int:
    """Seal everything queued, in batches, within the session's transaction; returns how many."""
    sealed = 0
    while True:
        n = seal_queued(session, batch)
        sealed += n
        if n < batch:
            return sealed


def queued_count(session: Session) -> int:
    """Records committed and not yet sealed into the chain."""
    return session.scalar(select(func.count()).select_from(QueuedEvent))


def _seal(session: Session, events: list[Event], head: EventHead | None = None) -> None:
    """Give ``events`` their places after the head (locked here, unless the caller holds it) and add them."""
    head = head or session.get(EventHead, HEAD_ID, with_for_update=True)
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
        seal_pending(session, reading=True)


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


def verify_chain(session: Session) -> tuple[bool, int, str | None, int | None]:
    """Verify the stored chain, and that the head row agrees with its last record.

    Writers may append while the log is read: the head is read (afresh) after the records, and when it has
    moved past them, the records appended meanwhile are read and verified too, until the head is no further
    than the last record read. The head and its records are committed together, so a head that differs from
    the last record read (behind it, past it with no record to follow, or at another hash) means records
    were removed or the chain rewritten."""
    last = {"seq": 0, "hash": GENESIS}
    head_at = {}

    def records() -> Iterator[dict]:
        while True:
            read_from = last["seq"]
            for record in iter_records(session, since=read_from):
                last["seq"], last["hash"] = record["seq"], record["hash"]
                yield record
            head = session.get(EventHead, HEAD_ID, populate_existing=True)
            head_at["seq"], head_at["hash"] = (head.seq, head.hash) if head else (0, GENESIS)
            if head_at["seq"] <= last["seq"] or last["seq"] == read_from:
                return  # the head is no further, or no record came since it moved (records removed)

    ok, count, problem, bad_seq = verify_records(records())
    if not ok:
        return ok, count, problem, bad_seq
    if (head_at["seq"], head_at["hash"]) != (last["seq"], last["hash"]):
        return (False, count, f"链头（第 {head_at['seq']} 条）与最后一条记录（第 {last['seq']} 条）不符：记录被删除或链被改写",
                last["seq"] + 1)
    return True, count, None, None


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(EventHead, HEAD_ID)
    return (head.seq, head.hash) if head else (0, GENESIS)
