"""凡检查必审批: a plan is drawn and carried out only once its department's responsible person has approved
it with the approval form's fields; a refusal names what is missing; an entry without approval (or an
emergency entry not approved afterwards in time) is an oversight alert."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import clock
from inspection.models import Alert, Department, Document, Event, PlanApproval, User
from inspection.operations.alerts import refresh_alerts
from inspection.operations.approvals import AFTERWARDS_WORKING_DAYS, approve_plan
from inspection.pure.calendar import add_working_days
from tests.at_the_door import as_user

PLAN = {"title": "审批测试抽查", "period_start": "2026-12-14", "period_end": "2026-12-25", "items": ["SC-003"],
        "ratios": {"A": 0.1, "B": 0.1, "C": 0.2, "D": 0.3}}


@pytest.fixture
def filed(client, login):
    login("market")
    plan = client.post("/api/v1/plans", json=PLAN).get_json()
    assert client.post(f"/api/v1/plans/{plan['id']}/file").status_code == 200
    return plan["id"]


def approvals(db_session, plan_id):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(PlanApproval).where(PlanApproval.plan_id == plan_id))


def test_a_plan_is_drawn_only_once_its_head_has_approved_it(client, login, filed, db_session):
    refused = client.post(f"/api/v1/plans/{filed}/draw")
    assert refused.status_code == 409 and "尚未经部门负责人批准" in refused.get_json()["message"]
    assert "审批测试抽查" in refused.get_json()["message"]
    as_user(client, login, "market-head")
    assert client.get("/api/v1/me").get_json()["role"] == "department_head"
    assert "审批测试抽查" in client.get("/approvals").get_data(as_text=True)
    form = client.get(f"/api/v1/plans/{filed}/approval-form").get_json()
    assert any("食品安全法" in b for b in form["legal_basis"]) and form["items"][0]["code"] == "SC-003"
    response = client.post(f"/api/v1/plans/{filed}/approval", json={"task_source": "random", "opinion": "同意"})
    assert response.status_code == 201, response.get_json()
    approval = response.get_json()
    assert approval["decision"] == "approved" and approval["task_source"] == "random" and not approval["afterwards"]
    assert approval["legal_basis"] == form["legal_basis"] and "每年对同一企业不超过" in approval["frequency"]
    assert "按信用风险分类随机抽取（A 类 10%、B 类 10%、C 类 20%、D 类 30%）" in approval["subject"]
    assert approval["document"].startswith("东市监检审〔") and approval["document"].endswith("号")
    again = client.post(f"/api/v1/plans/{filed}/approval", json={"task_source": "random"})
    assert again.status_code == 409 and "已经批准" in again.get_json()["message"]
    event = db_session.scalar(select(Event).where(Event.kind == "plan.approved", Event.subject == f"plan:{filed}"))
    document = db_session.scalar(select(Document).where(Document.number == approval["document"]))
    assert event.payload["document"] == document.number and event.payload["sha256"] == document.sha256
    as_user(client, login, "market")
    assert client.post(f"/api/v1/plans/{filed}/draw").status_code == 200


def test_refusals_name_what_is_missing_and_write_nothing(client, login, filed, db_session, counts):
    as_user(client, login, "market-head")
    before = counts()
    bad = client.post(f"/api/v1/plans/{filed}/approval", json={"task_source": "rumour"})
    assert bad.status_code == 422 and "task_source" in bad.get_json()["fields"]
    no_lead = client.post(f"/api/v1/plans/{filed}/approval", json={"task_source": "complaint"})
    assert no_lead.status_code == 422
    assert no_lead.get_json()["message"] == "审批表缺少：投诉举报的线索来源" and "lead" in no_lead.get_json()["fields"]
    assert counts() == before and approvals(db_session, filed) == 0
    # The department itself cannot approve, nor another department's head.
    as_user(client, login, "market")
    assert client.post(f"/api/v1/plans/{filed}/approval", json={"task_source": "random"}).status_code == 403
    as_user(client, login, "fire-head")
    assert client.post(f"/api/v1/plans/{filed}/approval", json={"task_source": "random"}).status_code == 404
    assert approvals(db_session, filed) == 0


def test_a_draft_is_not_approved_and_a_refusal_stops_the_draw(client, login, filed):
    draft = client.post("/api/v1/plans", json={**PLAN, "title": "草稿计划"}).get_json()
    as_user(client, login, "market-head")
    response = client.post(f"/api/v1/plans/{draft['id']}/approval", json={"task_source": "random"})
    assert response.status_code == 409 and "尚未备案" in response.get_json()["message"]
    refusal = client.post(f"/api/v1/plans/{filed}/refusal", json={"reason": "抽查比例过高，请按年度计划调整"})
    assert refusal.status_code == 201 and refusal.get_json()["decision"] == "refused"
    as_user(client, login, "market")
    refused = client.post(f"/api/v1/plans/{filed}/draw")
    assert refused.status_code == 409 and "负责人不予批准：抽查比例过高" in refused.get_json()["message"]


def test_the_head_approves_on_his_page(client, login, filed, db_session):
    as_user(client, login, "market-head")
    page = client.get(f"/approvals/{filed}").get_data(as_text=True)
    assert "行政检查审批表" in page and "SC-003" in page and "检查依据" in page
    client.post(f"/approvals/{filed}", data={"decision": "approve", "task_source": "complaint"})
    assert "审批表缺少：投诉举报的线索来源" in client.get(f"/approvals/{filed}").get_data(as_text=True)
    client.post(f"/approvals/{filed}", data={"decision": "approve", "task_source": "annual_plan"})
    page = client.get(f"/approvals/{filed}").get_data(as_text=True)
    assert "已于" in page and "东市监检审〔" in page
    assert approvals(db_session, filed) == 1
    assert "待审批的检查计划" in client.get("/home").get_data(as_text=True)


def _alerts(db_session, plan_id):
    return db_session.scalars(select(Alert).where(Alert.rule == "unapproved_entry",
                                                  Alert.key.like(f"unapproved_entry:%:{plan_id}"))).all()


def test_an_entry_without_approval_is_alerted(db_session, make_firm, entered):
    today = clock.today()
    visit = entered(make_firm(), day=today)
    plan = visit.tasks[0].plan
    refresh_alerts(db_session, today=today)
    [alert] = _alerts(db_session, plan.id)
    assert "未经负责人批准" in alert.title and alert.evidence["visit"] == visit.id


def test_an_emergency_entry_is_approved_afterwards_within_the_deadline(db_session, make_firm, entered):
    today = clock.today()
    late, on_time = entered(make_firm(), day=today), entered(make_firm(), day=today)
    head = db_session.scalar(select(User).where(User.username == "market-head"))
    for visit in (late, on_time):
        visit.origin, visit.emergency_kind, visit.backfile_due = "emergency", "accident", today
        plan = visit.tasks[0].plan
        plan.selection, plan.lead = "targeted", "紧急入企（生产安全事故）"
    db_session.flush()
    due = add_working_days(today, AFTERWARDS_WORKING_DAYS)
    refresh_alerts(db_session, today=due)
    assert not _alerts(db_session, late.tasks[0].plan.id)   # still within the deadline
    approval = approve_plan(db_session, head, on_time.tasks[0].plan, task_source="accident")
    assert approval.afterwards and approval.document.kind == "approval"
    refresh_alerts(db_session, today=due + dt.timedelta(days=1))
    [alert] = _alerts(db_session, late.tasks[0].plan.id)
    assert f"应于 {due} 前补办审批" in alert.title and "至今未补办" in alert.title
    assert not _alerts(db_session, on_time.tasks[0].plan.id)


def test_every_demo_department_has_a_head(db_session):
    heads = {u.department.code for u in db_session.scalars(select(User).where(User.role == "department_head"))}
    assert heads == set(db_session.scalars(select(Department.code)))
