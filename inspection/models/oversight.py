"""Oversight (行政执法监督): alerts raised by the audit rules, and their handling."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String, Text
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
