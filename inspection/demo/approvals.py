"""The demo departments' responsible persons approve the demo's filed plans (凡检查必审批)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import InspectionPlan, User
from ..operations.approvals import approve_plan


def head_of(session: Session, department_id: int) -> User:
    head = session.scalar(select(User).where(User.role == "department_head", User.department_id == department_id)
                          .order_by(User.id).limit(1))
    if head is None:
        raise LookupError(f"部门 {department_id} 没有负责人账号")
    return head


def approve_filed(session: Session, plan: InspectionPlan, task_source: str = "random") -> None:
    """The plan's department head approves it as the demo's plans are approved: a random check."""
    approve_plan(session, head_of(session, plan.department_id), plan, task_source=task_source,
                 opinion="同意按计划实施")
