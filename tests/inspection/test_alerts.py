"""Audit rules: situations that must and must not raise each alert, and the alert workflow."""
import datetime as dt

from sqlalchemy import select

from checklists.models import CatalogueItem
from inspection.models import Alert, Evaluation, InspectionTask, ItemOutcome, Officer, Scan, User, Visit
from inspection.operations.alerts import audit_start, over_cap


def refresh(client, login):
    login("oversight")
    response = client.post("/api/v1/oversight/alerts/refresh")
    assert response.status_code == 200
    return response.get_json()


def alerts_of(client, rule):
    return client.get(f"/api/v1/oversight/alerts?rule={rule}").get_json()


def test_over_cap_per_item_and_in_all(client, login, make_firm, entered, db_session):
    capped, fine, busy = make_firm(), make_firm(), make_firm()
    entered(capped, item="SC-002", day=dt.date(2026, 3, 2))
    entered(capped, item="SC-002", day=dt.date(2026, 9, 7))          # SC-002 allows one a year: over
    entered(fine, item="SC-002", day=dt.date(2026, 12, 30))
    entered(fine, item="SC-002", day=dt.date(2027, 1, 4))            # across the year boundary: not over
    for n, department in enumerate(["market", "fire", "health", "transport", "housing", "hr", "ecology"]):
        entered(busy, department=department, item={"market": "SC-002", "fire": "XF-002", "health": "WJ-001",
                                                   "transport": "JT-001", "housing": "ZJ-001", "hr": "RS-001",
                                                   "ecology": "HB-001"}[department],
                day=dt.date(2026, 2, 2) + dt.timedelta(days=30 * n))
    db_session.commit()
    raised = refresh(client, login)
    over = alerts_of(client, "over_cap")
    keys = {a["evidence"].get("item") or "total": a for a in over}
    assert {a["firm"] for a in over} == {capped.id, busy.id}
    assert keys["SC-002"]["evidence"] == {"year": 2026, "period": "2026", "item": "SC-002", "entries": 2, "cap": 1}
    assert keys["total"]["evidence"]["entries"] == 7
    assert raised["over_cap"] == 2
    assert refresh(client, login)["over_cap"] == 0  # raised once


def test_over_cap_per_quarter(client, login, make_firm, entered, db_session):
    """RS-002 allows one entry a quarter: two in one quarter are over, two in adjacent quarters are not."""
    over, fine = make_firm(), make_firm()
    entered(over, department="hr", item="RS-002", day=dt.date(2026, 4, 1))
    entered(over, department="hr", item="RS-002", day=dt.date(2026, 6, 30))
    entered(fine, department="hr", item="RS-002", day=dt.date(2026, 3, 31))
    entered(fine, department="hr", item="RS-002", day=dt.date(2026, 4, 1))
    db_session.commit()
    refresh(client, login)
    quarterly = [a for a in alerts_of(client, "over_cap") if a["evidence"].get("item") == "RS-002"]
    assert [(a["firm"], a["evidence"]["period"], a["evidence"]["entries"]) for a in quarterly] == [(over.id, "2026Q2", 2)]


def test_rules_audit_this_year_and_last(db_session, make_firm, entered):
    old, recent = make_firm(), make_firm()
    for firm, year in ((old, 2024), (recent, 2025)):
        entered(firm, item="SC-002", day=dt.date(year, 3, 2))
        entered(firm, item="SC-002", day=dt.date(year, 9, 7))
    db_session.flush()
    assert audit_start(dt.date(2026, 6, 1)) == dt.date(2025, 1, 1)
    firms = {case[4] for case in over_cap(db_session, audit_start(dt.date(2026, 6, 1)))}
    assert recent.id in firms and old.id not in firms
    assert old.id in {case[4] for case in over_cap(db_session, dt.date(2024, 1, 1))}


def test_visits_never_entered_do_not_count(client, login, make_firm, entered, db_session):
    firm = make_firm()
    entered(firm, item="SC-002", day=dt.date(2026, 3, 2))
    planned = Visit(firm=firm, day=dt.date(2026, 4, 6), status="cancelled", locked=False,
                    created_at=dt.datetime(2026, 1, 1))
    db_session.add(planned)
    db_session.commit()
    refresh(client, login)
    assert not [a for a in alerts_of(client, "over_cap") if a["firm"] == firm.id]


def test_refused_scans_and_under_staffed_visits(client, login, make_firm, entered, db_session):
    firm = make_firm()
    officer = db_session.scalars(select(Officer)).first()
    db_session.add(Scan(kind="in", firm_id=firm.id, officer_id=officer.id, at=dt.datetime(2026, 5, 1, 2), accepted=False,
                        reason="今天没有您参与的已确认检查"))
    alone = entered(make_firm(), officers=1)
    pair = entered(make_firm(), officers=2)
    db_session.commit()
    refresh(client, login)
    refused = alerts_of(client, "refused_scan")
    assert len(refused) == 1 and "没有您参与" in refused[0]["title"]
    staffed = {a["evidence"]["visit"] for a in alerts_of(client, "under_staffed")}
    assert alone.id in staffed and pair.id not in staffed


def test_uncombined_visits(client, login, make_firm, entered, db_session):
    near, apart, same_dept = make_firm(), make_firm(), make_firm()
    window = (dt.date(2026, 5, 1), dt.date(2026, 5, 29))
    entered(near, department="market", day=dt.date(2026, 5, 6), window=window)
    entered(near, department="fire", item="XF-002", day=dt.date(2026, 5, 20), window=window)
    entered(apart, department="market", day=dt.date(2026, 5, 6), window=(dt.date(2026, 5, 1), dt.date(2026, 5, 8)))
    entered(apart, department="fire", item="XF-002", day=dt.date(2026, 5, 20), window=(dt.date(2026, 5, 18), dt.date(2026, 5, 29)))
    entered(same_dept, department="market", day=dt.date(2026, 5, 6), window=window)
    entered(same_dept, department="market", item="SC-002", day=dt.date(2026, 5, 7), window=window)
    db_session.commit()
    refresh(client, login)
    assert {a["firm"] for a in alerts_of(client, "uncombined")} == {near.id}


def test_unpublished_late_plans_and_low_evaluations(client, login, make_firm, entered, db_session):
    firm = make_firm()
    visit = entered(firm)
    task = visit.tasks[0]
    item = task.plan.items[0]
    db_session.add_all([
        ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=item.id, outcome="no_problem",
                    recorded_at=dt.datetime(2026, 5, 11), publish_due=dt.date(2026, 6, 8)),
        ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=db_session.scalar(
            select(CatalogueItem.id).where(CatalogueItem.code == "SC-002", CatalogueItem.status == "published")),
            outcome="no_problem", recorded_at=dt.datetime(2026, 5, 11), publish_due=dt.date(2026, 6, 8),
            published_at=dt.datetime(2026, 5, 20)),
    ])
    user = db_session.scalar(select(User).where(User.username == "admin"))
    db_session.add(Evaluation(visit_id=visit.id, firm_id=firm.id, score=2, comment="检查过于频繁", complaint="excessive",
                              by_user_id=user.id, at=dt.datetime(2026, 5, 12)))
    happy = entered(make_firm())
    db_session.add(Evaluation(visit_id=happy.id, firm_id=happy.firm_id, score=5, by_user_id=user.id,
                              at=dt.datetime(2026, 5, 12)))
    late = happy.tasks[0].plan
    late.status, late.period_end = "in_progress", dt.date(2026, 5, 30)
    happy.tasks[0].status = "scheduled"
    db_session.commit()
    refresh(client, login)
    assert [a["evidence"]["due"] for a in alerts_of(client, "unpublished")] == ["2026-06-08"]
    assert [a["evidence"]["plan"] for a in alerts_of(client, "late_plan")] == [late.id]
    low = alerts_of(client, "low_evaluation")
    assert [a["evidence"]["score"] for a in low] == [2] and low[0]["evidence"]["complaint"] == "excessive"


def test_alert_workflow_needs_a_note(client, login, make_firm, entered, db_session):
    entered(make_firm(), officers=1)
    db_session.commit()
    refresh(client, login)
    alert = alerts_of(client, "under_staffed")[0]
    missing = client.post(f"/api/v1/oversight/alerts/{alert['id']}", json={"status": "closed", "note": ""})
    assert missing.status_code == 422
    done = client.post(f"/api/v1/oversight/alerts/{alert['id']}", json={"status": "explained",
                                                                         "note": "另一名执法人员扫码时网络中断，已核实"})
    assert done.get_json()["status"] == "explained" and "网络中断" in done.get_json()["note"]
    assert client.get("/api/v1/oversight/alerts?status=explained").get_json()[0]["id"] == alert["id"]
    client.delete("/api/v1/session")
    login("market")
    assert client.get("/api/v1/oversight/alerts").status_code == 403
    assert db_session.scalar(select(Alert).where(Alert.id == alert["id"])).status == "explained"


def test_alert_page_runs_the_rules_and_records_handling(client, login, make_firm, entered, db_session):
    entered(make_firm(), officers=1)
    db_session.commit()
    login("oversight")
    response = client.post("/oversight/alerts/refresh", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "新增预警" in page and "持证执法人员不足两人" in page
    alert = db_session.scalars(select(Alert).where(Alert.rule == "under_staffed")).first()
    response = client.post(f"/oversight/alerts/{alert.id}", data={"status": "closed", "note": "已约谈当事执法人员"},
                           follow_redirects=True)
    assert "预警处理情况已记录" in response.get_data(as_text=True)
    db_session.refresh(alert)
    assert alert.status == "closed"


def test_offsite_checks_never_count_as_entries(client, login, make_firm, entered, db_session):
    firm = make_firm()
    entered(firm, item="SC-010", day=dt.date(2026, 3, 2))
    offsite_plan = entered(make_firm(), item="SC-010", day=dt.date(2026, 3, 3)).tasks[0].plan
    db_session.add(InspectionTask(plan=offsite_plan, firm=firm, status="done", on_site=False,
                                  window_start=dt.date(2026, 3, 3), window_end=dt.date(2026, 3, 3)))
    db_session.commit()
    refresh(client, login)
    assert not [a for a in alerts_of(client, "over_cap") if a["firm"] == firm.id]
    page = client.get("/oversight/alerts?status=open").get_data(as_text=True)
    assert "监督预警" in page
