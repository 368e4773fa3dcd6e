"""Who may inspect whom: departments' yearly caps per firm and officers' conflicts of interest."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..errors import InvalidInput, InvalidState, NotPermitted
from ..models import Department, Firm, Officer, OfficerConflict, User
from .events import append_event


def set_yearly_cap(session: Session, actor: User, department: Department, cap: int | None) -> Department:
    """A department publishes its cap of inspections per firm and year (国办发〔2024〕54号)."""
    if actor.role != "department" or actor.department_id != department.id:
        raise NotPermitted("只有本部门可以设定本部门的年度检查次数上限")
    if cap is not None and not 1 <= cap <= 12:
        raise InvalidInput("年度检查次数上限应在 1 至 12 之间", fields={"yearly_cap": "应在 1 至 12 之间"})
    old = department.yearly_cap
    department.yearly_cap = cap
    session.flush()
    append_event(session, actor, "department.yearly_cap", f"department:{department.code}",
                 {"yearly_cap": [old, cap]})
    return department


def declare_conflict(session: Session, actor: User, officer: Officer, firm: Firm, reason: str) -> OfficerConflict:
    """Record that ``officer`` must withdraw (回避) from inspections of ``firm``."""
    if not (actor.role == "department" and actor.department_id == officer.department_id
            or actor.role == "inspector" and actor.officer_id == officer.id):
        raise NotPermitted("回避情形由执法人员本人或其所在部门申报")
    if not reason.strip():
        raise InvalidInput("请说明回避理由", fields={"reason": "必填"})
    if session.get(OfficerConflict, (officer.id, firm.id)) is not None:
        raise InvalidState("该回避情形已申报")
    conflict = OfficerConflict(officer_id=officer.id, firm_id=firm.id, reason=reason.strip())
    session.add(conflict)
    session.flush()
    append_event(session, actor, "officer.conflict_declared", f"officer:{officer.certificate_no}",
                 {"firm": firm.uscc, "reason": conflict.reason})
    return conflict
