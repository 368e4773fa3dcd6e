"""Risk-weighted draws (prn-sps-hmac-sha256-v1): the same numbers u, keys u / w, reproducible by anyone
from the record; the weight floor keeps every firm drawable; joint campaigns stay coordinated."""
import hashlib
import json
import math

import pytest
from sqlalchemy import select

from inspection.models import Draw, Event, Firm, InspectionPlan, RiskModel
from inspection.pure import draws
from tests.approvals import approve
from tests.draw_checks import independent_selection
from tests.risk_models import WEIGHTED_PLAN as PLAN
from tests.risk_models import publish_model, spread


@pytest.fixture
def model(db_session):
    made = publish_model(db_session, "test-1", spread)
    db_session.commit()
    return made


def test_weighted_draw_is_recomputed_independently(client, plans, model, runner, db_session):
    plan = plans()
    assert plan["weighting"] == "risk" and plan["risk_model"] is None
    filed = plans.file(plan["id"])
    assert filed["risk_model"] == "test-1"  # bound at filing, before the seed is revealed
    record = plans.draw(plan["id"])
    assert record["algorithm"] == "prn-sps-hmac-sha256-v1"
    assert record["risk_model"] == "test-1" and record["weight_floor"] == draws.WEIGHT_FLOOR
    assert all(0 < e["weight"] < 1 for e in record["pool"])
    assert independent_selection(record) == record["selected"]
    # The weights are the model's scores, floored, four decimals.
    scores = {f.uscc: spread(f) for f in db_session.scalars(select(Firm))}
    assert all(e["weight"] == round(max(scores[e["uscc"]], draws.WEIGHT_FLOOR), 4) for e in record["pool"])
    # Per class the counts are those of the ratios, as in the plain draw.
    selected = set(record["selected"])
    for credit_class, ratio in PLAN["ratios"].items():
        members = [e["uscc"] for e in record["pool"] if e["class"] == credit_class]
        assert sum(c in selected for c in members) == min(len(members), math.ceil(ratio * len(members) - 1e-9))
    result = runner.invoke(args=["verify-draw", str(plan["id"])])
    assert result.exit_code == 0, result.output
    exported = json.loads(runner.invoke(args=["export-draw", str(plan["id"])]).output)
    assert exported == record and independent_selection(exported) == exported["selected"]
    event = db_session.scalars(select(Event).where(Event.kind == "plan.drawn").order_by(Event.seq.desc())).first()
    assert event.payload["algorithm"] == "prn-sps-hmac-sha256-v1" and event.payload["risk_model"] == "test-1"


def test_weights_tilt_the_draw_toward_risk(plans, model):
    """Over many plans on fresh seeds, selected firms weigh more than the pool on average.

    The expected ratio on this pool is about 1.3 and one ratio over eight draws has a standard
    error near 0.04, so the bound of 1.1 fails by chance far less than once in a million runs,
    while a draw that ignored the weights (expected ratio 1.0) passes it only by rare chance."""
    selected_weights, pool_weights = [], []
    for n in range(8):
        plan = plans(title=f"第{n + 1}次风险加权抽查")
        plans.file(plan["id"])
        record = plans.draw(plan["id"])
        weight = {e["uscc"]: e["weight"] for e in record["pool"]}
        selected_weights += [weight[c] for c in record["selected"]]
        pool_weights += list(weight.values())
    assert sum(selected_weights) / len(selected_weights) > 1.1 * sum(pool_weights) / len(pool_weights)


def test_tampered_weights_are_detected(plans, model, runner, db_session):
    plan = plans()
    plans.file(plan["id"])
    record = plans.draw(plan["id"])
    draw = db_session.scalar(select(Draw).where(Draw.plan_id == plan["id"]))
    original = json.loads(json.dumps(draw.record))
    heavier = [dict(e, weight=0.9999) if e["uscc"] not in record["selected"] else e for e in original["pool"]]
    missing = [{k: v for k, v in e.items() if k != "weight"} for e in original["pool"]]
    for changed, message in (({**original, "pool": heavier}, "抽取池与其摘要"),
                             ({**original, "pool": heavier, "pool_sha256": draws.pool_digest(heavier)}, "抽中名单与记录不符"),
                             ({**original, "pool": missing}, "权重"),
                             ({**original, "algorithm": "prn-hmac-sha256-v1"}, "抽中名单与记录不符")):
        draw.record = changed
        db_session.commit()
        result = runner.invoke(args=["verify-draw", str(plan["id"])])
        assert result.exit_code == 1 and message in result.output, (message, result.output)


def test_the_floor_keeps_every_firm_drawable():
    """A firm the model scores near zero keeps weight WEIGHT_FLOOR: it is drawn, at about the rate the floor gives."""
    pool = [{"uscc": f"91370502MA{n:07d}X"[:18], "class": "B", "weight": draws.draw_weight(0.9)} for n in range(19)]
    pool.append({"uscc": "91370502MAZZZZZZZZ", "class": "B", "weight": draws.draw_weight(0.0001)})
    assert pool[-1]["weight"] == draws.WEIGHT_FLOOR > 0
    assert draws.draw_weight(None) == draws.WEIGHT_FLOOR and draws.draw_weight(1.0) == draws.WEIGHT_CEILING
    drawn = sum("91370502MAZZZZZZZZ" in draws.select(pool, {"B": 0.1}, hashlib.sha256(str(n).encode()).hexdigest(),
                                                     draws.WEIGHTED_ALGORITHM)
                for n in range(4000))
    # Two of twenty drawn: inclusion of the floored firm is about 2 * 0.05 / (0.05 + 19 * 0.9) ~ 0.6 %.
    assert 5 <= drawn <= 60, drawn
    plain = sum("91370502MAZZZZZZZZ" in draws.select(pool, {"B": 0.1}, hashlib.sha256(str(n).encode()).hexdigest())
                for n in range(4000))
    assert 300 <= plain <= 500  # without weights: one in ten


def test_weights_are_written_as_every_language_writes_them():
    """Four decimals, never an integer: Python's and JavaScript's JSON agree, so pool_sha256 re-computes anywhere."""
    for score in (0.0, 0.04999, 0.05, 0.123456, 0.5, 0.99995, 1.0, 7.0):
        weight = draws.draw_weight(score)
        assert draws.WEIGHT_FLOOR <= weight <= draws.WEIGHT_CEILING and weight != int(weight)
        assert json.dumps(weight) == repr(weight) and "e" not in json.dumps(weight)


def test_filing_a_risk_weighted_plan_needs_a_published_model(client, plans, counts, db_session):
    for old in db_session.scalars(select(RiskModel).where(RiskModel.status == "published")):
        old.status = "retired"
    db_session.commit()
    plan = plans()
    before = counts()
    response = client.post(f"/api/v1/plans/{plan['id']}/file")
    assert response.status_code == 409 and "尚无已发布的预警模型" in response.get_json()["message"]
    assert counts() == before
    assert db_session.get(InspectionPlan, plan["id"]).status == "draft"
    bad = client.post("/api/v1/plans", json={**PLAN, "weighting": "heaviest"})
    assert bad.status_code == 422 and "weighting" in bad.get_json()["fields"]


def test_the_model_is_fixed_at_filing(plans, model, db_session):
    plan = plans()
    plans.file(plan["id"])
    publish_model(db_session, "test-2", lambda firm: 0.5)  # retrained between filing and draw
    db_session.commit()
    record = plans.draw(plan["id"])
    assert record["risk_model"] == "test-1" and len({e["weight"] for e in record["pool"]}) > 1


def test_plain_plans_keep_the_plain_algorithm(plans, model):
    plan = plans(weighting="ratios")
    plans.file(plan["id"])
    record = plans.draw(plan["id"])
    assert record["algorithm"] == "prn-hmac-sha256-v1"
    assert "risk_model" not in record and all("weight" not in e for e in record["pool"])
    assert independent_selection(record) == record["selected"]


def test_joint_campaign_with_weights_shares_u(client, login, model):
    login("market")
    campaign = client.post("/api/v1/campaigns", json={"title": "二季度餐饮场所联合抽查", "period_start": "2026-04-01",
                                                      "period_end": "2026-06-30"}).get_json()
    common = {"period_start": "2026-04-01", "period_end": "2026-06-30", "target_industries": ["餐饮服务", "住宿"],
              "ratios": {"A": 0.3, "B": 0.3, "C": 0.3, "D": 0.3}, "campaign": campaign["id"], "weighting": "risk"}
    market = client.post("/api/v1/plans", json={**common, "title": "市场监管部分", "items": ["SC-003"]}).get_json()
    assert client.post(f"/api/v1/plans/{market['id']}/file").status_code == 200
    approve(client, market["id"])
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防部分", "items": ["XF-002"]}).get_json()
    assert client.post(f"/api/v1/plans/{fire['id']}/file").status_code == 200
    approve(client, fire["id"])
    client.post(f"/api/v1/campaigns/{campaign['id']}/draw")
    a = client.get(f"/api/v1/public/plans/{market['id']}/draw").get_json()
    b = client.get(f"/api/v1/public/plans/{fire['id']}/draw").get_json()
    assert a["seed"] == b["seed"] and a["algorithm"] == b["algorithm"] == "prn-sps-hmac-sha256-v1"
    assert independent_selection(a) == a["selected"] and independent_selection(b) == b["selected"]
    both = {e["uscc"] for e in a["pool"]} & {e["uscc"] for e in b["pool"]}
    in_a, in_b = set(a["selected"]) & both, set(b["selected"]) & both
    # The same weights for a firm in both plans here, the same u: the selections nest.
    assert in_a <= in_b or in_b <= in_a


def test_pages_say_how_the_plan_draws(client, plans, model, app):
    plan = plans()
    assert "比例 + 风险加权" in client.get(f"/plans/{plan['id']}").get_data(as_text=True)
    plans.file(plan["id"])
    record = plans.draw(plan["id"])
    page = app.test_client().get(f"/public/plans/{plan['id']}").get_data(as_text=True)
    assert "比例 + 风险加权（预警模型 版本 test-1）" in page and "u ÷ w" in page
    weight = {e["uscc"]: e["weight"] for e in record["pool"]}
    assert f"{weight[record['selected'][0]]:.4f}" in page
    plain = plans(weighting="ratios", title="按比例抽查")
    plans.file(plain["id"])
    plans.draw(plain["id"])
    assert "按信用风险分类比例抽取" in app.test_client().get(f"/public/plans/{plain['id']}").get_data(as_text=True)
    form = client.get("/plans/new").get_data(as_text=True)
    assert 'name="weighting"' in form and "现行模型：版本 test-1" in form
