"""Write a validated catalogue into the database. Flushes, never commits."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import DomainError, Problem

from ..errors import CatalogueConflict, CatalogueFileInvalid
from ..loader import ParsedCatalogue
from ..models import CatalogueItem, CatalogueVersion, ChecklistPoint, Department


@dataclasses.dataclass
class PublishResult:
    version: str
    status: str          # "published", "draft" or "unchanged"
    items: int
    revoked: int         # items of the previous list that the new one no longer has
    removed: list[str] = dataclasses.field(default_factory=list)   # their codes
    changed: int = 0
    added: int = 0
    plans_ended: int = 0   # plans on removed items that ended (set by the caller that ends them)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# What makes two rows "the same item": everything published about it but the version and the dates of
# publication. A row whose content equals its predecessor's is a plain re-publication.
ITEM_FIELDS = ("name", "category", "method", "target_type", "legal_basis", "scope_industries", "scope_tags",
               "frequency_cap", "frequency_period", "ratio_min", "ratio_max", "modes", "parent_code",
               "qualification", "effective_from", "effective_to", "advance_notice", "offsite_deadline",
               "offsite_extension", "offsite_escalate_after", "frequency_words", "ratio_words", "runs_min",
               "runs_max", "ratio_source", "ratio_options", "is_group", "ratio_period")
FIELD_LABELS = {"name": "名称", "category": "类别", "method": "检查方式", "target_type": "检查对象",
                "legal_basis": "检查依据", "scope_industries": "行业范围", "scope_tags": "标签范围",
                "frequency_cap": "频次上限", "frequency_period": "频次周期", "ratio_min": "抽查比例下限",
                "ratio_max": "抽查比例上限", "modes": "检查形式", "parent_code": "上级事项",
                "qualification": "资质要求", "effective_from": "生效日期", "effective_to": "失效日期",
                "advance_notice": "检查预告", "offsite_deadline": "非现场核查期限",
                "offsite_extension": "非现场延期", "offsite_escalate_after": "逾期转现场",
                "frequency_words": "抽查频次", "ratio_words": "抽查比例", "runs_min": "年度开展次数",
                "runs_max": "年度开展次数", "ratio_source": "比例确定方式", "ratio_options": "比例选项",
                "is_group": "分类标题", "ratio_period": "比例计算期间", "checklist": "检查要点"}


def _point_key(point) -> tuple:
    return (point.text, point.legal_basis, point.verify, point.offsite_evidence or None, point.offsite_ask or "",
            point.offsite_data)


def item_differences(old: CatalogueItem, new: CatalogueItem) -> list[str]:
    """The fields (and ``checklist``) in which ``new`` differs from ``old``."""
    fields = [f for f in ITEM_FIELDS if getattr(old, f) != getattr(new, f)]
    if [_point_key(p) for p in old.points] != [_point_key(p) for p in new.points]:
        fields.append("checklist")
    return fields


def replaced_point(old: CatalogueItem, reference: int | str | None):
    """The point of ``old`` that a ``replaces`` reference names (a position, or the exact text), or None."""
    if reference is None:
        return None
    if isinstance(reference, int) or str(reference).isdigit():
        return next((p for p in old.points if p.position == int(reference)), None)
    return next((p for p in old.points if p.text == str(reference).strip()), None)


def _replaces_problem(old: CatalogueItem | None, code: str, position: int, reference, claimed: dict) -> str | None:
    """Why a point's ``replaces`` does not name a point of the item's previous version, or None."""
    what = f"第 {reference} 项" if isinstance(reference, int) or str(reference).isdigit() else f"「{reference}」"
    if old is None:
        return f"事项 {code} 在现行清单中没有上一版，第 {position} 项检查要点不能写原要点 {what}"
    earlier = replaced_point(old, reference)
    if earlier is None:
        return (f"事项 {code} 的上一版（{old.version} 版）没有检查要点{what}（共 {len(old.points)} 项），"
                f"第 {position} 项检查要点的原要点无法对应")
    if earlier.position in claimed:
        return (f"{old.version} 版第 {earlier.position} 项检查要点已由第 {claimed[earlier.position]} 项接续，"
                f"第 {position} 项不能再接续它")
    claimed[earlier.position] = position
    return None


def point_mapping(old: CatalogueItem, new: CatalogueItem) -> dict:
    """Each earlier point's position and the position of the point that continues it in the new checklist:
    the one whose ``replaces`` names it (a reworded point), else the one with the same text; null where it
    was dropped. And the new positions that continue no earlier point."""
    mapped_to: dict[int, int] = {}
    for point in new.points:
        earlier = replaced_point(old, point.replaces)
        if earlier is not None and earlier.position not in mapped_to:
            mapped_to[earlier.position] = point.position
    used = set(mapped_to.values())
    by_text: dict[str, list[int]] = {}
    for point in new.points:
        if point.position not in used:
            by_text.setdefault(point.text, []).append(point.position)
    mapped = []
    for point in old.points:
        target = mapped_to.get(point.position)
        if target is None:
            target = next((pos for pos in by_text.get(point.text, []) if pos not in used), None)
            if target is not None:
                used.add(target)
        mapped.append({"from": point.position, "to": target, "text": point.text})
    added = [p.position for p in new.points if p.position not in used]
    return {"previous": old.version, "points": mapped, "added": added}


def check_replaces(session: Session, parsed: ParsedCatalogue) -> None:
    """Each point's ``replaces`` names a point of its item's published version; else the file is refused
    with the line of each that does not."""
    wanted = [item for item in parsed.items if any(p.replaces is not None for p in item.points)]
    if not wanted:
        return
    departments = {d.code: d.id for d in session.scalars(select(Department))}
    current = {(row.code, row.department_id): row
               for row in session.scalars(select(CatalogueItem).where(
                   CatalogueItem.status == "published", CatalogueItem.code.in_([i.code for i in wanted])))}
    problems = []
    for item in wanted:
        old, claimed = current.get((item.code, departments.get(item.department))), {}
        for position, point in enumerate(item.points, start=1):
            if point.replaces is None:
                continue
            message = _replaces_problem(old, item.code, position, point.replaces, claimed)
            if message:
                problems.append(Problem(parsed.path, point.replaces_line, f"checklist[{position - 1}].replaces",
                                        message, item.code))
    if problems:
        raise CatalogueFileInvalid(parsed.path, problems)


def publish_catalogue(session: Session, parsed: ParsedCatalogue, *, now: dt.datetime,
                      publish: bool = True) -> PublishResult:
    """Store ``parsed`` as a new catalogue version, published at once unless ``publish`` is false.

    The file is the whole list. An item keeps its identity across versions by its code and department:
    where it persists (changed or not) plans, tasks, visits and findings that refer to it stay valid;
    only an item the new list no longer has is revoked. Re-loading the same file is a no-op; a different
    file under a version number already used is refused.
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
    check_replaces(session, parsed)

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
            advance_notice=parsed_item.advance_notice, frequency_words=parsed_item.frequency_words,
            ratio_words=parsed_item.ratio_words, runs_min=parsed_item.runs_min, runs_max=parsed_item.runs_max,
            ratio_source=parsed_item.ratio_source, ratio_options=parsed_item.ratio_options,
            is_group=parsed_item.is_group, ratio_period=parsed_item.ratio_period,
            **_offsite_columns(parsed_item.offsite_rule))
        item.points = [ChecklistPoint(position=i + 1, text=p.text, legal_basis=p.legal_basis, verify=p.verify,
                                      offsite_evidence=p.offsite_evidence, offsite_ask=p.offsite_ask,
                                      offsite_data=p.offsite_data,
                                      replaces=str(p.replaces) if p.replaces is not None else None)
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
    """Publish a draft catalogue version against the published one.

    Each item of the draft is matched to the published item of the same code and department: that row is
    *superseded* (its plans, tasks, visits and findings stay valid through the gate) and the draft row
    records the mapping of its checklist points. A published item without a match in the draft is
    *revoked*. The version's ``changes`` record what was added, changed and removed."""
    target = session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == version))
    if target is None:
        raise DomainError(f"没有版本为 {version} 的清单", fields={"version": version})
    if target.status != "draft":
        raise CatalogueConflict(f"清单版本 {version} 的状态为 {target.status}，只能发布草稿版本")
    previous = session.scalar(select(CatalogueVersion).where(CatalogueVersion.status == "published"))
    current = {(row.code, row.department_id): row
               for row in session.scalars(select(CatalogueItem).where(CatalogueItem.status == "published",
                                                                      CatalogueItem.catalogue_version_id != target.id))}
    added, changed, unchanged = [], [], 0
    for item in target.items:
        old = current.pop((item.code, item.department_id), None)
        if old is None:
            added.append(item.code)
            continue
        claimed: dict[int, int] = {}
        for point in item.points:
            message = point.replaces and _replaces_problem(old, item.code, point.position, point.replaces, claimed)
            if message:
                raise CatalogueConflict(f"清单版本 {version} 不能发布：{message}（现行清单已变化，请按现行清单修改原要点）",
                                        fields={"item": item.code, "point": point.position})
        differences = item_differences(old, item)
        if "checklist" in differences:
            item.point_map = point_mapping(old, item)
        if differences:
            changed.append({"code": item.code, "name": item.name, "fields": differences,
                            "labels": [FIELD_LABELS[f] for f in differences], "point_map": item.point_map})
        else:
            unchanged += 1
        old.status = "superseded"
    removed = sorted(current.values(), key=lambda row: row.code)
    for row in removed:
        row.status, row.revoked_at = "revoked", now
    session.execute(update(CatalogueVersion)
                    .where(CatalogueVersion.id != target.id, CatalogueVersion.status == "published")
                    .values(status="revoked"))
    session.execute(update(CatalogueItem).where(CatalogueItem.catalogue_version_id == target.id)
                    .values(status="published", published_at=now)
                    .execution_options(synchronize_session="fetch"))
    target.status = "published"
    target.published_at = now
    target.changes = {"previous": previous.version if previous else None, "added": added, "changed": changed,
                      "removed": [{"code": r.code, "name": r.name, "department": r.department.code}
                                  for r in removed],
                      "unchanged": unchanged}
    session.flush()
    return PublishResult(version, "published", len(target.items), len(removed), [r.code for r in removed],
                         len(changed), len(added))


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
