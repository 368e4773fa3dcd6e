"""Inspection plans (事前备案). Every item goes through the catalogue gate."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from checklists.gate import require_items

from ..errors import InvalidInput, NotPermitted
from ..models import InspectionPlan, User
from .events import append_event, utcnow

LEAD_METHODS = ("key", "special")


def create_plan(session: Session, actor: User, *, title: str, period_start: dt.date, period_end: dt.date,
                item_codes: list[str], lead: str | None = None) -> InspectionPlan:
    """Create a draft plan of the actor's department on published catalogue items."""
    if actor.role != "department" or actor.department is None:
        raise NotPermitted("只有执法部门账号可以编制检查计划")
    if period_end < period_start:
        raise InvalidInput("计划结束日期早于开始日期", fields={"period_end": "早于开始日期"})
    items = require_items(session, item_codes, department=actor.department, on=period_start)
    if period_end != period_start:
        require_items(session, item_codes, department=actor.department, on=period_end)
    needs_lead = [i.code for i in items if i.method in LEAD_METHODS]
    if needs_lead and not (lead and lead.strip()):
        raise InvalidInput(f"重点检查、专项检查事项（{'、'.join(needs_lead)}）须记录线索来源（无线索不检查）",
                           fields={"lead": "必填"})
    plan = InspectionPlan(department=actor.department, title=title.strip(), period_start=period_start,
                          period_end=period_end, status="draft", lead=(lead or "").strip() or None,
                          created_by=actor, created_at=utcnow(), items=items)
    session.add(plan)
    session.flush()
    append_event(session, actor, "plan.created", f"plan:{plan.id}",
                 {"department": actor.department.code, "title": plan.title,
                  "period": [period_start, period_end], "items": [f"{i.code}@{i.version}" for i in items]})
    return plan
