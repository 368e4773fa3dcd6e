"""Bounded parameters of the pages' query strings (and the few numbers their forms post).

One rule for every page: a parameter left out or left empty (``?year=``, as an unselected filter sends
it) takes its default; a value that is not of its kind or outside its range is refused with
``InvalidInput`` (422: a readable page for people, the error JSON under /api/) that names the
parameter in Chinese. Nothing is clamped, page numbers included, so a link that asks for what does not
exist says so instead of quietly showing something else. The API's query schemas use the same bounds
(``web.schemas.Year``, ``Page``, ``Id``).
"""
from __future__ import annotations

import datetime as dt

from flask import request
from werkzeug.datastructures import MultiDict

from inspection.errors import InvalidInput
from inspection.pure.timestamps import YEAR_MAX, YEAR_MIN, parse_day

from .schemas import PAGE_MAX, ROW_ID_MAX


def _raw(name: str, source: MultiDict | None) -> str:
    return ((request.args if source is None else source).get(name) or "").strip()


def int_arg(name: str, low: int, high: int, default: int | None = None, *, label: str | None = None,
            source: MultiDict | None = None) -> int | None:
    """A whole number from ``low`` to ``high``; at most 12 characters are ever read as a number."""
    raw = _raw(name, source)
    if not raw:
        return default
    label = label or name
    if len(raw) > 12 or not raw.lstrip("-").isdigit() or not raw.isascii():
        raise InvalidInput(f"参数 {label} 应为整数", fields={name: "应为整数"})
    value = int(raw)
    if not low <= value <= high:
        raise InvalidInput(f"参数 {label} 应在 {low} 至 {high} 之间", fields={name: f"应在 {low} 至 {high} 之间"})
    return value


def year_arg(name: str = "year", default: int | None = None, **kwargs) -> int | None:
    return int_arg(name, YEAR_MIN, YEAR_MAX, default, label=kwargs.pop("label", "年份"), **kwargs)


def month_arg(name: str = "month", default: int | None = None, **kwargs) -> int | None:
    return int_arg(name, 1, 12, default, label=kwargs.pop("label", "月份"), **kwargs)


def page_arg(name: str = "page") -> int:
    return int_arg(name, 1, PAGE_MAX, 1, label="页码")


def id_arg(name: str, default: int | None = None, *, label: str | None = None,
           source: MultiDict | None = None) -> int | None:
    """The id of a row (1 to the database's largest integer)."""
    return int_arg(name, 1, ROW_ID_MAX, default, label=label, source=source)


def day_arg(name: str = "day", default: dt.date | None = None, *, label: str = "日期",
            source: MultiDict | None = None) -> dt.date | None:
    """A date written YYYY-MM-DD in the platform's range of years (``inspection.pure.timestamps``)."""
    raw = _raw(name, source)
    return parse_day(raw, name, label) if raw else default
