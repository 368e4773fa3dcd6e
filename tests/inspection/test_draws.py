"""双随机、一公开: filed plans commit to a seed, draws reveal it, anyone re-computes the selection."""
import json
import math

from sqlalchemy import select

from inspection.models import Department, District, Draw, Event
from tests.approvals import approve
from tests.draw_checks import independent_selection

PLAN = {"title": "2026年二季度食品生产企业双随机抽查", "period_start": "2026-04-01", "period_end": "2026-06-30",
        "items": ["SC-001"], "ratios": {"A": 0.05, "B": 0.1, "C": 0.3, "D": 0.5},
        "target_industries": ["食品制造", "食品销售", "餐饮服务", "批发零售"]}


def test_commit_then_reveal_and_independent_recomputation(client, plans):
    plan = plans()
    filed = plans.file(plan["id"])
    commitment = filed["seed_commitment"]
    assert len(commitment) == 64 and filed["committed_at"].endswith("Z")
    assert "seed" not in filed
    assert client.get(f"/api/v1/public/plans/{plan['id']}/draw").status_code == 404
    record = plans.draw(plan["id"])
    assert record["algorithm"] == "prn-hmac-sha256-v1"
    assert record["seed_commitment"] == commitment
    assert record["plan"] == str(plan["id"]) and record["campaign"] is None
    assert independent_selection(record) == record["selected"]
    assert len(record["selected"]) == client.get(f"/api/v1/plans/{plan['id']}").get_json()["tasks"]


def test_ratios_per_class(plans):
    plan = plans()
    plans.file(plan["id"])
    record = plans.draw(plan["id"])
    selected = set(record["selected"])
    for credit_class, ratio in PLAN["ratios"].items():
        members = [e["uscc"] for e in record["pool"] if e["class"] == credit_class]
        assert sum(code in selected for code in members) == min(len(members), math.ceil(ratio * len(members) - 1e-9))


def test_verify_draw_passes_and_detects_changes(plans, runner, db_session):
    plan = plans()
    plans.file(plan["id"])
    plans.draw(plan["id"])
    result = runner.invoke(args=["verify-draw", str(plan["id"])])
    assert result.exit_code == 0, result.output
    printed = json.loads(runner.invoke(args=["export-draw", str(plan["id"])]).output)
    assert independent_selection(printed) == printed["selected"]

    draw = db_session.scalar(select(Draw).where(Draw.plan_id == plan["id"]))
    original = json.loads(json.dumps(draw.record))
    tampered = [
        ({**original, "selected": original["selected"][1:] + [original["pool"][-1]["uscc"]]}, "抽中名单与记录不符"),
        ({**original, "pool": original["pool"][1:]}, "抽取池与其摘要"),
        ({**original, "seed": "00" * 32}, "种子与其承诺值"),
    ]
    for record, message in tampered:
        draw.record = record
        db_session.commit()
        result = runner.invoke(args=["verify-draw", str(plan["id"])])
        assert result.exit_code == 1 and message in result.output, result.output


def test_export_all(plans, runner, tmp_path):
    for _ in range(2):
        plan = plans()
        plans.file(plan["id"])
        plans.draw(plan["id"])
    result = runner.invoke(args=["export-draw", "--all", "--out", str(tmp_path)])
    assert result.exit_code == 0
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) >= 2
    for path in files:
        record = json.loads(path.read_text(encoding="utf-8"))
        assert independent_selection(record) == record["selected"]


def test_illegal_transitions_are_refused_and_change_nothing(client, plans, counts):
    plan = plans()
    before = counts()
    response = client.post(f"/api/v1/plans/{plan['id']}/draw")
    assert response.status_code == 409 and response.get_json()["error"] == "invalid_state"
    assert "当前状态为「草稿」，不能抽取" in response.get_json()["message"]
    assert counts() == before
    plans.file(plan["id"])
    response = client.post(f"/api/v1/plans/{plan['id']}/file")
    assert response.status_code == 409 and "不能备案" in response.get_json()["message"]
    plans.draw(plan["id"])
    response = client.post(f"/api/v1/plans/{plan['id']}/draw")
    assert response.status_code == 409
    cancelled = client.post(f"/api/v1/plans/{plan['id']}/cancel", json={"reason": "上级部署调整"})
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/plans/{plan['id']}/file").status_code == 409


def test_filing_needs_ratios(client, plans):
    plan = plans(ratios={})
    response = client.post(f"/api/v1/plans/{plan['id']}/file")
    assert response.status_code == 422 and response.get_json()["fields"] == {"ratios": "必填"}


def test_yearly_cap_excludes_firms_already_inspected_for_the_item(plans):
    first = plans()
    plans.file(first["id"])
    drawn = set(plans.draw(first["id"])["selected"])
    second = plans(title="2026年三季度食品生产抽查", period_start="2026-07-01", period_end="2026-09-30")
    plans.file(second["id"])
    record = plans.draw(second["id"])
    capped = {e["uscc"] for e in record["excluded"] if e["reason"] == "yearly_cap"}
    assert capped == drawn  # SC-001 allows one inspection per firm a year
    assert not capped & {e["uscc"] for e in record["pool"]}


def test_cancelled_tasks_do_not_count_toward_the_cap(client, plans):
    first = plans()
    plans.file(first["id"])
    plans.draw(first["id"])
    assert client.post(f"/api/v1/plans/{first['id']}/cancel", json={"reason": "计划撤回"}).status_code == 200
    second = plans(title="2026年三季度食品生产抽查", period_start="2026-07-01", period_end="2026-09-30")
    plans.file(second["id"])
    assert not [e for e in plans.draw(second["id"])["excluded"] if e["reason"] == "yearly_cap"]


def test_rotation_draws_nobody_twice_until_the_class_is_covered(plans):
    seen: dict[str, int] = {}
    repeats = 0
    pool_sizes = []
    for period in range(5):
        plan = plans(title=f"第{period + 1}期抽查", items=["SC-002"], series="food-sales-rotation",
                     period_start=f"2026-0{period + 1}-01", period_end=f"2026-0{period + 1}-28",
                     ratios={"A": 0.2, "B": 0.2, "C": 0.2, "D": 0.2})
        plans.file(plan["id"])
        record = plans.draw(plan["id"])
        pool_sizes.append(len(record["pool"]))
        rotated = {e["uscc"] for e in record["excluded"] if e["reason"] == "rotation"}
        assert rotated == set(seen) - {e["uscc"] for e in record["excluded"] if e["reason"] != "rotation"} or period == 0
        for code in record["selected"]:
            repeats += code in seen
            seen[code] = period
    assert repeats == 0
    assert pool_sizes == sorted(pool_sizes, reverse=True) and pool_sizes[-1] < pool_sizes[0]


def test_rotation_starts_a_new_cycle_once_a_class_is_covered(plans):
    covered_after = None
    drawn: set[str] = set()
    for period in range(8):
        plan = plans(title=f"第{period + 1}期", items=["SC-002"], series="tiny", ratios={"D": 0.6},
                     period_start=f"2026-0{period + 1}-01", period_end=f"2026-0{period + 1}-28")
        plans.file(plan["id"])
        record = plans.draw(plan["id"])
        class_d = {e["uscc"] for e in record["pool"] if e["class"] == "D"}
        if covered_after is not None:
            assert not [e for e in record["excluded"] if e["reason"] == "rotation"]
            break
        new = set(record["selected"])
        assert not new & drawn
        drawn |= new
        if not class_d - set(record["selected"]):
            covered_after = period
    assert covered_after is not None


def test_plan_districts_must_be_in_the_departments_jurisdiction(client, plans, db_session, counts):
    market = db_session.scalar(select(Department).where(Department.code == "market"))
    market.districts = [db_session.scalar(select(District).where(District.code == "370502"))]
    db_session.commit()
    before = counts()
    response = client.post("/api/v1/plans", json={**PLAN, "target_districts": ["370502", "370503"]})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "outside_jurisdiction"
    assert body["fields"] == {"target_districts": {"370503": "不在管辖范围内"}}
    assert "禁止违规异地执法" in body["message"]
    # Nothing of the plan was written, but the attempt is on the record for oversight.
    after = counts()
    assert {**after, "Event": before["Event"]} == before and after["Event"] == before["Event"] + 1
    refusal = db_session.scalars(select(Event).order_by(Event.seq.desc())).first()
    assert refusal.kind == "refused" and refusal.actor == "user:market"
    assert refusal.payload["error"] == "outside_jurisdiction" and "370503" in refusal.payload["message"]
    plan = plans(target_districts=[])
    plans.file(plan["id"])
    record = plans.draw(plan["id"])
    assert all(e["uscc"][2:8] == "370502" for e in record["pool"])


def test_joint_campaign_shares_the_seed_and_overlaps(client, login):
    login("market")
    campaign = client.post("/api/v1/campaigns", json={"title": "2026年二季度餐饮场所联合抽查",
                                                      "period_start": "2026-04-01", "period_end": "2026-06-30"}).get_json()
    assert len(campaign["seed_commitment"]) == 64
    common = {"period_start": "2026-04-01", "period_end": "2026-06-30", "target_industries": ["餐饮服务", "住宿"],
              "ratios": {"A": 0.3, "B": 0.3, "C": 0.3, "D": 0.3}, "campaign": campaign["id"]}
    market = client.post("/api/v1/plans", json={**common, "title": "市场监管部分", "items": ["SC-003"]}).get_json()
    assert client.post(f"/api/v1/plans/{market['id']}/file").status_code == 200
    approve(client, market["id"])
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防部分", "items": ["XF-002"]}).get_json()
    assert client.post(f"/api/v1/plans/{fire['id']}/file").get_json()["seed_commitment"] == campaign["seed_commitment"]
    approve(client, fire["id"])
    drawn = client.post(f"/api/v1/campaigns/{campaign['id']}/draw").get_json()
    assert drawn["status"] == "drawn" and {p["status"] for p in drawn["plans"]} == {"drawn"}
    a = client.get(f"/api/v1/public/plans/{market['id']}/draw").get_json()
    b = client.get(f"/api/v1/public/plans/{fire['id']}/draw").get_json()
    assert a["seed"] == b["seed"] and a["campaign"] == b["campaign"] == str(campaign["id"])
    assert independent_selection(a) == a["selected"] and independent_selection(b) == b["selected"]
    both = {e["uscc"] for e in a["pool"]} & {e["uscc"] for e in b["pool"]}
    in_a, in_b = set(a["selected"]) & both, set(b["selected"]) & both
    # Same seed, same numbers: among firms both plans could draw, the selections nest.
    assert in_a <= in_b or in_b <= in_a


def test_public_pages_show_commitment_then_record_without_login(client, plans, app):
    plan = plans()
    plans.file(plan["id"])
    anonymous = app.test_client()
    page = anonymous.get(f"/public/plans/{plan['id']}").get_data(as_text=True)
    assert "尚未抽取" in page and client.get(f"/api/v1/plans/{plan['id']}").get_json()["seed_commitment"] in page
    record = plans.draw(plan["id"])
    page = anonymous.get(f"/public/plans/{plan['id']}").get_data(as_text=True)
    assert record["seed"] in page and all(code in page for code in record["selected"])
    assert plan["title"] in anonymous.get("/public/plans").get_data(as_text=True)
    assert anonymous.get(f"/api/v1/public/plans/{plan['id']}/draw").get_json() == record


def test_tag_driven_campaign_proposal_accept_and_decline(client, login):
    login("market")
    common = {"period_start": "2026-05-01", "period_end": "2026-05-31", "ratios": {"A": 0.2, "B": 0.2, "C": 0.4, "D": 0.6}}
    market = client.post("/api/v1/plans", json={**common, "title": "餐饮服务抽查", "items": ["SC-003"]}).get_json()
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "人员密集场所消防抽查", "items": ["XF-002"]}).get_json()
    proposals = client.get(f"/api/v1/plans/{fire['id']}/campaign-proposals").get_json()
    proposal = next(p for p in proposals if set(p["plans"]) == {market["id"], fire["id"]})
    assert proposal["shared_firms"] > 0
    assert proposal["visits_saved"] >= 1
    assert proposal["expected_visits_joint"] < proposal["expected_visits_independent"]
    page = client.get(f"/plans/{fire['id']}").get_data(as_text=True)
    assert "联合抽查建议" in page and "减少约" in page and "同意联合抽查" in page
    answer = client.post(f"/api/v1/campaign-proposals/{proposal['id']}/answer",
                         json={"plan": fire["id"], "accept": True}).get_json()
    assert answer["status"] == "open" and answer["accepted"] == [fire["id"]]
    assert client.post(f"/api/v1/campaign-proposals/{proposal['id']}/answer",
                       json={"plan": market["id"], "accept": True}).status_code == 404  # not fire's plan
    client.delete("/api/v1/session")
    login("market")
    done = client.post(f"/api/v1/campaign-proposals/{proposal['id']}/answer",
                       json={"plan": market["id"], "accept": True}).get_json()
    assert done["status"] == "accepted" and done["campaign"]
    assert client.get(f"/api/v1/plans/{market['id']}").get_json()["campaign"] == done["campaign"]
    assert client.get(f"/api/v1/campaigns/{done['campaign']}").get_json()["plans"][0]["status"] == "draft"
    again = client.post(f"/api/v1/campaign-proposals/{proposal['id']}/answer", json={"plan": market["id"], "accept": False})
    assert again.status_code == 409


def test_declined_proposals_are_not_made_again(client, login):
    login("market")
    common = {"period_start": "2026-05-01", "period_end": "2026-05-31", "ratios": {"C": 0.5, "D": 0.5}}
    market = client.post("/api/v1/plans", json={**common, "title": "餐饮抽查", "items": ["SC-003"]}).get_json()
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防抽查", "items": ["XF-002"]}).get_json()
    proposal = next(p for p in client.get(f"/api/v1/plans/{fire['id']}/campaign-proposals").get_json()
                    if market["id"] in p["plans"])
    declined = client.post(f"/api/v1/campaign-proposals/{proposal['id']}/answer", json={"plan": fire["id"], "accept": False})
    assert declined.get_json()["status"] == "declined"
    assert not [p for p in client.get(f"/api/v1/plans/{fire['id']}/campaign-proposals").get_json()
                if set(p["plans"]) == {market["id"], fire["id"]}]


def test_a_plan_refused_through_the_page_is_on_the_record_like_the_api(client, plans, db_session, counts):
    market = db_session.scalar(select(Department).where(Department.code == "market"))
    market.districts = [db_session.scalar(select(District).where(District.code == "370502"))]
    db_session.commit()

    def last_event():
        db_session.expire_all()
        return db_session.scalars(select(Event).order_by(Event.seq.desc())).first()

    before = counts()
    form = {"title": PLAN["title"], "period_start": PLAN["period_start"], "period_end": PLAN["period_end"],
            "items": PLAN["items"], "target_industries": PLAN["target_industries"],
            "target_districts": ["370502", "370503"], **{f"ratio_{c}": "10" for c in "ABCD"}}
    response = client.post("/plans/new", data=form)
    assert response.status_code == 422 and "禁止违规异地执法" in response.get_data(as_text=True)
    after = counts()
    assert {**after, "Event": before["Event"]} == before and after["Event"] == before["Event"] + 1
    page_refusal = last_event()
    assert page_refusal.kind == "refused" and page_refusal.actor == "user:market"
    assert page_refusal.payload["error"] == "outside_jurisdiction" and "370503" in page_refusal.payload["message"]

    api = client.post("/api/v1/plans", json={**PLAN, "ratios": {c: 0.1 for c in "ABCD"},
                                             "target_districts": ["370502", "370503"]})
    assert api.status_code == 422
    api_refusal = last_event()
    assert api_refusal.seq != page_refusal.seq
    assert (api_refusal.kind, api_refusal.actor, api_refusal.payload) == \
        (page_refusal.kind, page_refusal.actor, page_refusal.payload)
