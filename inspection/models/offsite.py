"""Off-site supervision (非现场监管, 云检查): requests that never enter the firm, their evidence, and the
platform's own records that can prove a point (licences, annual reports)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import ChecklistPoint, Department
from core.db import Base

from .org import Firm

OFFSITE_STATUSES = ("sent", "answered", "closed", "escalated")
OFFSITE_STATUS_LABELS = {"sent": "待企业提交", "answered": "待审核", "closed": "已办结", "escalated": "已转现场检查"}
RECORD_KINDS = ("licence", "annual_report")


class OffsiteRequest(Base):
    """An off-site task's request to the firm: the checklist points, the evidence each needs, a deadline;
    then the firm's answers, the review and, where the evidence does not suffice, the escalation."""

    __tablename__ = "offsite_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="sent", index=True)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    extended_to: Mapped[dt.date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    overdue_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    escalated_points: Mapped[list] = mapped_column(JSON, default=list)
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    escalated_task_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_tasks.id"))

    task: Mapped[InspectionTask] = relationship(foreign_keys=[task_id])  # noqa: F821
    escalated_task: Mapped[InspectionTask | None] = relationship(foreign_keys=[escalated_task_id])  # noqa: F821
    firm: Mapped[Firm] = relationship()
    department: Mapped[Department] = relationship()
    evidence: Mapped[list[OffsiteEvidence]] = relationship(back_populates="request", order_by="OffsiteEvidence.id")

    __table_args__ = (
        CheckConstraint("status in ('sent','answered','closed','escalated')", name="status"),
        CheckConstraint("extended_to is null or extended_to > deadline", name="extension_later"),
        CheckConstraint("status != 'escalated' or escalation_reason is not null", name="escalation_reason"),
    )

    @property
    def due(self) -> dt.date:
        return self.extended_to or self.deadline

    @property
    def status_label(self) -> str:
        return OFFSITE_STATUS_LABELS[self.status]


class OffsiteEvidence(Base):
    """One piece of evidence for one point: a file the firm uploaded (kept outside the database under its
    SHA-256), a written answer, or the platform's own data that proved the point."""

    __tablename__ = "offsite_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("offsite_requests.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("checklist_points.id"))
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    request: Mapped[OffsiteRequest] = relationship(back_populates="evidence")
    point: Mapped[ChecklistPoint] = relationship()

    __table_args__ = (
        CheckConstraint("kind in ('file','answer','data')", name="kind"),
        CheckConstraint("kind != 'file' or (sha256 is not null and size is not null)", name="file_checksum"),
    )


class FirmRecord(Base):
    """A record the platform holds about a firm (a licence with its validity, an annual report filed),
    which can prove an off-site point without asking the firm."""

    __tablename__ = "firm_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))          # the licence's name, or "年度报告"
    number: Mapped[str] = mapped_column(String(64), default="")
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    year: Mapped[int | None] = mapped_column(Integer)      # an annual report's year
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        CheckConstraint("kind in ('licence','annual_report')", name="kind"),
        CheckConstraint("kind != 'annual_report' or year is not null", name="report_year"),
    )
