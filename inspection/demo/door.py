"""The demo city at the door: a November entry on a recorded complaint, an emergency entry whose lead
was never back-filed, a firm's report of an inspection without a valid code, and a complaint recorded
for the demo firm ``firm3`` that the market inspectors can enter on today."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Firm, Officer, User
from ..operations.accounts import create_user
from ..operations.approvals import approve_plan
from ..operations.door import Lead, report_no_code
from ..operations.entries import firm_token, record_finding, record_outcome, scan_in, scan_out
from ..operations.risk import record_lead
from .approvals import head_of
from .papers import notify, sign, tell

DEMO_PASSWORD = "demo1234"
SECRET = "demo-history"    # codes of past visits are never shown again
DEMO_LEAD = "12345-2026-1201"


def _officers(session: Session, department: str, day: dt.date, n: int = 2) -> list[User]:
    """Accounts of the department's first certified officers (made for the demo's past entries)."""
    officers = session.scalars(select(Officer).where(Officer.department.has(code=department), Officer.kind == "enforcement",
                                                     Officer.valid_from <= day, Officer.valid_to >= dt.date(2027, 12, 31))
                               .order_by(Officer.certificate_no.desc())).all()[:n]
    users = []
    for officer in officers:
        user = session.scalar(select(User).where(User.officer_id == officer.id)) or create_user(
            session, None, username=f"officer-{officer.certificate_no}", password=DEMO_PASSWORD, role="inspector",
            display_name=officer.name, officer=officer)
        users.append(user)
    return users


def _enter_and_leave(session: Session, team: list[User], firm: Firm, lead: Lead, at: dt.datetime,
                     task_source: str) -> None:
    """The entry, its papers (notice, signed record, result notice) and the head's approval afterwards
    (事后补办), the working day after the entry."""
    token = firm_token(session, firm).token
    result = scan_in(session, team[0], token, now=at, secret=SECRET, lead=lead)
    for n, member in enumerate(team[1:], start=1):
        result = scan_in(session, member, token, now=at + dt.timedelta(minutes=3 * n), secret=SECRET)
    visit = result.visit
    notify(session, visit, at + dt.timedelta(minutes=5))
    for task in visit.tasks:
        for item in task.plan.items:
            for point in item.points:
                record_finding(session, team[0], visit, task.id, point.id, "compliant", now=at + dt.timedelta(minutes=20))
            record_outcome(session, team[0], visit, task.id, item.code, "no_problem", now=at + dt.timedelta(minutes=40))
    sign(session, visit, team, random.Random(visit.id), at + dt.timedelta(minutes=60))
    scan_out(session, team[0], visit, now=at + dt.timedelta(minutes=65))
    plan = visit.tasks[0].plan
    approve_plan(session, head_of(session, plan.department_id), plan, task_source=task_source,
                 opinion="情况紧急或线索明确，先行入企，同意补办审批", at=at + dt.timedelta(days=1))
    tell(session, visit, at + dt.timedelta(days=1, hours=2))


def make_door_history(session: Session, today: dt.date, firm_for_lead: Firm | None) -> dict[str, int]:
    made = {"unplanned": 0, "emergency": 0, "reports": 0, "leads": 0}
    market = session.scalar(select(User).where(User.username == "market"))
    if dt.date(2026, 11, 27) < today <= dt.date(2027, 2, 1):   # the November story, while its leads are fresh
        restaurant = session.scalars(select(Firm).where(Firm.industry == "餐饮服务").order_by(Firm.uscc.desc())).first()
        lead = record_lead(session, market, restaurant, kind="complaint", received_on=dt.date(2026, 11, 9),
                           reference="12345-2026-1109", summary="市民投诉餐馆后厨卫生条件差、有异味")
        lead.recorded_at = dt.datetime(2026, 11, 9, 2, 0)   # recorded the day it came in, the day before the entry
        _enter_and_leave(session, _officers(session, "market", dt.date(2026, 11, 10)), restaurant,
                         Lead(kind="complaint", reference="12345-2026-1109", item="SC-003"),
                         dt.datetime(2026, 11, 10, 2, 0), "complaint")
        factory = session.scalars(select(Firm).where(Firm.industry == "机械制造").order_by(Firm.uscc.desc())).first()
        _enter_and_leave(session, _officers(session, "emergency", dt.date(2026, 11, 16)), factory,
                         Lead(kind="hazard", item="YJ-005", emergency=True, entered_at=dt.datetime(2026, 11, 16, 1, 10)),
                         dt.datetime(2026, 11, 16, 1, 40), "accident")
        made["unplanned"], made["emergency"] = 1, 1
        reporter = session.scalar(select(User).where(User.username == "firm2"))
        if reporter is not None:
            report_no_code(session, reporter, reporter.firm, occurred_at=dt.datetime(2026, 11, 25, 6, 30),
                           officers="两名自称安全检查人员，未出示执法证和检查码", department="自称应急管理部门",
                           description="要求进入车间检查，企业请其出示检查码时离开", now=dt.datetime(2026, 11, 25, 7, 0))
            made["reports"] = 1
    if firm_for_lead is not None:
        record_lead(session, market, firm_for_lead, kind="complaint", received_on=today - dt.timedelta(days=1),
                    reference=DEMO_LEAD, summary="消费者投诉就餐后身体不适，怀疑食材变质")
        made["leads"] = 1
    return made
