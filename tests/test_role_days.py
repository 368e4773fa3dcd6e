"""A working day in each role's shoes, through the pages: no dead ends, no internals on screen."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from inspection.models import Event, InspectionPlan


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
