"""A day of confirmed visits with a sign-in for every officer on them: what drills, concurrency tests
and load tests start from. Goes through the real gates: a filed plan, its draw, a built and
confirmed schedule."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock

from ..models import User, Visit
from ..operations.accounts import create_user
from ..operations.draws import draw_plan
from ..operations.entries import firm_token
from ..operations.plans import create_plan, file_plan
from ..operations.schedules import BuildOptions, confirm_schedule, execute_run, start_build
from .approvals import approve_filed
from .city import DEMO_PASSWORD


@dataclass
class TodayVisit:
    visit_id: int
    firm_uscc: str
    token: str
    officers: list[str]  # usernames of the team, each signs in with the demo password


def todays_visits(session: Session, *, department: str = "market", item: str = "SC-003", ratio: float = 0.3,
                  days: int = 7, time_limit: float = 5) -> list[TodayVisit]:
    """File, draw, schedule and confirm a plan whose window starts today; the visits on today."""
    today = clock.today()
    planner = session.scalar(select(User).where(User.username == department))
    plan = create_plan(session, planner, title=f"{today} 现场演练", period_start=today,
                       period_end=min(today + dt.timedelta(days=days - 1), dt.date(today.year, 12, 31)), item_codes=[item],
                       ratios={c: ratio for c in "ABCD"})
    file_plan(session, planner, plan)
    approve_filed(session, plan)
    draw_plan(session, planner, plan)
    execute_run(session, start_build(session, planner, plan), BuildOptions(time_limit=time_limit, workers=1))
    confirm_schedule(session, planner, plan)
    visits = session.scalars(select(Visit).where(Visit.day == today, Visit.status == "confirmed")
                             .order_by(Visit.id)).all()
    out = []
    for visit in visits:
        names = []
        for member in visit.officers:
            user = session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
                session, None, username=f"officer-{member.officer.certificate_no}", password=DEMO_PASSWORD,
                role="inspector", display_name=member.officer.name, officer=member.officer)
            names.append(user.username)
        out.append(TodayVisit(visit.id, visit.firm.uscc, firm_token(session, visit.firm).token, names))
    return out
