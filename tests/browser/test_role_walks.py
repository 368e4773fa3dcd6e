"""Each role's main job walked end to end in a browser, on a desktop and on a phone: the department files
a plan, its head approves one, two inspectors enter a firm and one records and leaves, the firm reads its
record and evaluates, oversight follows an alert to the visit behind it, the administrator changes a rule
of the city. Screenshots go to a temporary folder; on a phone no page may be wider than the screen."""
import datetime as dt
import re

import pytest

from core import clock
from tests.browser.steps import leave, plan_of_the_week, record_item_compliant, team_of

pytestmark = pytest.mark.browser

LABELS = {"desktop": "电脑", "phone": "手机"}     # what the walks' titles say of the screen they were made on
# Each screen's walk draws restaurants of its own district: the other browser tests draw 东营区's this week,
# and SC-003 allows two entries a firm a year.
DISTRICTS = {"desktop": "370503", "phone": "370523"}
VIEWPORTS = {"desktop": {"viewport": {"width": 1280, "height": 860}},
             "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}


@pytest.fixture(params=list(VIEWPORTS))
def screen(request, browser):
    """A page in one viewport, its name, and a screenshot taker into a temporary folder (not the tree)."""
    folder = request.getfixturevalue("tmp_path_factory").mktemp("walks")
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[request.param])
    context.on("page", lambda page: page.on("dialog", lambda dialog: dialog.accept()))
    page = context.new_page()

    def shot(name: str) -> None:
        page.screenshot(path=str(folder / f"{request.param}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert request.param == "desktop" or width <= 400, f"{name}: the page is {width} px wide on a phone"
    yield page, request.param, shot
    context.close()


def _plan_body(title: str) -> dict:
    today = clock.today()
    return {"title": title, "period_start": (today + dt.timedelta(days=20)).isoformat(),
            "period_end": (today + dt.timedelta(days=40)).isoformat(), "items": ["SC-003"],
            "ratios": {c: 0.1 for c in "ABCD"}, "target_districts": ["370502"]}


def test_department_files_a_plan(screen, live_server, sign_in):
    page, name, shot = screen
    sign_in(page, "market")
    page.goto(f"{live_server}/plans/new")
    body = _plan_body(f"年终食品安全抽查（{LABELS[name]}）")
    page.fill("#title", body["title"])
    page.fill("#period_start", body["period_start"])
    page.fill("#period_end", body["period_end"])
    page.check("input[name=items][value='SC-003']")
    for c in "ABCD":
        page.fill(f"#ratio_{c}", "10")
    shot("department-new-plan")
    page.click("main form button[type=submit]")
    assert "已保存为草稿" in page.locator(".alert.success").inner_text()
    page.click("main button:has-text('备案')")            # asks first (data-confirm); the person agrees
    assert "备案" in page.locator(".alert.success").inner_text()
    assert page.locator("h1", has_text=body["title"]).is_visible() and "已备案" in page.locator("main").inner_text()
    shot("department-plan-filed")
    # The leniency list, entry by entry: a new version with one entry's guidance rewritten.
    page.click("header >> text=本部门清单")
    page.click("main >> text=逐条填写并发布新版本")
    page.fill("#version", f"W-{name}")
    page.fill("#e0_guidance", f"责令改正，当场说明（{LABELS[name]}）")
    shot("department-leniency-form")
    page.click("main form button[type=submit]")
    assert f"版本 W-{name}已发布" in page.locator(".alert.success").inner_text()
    page.goto(f"{live_server}/leniency/form")            # the form now starts from the version just published
    assert page.input_value("#e0_guidance") == f"责令改正，当场说明（{LABELS[name]}）"
    assert f"现行清单（版本 W-{name}）" in page.locator("main").inner_text()


def test_department_head_approves_a_filed_plan(screen, browser, live_server, sign_in):
    page, name, shot = screen
    title = f"审批测试计划（{LABELS[name]}）"
    filer = browser.new_page()
    sign_in(filer, "market")
    plan = filer.request.post(f"{live_server}/api/v1/plans", data=_plan_body(title)).json()
    assert filer.request.post(f"{live_server}/api/v1/plans/{plan['id']}/file").ok
    filer.context.close()
    sign_in(page, "market-head")
    page.click("header >> text=检查审批")
    row = page.locator("tbody tr", has_text=title)
    shot("head-pending")
    row.locator("a:has-text('审批')").click()
    page.fill("#opinion", "同意按计划实施")
    page.click("button[value=approve]")
    page.goto(f"{live_server}/approvals")
    decided = page.locator("tbody tr", has_text=title)
    assert "批准" in decided.inner_text() and re.search(r"\d{4}-\d{2}-\d{2}", decided.inner_text())
    assert page.locator("tbody tr", has_text=title).count() == 1     # no longer pending
    shot("head-approved")


def test_firm_reads_its_record_and_evaluates(screen, live_server, sign_in):
    page, _, shot = screen
    sign_in(page, "firm")
    page.click("header >> text=本企业")
    assert page.locator("h2", has_text="检查记录").is_visible() and page.locator("[id^=visit-]").count() >= 1
    form = page.locator("form[action*='/evaluation']").first
    if form.count():
        visit = form.locator("xpath=ancestor::*[starts-with(@id, 'visit-')][1]").get_attribute("id")
        form.locator("input[name=score][value='4']").check()
        form.locator("textarea[name=comment]").fill("检查规范，没有打扰正常经营")
        form.locator("button[type=submit]").click()
        assert "评价已提交" in page.locator(".alert.success").inner_text()
        assert "我的评价：4 分" in page.locator(f"#{visit}").inner_text()
    else:                                   # evaluated in the other viewport's walk: the record keeps it
        assert "我的评价：4 分" in page.locator("main").inner_text()
    shot("firm-record")


def test_oversight_follows_an_alert_to_its_visit(screen, live_server, sign_in):
    page, _, shot = screen
    sign_in(page, "oversight")
    page.click("header >> text=监督预警")
    links = page.locator("main a.tag[href*='#visit-']")
    if links.count() == 0:
        page.click("main button:has-text('运行审查规则')")
        links = page.locator("main a.tag[href*='#visit-']")
    assert links.count() >= 1
    shot("oversight-alerts")
    alert = links.first.locator("xpath=ancestor::div[starts-with(@id, 'alert-')][1]").inner_text()
    visit = links.first.get_attribute("href").split("#")[1]
    links.first.click()
    page.wait_for_url(re.compile(r".*/firms/[0-9A-Z]{18}#visit-\d+$"))
    assert page.locator(f"#{visit}").is_visible()
    firm = page.locator("h1").inner_text()
    assert firm in alert                   # the alert named the firm whose visit it points at
    shot("oversight-visit")


def test_admin_changes_a_rule_of_the_city(screen, live_server, sign_in):
    page, name, shot = screen
    minutes = {"desktop": "12", "phone": "11"}[name]
    sign_in(page, "admin")
    page.click("header >> text=检查规则")
    page.fill("#min_visit_minutes", "0")
    page.click("#city button[type=submit]")
    assert "入企检查最短分钟数应在 1 至 480 之间" in page.locator(".alert.error").inner_text()
    page.fill("#min_visit_minutes", minutes)
    page.click("#city button[type=submit]")
    assert "已更新" in page.locator(".alert.success").inner_text()
    row = page.locator("#city tbody tr", has_text="入企检查最短分钟数")
    assert f"{minutes} 分钟" in row.inner_text() and "平台设定" in row.inner_text()
    shot("admin-rules")


def _visit_today(live_app, live_server, browser, sign_in, title: str, district: str) -> dict:
    """A market plan of this week brought to confirmed visits; its visit of today (else the earliest)
    with an account for each officer of the team."""
    office = browser.new_page()
    sign_in(office, "market")
    plan_id = plan_of_the_week(live_app, office.request, live_server, title, district=district)
    office.context.close()
    return team_of(live_app, plan_id, "walk")


def test_inspector_enters_records_and_leaves(screen, browser, live_app, live_server, sign_in):
    page, name, shot = screen
    v = _visit_today(live_app, live_server, browser, sign_in, f"本周餐饮抽查（{LABELS[name]}）", DISTRICTS[name])
    partner_context = browser.new_context(locale="zh-CN", **VIEWPORTS[name])
    partner_context.on("page", lambda p: p.on("dialog", lambda dialog: dialog.accept()))
    partner = partner_context.new_page()
    sign_in(page, v["users"][0])
    card = page.locator(f'.visit-card[href$="/visits/{v["visit"]}"]')
    assert v["firm"] in card.inner_text()
    shot("inspector-home")
    page.goto(f"{live_server}/scan/{v['token']}")
    page.click("main button[type=submit]")
    assert "等待同组另一名持证执法人员" in page.locator("main").inner_text()
    sign_in(partner, v["users"][1])
    partner.goto(f"{live_server}/scan/{v['token']}")
    partner.click("main button[type=submit]")
    assert "入企登记完成" in partner.locator(".alert.success").inner_text()
    record_item_compliant(partner, "SC-003")
    question, answer = leave(partner)
    assert "本次检查随之结束" in question and "本次检查已结束" in answer
    partner_context.close()
    page.goto(f"{live_server}/visits/{v['visit']}")
    assert "未发现问题" in page.locator("main").inner_text()
    shot("inspector-visit-recorded")
