"""The city's rules set on the platform: the hours in which scans into firms are accepted, the longest
quiet period of a firm and the shortest department part of a visit. The city file gives each its default;
a value set here (by an administrator, 系统管理员) takes precedence for every later check. A value is read
by the same parser as the city file's (``inspection.pure.calendar``), so the form accepts exactly what the file
accepts."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotPermitted
from ..models import CityRule, User
from ..pure.calendar import LIMITS, city_limit, parse_limit, parse_working_hours, working_hours
from .events import append_event, utcnow

# The rules that may be set, with their labels; defaults come from the city file.
RULE_LABELS = {"working_hours": "受理扫码入企的时段",
               "quiet_period_max_days": LIMITS["quiet_period_max_days"][0],
               "min_visit_minutes": LIMITS["min_visit_minutes"][0]}
DEFAULT_LIMITS = {"quiet_period_max_days": 30, "min_visit_minutes": 10}


def _stored(session: Session, name: str):
    row = session.get(CityRule, name)
    return None if row is None else row.value


def stored_rule(name: str):
    """The value set on the platform for rule ``name`` (null when unset), as a scalar subquery: a query that
    reads other rows can bring the rule along (the scan at the door reads the firm and its hours at once)."""
    return select(CityRule.value).where(CityRule.name == name).scalar_subquery()


def hours_of(value) -> tuple[dt.time, dt.time]:
    """The working hours a stored value gives (``None``: the city file's)."""
    return parse_working_hours(value) if value is not None else working_hours()


def city_working_hours(session: Session) -> tuple[dt.time, dt.time]:
    """The hours in which scans into firms are accepted: as set on the platform, else the city file's."""
    return hours_of(_stored(session, "working_hours"))


def city_rule_limit(session: Session, name: str) -> int:
    """A numeric limit of the city (``quiet_period_max_days``, ``min_visit_minutes``): as set on the
    platform, else the city file's, else the built-in default."""
    value = _stored(session, name)
    return parse_limit(name, value) if value is not None else city_limit(name, DEFAULT_LIMITS[name])


def current_rules(session: Session) -> dict:
    """Each rule as the city file writes it, whether it is set on the platform, and by whom and when."""
    start, end = city_working_hours(session)
    rows = {row.name: row for row in session.scalars(select(CityRule))}
    values = {"working_hours": [f"{start:%H:%M}", f"{end:%H:%M}"],
              "quiet_period_max_days": city_rule_limit(session, "quiet_period_max_days"),
              "min_visit_minutes": city_rule_limit(session, "min_visit_minutes")}
    return {name: {"label": RULE_LABELS[name], "value": value, "set": rows.get(name)} for name, value in values.items()}


def set_city_rules(session: Session, actor: User, values: dict) -> dict:
    """Set the rules given in ``values`` (each as the city file writes it; strings from a form are read the
    same way). Every value is checked first: one bad value refuses all, naming its field, and nothing is
    written. Returns the ``{rule: [old, new]}`` diff (empty when nothing changed), which is the event's
    payload."""
    if actor.role != "admin":
        raise NotPermitted("全市的入企时段和宁静期、入企时长规则由系统管理员设定")
    unknown = sorted(set(values) - set(RULE_LABELS))
    if unknown:
        raise InvalidInput(f"未知规则：{'、'.join(unknown)}", fields={name: "未知规则" for name in unknown})
    parsed, errors = {}, {}
    for name, value in values.items():
        try:
            if name == "working_hours":
                start, end = parse_working_hours(value)
                parsed[name] = [f"{start:%H:%M}", f"{end:%H:%M}"]
            else:
                parsed[name] = parse_limit(name, value)
        except ValueError as err:
            errors[name] = str(err)
    if errors:
        raise InvalidInput("；".join(f"{RULE_LABELS[name]}：{message}" for name, message in errors.items())
                           + "。未作任何更改", fields=errors)
    before = {name: rule["value"] for name, rule in current_rules(session).items()}
    diff = {name: [before[name], value] for name, value in parsed.items() if before[name] != value}
    if not diff:
        return diff
    now = utcnow()
    for name in diff:
        row = session.get(CityRule, name)
        if row is None:
            row = CityRule(name=name)
            session.add(row)
        row.value, row.changed_at, row.changed_by_id = parsed[name], now, actor.id
    session.flush()
    append_event(session, actor, "city.rules_changed", "city", diff)
    return diff
