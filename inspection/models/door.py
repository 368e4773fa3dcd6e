"""At the door (现场的实际情况): offline scan records and the devices that sign them (断网补录), the prompts
shown at scan-in and the invitations they lead to (扫码提示), and the firm's reports of an inspection
that showed no valid code (拒绝检查的权利)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

from .org import Officer

OFFLINE_KINDS = ("scan_in", "finding", "outcome", "scan_out", "record", "field_record")
OFFLINE_STATUSES = ("applied", "pending", "refused")


class OfficerDevice(Base):
    """A phone's signing key (ECDSA P-256), registered while online: the records it signs offline are
    accepted as the officer's. The private key never leaves the phone."""

    __tablename__ = "officer_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)     # SHA-256 of the public key's JWK thumbprint input
    public_key: Mapped[dict] = mapped_column(JSON)                    # the JWK: {kty, crv, x, y}
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    officer: Mapped[Officer] = relationship()


class OfflineRecord(Base):
    """One signed record made on a phone without network (scan in, a finding, an outcome, scan out, an
    on-site or field record read back and signed), received later. Its id is the phone's: sending it again creates nothing."""

    __tablename__ = "offline_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("officer_devices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    payload: Mapped[str] = mapped_column(Text)          # exactly the signed text
    signature: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)

    __table_args__ = (
        CheckConstraint("kind in ('scan_in','finding','outcome','scan_out','record','field_record')", name="kind"),
        CheckConstraint("status in ('applied','pending','refused')", name="status"),
    )


class ScanPrompt(Base):
    """What an officer was shown at scan-in: the firm's recent visits and other departments' open tasks,
    and what came of it (a department joined the visit, or the visit was postponed)."""

    __tablename__ = "scan_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    recent_visits: Mapped[int] = mapped_column(Integer)
    open_tasks: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (CheckConstraint("outcome is null or outcome in ('joined','avoided')", name="outcome"),)


class JoinInvitation(Base):
    """An invitation from a visit's team to another department with an open task at the same firm: when
    two of its certified officers scan in, their task joins this visit (综合查一次 at the door)."""

    __tablename__ = "join_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"), index=True)
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("scan_prompts.id"))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")
    joined_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    task: Mapped[InspectionTask] = relationship()  # noqa: F821

    __table_args__ = (CheckConstraint("status in ('open','joined')", name="status"),)


class RefusalReport(Base):
    """The firm's report of an inspection that showed no valid inspection code (the right to refuse):
    when, and the officers as they gave themselves. Oversight sees it as an alert."""

    __tablename__ = "refusal_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    officers: Mapped[str] = mapped_column(Text)          # names and certificate numbers as given
    department: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime)
