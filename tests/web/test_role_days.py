"""A working day in each role's shoes, through the pages: no dead ends, no internals on screen."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import clock
from inspection.models import (
    Alert,
    CatalogueItem,
    Department,
    Event,
    InspectionPlan,
    InspectionTask,
    OffsiteEvidence,
    User,
    Visit,
    VisitOfficer,
)
from inspection.operations.plans import file_targeted_plan
from inspection.queries.kpis import Scope, monthly_entries, year_before
from tests.offsite_steps import PDF, points, send, upload

TODAY = clock.today()


def _draft(client, title="十二月餐饮抽查"):
    start = dt.date(2026, 12, 14)
    response = client.post("/plans/new", data={"title": title, "period_start": start.isoformat(),
                                               "period_end": (start + dt.timedelta(days=10)).isoformat(),
                                               "items": "SC-003", "ratio_A": "5", "ratio_D": "20"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_draft_can_be_edited_until_it_is_filed(client, login, db_session):
    login("market")
    plan_id = _draft(client)
    form = client.get(f"/plans/{plan_id}/edit").get_data(as_text=True)
    assert "十二月餐饮抽查" in form and 'value="20"' in form
    saved = client.post(f"/plans/{plan_id}/edit", data={
        "title": "十二月餐饮住宿抽查", "period_start": "2026-12-14", "period_end": "2026-12-28",
        "items": ["SC-003"], "ratio_A": "5", "ratio_D": "30"})
    assert saved.status_code == 302
    plan = db_session.get(InspectionPlan, plan_id)
    db_session.refresh(plan)
    assert plan.title == "十二月餐饮住宿抽查" and plan.period_end == dt.date(2026, 12, 28) and plan.ratios["D"] == 0.3
    assert db_session.scalar(select(Event.kind).where(Event.subject == f"plan:{plan_id}")
                             .order_by(Event.seq.desc()).limit(1)) == "plan.updated"
    refused = client.post(f"/plans/{plan_id}/edit", data={"title": "", "period_start": "2026-12-14",
                                                          "period_end": "2026-12-01", "items": ["SC-003"]})
    assert refused.status_code == 422
    db_session.refresh(plan)
    assert plan.title == "十二月餐饮住宿抽查"
    detail = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "修改草稿" in detail and "data-confirm" in detail
    assert client.post(f"/plans/{plan_id}/file").status_code == 302
    later = client.get(f"/plans/{plan_id}/edit", follow_redirects=True).get_data(as_text=True)
    assert "只有草稿可以修改" in later and "修改草稿</a>" not in later


def test_the_department_reaches_its_plans_visits_and_results_from_the_workbench(client, login, visit_today):
    login("market")
    home = client.get("/home").get_data(as_text=True)
    plan_id = visit_today["plan"]
    assert f'href="/plans/{plan_id}"' in home and f'href="/plans/{plan_id}/results"' in home
    schedule = client.get(f"/plans/{plan_id}/schedule").get_data(as_text=True)
    visit = visit_today["visit"]
    assert f'/plans/{plan_id}/visits/{visit.id}' in schedule and "[锁]" not in schedule
    page = client.get(f"/plans/{plan_id}/visits/{visit.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert visit.firm.name in text and "检查人员" in text
    results = client.get(f"/plans/{plan_id}/results").get_data(as_text=True)
    assert f'/plans/{plan_id}/visits/{visit.id}' in results
    shared = client.get(f"/visits/{visit.id}")  # the inspectors' address of the visit leads the department to its own
    assert shared.status_code == 302 and shared.headers["Location"].endswith(f"/plans/{plan_id}/visits/{visit.id}")


def test_a_firm_is_told_to_evaluate_and_may_do_so_for_ninety_days(client, login, make_firm, make_user, entered,
                                                                   db_session):
    firm = make_firm()
    recent = entered(firm, day=dt.date(2026, 11, 20))
    old = entered(firm, item="SC-002", day=dt.date(2026, 5, 11))
    user = make_user("enterprise", firm=firm)
    db_session.commit()
    login(user.username)
    home = client.get("/home").get_data(as_text=True)
    assert "2026-11-20 的检查已结束，请您评价" in home and f"#visit-{recent.id}" in home
    assert "2026-05-11 的检查" not in home and "2027-02-18 前可以匿名评价" in home
    record = client.get(f"/firms/{firm.uscc}").get_data(as_text=True)
    assert "评价期限已过" in record and "2027-02-18 前可以评价" in record
    late = client.post(f"/visits/{old.id}/evaluation", data={"score": "3"}, follow_redirects=True)
    assert "评价期限已过" in late.get_data(as_text=True) and "2026-08-09" in late.get_data(as_text=True)
    api = client.post(f"/api/v1/visits/{old.id}/evaluation", json={"score": 3})
    assert api.status_code == 409 and "评价期限已过" in api.get_json()["message"]
    assert client.post(f"/visits/{recent.id}/evaluation", data={"score": "4"}).status_code == 302
    assert "请您评价" not in client.get("/home").get_data(as_text=True)


def test_a_firm_types_a_code_and_can_report_from_the_verifier(client, login, make_firm, make_user, db_session):
    firm = make_firm()
    user = make_user("enterprise", firm=firm)
    db_session.commit()
    assert client.get("/verify").status_code == 200
    typed = client.get("/verify?code= abc.def ")
    assert typed.status_code == 302 and typed.headers["Location"].endswith("/verify/abc.def")
    pasted = client.get("/verify?code=http://example.org/verify/xyz")
    assert pasted.headers["Location"].endswith("/verify/xyz")
    anonymous = client.get("/verify/not-a-code").get_data(as_text=True)
    assert "企业登录后反映未亮码检查" in anonymous
    login(user.username)
    assert 'action="/verify"' in client.get("/home").get_data(as_text=True)
    page = client.get("/verify/not-a-code").get_data(as_text=True)
    assert f'href="/firms/{firm.uscc}#no-code"' in page


def test_a_firm_removes_a_wrong_file_before_handing_in(client, login, make_firm, make_user, db_session):
    firm = make_firm("删错材料餐饮有限公司", industry="餐饮服务")
    dept = db_session.scalar(select(User).where(User.username == "market"))
    plan = file_targeted_plan(db_session, dept, dept.department, title="测试非现场核查", item_codes=["SC-011"],
                              firms=[firm], lead="测试线索", period_start=TODAY, period_end=TODAY + dt.timedelta(days=30))
    inspector, enterprise = make_user("inspector", department="market"), make_user("enterprise", firm=firm)
    db_session.commit()
    sent = send(client, login, {"inspector": inspector.username, "task": plan.tasks[0]})
    client.delete("/api/v1/session")
    login(enterprise.username)
    sheet = client.get(f"/api/v1/offsite/{sent['id']}").get_json()
    point = next(p for p in points(sheet) if not p["proved_by_data"] and set(p["evidence_kinds"]) - {"answer"})
    assert upload(client, sent["id"], point["id"], PDF, "错的文件.pdf").status_code == 201
    evidence = db_session.scalar(select(OffsiteEvidence).where(OffsiteEvidence.request_id == sent["id"],
                                                               OffsiteEvidence.kind == "file"))
    page = client.get(f"/offsite/{sent['id']}").get_data(as_text=True)
    assert "错的文件" in page and "SHA-256" not in page and evidence.sha256[:12] not in page
    assert f"/evidence/{evidence.id}/remove" in page
    removed = client.post(f"/offsite/{sent['id']}/evidence/{evidence.id}/remove", follow_redirects=True)
    assert "已删除该材料" in removed.get_data(as_text=True)
    evidence_id = evidence.id
    db_session.expire_all()
    assert db_session.scalar(select(OffsiteEvidence.id).where(OffsiteEvidence.id == evidence_id)) is None
    assert db_session.scalar(select(Event.kind).order_by(Event.seq.desc()).limit(1)) == "offsite.evidence_removed"


def test_alerts_are_raised_after_the_write_that_causes_them(app, client, login, make_firm, make_user, entered,
                                                            db_session):
    firm = make_firm()
    visit = entered(firm, day=dt.date(2026, 11, 20))
    user = make_user("enterprise", firm=firm)
    db_session.commit()
    login(user.username)
    app.config["AUDIT_AFTER_WRITES"] = True
    try:
        client.post(f"/visits/{visit.id}/evaluation", data={"score": "1", "complaint": "excessive"})
    finally:
        app.config["AUDIT_AFTER_WRITES"] = False
    alert = db_session.scalar(select(Alert).where(Alert.rule == "low_evaluation", Alert.firm_id == firm.id))
    assert alert is not None and alert.status == "open"


def test_alert_evidence_reads_in_chinese_and_a_note_keeps_the_filter(client, login, make_firm, make_user, entered,
                                                                     db_session):
    firm = make_firm()
    visit = entered(firm, day=TODAY - dt.timedelta(days=3))
    user = make_user("enterprise", firm=firm)
    db_session.commit()
    login(user.username)
    client.post(f"/visits/{visit.id}/evaluation", data={"score": "1", "complaint": "excessive"})
    client.delete("/api/v1/session")
    login("oversight")
    client.post("/oversight/alerts/refresh")
    page = client.get("/oversight/alerts?rule=low_evaluation&status=open").get_data(as_text=True)
    assert "评分：1 分" in page and "投诉：检查过多过频" in page and "入企检查：查看记录" in page
    assert "score：" not in page and "complaint：" not in page and "None" not in page
    alert = db_session.scalar(select(Alert).where(Alert.rule == "low_evaluation", Alert.firm_id == firm.id))
    saved = client.post(f"/oversight/alerts/{alert.id}?rule=low_evaluation&status=open",
                        data={"status": "explained", "note": "已约谈"})
    assert saved.status_code == 302
    assert "rule=low_evaluation" in saved.headers["Location"] and "status=open" in saved.headers["Location"]


def test_comparisons_take_the_same_span_of_the_year_before(client, login, make_firm, entered, db_session):

    today = dt.date(2026, 12, 5)
    assert year_before(Scope(2026), today).until == dt.date(2025, 12, 5)
    assert year_before(Scope(2025), today).until is None  # a finished year against a whole year
    firm = make_firm()
    entered(firm, department="ecology", item="HB-001", day=dt.date(2025, 12, 2))
    entered(firm, department="ecology", item="HB-001", day=dt.date(2025, 12, 20))
    db_session.commit()
    whole = monthly_entries(db_session, Scope(2025, "ecology"))[11]
    span = monthly_entries(db_session, year_before(Scope(2026, "ecology"), today))[11]
    assert whole - span >= 1 and span >= 1
    login("oversight")
    report = client.get("/oversight/report?year=2025&month=12").get_data(as_text=True)
    assert 'name="month"' in report and "<option value=\"12\" selected>" in report and "去年同月" in report


def test_the_inspectors_home_shows_a_joint_visit_still_waiting_for_the_other_department(
        client, login, db_session, make_firm, make_user):
    """The market has confirmed its part of a joint visit, fire not yet: the market's officer sees the visit
    and why it cannot be entered."""
    firm, inspector = make_firm("待确认联合检查企业"), make_user("inspector", department="market")
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    day = TODAY + dt.timedelta(days=3)
    visit = Visit(firm=firm, day=day, status="proposed", locked=False, created_at=dt.datetime(2026, 1, 1))
    db_session.add(visit)
    db_session.flush()
    for code, item, status in (("market", "SC-003", "scheduled"), ("fire", "XF-002", "pending")):
        department = db_session.scalar(select(Department).where(Department.code == code))
        plan = InspectionPlan(department=department, title=f"{code} 联合", period_start=day, period_end=day,
                              status="scheduled", created_by=admin, created_at=dt.datetime(2026, 1, 1),
                              items=[db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == item,
                                                                                   CatalogueItem.status == "published"))],
                              ratios={"A": 0.1})
        db_session.add(plan)
        db_session.flush()
        db_session.add(InspectionTask(plan=plan, firm=firm, status=status, on_site=True, window_start=day,
                                      window_end=day, visit_id=visit.id))
    db_session.add(VisitOfficer(visit_id=visit.id, officer_id=inspector.officer_id,
                                department_id=inspector.department_id))
    db_session.commit()
    login(inspector.username)
    home = client.get("/home").get_data(as_text=True)
    assert "待确认联合检查企业" in home and "待消防救援确认排程，暂不能入企" in home
    db_session.scalar(select(InspectionTask).where(InspectionTask.visit_id == visit.id,
                                                   InspectionTask.status == "scheduled")).status = "pending"
    db_session.commit()          # the market has not confirmed either: nothing of it is the officer's yet
    assert "待确认联合检查企业" not in client.get("/home").get_data(as_text=True)
