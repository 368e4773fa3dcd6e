"""Who may inspect whom: yearly caps of departments, quiet periods and their exceptions,
qualified certified officers only, conflicts of interest, jurisdiction that moves."""
import datetime as dt

import pytest
from sqlalchemy import select

from inspection.models import Department, District, Firm, Officer, Visit
from tests.approvals import approve, drawn_plan
from tests.leads import recorded_lead

APRIL = {"period_start": "2026-04-01", "period_end": "2026-04-30"}


def test_department_yearly_cap_excludes_firms_it_already_inspects(client, login):
    login("market")
    assert client.put("/api/v1/departments/market/yearly-cap", json={"yearly_cap": 1}).get_json()["yearly_cap"] == 1
    assert client.put("/api/v1/departments/fire/yearly-cap", json={"yearly_cap": 1}).status_code == 403
    _, first = drawn_plan(client, items=["SC-002"], target_industries=["餐饮服务", "食品销售"])
    _, second = drawn_plan(client, items=["SC-003"], period_start="2026-06-01", period_end="2026-06-30",
                           target_industries=["餐饮服务", "食品销售"])
    capped = {e["uscc"] for e in second["excluded"] if e["reason"] == "department_cap"}
    assert capped and capped == set(first["selected"]) & ({e["uscc"] for e in second["pool"]} | capped)


def test_department_cap_counts_a_joint_visit_for_each_department(client, login):
    login("fire")
    client.put("/api/v1/departments/fire/yearly-cap", json={"yearly_cap": 1})
    client.delete("/api/v1/session")
    login("market")
    campaign = client.post("/api/v1/campaigns", json={"title": "联合", **APRIL}).get_json()
    common = {**APRIL, "ratios": {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}, "campaign": campaign["id"],
              "target_industries": ["餐饮服务"]}
    market = client.post("/api/v1/plans", json={**common, "title": "市场", "items": ["SC-003"]}).get_json()
    client.post(f"/api/v1/plans/{market['id']}/file")
    approve(client, market["id"])
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防", "items": ["XF-002"]}).get_json()
    client.post(f"/api/v1/plans/{fire['id']}/file")
    approve(client, fire["id"])
    client.post(f"/api/v1/campaigns/{campaign['id']}/draw")
    joint = set(client.get(f"/api/v1/public/plans/{fire['id']}/draw").get_json()["selected"])
    _, later = drawn_plan(client, items=["XF-002"], period_start="2026-07-01", period_end="2026-07-31",
                          target_industries=["餐饮服务"])
    assert joint <= {e["uscc"] for e in later["excluded"] if e["reason"] == "department_cap"}


def test_quiet_periods_close_days_and_exclude_firms_quiet_all_period(client, login, db_session):
    login("oversight")
    assert client.post("/api/v1/quiet-periods", json={"scope": "district", "district": "370502",
                                                      "days_of_month": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                                                      "reason": "月初纳税申报期"}).status_code == 201
    client.delete("/api/v1/session")
    login("market")
    assert client.post("/api/v1/quiet-periods", json={"scope": "city", "days_of_month": [1], "reason": "月末结账"}).status_code == 403
    firm = db_session.scalar(select(Firm).join(District).where(District.code == "370503", Firm.industry == "餐饮服务"))
    busy = client.post("/api/v1/quiet-periods", json={"scope": "firm", "firm": firm.uscc, "start": "2026-04-01",
                                                      "end": "2026-04-30", "reason": "旺季经营，经部门批准"})
    assert busy.status_code == 201, busy.get_json()
    plan_id, record = drawn_plan(client, target_industries=["餐饮服务"])
    assert {"uscc": firm.uscc, "reason": f"quiet_period:{busy.get_json()['id']}"} in record["excluded"]
    run = client.post(f"/api/v1/plans/{plan_id}/schedule").get_json()
    assert run["stats"]["check"] == []
    for visit in client.get(f"/api/v1/plans/{plan_id}/visits").get_json():
        if visit["firm"][2:8] == "370502":
            assert dt.date.fromisoformat(visit["day"]).day > 10, visit


def test_a_quiet_period_across_a_month_end(client, login, db_session):
    login("market")
    firm = db_session.scalar(select(Firm).join(District).where(District.code == "370505", Firm.industry == "餐饮服务"))
    client.post("/api/v1/quiet-periods", json={"scope": "firm", "firm": firm.uscc, "start": "2026-04-27",
                                               "end": "2026-05-08", "reason": "年中盘点"})
    plan_id, record = drawn_plan(client, period_start="2026-04-27", period_end="2026-05-15",
                                 target_industries=["餐饮服务"], ratios={c: 1.0 for c in "ABCD"})
    assert firm.uscc in record["selected"]
    client.post(f"/api/v1/plans/{plan_id}/schedule")
    visit = next(v for v in client.get(f"/api/v1/plans/{plan_id}/visits").get_json() if v["firm"] == firm.uscc)
    assert visit["day"] > "2026-05-08"


def test_a_typed_exception_with_evidence_lifts_the_quiet_period(client, login, db_session):
    login("market")
    firm = db_session.scalar(select(Firm).join(District).where(District.code == "370503", Firm.industry == "餐饮服务"))
    client.post("/api/v1/quiet-periods", json={"scope": "firm", "firm": firm.uscc, "start": "2026-04-01",
                                               "end": "2026-04-30", "reason": "旺季"})
    missing = client.post("/api/v1/plans", json={**APRIL, "title": "投诉核查", "items": ["SC-003"],
                                                 "ratios": {"A": 1.0}, "quiet_exception": "complaint"})
    assert missing.status_code == 422 and missing.get_json()["fields"] == {"quiet_exception_evidence": "必填"}
    _, record = drawn_plan(client, target_industries=["餐饮服务"], ratios={c: 1.0 for c in "ABCD"},
                           quiet_exception="complaint", quiet_exception_evidence="12345 热线 TS2026-0611")
    assert firm.uscc in record["selected"]


def _fire_firm(db_session):
    return db_session.scalar(select(Firm).join(District).where(District.code == "370503", Firm.industry == "餐饮服务"))


def test_a_departments_quiet_period_binds_its_own_plans_only(client, login, db_session):
    firm = _fire_firm(db_session)
    login("market")
    own = client.post("/api/v1/quiet-periods", json={"scope": "firm", "firm": firm.uscc, "start": "2026-04-01",
                                                     "end": "2026-04-30", "reason": "旺季经营，经部门批准"})
    assert own.status_code == 201 and own.get_json()["department"] is not None
    _, market = drawn_plan(client, target_industries=["餐饮服务"], ratios={c: 1.0 for c in "ABCD"})
    assert {"uscc": firm.uscc, "reason": f"quiet_period:{own.get_json()['id']}"} in market["excluded"]
    client.delete("/api/v1/session")
    login("fire")
    _, fire = drawn_plan(client, items=["XF-002"], target_industries=["餐饮服务"], ratios={c: 1.0 for c in "ABCD"})
    assert firm.uscc in fire["selected"]
    assert not [e for e in fire["excluded"] if e["uscc"] == firm.uscc]


@pytest.mark.parametrize("period", [{"days_of_month": [1, 2, 3]}, {"start": "2026-04-01"},
                                    {"start": "0001-01-01", "end": "9999-12-31"},
                                    {"start": "2026-04-01", "end": "2026-05-01"}])
def test_a_firms_quiet_period_has_an_end_and_a_bounded_length(client, login, db_session, period):
    firm = _fire_firm(db_session)
    login("market")
    response = client.post("/api/v1/quiet-periods", json={"scope": "firm", "firm": firm.uscc, "reason": "无限期宁静",
                                                          **period})
    assert response.status_code == 422, response.get_json()


def test_a_firm_wide_quiet_period_is_declared_by_oversight_with_evidence(client, login, db_session):
    firm = _fire_firm(db_session)
    body = {"scope": "firm", "firm": firm.uscc, "start": "2026-04-01", "end": "2026-04-30", "reason": "重大活动保障"}
    login("oversight")
    missing = client.post("/api/v1/quiet-periods", json=body)
    assert missing.status_code == 422 and "evidence" in missing.get_json()["fields"]
    wide = client.post("/api/v1/quiet-periods", json={**body, "evidence": "市政府办公室通知 2026-3 号"})
    assert wide.status_code == 201 and wide.get_json()["department"] is None
    client.delete("/api/v1/session")
    login("fire")
    _, fire = drawn_plan(client, items=["XF-002"], target_industries=["餐饮服务"], ratios={c: 1.0 for c in "ABCD"})
    assert {"uscc": firm.uscc, "reason": f"quiet_period:{wide.get_json()['id']}"} in fire["excluded"]


def test_audit_flags_long_late_and_piled_up_quiet_periods(client, login, db_session):
    from core import clock
    from inspection.models import QuietPeriod
    from inspection.operations.alerts import refresh_alerts

    firm = _fire_firm(db_session)
    today = clock.today()
    login("market")
    soon = today + dt.timedelta(days=1)
    late = client.post("/api/v1/quiet-periods", json={"scope": "firm", "firm": firm.uscc, "start": soon.isoformat(),
                                                      "end": (soon + dt.timedelta(days=9)).isoformat(), "reason": "临时"})
    assert late.status_code == 201
    year = today.year + 1
    for month in (5, 8):
        assert client.post("/api/v1/quiet-periods", json={
            "scope": "firm", "firm": firm.uscc, "start": f"{year}-0{month}-01", "end": f"{year}-0{month}-20",
            "reason": "旺季"}).status_code == 201
    legacy = QuietPeriod(scope="firm", firm_id=firm.id, start=dt.date(year + 2, 1, 1), end=dt.date(year + 2, 3, 31),
                         reason="旧数据")
    db_session.add(legacy)
    db_session.flush()
    raised = refresh_alerts(db_session, today=today)
    assert raised["quiet_periods"] >= 3
    from inspection.models import Alert
    keys = set(db_session.scalars(select(Alert.key).where(Alert.rule == "quiet_periods")))
    assert {f"quiet_late:{late.get_json()['id']}", f"quiet_long:{legacy.id}", f"quiet_year:{firm.id}:{year}"} <= keys


@pytest.fixture
def small_plan(client, login):
    login("market")
    return drawn_plan(client, target_industries=["餐饮服务"], target_districts=["370502"],
                      ratios={c: 0.3 for c in "ABCD"})


def test_only_certified_enforcement_officers_are_on_teams(client, small_plan, db_session):
    plan_id, _ = small_plan
    grid = db_session.scalars(select(Officer).join(Department).where(Department.code == "market")).all()[:8]
    for officer in grid:
        officer.kind = "grid"  # grid staff may accompany, never count
    expiring = db_session.scalars(select(Officer).join(Department).where(Department.code == "market")).all()[8]
    expiring.valid_to = dt.date(2026, 4, 15)
    db_session.commit()
    client.post(f"/api/v1/plans/{plan_id}/schedule")
    grid_numbers = {o.certificate_no for o in grid}
    for visit in client.get(f"/api/v1/plans/{plan_id}/visits").get_json():
        numbers = {o["certificate_no"] for o in visit["officers"]}
        assert not numbers & grid_numbers
        if expiring.certificate_no in numbers:
            assert visit["day"] <= "2026-04-15"  # valid through the 15th, that day included


def test_conflicted_officer_never_inspects_the_firm(client, small_plan, db_session):
    plan_id, record = small_plan
    client.post(f"/api/v1/plans/{plan_id}/schedule")
    visit = client.get(f"/api/v1/plans/{plan_id}/visits").get_json()[0]
    officer = visit["officers"][0]["certificate_no"]
    response = client.post(f"/api/v1/officers/{officer}/conflicts", json={"firm": visit["firm"], "reason": "配偶在该企业任职"})
    assert response.status_code == 201
    client.post(f"/api/v1/plans/{plan_id}/schedule")
    again = next(v for v in client.get(f"/api/v1/plans/{plan_id}/visits").get_json() if v["firm"] == visit["firm"])
    assert officer not in {o["certificate_no"] for o in again["officers"]}
    ranking = client.get(f"/api/v1/visits/{again['id']}/ranking").get_json()
    assert next(r for r in ranking if r["certificate_no"] == officer)["reason"] == "conflict"


def test_a_district_moved_to_another_department(client, login, db_session):
    login("market")
    plan = client.post("/api/v1/plans", json={**APRIL, "title": "河口区抽查", "items": ["SC-003"],
                                              "target_districts": ["370503"], "ratios": {"A": 0.5}}).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/file")
    approve(client, plan["id"])
    market = db_session.scalar(select(Department).where(Department.code == "market"))
    market.districts = [d for d in market.districts if d.code != "370503"]
    db_session.commit()
    refused = client.post(f"/api/v1/plans/{plan['id']}/draw")
    assert refused.status_code == 422 and refused.get_json()["error"] == "outside_jurisdiction"
    _, record = drawn_plan(client, target_industries=["餐饮服务"], ratios={c: 0.5 for c in "ABCD"})
    assert all(e["uscc"][2:8] != "370503" for e in record["pool"])


def test_officers_do_not_cross_into_a_district_their_department_lost(client, small_plan, login, db_session):
    plan_id, _ = small_plan
    market = db_session.scalar(select(Department).where(Department.code == "market"))
    kept = [d for d in market.districts if d.code in ("370502", "370503")]
    market.districts = kept
    db_session.commit()
    client.post(f"/api/v1/plans/{plan_id}/schedule")
    for visit in db_session.scalars(select(Visit)):
        assert visit.firm.district.code in ("370502", "370503")


def test_oversight_sees_refused_attempts_and_the_share_of_quiet_exceptions(client, login):
    login("market")
    client.post("/api/v1/plans", json={**APRIL, "title": "越界", "items": ["SC-003"], "target_districts": ["999999"]})
    drawn_plan(client, target_industries=["餐饮服务"], quiet_exception="order", quiet_exception_evidence="市政府督办函 2026-12 号")
    drawn_plan(client, target_industries=["食品销售"])
    client.delete("/api/v1/session")
    login("oversight")
    page = client.get("/home").get_data(as_text=True)
    assert "被拒绝的越权尝试" in page and "999999 不在东营市市场监督管理局的管辖范围内" in page
    assert "<td>市场监管</td><td>2</td><td>1</td><td>50%</td>" in page


def test_specialist_items_get_only_qualified_officers(client, login, db_session):
    login("market")
    plan_id, _ = drawn_plan(client, items=["SC-004"], lead=recorded_lead(db_session), target_districts=["370502"],
                            ratios={c: 0.3 for c in "ABCD"})
    run = client.post(f"/api/v1/plans/{plan_id}/schedule").get_json()
    assert run["stats"]["check"] == []
    qualified = {o.certificate_no for o in db_session.scalars(select(Officer)) if "特种设备检查" in (o.qualifications or [])}
    visits = client.get(f"/api/v1/plans/{plan_id}/visits").get_json()
    assert visits
    for visit in visits:
        assert {o["certificate_no"] for o in visit["officers"]} <= qualified
    reasons = {r["reason"] for v in visits[:3] for r in client.get(f"/api/v1/visits/{v['id']}/ranking").get_json()}
    assert "qualification" in reasons


def test_a_plans_inspector_pool_limits_its_teams(client, login, db_session):
    login("market")
    pool = [o.certificate_no for o in db_session.scalars(
        select(Officer).join(Department).where(Department.code == "market", Officer.valid_to > dt.date(2027, 1, 1))
        .order_by(Officer.certificate_no)).all()[:6]]
    refused = client.post("/api/v1/plans", json={**APRIL, "title": "x计划", "items": ["SC-003"], "ratios": {"A": 0.1},
                                                 "officer_pool": pool[:1] + ["37050400001"]})
    assert refused.status_code == 422 and "37050400001" in refused.get_json()["fields"]["officer_pool"]
    plan_id, _ = drawn_plan(client, target_industries=["餐饮服务"], target_districts=["370502"],
                            ratios={c: 0.3 for c in "ABCD"}, officer_pool=pool)
    assert client.get(f"/api/v1/plans/{plan_id}").get_json()["officer_pool"] == pool
    run = client.post(f"/api/v1/plans/{plan_id}/schedule").get_json()
    assert run["stats"]["check"] == []
    visits = client.get(f"/api/v1/plans/{plan_id}/visits").get_json()
    assert visits
    for visit in visits:
        assert {o["certificate_no"] for o in visit["officers"]} <= set(pool)
