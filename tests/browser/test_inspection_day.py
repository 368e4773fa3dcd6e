"""The whole day on phones: the inspector sees today's visit, scans in with a partner, records findings and
scans out; the firm verifies the inspection code, reads its record and evaluates; the result is published."""
import re

import pytest

from inspection.models import Visit
from tests.browser.steps import leave, plan_of_the_week, record_item_compliant, team_of

pytestmark = pytest.mark.browser


def test_a_day_of_inspection(browser, page, phones, live_app, live_server, sign_in, shot):
    sign_in(page, "market")
    plan = {"id": plan_of_the_week(live_app, page.request, live_server, "本周餐饮服务单位双随机检查")}
    v = team_of(live_app, plan["id"], "day-officer", firm_account=True)
    users, token, firm_name, visit_id, firm_username = v["users"], v["token"], v["firm"], v["visit"], v["firm_user"]

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
