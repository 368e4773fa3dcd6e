"""The append-only, hash-chained event log (全程留痕)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from checklists.models import Base

GENESIS = "0" * 64


class Event(Base):
    """One record of the log. ``hash`` covers every other field and the previous hash."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    actor: Mapped[str] = mapped_column(String(96))
    subject: Mapped[str] = mapped_column(String(96), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class EventHead(Base):
    """The single row holding the chain's head; writers lock it to append in order."""

    __tablename__ = "event_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
