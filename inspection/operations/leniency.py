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

Lists as departments publish them are written by offence, in four lists (不予处罚、减轻处罚、从轻处罚、
从重处罚清单), with the discretion standard's fine range (裁量基准). The same file may use that shape,
with Chinese keys; an entry names a checklist point only where one corresponds::

    首违认定期限（年）: 1                # first_offence_years: how far back an earlier offence counts
    不予处罚清单:                        # or no_penalty / reduced / lighter / heavier
      - 序号: SJ-BY-001                  # code
        违法行为: 食品经营者未按规定查验进货票证     # offence
        法律依据: 《中华人民共和国食品安全法》第五十三条   # legal_basis: the provision broken
        处罚依据: 《中华人民共和国食品安全法》第一百二十六条   # penalty_basis
        适用条件: 初次违法，危害后果轻微并及时改正的   # conditions_text, read into condition codes
        处理方式: 责令改正，不予行政处罚            # guidance
        检查事项: SC-002                  # item and point (optional, together)
        检查要点: 2
    从轻处罚清单:
      - 违法行为: ...
        裁量基准: 5000元以上2万元以下        # fine: {min, max} or text; whole yuan
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import statistics
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checklists.gate import refusal
from checklists.revisions import preload_earlier_rows, preload_lineages, same_point
from core import clock, yamlfile
from core.errors import Problem
from core.yamlfile import YamlFileError, read_yaml

from ..errors import InvalidInput, InvalidState, LeniencyFileInvalid, NotPermitted
from ..models import (
    CONDITIONS,
    EXCLUSIVE_CONDITIONS,
    LENIENT,
    TREATMENT_LABELS,
    TREATMENTS,
    CatalogueItem,
    ChecklistPoint,
    Department,
    District,
    Finding,
    Firm,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    LeniencyDecision,
    LeniencyEntry,
    LeniencyList,
    Officer,
    User,
    Visit,
)
from .events import append_event, utcnow

TOP_KEYS = {"department", "version", "title", "effective_from", "effective_to", "entries", "first_offence_years"}
ENTRY_KEYS = {"item", "point", "treatment", "conditions", "basis", "guidance", "code", "offence", "legal_basis",
              "penalty_basis", "conditions_text", "fine", "fine_min", "fine_max"}
AGGRAVATING = ("repeated", "refused", "serious_harm")
# The four lists as sections of a file (English or as published).
SECTIONS = {"no_penalty": "no_penalty", "reduced": "reduced", "lighter": "lighter", "heavier": "heavier",
            "不予处罚清单": "no_penalty", "减轻处罚清单": "reduced", "从轻处罚清单": "lighter", "从重处罚清单": "heavier"}
TOP_ALIASES = {"部门": "department", "版本": "version", "名称": "title", "清单名称": "title", "施行日期": "effective_from",
               "生效日期": "effective_from", "失效日期": "effective_to", "首违认定期限（年）": "first_offence_years",
               "首违认定期限": "first_offence_years"}
ENTRY_ALIASES = {"序号": "code", "编号": "code", "违法行为": "offence", "法律依据": "legal_basis",
                 "处罚依据": "penalty_basis", "适用条件": "conditions_text", "处理方式": "guidance",
                 "处理措施": "guidance", "裁量基准": "fine", "罚款幅度": "fine", "检查事项": "item", "检查要点": "point",
                 "依据": "basis", "处罚裁量": "treatment"}
# 适用条件 as published, read into condition codes (an explicit ``conditions`` list wins).
CONDITION_WORDS = (
    ("first_offence", ("初次违法", "首次违法", "首次被发现", "第一次违法", "首违")),
    ("corrected", ("及时改正", "主动改正", "当场改正", "限期内改正", "期限内改正", "立即改正", "责令改正后改正",
                   "及时纠正", "主动纠正")),
    ("no_harm", ("危害后果轻微", "未造成危害后果", "没有造成危害后果", "无危害后果", "未造成危害", "没有造成危害")),
    ("minor", ("情节轻微", "违法行为轻微")),
    ("repeated", ("再次", "多次", "两次以上", "二次以上", "屡查屡犯")),
    ("refused", ("拒不改正", "逃避", "阻碍", "拒绝检查", "逾期不改正")),
    ("serious_harm", ("严重危害", "严重后果", "恶劣", "重大损失")),
)
FIRST_OFFENCE_YEARS = 1


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
        doc = read_yaml(raw)
    except YamlFileError as exc:
        raise LeniencyFileInvalid(label, [Problem(label, exc.line, "file", exc.message)]) from exc
    return doc.data, doc.root, label, doc.sha256


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


def publish_list(session: Session, actor: User | None, data, *, label: str, sha256: str,
                 node=None) -> tuple[LeniencyList, str]:
    """Validate ``data`` (every problem at once, nothing written on any) and publish it.
    Returns the list and ``"published"``, or the same version already published and ``"unchanged"``."""
    problems: list[Problem] = []

    def problem(field: str, message: str, at=None, item: str | None = None) -> None:
        problems.append(Problem(label, yamlfile.line(at) if at is not None else None, field, message, item))

    if actor is not None and actor.role != "department":
        raise NotPermitted("只有执法部门可以发布包容审慎清单")
    if not isinstance(data, dict):
        raise LeniencyFileInvalid(label, [Problem(label, 1, "file", "顶层应为包含 department、version、title、entries 的映射")])
    keyed = {TOP_ALIASES.get(k, k): (k, v) for k, v in data.items()}
    sections = {k: v for k, (_, v) in keyed.items() if k in SECTIONS}
    data = {k: v for k, (_, v) in keyed.items() if k not in SECTIONS}
    names = {k: original for k, (original, _) in keyed.items()}
    node_of = {k: yamlfile.child(node, original) for k, original in names.items()}
    for key in sorted(set(data) - TOP_KEYS, key=str):
        problem(str(names[key]), "未知字段", node_of[key])
    department = _publishing_department(session, actor, data, node_of, problem)
    version = _text(data.get("version"))
    if not version or len(version) > 32:
        problem("version", "缺少版本号（不超过 32 个字符）", node_of.get("version"))
    title = _text(data.get("title"))
    if not title or len(title) > 200:
        problem("title", "缺少清单名称（不超过 200 个字符）", node_of.get("title"))
    effective_from, effective_to = _list_dates(data, node_of, problem)
    years = _first_offence_years(data, node_of, problem)
    located = _located(data, sections, names, node_of, problem)
    items = _items(session, [e.get("item") for e, _, _ in located if isinstance(e, dict)])
    parsed = _checked_entries(located, items, department, effective_from or clock.today(), problem)
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
    superseded, changes = _supersede(session, department, parsed)
    published = LeniencyList(department=department, version=version, title=title, effective_from=effective_from,
                             effective_to=effective_to, status="published", source_sha256=sha256, published_at=now,
                             published_by_id=actor.id if actor is not None else None, lookback_months=12 * years,
                             entries=[LeniencyEntry(**e) for e in parsed])
    session.add(published)
    session.flush()
    counts = defaultdict(int)
    for entry in parsed:
        counts[entry["treatment"]] += 1
    append_event(session, actor, "leniency.published", f"leniency:{department.code}:{version}",
                 {"title": title, "effective_from": effective_from, "effective_to": effective_to, "sha256": sha256,
                  "entries": dict(counts), "superseded": superseded, **({"changes": changes} if changes else {})})
    return published, "published"


def _publishing_department(session: Session, actor: User | None, data: dict, node_of: dict,
                           problem) -> Department | None:
    """The department that publishes the list: the file's, else the acting account's; a department account
    publishes only its own department's list."""
    code = _text(data.get("department")) or (actor.department.code if actor is not None else None)
    department = session.scalar(select(Department).where(Department.code == code)) if code else None
    if department is None:
        problem("department", f"未知部门 {code}" if code else "缺少发布部门", node_of.get("department"))
    elif actor is not None and department.id != actor.department_id:
        problem("department", f"只能发布本部门（{actor.department.name}）的清单", node_of.get("department"))
    return department


def _list_dates(data: dict, node_of: dict, problem) -> tuple[dt.date | None, dt.date | None]:
    """The list's ``(effective_from, effective_to)``; ``effective_to`` is optional."""
    effective_from = _date(data.get("effective_from"))
    if effective_from is None:
        problem("effective_from", "生效日期格式应为 YYYY-MM-DD", node_of.get("effective_from"))
    effective_to = None
    if data.get("effective_to") is not None:
        effective_to = _date(data.get("effective_to"))
        if effective_to is None:
            problem("effective_to", "失效日期格式应为 YYYY-MM-DD", node_of.get("effective_to"))
        elif effective_from and effective_to < effective_from:
            problem("effective_to", "失效日期早于生效日期", node_of.get("effective_to"))
    return effective_from, effective_to


def _first_offence_years(data: dict, node_of: dict, problem) -> int:
    """首违认定期限: how many years back an earlier offence counts (1 to 5; :data:`FIRST_OFFENCE_YEARS` when
    the list says nothing or says it wrongly)."""
    years = data.get("first_offence_years", FIRST_OFFENCE_YEARS)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 5:
        problem("first_offence_years", "首违认定期限应为 1 至 5 的整数（年）", node_of.get("first_offence_years"))
        years = FIRST_OFFENCE_YEARS
    return years


def _located(data: dict, sections: dict, names: dict, node_of: dict, problem) -> list[tuple]:
    """Every entry with where it stands, as ``(entry, node, field)``: the ``entries`` list, then each of the
    four lists (an entry of one of them takes its treatment unless it says otherwise)."""
    located = []
    for key, raw in [("entries", data.get("entries"))] + list(sections.items()):
        if raw is None and key == "entries":
            continue
        section_node = node_of.get(key)
        if not isinstance(raw, list):
            problem(names[key], "应为条目的列表", section_node)
            continue
        for index, entry in enumerate(raw):
            if isinstance(entry, dict):
                entry = {ENTRY_ALIASES.get(k, k): v for k, v in entry.items()}
                if key != "entries":
                    entry.setdefault("treatment", SECTIONS[key])
            located.append((entry, yamlfile.child(section_node, index), f"{names[key]}[{index}]"))
    if not located:
        problem("entries", "清单没有任何条目", node_of.get("entries"))
    return located


def _checked_entries(located: list[tuple], items: dict[str, CatalogueItem], department: Department | None,
                     day: dt.date, problem) -> list[dict]:
    """The entries that pass their checks (``_entry``'s answers), each point (or offence) listed once per
    treatment."""
    parsed, seen = [], set()
    for raw, at, field in located:
        entry = _entry(raw, at, field, items, department, day, problem)
        if entry is None:
            continue
        key = (entry["point"].id if entry["point"] else entry["offence"], entry["treatment"])
        if key in seen:
            problem(field, "同一检查要点（或违法行为）的同一处理方式重复列出", at,
                    entry["item"].code if entry["item"] else None)
            continue
        seen.add(key)
        parsed.append(entry)
    return parsed


def _supersede(session: Session, department: Department, parsed: list[dict]) -> tuple[list[str], dict | None]:
    """Mark the department's published lists superseded; returns their versions and what the new entries
    change against them (None when there was none)."""
    superseded, changes = [], None
    for older in session.scalars(select(LeniencyList).where(LeniencyList.department_id == department.id,
                                                            LeniencyList.status == "published")
                                 .options(selectinload(LeniencyList.entries))):
        older.status = "superseded"
        superseded.append(older.version)
        changes = _changes([_entry_data(e) for e in older.entries], [_parsed_data(e) for e in parsed])
    return superseded, changes


# The fields of an entry as a file (and the list's form) writes them, beside ``item``, ``point``, ``treatment``.
ENTRY_TEXTS = ("code", "offence", "legal_basis", "penalty_basis", "conditions_text", "guidance")


def _entry_data(entry: LeniencyEntry) -> dict:
    """One published entry as a file writes it."""
    return _as_file(lambda key: getattr(entry, key))


def _parsed_data(entry: dict) -> dict:
    """One checked entry (``_entry``'s answer) as a file writes it."""
    return _as_file(entry.get)


def _as_file(get) -> dict:
    data = {"treatment": get("treatment"), "conditions": list(get("conditions"))}
    if get("point") is not None:
        data.update(item=get("item").code, point=get("point").position)
    for key in ENTRY_TEXTS:
        if get(key):
            data[key] = get(key)
    if get("basis") and get("basis") != get("penalty_basis"):
        data["basis"] = get("basis")
    for key in ("fine_min", "fine_max"):
        if get(key) is not None:
            data[key] = get(key)
    return data


def list_data(found: LeniencyList) -> dict:
    """A published list as its file would write it: what the list's form starts from."""
    data = {"department": found.department.code, "version": found.version, "title": found.title,
            "effective_from": found.effective_from.isoformat(), "first_offence_years": max(1, found.lookback_months // 12),
            "entries": [_entry_data(e) for e in found.entries]}
    if found.effective_to is not None:
        data["effective_to"] = found.effective_to.isoformat()
    return data


def _changes(before: list[dict], after: list[dict]) -> dict:
    """What a new version adds, removes and rewrites (entries known by their point, or offence, and
    treatment), each by its offence or point: the event log says what changed."""
    def key(e: dict) -> tuple:
        return (e.get("item"), e.get("point"), "" if e.get("point") else e.get("offence"), e["treatment"])

    def name(e: dict) -> str:
        where = f"{e['item']} 第 {e['point']} 项" if e.get("point") else e.get("offence", "")
        return f"{TREATMENT_LABELS[e['treatment']]}：{where}"[:80]
    old, new = {key(e): e for e in before}, {key(e): e for e in after}
    changes = {"added": [name(new[k]) for k in new if k not in old],
               "removed": [name(old[k]) for k in old if k not in new],
               "rewritten": [name(new[k]) for k in new if k in old and new[k] != old[k]]}
    return {k: v for k, v in changes.items() if v}


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


def _entry(raw, at, field, items, department, day, problem) -> dict | None:
    """One entry of the list checked against the catalogue in force on ``day``: the row's fields, or None
    when it has problems (each reported against ``field``)."""
    if not isinstance(raw, dict):
        problem(field, "每个条目应为一个映射", at)
        return None
    code = _text(raw.get("item"))

    def bad(key: str, message: str) -> None:
        problem(f"{field}.{key}", message, at, code)

    for key in sorted(set(raw) - ENTRY_KEYS, key=str):
        bad(key, "未知字段")
    offence = _text(raw.get("offence"))
    item, point, ok = _entry_point(raw, code, offence, items, department, day, bad)
    treatment = raw.get("treatment")
    if treatment not in TREATMENTS:
        bad("treatment", "处理方式应为 " + "、".join(f"{k}（{v}）" for k, v in TREATMENT_LABELS.items()))
        ok = False
    conditions, conditions_text, conditions_ok = _entry_conditions(raw, treatment, bad)
    ok = ok and conditions_ok
    penalty_basis = _text(raw.get("penalty_basis"))
    basis = _text(raw.get("basis")) or penalty_basis
    if basis is None:
        bad("basis", "须写明法律依据")
        ok = False
    fine, message = _fine(raw)
    if message:
        bad("fine", message)
        ok = False
    elif treatment == "no_penalty" and fine[1]:
        bad("fine", "不予处罚的条目不能规定罚款幅度")
        ok = False
    if not ok:
        return None
    return {"item": item, "point": point, "treatment": treatment, "conditions": list(dict.fromkeys(conditions)),
            "basis": basis, "guidance": _text(raw.get("guidance")) or "", "code": (_text(raw.get("code")) or "")[:32],
            "offence": offence or "", "legal_basis": _text(raw.get("legal_basis")) or "",
            "penalty_basis": penalty_basis or "", "conditions_text": conditions_text,
            "fine_min": fine[0], "fine_max": fine[1]}


def _entry_point(raw: dict, code: str | None, offence: str | None, items: dict[str, CatalogueItem],
                 department: Department | None, day: dt.date, bad) -> tuple:
    """The checklist point an entry is about (检查事项 and 检查要点, together), as ``(item, point, ok)``; an
    entry that names no point must name its offence (违法行为)."""
    position = raw.get("point")
    if code is None and position is None:
        if offence is None:
            bad("offence", "须写明违法行为，或对应的检查事项编码和检查要点序号")
            return None, None, False
        return None, None, True
    ok = True
    point = None
    item = items.get(code) if code else None
    reason = refusal(item, code or "（空）", department, day) if department is not None else None
    if code is None:
        bad("item", "写了检查要点须同时写检查事项编码")
        ok = False
    elif reason:
        bad("item", reason)
        ok = False
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        bad("point", "检查要点应为事项检查清单中的序号（从 1 开始）")
        ok = False
    elif item is not None and not reason:
        point = next((p for p in item.points if p.position == position), None)
        if point is None:
            bad("point", f"事项 {code} 没有第 {position} 个检查要点（共 {len(item.points)} 个）")
            ok = False
    return item, point, ok


def _entry_conditions(raw: dict, treatment, bad) -> tuple[list | None, str, bool]:
    """An entry's 适用条件 as ``(condition codes, the published text, ok)``: the codes listed, else read from
    the text; they must be known, agree with each other and with the treatment."""
    conditions_text = _text(raw.get("conditions_text")) or ""
    conditions = raw.get("conditions")
    if conditions is None and conditions_text:
        conditions = conditions_from_text(conditions_text)
        if not conditions:
            bad("conditions_text", f"无法从适用条件「{conditions_text[:30]}」读出条件，请用 conditions 列出："
                + "、".join(f"{k}（{v}）" for k, v in CONDITIONS.items()))
            return conditions, conditions_text, False
    if not (isinstance(conditions, list) and conditions and all(isinstance(c, str) for c in conditions)):
        bad("conditions", "须列出适用条件（全部满足时适用）")
        return conditions, conditions_text, False
    return conditions, conditions_text, _conditions_agree(conditions, treatment, bad)


def _conditions_agree(conditions: list[str], treatment, bad) -> bool:
    """Whether an entry's conditions are known codes, none excludes another, and aggravating ones (加重情节)
    go with 从重处罚 and never with a lenient treatment."""
    ok = True
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        bad("conditions", f"未知条件 {'、'.join(map(str, unknown))}；可用："
            + "、".join(f"{k}（{v}）" for k, v in CONDITIONS.items()))
        ok = False
    clash = [f"{a} 与 {b}" for a, b in EXCLUSIVE_CONDITIONS if a in conditions and b in conditions]
    if clash:
        bad("conditions", f"条件相互矛盾：{'；'.join(clash)}")
        ok = False
    aggravating = [c for c in conditions if c in AGGRAVATING]
    if treatment == "heavier" and not aggravating:
        bad("conditions", "从重处罚须以加重情节为条件（repeated、refused 或 serious_harm）")
        ok = False
    if treatment in LENIENT and aggravating:
        bad("conditions", f"{TREATMENT_LABELS[treatment]}不能以加重情节为条件：{'、'.join(aggravating)}")
        ok = False
    return ok


def conditions_from_text(text: str) -> list[str]:
    """The condition codes that a published 适用条件 states, in the order of ``CONDITIONS``."""
    found = [code for code, words in CONDITION_WORDS if any(w in text for w in words)]
    # "危害后果轻微" also says the offence is minor only when the list says so; "初次" with "再次" in one
    # text (初次违法且非再次…) keeps first offence only.
    if "first_offence" in found and "repeated" in found:
        found.remove("repeated")
    return found


_AMOUNT = r"(\d+(?:\.\d+)?)\s*(万)?\s*元?"


def _yuan(number: str, wan: str | None) -> int:
    return int(round(float(number) * (10_000 if wan else 1)))


def _fine(raw: dict) -> tuple[tuple[int | None, int | None], str | None]:
    """``((min, max), problem)`` of an entry's fine range: ``fine: {min, max}``, ``fine_min``/``fine_max``,
    or the text of a discretion standard (5000元以上2万元以下, 2000-10000元, 1万元以下)."""
    value = raw.get("fine")
    low, high = raw.get("fine_min"), raw.get("fine_max")
    if isinstance(value, dict):
        low, high = value.get("min"), value.get("max")
    elif isinstance(value, str):
        text = value.replace(",", "").replace("，", "").replace(" ", "")
        both = re.fullmatch(f"(?:罚款)?{_AMOUNT}(?:以上|-|—|~|至|到){_AMOUNT}(?:以下)?(?:罚款)?", text)
        upper = re.fullmatch(f"(?:罚款|处)?{_AMOUNT}以下(?:罚款)?", text)
        if both:
            low, high = _yuan(both.group(1), both.group(2)), _yuan(both.group(3), both.group(4))
        elif upper:
            low, high = 0, _yuan(upper.group(1), upper.group(2))
        else:
            return (None, None), f"无法读出罚款幅度「{value[:30]}」，应写作“5000元以上2万元以下”或 {{min: 5000, max: 20000}}"
    elif value is not None:
        return (None, None), "罚款幅度应写作“5000元以上2万元以下”或 {min: 5000, max: 20000}"
    for amount in (low, high):
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount < 0):
            return (None, None), "罚款幅度应为不小于 0 的整数（元）"
    if low is not None and high is not None and low > high:
        return (None, None), f"罚款幅度的下限 {low} 元高于上限 {high} 元"
    if high is not None and low is None:
        low = 0
    return (low, high), None


def entries_for(session: Session, department_id: int, point_ids, day: dt.date) -> dict[int, list[LeniencyEntry]]:
    """The entries of the department's lists in force on ``day`` that cover each of ``point_ids``. A point
    is the same point in every catalogue version where its item (code and department) keeps its text or a
    revision says it continues it (``replaces``), so an entry written against an earlier version still
    covers it."""
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
    """Every version's id of each point (the point the recorded mappings of the item's revisions make the
    same: the same text, or a point that says which earlier point it continues) -> the asked ids it stands
    for."""
    same: dict[int, set[int]] = defaultdict(set)
    points = session.scalars(select(ChecklistPoint).where(ChecklistPoint.id.in_(point_ids))).all()
    items = {point.item for point in points}
    preload_lineages(session, items)
    preload_earlier_rows(session, items)
    for point_id in point_ids:
        same[point_id].add(point_id)
    for point in points:
        for other in same_point(point):
            same[other].add(point.id)
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


# -- 首违不罚 checked against the firm's record ---------------------------------------------------------

def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _offence_points(session: Session, entries: list[LeniencyEntry]) -> set[int]:
    """The checklist points of the same offences: entries of the same list with the same 违法行为."""
    pairs = {(e.list_id, e.offence) for e in entries if e.offence}
    if not pairs:
        return set()
    rows = session.execute(select(LeniencyEntry.list_id, LeniencyEntry.offence, LeniencyEntry.point_id)
                           .where(LeniencyEntry.list_id.in_({p[0] for p in pairs}),
                                  LeniencyEntry.point_id.is_not(None))).all()
    return {point_id for list_id, offence, point_id in rows if (list_id, offence) in pairs}


def first_offence_history(session: Session, firm_id: int, point_id: int, department_id: int, day: dt.date,
                          exclude_visit: int | None = None) -> dict:
    """What the firm's record says of first offence on this point (and on the offence it belongs to) over
    the look-back period the list in force states (default a year): ``{"first_offence", "lookback_months",
    "since", "earlier": [{"visit", "day", "item", "point"}]}``."""
    entries = entries_for(session, department_id, [point_id], day).get(point_id, [])
    months = max((e.list.lookback_months for e in entries), default=12 * FIRST_OFFENCE_YEARS)
    since = months_before(day, months)
    point = session.get(ChecklistPoint, point_id)
    # The same point across catalogue revisions (the recorded mappings), and the offence it belongs to.
    points = (same_point(point) if point is not None else {point_id}) | _offence_points(session, entries)
    rows = session.execute(
        select(Finding.visit_id, Visit.day, CatalogueItem.code, ChecklistPoint.position)
        .join(Visit, Visit.id == Finding.visit_id)
        .join(ChecklistPoint, ChecklistPoint.id == Finding.point_id)
        .join(CatalogueItem, CatalogueItem.id == Finding.item_id)
        .where(Visit.firm_id == firm_id, Finding.point_id.in_(points), Finding.result == "non_compliant",
               Visit.day >= since, Visit.day <= day, Visit.id != (exclude_visit or 0))
        .order_by(Visit.day.desc(), Finding.visit_id.desc())).all()
    earlier = [{"visit": v, "day": d.isoformat(), "item": code, "point": position} for v, d, code, position in rows]
    return {"first_offence": not earlier, "lookback_months": months, "since": since.isoformat(), "earlier": earlier}


def check_first_offence(session: Session, visit: Visit, task: InspectionTask, point_id: int, conditions_met,
                        reason: str = "") -> dict | None:
    """The inspector's first-offence claim against the record: the sheet pre-fills it from the history;
    departing from it either way (claiming a first offence the record contradicts, or denying one it
    supports) needs a reason. Returns the history, or ``None`` when no entry of the point asks for it."""
    entries = entries_for(session, task.plan.department_id, [point_id], visit.day).get(point_id, [])
    if not any("first_offence" in e.conditions for e in entries):
        return None
    history = first_offence_history(session, visit.firm_id, point_id, task.plan.department_id, visit.day,
                                    exclude_visit=visit.id)
    claimed = "first_offence" in set(conditions_met or [])
    if len((reason or "").strip()) >= 4:
        return history
    if claimed and not history["first_offence"]:
        last = history["earlier"][0]
        raise InvalidInput(f"{last['day']} 检查已认定本企业同一违法行为（{last['item']} 第 {last['point']} 项）不符合，"
                           f"近 {history['lookback_months']} 个月内不属于初次违法；如仍认定为首违，须说明理由",
                           fields={"conditions": "与违法记录不符", "reason": "必填"})
    if not claimed and history["first_offence"]:
        raise InvalidInput(f"平台记录显示本企业近 {history['lookback_months']} 个月内没有同一违法行为，应认定为初次违法；"
                           "如不认定，须说明理由（如有平台外的处罚记录）", fields={"conditions": "与违法记录不符",
                                                                          "reason": "必填"})
    return history


def first_offence_conflicts(session: Session, since: dt.date):
    """Decisions that took a first offence although the firm's record shows an earlier non-compliance of the
    same point (or offence) within the list's look-back period; the reason, if any, goes in the evidence."""
    rows = session.execute(
        select(LeniencyDecision, Finding.point_id, Finding.visit_id, Visit.firm_id, Visit.day,
               InspectionPlan.department_id)
        .join(Finding, Finding.id == LeniencyDecision.finding_id)
        .join(Visit, Visit.id == Finding.visit_id)
        .join(InspectionTask, InspectionTask.id == Finding.task_id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .where(Visit.day >= since).order_by(LeniencyDecision.id)).all()
    for decision, point_id, visit_id, firm_id, day, department_id in rows:
        if not (decision.conditions or {}).get("first_offence"):
            continue
        history = first_offence_history(session, firm_id, point_id, department_id, day, exclude_visit=visit_id)
        if history["first_offence"]:
            continue
        last = history["earlier"][0]
        yield (f"first_offence_conflict:{decision.id}",
               f"{day} 认定初次违法，但 {last['day']} 已认定同一违法行为（{last['item']} 第 {last['point']} 项）不符合",
               {"visit": visit_id, "decision": decision.decision, "earlier": history["earlier"][:10],
                "lookback_months": history["lookback_months"], "reason": decision.reason}, department_id, firm_id)


# -- Fines against the discretion standard (裁量基准) -----------------------------------------------------

DISPARITY_RATIO = 3          # the same offence fined at medians this many times apart across officers or districts
DISPARITY_MIN_CASES = 2      # ...each of them with at least this many fines


@dataclasses.dataclass
class FineCheck:
    """A fine against the ranges of the offences an item's case is for."""

    low: int
    high: int | None
    within: bool
    offences: list[str]
    reason: str = ""

    @property
    def label(self) -> str:
        return f"{self.low:,} 元至 {self.high:,} 元" if self.high is not None else f"{self.low:,} 元以上"


def fine_range(entries_by_point: dict[int, list[LeniencyEntry]], treatment: str | None) -> FineCheck | None:
    """The range a fine for these offences must lie in: per offence, its entries of ``treatment`` (all of
    them when none is given) that state a range; several offences are fined together (the sum)."""
    low, high, offences, unbounded = 0, 0, [], False
    for entries in entries_by_point.values():
        ranged = [e for e in entries if (e.fine_min is not None or e.fine_max is not None)
                  and (treatment is None or e.treatment == treatment)]
        if not ranged:
            continue
        low += min(e.fine_min or 0 for e in ranged)
        if any(e.fine_max is None for e in ranged):
            unbounded = True
        else:
            high += max(e.fine_max for e in ranged)
        offences.append(ranged[0].title)
    if not offences:
        return None
    return FineCheck(low=low, high=None if unbounded else high, within=True, offences=offences)


def check_fine(session: Session, task: InspectionTask, item: CatalogueItem, fine_amount: int | None, reason: str = "",
               *, treatment: str | None = None, day: dt.date | None = None) -> FineCheck | None:
    """A case's fine against the discretion standard of the offences found (the item's non-compliant points
    that a list in force maps): outside the range it is refused unless a reason is given. Returns the check
    (``within`` false when a reason let it through), or ``None`` when no range applies."""
    if fine_amount is None:
        return None
    failing = session.scalars(select(Finding.point_id).where(Finding.task_id == task.id, Finding.item_id == item.id,
                                                             Finding.result == "non_compliant")).all()
    day = day or (task.visit.day if task.visit is not None else clock.today())
    found = fine_range(entries_for(session, task.plan.department_id, failing, day), treatment)
    if found is None:
        return None
    found.within = found.low <= fine_amount and (found.high is None or fine_amount <= found.high)
    reason = (reason or "").strip()
    if not found.within:
        if len(reason) < 4:
            raise InvalidInput(f"罚款 {fine_amount:,} 元超出裁量基准（{'；'.join(found.offences)}：{found.label}），"
                               "须说明理由", fields={"fine_amount": "超出裁量基准", "fine_reason": "必填"})
        found.reason = reason
    return found


def _case_fines(session: Session, since: dt.date) -> list[dict]:
    """Cases with a fine since ``since``, each with its non-compliant points, officer and district."""
    rows = session.execute(
        select(ItemOutcome.id, ItemOutcome.task_id, ItemOutcome.item_id, ItemOutcome.fine_amount, ItemOutcome.treatment,
               ItemOutcome.fine_reason, ItemOutcome.recorded_by_id, ItemOutcome.visit_id, Visit.day, Visit.firm_id,
               Firm.district_id, InspectionPlan.department_id, CatalogueItem.code)
        .join(Visit, Visit.id == ItemOutcome.visit_id)
        .join(Firm, Firm.id == Visit.firm_id)
        .join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .join(CatalogueItem, CatalogueItem.id == ItemOutcome.item_id)
        .where(ItemOutcome.outcome == "case", ItemOutcome.fine_amount.is_not(None), Visit.day >= since)).all()
    if not rows:
        return []
    points = defaultdict(list)
    for task_id, item_id, point_id in session.execute(
            select(Finding.task_id, Finding.item_id, Finding.point_id)
            .where(Finding.result == "non_compliant", Finding.task_id.in_({r.task_id for r in rows}))):
        points[(task_id, item_id)].append(point_id)
    return [{**row._asdict(), "points": sorted(points[(row.task_id, row.item_id)])} for row in rows]


def fines_outside_range(session: Session, since: dt.date):
    """Case fines outside the discretion standard of the offences found (recorded with a reason, or
    recorded before the range was checked): oversight reads them."""
    for case in _case_fines(session, since):
        found = fine_range(entries_for(session, case["department_id"], case["points"], case["day"]), case["treatment"])
        if found is None or (found.low <= case["fine_amount"] and (found.high is None or case["fine_amount"] <= found.high)):
            continue
        yield (f"fine_outside_range:{case['id']}",
               f"{case['day']} 事项 {case['code']} 罚款 {case['fine_amount']:,} 元，超出裁量基准 {found.label}",
               {"visit": case["visit_id"], "item": case["code"], "fine_amount": case["fine_amount"], "low": found.low,
                "high": found.high, "offences": found.offences, "reason": case["fine_reason"] or ""},
               case["department_id"], case["firm_id"])


def fine_disparities(session: Session, since: dt.date, ratio: float = DISPARITY_RATIO,
                     min_cases: int = DISPARITY_MIN_CASES):
    """The same offence (one non-compliant point of an item, in one department and year) fined very
    differently across officers or across districts: the highest median at least ``ratio`` times the lowest,
    each of at least ``min_cases`` fines."""
    groups: dict[tuple, dict[str, dict[int, list[int]]]] = defaultdict(lambda: {"officer": defaultdict(list),
                                                                                "district": defaultdict(list)})
    for case in _case_fines(session, since):
        if len(case["points"]) != 1:
            continue
        key = (case["department_id"], case["code"], case["points"][0], case["day"].year)
        if case["recorded_by_id"] is not None:
            groups[key]["officer"][case["recorded_by_id"]].append(case["fine_amount"])
        groups[key]["district"][case["district_id"]].append(case["fine_amount"])
    labels = {"officer": "执法人员", "district": "区县"}
    for (department_id, code, point_id, year), dimensions in sorted(groups.items(), key=lambda kv: kv[0]):
        for dimension, fines in dimensions.items():
            medians = {who: statistics.median(v) for who, v in fines.items() if len(v) >= min_cases}
            if len(medians) < 2:
                continue
            low_who = min(medians, key=lambda w: (medians[w], w))
            high_who = max(medians, key=lambda w: (medians[w], -w))
            low, high = medians[low_who], medians[high_who]
            if high < ratio * max(low, 1):
                continue
            point = session.get(ChecklistPoint, point_id)
            names = _names(session, dimension, [low_who, high_who])
            yield (f"fine_disparity:{department_id}:{code}:{point.position}:{year}:{dimension}",
                   f"{year} 年事项 {code} 第 {point.position} 项同一违法行为的罚款，{labels[dimension]}之间相差悬殊："
                   f"{names[low_who]} 中位 {low:,.0f} 元，{names[high_who]} 中位 {high:,.0f} 元",
                   {"year": year, "item": code, "point": point.position, "dimension": dimension,
                    "medians": {names[w]: medians[w] for w in medians}, "cases": {names[w]: len(fines[w]) for w in medians}},
                   department_id, None)


def _names(session: Session, dimension: str, ids: list[int]) -> dict[int, str]:
    if dimension == "officer":
        return {o.id: f"{o.name}（{o.certificate_no}）" for o in session.scalars(select(Officer).where(Officer.id.in_(ids)))}
    return {d.id: d.name for d in session.scalars(select(District).where(District.id.in_(ids)))}
