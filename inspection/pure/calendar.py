"""Working days of the city: weekdays, less public holidays, plus the weekend days worked in lieu."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml

CITY_FILE = Path(__file__).resolve().parent.parent / "data" / "city.yaml"


@functools.lru_cache(maxsize=4)
def _calendar(path: Path = CITY_FILE) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset(data.get("holidays") or ()), frozenset(data.get("workdays") or ())


@functools.lru_cache(maxsize=4)
def city_time_zone(path: Path = CITY_FILE) -> str:
    """The IANA time zone of the city's local days (``time_zone`` in the city file)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get("time_zone") or "Asia/Shanghai"


DEFAULT_WORKING_HOURS = ("07:00", "21:00")
# The city's numeric limits that may be set: (label, lowest, highest).
LIMITS = {"quiet_period_max_days": ("企业宁静期最多天数", 1, 366),
          "min_visit_minutes": ("入企检查最短分钟数", 1, 480),
          "import_max_rows": ("导入文件最多行数", 1, 10_000_000),
          "item_yearly_cap": ("清单事项未规定频次上限时每年对同一企业的检查次数上限", 1, 12)}


def parse_working_hours(value) -> tuple[dt.time, dt.time]:
    """``working_hours`` as the city file (or the city's rules form) writes it: ``[start, end]``, local
    ``HH:MM``, start before end. A bad value raises ``ValueError`` with the reason in Chinese."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("受理入企时段应为开始和结束两个时间（HH:MM）")
    times = []
    for label, text in zip(("开始时间", "结束时间"), value):
        text = text.strip() if isinstance(text, str) else text
        if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
            raise ValueError(f"受理入企时段的{label}应为 HH:MM 格式（如 07:00）")
        try:
            times.append(dt.time.fromisoformat(text))
        except ValueError:
            raise ValueError(f"受理入企时段的{label} {text} 不是有效的时刻") from None
    if times[0] >= times[1]:
        raise ValueError("受理入企时段的结束时间应晚于开始时间")
    return times[0], times[1]


def parse_limit(name: str, value) -> int:
    """A numeric limit of the city file (or the city's rules form): a whole number within its bounds.
    A bad value raises ``ValueError`` with the reason in Chinese."""
    label, low, high = LIMITS.get(name, (name, 1, None))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{label}应为整数")
    if value < low or high is not None and value > high:
        raise ValueError(f"{label}应在 {low} 至 {high} 之间")
    return value


@functools.lru_cache(maxsize=4)
def working_hours(path: Path = CITY_FILE) -> tuple[dt.time, dt.time]:
    """The local hours in which inspectors may enter firms (``working_hours`` in the city file); the
    city's rules set on the platform take precedence (``inspection.operations.city_rules``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return parse_working_hours(data.get("working_hours") or DEFAULT_WORKING_HOURS)


@functools.lru_cache(maxsize=16)
def city_limit(name: str, default: int, path: Path = CITY_FILE) -> int:
    """A numeric limit of the city file (e.g. ``quiet_period_max_days``, ``import_max_rows``), or ``default``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    value = data.get(name)
    return parse_limit(name, value) if value is not None else default


@functools.lru_cache(maxsize=4)
def credit_policy(path: Path = CITY_FILE) -> dict[str, float]:
    """The city's sampling ratio per credit-risk class (信用风险分类监管, ``credit_ratios`` in the city file):
    what a plan takes when it follows the credit policy instead of setting its own ratios."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): float(v) for k, v in (data.get("credit_ratios") or {}).items()}


def is_working_time(local: dt.datetime, hours: tuple[dt.time, dt.time] | None = None) -> bool:
    """Whether a local wall-clock time falls on a working day inside the working hours (``hours``, by
    default the city file's)."""
    start, end = hours or working_hours()
    return is_working_day(local.date()) and start <= local.time() < end


def next_working_morning(local: dt.datetime) -> dt.datetime:
    """10:00 local on the next working day (today's, when it is still before then)."""
    day = local.date()
    if not (is_working_day(day) and local.time() < dt.time(10)):
        day = add_working_days(day, 1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=local.tzinfo)


def is_working_day(day: dt.date) -> bool:
    holidays, workdays = _calendar()
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself for ``n`` = 0)."""
    if n <= 0:
        return day
    return working_days(day + dt.timedelta(days=1), day + dt.timedelta(days=3 * n + 30))[n - 1]
