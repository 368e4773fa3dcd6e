"""Oversight (行政执法监督): alerts raised by the audit rules, and their handling."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

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
    "short_visit": "入企检查时间过短",
    "absent_department": "排定部门未到场",
    "item_removed": "清单删除事项终止在办计划",
    "missed_runs": "未按清单规定的频次开展抽查",
    "lead_quick_use": "线索登记后随即由本部门据以检查",
    "lead_without_source": "检查所依线索无来源编号或未登记",
    "first_offence_conflict": "首违认定与违法记录不符",
    "fine_outside_range": "罚款超出裁量基准",
    "fine_disparity": "同一违法行为罚款差异悬殊",
    "unapproved_entry": "未经负责人审批的入企（含逾期未补办审批）",
    "entry_without_notice": "入企未开具行政检查通知书",
    "unsigned_record": "离开企业后无签署的现场检查记录",
    "result_overdue": "逾期未开具检查结果告知书",
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
        Index("ix_entry_facts_firm_day", "firm_id", "day_number"),
        # The dashboard's figures of a year read only this index (PostgreSQL: index-only scans), not
        # the rows, which lie scattered over the table.
        Index("ix_entry_facts_year_scope", "year", "department_id", "district_id", "month", "visit_row",
              "departments", "firm_id", "visit_id"),
        # Entries per firm and year in firm order (over the total cap, entries per firm by class).
        Index("ix_entry_facts_firm_year", "year", "firm_id",
              postgresql_where=text("visit_row IS true"), sqlite_where=text("visit_row IS 1")),
        Index("ix_entry_facts_under_staffed", "day_number",
              postgresql_where=text("visit_row IS true AND certified < 2"),
              sqlite_where=text("visit_row IS 1 AND certified < 2")),
    )


ENTRY_COUNT_KEY = ("year", "month", "department_id", "district_id", "visit_row", "departments", "origin")


class EntryCount(Base):
    """``EntryFact`` rows counted by year, month, department, district, city row or not, number of
    departments on the visit and origin: a few hundred rows a year from which the dashboard's counts
    (per month, department, district, joint share) are summed instead of from the year's facts.
    ``refresh_visit_facts`` adds and takes away a visit's rows as it remakes them; ``rebuild_facts``
    counts them again. A count may fall to 0 and stay."""

    __tablename__ = "entry_counts"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), primary_key=True)
    visit_row: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    departments: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(16), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)


class EntryItemCount(Base):
    """``EntryItemFact`` rows counted by firm, item and cap period, with the period's year, the highest
    cap and the first department among them: the over-cap rule reads only the groups over their cap
    (a partial index), not two years of facts. ``refresh_visit_facts`` counts a visit's groups again."""

    __tablename__ = "entry_item_counts"

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    frequency_cap: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))

    __table_args__ = (Index("ix_entry_item_counts_over_cap", "year", postgresql_where=text("entries > frequency_cap"),
                            sqlite_where=text("entries > frequency_cap")),)


class EntryFirmCount(Base):
    """Entered visits per firm and year (``EntryFact``'s city rows counted): the rule on all
    departments' entries into one firm reads the firms past the cap from the index."""

    __tablename__ = "entry_firm_counts"

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_entry_firm_counts_year_entries", "year", "entries"),)


class UncombinedPair(Base):
    """Two entered visits of one firm by different departments within ``UNCOMBINED_DAYS`` days whose
    windows overlapped (the uncombined-visits rule's cases), found when either visit's facts are made:
    the rule then reads the audit window's pairs, not a join of two years of entries."""

    __tablename__ = "uncombined_pairs"

    first_visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    second_visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    first_day: Mapped[dt.date] = mapped_column(Date)
    second_day: Mapped[dt.date] = mapped_column(Date)
    first_day_number: Mapped[int] = mapped_column(Integer)
    bucket_step: Mapped[int] = mapped_column(Integer)    # 0: both in one bucket of UNCOMBINED_DAYS + 1 days, 1: the next
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))   # the second visit's first such department

    __table_args__ = (Index("ix_uncombined_pairs_first_day_number", "first_day_number"),
                      Index("ix_uncombined_pairs_second_visit_id", "second_visit_id"))


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
