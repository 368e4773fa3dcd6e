"""The foundation's pages in a real browser: public catalogue, role homes, firm isolation, plan form."""
import re

import pytest
from sqlalchemy import select

from core import clock
from inspection.models import Firm
from tests.approvals import approve_on

pytestmark = pytest.mark.browser


def test_public_catalogue_browse_and_filter(page, live_server, shot):
    page.goto(live_server)
    page.click("text=检查事项清单 >> nth=0")
    page.select_option("#department", "fire")
    page.click("form.filters button")
    rows = page.locator("tbody tr")
    assert rows.count() >= 5
    assert all(text == "消防救援" for text in rows.locator("td:nth-child(3)").all_inner_texts())
    page.locator("tbody tr a").first.click()
    assert page.locator("h2", has_text="检查要点").is_visible()
    assert page.locator("ol.points li").count() >= 3
    shot(page, "catalogue-item")


def test_enterprise_on_a_phone_sees_its_firm_and_not_others(phone, live_server, sign_in, shot):
    sign_in(phone, "firm")
    assert phone.locator("th", has_text="统一社会信用代码").is_visible()
    own = phone.locator("td.hash").inner_text()
    shot(phone, "enterprise-home-phone")
    phone.goto(f"{live_server}/firms")
    assert "无权执行此操作" in phone.content()
    other = "91370502MA0000000X"
    phone.goto(f"{live_server}/firms/{other}")
    assert "未找到请求的内容" in phone.content()
    phone.goto(f"{live_server}/firms/{own}")
    assert phone.locator("h2", has_text="检查记录").is_visible()
    # The page fits the phone: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_department_files_a_draft_plan_through_the_form(page, live_app, live_server, sign_in, shot):
    with live_app.extensions["db_factory"]() as session:
        uscc = session.scalars(select(Firm.uscc).where(Firm.district.has(code="370502")).order_by(Firm.uscc)).first()
    sign_in(page, "market")
    # A key item rests on a lead recorded on the platform first (无线索不检查).
    page.goto(f"{live_server}/firms/{uscc}")
    page.select_option("#lead-kind", "assignment")
    page.fill("#lead-reference", "东市监督〔2026〕21号")
    page.fill("#lead-source", "山东省市场监督管理局")
    page.fill("#lead-received", clock.today().isoformat())
    page.fill("#lead-summary", "部署开展电梯等特种设备安全专项检查")
    page.click("#lead button[type=submit]")
    assert "已登记" in page.locator(".alert.success").inner_text()
    page.goto(live_server)
    page.click("text=编制计划 >> nth=0")
    page.fill("#title", "2026年第二季度食品生产企业双随机抽查")
    page.fill("#period_start", "2026-04-01")
    page.fill("#period_end", "2026-06-30")
    page.check("input[value=SC-001]")
    key_item = page.locator("label", has=page.locator(".tag.m-key")).first
    key_item.locator("input").check()
    page.click("main button[type=submit]")
    assert "无线索不检查" in page.locator(".alert.error").inner_text()
    shot(page, "plan-form-needs-lead")
    page.fill("#lead", "x")
    page.click("main button[type=submit]")
    assert "「x」不是" in page.locator(".alert.error").inner_text()
    page.fill("#lead", "东市监督〔2026〕21号")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    assert "已保存为草稿" in page.locator(".alert.success").inner_text()
    page.click("main button:has-text('备案')")
    commitment = page.locator("td.hash, span.hash").first.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)
    assert "待负责人审批" in page.locator("#approval-state").inner_text()
    approve_on(live_app, int(page.url.rstrip("/").rsplit("/", 1)[1]))
    page.reload()
    assert "已批准" in page.locator("#approval-state").inner_text()
    page.click("main button:has-text('随机抽取企业')")
    assert "抽取完成" in page.locator(".alert.success").inner_text()
    assert page.locator("h2", has_text="抽取结果").is_visible()
    shot(page, "plan-drawn")
    page.click("text=公开页面")
    page.click("#verify")
    result = page.locator("#verify-result")
    result.wait_for(state="visible")
    assert "核对通过" in result.inner_text(), result.inner_text()
    shot(page, "public-draw-verified")


def test_oversight_home_shows_the_city(page, live_server, sign_in, shot):
    sign_in(page, "oversight")
    assert page.locator(".stat .l", has_text="监管企业").is_visible()
    assert page.locator(".bar").count() >= 10
    shot(page, "oversight-home")
