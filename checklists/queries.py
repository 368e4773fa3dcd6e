"""Read helpers for the catalogue; each returns a ``select()`` statement."""
from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from .models import CatalogueItem, CatalogueVersion, Department


def published_items(department_code: str | None = None, method: str | None = None,
                    text: str | None = None) -> Select:
    stmt = (select(CatalogueItem).join(CatalogueItem.department)
            .where(CatalogueItem.status == "published")
            .options(selectinload(CatalogueItem.department))
            .order_by(CatalogueItem.code))
    if department_code:
        stmt = stmt.where(Department.code == department_code)
    if method:
        stmt = stmt.where(CatalogueItem.method == method)
    if text:
        like = f"%{text}%"
        stmt = stmt.where(or_(CatalogueItem.name.like(like), CatalogueItem.code.like(like),
                              CatalogueItem.target_type.like(like)))
    return stmt


def item_by_code(code: str) -> Select:
    """The published row of ``code`` first, then the newest others."""
    return (select(CatalogueItem).where(CatalogueItem.code == code)
            .options(selectinload(CatalogueItem.points), selectinload(CatalogueItem.department))
            .order_by((CatalogueItem.status == "published").desc(), CatalogueItem.id.desc()))


def current_version() -> Select:
    return select(CatalogueVersion).where(CatalogueVersion.status == "published")


def publications() -> Select:
    """Every published (or since replaced) version, newest first, with what each changed."""
    return (select(CatalogueVersion).where(CatalogueVersion.published_at.is_not(None))
            .order_by(CatalogueVersion.published_at.desc(), CatalogueVersion.id.desc()))


def departments() -> Select:
    return select(Department).order_by(Department.id)


def sub_items(item: CatalogueItem) -> Select:
    return (select(CatalogueItem).where(CatalogueItem.parent_code == item.code,
                                        CatalogueItem.catalogue_version_id == item.catalogue_version_id)
            .order_by(CatalogueItem.code))
