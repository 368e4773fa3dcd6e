"""Quiet periods (企业宁静期): declared by the city, a district or, for one firm, its department."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import clock

from ..errors import InvalidInput, NotPermitted
from ..models import District, Firm, QuietPeriod, User
from ..pure.calendar import working_days
from .city_rules import city_rule_limit
from .events import append_event


def max_days(session: Session) -> int:
    """The most days of quiet a firm may have in a year, and so the longest one period (the city's rules)."""
    return city_rule_limit(session, "quiet_period_max_days")


def _check_firm_period(session: Session, actor: User, firm: Firm | None, start: dt.date | None, end: dt.date | None,
                       days_of_month: list[int] | None, evidence: str | None) -> int | None:
    """Who may declare a firm's period and its shape; returns the department it binds (None: every one)."""
    if firm is None:
        raise InvalidInput("企业宁静期须指定企业", fields={"firm": "必填"})
    if actor.role == "department":
        if firm.district_id not in {d.id for d in actor.department.districts}:
            raise NotPermitted("企业宁静期须由对该企业有管辖权的执法部门批准")
        binds = actor.department_id
    elif actor.role == "oversight":
        if not (evidence or "").strip():
            raise InvalidInput("约束所有部门的企业宁静期须附依据", fields={"evidence": "必填"})
        binds = None
    else:
        raise NotPermitted("企业宁静期由执法部门（仅约束本部门）或监督机构（约束所有部门）设定")
    if days_of_month is not None or start is None or end is None:
        raise InvalidInput("企业宁静期须给出起止日期", fields={"end": "必填"})
    cap = max_days(session)
    if end >= start and (end - start).days + 1 > cap:
        raise InvalidInput(f"企业宁静期不得超过 {cap} 天", fields={"end": f"不得超过 {cap} 天"})
    return binds


def declare_quiet_period(session: Session, actor: User, *, scope: str, reason: str,
                         district: District | None = None, firm: Firm | None = None,
                         days_of_month: list[int] | None = None, start: dt.date | None = None,
                         end: dt.date | None = None, evidence: str | None = None) -> QuietPeriod:
    """City and district quiet periods are declared by oversight or admin. A firm's own busy season
    approved by a department whose jurisdiction covers the firm binds that department's plans only;
    one binding every department is declared by oversight, with its evidence. A firm's period has an
    end and lasts at most ``quiet_period_max_days``."""
    binds = None
    if scope in ("city", "district") and actor.role not in ("oversight", "admin"):
        raise NotPermitted("全市或区县宁静期由监督机构或管理员设定")
    if scope == "firm":
        binds = _check_firm_period(session, actor, firm, start, end, days_of_month, evidence)
    if scope == "district" and district is None:
        raise InvalidInput("区县宁静期须指定区县", fields={"district": "必填"})
    if days_of_month is None and (start is None or end is None):
        raise InvalidInput("请给出每月的日期，或起止日期", fields={"days_of_month": "与起止日期二选一"})
    if days_of_month is not None and (not days_of_month or any(not 1 <= d <= 31 for d in days_of_month)):
        raise InvalidInput("每月日期应在 1 至 31 之间", fields={"days_of_month": "应在 1 至 31 之间"})
    if start and end and end < start:
        raise InvalidInput("结束日期早于开始日期", fields={"end": "早于开始日期"})
    if not reason.strip():
        raise InvalidInput("请说明宁静期的理由", fields={"reason": "必填"})
    period = QuietPeriod(scope=scope, district_id=district.id if district and scope == "district" else None,
                         firm_id=firm.id if firm and scope == "firm" else None,
                         days_of_month=sorted(set(days_of_month)) if days_of_month else None, start=start, end=end,
                         reason=reason.strip(), declared_by_id=actor.id, department_id=binds,
                         evidence=(evidence or "").strip() or None, declared_on=clock.today())
    session.add(period)
    session.flush()
    append_event(session, actor, "quiet_period.declared", f"quiet:{period.id}",
                 {"scope": scope, "district": district.code if district else None,
                  "firm": firm.uscc if firm else None, "days_of_month": period.days_of_month,
                  "range": [start, end] if start else None, "reason": period.reason,
                  "department": actor.department.code if binds else None, "evidence": period.evidence})
    return period


def quiet_cover(session: Session, firms: list[tuple[int, int]], start: dt.date, end: dt.date,
                departments: set[int] | None = None) -> dict[int, dict[dt.date, set[int]]]:
    """The quiet periods covering each working day in [start, end] of each ``(firm id, district id)``:
    city, district and firm-wide periods, and firm periods of the ``departments`` given."""
    if not firms:
        return {}
    district_ids = {d for _, d in firms}
    firm_ids = {f for f, _ in firms}
    own = QuietPeriod.department_id.is_(None)
    if departments:
        own = own | QuietPeriod.department_id.in_(departments)
    periods = session.scalars(select(QuietPeriod).where(or_(
        QuietPeriod.scope == "city",
        (QuietPeriod.scope == "district") & QuietPeriod.district_id.in_(district_ids),
        (QuietPeriod.scope == "firm") & QuietPeriod.firm_id.in_(firm_ids) & own))).all()
    if not periods:
        return {}
    days = working_days(start, end)
    cover: dict[int, dict[dt.date, set[int]]] = {firm_id: defaultdict(set) for firm_id, _ in firms}
    for firm_id, district_id in firms:
        for period in periods:
            if (period.scope == "district" and period.district_id != district_id
                    or period.scope == "firm" and period.firm_id != firm_id):
                continue
            for day in days:
                if period.covers(day):
                    cover[firm_id][day].add(period.id)
    return cover


def quiet_days(session: Session, firms: list[tuple[int, int]], start: dt.date, end: dt.date,
               departments: set[int] | None = None) -> dict[int, set[dt.date]]:
    """Quiet working days in [start, end] of each ``(firm id, district id)`` for plans of ``departments``."""
    return {firm_id: set(days) for firm_id, days in quiet_cover(session, firms, start, end, departments).items()}
