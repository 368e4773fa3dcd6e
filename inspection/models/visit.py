"""Visits built by the combined scheduler (综合查一次) and the runs that build them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import Department
from core.db import Base

from .org import Firm, Officer

VISIT_STATUSES = ("proposed", "confirmed", "in_progress", "completed", "cancelled")
VISIT_STATUS_LABELS = {"proposed": "建议", "confirmed": "已确认", "in_progress": "检查中", "completed": "已完成",
                       "cancelled": "已取消"}
# planned: scheduled from a filed plan; unplanned: entered on a recorded lead (投诉举报、转办、事故报告);
# emergency: entered at once on an accident or imminent hazard, the lead back-filed afterwards.
VISIT_ORIGINS = ("planned", "unplanned", "emergency")
VISIT_ORIGIN_LABELS = {"planned": "计划检查", "unplanned": "依线索检查", "emergency": "紧急入企"}
EMERGENCY_KINDS = {"accident": "生产安全事故", "hazard": "重大安全隐患"}


class ScheduleRun(Base):
    """One build of the combined schedule for a horizon: its scope, progress and outcome."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    plan_ids: Mapped[list] = mapped_column(JSON)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    unscheduled: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # when a worker took it up
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (CheckConstraint("status in ('queued','running','done','failed')", name="status"),)


class Visit(Base):
    """One entry into one firm on one day, possibly by several departments together."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule_run_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_runs.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    origin: Mapped[str] = mapped_column(String(16), default="planned", server_default="planned")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("firm_leads.id"))
    emergency_kind: Mapped[str | None] = mapped_column(String(16))
    entered_before: Mapped[dt.datetime | None] = mapped_column(DateTime)   # an emergency team went in at
    backfile_due: Mapped[dt.date | None] = mapped_column(Date)
    backfiled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    firm: Mapped[Firm] = relationship()
    tasks: Mapped[list[InspectionTask]] = relationship(back_populates="visit",  # noqa: F821
                                                         order_by="InspectionTask.id")
    officers: Mapped[list[VisitOfficer]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                                          order_by="VisitOfficer.id")
    rankings: Mapped[list[OfficerRanking]] = relationship(cascade="all, delete-orphan",
                                                            order_by="OfficerRanking.id")
    # Each department's part (read with the visit where a page lists many: the firm's record); written by
    # ``operations.presence`` as rows of their own.
    department_entries: Mapped[list[DepartmentEntry]] = relationship(  # noqa: F821
        viewonly=True, order_by="DepartmentEntry.department_id")

    __table_args__ = (
        CheckConstraint("status in ('proposed','confirmed','in_progress','completed','cancelled')", name="status"),
        CheckConstraint("origin in ('planned','unplanned','emergency')", name="origin"),
        CheckConstraint("origin != 'unplanned' or lead_id is not null", name="unplanned_lead"),
        CheckConstraint("origin != 'emergency' or (backfile_due is not null and emergency_kind in ('accident','hazard'))",
                        name="emergency_backfile"),
    )

    @property
    def status_label(self) -> str:
        return VISIT_STATUS_LABELS[self.status]

    @property
    def origin_label(self) -> str:
        return VISIT_ORIGIN_LABELS[self.origin]

    @property
    def joint(self) -> bool:
        return len({t.plan.department_id for t in self.tasks}) > 1

    @property
    def awaiting(self) -> list:
        """The departments of a proposed joint visit that have not yet confirmed their part."""
        if self.status != "proposed" or not any(t.status == "scheduled" for t in self.tasks):
            return []
        waiting = {t.plan.department_id: t.plan.department for t in self.tasks if t.status == "pending"}
        return list(waiting.values())


class VisitOfficer(Base):
    """An officer on a visit's team, for one department."""

    __tablename__ = "visit_officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))

    visit: Mapped[Visit] = relationship(back_populates="officers")
    officer: Mapped[Officer] = relationship()
    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "officer_id"),)


class OfficerRanking(Base):
    """The second random (docs/protocols/draws.md): each officer's rank for a visit, whether chosen, and why not."""

    __tablename__ = "officer_rankings"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    rank: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    chosen: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(64))

    officer: Mapped[Officer] = relationship()


class ImportRun(Base):
    """An upload of a firm registry or officer list, imported in the background."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("kind in ('firms','officers')", name="kind"),
        CheckConstraint("status in ('queued','running','done','failed')", name="status"),
    )

    @property
    def problem_count(self) -> int:
        """All the problems of a refused file; ``problems`` keeps the first 1,000."""
        return (self.counts or {}).get("problems", len(self.problems or []))

    @property
    def problems_note(self) -> str:
        """``共 N 处问题，仅列出前 1000 处`` when not every problem is listed, else empty."""
        listed = len(self.problems or [])
        return f"共 {self.problem_count} 处问题，仅列出前 {listed} 处" if self.problem_count > listed else ""
