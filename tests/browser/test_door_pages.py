"""At the door in a browser: the department records a complaint, two inspectors enter on it from the scan
page, the firm reports an inspection that showed no valid code, oversight sees both, and the department
reads its evaluations only in aggregate."""
import pytest
from sqlalchemy import select

from core import clock
from inspection.models import Firm, Officer, OfficerConflict, User, Visit, VisitOfficer
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token

pytestmark = pytest.mark.browser


def test_entry_on_a_lead_and_the_firms_report(page, phones, live_app, live_server, sign_in, shot):
    today = clock.today()
    with live_app.extensions["db_factory"]() as session:
        firm = session.scalars(select(Firm).where(Firm.industry == "餐饮服务", Firm.district.has(code="370502"),
                                                  Firm.id.not_in(select(User.firm_id).where(User.firm_id.is_not(None))))
                               .order_by(Firm.uscc.desc())).first()
        officers = session.scalars(select(Officer).where(Officer.department.has(code="market"), Officer.kind == "enforcement",
                                                         Officer.valid_from <= today, Officer.valid_to > today,
                                                         Officer.id.not_in(select(User.officer_id).where(
                                                             User.officer_id.is_not(None))),
                                                         # officers who may inspect this firm (no declared 回避)
                                                         Officer.id.not_in(select(OfficerConflict.officer_id).where(
                                                             OfficerConflict.firm_id == firm.id)),
                                                         # and whom the demo's schedule does not send here: a
                                                         # scan goes to the officer's own visit to the firm first
                                                         Officer.id.not_in(select(VisitOfficer.officer_id).join(
                                                             Visit, Visit.id == VisitOfficer.visit_id).where(
                                                             Visit.firm_id == firm.id)))
                                   .order_by(Officer.id.desc())).all()[:2]
        names = [create_user(session, None, username=f"lead-officer-{n}", password="demo1234", role="inspector",
                             display_name=o.name, officer=o).username for n, o in enumerate(officers)]
        create_user(session, None, username="lead-firm", password="demo1234", role="enterprise", display_name=firm.name,
                    firm=firm)
        token, uscc = firm_token(session, firm).token, firm.uscc
        session.commit()

    sign_in(page, "market")
    page.goto(f"{live_server}/firms/{uscc}")
    page.select_option("#lead-kind", "complaint")
    page.fill("#lead-reference", "12345-2026-1201")
    page.fill("#lead-received", today.isoformat())
    page.fill("#lead-summary", "市民投诉后厨卫生条件差")
    page.click("#lead button[type=submit]")
    assert "线索 12345-2026-1201 已登记" in page.locator(".alert.success").inner_text()

    first, second = phones(), phones()
    sign_in(first, names[0])
    first.goto(f"{live_server}/scan/{token}")
    refused = first.locator("main button:has-text('扫码入企')")
    refused.click()
    assert "没有您参与的已确认检查" in first.locator(".alert.error").inner_text()
    first.click("summary:has-text('依线索入企')")
    first.check("input[name=mode][value=lead]")
    first.select_option("#item", "SC-003")
    first.select_option("#lead_kind", "complaint")
    first.fill("#lead_reference", "12345-2026-1201")
    shot(first, "door-1-scan-on-a-lead")
    first.click("main button:has-text('扫码入企')")
    assert "等待同组另一名持证执法人员" in first.locator(".alert.info").inner_text()
    sign_in(second, names[1])
    second.goto(f"{live_server}/scan/{token}")
    second.click("main button:has-text('扫码入企')")
    assert "入企登记完成" in second.locator(".alert").first.inner_text()
    assert "依线索检查" in second.locator("h1").inner_text()
    shot(second, "door-2-entered-on-a-lead")

    firm_phone = phones()
    sign_in(firm_phone, "lead-firm")
    firm_phone.goto(f"{live_server}/firms/{uscc}")
    assert "依线索检查" in firm_phone.locator("[id^=visit-]").first.inner_text()
    firm_phone.fill("#occurred_at", f"{today.isoformat()}T09:30")
    firm_phone.fill("#department", "市场监管")
    firm_phone.fill("#officers", "自称王某，未出示检查码")
    firm_phone.fill("#description", "要求进入后厨检查，无法核验检查码")
    firm_phone.click("#no-code button[type=submit]")
    assert "已向监督机构反映" in firm_phone.locator(".alert.success").inner_text()
    shot(firm_phone, "door-3-firm-reports-no-code")

    page.goto(f"{live_server}/evaluations")
    assert "不足 5 家的月份不予显示" in page.locator("main").inner_text()
    page.click("header button:has-text('退出')")
    sign_in(page, "oversight")
    page.goto(f"{live_server}/oversight/alerts")
    page.click("main button:has-text('运行审查规则')")
    page.goto(f"{live_server}/oversight/alerts?rule=no_code_report&status=open")
    assert "自称王某" in page.locator("main").inner_text()
    page.goto(f"{live_server}/oversight/alerts?rule=unplanned_entry&status=open")
    assert "12345-2026-1201" in page.locator("main").inner_text()
    shot(page, "door-4-oversight-sees-the-lead-entry")
    page.goto(f"{live_server}/oversight/dashboard")
    assert page.locator(".stat", has_text="依线索入企").locator(".n").inner_text() != "0"
