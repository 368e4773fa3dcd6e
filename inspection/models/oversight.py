"""Oversight (行政执法监督): alerts raised by the audit rules, and their handling."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checklists.models import Base

ALERT_RULES = {
    "over_cap": "超频次入企",
    "refused_scan": "未备案扫码入企尝试",
    "under_staffed": "持证执法人员不足两人",
    "uncombined": "可合并而未合并的多次入企",
    "unpublished": "检查结果逾期未公示",
    "late_plan": "计划逾期未完成",
    "low_evaluation": "企业低分评价或投诉",
    "lenient_case": "适用不予处罚清单仍立案",
    "profit_driven": "立案或罚没金额同比激增（趋利性执法）",
    "heavier_repeat": "同一执法人员多次从重处罚",
    "unplanned_entry": "依线索入企（投诉举报、转办、事故报告）",
    "emergency_backfile": "紧急入企未按期补录线索",
    "offline_entry": "断网补录的入企",
    "no_code_report": "企业反映未亮码检查",
    "quiet_periods": "企业宁静期过长、过多或临期设定",
    "unapproved_entry": "未经负责人审批的入企（含逾期未补办审批）",
    "unsigned_record": "离开企业后无签署的现场检查记录",
    "document_gap": "检查文书编号缺失",
}
ALERT_STATUSES = ("open", "explained", "closed")
ALERT_STATUS_LABELS = {"open": "待处理", "explained": "已说明", "closed": "已办结"}


class Alert(Base):
    """One finding of an audit rule about one subject (a firm-year, a scan, a visit, a plan...)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(24), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[dict] = mapped_column(JSON)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (CheckConstraint("status in ('open','explained','closed')", name="status"),)

    @property
    def rule_label(self) -> str:
        return ALERT_RULES[self.rule]

    @property
    def status_label(self) -> str:
        return ALERT_STATUS_LABELS[self.status]


class EntryFact(Base):
    """One row per department per entered visit: what oversight counts (入企次数) and audits, kept
    narrow so that a year of a million visits reads fast. The operations that enter visits keep it in
    step (``inspection.operations.facts``); ``rebuild_facts`` makes it again from the records."""

    __tablename__ = "entry_facts"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    credit_class: Mapped[str] = mapped_column(String(1))
    day: Mapped[dt.date] = mapped_column(Date)
    day_number: Mapped[int] = mapped_column(Integer)     # day.toordinal(): day arithmetic alike in every database
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    visit_row: Mapped[bool] = mapped_column(Boolean)     # true on exactly one row of each visit: city-wide counts
    departments: Mapped[int] = mapped_column(Integer)    # departments on the visit: more than one is a joint visit
    window_start: Mapped[dt.date] = mapped_column(Date)  # of the department's tasks on the visit
    window_end: Mapped[dt.date] = mapped_column(Date)
    certified: Mapped[int] = mapped_column(Integer)      # officers certified on the day who scanned in (all departments)
    origin: Mapped[str] = mapped_column(String(16), default="planned", server_default="planned")  # counted apart

    __table_args__ = (
        Index("ix_entry_facts_year_month", "year", "month"),
        Index("ix_entry_facts_year_department", "year", "department_id"),
        Index("ix_entry_facts_firm_day", "firm_id", "day_number"),
    )


class EntryItemFact(Base):
    """One row per catalogue item per entered visit, with the item's cap and the cap's period
    (``2026``, ``2026H2``, ``2026Q3``, ``2026-05``): the over-cap rule counts these."""

    __tablename__ = "entry_item_facts"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))
    frequency_cap: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_entry_item_facts_firm_item_period", "firm_id", "item_code", "period"),
                      Index("ix_entry_item_facts_year", "year"))
