"""Inclusive, prudent enforcement (包容审慎): a department's published lists that map checklist points to
a treatment (the "four lists": no penalty, reduced, lighter, heavier) under conditions, and the
inspector's decision on each non-compliant finding that such a list covers."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import CatalogueItem, ChecklistPoint, Department
from core.db import Base

TREATMENTS = ("no_penalty", "reduced", "lighter", "heavier")
TREATMENT_LABELS = {"no_penalty": "不予处罚", "reduced": "减轻处罚", "lighter": "从轻处罚", "heavier": "从重处罚"}
# The lenient treatments, most lenient first: when several entries of a point apply, the most lenient wins.
LENIENT = ("no_penalty", "reduced", "lighter")
CONDITIONS = {
    "first_offence": "初次违法",
    "corrected": "及时改正（当场或在责令期限内改正）",
    "no_harm": "危害后果轻微或未造成危害后果",
    "minor": "违法情节轻微",
    "repeated": "一年内再次实施同一违法行为",
    "refused": "拒不改正或逃避、阻碍检查",
    "serious_harm": "造成严重危害后果或恶劣社会影响",
}
# Conditions that cannot both hold.
EXCLUSIVE_CONDITIONS = (("first_offence", "repeated"), ("no_harm", "serious_harm"), ("corrected", "refused"))
LIST_STATUSES = ("published", "superseded")
DECISIONS = ("follow", "depart", "not_met")
DECISION_LABELS = {"follow": "按清单处理", "depart": "不按清单处理（已说明理由）", "not_met": "条件不满足，不适用清单"}


class LeniencyList(Base):
    """One published version of a department's flexible-enforcement list."""

    __tablename__ = "leniency_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="published")
    source_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 首违不罚: how far back an earlier offence makes this one no longer the first (the list states it).
    lookback_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")

    department: Mapped[Department] = relationship()
    entries: Mapped[list[LeniencyEntry]] = relationship(back_populates="list", cascade="all, delete-orphan",
                                                          order_by="LeniencyEntry.id")

    __table_args__ = (
        UniqueConstraint("department_id", "version"),
        CheckConstraint("status in ('published','superseded')", name="status"),
        CheckConstraint("effective_to is null or effective_to >= effective_from", name="effective_order"),
    )



class LeniencyEntry(Base):
    """One line of a list as published: an offence (违法行为) with the provision it breaks (法律依据) and
    the one that punishes it (处罚依据), this treatment when all these conditions hold, and the fine range
    of the discretion standard (裁量基准). It is mapped to a checklist point where one corresponds
    (optional): then the inspection sheet proposes it on that point."""

    __tablename__ = "leniency_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("leniency_lists.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_items.id"))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_points.id"), index=True)
    treatment: Mapped[str] = mapped_column(String(16))
    conditions: Mapped[list] = mapped_column(JSON)
    basis: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(32), default="", server_default="")         # 序号 as published
    offence: Mapped[str] = mapped_column(Text, default="", server_default="")            # 违法行为
    legal_basis: Mapped[str] = mapped_column(Text, default="", server_default="")        # 法律依据
    penalty_basis: Mapped[str] = mapped_column(Text, default="", server_default="")      # 处罚依据
    conditions_text: Mapped[str] = mapped_column(Text, default="", server_default="")    # 适用条件 as published
    fine_min: Mapped[int | None] = mapped_column(BigInteger)                            # 裁量基准, whole yuan
    fine_max: Mapped[int | None] = mapped_column(BigInteger)

    list: Mapped[LeniencyList] = relationship(back_populates="entries")
    item: Mapped[CatalogueItem | None] = relationship()
    point: Mapped[ChecklistPoint | None] = relationship()

    __table_args__ = (
        UniqueConstraint("list_id", "point_id", "treatment"),
        CheckConstraint("treatment in ('no_penalty','reduced','lighter','heavier')", name="treatment"),
        CheckConstraint("fine_min is null or fine_max is null or fine_min <= fine_max", name="fine_order"),
        CheckConstraint("(item_id is null) = (point_id is null)", name="point_with_item"),
    )

    @property
    def title(self) -> str:
        """What the entry is about: its offence as published, else the checklist point it covers."""
        if self.offence:
            return self.offence
        return f"{self.item.code} 第 {self.point.position} 项：{self.point.text}" if self.point else ""

    @property
    def fine_range_label(self) -> str:
        if self.fine_min is None and self.fine_max is None:
            return ""
        if self.fine_max is None:
            return f"{self.fine_min:,} 元以上"
        return f"{self.fine_min or 0:,} 元至 {self.fine_max:,} 元"

    @property
    def treatment_label(self) -> str:
        return TREATMENT_LABELS[self.treatment]

    @property
    def condition_labels(self) -> list[str]:
        return [CONDITIONS[c] for c in self.conditions]


class LeniencyDecision(Base):
    """The inspector's decision on a non-compliant finding whose point a list in force covers: which
    conditions hold, the entry that applies (if any), and whether he follows it or departs (with a reason)."""

    __tablename__ = "leniency_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), unique=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("leniency_entries.id"))
    treatment: Mapped[str | None] = mapped_column(String(16))
    conditions: Mapped[dict] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)

    entry: Mapped[LeniencyEntry | None] = relationship()

    __table_args__ = (
        CheckConstraint("decision in ('follow','depart','not_met')", name="decision"),
        CheckConstraint("treatment is null or treatment in ('no_penalty','reduced','lighter','heavier')",
                        name="treatment"),
        CheckConstraint("(decision = 'not_met') = (entry_id is null)", name="entry_when_applies"),
        CheckConstraint("decision != 'depart' or length(reason) > 0", name="reason_when_departing"),
    )

    @property
    def applies(self) -> bool:
        """An entry of the list applies: all its conditions hold."""
        return self.decision != "not_met"

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS[self.decision]

    @property
    def treatment_label(self) -> str | None:
        return TREATMENT_LABELS.get(self.treatment)
