"""The department's schedule in a real browser: build with progress, calendar, move, rebuild, confirm."""
import re

import pytest

from tests.approvals import approve_on

pytestmark = pytest.mark.browser


def test_build_move_and_confirm_a_schedule(page, live_app, live_server, sign_in, shot):
    sign_in(page, "housing")
    api = page.request
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": "五月建筑施工安全双随机检查", "period_start": "2026-05-06", "period_end": "2026-05-29",
        "items": ["ZJ-001"], "ratios": {"A": 0.2, "B": 0.3, "C": 0.5, "D": 0.8}}).json()
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/file").ok
    approve_on(live_app, plan["id"])
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/draw").ok
    page.goto(f"{live_server}/plans/{plan['id']}")
    page.click("text=入企排程")
    page.click("main button:has-text('生成联合排程')")
    page.wait_for_selector(".stat .l:has-text('联合检查次数')", timeout=60_000)
    assert page.locator("table.calendar").count() >= 1
    assert page.locator(".cal-visit").count() > 0
    assert page.locator("#run-quality").inner_text().startswith("求解结果（同期各部门合计）：")
    shot(page, "schedule-calendar")
    first = page.locator("tr[id^=visit-]").first
    first.locator("input[type=date]").fill("2026-05-28")
    first.locator("button:has-text('改期')").click()
    assert "已改到 2026-05-28 并锁定" in page.locator(".alert.success").inner_text()
    page.click("main button:has-text('确认本部门排程')")
    assert "尚未配齐检查人员" in page.locator(".alert.error").inner_text()
    page.click("main button:has-text('重新生成排程')")
    page.locator("#run-message", has_text="已排定").wait_for(timeout=60_000)
    page.click("main button:has-text('确认本部门排程')")
    assert "排程已确认" in page.locator(".alert.success").inner_text()
    assert page.locator("h1 .tag", has_text="已排程").is_visible()
    rows = page.locator("tr[id^=visit-]").all_inner_texts()
    assert rows and all(re.search(r"\t已确认|本部门已确认，待\S+确认", row) for row in rows), rows
    assert any("\t已确认" in row for row in rows)
    shot(page, "schedule-confirmed")
