"""Oversight in a browser: the dashboard, a number followed down to the visits behind it, the alerts."""
import re

import pytest

pytestmark = pytest.mark.browser


def test_dashboard_number_down_to_a_visit(page, live_server, sign_in, shot):
    sign_in(page, "oversight")
    page.click("header >> text=监督看板")
    assert page.locator("svg.chart").count() == 6  # months, off-site, departments, districts, per firm, baseline
    shot(page, "oversight-dashboard")
    months = page.locator("p.small a[href*='/oversight/visits?month=']")
    busiest = max(range(months.count()), key=lambda i: int(months.nth(i).inner_text().split()[-1]))
    expected = int(months.nth(busiest).inner_text().split()[-1])
    if expected == 0:
        pytest.skip("the demo city has no entered visits before its November history")
    months.nth(busiest).click()
    rows = page.locator("tbody tr")
    assert rows.count() == expected
    shot(page, "oversight-drill-down")
    first = rows.first.locator("a").first
    firm_name = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r".*/firms/[0-9A-Z]{18}.*"))
    assert page.locator("h1", has_text=firm_name).is_visible()
    assert page.locator("h2", has_text="检查记录").is_visible() and page.locator("[id^=visit-]").count() >= 1
    page.goto(f"{live_server}/oversight/alerts")
    page.click("main button:has-text('运行审查规则')")
    assert "已运行全部审查规则" in page.locator(".alert.success").inner_text()
    shot(page, "oversight-alerts")
