"""Where and by whom: districts, firms, officers, and their links."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checklists.models import Department
from core.db import Base

CREDIT_CLASSES = ("A", "B", "C", "D")
CREDIT_LABELS = {"A": "A 类（低风险）", "B": "B 类（一般风险）", "C": "C 类（较高风险）", "D": "D 类（高风险）"}

department_districts = Table(
    "department_districts", Base.metadata,
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
)

officer_districts = Table(
    "officer_districts", Base.metadata,
    Column("officer_id", ForeignKey("officers.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
)


class District(Base):
    """A county-level district of the city (区县、功能区), by administrative division code."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class FirmTag(Base):
    """A tag on a firm (标签式监管): drives which items and departments concern it."""

    __tablename__ = "firm_tags"

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class Firm(Base):
    """An enterprise under supervision, keyed by its unified social credit code."""

    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    industry: Mapped[str] = mapped_column(String(32), index=True)
    credit_class: Mapped[str] = mapped_column(String(1), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")

    district: Mapped[District] = relationship()
    tag_rows: Mapped[list[FirmTag]] = relationship(cascade="all, delete-orphan", order_by=FirmTag.tag)

    __table_args__ = (
        CheckConstraint("credit_class in ('A','B','C','D')", name="credit_class"),
        CheckConstraint("length(uscc) = 18", name="uscc_length"),
    )

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @tags.setter
    def tags(self, values: list[str]) -> None:
        wanted = list(dict.fromkeys(v for v in values if v))
        keep = [t for t in self.tag_rows if t.tag in wanted]
        have = {t.tag for t in keep}
        self.tag_rows = keep + [FirmTag(tag=v) for v in wanted if v not in have]

    @property
    def credit_label(self) -> str:
        return CREDIT_LABELS[self.credit_class]


OFFICER_KINDS = ("enforcement", "grid", "community", "third_party")
OFFICER_KIND_LABELS = {"enforcement": "持证执法人员", "grid": "网格员", "community": "社区工作人员",
                       "third_party": "第三方人员"}


class Officer(Base):
    """An enforcement officer (执法人员) holding an enforcement certificate (执法证).

    Grid, community and third-party staff (``kind`` other than ``enforcement``) may accompany
    a visit but never count toward its two officers, and are never drawn or scheduled."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    qualifications: Mapped[list] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16), default="enforcement", server_default="enforcement")

    department: Mapped[Department] = relationship()
    districts: Mapped[list[District]] = relationship(secondary=officer_districts, order_by=District.id)

    __table_args__ = (
        CheckConstraint("valid_to >= valid_from", name="validity_order"),
        CheckConstraint("kind in ('enforcement','grid','community','third_party')", name="kind"),
    )

    def certified_on(self, day: dt.date) -> bool:
        """Holds a valid enforcement certificate on ``day`` (检查人员资格)."""
        return self.active and self.kind == "enforcement" and self.valid_from <= day <= self.valid_to


class OfficerConflict(Base):
    """A declared conflict of interest (回避) between an officer and a firm: he is never on its team."""

    __tablename__ = "officer_conflicts"

    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))


QUIET_SCOPES = ("city", "district", "firm")


class QuietPeriod(Base):
    """A quiet period (企业宁静期): days on which planned inspections do not enter the firms concerned.

    Either days of every month (``days_of_month``, e.g. the last days of each month when firms
    close their books) or a date range (a firm's approved busy season), for the whole city, a
    district or one firm.

    A firm's period declared by a department (``department_id`` set) binds that department's plans
    only; a firm-wide one (no department) is declared by oversight, with its evidence. Firm periods
    are date ranges of bounded length (``quiet_period_max_days`` in the city file)."""

    __tablename__ = "quiet_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    days_of_month: Mapped[list | None] = mapped_column(JSON)
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    evidence: Mapped[str | None] = mapped_column(Text)
    declared_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("scope in ('city','district','firm')", name="scope"),
        CheckConstraint("(scope != 'district' or district_id is not null) and (scope != 'firm' or firm_id is not null)",
                        name="scope_target"),
        CheckConstraint("days_of_month is not null or (start is not null and \"end\" is not null)", name="when"),
    )

    def covers(self, day: dt.date) -> bool:
        if self.days_of_month is not None and day.day in self.days_of_month:
            return True
        return self.start is not None and self.end is not None and self.start <= day <= self.end


# A department's jurisdiction (管辖区域), declared here so that ``checklists`` knows nothing of districts.
Department.districts = relationship(District, secondary=department_districts, order_by=District.id)


class CityRule(Base):
    """A rule of the city set on the platform (``working_hours``, ``quiet_period_max_days``,
    ``min_visit_minutes``): it takes precedence over the city file's value, which stays the default.
    ``value`` is written as the city file writes it; who set it last, and when, is kept here and in the
    event log."""

    __tablename__ = "city_rules"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
