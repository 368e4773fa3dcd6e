"""Write a catalogue version back to the file format it was loaded from (round trip without loss)."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import DomainError

from .models import CatalogueItem, CatalogueVersion


def item_document(item: CatalogueItem) -> dict:
    document = {
        "code": item.code, "department": item.department.code, "name": item.name, "category": item.category,
        "method": item.method, "target_type": item.target_type,
        "legal_basis": [{k: b[k] for k in ("law", "articles", "text") if k in b} for b in item.legal_basis],
        "scope": {"industries": list(item.scope_industries), "tags": list(item.scope_tags)},
        "frequency_cap": item.frequency_cap, "frequency_period": item.frequency_period,
        "ratio": item.ratio_words if item.ratio_words else {"min": item.ratio_min, "max": item.ratio_max},
        "modes": list(item.modes), "qualification": item.qualification,
        "effective_from": item.effective_from.isoformat(),
        "checklist": [_point_document(p, item.method) for p in item.points],
    }
    if item.frequency_words:
        document["frequency"] = item.frequency_words
        if item.frequency_words == item.ratio_words:
            del document["ratio"]   # said once, under 抽查频次: the alternatives of share and rounds
    if item.effective_to is not None:
        document["effective_to"] = item.effective_to.isoformat()
    document["advance_notice"] = item.advance_notice
    if item.offsite_deadline is not None:
        document["offsite"] = {"deadline": item.offsite_deadline, "extension": item.offsite_extension,
                               "escalate_after": item.offsite_escalate_after}
    return document


def _point_document(point, method: str) -> dict:
    document = {"text": point.text, "legal_basis": point.legal_basis, "verify": point.verify}
    if point.offsite_capable:
        offsite = {"evidence": list(point.offsite_evidence or []), "ask": point.offsite_ask}
        if point.offsite_data:
            offsite["data"] = point.offsite_data
        document["offsite"] = offsite
    elif method == "offsite":
        document["offsite"] = False  # said explicitly: an off-site item's points otherwise default to a document
    return document


def catalogue_document(session: Session, version: str | None = None) -> dict:
    """The published version (or ``version``) as the YAML document of the loader."""
    stmt = select(CatalogueVersion).options(selectinload(CatalogueVersion.items).selectinload(CatalogueItem.points))
    stmt = stmt.where(CatalogueVersion.version == version) if version else stmt.where(
        CatalogueVersion.status == "published")
    found = session.scalar(stmt)
    if found is None:
        raise DomainError(f"没有版本为 {version} 的清单" if version else "还没有已发布的清单")
    documents = {item.code: item_document(item) for item in found.items}
    top = []
    for item in found.items:
        if item.parent_code and item.parent_code in documents:
            documents[item.parent_code].setdefault("sub_items", []).append(documents[item.code])
        else:
            top.append(documents[item.code])
    document = {"version": found.version, "title": found.title,
                "effective_from": found.effective_from.isoformat(), "items": top}
    if found.effective_to is not None:
        document["effective_to"] = found.effective_to.isoformat()
    return document


def write_catalogue(session: Session, path: str | Path, version: str | None = None) -> int:
    document = catalogue_document(session, version)
    Path(path).write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120),
                          encoding="utf-8")
    return len(document["items"])
