"""The append-only, hash-chained event log (全程留痕)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.eventlog import GENESIS

__all__ = ["GENESIS", "Event", "EventHead", "QueuedEvent"]


class Event(Base):
    """One record of the log (docs/protocols/event-log.md).

    Version 2: ``digest`` covers actor, subject, payload and the record's secret ``salt``; ``hash`` covers
    ``v``, seq, at, kind, digest and the previous hash. Version 1 (records written before version 2):
    ``hash`` covers every other field and the previous hash; ``salt`` and ``digest`` are empty.
    """

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    v: Mapped[int] = mapped_column(Integer, default=2, server_default="1")
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    actor: Mapped[str] = mapped_column(String(96))
    subject: Mapped[str] = mapped_column(String(96), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    salt: Mapped[str | None] = mapped_column(String(32))
    digest: Mapped[str | None] = mapped_column(String(64))
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        CheckConstraint("v in (1, 2)", name="version"),
        CheckConstraint("v = 1 or (salt is not null and digest is not null)", name="v2_salted"),
    )


class EventHead(Base):
    """The single row holding the chain's head; writers lock it to append in order."""

    __tablename__ = "event_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class QueuedEvent(Base):
    """A record committed with the work it records and waiting for its place in the chain: the sealer
    (``operations.events.seal_queued``) gives queued records their ``seq``, ``prev`` and ``hash`` in the
    order of ``id`` and moves them into ``events``, so that a request never waits on the chain's head.
    ``at``, the salt and the content are fixed here, when the work is done."""

    __tablename__ = "event_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(96))
    subject: Mapped[str] = mapped_column(String(96))
    payload: Mapped[dict] = mapped_column(JSON)
    salt: Mapped[str] = mapped_column(String(32))
