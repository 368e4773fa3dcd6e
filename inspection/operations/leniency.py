"""Flexible-enforcement lists (包容审慎监管: 不予处罚、减轻处罚、从轻处罚、从重处罚清单): validate a
department's list against the published catalogue, publish it (the previous version is superseded),
and find the entries that cover a checklist point on a day.

A list file (YAML, UTF-8) or API body::

    department: market                 # the publishing department (a department account: its own)
    version: "2026.1"
    title: 市场监管领域包容审慎监管执法“四张清单”（2026年版）
    effective_from: 2026-01-01
    effective_to: 2026-12-31           # optional
    entries:
      - item: SC-003                   # a published catalogue item of the department
        point: 2                       # the position of the checklist point in the item
        treatment: no_penalty          # no_penalty | reduced | lighter | heavier
        conditions: [first_offence, no_harm, corrected]   # all must hold for the entry to apply
        basis: 《中华人民共和国行政处罚法》第三十三条第一款
        guidance: 责令改正，督促办理健康证明          # optional: what the inspector does instead
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checklists.errors import Problem
from checklists.gate import refusal
from checklists.loader import _Lines, _Loader
from core import clock

from ..errors import InvalidState, LeniencyFileInvalid, NotPermitted
from ..models import (
    CONDITIONS,
    EXCLUSIVE_CONDITIONS,
    LENIENT,
    TREATMENT_LABELS,
    TREATMENTS,
    CatalogueItem,
    ChecklistPoint,
    Department,
    LeniencyEntry,
    LeniencyList,
    User,
)
from .events import append_event, utcnow

TOP_KEYS = {"department", "version", "title", "effective_from", "effective_to", "entries"}
ENTRY_KEYS = {"item", "point", "treatment", "conditions", "basis", "guidance"}
AGGRAVATING = ("repeated", "refused", "serious_harm")


def read_list_file(path: str | Path) -> tuple[dict, object, str, str]:
    """``(data, YAML node for line numbers, label, sha256)`` of a list file, or every problem reading it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LeniencyFileInvalid(path.name, [Problem(path.name, None, "file", f"无法读取文件：{exc.strerror}")]) from exc
    return read_list_bytes(raw, path.name)


def read_list_bytes(raw: bytes, label: str) -> tuple[dict, object, str, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LeniencyFileInvalid(label, [Problem(label, None, "file", "文件不是 UTF-8 编码")]) from exc
    try:
        node = yaml.compose(text)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LeniencyFileInvalid(label, [Problem(label, mark.line + 1 if mark else None, "file",
                                                  f"YAML 语法错误：{getattr(exc, 'problem', exc)}")]) from exc
    return data, node, label, hashlib.sha256(raw).hexdigest()


def _text(value) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def publish_list(session: Session, actor: User | None, data, *, label: str, sha256: str,  # noqa: C901 - to split
                 node=None) -> tuple[LeniencyList, str]:
    """Validate ``data`` (every problem at once, nothing written on any) and publish it.
    Returns the list and ``"published"``, or the same version already published and ``"unchanged"``."""
    lines = _Lines
    problems: list[Problem] = []

    def problem(field: str, message: str, at=None, item: str | None = None) -> None:
        problems.append(Problem(label, lines.line(at) if at is not None else None, field, message, item))

    if actor is not None and actor.role != "department":
        raise NotPermitted("只有执法部门可以发布包容审慎清单")
    if not isinstance(data, dict):
        raise LeniencyFileInvalid(label, [Problem(label, 1, "file", "顶层应为包含 department、version、title、entries 的映射")])
    for key in sorted(set(data) - TOP_KEYS, key=str):
        problem(str(key), "未知字段", lines.child(node, key))
    code = _text(data.get("department")) or (actor.department.code if actor is not None else None)
    department = session.scalar(select(Department).where(Department.code == code)) if code else None
    if department is None:
        problem("department", f"未知部门 {code}" if code else "缺少发布部门", lines.child(node, "department"))
    elif actor is not None and department.id != actor.department_id:
        problem("department", f"只能发布本部门（{actor.department.name}）的清单", lines.child(node, "department"))
    version = _text(data.get("version"))
    if not version or len(version) > 32:
        problem("version", "缺少版本号（不超过 32 个字符）", lines.child(node, "version"))
    title = _text(data.get("title"))
    if not title or len(title) > 200:
        problem("title", "缺少清单名称（不超过 200 个字符）", lines.child(node, "title"))
    effective_from = _date(data.get("effective_from"))
    if effective_from is None:
        problem("effective_from", "生效日期格式应为 YYYY-MM-DD", lines.child(node, "effective_from"))
    effective_to = None
    if data.get("effective_to") is not None:
        effective_to = _date(data.get("effective_to"))
        if effective_to is None:
            problem("effective_to", "失效日期格式应为 YYYY-MM-DD", lines.child(node, "effective_to"))
        elif effective_from and effective_to < effective_from:
            problem("effective_to", "失效日期早于生效日期", lines.child(node, "effective_to"))
    raw_entries = data.get("entries")
    entries_node = lines.child(node, "entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problem("entries", "清单没有任何条目", entries_node)
        raw_entries = []
    items = _items(session, [e.get("item") for e in raw_entries if isinstance(e, dict)])
    parsed, seen = [], set()
    for index, raw in enumerate(raw_entries):
        at = lines.child(entries_node, index)
        entry = _entry(raw, at, index, items, department, effective_from or clock.today(), problem)
        if entry is None:
            continue
        key = (entry["point"].id, entry["treatment"])
        if key in seen:
            problem(f"entries[{index}]", "同一检查要点的同一处理方式重复列出", at, entry["item"].code)
            continue
        seen.add(key)
        parsed.append(entry)
    if problems:
        raise LeniencyFileInvalid(label, problems)
    existing = session.scalar(select(LeniencyList).where(LeniencyList.department_id == department.id,
                                                         LeniencyList.version == version))
    if existing is not None:
        if existing.source_sha256 == sha256:
            return existing, "unchanged"
        raise InvalidState(f"{department.name}的包容审慎清单版本 {version} 已经发布，内容不同的清单须使用新的版本号",
                           fields={"version": "已存在"})
    now = utcnow()
    superseded = []
    for older in session.scalars(select(LeniencyList).where(LeniencyList.department_id == department.id,
                                                            LeniencyList.status == "published")):
        older.status = "superseded"
        superseded.append(older.version)
    published = LeniencyList(department=department, version=version, title=title, effective_from=effective_from,
                             effective_to=effective_to, status="published", source_sha256=sha256, published_at=now,
                             published_by_id=actor.id if actor is not None else None,
                             entries=[LeniencyEntry(item=e["item"], point=e["point"], treatment=e["treatment"],
                                                    conditions=e["conditions"], basis=e["basis"],
                                                    guidance=e["guidance"]) for e in parsed])
    session.add(published)
    session.flush()
    counts = defaultdict(int)
    for entry in parsed:
        counts[entry["treatment"]] += 1
    append_event(session, actor, "leniency.published", f"leniency:{department.code}:{version}",
                 {"title": title, "effective_from": effective_from, "effective_to": effective_to, "sha256": sha256,
                  "entries": dict(counts), "superseded": superseded})
    return published, "published"


def _items(session: Session, codes) -> dict[str, CatalogueItem]:
    """For each code, its published row if any, else its newest (so that the refusal can say why)."""
    codes = sorted({c for c in codes if isinstance(c, str)})
    found: dict[str, CatalogueItem] = {}
    for row in session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(codes))
                               .options(selectinload(CatalogueItem.points), selectinload(CatalogueItem.department))
                               .order_by(CatalogueItem.id)):
        if found.get(row.code) is None or found[row.code].status != "published":
            found[row.code] = row
    return found


def _entry(raw, at, index, items, department, day, problem) -> dict | None:  # noqa: C901 - to split
    field = f"entries[{index}]"
    if not isinstance(raw, dict):
        problem(field, "每个条目应为一个映射", at)
        return None
    code = _text(raw.get("item"))
    for key in sorted(set(raw) - ENTRY_KEYS, key=str):
        problem(f"{field}.{key}", "未知字段", at, code)
    ok = True
    item = items.get(code) if code else None
    reason = refusal(item, code or "（空）", department, day) if department is not None else None
    if code is None:
        problem(f"{field}.item", "缺少检查事项编码", at)
        ok = False
    elif reason:
        problem(f"{field}.item", reason, at, code)
        ok = False
    point = None
    position = raw.get("point")
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        problem(f"{field}.point", "检查要点应为事项检查清单中的序号（从 1 开始）", at, code)
        ok = False
    elif item is not None and not reason:
        point = next((p for p in item.points if p.position == position), None)
        if point is None:
            problem(f"{field}.point", f"事项 {code} 没有第 {position} 个检查要点（共 {len(item.points)} 个）", at, code)
            ok = False
    treatment = raw.get("treatment")
    if treatment not in TREATMENTS:
        problem(f"{field}.treatment", "处理方式应为 " + "、".join(f"{k}（{v}）" for k, v in TREATMENT_LABELS.items()),
                at, code)
        ok = False
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not conditions or not all(isinstance(c, str) for c in conditions):
        problem(f"{field}.conditions", "须列出适用条件（全部满足时适用）", at, code)
        ok = False
    else:
        unknown = [c for c in conditions if c not in CONDITIONS]
        if unknown:
            problem(f"{field}.conditions", f"未知条件 {'、'.join(unknown)}；可用："
                    + "、".join(f"{k}（{v}）" for k, v in CONDITIONS.items()), at, code)
            ok = False
        clash = [f"{a} 与 {b}" for a, b in EXCLUSIVE_CONDITIONS if a in conditions and b in conditions]
        if clash:
            problem(f"{field}.conditions", f"条件相互矛盾：{'；'.join(clash)}", at, code)
            ok = False
        aggravating = [c for c in conditions if c in AGGRAVATING]
        if treatment == "heavier" and not aggravating:
            problem(f"{field}.conditions", "从重处罚须以加重情节为条件（repeated、refused 或 serious_harm）", at, code)
            ok = False
        if treatment in LENIENT and aggravating:
            problem(f"{field}.conditions", f"{TREATMENT_LABELS[treatment]}不能以加重情节为条件：{'、'.join(aggravating)}",
                    at, code)
            ok = False
    basis = _text(raw.get("basis"))
    if basis is None:
        problem(f"{field}.basis", "须写明法律依据", at, code)
        ok = False
    if not ok:
        return None
    return {"item": item, "point": point, "treatment": treatment, "conditions": list(dict.fromkeys(conditions)),
            "basis": basis, "guidance": _text(raw.get("guidance")) or ""}


def entries_for(session: Session, department_id: int, point_ids, day: dt.date) -> dict[int, list[LeniencyEntry]]:
    """The entries of the department's lists in force on ``day`` that cover each of ``point_ids``. A point
    is the same point in every catalogue version where its item (code and department) keeps its text, so
    an entry written against an earlier version still covers it."""
    point_ids = list(point_ids)
    if not point_ids:
        return {}
    same = _same_points(session, point_ids)
    rows = session.scalars(select(LeniencyEntry).join(LeniencyList, LeniencyList.id == LeniencyEntry.list_id)
                           .where(LeniencyList.department_id == department_id, LeniencyList.status == "published",
                                  LeniencyList.effective_from <= day,
                                  (LeniencyList.effective_to.is_(None)) | (LeniencyList.effective_to >= day),
                                  LeniencyEntry.point_id.in_(list(same)))
                           .options(selectinload(LeniencyEntry.list)).order_by(LeniencyEntry.id)).all()
    found: dict[int, list[LeniencyEntry]] = defaultdict(list)
    for entry in rows:
        for point_id in same[entry.point_id]:
            found[point_id].append(entry)
    return dict(found)


def _same_points(session: Session, point_ids: list[int]) -> dict[int, set[int]]:
    """Every version's id of each point (same item code, department and text) -> the asked ids it stands for."""
    asked = session.execute(select(ChecklistPoint.id, CatalogueItem.code, CatalogueItem.department_id,
                                   ChecklistPoint.text)
                            .join(CatalogueItem, CatalogueItem.id == ChecklistPoint.item_id)
                            .where(ChecklistPoint.id.in_(point_ids))).all()
    keys: dict[tuple, set[int]] = defaultdict(set)
    for point_id, code, department_id, text in asked:
        keys[(code, department_id, text)].add(point_id)
    same: dict[int, set[int]] = defaultdict(set)
    for point_id in point_ids:
        same[point_id].add(point_id)
    if not keys:
        return same
    for point_id, code, department_id, text in session.execute(
            select(ChecklistPoint.id, CatalogueItem.code, CatalogueItem.department_id, ChecklistPoint.text)
            .join(CatalogueItem, CatalogueItem.id == ChecklistPoint.item_id)
            .where(CatalogueItem.code.in_({k[0] for k in keys}))):
        if (code, department_id, text) in keys:
            same[point_id] |= keys[(code, department_id, text)]
    return same


def applicable(entries: list[LeniencyEntry], met: set[str]) -> LeniencyEntry | None:
    """The entry that applies when the conditions ``met`` hold: the most lenient whose conditions all hold,
    else a heavier one whose conditions all hold, else none."""
    holding = [e for e in entries if set(e.conditions) <= met]
    for treatment in (*LENIENT, "heavier"):
        for entry in holding:
            if entry.treatment == treatment:
                return entry
    return None
