"""The platform's clock: the one place that reads the time and knows the city's local day.

Everything stored is naive UTC; people see the city's local time (China Standard Time by
default; the city file may name another zone). For demos and drills the clock of a served
platform can be started at another instant (``INSPECTION_NOW``) and runs on from there; tests
move it with time-machine, which this module's reads go through.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"

_zone = ZoneInfo(DEFAULT_ZONE)
_offset = dt.timedelta(0)


class ClockError(ValueError):
    """An instant that cannot start the clock."""


def zone() -> ZoneInfo:
    return _zone


def set_zone(name: str) -> None:
    """Use the time zone ``name`` (an IANA name such as ``Asia/Shanghai``) for local days."""
    global _zone
    _zone = ZoneInfo(name)


def now() -> dt.datetime:
    """Now, as naive UTC (as stored in the database)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + _offset


def local_now() -> dt.datetime:
    """Now in the city's time zone (aware)."""
    return to_local(now())


def today() -> dt.date:
    """The city's local day now."""
    return local_day(now())


def to_local(at: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as an aware time in the city's zone."""
    return at.replace(tzinfo=dt.UTC).astimezone(_zone)


def local_day(at: dt.datetime) -> dt.date:
    """The city's local day of a stored (naive UTC) time."""
    return to_local(at).date()


def from_local(at: dt.datetime) -> dt.datetime:
    """A local time (naive: the city's wall clock; aware: any zone) as stored naive UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=_zone)
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def local_instant(day: dt.date, time: dt.time) -> dt.datetime:
    """The stored (naive UTC) time of ``time`` on the city's local ``day``."""
    return from_local(dt.datetime.combine(day, time))


def parse_instant(text: str) -> dt.datetime:
    """``2026-12-07T10:00+08:00`` (an ISO 8601 time with its offset, or ``Z``) as naive UTC."""
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(f"时间 {text!r} 不是 ISO 8601 格式（例如 2026-12-07T10:00+08:00）") from exc
    if at.tzinfo is None:
        raise ClockError(f"时间 {text!r} 缺少时区（例如 +08:00 或 Z）")
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def start_at(instant: dt.datetime, *, since: dt.datetime | None = None) -> None:
    """Set the clock to ``instant`` (naive UTC) now, or as of the real time ``since`` (naive UTC), so that
    several processes told the same pair show the same time; it runs on from there."""
    global _offset
    _offset = instant - (since or real_now())


def real_now() -> dt.datetime:
    """The real time, as naive UTC, whatever the clock was set to."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def reset() -> None:
    """Back to the real time."""
    global _offset
    _offset = dt.timedelta(0)


def is_set() -> bool:
    return _offset != dt.timedelta(0)
