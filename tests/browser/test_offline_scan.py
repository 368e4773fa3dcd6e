"""断网补录 in a real browser: two inspectors' phones lose the network at the firm, scan in, record the
checklist and scan out offline; when the network returns the records are synced and the visit appears
once, marked as recorded offline."""

import pytest
from sqlalchemy import func, select

from inspection.models import Document, Finding, OfflineRecord, User, Visit, VisitEntry
from tests.browser.steps import draw_signature, plan_of_the_week, team_of

pytestmark = pytest.mark.browser


def test_scan_in_findings_and_scan_out_without_network(page, phones, live_app, live_server, sign_in, shot):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415 - only when chromium is there
    sign_in(page, "market")
    plan_id = plan_of_the_week(live_app, page.request, live_server, "断网补录测试检查", district="370505", days=1)
    v = team_of(live_app, plan_id, "offline-officer", today_only=True)
    names, token, visit_id, firm_name, points = v["users"], v["token"], v["visit"], v["firm"], v["points"]

    first, second = phones(), phones()
    for phone, name in ((first, names[0]), (second, names[1])):
        sign_in(phone, name)
        phone.wait_for_selector("html[data-offline-ready='1']", timeout=40_000)
        phone.context.set_offline(True)
        phone.goto(f"{live_server}/scan/{token}")      # the firm's code opens the page the phone keeps
        try:
            phone.wait_for_selector("#offline-scan", timeout=30_000)
        except PlaywrightTimeout as exc:   # say what the offline page showed instead
            raise AssertionError(f"no offline scan button: {phone.locator('main').inner_text()[:500]}") from exc
        assert firm_name in phone.locator("#offline-app").inner_text()
        phone.click("#offline-scan")
        phone.wait_for_selector(f"#offline-visit-{visit_id}")
    shot(first, "offline-1-scanned-without-network")
    form = first.locator(f"#offline-visit-{visit_id} form.offline-item").first
    for n in range(points):
        form.locator(f"li:nth-child({n + 1}) input[value=compliant]").check()
    form.locator("select[name=outcome]").select_option("no_problem")
    form.locator("button[type=submit]").click()
    first.wait_for_selector("#offline-status:has-text('已离线保存')")
    # A premises record the firm's person refuses to sign, before a witness.
    paper = first.locator(f"#offline-visit-{visit_id} .offline-paper")
    paper.locator("select[name=paper]").select_option("premises")
    paper.locator("button:has-text('签署本记录')").click()
    assert "勘验笔录缺少：勘验场所、勘验情况" in paper.locator("p.error").first.inner_text()
    paper.locator("textarea[name=place]").fill("后厨操作间")
    paper.locator("textarea[name=situation]").fill("消毒柜正常使用，台账齐全")
    paper.locator("input[name=refused]").check()
    paper.locator("input[name=witness]").fill("王五（社区网格员）")
    paper.locator("button:has-text('签署本记录')").click()
    first.wait_for_selector("#offline-status:has-text('勘验笔录已离线签署')")
    # The on-site record: the results kept on the phone are read back and the firm's person signs.
    record = first.locator(f"#offline-visit-{visit_id} .offline-record")
    record.locator("button:has-text('宣读本机记录的检查结果')").click()
    record.locator("ol li").first.wait_for()
    assert record.locator("ol li").count() == points and "符合" in record.locator("ol").inner_text()
    record.locator("input[name=signer_name]").fill("张三")
    draw_signature(first, record.locator("canvas"))
    shot(first, "offline-2-record-signed-on-the-phone")
    record.locator("button:has-text('签署现场检查记录')").click()
    first.wait_for_selector("#offline-status:has-text('现场检查记录已离线签署')")
    first.click("#offline-leave")
    first.wait_for_selector("#offline-status:has-text('已离线登记离开')")
    assert "待上传" in first.locator("#offline-status").inner_text()
    shot(first, "offline-3-checklist-kept-on-the-phone")
    with live_app.extensions["db_factory"]() as session:
        assert session.get(VisitEntry, visit_id) is None  # nothing reached the platform yet

    for phone in (first, second):
        phone.context.set_offline(False)     # the browser says "online": the phone sends its records
    for phone in (first, second):
        phone.wait_for_selector("#offline-status:has-text('没有待上传的记录')", timeout=20_000)
    with live_app.extensions["db_factory"]() as session:
        visit = session.get(Visit, visit_id)
        entry = session.get(VisitEntry, visit_id)
        assert visit.status == "completed" and entry.recorded_offline
        assert session.scalar(select(func.count()).select_from(VisitEntry).where(VisitEntry.visit_id == visit_id)) == 1
        assert session.scalar(select(func.count()).select_from(Finding).where(Finding.visit_id == visit_id)) == points
        assert set(session.scalars(select(OfflineRecord.status).join(User, User.officer_id == OfflineRecord.officer_id)
                                   .where(User.username.in_(names)))) == {"applied"}
        papers = {d.kind: d for d in session.scalars(select(Document).where(Document.visit_id == visit_id))}
        assert papers["record"].signature.signer_name == "张三" and papers["premises"].signature.refused
        record_number = papers["record"].number
    first.goto(f"{live_server}/visits/{visit_id}")
    assert "断网补录" in first.locator("h1").inner_text()
    first.goto(f"{live_server}/visits/{visit_id}/record")
    assert record_number in first.locator("main").inner_text()
    shot(first, "offline-4-synced-once-marked")
