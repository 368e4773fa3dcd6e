"""清单之外无检查: every path that creates a plan refuses items outside the published catalogue."""
import datetime as dt

import pytest

from checklists.operations.publish import revoke_item
from inspection.models import InspectionPlan
from tests.catalogue_files import valid, write
from tests.leads import recorded_lead

PLAN = {"title": "2026年食品生产企业双随机抽查", "period_start": "2026-04-01", "period_end": "2026-04-30"}


@pytest.fixture
def market(login):
    return login("market")


def post_plan(client, items, **overrides):
    return client.post("/api/v1/plans", json={**PLAN, "items": items, **overrides})


def assert_refused(response, code, fragment):
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "outside_catalogue"
    assert fragment in body["fields"]["items"][code]
    assert fragment in body["message"]


def test_published_item_of_own_department_is_accepted(client, market, counts):
    before = counts()
    response = post_plan(client, ["SC-001", "SC-003"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [i["code"] for i in body["items"]] == ["SC-001", "SC-003"]
    assert body["status"] == "draft"
    after = counts()
    assert after["InspectionPlan"] == before["InspectionPlan"] + 1
    assert after["Event"] == before["Event"] + 1


def test_unknown_item_is_refused_and_nothing_written(client, market, counts):
    before = counts()
    assert_refused(post_plan(client, ["SC-001", "ZZ-999"]), "ZZ-999", "不在已发布的检查事项清单中")
    assert counts() == before


def test_other_departments_item_is_refused(client, market, counts):
    before = counts()
    assert_refused(post_plan(client, ["XF-001"]), "XF-001", "由东营市消防救援支队实施，东营市市场监督管理局无权据此检查")
    assert counts() == before


def test_unpublished_item_is_refused(client, market, runner, tmp_path, counts):
    assert runner.invoke(args=["load-catalogue", str(write(tmp_path, valid("T-draft"))), "--draft"]).exit_code == 0
    before = counts()
    assert_refused(post_plan(client, ["SC-901"]), "SC-901", "尚未发布")
    assert counts() == before


def test_revoked_item_is_refused(client, market, db_session, counts):
    revoke_item(db_session, "SC-002", now=dt.datetime(2026, 3, 1))
    db_session.commit()
    before = counts()
    assert_refused(post_plan(client, ["SC-002"]), "SC-002", "已撤销")
    assert counts() == before


def test_item_not_in_force_over_the_period_is_refused(client, market, runner, tmp_path, counts):
    assert runner.invoke(args=["load-catalogue", str(write(tmp_path, valid("T-until")))]).exit_code == 0
    before = counts()
    response = post_plan(client, ["SC-901"], period_start="2026-12-01", period_end="2027-01-31")
    assert_refused(response, "SC-901", "2027-01-31 不在有效期内")
    assert counts() == before


def test_key_and_special_items_need_a_lead(client, market, counts, db_session):
    before = counts()
    response = post_plan(client, ["SC-001", "SC-004"])  # SC-004 is a key (重点) item
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"lead": "必填"}
    assert "无线索不检查" in response.get_json()["message"]
    assert counts() == before
    unrecorded = post_plan(client, ["SC-004"], lead="x")   # a lead must be recorded on the platform first
    assert unrecorded.status_code == 422 and unrecorded.get_json()["fields"] == {"lead": "未登记"}
    assert "「x」不是" in unrecorded.get_json()["message"] and counts() == before
    reference = recorded_lead(db_session)
    created = post_plan(client, ["SC-004"], lead=reference)
    assert created.status_code == 201
    plan = db_session.get(InspectionPlan, created.get_json()["id"])
    assert plan.lead_id is not None and reference in plan.lead


def test_page_form_goes_through_the_same_gate(client, market, counts):
    before = counts()
    response = client.post("/plans/new", data={**PLAN, "items": ["SC-001", "XF-001"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "无权据此检查" in page and 'value="SC-001" checked' in page
    assert counts() == before
    response = client.post("/plans/new", data={**PLAN, "items": ["SC-001"]})
    assert response.status_code == 302
    assert "2026年食品生产企业双随机抽查" in client.get("/plans").get_data(as_text=True)


def test_only_department_accounts_file_plans(client, login, counts):
    login("inspector1")
    before = counts()
    response = post_plan(client, ["SC-001"])
    assert response.status_code == 403 and response.get_json()["error"] == "not_permitted"
    assert counts() == before
