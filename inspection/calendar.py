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
