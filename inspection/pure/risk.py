"""The early-warning score (预警模型): features from a firm's own inspection history, a logistic
regression on standardised features, explanations, and an evaluation on a year the model has not seen.

Plain functions over plain data (no database here), so that the platform, its tests and the
benchmark compute exactly the same thing.

What the score is: the chance that an inspection of the firm by a department finds at least one
non-compliant checklist point, as of a day, learned from earlier inspections. One score per firm and
department (the department's catalogue items are the scope).

Features (nothing geographic, nothing about persons): see ``FEATURES``. The firm's district, address,
name, the division code inside its credit code (统一社会信用代码 positions 3-8) and its tags are never
read, so that a score cannot over-police a neighbourhood.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections import defaultdict

import numpy as np

from . import draws

CLASS_INDEX = {"A": 0, "B": 1, "C": 2, "D": 3}
LEADS_WINDOW_DAYS = 730          # complaints and leads of the last two years
NEVER_YEARS = 5.0                # "years since the last entry" of a firm never entered, and the cap
INDUSTRY_PRIOR = 20              # pseudo-inspections pulling a small industry's rate to the city's
POINT_PRIOR = 10                 # pseudo-points pulling a firm's few findings to the city's rate
TOP_FACTORS = 3
MIN_EXAMPLES = 30

# name -> (label, what it measures). Counts enter the model as log(1 + count).
FEATURES = {
    "credit_class": ("信用风险分类", "信用风险分类 A 至 D（0 至 3）"),
    "industry_rate": ("行业既往问题发现率", "同行业企业此前入企检查中发现问题的比例（向全市比例收缩）"),
    "point_failure_rate": ("既往检查要点不符合率", "本企业此前各次检查中不符合的检查要点所占比例（向全市比例收缩）"),
    "department_findings": ("本部门既往发现问题次数", "本部门此前入企检查发现问题的次数"),
    "cases": ("既往立案次数", "此前检查结果为立案查处的事项数"),
    "rectifications": ("既往责令整改次数", "此前检查结果为责令限期整改的事项数"),
    "leads": ("近两年投诉举报与线索", "近两年登记的投诉举报和移送、转办线索件数"),
    "years_since_entry": ("距上次入企检查年数", "距各部门上一次入企检查的年数（从未检查按 5 年计，最多 5 年）"),
    "never_inspected": ("此前从未入企检查", "此前是否从未被入企检查（是为 1）"),
    "entries": ("既往入企检查次数", "此前各部门入企检查的次数"),
}
COUNT_FEATURES = ("department_findings", "cases", "rectifications", "leads", "entries")
EXCLUDED = ("所在区县、地址、企业名称、统一社会信用代码中的行政区划码等地理信息；企业标签；任何个人信息。"
            "部门只作为基准（各部门问题发现率不同），不作为解释因素。")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One department's part of one entry into a firm, with what it found."""

    firm_id: int
    department: str
    day: dt.date
    plan_id: int
    checked: int      # checklist points with a result other than "not applicable"
    failed: int       # of which non-compliant
    cases: int        # items whose outcome was a case
    rectifications: int

    @property
    def violated(self) -> bool:
        return self.failed > 0


@dataclasses.dataclass(frozen=True)
class Example:
    """A firm-department-year with at least one entry: features as of 1 January, label: a violation found."""

    firm_id: int
    department: str
    year: int
    credit_class: str
    plan_id: int
    day: dt.date
    label: int
    raw: dict


class History:
    """Everything the features read, indexed for "what was known before day X"."""

    def __init__(self, firms: dict[int, tuple[str, str]], entries: list[Entry], leads: list[tuple[int, dt.date]]):
        self.firms = firms                                   # firm id -> (industry, credit class)
        self.entries = sorted(entries, key=lambda e: (e.day, e.firm_id, e.department))
        self.by_firm: dict[int, list[Entry]] = defaultdict(list)
        for entry in self.entries:
            self.by_firm[entry.firm_id].append(entry)
        self.leads: dict[int, list[dt.date]] = defaultdict(list)
        for firm_id, day in sorted(leads, key=lambda x: x[1]):
            self.leads[firm_id].append(day)
        # Running totals by day, city-wide and per industry, for rates "before day X".
        self.days = [e.day for e in self.entries]
        self.cum_entries = np.cumsum([1 for _ in self.entries]) if self.entries else np.zeros(0)
        self.cum_violated = np.cumsum([e.violated for e in self.entries]) if self.entries else np.zeros(0)
        self.cum_checked = np.cumsum([e.checked for e in self.entries]) if self.entries else np.zeros(0)
        self.cum_failed = np.cumsum([e.failed for e in self.entries]) if self.entries else np.zeros(0)
        self.industry_days: dict[str, list[dt.date]] = defaultdict(list)
        self.industry_violated: dict[str, list[int]] = defaultdict(list)
        for entry in self.entries:
            industry = firms.get(entry.firm_id, ("", ""))[0]
            self.industry_days[industry].append(entry.day)
            running = self.industry_violated[industry]
            running.append((running[-1] if running else 0) + entry.violated)

    def years(self) -> list[int]:
        return sorted({e.day.year for e in self.entries})

    def _city_before(self, day: dt.date) -> tuple[float, float]:
        """City-wide share of entries that found a problem, and of points that failed, before ``day``."""
        n = bisect.bisect_left(self.days, day)
        if n == 0:
            return 0.2, 0.05
        entries, violated = self.cum_entries[n - 1], self.cum_violated[n - 1]
        checked, failed = self.cum_checked[n - 1], self.cum_failed[n - 1]
        return float(violated / entries), float(failed / checked) if checked else 0.05

    def features(self, firm_id: int, department: str, as_of: dt.date,
                 city: tuple[float, float] | None = None) -> dict:
        """The raw feature values of a firm for a department's items, from what was recorded before ``as_of``."""
        industry, credit_class = self.firms[firm_id]
        city_entry_rate, city_point_rate = city or self._city_before(as_of)
        days = self.industry_days.get(industry, [])
        n = bisect.bisect_left(days, as_of)
        violated = self.industry_violated[industry][n - 1] if n else 0
        past = [e for e in self.by_firm.get(firm_id, ()) if e.day < as_of]
        checked = sum(e.checked for e in past)
        failed = sum(e.failed for e in past)
        leads = self.leads.get(firm_id, [])
        since = as_of - dt.timedelta(days=LEADS_WINDOW_DAYS)
        last = max((e.day for e in past), default=None)
        return {
            "credit_class": CLASS_INDEX[credit_class],
            "industry_rate": (violated + INDUSTRY_PRIOR * city_entry_rate) / (n + INDUSTRY_PRIOR),
            "point_failure_rate": (failed + POINT_PRIOR * city_point_rate) / (checked + POINT_PRIOR),
            "department_findings": sum(e.violated for e in past if e.department == department),
            "cases": sum(e.cases for e in past),
            "rectifications": sum(e.rectifications for e in past),
            "leads": bisect.bisect_left(leads, as_of) - bisect.bisect_left(leads, since),
            "years_since_entry": min(NEVER_YEARS, (as_of - last).days / 365.25) if last else NEVER_YEARS,
            "never_inspected": int(last is None),
            "entries": len(past),
        }

    def features_by_department(self, firm_id: int, departments: list[str], as_of: dt.date,
                               city: tuple[float, float]) -> list[dict]:
        """``features`` for each department at once (only one feature depends on the department)."""
        base = self.features(firm_id, departments[0], as_of, city)
        found = defaultdict(int)
        for entry in self.by_firm.get(firm_id, ()):
            if entry.day < as_of and entry.violated:
                found[entry.department] += 1
        return [{**base, "department_findings": found[code]} for code in departments]

    def city_before(self, day: dt.date) -> tuple[float, float]:
        return self._city_before(day)

    def examples(self, years: list[int]) -> list[Example]:
        """One example per firm, department and year with an entry: features as of 1 January of the year."""
        first: dict[tuple[int, str, int], Entry] = {}
        violated: dict[tuple[int, str, int], bool] = defaultdict(bool)
        wanted = set(years)
        for entry in self.entries:
            if entry.day.year not in wanted or entry.firm_id not in self.firms:
                continue
            key = (entry.firm_id, entry.department, entry.day.year)
            first.setdefault(key, entry)
            violated[key] |= entry.violated
        cities = {year: self._city_before(dt.date(year, 1, 1)) for year in wanted}
        return [Example(firm_id, department, year, self.firms[firm_id][1], entry.plan_id, entry.day,
                        int(violated[(firm_id, department, year)]),
                        self.features(firm_id, department, dt.date(year, 1, 1), cities[year]))
                for (firm_id, department, year), entry in sorted(first.items())]


def columns(departments: list[str]) -> list[str]:
    """The model's inputs: the features, then one indicator a department (its baseline)."""
    return list(FEATURES) + [f"department:{code}" for code in departments]


def vector(raw: dict, department: str, departments: list[str]) -> list[float]:
    """One row of the model's inputs."""
    return list(matrix([raw], [department], departments)[0])


def matrix(raws: list[dict], departments_of_rows: list[str], departments: list[str]) -> np.ndarray:
    """The model's inputs for many rows at once."""
    values = [np.array([raw[name] for raw in raws], dtype=float) for name in FEATURES]
    values = [np.log1p(v) if name in COUNT_FEATURES else v for name, v in zip(FEATURES, values)]
    index = {code: i for i, code in enumerate(departments)}
    indicators = np.zeros((len(raws), len(departments)))
    rows = [(r, index[code]) for r, code in enumerate(departments_of_rows) if code in index]
    if rows:
        indicators[tuple(np.array(rows).T)] = 1.0
    return np.column_stack(values + [indicators]) if raws else np.zeros((0, len(FEATURES) + len(departments)))


def fit(examples: list[Example], departments: list[str], *, c: float = 1.0) -> dict:
    """Fit the logistic regression on standardised inputs; returns plain parameters (JSON-able)."""
    # scikit-learn takes about two seconds to load and only training needs it: the platform's pages,
    # draws and other commands start without it.
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    labels = np.array([e.label for e in examples])
    if len(examples) < MIN_EXAMPLES or labels.min() == labels.max():
        raise ValueError(f"need at least {MIN_EXAMPLES} examples with and without violations")
    inputs = matrix([e.raw for e in examples], [e.department for e in examples], departments)
    scaler = StandardScaler().fit(inputs)
    model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(inputs), labels)
    return {"columns": columns(departments), "departments": departments,
            "mean": [float(v) for v in scaler.mean_], "scale": [float(v) for v in scaler.scale_],
            "coef": [float(v) for v in model.coef_[0]], "intercept": float(model.intercept_[0]), "c": c}


def _standardised(params: dict, inputs: np.ndarray) -> np.ndarray:
    return (inputs - np.array(params["mean"])) / np.array(params["scale"])


def score(params: dict, raws: list[dict], departments: list[str], top: int = TOP_FACTORS
          ) -> tuple[np.ndarray, list[list]]:
    """Scores in (0, 1) for raw feature rows and their departments, and for each row the ``top`` features
    that move it most: ``[[feature, raw value, contribution]]``, the contribution being coefficient ×
    standardised value (in log-odds; the department baselines are left out)."""
    if not raws:
        return np.zeros(0), []
    z = _standardised(params, matrix(raws, departments, params["departments"]))
    coef = np.array(params["coef"])
    scores = np.clip(1 / (1 + np.exp(-(z @ coef + params["intercept"]))), 1e-4, 1 - 1e-4)
    n = len(FEATURES)
    contributions = z[:, :n] * coef[:n]
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :top]
    names = list(FEATURES)
    factors = [[[names[j], _plain(raws[i][names[j]]), round(float(contributions[i, j]), 3)] for j in order[i]]
               for i in range(len(raws))]
    return scores, factors


def predict(params: dict, raws: list[dict], departments: list[str]) -> np.ndarray:
    """Scores in (0, 1) for raw feature rows and their departments."""
    if not raws:
        return np.zeros(0)
    z = _standardised(params, matrix(raws, departments, params["departments"]))
    return np.clip(1 / (1 + np.exp(-(z @ np.array(params["coef"]) + params["intercept"]))), 1e-4, 1 - 1e-4)


def _plain(value):
    return round(float(value), 4) if isinstance(value, float) else int(value)


def describe(feature: str, value) -> str:
    """A factor as people read it: "信用风险分类：C 类"."""
    label = FEATURES[feature][0]
    if feature == "credit_class":
        return f"{label}：{'ABCD'[int(value)]} 类"
    if feature in ("industry_rate", "point_failure_rate"):
        return f"{label}：{value * 100:.1f}%"
    if feature == "years_since_entry":
        return f"{label}：{value:.1f} 年" if value < NEVER_YEARS else f"{label}：5 年以上或从未检查"
    if feature == "never_inspected":
        return f"{label}：{'是' if value else '否'}"
    return f"{label}：{int(value)}"


# -- Evaluation on a year the model has not seen -------------------------------------------------

def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve (the chance a violating firm scores above a clean one)."""
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    if not positives or not negatives:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # ties share their mean rank
        tied = scores == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def equal_visits(examples: list[Example], scores: np.ndarray, *, seeds: int = 200, share: float = 0.5) -> dict:
    """Violations per 100 visits when, in each department and credit class, ``share`` of the year's
    visited firms are drawn again: at random (the class-ratio draw; exact expectation), or risk-weighted
    (sequential Poisson sampling on the model's floored weights, averaged over ``seeds`` draws).
    The visited firms were themselves drawn at random within their class, so both re-draws are fair."""
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        strata[(example.department, example.credit_class)].append(i)
    labels = np.array([e.label for e in examples], dtype=float)
    weights = np.array([draws.draw_weight(s) for s in scores])
    rng = np.random.default_rng(20260301)
    visits = random_hits = weighted_hits = 0.0
    for members in strata.values():
        n = int(len(members) * share)
        if n == 0:
            continue
        index = np.array(members)
        visits += n
        random_hits += n * labels[index].mean()
        keys = rng.random((seeds, len(index))) / weights[index]
        chosen = np.argsort(keys, axis=1)[:, :n]
        weighted_hits += labels[index][chosen].sum(axis=1).mean()
    if not visits:
        return {"visits": 0, "random_per_100": None, "weighted_per_100": None, "seeds": seeds}
    return {"visits": int(visits), "random_per_100": round(100 * random_hits / visits, 2),
            "weighted_per_100": round(100 * weighted_hits / visits, 2), "seeds": seeds}


def days_earlier(examples: list[Example], scores: np.ndarray) -> dict:
    """How much earlier violations are found if each plan makes the same visits on the same days, but in
    order of the score (highest first) instead of the order they happened (Chicago's measure)."""
    by_plan: dict[int, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_plan[example.plan_id].append(i)
    actual, ordered = [], []
    for members in by_plan.values():
        days = sorted(examples[i].day for i in members)
        ranked = sorted(members, key=lambda i: (-scores[i], examples[i].firm_id))
        for position, i in enumerate(ranked):
            if examples[i].label:
                actual.append(examples[i].day.toordinal())
                ordered.append(days[position].toordinal())
    if not actual:
        return {"violations": 0, "days_earlier": None}
    return {"violations": len(actual), "days_earlier": round(float(np.mean(actual) - np.mean(ordered)), 1)}


def evaluate(examples: list[Example], scores: np.ndarray) -> dict:
    labels = np.array([e.label for e in examples])
    return {"examples": len(examples), "violations": int(labels.sum()),
            "per_100_visits": round(100 * float(labels.mean()), 2) if len(labels) else None,
            "auc": None if auc(scores, labels) is None else round(auc(scores, labels), 3),
            "equal_visits": equal_visits(examples, scores), "days_earlier": days_earlier(examples, scores)}
