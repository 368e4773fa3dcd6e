"""Accounts and roles."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from checklists.models import Department
from core.db import Base

from .org import Firm, Officer

ROLES = ("department", "department_head", "inspector", "enterprise", "oversight", "admin")
ROLE_LABELS = {"department": "执法部门", "department_head": "部门负责人", "inspector": "执法人员", "enterprise": "企业",
               "oversight": "监督机构", "admin": "系统管理员"}


class User(Base):
    """A login. Department, department head (负责人, who approves the department's inspections) and
    inspector accounts belong to a department; an
    inspector account is one officer; an enterprise account is bound to one firm."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), unique=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Where notices (通知) reach the person: e-mail and mobile number, both optional.
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    # Failed sign-ins are counted here, not written to the event log: the log is public and a typed
    # username is whatever the person at the keyboard chose to type.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Stored in each signed-in session; raised on sign-out and on a new password, which ends every
    # session issued before (a copied cookie answers 401 from then on).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    department: Mapped[Department | None] = relationship()
    officer: Mapped[Officer | None] = relationship()
    firm: Mapped[Firm | None] = relationship()

    __table_args__ = (
        CheckConstraint("role in ('department','department_head','inspector','enterprise','oversight','admin')",
                        name="role"),
        CheckConstraint("role != 'enterprise' or firm_id is not null", name="enterprise_has_firm"),
        CheckConstraint("role != 'inspector' or officer_id is not null", name="inspector_has_officer"),
        CheckConstraint("role not in ('department','department_head','inspector') or department_id is not null",
                        name="department_roles_have_department"),
    )

    # Flask-Login's protocol, written out so that the domain does not import Flask.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def set_password(self, password: str) -> None:
        """A new password; sessions signed in with the old one end."""
        if self.password_hash:
            self.end_sessions()
        self.password_hash = generate_password_hash(password)

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
