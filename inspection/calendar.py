"""Working days of the city: weekdays, less public holidays, plus the weekend days worked in lieu."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml

CITY_FILE = Path(__file__).resolve().parent / "data" / "city.yaml"


@functools.lru_cache(maxsize=4)
def _calendar(path: Path = CITY_FILE) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset(data.get("holidays") or ()), frozenset(data.get("workdays") or ())


@functools.lru_cache(maxsize=4)
def city_time_zone(path: Path = CITY_FILE) -> str:
    """The IANA time zone of the city's local days (``time_zone`` in the city file)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get("time_zone") or "Asia/Shanghai"


@functools.lru_cache(maxsize=4)
def working_hours(path: Path = CITY_FILE) -> tuple[dt.time, dt.time]:
    """The local hours in which inspectors may enter firms (``working_hours`` in the city file)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    start, end = data.get("working_hours") or ("07:00", "21:00")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


@functools.lru_cache(maxsize=16)
def city_limit(name: str, default: int, path: Path = CITY_FILE) -> int:
    """A numeric limit of the city file (e.g. ``quiet_period_max_days``, ``import_max_rows``), or ``default``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    value = data.get(name)
    return int(value) if value is not None else default


@functools.lru_cache(maxsize=4)
def credit_policy(path: Path = CITY_FILE) -> dict[str, float]:
    """The city's sampling ratio per credit-risk class (信用风险分类监管, ``credit_ratios`` in the city file):
    what a plan takes when it follows the credit policy instead of setting its own ratios."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): float(v) for k, v in (data.get("credit_ratios") or {}).items()}


def is_working_time(local: dt.datetime) -> bool:
    """Whether a local wall-clock time falls on a working day inside the working hours."""
    start, end = working_hours()
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
