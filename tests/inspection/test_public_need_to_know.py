"""一公开 without telling too much: a targeted plan (on a complaint) is public only with its published results and
never under its own title; a joint campaign's draft plans are read only by their own department."""
import datetime as dt

from sqlalchemy import select

from core import clock
from inspection.models import Department, ItemOutcome, User, Visit
from inspection.operations.events import utcnow
from inspection.operations.plans import file_targeted_plan


def test_a_complaint_plan_is_public_only_with_its_published_results(app, db_session, make_firm):
    firm = make_firm("被投诉餐饮有限公司")
    market = db_session.scalar(select(Department).where(Department.code == "market"))
    user = db_session.scalar(select(User).where(User.username == "market"))
    today = clock.today()
    plan = file_targeted_plan(db_session, user, market, title=f"投诉举报：{firm.name}", item_codes=["SC-003"],
                              firms=[firm], lead="12345 热线：后厨有老鼠", period_start=today, period_end=today)
    db_session.commit()
    anonymous = app.test_client()

    def seen() -> str:
        listing = anonymous.get("/public/plans").get_data(as_text=True)
        page = anonymous.get(f"/public/plans/{plan.id}")
        return listing + (page.get_data(as_text=True) if page.status_code == 200 else f"[{page.status_code}]")
    before = seen()
    assert firm.name not in before and "后厨有老鼠" not in before and "[404]" in before
    assert anonymous.get(f"/api/v1/public/plans/{plan.id}/draw").status_code == 404
    visit = Visit(firm=firm, day=today, status="completed", locked=False, created_at=utcnow())
    db_session.add(visit)
    db_session.flush()
    task = plan.tasks[0]
    task.visit_id, task.status = visit.id, "done"
    outcome = ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=plan.items[0].id, outcome="no_problem",
                          recorded_at=utcnow(), publish_due=today + dt.timedelta(days=7))
    db_session.add(outcome)
    db_session.commit()
    assert "[404]" in seen()                           # recorded, not yet published
    outcome.published_at = utcnow()
    db_session.commit()
    after = seen()
    assert "定向检查（依线索）" in after and "[404]" not in after
    assert firm.name not in after and "后厨有老鼠" not in after and "投诉举报" not in after


def test_a_campaign_lists_drafts_only_to_their_department(client, login, app):
    login("market")
    campaign = client.post("/api/v1/campaigns", json={"title": "联合抽查草稿测试", "period_start": "2026-04-01",
                                                      "period_end": "2026-06-30"}).get_json()
    common = {"period_start": "2026-04-01", "period_end": "2026-06-30", "ratios": {"A": 0.3, "B": 0.3, "C": 0.3, "D": 0.3},
              "campaign": campaign["id"]}
    market = client.post("/api/v1/plans", json={**common, "title": "市场监管部分", "items": ["SC-003"]}).get_json()
    assert client.post(f"/api/v1/plans/{market['id']}/file").status_code == 200
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防部分", "items": ["XF-002"]}).get_json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    assert {p["id"] for p in client.get(url).get_json()["plans"]} == {market["id"], fire["id"]}   # its own draft
    assert [p["id"] for p in app.test_client().get(url).get_json()["plans"]] == [market["id"]]    # the public
    client.delete("/api/v1/session")
    login("market")
    assert [p["id"] for p in client.get(url).get_json()["plans"]] == [market["id"]]               # another department
