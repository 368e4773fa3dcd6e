"""Early warning (预警模型): versions of the risk model, the scores they give, and the complaints and
leads about firms (投诉举报、线索) that feed them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

RISK_MODEL_STATUSES = ("queued", "running", "published", "retired", "failed")
RISK_MODEL_STATUS_LABELS = {"queued": "排队中", "running": "训练中", "published": "现行", "retired": "已停用",
                            "failed": "失败"}
# The channels a lead comes through (线索来源), each with its own reference: a 12345 hotline work order,
# a referral letter of another department or authority, an accident or hazard report, an oversight
# assignment, or the platform's own finding (an off-site check escalated, a non-compliance found).
LEAD_KINDS = ("complaint", "referral", "accident", "hazard", "assignment", "platform")
LEAD_KIND_LABELS = {"complaint": "投诉举报", "referral": "移送、转办线索", "accident": "事故报告",
                    "hazard": "隐患报告", "assignment": "督办、交办", "platform": "平台发现"}
# How a lead reached the platform: typed by the department, imported from the 12345 hotline (file or
# API), back-filed after an emergency entry, or made by the platform itself.
LEAD_VIAS = ("manual", "hotline", "backfile", "platform")


class RiskModel(Base):
    """One trained version of the risk model: its recipe, learned coefficients, and how it did on a
    year of history it had not seen. The published version's scores weight risk-weighted draws."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    # The evaluation: fitted on train_years, measured on test_year; the published scores come from the
    # same recipe refitted on fit_years (all years with examples).
    test_year: Mapped[int | None] = mapped_column(Integer)
    train_years: Mapped[list] = mapped_column(JSON, default=list)
    fit_years: Mapped[list] = mapped_column(JSON, default=list)
    features: Mapped[list] = mapped_column(JSON, default=list)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    examples: Mapped[int] = mapped_column(Integer, default=0)
    scores: Mapped[int] = mapped_column(Integer, default=0)
    scored_as_of: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    trained_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("status in ('queued','running','published','retired','failed')", name="status"),
        CheckConstraint("progress >= 0 and progress <= 1", name="progress"),
    )

    @property
    def status_label(self) -> str:
        return RISK_MODEL_STATUS_LABELS[self.status]


class RiskScore(Base):
    """A firm's score for one department's items (its scope) under one model version, with the few
    factors that weigh most: ``[[feature, value, contribution], ...]``."""

    __tablename__ = "risk_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("risk_models.id", ondelete="CASCADE"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    score: Mapped[float] = mapped_column(Float)
    factors: Mapped[list] = mapped_column(JSON, default=list)

    __table_args__ = (
        UniqueConstraint("model_id", "department_id", "firm_id"),
        CheckConstraint("score > 0 and score < 1", name="score"),
    )


class FirmLead(Base):
    """A complaint about a firm or a lead referred to a department (投诉举报、移送线索)."""

    __tablename__ = "firm_leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    reference: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(100), default="")      # who sent it: 12345 热线, the referring body...
    via: Mapped[str] = mapped_column(String(16), default="manual")

    __table_args__ = (
        CheckConstraint("kind in ('complaint','referral','accident','hazard','assignment','platform')", name="kind"),
        CheckConstraint("via in ('manual','hotline','backfile','platform')", name="via"),
    )

    @property
    def kind_label(self) -> str:
        return LEAD_KIND_LABELS[self.kind]
