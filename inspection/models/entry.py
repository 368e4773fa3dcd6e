"""At the firm: scans in and out (扫码入企), findings per checklist point, publication (一公开), evaluations (事后评价)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import CatalogueItem, ChecklistPoint, Department
from core.db import Base

from .leniency import TREATMENT_LABELS
from .org import Firm, Officer

RESULTS = ("compliant", "non_compliant", "not_applicable")
RESULT_LABELS = {"compliant": "符合", "non_compliant": "不符合", "not_applicable": "不适用"}
OUTCOMES = ("no_problem", "rectify", "case")
OUTCOME_LABELS = {"no_problem": "未发现问题", "rectify": "责令限期整改", "case": "立案查处"}
COMPLAINTS = ("without_cause", "excessive", "improper_conduct")
COMPLAINT_LABELS = {"without_cause": "无事由检查", "excessive": "检查过多过频", "improper_conduct": "执法行为不当"}


class EntryToken(Base):
    """The opaque token in a firm's posted QR code, and the short code printed under it for typing by hand.
    Rotating retires both; a short code is never issued twice, so an old printed one names no other firm."""

    __tablename__ = "entry_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    firm: Mapped[Firm] = relationship()


class Scan(Base):
    """One scan of a firm's code by an officer: in or out, accepted or refused (with the reason)."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[dt.datetime | None] = mapped_column(DateTime)   # a scan recorded offline, received then

    officer: Mapped[Officer] = relationship()
    firm: Mapped[Firm | None] = relationship()

    __table_args__ = (CheckConstraint("kind in ('in','out')", name="kind"),
                      # Refused scans are few among millions: the audit rule reads them alone.
                      Index("ix_scans_refused", "at", postgresql_where=text("accepted IS false"),
                            sqlite_where=text("accepted IS 0")))


class VisitEntry(Base):
    """The established entry of a visit: two certified officers scanned in; one row a visit."""

    __tablename__ = "visit_entries"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    code_nonce: Mapped[str] = mapped_column(String(32))
    recorded_offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 断网补录


class DepartmentEntry(Base):
    """One department's part of an entered visit (综合查一次 keeps one visit for the firm, but each department
    enters on its own): two of its own officers, certified on the day, scanned in at ``entered_at``; the
    department scanned out at ``left_at``. Only a department with a row here was at the firm."""

    __tablename__ = "department_entries"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recorded_offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    department: Mapped[Department] = relationship()


class MissedPart(Base):
    """A department scheduled on a visit whose officers never made its entry: its tasks went back to the
    plan (or were closed as missed); the department is credited with nothing and oversight is told."""

    __tablename__ = "missed_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    tasks: Mapped[list] = mapped_column(JSON)            # [{"task", "status"}]: pending again or cancelled
    scanned: Mapped[list] = mapped_column(JSON)          # certificate numbers of its officers who did scan in
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)

    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "department_id"),)


class Finding(Base):
    """The result of one checklist point of one item on a visit, or of an off-site request (no visit);
    ``recorded_by`` is empty where the platform's own data proved the point."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("offsite_requests.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"))
    point_id: Mapped[int] = mapped_column(ForeignKey("checklist_points.id"))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)

    item: Mapped[CatalogueItem] = relationship()
    point: Mapped[ChecklistPoint] = relationship()

    __table_args__ = (
        UniqueConstraint("visit_id", "task_id", "point_id"),
        UniqueConstraint("request_id", "point_id"),
        CheckConstraint("result in ('compliant','non_compliant','not_applicable')", name="result"),
        CheckConstraint("visit_id is not null or request_id is not null", name="visit_or_request"),
    )

    @property
    def result_label(self) -> str:
        return RESULT_LABELS[self.result]


class ItemOutcome(Base):
    """The overall outcome of one item of one task on a visit or off-site request, and its publication (一公开)."""

    __tablename__ = "item_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("offsite_requests.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    rectify_by: Mapped[dt.date | None] = mapped_column(Date)
    # The treatment applied (包容审慎: no penalty without a case; reduced, lighter or heavier within one)
    # and a case's fine in whole yuan (罚没金额), which oversight watches for profit-driven enforcement.
    treatment: Mapped[str | None] = mapped_column(String(16))
    fine_amount: Mapped[int | None] = mapped_column(BigInteger)
    fine_reason: Mapped[str | None] = mapped_column(Text)   # why a fine lies outside the list's range (裁量基准)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    publish_due: Mapped[dt.date] = mapped_column(Date)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    rectified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)   # the department confirmed the rectification

    item: Mapped[CatalogueItem] = relationship()

    __table_args__ = (
        UniqueConstraint("visit_id", "task_id", "item_id"),
        CheckConstraint("outcome in ('no_problem','rectify','case')", name="outcome"),
        CheckConstraint("outcome != 'rectify' or rectify_by is not null", name="rectify_date"),
        CheckConstraint("visit_id is not null or request_id is not null", name="visit_or_request"),
        CheckConstraint("fine_amount is null or (outcome = 'case' and fine_amount >= 0)", name="fine_in_case"),
        CheckConstraint("treatment is null or (treatment = 'no_penalty' and outcome != 'case') "
                        "or (treatment in ('reduced','lighter','heavier') and outcome = 'case')", name="treatment"),
        # The publication rate reads a year's outcomes from this index alone (PostgreSQL: index-only).
        Index("ix_item_outcomes_publish_due", "publish_due", "visit_id", "published_at"),
        # Audit rules: results still unpublished, and cases (a small share of all outcomes).
        Index("ix_item_outcomes_unpublished", "publish_due", "visit_id", "task_id", "id",
              postgresql_where=text("published_at IS NULL"), sqlite_where=text("published_at IS NULL")),
        Index("ix_item_outcomes_cases", "visit_id", postgresql_where=text("outcome = 'case'"),
              sqlite_where=text("outcome = 'case'")),
    )

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def treatment_label(self) -> str | None:
        return TREATMENT_LABELS.get(self.treatment)


class Evaluation(Base):
    """The firm's evaluation of a completed visit (事后评价); once, never edited."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    complaint: Mapped[str | None] = mapped_column(String(24))
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("score between 1 and 5", name="score"),
        CheckConstraint("complaint is null or complaint in ('without_cause','excessive','improper_conduct')",
                        name="complaint"),
        # The average evaluation of a year's visits joins this index, not the rows with their comments.
        Index("ix_evaluations_visit_score", "visit_id", "score"),
        # The low-evaluations rule reads only low scores and complaints.
        Index("ix_evaluations_low", "at", postgresql_where=text("score <= 2 OR complaint IS NOT NULL"),
              sqlite_where=text("score <= 2 OR complaint IS NOT NULL")),
    )
