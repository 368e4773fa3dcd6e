"""Write a validated catalogue into the database. Flushes, never commits."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import CatalogueConflict, DomainError
from ..loader import ParsedCatalogue
from ..models import CatalogueItem, CatalogueVersion, ChecklistPoint, Department


@dataclasses.dataclass
class PublishResult:
    version: str
    status: str          # "published", "draft" or "unchanged"
    items: int
    revoked: int

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def publish_catalogue(session: Session, parsed: ParsedCatalogue, *, now: dt.datetime,
                      publish: bool = True) -> PublishResult:
    """Store ``parsed`` as a new catalogue version, published at once unless ``publish`` is false.

    Publishing a version revokes every item of earlier versions: the catalogue file is the
    whole list. Re-loading the same file is a no-op; a different file under a version
    number already used is refused.
    """
    existing = session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == parsed.version))
    if existing is not None:
        if existing.source_sha256 != parsed.sha256:
            raise CatalogueConflict(
                f"清单版本 {parsed.version} 已于 {existing.loaded_at:%Y-%m-%d %H:%M} 载入，且内容与本文件不同；"
                "修改清单后请提高 version 再发布", fields={"version": parsed.version})
        if publish and existing.status == "draft":
            return publish_version(session, parsed.version, now=now)
        return PublishResult(parsed.version, "unchanged", len(existing.items), 0)

    departments = {d.code: d for d in session.scalars(select(Department))}
    version = CatalogueVersion(version=parsed.version, title=parsed.title, effective_from=parsed.effective_from,
                               effective_to=parsed.effective_to, source_sha256=parsed.sha256, status="draft",
                               loaded_at=now)
    session.add(version)
    for parsed_item in parsed.items:
        item = CatalogueItem(
            catalogue_version=version, code=parsed_item.code, version=parsed.version,
            department=departments[parsed_item.department], name=parsed_item.name,
            category=parsed_item.category, method=parsed_item.method, target_type=parsed_item.target_type,
            legal_basis=parsed_item.legal_basis, scope_industries=parsed_item.industries,
            scope_tags=parsed_item.tags, frequency_cap=parsed_item.frequency_cap,
            frequency_period=parsed_item.frequency_period, ratio_min=parsed_item.ratio_min,
            ratio_max=parsed_item.ratio_max, modes=parsed_item.modes, parent_code=parsed_item.parent_code,
            qualification=parsed_item.qualification, status="draft",
            effective_from=parsed_item.effective_from, effective_to=parsed_item.effective_to,
            advance_notice=parsed_item.advance_notice, **_offsite_columns(parsed_item.offsite_rule))
        item.points = [ChecklistPoint(position=i + 1, text=p.text, legal_basis=p.legal_basis, verify=p.verify,
                                      offsite_evidence=p.offsite_evidence, offsite_ask=p.offsite_ask,
                                      offsite_data=p.offsite_data)
                       for i, p in enumerate(parsed_item.points)]
        session.add(item)
    session.flush()
    if publish:
        return publish_version(session, parsed.version, now=now)
    return PublishResult(parsed.version, "draft", len(parsed.items), 0)


def _offsite_columns(rule: dict | None) -> dict:
    if rule is None:
        return {}
    return {"offsite_deadline": rule["deadline"], "offsite_extension": rule["extension"],
            "offsite_escalate_after": rule["escalate_after"]}


def publish_version(session: Session, version: str, *, now: dt.datetime) -> PublishResult:
    """Publish a draft catalogue version; every item of other versions is revoked."""
    target = session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == version))
    if target is None:
        raise DomainError(f"没有版本为 {version} 的清单", fields={"version": version})
    if target.status != "draft":
        raise CatalogueConflict(f"清单版本 {version} 的状态为 {target.status}，只能发布草稿版本")
    revoked = session.execute(
        update(CatalogueItem)
        .where(CatalogueItem.catalogue_version_id != target.id, CatalogueItem.status == "published")
        .values(status="revoked", revoked_at=now)
        .execution_options(synchronize_session="fetch")).rowcount
    session.execute(update(CatalogueVersion)
                    .where(CatalogueVersion.id != target.id, CatalogueVersion.status == "published")
                    .values(status="revoked"))
    session.execute(update(CatalogueItem).where(CatalogueItem.catalogue_version_id == target.id)
                    .values(status="published", published_at=now)
                    .execution_options(synchronize_session="fetch"))
    target.status = "published"
    target.published_at = now
    session.flush()
    return PublishResult(version, "published", len(target.items), revoked)


def revoke_item(session: Session, code: str, *, now: dt.datetime) -> CatalogueItem:
    """Revoke the published item ``code`` (撤销): from now on the gate refuses it."""
    item = session.scalar(select(CatalogueItem).where(CatalogueItem.code == code,
                                                      CatalogueItem.status == "published"))
    if item is None:
        raise DomainError(f"没有已发布的事项 {code}", fields={"code": code})
    item.status = "revoked"
    item.revoked_at = now
    session.flush()
    return item
