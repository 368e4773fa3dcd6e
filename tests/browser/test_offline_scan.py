"""断网补录 in a real browser: two inspectors' phones lose the network at the firm, scan in, record the
checklist and scan out offline; when the network returns the records are synced and the visit appears
once, marked as recorded offline."""
import time

import pytest
from sqlalchemy import func, select

from inspection.models import Finding, InspectionTask, OfflineRecord, User, Visit, VisitEntry
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token, local_today
from inspection.operations.events import utcnow
from tests.approvals import approve_on

pytestmark = pytest.mark.browser


def test_scan_in_findings_and_scan_out_without_network(page, phones, live_app, live_server, sign_in, shot):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415 - only when chromium is there
    today = local_today(utcnow())
    sign_in(page, "market")
    api = page.request
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": "断网补录测试检查", "period_start": today.isoformat(), "period_end": today.isoformat(),
        "items": ["SC-003"], "ratios": {c: 0.1 for c in "ABCD"}, "target_districts": ["370502"]}).json()
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
                                .where(InspectionTask.plan_id == plan["id"], Visit.day == today,
                                       Visit.status == "confirmed")).first()
        names = []
        for n, member in enumerate(visit.officers):
            user = session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
                session, None, username=f"offline-officer-{n}", password="demo1234", role="inspector",
                display_name=member.officer.name, officer=member.officer)
            names.append(user.username)
        token, visit_id, firm_name = firm_token(session, visit.firm).token, visit.id, visit.firm.name
        points = len(visit.tasks[0].plan.items[0].points)
        session.commit()

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
    first.click("#offline-leave")
    first.wait_for_selector("#offline-status:has-text('已离线登记离开')")
    assert "待上传" in first.locator("#offline-status").inner_text()
    shot(first, "offline-2-checklist-kept-on-the-phone")
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
    first.goto(f"{live_server}/visits/{visit_id}")
    assert "断网补录" in first.locator("h1").inner_text()
    shot(first, "offline-3-synced-once-marked")
