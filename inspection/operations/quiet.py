"""Quiet periods (企业宁静期): declared by the city, a district or, for one firm, its department."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..calendar import working_days
from ..errors import InvalidInput, NotPermitted
from ..models import District, Firm, QuietPeriod, User
from .events import append_event


def declare_quiet_period(session: Session, actor: User, *, scope: str, reason: str,
                         district: District | None = None, firm: Firm | None = None,
                         days_of_month: list[int] | None = None, start: dt.date | None = None,
                         end: dt.date | None = None) -> QuietPeriod:
    """City and district quiet periods are declared by oversight or admin; a firm's own busy
    season is approved by a department whose jurisdiction covers the firm."""
    if scope in ("city", "district") and actor.role not in ("oversight", "admin"):
        raise NotPermitted("全市或区县宁静期由监督机构或管理员设定")
    if scope == "firm":
        if firm is None:
            raise InvalidInput("企业宁静期须指定企业", fields={"firm": "必填"})
        if actor.role != "department" or firm.district_id not in {d.id for d in actor.department.districts}:
            raise NotPermitted("企业宁静期须由对该企业有管辖权的执法部门批准")
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
                         reason=reason.strip(), declared_by_id=actor.id)
    session.add(period)
    session.flush()
    append_event(session, actor, "quiet_period.declared", f"quiet:{period.id}",
                 {"scope": scope, "district": district.code if district else None,
                  "firm": firm.uscc if firm else None, "days_of_month": period.days_of_month,
                  "range": [start, end] if start else None, "reason": period.reason})
    return period


def quiet_days(session: Session, firms: list[tuple[int, int]], start: dt.date, end: dt.date) -> dict[int, set[dt.date]]:
    """Quiet working days in [start, end] of each ``(firm id, district id)``."""
    if not firms:
        return {}
    district_ids = {d for _, d in firms}
    firm_ids = {f for f, _ in firms}
    periods = session.scalars(select(QuietPeriod).where(or_(
        QuietPeriod.scope == "city",
        (QuietPeriod.scope == "district") & QuietPeriod.district_id.in_(district_ids),
        (QuietPeriod.scope == "firm") & QuietPeriod.firm_id.in_(firm_ids)))).all()
    if not periods:
        return {}
    days = working_days(start, end)
    city, by_district, by_firm = set(), defaultdict(set), defaultdict(set)
    for period in periods:
        covered = {d for d in days if period.covers(d)}
        if period.scope == "city":
            city |= covered
        elif period.scope == "district":
            by_district[period.district_id] |= covered
        else:
            by_firm[period.firm_id] |= covered
    return {firm_id: city | by_district[district_id] | by_firm[firm_id] for firm_id, district_id in firms}
