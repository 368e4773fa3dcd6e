"""The words of published inspection lists (随机抽查事项清单) turned into what the platform enforces.

Real lists say the same thing many ways. Each parser here returns the meaning, or a Chinese reason
when the words are truly ambiguous; the loader keeps the published words beside the meaning.

- 抽查频次 (:func:`parse_frequency`): a cap per firm ("对同一单位同一年度内不超过2次"), the department's
  obligation to run the check ("每年不少于1次", "1次/年", "每年两次", ">=1"), both ("每年不少于2次；对同一单位
  同一年度内不超过1次"), or nothing fixed ("根据实际情况确定", "不定期"). Rounds, exact ("1次/年") or a floor
  ("不少于"), are the department's obligation only: they say nothing of how often one firm may be
  inspected, which is the item's own cap or, where the list states none, the city's default.
- 抽查比例 (:func:`parse_ratio_phrase`): a bound on the share of the whole pool ("不低于3%", "≥20%",
  "不超过总数的5%", "抽查比例不少于5‰", "10-20%", "一般不超过10%/年"), set by each plan ("根据实际情况确定")
  or by a higher level ("按上级部署确定"), or alternatives ("5%每年1次或2%每年2次"). A bound said per year
  ("/年", "每年", "全年合计", "年度") holds for the sum of the department's plans of the item in a year
  (``per == "year"``); any other bound holds for each plan.
- 检查依据 (:func:`parse_legal_basis`): "《食品安全法》第一百一十条", "《成品油市场管理办法》（国务院令第412号）
  第三十条", "《食品安全法》等相关规定", "总局令第89号": a law or order named, with or without articles.
- 检查方式 (:func:`parse_modes`): 现场检查, 网络检查, 书面检查, 监督抽查 (product sampling sent to a lab).
"""
from __future__ import annotations

import dataclasses
import re

PERIOD_WORDS = {"年": "year", "年度": "year", "半年": "half_year", "季度": "quarter", "季": "quarter", "月": "month"}
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMBER = r"(\d+|[一二两三四五六七八九十]+)"
_FILLER = re.compile(r"原则上|一般|抽查频次|抽查频率|检查频次|检查次数|抽查比例|检查比例|抽取比例|抽查|为|：|:|\s")
_NO_FIXED = ("根据实际情况确定", "根据实际确定", "视情况确定", "视情而定", "不定期", "按需", "根据工作需要确定",
             "由计划确定", "按计划确定", "按年度计划确定", "按抽查计划确定", "按计划", "由部门确定", "根据监管需要确定")
_HIGHER = ("上级", "省局", "省级", "国家", "总局", "专项计划", "抽检计划", "按部署", "统一部署")


def number(text: str) -> int | None:
    """An Arabic or Chinese number from one to ninety-nine ("2", "两", "十二")."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        value = (DIGITS.get(tens, 0) if tens else 1) * 10 + (DIGITS.get(units, 0) if units else 0)
        return value if all(c in DIGITS or c == "十" for c in text) else None
    return DIGITS.get(text) if len(text) == 1 else None


def _clean(text) -> str:
    return str(text).strip().replace("％", "%").replace("（", "(").replace("）", ")").replace("；", ";") \
        .replace("，", ",").replace("＞", ">").replace("＜", "<").replace("＝", "=")


@dataclasses.dataclass
class Frequency:
    """What a 抽查频次 phrase means: per ``period``, at most ``cap`` inspections of one firm (None: the phrase
    sets none; only a cap phrase such as 对同一单位同一年度内不超过2次 does, never rounds such as 1次/年 or
    每年不少于2次), and the department's rounds of the check (``runs_min`` .. ``runs_max``)."""

    period: str = "year"
    cap: int | None = None
    runs_min: int | None = None
    runs_max: int | None = None


_PERIOD = r"(?:每|一|1|全|本)?(年度|半年|季度|季|年|月)(?:内|度)?"
_FIRM = r"(?:对)?同一(?:企业|单位|对象|检查对象|市场主体|经营者|主体)"
_CAP_RES = [
    re.compile(rf"^{_FIRM}(?:同一)?{_PERIOD}(?:检查|抽查)?(?:不超过|不多于|最多|至多|≤|<=){NUMBER}次$"),
    re.compile(rf"^{_PERIOD}(?:{_FIRM})?(?:检查|抽查)?(?:不超过|不多于|最多|至多|≤|<=){NUMBER}次$"),
    re.compile(rf"^{_PERIOD}(?:对)?同一(?:企业|单位|对象|检查对象|市场主体|经营者|主体)(?:检查|抽查)?(?:不超过|不多于|最多|至多){NUMBER}次$"),
]
_FLOOR_RES = [
    re.compile(rf"^{_PERIOD}(?:开展|检查|抽查)?(?:不少于|不低于|至少|≥|>=)(?:开展|检查|抽查)?{NUMBER}次$"),
    re.compile(rf"^(?:不少于|不低于|至少|≥|>=){NUMBER}次/{_PERIOD}$"),
]
_EXACT_RES = [
    re.compile(rf"^{_PERIOD}(?:开展|检查|抽查)?{NUMBER}次$"),
    re.compile(rf"^{NUMBER}次/{_PERIOD}$"),
    re.compile(rf"^{NUMBER}次(?:每|/){_PERIOD}$"),
]


def parse_frequency(value) -> Frequency | str:
    """A 抽查频次 phrase; an int is a cap per firm and year. Returns the meaning or the reason it is not
    understood."""
    if isinstance(value, bool):
        return f"无法识别的检查频次 {value!r}"
    if isinstance(value, int):
        return Frequency(cap=value) if value >= 1 else f"检查频次应为正整数，收到 {value!r}"
    text = _FILLER.sub("", _clean(value))
    if not text:
        return "检查频次为空"
    parts = [p for p in re.split(r"[;,、]", text) if p]
    if len(parts) > 1:
        return _combined(value, parts)
    if text in _NO_FIXED:
        return Frequency()
    # "=1" / ">=1" / "≥2" (a table column headed 抽查频次, per year)
    match = re.fullmatch(r"(=|>=|≥)?(\d+)(?:次)?", text)
    if match and match.group(1):
        n = int(match.group(2))
        # "=1": exactly N rounds; ">=1": at least N. Either is the department's obligation only.
        return Frequency(runs_min=n, runs_max=n) if match.group(1) == "=" else Frequency(runs_min=n)
    for pattern in _CAP_RES:
        match = pattern.match(text)
        if match:
            return _with_period(match, lambda n: Frequency(cap=n))
    for pattern in _FLOOR_RES:
        match = pattern.match(text)
        if match:
            return _with_period(match, lambda n: Frequency(runs_min=n))
    for pattern in _EXACT_RES:
        match = pattern.match(text)
        if match:
            return _with_period(match, lambda n: Frequency(runs_min=n, runs_max=n))
    if re.search(r"每(?:周|日|天)|/(?:周|日|天)", text):
        return f"检查频次 {value!r} 的周期为周或日：清单频次只能按每年、每半年、每季度或每月计"
    return (f"无法识别的检查频次 {value!r}（可写 每年不少于1次、1次/年、每年2次、每年不超过2次、"
            "对同一单位同一年度内不超过2次、根据实际情况确定）")


def _combined(value, parts: list[str]) -> Frequency | str:
    """Several phrases in one cell ("每年不少于2次；对同一单位同一年度内不超过1次"): the cap of one, the rounds of
    the other, over one period."""
    result = Frequency()
    periods = set()
    for part in parts:
        meaning = parse_frequency(part)
        if isinstance(meaning, str):
            return f"检查频次 {value!r} 中的 {part!r}：{meaning}"
        if meaning.cap is None and meaning.runs_min is None and meaning.runs_max is None:
            continue
        periods.add(meaning.period)
        for field in ("cap", "runs_min", "runs_max"):
            mine = getattr(meaning, field)
            if mine is None:
                continue
            if getattr(result, field) not in (None, mine):
                return f"检查频次 {value!r} 对同一事项写了两个不同的次数，无法确定以哪个为准"
            setattr(result, field, mine)
    if len(periods) > 1:
        return f"检查频次 {value!r} 的各部分周期不同（如一个按年、一个按季度），请写明同一周期"
    result.period = periods.pop() if periods else "year"
    return result


def _with_period(match, make) -> Frequency | str:
    groups = [g for g in match.groups() if g is not None]
    period_word = next(g for g in groups if g in PERIOD_WORDS)
    count = next(g for g in groups if g not in PERIOD_WORDS)
    n = number(count)
    if not n:
        return f"检查次数 {count} 无法识别"
    result = make(n)
    result.period = PERIOD_WORDS[period_word]
    return result


@dataclasses.dataclass
class Ratio:
    """What a 抽查比例 phrase means: a bound on the plan's share of its whole pool, who sets the ratio
    (``item``: the list, ``plan``: each plan, ``higher``: a higher level), and alternatives of ratio and
    yearly rounds."""

    min: float | None = None
    max: float | None = None
    source: str = "item"
    options: list[dict] | None = None
    runs: int | None = None          # rounds said beside the ratio ("3%;2次/年"), at least
    period: str | None = None        # ...their period
    runs_max: int | None = None      # ...at most (exactly: "2次/年"; a floor "不少于2次/年" sets none)
    cap: int | None = None           # a cap per firm said beside the ratio
    per: str | None = None           # "year": the bound holds for the year's plans together ("一般不超过10%/年")


_PERCENT = r"(\d+(?:\.\d+)?)\s*(%|‰)"
_MIN_WORDS = r"(?:不低于|不少于|至少|≥|>=|不得低于|不小于)"
_MAX_WORDS = r"(?:不超过|不高于|不多于|至多|≤|<=|不得超过|不大于)"


def _fraction(number_text: str, unit: str) -> float:
    return float(number_text) / (1000 if unit == "‰" else 100)


def parse_ratio_phrase(value) -> Ratio | str:
    """A 抽查比例 phrase (or ``{min, max}`` fractions). Returns the meaning or the reason it is not understood."""
    if value is None:
        return Ratio(source="plan")
    if isinstance(value, dict):
        return _ratio_bounds(value)
    raw = _clean(value)
    text = raw.replace(" ", "")
    if text in ("全覆盖", "全部", "100%"):
        return Ratio(1.0, 1.0)
    if "家" in text or "户" in text or "个" in text:
        return f"抽查比例 {value!r} 按家数规定：平台按比例抽取，请换算为比例（如 不低于5%）"
    # Alternatives: "5%的企业每年检查1次或2%的企业每年检查2次"
    if re.search(r"或(?:者)?", text) and len(re.findall(_PERCENT, text)) >= 2 and "次" in text:
        return _ratio_options(value, text)
    parts = [p for p in re.split(r"[;,]", text) if p]
    result = Ratio()
    said = False
    for part in parts:
        said_or_reason = _ratio_part(value, part, result, said)
        if isinstance(said_or_reason, str):
            return said_or_reason
        said = said_or_reason
    return _ratio_settled(result, said)


def _ratio_bounds(value: dict) -> Ratio | str:
    """A ratio given as ``{min, max}`` fractions (either may be left out: then each plan sets it)."""
    low, high = value.get("min"), value.get("max")
    for bound in (low, high):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float)) or not 0 <= bound <= 1):
            return "min、max 应为 0 至 1 之间的小数"
    if low is not None and high is not None and low > high:
        return "比例下限大于上限"
    return Ratio(low, high, "item" if low is not None or high is not None else "plan")


def _ratio_options(value, text: str) -> Ratio | str:
    """Alternatives of share and yearly rounds ("5%的企业每年检查1次或2%的企业每年检查2次"); the smallest share
    is the bound."""
    options = []
    for part in re.split(r"或者?|;", text):
        percent = re.search(_PERCENT, part)
        runs = re.search(NUMBER + r"次", part)
        if not (percent and runs and number(runs.group(1))):
            return f"抽查比例 {value!r} 的备选方案应各写明比例与次数（如 5%每年1次或2%每年2次）"
        options.append({"ratio": _fraction(*percent.groups()), "runs": number(runs.group(1))})
    return Ratio(min=min(o["ratio"] for o in options), options=options)


def _ratio_unknown(value) -> str:
    """Why a 抽查比例 phrase is not understood, with the shapes that are."""
    return (f"无法识别的抽查比例 {value!r}（可写 不低于3%、不超过总数的5%、不少于5‰、10-20%、"
            "根据实际情况确定 或 按上级部署确定）")


def _at_least(match, result: Ratio) -> None:
    """A floor on the share: "不低于3%", "≥20%"."""
    result.min = _fraction(match.group(1), match.group(2))


def _at_most(match, result: Ratio) -> None:
    """A ceiling on the share: "不超过总数的5%", "≤10%"."""
    result.max = _fraction(match.group(1), match.group(2))


def _between(match, result: Ratio) -> None:
    """A floor and a ceiling: "10-20%", "3%至5%" (the first number may borrow the second's unit)."""
    unit = match.group(4)
    result.min, result.max = _fraction(match.group(1), match.group(2) or unit), _fraction(match.group(3), unit)


def _share(match, result: Ratio) -> None:
    """A bare share ("5%") is the share to reach (全覆盖 when it is 100%)."""
    share = _fraction(*match.groups())
    result.min = share
    result.max = 1.0 if share == 1.0 else result.max


# The shapes of a bound on the share, tried in order: each a pattern the whole part matches and what it sets.
_BOUND_SHAPES = (
    (re.compile(rf".*?{_MIN_WORDS}[^\d]*?{_PERCENT}"), _at_least),
    (re.compile(rf".*?{_MAX_WORDS}[^\d]*?{_PERCENT}"), _at_most),
    (re.compile(r"(\d+(?:\.\d+)?)\s*(%|‰)?(?:-|—|～|~|至|到)(\d+(?:\.\d+)?)\s*(%|‰)"), _between),
    (re.compile(rf"(?:=|约)?{_PERCENT}"), _share),
)


def _ratio_part(value, part: str, result: Ratio, said: bool) -> bool | str:
    """One part of a 抽查比例 cell (parts are split at ";" and ","), read into ``result``: rounds said beside
    the ratio, a ratio set by each plan or by a higher level, or a bound. Returns whether a ratio has been said
    so far, or the reason the part is not understood."""
    if "次" in part and not re.search(_PERCENT, part):
        frequency = parse_frequency(part)
        if isinstance(frequency, str):
            return f"抽查比例 {value!r} 中的频次：{frequency}"
        result.runs, result.period = frequency.runs_min, frequency.period
        result.runs_max, result.cap = frequency.runs_max, frequency.cap
        return said
    if re.search(_PERCENT, part) and re.search(r"全年|每年|年度|/年|每一年", part):
        result.per = "year"
    part_text = re.sub(r"^(?:全年|年度|每年)?(?:合计|总体|累计|总)?(?:之和|总和)?", "", _FILLER.sub("", part))
    part_text = re.sub(r"/(?:年|年度)$|每年$", "", part_text)
    if part_text in _NO_FIXED:
        result.source = "plan"
        return True
    if not re.search(_PERCENT, part_text):
        if any(word in part_text for word in _HIGHER) and "确定" in part_text or part_text.endswith("要求"):
            result.source = "higher" if not said else result.source
            return True
        return _ratio_unknown(value)
    # "不低于5%或按专项计划确定": the bound holds, the alternative is kept in the words
    part_text = re.split(r"或(?=按|由|根据|视|经)", part_text)[0]
    for pattern, read in _BOUND_SHAPES:
        match = pattern.fullmatch(part_text)
        if match:
            read(match, result)
            return True
    return _ratio_unknown(value)


def _ratio_settled(result: Ratio, said: bool) -> Ratio | str:
    """The meaning of a whole 抽查比例 cell once every part is read: checked, and who sets the ratio."""
    if not said:
        result.source = "plan"
    for bound in (result.min, result.max):
        if bound is not None and bound > 1:
            return "比例不能超过 100%"
    if result.min is not None and result.max is not None and result.min > result.max:
        return "比例区间不正确"
    if result.min is not None or result.max is not None:
        result.source = "item"
    return result


_CITATION = re.compile(r"(《[^》]+》)\s*(\([^)]*\))?\s*([^《]*)")
_ORDER = re.compile(r"((?:[\u4e00-\u9fa5、]{0,20})令(?:\d{4}年)?第\s*\d+\s*号)")


def parse_legal_basis(value) -> list[dict] | str:
    """A 检查依据: a list of ``{law, articles}`` mappings or of citations, or one citation text with
    several laws. Each entry is ``{law, articles, text}``; ``articles`` may be empty (a list may name a law
    without its articles). Returns the entries or the reason they are not understood."""
    if value is None:
        return "缺少检查依据（法律法规名称及条款）"
    entries = value if isinstance(value, list) else [value]
    if not entries:
        return "缺少检查依据（法律法规名称及条款）"
    found: list[dict] = []
    for entry in entries:
        if isinstance(entry, dict):
            if set(entry) - {"law", "articles", "text"}:
                return "检查依据的每一项应为包含 law、articles（可省略）的映射，或一段引文"
            law = entry.get("law")
            law = str(law).strip() if law is not None else ""
            articles = entry.get("articles")
            articles = str(articles).strip() if articles is not None else ""
            if not law:
                return "检查依据缺少法律法规名称"
            text = entry.get("text")
            found.append({"law": law, "articles": articles, **({"text": str(text).strip()} if text else {})})
            continue
        if not isinstance(entry, str) or not entry.strip():
            return "检查依据应为法律法规名称及条款"
        text = _clean(entry)
        cited = [(m.group(1) + (m.group(2) or ""), m.group(3).strip(" ,;、和及与等")) for m in _CITATION.finditer(text)]
        if not cited:
            order = _ORDER.search(text)
            if order is None:
                return f"检查依据 {entry!r} 未写明法律、法规或规章的名称（如《中华人民共和国食品安全法》、总局令第89号）"
            cited = [(order.group(1).strip(), text.replace(order.group(1), "").strip(" ,;、"))]
        for law, articles in cited:
            articles = re.sub(r"^(?:等)?(?:相关|有关)?(?:规定|条款)?$", "", articles)
            found.append({"law": law, "articles": articles, "text": entry.strip()} if len(cited) == 1 else
                         {"law": law, "articles": articles})
    return found


MODE_WORDS = {"on_site": ("现场检查", "实地检查", "现场核查", "现场"), "online": ("网络检查", "网上检查", "网络监测", "在线监测", "网络"),
              "records": ("书面检查", "书面审查", "资料核查", "查阅资料", "材料核查", "书面"),
              "sampling": ("监督抽查", "抽样检验", "抽样检测", "抽检", "抽样", "产品质量监督抽查")}


def parse_modes(value) -> list[str] | str:
    """检查方式 as codes (on_site, online, records, sampling) or Chinese words, as a list or one text."""
    items = value if isinstance(value, list) else re.split(r"[、,，;；/＋+和及与]", str(value or ""))
    modes: list[str] = []
    for raw in items:
        word = str(raw).strip()
        if not word:
            continue
        if word in MODE_WORDS:
            modes.append(word)
            continue
        code = next((c for c, words in MODE_WORDS.items() if any(w == word or w in word for w in words)), None)
        if code is None:
            return f"无法识别的检查形式 {word!r}（现场检查、网络检查、书面检查、监督抽查）"
        modes.append(code)
    if not modes:
        return "检查形式为空"
    return list(dict.fromkeys(modes))


METHOD_WORDS = {"random": ("双随机抽查", "随机抽查", "双随机"), "key": ("重点检查", "重点监管"),
                "special": ("专项检查", "专项"), "offsite": ("非现场检查", "非现场监管", "非现场")}


def parse_method(value) -> str | None:
    if value in METHOD_WORDS:
        return value
    text = str(value or "").strip()
    return next((code for code, words in METHOD_WORDS.items() if text in words), None)
