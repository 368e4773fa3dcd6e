"""凡检查必审批、凡检查必通知: the responsible person's approval of a plan (行政检查审批表), and the numbered,
immutable documents of an inspection (司法部《行政检查文书基本格式文本（试行）》) with their public check."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from checklists.models import Department
from core.db import Base

from .org import Firm
from .plan import InspectionPlan
from .user import User

TASK_SOURCES = {"annual_plan": "年度检查计划", "random": "双随机抽查", "complaint": "投诉举报",
                "referral": "上级交办或部门移送", "accident": "事故或重大安全隐患", "other": "其他"}
APPROVAL_DECISIONS = {"approved": "批准", "refused": "不予批准"}
DOCUMENT_KINDS = {"approval": "行政检查审批表", "notice": "行政检查通知书", "record": "现场检查记录",
                  "sampling": "抽样记录", "premises": "勘验笔录", "questioning": "询问笔录",
                  "result": "行政检查结果告知书", "order": "责令改正通知书"}
# The character of each kind in a document number: 东市监检审〔2026〕第0001号.
DOCUMENT_KIND_MARKS = {"approval": "审", "notice": "通", "record": "记", "sampling": "样", "premises": "勘",
                       "questioning": "询", "result": "告", "order": "改"}
# The records that the firm's person signs on the officer's phone (or refuses before a witness).
SIGNED_KINDS = ("record", "sampling", "premises", "questioning")
# The records an officer composes beside the on-site record, where an item or a finding calls for them.
FIELD_RECORD_KINDS = ("sampling", "premises", "questioning")
# The documents the firm may answer with its statement (陈述、申辩).
STATEMENT_KINDS = ("result", "order")


class PlanApproval(Base):
    """The department's responsible person (负责人) decides on a plan with the fields of the approval form.
    An approved plan may be drawn and carried out; an entry made first (emergency, lead) is approved afterwards."""

    __tablename__ = "plan_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    task_source: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[list] = mapped_column(JSON)
    items: Mapped[list] = mapped_column(JSON)
    frequency: Mapped[str] = mapped_column(Text)
    officers: Mapped[list] = mapped_column(JSON)
    opinion: Mapped[str] = mapped_column(Text, default="")
    afterwards: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    plan: Mapped[InspectionPlan] = relationship()
    department: Mapped[Department] = relationship()
    decided_by: Mapped[User] = relationship()
    document: Mapped[Document | None] = relationship()

    __table_args__ = (
        CheckConstraint("decision in ('approved','refused')", name="decision"),
        CheckConstraint("task_source in ('annual_plan','random','complaint','referral','accident','other')",
                        name="task_source"),
    )

    @property
    def decision_label(self) -> str:
        return APPROVAL_DECISIONS[self.decision]

    @property
    def task_source_label(self) -> str:
        return TASK_SOURCES[self.task_source]


class DocumentCounter(Base):
    """The last number given per department, kind and year; taken under a row lock, so that numbers run
    1, 2, 3... without a gap or a repeat even when documents are issued at the same moment."""

    __tablename__ = "document_counters"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """One issued document: its PDF as issued, never changed. A correction is a new document naming the one
    it corrects; the corrected one then reads as corrected on its verification page."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    verify_token: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the officer composed for a sampling, premises or questioning record (as printed in its PDF).
    content: Mapped[dict | None] = mapped_column(JSON)

    department: Mapped[Department] = relationship()
    firm: Mapped[Firm | None] = relationship()
    corrects: Mapped[Document | None] = relationship(remote_side=[id], foreign_keys=[corrects_id],
                                                     back_populates="corrected_by")
    corrected_by: Mapped[Document | None] = relationship(foreign_keys=[corrects_id], back_populates="corrects",
                                                         uselist=False)

    __table_args__ = (
        UniqueConstraint("department_id", "kind", "year", "serial"),
        CheckConstraint("kind in ('approval','notice','record','sampling','premises','questioning','result','order')",
                        name="kind"),
        CheckConstraint("serial >= 1", name="serial_positive"),
    )

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS[self.kind]

    @property
    def status(self) -> str:
        return "corrected" if self.corrected_by is not None else "valid"

    @property
    def status_label(self) -> str:
        return f"已被更正（见 {self.corrected_by.number}）" if self.corrected_by is not None else "有效"


class DocumentAcknowledgement(Base):
    """The firm's acknowledgement (签收) of a document issued to it, kept beside the unchanged document."""

    __tablename__ = "document_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    document: Mapped[Document] = relationship(backref=backref("acknowledgement", uselist=False))


class RecordSignature(Base):
    """How the firm's person answered the on-site record read back on the phone: a signature drawn on the
    screen (PNG), or a refusal to sign before a named witness. It is printed in the record's PDF."""

    __tablename__ = "record_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    signer_name: Mapped[str | None] = mapped_column(String(64))
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_sha256: Mapped[str | None] = mapped_column(String(64))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    witness: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime)

    document: Mapped[Document] = relationship(backref=backref("signature", uselist=False))

    __table_args__ = (
        CheckConstraint("refused or (signature_png is not null and signer_name is not null)", name="signed"),
        CheckConstraint("not refused or witness is not null", name="refusal_witnessed"),
    )


class DocumentStatement(Base):
    """The firm's statement (陈述、申辩) on a result notice or an order to rectify, kept beside the unchanged
    document; the department reads it and answers in the records it keeps (a correction, a case)."""

    __tablename__ = "document_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    document: Mapped[Document] = relationship(backref=backref("statements", order_by="DocumentStatement.id"))
