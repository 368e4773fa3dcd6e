"""Catalogue models: departments that own items, catalogue versions, items and their checklist points."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

ITEM_STATUSES = ("draft", "published", "superseded", "revoked")
METHODS = ("random", "key", "special", "offsite")
CATEGORIES = ("general", "key")

METHOD_LABELS = {"random": "双随机抽查", "key": "重点检查", "special": "专项检查", "offsite": "非现场检查"}
CATEGORY_LABELS = {"general": "一般事项", "key": "重点事项"}
STATUS_LABELS = {"draft": "草稿", "published": "已发布", "superseded": "已由新版清单接续", "revoked": "已撤销"}
PERIOD_LABELS = {"year": "每年", "half_year": "每半年", "quarter": "每季度", "month": "每月"}
MODE_LABELS = {"on_site": "现场检查", "online": "网络检查", "records": "书面检查",
               "sampling": "监督抽查（抽样送检）"}
RATIO_SOURCE_LABELS = {"item": "清单规定", "plan": "由计划确定", "higher": "由上级部门确定"}
EVIDENCE_LABELS = {"document": "文件材料", "photo": "照片", "record": "台账记录", "answer": "文字说明"}


class Department(Base):
    """An enforcement department (执法部门) that owns catalogue items and files plans."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    short_name: Mapped[str] = mapped_column(String(16))
    # The department's published cap of inspections per firm and year (国办发〔2024〕54号), on top of items' caps.
    yearly_cap: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class CatalogueVersion(Base):
    """One published edition of the catalogue, loaded from one file."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    source_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # What this publication changed against the version it replaced: {"previous", "added", "changed",
    # "removed", "unchanged"}; each changed entry names its fields and the mapping of its checklist points.
    changes: Mapped[dict | None] = mapped_column(JSON)

    items: Mapped[list[CatalogueItem]] = relationship(back_populates="catalogue_version",
                                                        order_by="CatalogueItem.code")

    __table_args__ = (CheckConstraint("status in ('draft','published','revoked')", name="status"),)

    @property
    def change_summary(self) -> str:
        if not self.changes:
            return ""
        c = self.changes
        if not c.get("previous"):
            return f"首次发布，事项 {len(c.get('added', []))} 项"
        return (f"较 {c['previous']} 版：新增 {len(c.get('added', []))} 项，修改 {len(c.get('changed', []))} 项，"
                f"删除 {len(c.get('removed', []))} 项，未变 {c.get('unchanged', 0)} 项")


class CatalogueItem(Base):
    """An inspection item (检查事项): what may be inspected, by whom, on which legal basis."""

    __tablename__ = "catalogue_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_versions.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[list] = mapped_column(JSON)
    scope_industries: Mapped[list] = mapped_column(JSON)
    scope_tags: Mapped[list] = mapped_column(JSON)
    frequency_cap: Mapped[int] = mapped_column(Integer)
    frequency_period: Mapped[str] = mapped_column(String(16), default="year", server_default="year")
    ratio_min: Mapped[float | None] = mapped_column(Float)
    ratio_max: Mapped[float | None] = mapped_column(Float)
    modes: Mapped[list] = mapped_column(JSON, default=lambda: ["on_site"])
    parent_code: Mapped[str | None] = mapped_column(String(32))
    qualification: Mapped[str | None] = mapped_column(String(64))
    # The published off-site rule (非现场监管), in working days; null where no point can be checked off-site.
    offsite_deadline: Mapped[int | None] = mapped_column(Integer)
    offsite_extension: Mapped[int | None] = mapped_column(Integer)
    offsite_escalate_after: Mapped[int | None] = mapped_column(Integer)
    # 检查预告: whether a plan may tell the firm the day ahead (never for checks that a warning would defeat).
    advance_notice: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # The published words kept beside their meaning: 抽查频次 ("每年不少于1次", "2次/年") and 抽查比例.
    frequency_words: Mapped[str | None] = mapped_column(Text)
    ratio_words: Mapped[str | None] = mapped_column(Text)
    # The department's obligation per period (每年不少于 N 次 / N次/年): rounds of this check it runs.
    runs_min: Mapped[int | None] = mapped_column(Integer)
    runs_max: Mapped[int | None] = mapped_column(Integer)
    # Where the bound holds: null for each plan alone; "year" for the sum of the department's plans of the item
    # in a year (a bound said per year: "一般不超过10%/年", "全年合计抽取比例不低于10%，不高于30%").
    ratio_period: Mapped[str | None] = mapped_column(String(8))
    # Who sets the ratio: the list (item), each plan (plan: 根据实际情况确定), or a higher level (higher).
    ratio_source: Mapped[str] = mapped_column(String(8), default="item", server_default="item")
    # Alternatives the list allows ("5%的对象每年1次或2%的对象每年2次"): [{"ratio": 0.05, "runs": 1}, ...].
    ratio_options: Mapped[list | None] = mapped_column(JSON)
    # A heading whose sub-items carry the substance (the parent row of a real list carries only a name).
    is_group: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # For a row that continues an earlier version's item: each earlier checklist point's position and the
    # position it maps to here (null: dropped), plus the positions added.
    point_map: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship()
    catalogue_version: Mapped[CatalogueVersion] = relationship(back_populates="items")
    points: Mapped[list[ChecklistPoint]] = relationship(
        back_populates="item", order_by="ChecklistPoint.position", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("status in ('draft','published','superseded','revoked')", name="status"),
        CheckConstraint("ratio_source in ('item','plan','higher')", name="ratio_source"),
        CheckConstraint("ratio_period is null or ratio_period = 'year'", name="ratio_period"),
        CheckConstraint("method in ('random','key','special','offsite')", name="method"),
        CheckConstraint("category in ('general','key')", name="category"),
        CheckConstraint("frequency_cap >= 1", name="frequency_cap_positive"),
    )

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def frequency_text(self) -> str:
        text = f"{PERIOD_LABELS[self.frequency_period]}不超过 {self.frequency_cap} 次"
        if self.runs_min or self.runs_max:
            low, high = self.runs_min, self.runs_max
            runs = (f"{low} 次" if low == high else f"不少于 {low} 次" if high is None
                    else f"不超过 {high} 次" if low is None else f"{low} 至 {high} 次")
            text += f"；部门{PERIOD_LABELS[self.frequency_period]}开展{runs}"
        return text

    @property
    def frequency_published(self) -> str:
        """The list's own words, then what the platform enforces."""
        return f"{self.frequency_words}（{self.frequency_text}）" if self.frequency_words else self.frequency_text

    @property
    def ratio_text(self) -> str:
        low, high = self.ratio_min, self.ratio_max
        if low is None and high is None:
            return RATIO_SOURCE_LABELS["higher" if self.ratio_source == "higher" else "plan"]
        per = "每年各计划合计" if self.ratio_period == "year" else ""
        if low is not None and low == high:
            return f"{per}{low:.0%}"
        if high is None:
            return f"{per}不低于 {low * 100:g}%"
        if low is None:
            return f"{per}不超过 {high * 100:g}%"
        return f"{per}{low * 100:g}% 至 {high * 100:g}%"

    @property
    def ratio_published(self) -> str:
        """The list's own words, then the bound the platform enforces on a plan's share of its pool."""
        if not self.ratio_words or self.ratio_words.replace(" ", "") == self.ratio_text.replace(" ", ""):
            return self.ratio_text
        return f"{self.ratio_words}（{self.ratio_text}）"

    @property
    def modes_text(self) -> str:
        return "、".join(MODE_LABELS[m] for m in self.modes)

    @property
    def legal_basis_text(self) -> str:
        return "；".join(b.get("text") or f"{b['law']}{b['articles']}" for b in self.legal_basis)

    @property
    def offsite_capable(self) -> bool:
        """Every checklist point can be proved without entering the firm."""
        return bool(self.points) and all(p.offsite_capable for p in self.points)

    @property
    def offsite_rule_text(self) -> str:
        if self.offsite_deadline is None:
            return ""
        text = f"收到材料清单后 {self.offsite_deadline} 个工作日内提交，可申请延期一次（{self.offsite_extension} 个工作日）"
        if self.offsite_escalate_after is None:
            return text + "；逾期提醒并标记，不自动转现场"
        return text + f"；逾期 {self.offsite_escalate_after} 个工作日仍未提交的，转为现场检查"

    def is_effective_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @classmethod
    def published(cls):
        """Statement selecting the currently published items, by code."""
        return select(cls).where(cls.status == "published").order_by(cls.code)


class ChecklistPoint(Base):
    """One point of an item's checklist (检查要点): text, legal basis and how to verify it."""

    __tablename__ = "checklist_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    verify: Mapped[str] = mapped_column(Text)
    # Off-site (非现场): the evidence kinds that prove the point, what the firm is asked for, and the
    # platform's own data that can prove it at once ("licence:<证照>", "annual_report", "rectification_closed").
    offsite_evidence: Mapped[list | None] = mapped_column(JSON)
    offsite_ask: Mapped[str] = mapped_column(Text, default="", server_default="")
    offsite_data: Mapped[str | None] = mapped_column(String(80))
    # The point of the previous version this one continues, as the file says it (``replaces``: a position or
    # the earlier text); null where the file says nothing and identical text is matched.
    replaces: Mapped[str | None] = mapped_column(Text)

    item: Mapped[CatalogueItem] = relationship(back_populates="points")

    @property
    def offsite_capable(self) -> bool:
        return bool(self.offsite_evidence) or self.offsite_data is not None

    @property
    def evidence_text(self) -> str:
        return "、".join(EVIDENCE_LABELS[k] for k in self.offsite_evidence or [])

    __table_args__ = (UniqueConstraint("item_id", "position"),)
