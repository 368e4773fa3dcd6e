"""Inspection plans filed in advance (事前备案)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import Base, CatalogueItem, Department

from .user import User

PLAN_STATUSES = ("draft", "filed", "drawn", "scheduled", "in_progress", "completed", "cancelled")
PLAN_STATUS_LABELS = {"draft": "草稿", "filed": "已备案", "drawn": "已抽取", "scheduled": "已排程",
                      "in_progress": "实施中", "completed": "已完成", "cancelled": "已取消"}

plan_items = Table(
    "plan_items", Base.metadata,
    Column("plan_id", ForeignKey("inspection_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("catalogue_items.id"), primary_key=True),
)


class InspectionPlan(Base):
    """A department's plan: which catalogue items, in which period, on which firms."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    lead: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User] = relationship()
    items: Mapped[list[CatalogueItem]] = relationship(secondary=plan_items, order_by=CatalogueItem.code)

    __table_args__ = (
        CheckConstraint("status in ('draft','filed','drawn','scheduled','in_progress','completed','cancelled')",
                        name="status"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    @property
    def status_label(self) -> str:
        return PLAN_STATUS_LABELS[self.status]
