"""非现场核查 on phones: the inspector sends the checklist, the firm uploads its documents and hands them in,
the inspector accepts points and escalates one, and the escalated task is placed by the next schedule."""
import datetime as dt

import pytest
from sqlalchemy import select

from core import clock
from inspection.models import FirmRecord, InspectionTask, Officer, User
from inspection.operations.accounts import create_user
from tests.approvals import approve_on

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"


def test_offsite_check_escalates_into_the_schedule(browser, page, phones, live_app, live_server, sign_in, shot):
    today = clock.today()
    sign_in(page, "market")
    api = page.request
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": "许可事项非现场核查（浏览器测试）", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=20)).isoformat(), "items": ["SC-011"],
        "ratios": {c: 1.0 for c in "ABCD"}, "target_districts": ["370502"]}).json()
    assert plan["on_site"] is False
    for action in ("file", "draw"):
        if action == "draw":
            approve_on(live_app, plan["id"])
        assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/{action}").ok
    with live_app.extensions["db_factory"]() as session:
        tasks = session.scalars(select(InspectionTask).where(InspectionTask.plan_id == plan["id"])).all()
        licensed = {r.firm_id for r in session.scalars(select(FirmRecord).where(FirmRecord.kind == "licence"))
                    if r.valid_from <= today <= r.valid_to}
        task = next(t for t in tasks if t.firm_id in licensed)
        firm_name, uscc = task.firm.name, task.firm.uscc
        officer = session.scalars(select(Officer).where(Officer.department.has(code="market"),
                                                        Officer.kind == "enforcement", Officer.valid_to > today,
                                                        Officer.valid_from <= today)).first()
        inspector = session.scalar(select(User).where(User.officer_id == officer.id)) or create_user(
            session, None, username="offsite-officer", password="demo1234", role="inspector",
            display_name=officer.name, officer=officer)
        firm_user = create_user(session, None, username="offsite-firm", password="demo1234", role="enterprise",
                                display_name=firm_name, firm=task.firm)
        names = inspector.username, firm_user.username
        session.commit()

    officer_phone, firm_phone = phones(), phones()
    sign_in(officer_phone, names[0])
    officer_phone.goto(f"{live_server}/offsite")
    card = officer_phone.locator(".card", has_text=firm_name).first
    card.locator("button:has-text('发出材料清单')").click()
    assert "材料清单已发送" in officer_phone.locator(".alert.success").inner_text()
    assert officer_phone.locator("text=平台数据核验通过").count() == 1  # the licence the platform holds
    shot(officer_phone, "offsite-1-sent")
    request_url = officer_phone.url

    sign_in(firm_phone, names[1])
    firm_phone.goto(f"{live_server}/firms/{uscc}")
    firm_phone.locator("a.card", has_text="请于").first.click()
    assert firm_phone.url == request_url
    points = firm_phone.locator("form.upload")
    assert points.count() == 3
    for n, name in ((0, "经营场所照片及菜单.pdf"), (1, "健康证明.pdf"), (2, "进货查验记录.pdf")):
        form = firm_phone.locator("form.upload").nth(n)
        form.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": "application/pdf",
                                                                 "buffer": PDF + name.encode()}])
        form.locator("button:has-text('保存本要点材料')").click()
        assert "材料已保存" in firm_phone.locator(".alert.success").inner_text()
    shot(firm_phone, "offsite-2-firm-uploaded")
    firm_phone.click("main button:has-text('提交审核')")
    assert "材料已提交" in firm_phone.locator(".alert.success").inner_text()

    officer_phone.goto(request_url)
    assert officer_phone.locator("text=健康证明.pdf").is_visible()
    decisions = officer_phone.locator("#review li[id^=point-]")
    choices = {1: "compliant", 2: "escalate", 3: "compliant"}   # the first point was proved by the platform's data
    for n, value in choices.items():
        decisions.nth(n).locator(f"input[type=radio][value={value}]").check()
    officer_phone.fill("#escalation_reason", "健康证明上的姓名与从业人员名单不一致，须现场核实")
    shot(officer_phone, "offsite-3-review")
    officer_phone.click("main button:has-text('提交审核结果')")
    assert "审核结果已保存" in officer_phone.locator(".alert.success").inner_text()
    assert "已转为现场检查" in officer_phone.locator("#escalated").inner_text()
    shot(officer_phone, "offsite-4-escalated")

    page.goto(request_url)
    page.locator("#escalated a").click()
    assert "非现场核查转现场" in page.locator("h1").inner_text()
    page.click("text=入企排程")
    page.click("main button:has-text('生成联合排程')")
    page.wait_for_selector(".stat .l:has-text('联合检查次数')", timeout=60_000)
    assert page.locator(".cal-visit", has_text=firm_name[:4]).count() >= 1 or \
        page.locator("tr[id^=visit-]", has_text=firm_name).count() == 1
    shot(page, "offsite-5-escalated-task-scheduled")
    page.goto(request_url)
    assert "已排入入企检查" in page.locator("#escalated").inner_text()
