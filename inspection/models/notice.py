"""Notices (通知): what a firm, an officer or an account is told when something needs them, on its page
and by e-mail or SMS. The table is an outbox: each notice is written once, by the operation that causes
it, and sent later by the sender, channel by channel."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

NOTICE_KINDS = ("visit_announced", "offsite_requested", "offsite_deadline", "offsite_overdue", "results_published",
                "evaluation_invited", "visit_assigned", "visit_moved", "partner_waiting", "review_due", "plan_ended")
NOTICE_KIND_LABELS = {"visit_announced": "检查预告", "offsite_requested": "非现场核查", "offsite_deadline": "提交期限",
                      "offsite_overdue": "逾期提醒", "results_published": "结果公示", "evaluation_invited": "邀请评价",
                      "visit_assigned": "检查任务", "visit_moved": "检查改期", "partner_waiting": "同伴待扫码",
                      "review_due": "待审核", "plan_ended": "计划终止"}
# A channel is pending until sent; failed after its last attempt; none when the recipient has no address for
# it or the platform has no server for it.
CHANNEL_STATUSES = ("pending", "sent", "failed", "none")
CHANNEL_STATUS_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "none": "未发送"}


class Notice(Base):
    """One notice to one recipient: a firm (every account of the firm sees it), an officer (his account) or
    an account. ``key`` names the event and the recipient: the same event never notifies anyone twice."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    email_status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    sms_status: Mapped[str] = mapped_column(String(8), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the sender tries next; empty once no channel is pending (the sender's index).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint("(firm_id is not null and officer_id is null and user_id is null)"
                        " or (firm_id is null and officer_id is not null and user_id is null)"
                        " or (firm_id is null and officer_id is null and user_id is not null)", name="one_recipient"),
        CheckConstraint("email_status in ('pending','sent','failed','none')", name="email_status"),
        CheckConstraint("sms_status in ('pending','sent','failed','none')", name="sms_status"),
    )

    @property
    def kind_label(self) -> str:
        return NOTICE_KIND_LABELS.get(self.kind, "通知")

    @property
    def delivery_label(self) -> str:
        parts = []
        for name, status in (("邮件", self.email_status), ("短信", self.sms_status)):
            if status != "none":
                parts.append(f"{name}{CHANNEL_STATUS_LABELS[status]}")
        return "，".join(parts) or "仅站内通知"
