"""The whole day on phones: the inspector sees today's visit, scans in with a partner, records findings and
scans out; the firm verifies the inspection code, reads its record and evaluates; the result is published."""
import datetime as dt
import re
import time

import pytest
from sqlalchemy import select

from inspection.models import InspectionTask, User, Visit
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token, local_today
from inspection.operations.events import utcnow
from tests.approvals import approve_on
from tests.browser.steps import leave, record_item_compliant

pytestmark = pytest.mark.browser


def test_a_day_of_inspection(browser, page, phones, live_app, live_server, sign_in, shot):
    today = local_today(utcnow())
    sign_in(page, "market")
    api = page.request
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": "本周餐饮服务单位双随机检查", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=6)).isoformat(), "items": ["SC-003"],
        "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"]}).json()
    for action in ("file", "draw"):
        if action == "draw":
            approve_on(live_app, plan["id"])
        assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/{action}").ok
    run = api.post(f"{live_server}/api/v1/plans/{plan['id']}/schedule").json()
    for _ in range(120):
        if api.get(f"{live_server}/api/v1/schedule-runs/{run['id']}").json()["status"] == "done":
            break
        time.sleep(0.5)
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/confirm").ok

    with live_app.extensions["db_factory"]() as session:
        visit = session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                                .where(InspectionTask.plan_id == plan["id"])
                                .order_by((Visit.day == today).desc(), Visit.id)).first()
        users = []
        for n, member in enumerate(visit.officers):
            user = session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
                session, None, username=f"day-officer-{n}", password="demo1234", role="inspector",
                display_name=member.officer.name, officer=member.officer)
            users.append(user.username)
        firm_user = session.scalar(select(User).where(User.firm_id == visit.firm_id)) or create_user(
            session, None, username="day-firm", password="demo1234", role="enterprise", display_name=visit.firm.name,
            firm=visit.firm)
        token, firm_name, visit_id = firm_token(session, visit.firm).token, visit.firm.name, visit.id
        firm_username = firm_user.username
        session.commit()

    first, second, firm = phones(), phones(), phones()
    sign_in(first, users[0])
    # The firm may have another visit of the team this week (SC-003 allows two a year): find this one.
    assert firm_name in first.locator(f'.visit-card[href$="/visits/{visit_id}"]').inner_text()
    shot(first, "day-1-inspector-home")
    first.goto(f"{live_server}/scan/{token}")
    first.click("main button[type=submit]")
    assert "等待同组另一名持证执法人员" in first.locator("main").inner_text(), first.locator("main").inner_text()

    sign_in(second, users[1])
    second.goto(f"{live_server}/scan/{token}")
    second.click("main button[type=submit]")
    assert "入企登记完成" in second.locator(".alert.success").inner_text()
    assert second.locator("#inspection-code .qr svg").is_visible()
    shot(second, "day-2-entered-with-code")
    verify_url = second.locator("#verify-link").get_attribute("href")

    firm.goto(f"{live_server}{verify_url}")
    assert "检查码有效" in firm.locator("#verify-state").inner_text()
    assert firm.locator(".officer").count() == 2 and "SC-003" in firm.content()
    shot(firm, "day-3-firm-verifies-code")

    record_item_compliant(second, "SC-003")
    shot(second, "day-4-findings")
    question, answer = leave(second)
    assert "本次检查随之结束" in question                      # the phone asks before the department leaves
    assert re.search(r"历时 \d+ 分钟", answer) and "本次检查已结束" in answer

    sign_in(firm, firm_username)
    firm.click("text=本企业")
    record = firm.locator(f"#visit-{visit_id}")
    assert "未发现问题" in record.inner_text()
    record.locator("input[name=score][value='4']").check()
    record.locator("textarea[name=comment]").fill("检查规范，用时较短")
    record.locator("button[type=submit]").click()
    assert "评价已提交" in firm.locator(".alert.success").inner_text()
    shot(firm, "day-5-firm-record-evaluated")

    page.goto(f"{live_server}/plans/{plan['id']}/results")
    page.locator(f"form[action$='/visits/{visit_id}/publish'] button").click()
    assert "检查结果已公示" in page.locator(".alert.success").inner_text()
    public = browser.new_page()
    public.goto(f"{live_server}/public/firms/{firm_name and visit_uscc(live_app, visit_id)}")
    assert "未发现问题" in public.content()
    shot(public, "day-6-public-result")
    public.close()


def visit_uscc(app, visit_id):
    with app.extensions["db_factory"]() as session:
        return session.get(Visit, visit_id).firm.uscc
