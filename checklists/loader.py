"""Read and validate a catalogue file (YAML) without touching the database.

Every problem is collected, each naming the file, the line, the item and the
field, so that an editor can fix the whole file in one pass.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

from core import yamlfile
from core.errors import Problem
from core.yamlfile import YamlFileError, read_yaml

from .errors import CatalogueFileInvalid
from .models import CATEGORIES, METHODS
from .phrases import parse_frequency, parse_legal_basis, parse_method, parse_modes, parse_ratio_phrase

CODE_RE = re.compile(r"^[A-Z]{2,6}-\d{3}(-\d{2})?$")
ITEM_KEYS = {"code", "department", "name", "category", "method", "target_type", "legal_basis", "scope",
             "frequency_cap", "frequency_period", "frequency", "ratio", "modes", "qualification", "checklist",
             "effective_from", "effective_to", "sub_items", "offsite", "advance_notice"}
# What a sub-item (子项) takes from its parent unless it says otherwise.
INHERITED_KEYS = ("department", "category", "method", "target_type", "legal_basis", "scope", "frequency_cap",
                  "frequency_period", "frequency", "ratio", "modes", "qualification", "effective_from", "effective_to",
                  "offsite", "advance_notice")
MODES = ("on_site", "online", "records", "sampling")
PERIODS = {"year": "每年", "half_year": "每半年", "quarter": "每季度", "month": "每月"}
POINT_KEYS = {"text", "legal_basis", "verify", "offsite", "replaces"}
# Chinese keys a point may use for the same fields.
POINT_ALIASES = {"原要点": "replaces"}
# 非现场监管: the evidence a point can be proved by, and the platform's own data that can prove it.
EVIDENCE_KINDS = ("document", "photo", "record", "answer")
DATA_CHECKS = ("licence", "annual_report", "rectification_closed")
OFFSITE_RULE_KEYS = {"deadline": 10, "extension": 5, "escalate_after": 5}   # working days
TOP_KEYS = {"version", "title", "effective_from", "effective_to", "items"}


@dataclasses.dataclass
class ParsedPoint:
    text: str
    legal_basis: str
    verify: str
    offsite_evidence: list[str] | None = None   # what proves the point off-site; None: on site only
    offsite_ask: str = ""                       # what the firm is asked to provide
    offsite_data: str | None = None             # "licence:食品经营许可证", "annual_report", "rectification_closed"
    # The point of the item's previous version this one continues (its position, or its exact text), and the
    # line that says so; checked against the published list when the file is loaded.
    replaces: int | str | None = None
    replaces_line: int | None = None


def parse_ratio(value) -> tuple[float | None, float | None] | str:
    """A published ratio bound as ``(min, max)`` fractions ("不低于3%", "不超过2%", "100%", "3%-5%",
    "由计划确定", {min, max}...), or the reason the text is not understood (see :mod:`checklists.phrases`)."""
    meaning = parse_ratio_phrase(value)
    if isinstance(meaning, str):
        return meaning
    return meaning.min, meaning.max


@dataclasses.dataclass
class ParsedItem:
    code: str
    department: str
    name: str
    category: str
    method: str
    target_type: str
    legal_basis: list[dict]
    industries: list[str]
    tags: list[str]
    frequency_cap: int
    qualification: str | None
    effective_from: dt.date
    effective_to: dt.date | None
    points: list[ParsedPoint]
    frequency_period: str = "year"
    ratio_min: float | None = None
    ratio_max: float | None = None
    modes: list[str] = dataclasses.field(default_factory=lambda: ["on_site"])
    parent_code: str | None = None
    offsite_rule: dict | None = None            # {deadline, extension, escalate_after} in working days
    advance_notice: bool = True                 # 检查预告 allowed (never for key and special checks unless said)
    frequency_words: str | None = None          # the list's own words for 抽查频次 and 抽查比例
    ratio_words: str | None = None
    runs_min: int | None = None                 # the department's rounds of the check per period
    runs_max: int | None = None
    ratio_source: str = "item"                  # item | plan | higher
    ratio_options: list[dict] | None = None
    is_group: bool = False                      # a heading whose sub-items carry the substance
    ratio_period: str | None = None             # "year": the bound holds for the year's plans of the item together


@dataclasses.dataclass
class ParsedCatalogue:
    path: str
    sha256: str
    version: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    items: list[ParsedItem]


def _as_date(value, field, problems, path, line, item=None) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(path, line, field, f"日期格式应为 YYYY-MM-DD，收到 {value!r}", item))
    return None


def _text(value) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_catalogue(path: str | Path, known_departments: set[str], *, default_cap: int | None = None) -> ParsedCatalogue:
    """Parse and validate ``path``; raise :class:`CatalogueFileInvalid` listing every problem. An item that
    states no cap per firm of its own gets ``default_cap`` (the city's; :data:`DEFAULT_CAP` when not given)."""
    path = Path(path)
    label = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueFileInvalid(label, [Problem(label, None, "file", f"无法读取文件：{exc.strerror}")]) from exc
    try:
        doc = read_yaml(raw)
    except YamlFileError as exc:
        raise CatalogueFileInvalid(label, [Problem(label, exc.line, "file", exc.message)]) from exc
    return validate_catalogue(doc.data, doc.root, label, doc.sha256, known_departments, default_cap=default_cap)


def validate_catalogue(data, root_node, label: str, sha256: str, known_departments: set[str], *,
                       default_cap: int | None = None) -> ParsedCatalogue:
    """Validate a catalogue already read from YAML (``data`` and its ``root_node`` for line numbers); raise
    :class:`CatalogueFileInvalid` listing every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise CatalogueFileInvalid(label, [Problem(label, 1, "file", "文件顶层应为包含 version、title、items 的映射")])

    version, title, eff_from, eff_to = _header(data, root_node, label, problems)
    items_node = yamlfile.child(root_node, "items")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(Problem(label, yamlfile.line(items_node) or 1, "items", "清单没有任何检查事项"))
        raw_items = []

    items: list[ParsedItem] = []
    first_line_of_code: dict[str, int | None] = {}
    for raw, node, index, parent in _entries(raw_items, items_node, label, problems):
        line = yamlfile.line(node)
        item = _validate_item(raw, node, label, line, index, known_departments, eff_from, eff_to, problems,
                              has_subs=parent is None and isinstance(raw, dict) and bool(raw.get("sub_items")),
                              default_cap=default_cap or DEFAULT_CAP)
        if item is not None and _place(item, node, line, parent, label, first_line_of_code, problems):
            items.append(item)

    if problems:
        raise CatalogueFileInvalid(label, problems)
    return ParsedCatalogue(label, sha256, version, title, eff_from, eff_to, items)


def _header(data: dict, root_node, label: str, problems: list[Problem]):
    """The list's own fields: ``(version, title, effective_from, effective_to)``; unknown top-level keys and
    missing or bad values are appended to ``problems``."""
    for key in sorted(set(data) - TOP_KEYS, key=str):
        problems.append(Problem(label, yamlfile.line(yamlfile.child(root_node, key)), str(key), "未知字段"))
    version = _text(data.get("version"))
    if not version:
        problems.append(Problem(label, yamlfile.line(root_node), "version", "缺少清单版本号"))
    title = _text(data.get("title")) or ""
    if not title:
        problems.append(Problem(label, yamlfile.line(root_node), "title", "缺少清单标题"))
    eff_from = _as_date(data.get("effective_from"), "effective_from", problems, label,
                        yamlfile.line(yamlfile.child(root_node, "effective_from")) or 1)
    eff_to = None
    if data.get("effective_to") is not None:
        eff_to = _as_date(data.get("effective_to"), "effective_to", problems, label,
                          yamlfile.line(yamlfile.child(root_node, "effective_to")))
        if eff_from and eff_to and eff_to < eff_from:
            problems.append(Problem(label, yamlfile.line(yamlfile.child(root_node, "effective_to")), "effective_to",
                                    "失效日期早于生效日期"))
    return version, title, eff_from, eff_to


def _entries(raw_items: list, items_node, label: str, problems: list[Problem]) -> list[tuple]:
    """The items of the list and their sub-items (子项), in file order, as ``(raw, node, index, parent code)``;
    a sub-item's ``raw`` already holds what it inherits from its parent (``parent`` is None for an item)."""
    entries = []
    for index, raw in enumerate(raw_items):
        node = yamlfile.child(items_node, index)
        entries.append((raw, node, index, None))
        subs = raw.get("sub_items") if isinstance(raw, dict) else None
        if subs is None:
            continue
        subs_node = yamlfile.child(node, "sub_items")
        if not isinstance(subs, list) or not subs:
            problems.append(Problem(label, yamlfile.line(subs_node), "sub_items", "子项应为非空列表", _text(raw.get("code"))))
            continue
        for sub_index, sub in enumerate(subs):
            sub_node = yamlfile.child(subs_node, sub_index)
            if not isinstance(sub, dict):
                problems.append(Problem(label, yamlfile.line(sub_node), f"sub_items[{sub_index}]", "每个子项应为一个映射",
                                        _text(raw.get("code"))))
                continue
            merged = {**{k: raw[k] for k in INHERITED_KEYS if k in raw}, **sub}
            entries.append((merged, sub_node, sub_index, _text(raw.get("code"))))
    return entries


def _place(item: ParsedItem, node, line, parent: str | None, label: str, first_line_of_code: dict[str, int | None],
           problems: list[Problem]) -> bool:
    """Whether a valid item takes its place in the list: a sub-item's code starts with its parent's (and the
    item learns its parent), and no code is used twice (``first_line_of_code`` remembers those seen)."""
    if parent is not None:
        if not item.code.startswith(parent + "-"):
            problems.append(Problem(label, yamlfile.line(yamlfile.child(node, "code")) or line, "code",
                                    f"子项编码应以上级事项编码 {parent}- 开头", item.code))
            return False
        item.parent_code = parent
    if item.code in first_line_of_code:
        problems.append(Problem(label, yamlfile.line(yamlfile.child(node, "code")), "code",
                                f"事项编码重复，与第 {first_line_of_code[item.code]} 行相同", item.code))
        return False
    first_line_of_code[item.code] = yamlfile.line(yamlfile.child(node, "code"))
    return True


def _validate_item(raw, node, label, line, index, known_departments, eff_from, eff_to, problems,
                   has_subs=False, default_cap=None):
    """One item (or a sub-item with what it inherits) as a :class:`ParsedItem`, or None when it has problems
    (each appended to ``problems``, naming the item by its code or its position)."""
    if not isinstance(raw, dict):
        problems.append(Problem(label, line, f"items[{index}]", "每个事项应为一个映射"))
        return None
    code = _text(raw.get("code"))
    ref = code or f"第{index + 1}项"
    before = len(problems)

    def bad(field, message, field_node=None):
        problems.append(Problem(label, yamlfile.line(field_node if field_node is not None else yamlfile.child(node, field)) or line,
                                field, message, ref))

    for key in sorted(set(raw) - ITEM_KEYS, key=str):
        bad(str(key), "未知字段")
    department, name, category = _identity(raw, code, known_departments, bad)
    # A parent row of a real list often carries only a name: its sub-items carry the substance.
    is_group = has_subs and not raw.get("checklist")
    method = parse_method(raw.get("method", "random" if is_group else None))
    if method not in METHODS:
        bad("method", f"检查方式应为 {'/'.join(METHODS)} 之一（或 双随机抽查、重点检查、专项检查、非现场检查），"
                      f"收到 {raw.get('method')!r}")
    target_type = _text(raw.get("target_type")) or ("" if not is_group else name or "")
    if not target_type:
        bad("target_type", "缺少检查对象")
    bases = _legal_bases(raw, is_group, bad)
    industries, tags = _scope(raw, is_group, bad)

    sampling = _sampling(raw, bad, default_cap or DEFAULT_CAP)
    period, cap = sampling["period"], sampling["cap"]
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        bad("frequency_cap", f"年度检查频次上限应为正整数，收到 {cap!r}")
    if period not in PERIODS:
        bad("frequency_period", f"频次周期应为 {'/'.join(PERIODS)} 之一，收到 {period!r}")
    ratio = (sampling["ratio"].min, sampling["ratio"].max)
    modes = _item_modes(raw, method, bad)
    qualification = raw.get("qualification")
    if qualification is not None and not _text(qualification):
        bad("qualification", "资质要求应为文字或留空（null）")
    item_from, item_to = _item_dates(raw, node, label, ref, eff_from, eff_to, problems)

    # A point that names no basis or method of its own takes the item's (real lists say them per item).
    point_defaults = {"legal_basis": "；".join(b.get("text") or f"{b['law']}{b['articles']}" for b in bases),
                      "verify": "、".join(MODE_WORDS_DEFAULT[m] for m in (modes if isinstance(modes, list) else []))}
    points = [] if is_group else _points(raw.get("checklist"), yamlfile.child(node, "checklist"), method,
                                         point_defaults, bad)
    offsite_rule = _offsite_rule(raw.get("offsite"), lambda message: bad("offsite", message))
    advance_notice = raw.get("advance_notice", method not in ("key", "special"))
    if not isinstance(advance_notice, bool):
        bad("advance_notice", "检查预告应为 true（允许）或 false（不允许）")

    if len(problems) > before:
        return None
    return ParsedItem(code=code, department=department, name=name, category=category, method=method,
                      target_type=target_type, legal_basis=bases, industries=[x.strip() for x in industries],
                      tags=[x.strip() for x in tags], frequency_cap=cap,
                      qualification=_text(qualification) if qualification else None,
                      effective_from=item_from, effective_to=item_to, points=points, frequency_period=period,
                      ratio_min=ratio[0], ratio_max=ratio[1], modes=list(dict.fromkeys(modes)),
                      offsite_rule=offsite_rule if any(p.offsite_evidence or p.offsite_data for p in points) else None,
                      advance_notice=advance_notice is True, frequency_words=sampling["frequency_words"],
                      ratio_words=sampling["ratio_words"], runs_min=sampling["runs_min"],
                      runs_max=sampling["runs_max"], ratio_source=sampling["ratio"].source,
                      ratio_options=sampling["ratio"].options, is_group=is_group,
                      ratio_period=sampling["ratio"].per if ratio != (None, None) else None)


def _identity(raw: dict, code: str | None, known_departments: set[str], bad) -> tuple:
    """Who and what the item is: its code checked, and ``(department, name, category)``."""
    if not code:
        bad("code", "缺少事项编码")
    elif not CODE_RE.match(code):
        bad("code", f"事项编码 {code} 格式不正确，应如 SC-001")
    department = _text(raw.get("department"))
    if not department:
        bad("department", "缺少实施部门")
    elif department not in known_departments:
        bad("department", f"未知部门 {department}（已知：{'、'.join(sorted(known_departments))}）")
    name = _text(raw.get("name"))
    if not name:
        bad("name", "缺少事项名称")
    category = raw.get("category", "general")
    if category not in CATEGORIES:
        bad("category", f"事项类别应为 general（一般）或 key（重点），收到 {category!r}")
    return department, name, category


def _legal_bases(raw: dict, is_group: bool, bad) -> list[dict]:
    """The item's 检查依据 as ``{law, articles, text}`` entries; a group heading may state none."""
    if is_group and not raw.get("legal_basis"):
        return []
    bases_or_reason = parse_legal_basis(raw.get("legal_basis"))
    if isinstance(bases_or_reason, str):
        bad("legal_basis", bases_or_reason)
        return []
    return bases_or_reason


def _scope(raw: dict, is_group: bool, bad) -> tuple[list, list]:
    """The item's 检查范围: ``(industries, tags)``, at least one of them unless the item is a group heading."""
    scope = raw.get("scope") or {}
    if not isinstance(scope, dict):
        bad("scope", "检查范围应包含 industries 与 tags")
        return [], []
    industries = scope.get("industries") or []
    tags = scope.get("tags") or []
    if not (isinstance(industries, list) and all(isinstance(x, str) and x.strip() for x in industries)):
        bad("scope.industries", "行业应为文字列表")
        industries = []
    if not (isinstance(tags, list) and all(isinstance(x, str) and x.strip() for x in tags)):
        bad("scope.tags", "标签应为文字列表")
        tags = []
    if not industries and not tags and not is_group:
        bad("scope", "检查范围至少需要一个行业或标签")
    return industries, tags


def _item_modes(raw: dict, method: str | None, bad) -> list[str]:
    """The item's 检查形式 as codes; an off-site item is done on records unless it says otherwise."""
    default_modes = ["records"] if method == "offsite" else ["on_site"]
    modes = parse_modes(raw.get("modes", default_modes))
    if isinstance(modes, str):
        bad("modes", f"检查形式应为 {'/'.join(MODES)} 的列表（现场检查、网络检查、书面检查、监督抽查）：{modes}")
        modes = default_modes
    return modes


def _item_dates(raw: dict, node, label: str, ref: str, eff_from, eff_to, problems: list[Problem]) -> tuple:
    """The item's own ``(effective_from, effective_to)``, the list's where it states none."""
    item_from, item_to = eff_from, eff_to
    if raw.get("effective_from") is not None:
        item_from = _as_date(raw["effective_from"], "effective_from", problems, label,
                             yamlfile.line(yamlfile.child(node, "effective_from")), ref)
    if raw.get("effective_to") is not None:
        item_to = _as_date(raw["effective_to"], "effective_to", problems, label,
                           yamlfile.line(yamlfile.child(node, "effective_to")), ref)
    return item_from, item_to


def _points(checklist, checklist_node, method: str | None, point_defaults: dict, bad) -> list[ParsedPoint]:
    """The item's 检查要点 that are complete; each problem is reported against its ``checklist[i]``."""
    if not isinstance(checklist, list) or not checklist:
        bad("checklist", "检查要点清单为空")
        return []
    points: list[ParsedPoint] = []
    for i, point in enumerate(checklist):
        parsed = _point(point, i, yamlfile.child(checklist_node, i), method, point_defaults, bad)
        if parsed is not None:
            points.append(parsed)
    return points


def _point(point, i: int, point_node, method: str | None, point_defaults: dict, bad) -> ParsedPoint | None:
    """One 检查要点 (a mapping or just its text) as a :class:`ParsedPoint`, or None when it is incomplete."""
    if isinstance(point, str) and point.strip():
        point = {"text": point.strip()}
    if not isinstance(point, dict):
        bad(f"checklist[{i}]", "检查要点应为包含 text、legal_basis、verify 的映射，或一段检查内容", point_node)
        return None
    point = {POINT_ALIASES.get(k, k): v for k, v in point.items()}
    replaces_node = yamlfile.child(point_node, "replaces") or yamlfile.child(point_node, "原要点")
    replaces = _replaces(point.get("replaces"), lambda message, where=f"checklist[{i}].replaces",
                         at=replaces_node or point_node: bad(where, message, at))
    for key in sorted(set(point) - POINT_KEYS, key=str):
        bad(f"checklist[{i}].{key}", "未知字段", yamlfile.child(point_node, key) or point_node)
    values = {}
    for key, what in (("text", "检查内容"), ("legal_basis", "检查依据"), ("verify", "检查方法")):
        values[key] = _text(point.get(key)) if key in point or key == "text" else point_defaults[key]
        if not values[key]:
            bad(f"checklist[{i}].{key}", f"检查要点缺少{what}", yamlfile.child(point_node, key) or point_node)
    offsite = _point_offsite(point.get("offsite"), method, values.get("verify"),
                             lambda message, where=f"checklist[{i}].offsite", node=point_node: bad(
                                 where, message, yamlfile.child(node, "offsite") or node))
    if not all(values.values()):
        return None
    return ParsedPoint(**values, **offsite, replaces=replaces,
                       replaces_line=yamlfile.line(replaces_node) if replaces is not None else None)

MODE_WORDS_DEFAULT = {"on_site": "现场检查", "online": "网络检查", "records": "书面检查", "sampling": "抽样送检"}
# 原则上每年1次: a list that says nothing of a cap per firm inspects a firm at most once a period, unless the
# city's file says otherwise (``item_yearly_cap``, passed in as ``default_cap``).
DEFAULT_CAP = 1


def _sampling(raw, bad, default_cap: int = DEFAULT_CAP) -> dict:
    """抽查频次 and 抽查比例 as published and as meant: ``frequency`` (a phrase) and ``frequency_cap`` /
    ``frequency_period`` (numbers), ``ratio`` (a phrase, possibly with the frequency: "3%;2次/年"). A floor
    (每年不少于N次) is the department's obligation only; the cap per firm is the item's own (a cap phrase or
    ``frequency_cap``), else ``default_cap``."""
    frequency_words = _text(raw.get("frequency")) if not isinstance(raw.get("frequency"), int) else None
    period = raw.get("frequency_period", "year")
    cap = raw.get("frequency_cap")
    runs_min = runs_max = None
    ratio_value, ratio_field = raw.get("ratio"), "ratio"
    if isinstance(raw.get("frequency"), str) and re.search(r"[%％‰]", raw["frequency"]) and ratio_value is None:
        # "5%的企业每年检查1次或2%的企业每年检查2次" under 抽查频次: alternatives of share and rounds
        ratio_value, ratio_field = raw["frequency"], "frequency"
    elif raw.get("frequency") is not None:
        meaning = parse_frequency(raw["frequency"])
        if isinstance(meaning, str):
            bad("frequency", meaning)
        else:
            if meaning.cap is not None or meaning.runs_min is not None:
                period = meaning.period
            runs_min, runs_max = meaning.runs_min, meaning.runs_max
            if cap is None:
                cap = meaning.cap
    ratio_words = _text(ratio_value) if not isinstance(ratio_value, dict) else None
    ratio = parse_ratio_phrase(ratio_value)
    if isinstance(ratio, str):
        bad(ratio_field, ratio)
        ratio = parse_ratio_phrase(None)
    elif (ratio.runs is not None or ratio.cap is not None) and runs_min is None:
        runs_min, runs_max = ratio.runs, ratio.runs_max
        if raw.get("frequency") is None and raw.get("frequency_period") is None:
            period = ratio.period or period
        cap = cap if cap is not None else ratio.cap
    if ratio.options:
        runs_min = runs_min or min(o["runs"] for o in ratio.options)
        cap = cap if cap is not None else max(o["runs"] for o in ratio.options)
    if cap is None and "frequency_cap" not in raw:
        cap = default_cap
    return {"period": period, "cap": cap, "runs_min": runs_min, "runs_max": runs_max, "ratio": ratio,
            "frequency_words": frequency_words, "ratio_words": ratio_words}


def _replaces(raw, bad) -> int | str | None:
    """``replaces`` (原要点): the earlier version's point this one continues, by position (1, 2 ...) or by its
    exact text."""
    if raw is None:
        return None
    if isinstance(raw, bool) or isinstance(raw, float):
        bad("原要点（replaces）应为上一版检查要点的序号或原文")
        return None
    if isinstance(raw, int):
        if raw < 1:
            bad("原要点（replaces）的序号应从 1 起")
            return None
        return raw
    text = str(raw).strip()
    if not text:
        bad("原要点（replaces）为空：应为上一版检查要点的序号或原文")
        return None
    return int(text) if text.isdigit() else text


def _point_offsite(raw, method: str, verify: str | None, bad) -> dict:
    """A point's off-site evidence: ``{evidence: [document, ...], ask: ...}`` and/or ``{data: licence:...}``.
    A point of an off-site item that says nothing is proved by a document showing what ``verify`` checks."""
    if raw is None:
        if method == "offsite":
            return {"offsite_evidence": ["document"], "offsite_ask": verify or ""}
        return {}
    if raw is False:
        return {}
    if not isinstance(raw, dict) or set(raw) - {"evidence", "ask", "data"}:
        bad("非现场核查应为包含 evidence、ask、data 的映射")
        return {}
    evidence = raw.get("evidence", [] if raw.get("data") else ["document"])
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or any(kind not in EVIDENCE_KINDS for kind in evidence):
        bad(f"证明材料类型应为 {'/'.join(EVIDENCE_KINDS)}（文件、照片、台账记录、文字说明）")
        evidence = []
    data = _text(raw.get("data"))
    if data is not None and data.split(":", 1)[0] not in DATA_CHECKS:
        bad(f"平台数据核验应为 {'、'.join(DATA_CHECKS)} 之一（licence 须写明证照名称，如 licence:食品经营许可证）")
        data = None
    if data is not None and data.startswith("licence") and not data.partition(":")[2].strip():
        bad("licence 须写明证照名称，如 licence:食品经营许可证")
        data = None
    if not evidence and data is None:
        bad("非现场核查至少需要一种证明材料或平台数据")
        return {}
    return {"offsite_evidence": list(dict.fromkeys(evidence)), "offsite_ask": _text(raw.get("ask")) or verify or "",
            "offsite_data": data}


def _offsite_rule(raw, bad) -> dict:
    """The item's published off-site rule: answer within ``deadline`` working days, one extension of
    ``extension``, and escalation to an on-site check ``escalate_after`` working days past the deadline
    (``null``: the firm is reminded, never escalated by rule)."""
    rule = dict(OFFSITE_RULE_KEYS)
    if raw is None:
        return rule
    if not isinstance(raw, dict) or set(raw) - set(OFFSITE_RULE_KEYS):
        bad("非现场核查规则应为包含 deadline、extension、escalate_after（工作日）的映射")
        return rule
    for key in OFFSITE_RULE_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if value is None and key == "escalate_after":
            rule[key] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "deadline" else 0):
            bad(f"非现场核查规则 {key} 应为工作日天数（非负整数）")
        else:
            rule[key] = value
    return rule
