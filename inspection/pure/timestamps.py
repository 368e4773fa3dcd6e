"""Dates and instants that come from outside (forms, API bodies, offline records, files), read into the
platform's own form: a plain date, or a naive UTC instant, with the year between ``YEAR_MIN`` and
``YEAR_MAX``. Anything else (another shape, year 1 or 9999, a time whose conversion to UTC or to the
city's local time would leave the calendar) is refused with ``InvalidInput`` and a Chinese message naming
the field, before any arithmetic can overflow."""
from __future__ import annotations

import datetime as dt
import re

from ..errors import InvalidInput

YEAR_MIN, YEAR_MAX = 2000, 2100
DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
INSTANT_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
YEARS_MESSAGE = f"年份应在 {YEAR_MIN} 至 {YEAR_MAX} 之间"


def year_in_range(year: int) -> bool:
    return YEAR_MIN <= year <= YEAR_MAX


def parse_day(value, field: str = "day", label: str = "日期") -> dt.date:
    """A date written YYYY-MM-DD in the platform's range of years."""
    if not isinstance(value, str) or not DATE_SHAPE.fullmatch(value.strip()):
        raise InvalidInput(f"{label}格式应为 YYYY-MM-DD", fields={field: "格式不正确"})
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}不存在：{value.strip()}", fields={field: "日期无效"}) from None
    if not year_in_range(day.year):
        raise InvalidInput(f"{label}的{YEARS_MESSAGE}", fields={field: YEARS_MESSAGE})
    return day


def parse_instant(value, field: str = "at", label: str = "时间", naive_zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """An ISO 8601 time (``2026-05-11T09:30``, with seconds, with ``Z`` or an offset) as naive UTC; a time
    without an offset is read in ``naive_zone`` (UTC for machines, the city's zone for people's forms: ``clock.zone()``)."""
    if not isinstance(value, str) or not INSTANT_SHAPE.fullmatch(value.strip()):
        raise InvalidInput(f"{label}格式应为 YYYY-MM-DDTHH:MM（可带时区）", fields={field: "格式不正确"})
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}不存在：{value.strip()}", fields={field: "时间无效"}) from None
    return utc_instant(moment, field, label, naive_zone)


def utc_instant(moment: dt.datetime, field: str = "at", label: str = "时间",
                naive_zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """A parsed time, with or without an offset, as naive UTC once its year is known to be in range (then
    neither the conversion nor a later shift to local time can leave the calendar)."""
    if not year_in_range(moment.year):
        raise InvalidInput(f"{label}的{YEARS_MESSAGE}", fields={field: YEARS_MESSAGE})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_zone)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)
