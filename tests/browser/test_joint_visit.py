"""A joint visit of three departments on phones: market enters with both officers, fire's one officer waits
and cannot record, health never comes. The firm's 亮码 page lists only who scanned in; market leaves
(after the phone asks) and the visit ends with fire's and health's tasks unperformed."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import clock
from inspection.models import Firm, InspectionPlan, InspectionTask, Officer, User, Visit, VisitOfficer
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token
from inspection.operations.events import utcnow
from tests.approvals import approve_on
from tests.browser.steps import leave, record_item_compliant

pytestmark = pytest.mark.browser


def _plan(api, live_app, live_server, item, today):
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": f"联合检查演练 {item}", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=6)).isoformat(), "items": [item],
        "ratios": {c: 0.01 for c in "ABCD"}}).json()
    for action in ("file", "draw"):
        if action == "draw":
            approve_on(live_app, plan["id"])
        assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/{action}").ok
    return plan["id"]


def test_three_departments_at_one_door(browser, page, phones, live_app, live_server, sign_in, shot):
    today = clock.today()
    plans = {}
    for department, item in (("market", "SC-003"), ("fire", "XF-002"), ("health", "WJ-001")):
        page.context.clear_cookies()
        sign_in(page, department)
        plans[department] = _plan(page.request, live_app, live_server, item, today)

    with live_app.extensions["db_factory"]() as session:
        firm = session.scalars(select(Firm).where(Firm.industry == "住宿").order_by(Firm.uscc)).first()
        visit = Visit(firm_id=firm.id, day=today, status="confirmed", locked=False, created_at=utcnow())
        session.add(visit)
        session.flush()
        users: dict[str, list[str]] = {}
        for department, plan_id in plans.items():
            plan = session.get(InspectionPlan, plan_id)
            task = session.scalar(select(InspectionTask).where(InspectionTask.plan_id == plan_id,
                                                               InspectionTask.firm_id == firm.id))
            if task is None:      # the draw did not pick the firm (it may have)
                task = InspectionTask(plan_id=plan_id, firm_id=firm.id, on_site=True, window_start=today,
                                      window_end=today + dt.timedelta(days=6))
                session.add(task)
            task.status, task.visit_id = "scheduled", visit.id
            with_accounts = select(User.officer_id).where(User.officer_id.is_not(None))
            officers = session.scalars(select(Officer).where(
                Officer.department_id == plan.department_id, Officer.kind == "enforcement",
                Officer.valid_from <= today, Officer.valid_to >= today, Officer.id.not_in(with_accounts))
                .order_by(Officer.id).limit(2)).all()
            users[department] = []
            for n, officer in enumerate(officers):
                session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=plan.department_id))
                create_user(session, None, username=f"joint-{department}-{n}", password="demo1234", role="inspector",
                            display_name=officer.name, officer=officer)
                users[department].append(f"joint-{department}-{n}")
        token, visit_id = firm_token(session, firm).token, visit.id
        absent = [o.officer.name for o in session.scalars(select(VisitOfficer).where(VisitOfficer.visit_id == visit.id))
                  if o.department.code in ("fire", "health")]
        session.commit()

    market1, market2, fire1, firm_phone = phones(), phones(), phones(), phones()
    sign_in(market1, users["market"][0])
    market1.goto(f"{live_server}/scan/{token}")
    market1.click("main button[type=submit]")
    sign_in(fire1, users["fire"][0])
    fire1.goto(f"{live_server}/scan/{token}")
    fire1.click("main button[type=submit]")
    assert "等待同组另一名持证执法人员" in fire1.locator("main").inner_text()
    sign_in(market2, users["market"][1])
    market2.goto(f"{live_server}/scan/{token}")
    market2.click("main button[type=submit]")
    assert "入企登记完成" in market2.locator(".alert.success").inner_text()
    shot(market2, "joint-1-market-entered")

    # Fire's officer is at the door alone: fire's part has not started, its sheet cannot be saved.
    fire1.goto(f"{live_server}/visits/{visit_id}")
    presence = fire1.locator("#presence").inner_text()
    assert "市场监管" in presence and "在场检查中" in presence and "未入企" in presence
    assert fire1.locator("form#item-XF-002 button[type=submit]").count() == 0
    assert fire1.locator("form#item-XF-002 input[type=radio]").first.is_disabled()
    assert fire1.locator("#verify-link").count() == 0      # no inspection code to show for a part not started
    shot(fire1, "joint-2-fire-waits")

    # 亮码: the firm sees the two market officers who scanned in, and nobody else.
    verify_url = market2.locator("#verify-link").get_attribute("href")
    firm_phone.goto(f"{live_server}{verify_url}")
    assert "检查码有效" in firm_phone.locator("#verify-state").inner_text()
    assert firm_phone.locator("#presence .officer").count() == 2
    text = firm_phone.locator("main").inner_text()
    assert all(name not in text for name in absent), "an officer who never made his department's entry is listed"
    assert "未入企" in text
    shot(firm_phone, "joint-3-firm-verifies")

    # Market records its item and leaves; the phone asks first; the visit ends.
    record_item_compliant(market2, "SC-003")
    question, answer = leave(market2)
    assert "市场监管" in question and "本次检查已结束" in answer
    shot(market2, "joint-4-market-left")
    firm_phone.goto(f"{live_server}{verify_url}")
    assert "检查码对应的检查已经结束" in firm_phone.locator("#verify-state").inner_text()
    with live_app.extensions["db_factory"]() as session:
        visit = session.get(Visit, visit_id)
        assert visit.status == "completed" and {t.plan.department.code for t in visit.tasks} == {"market"}
        left_over = session.scalars(select(InspectionTask).where(InspectionTask.plan_id.in_(
            [plans["fire"], plans["health"]]), InspectionTask.firm_id == visit.firm_id)).all()
        assert left_over and all(t.visit_id is None and t.status == "pending" for t in left_over)
