"""Inspection plans filed in advance (事前备案), joint campaigns, draws and the tasks they create."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import CatalogueItem, Department
from core.db import Base

from .org import Firm
from .risk import RiskModel
from .user import User

PLAN_STATUSES = ("draft", "filed", "drawn", "scheduled", "in_progress", "completed", "cancelled")
QUIET_EXCEPTIONS = {"complaint": "投诉举报", "accident": "事故调查", "hazard": "重大安全隐患", "order": "上级交办"}
PLAN_STATUS_LABELS = {"draft": "草稿", "filed": "已备案", "drawn": "已抽取", "scheduled": "已排程",
                      "in_progress": "实施中", "completed": "已完成", "cancelled": "已取消"}
TASK_STATUSES = ("pending", "scheduled", "done", "cancelled")
WEIGHTINGS = ("ratios", "risk")
WEIGHTING_LABELS = {"ratios": "按信用风险分类比例抽取", "risk": "比例 + 风险加权"}

plan_items = Table(
    "plan_items", Base.metadata,
    Column("plan_id", ForeignKey("inspection_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("catalogue_items.id"), primary_key=True),
)


class JointCampaign(Base):
    """A joint campaign (联合抽查): member plans of several departments share one seed and draw together."""

    __tablename__ = "joint_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    seed: Mapped[str] = mapped_column(String(64))
    seed_commitment: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    plans: Mapped[list[InspectionPlan]] = relationship(back_populates="campaign", order_by="InspectionPlan.id")

    __table_args__ = (CheckConstraint("status in ('open','drawn','cancelled')", name="status"),)


class InspectionPlan(Base):
    """A department's plan: which catalogue items, in which period, on which firms, at which ratios."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    lead: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("firm_leads.id"), index=True)   # the recorded lead
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The target pool and sampling (双随机): ratio per credit class, filters on firms.
    ratios: Mapped[dict] = mapped_column(JSON, default=dict)
    # Class ratios only, or ratios with risk weights (prn-sps-hmac-sha256-v1); a risk-weighted plan is
    # bound at filing to the risk model then published, whose scores weight its draw.
    weighting: Mapped[str] = mapped_column(String(8), default="ratios", server_default="ratios")
    # plan: the department set the class ratios; credit_policy: taken from the city's credit policy
    # (信用风险分类监管, ``credit_ratios`` in the city file) when the plan was created.
    ratio_source: Mapped[str] = mapped_column(String(16), default="plan", server_default="plan")
    # At filing: the pool by class, the firms the ratios take and their share of the whole pool, set
    # beside each item's published bound (an item's bound is on the whole pool, not on each class).
    share: Mapped[dict | None] = mapped_column(JSON)
    risk_model_id: Mapped[int | None] = mapped_column(ForeignKey("risk_models.id"))
    target_districts: Mapped[list] = mapped_column(JSON, default=list)
    target_industries: Mapped[list] = mapped_column(JSON, default=list)
    target_tags: Mapped[list] = mapped_column(JSON, default=list)
    officer_pool: Mapped[list] = mapped_column(JSON, default=list)
    officers_needed: Mapped[int] = mapped_column(Integer, default=2)
    series: Mapped[str | None] = mapped_column(String(64), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("joint_campaigns.id"), index=True)
    # Commit, then reveal: the seed stays secret until the draw.
    seed: Mapped[str | None] = mapped_column(String(64))
    seed_commitment: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # An exception to firms' quiet periods (宁静期例外) needs its type and evidence.
    quiet_exception: Mapped[str | None] = mapped_column(String(16))
    quiet_exception_evidence: Mapped[str | None] = mapped_column(Text)
    # random: firms drawn by the published algorithm (双随机); targeted: firms named by the plan's lead
    # (a complaint, a referral, an off-site check escalated), never drawn.
    selection: Mapped[str] = mapped_column(String(16), default="random", server_default="random")
    # Why items that could be checked off-site are checked on site (非现场监管 is the default).
    on_site_reason: Mapped[str | None] = mapped_column(Text)
    # 检查预告: the firm sees a confirmed visit this many days ahead, where every item allows notice.
    notice_days: Mapped[int | None] = mapped_column(Integer)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User] = relationship()
    campaign: Mapped[JointCampaign | None] = relationship(back_populates="plans")
    risk_model: Mapped[RiskModel | None] = relationship()
    items: Mapped[list[CatalogueItem]] = relationship(secondary=plan_items, order_by=CatalogueItem.code)
    draw: Mapped[Draw | None] = relationship(back_populates="plan", uselist=False)
    tasks: Mapped[list[InspectionTask]] = relationship(back_populates="plan", order_by="InspectionTask.id")

    __table_args__ = (
        CheckConstraint("status in ('draft','filed','drawn','scheduled','in_progress','completed','cancelled')",
                        name="status"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("officers_needed >= 2", name="two_officers"),
        CheckConstraint("quiet_exception is null or quiet_exception in ('complaint','accident','hazard','order')",
                        name="quiet_exception"),
        CheckConstraint("selection in ('random','targeted')", name="selection"),
        CheckConstraint("notice_days is null or notice_days between 1 and 30", name="notice_days"),
        CheckConstraint("weighting in ('ratios','risk')", name="weighting"),
        CheckConstraint("ratio_source in ('plan','credit_policy')", name="ratio_source"),
        CheckConstraint("weighting = 'risk' or risk_model_id is null", name="risk_model_when_weighted"),
    )

    @property
    def status_label(self) -> str:
        if self.selection == "targeted" and self.status == "drawn":
            return "已备案（定向检查）"
        return PLAN_STATUS_LABELS[self.status]

    @property
    def public_title(self) -> str:
        """The title shown without login: a targeted plan's own title names the firm and its lead, so the
        public reads only its kind (and sees it at all only once results are published)."""
        return "定向检查（依线索）" if self.selection == "targeted" else self.title

    @property
    def weighting_label(self) -> str:
        if self.weighting == "risk" and self.risk_model is not None:
            return f"比例 + 风险加权（预警模型 版本 {self.risk_model.version}）"
        return WEIGHTING_LABELS[self.weighting]

    @property
    def public_commitment(self) -> str | None:
        return self.campaign.seed_commitment if self.campaign else self.seed_commitment

    @property
    def on_site(self) -> bool:
        """A plan whose every item can be checked off-site is checked off-site (its tasks never enter the
        firm) unless the department recorded why it must go on site."""
        return bool(self.on_site_reason) or not all(item.offsite_capable for item in self.items)


class Draw(Base):
    """The published record of a plan's draw (docs/protocols/draws.md), kept exactly as published."""

    __tablename__ = "draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), unique=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    record: Mapped[dict] = mapped_column(JSON)
    pool_sha256: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[dt.datetime] = mapped_column(DateTime)

    plan: Mapped[InspectionPlan] = relationship(back_populates="draw")


class InspectionTask(Base):
    """One department's inspection of one drawn firm under one plan."""

    __tablename__ = "inspection_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    on_site: Mapped[bool] = mapped_column(Boolean, default=True)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    unscheduled_reason: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    plan: Mapped[InspectionPlan] = relationship(back_populates="tasks")
    firm: Mapped[Firm] = relationship()
    visit: Mapped[Visit | None] = relationship(back_populates="tasks")  # noqa: F821

    __table_args__ = (
        UniqueConstraint("plan_id", "firm_id"),
        CheckConstraint("status in ('pending','scheduled','done','cancelled')", name="status"),
        CheckConstraint("window_end >= window_start", name="window_order"),
    )


class CampaignProposal(Base):
    """A proposal (标签式监管) that some departments' draft plans draw together as one joint campaign."""

    __tablename__ = "campaign_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    plan_ids: Mapped[list] = mapped_column(JSON)
    expected_visits_independent: Mapped[float] = mapped_column()
    expected_visits_joint: Mapped[float] = mapped_column()
    shared_firms: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    accepted_plan_ids: Mapped[list] = mapped_column(JSON, default=list)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("joint_campaigns.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (CheckConstraint("status in ('open','accepted','declined')", name="status"),)

    @property
    def visits_saved(self) -> float:
        return self.expected_visits_independent - self.expected_visits_joint
