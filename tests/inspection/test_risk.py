"""预警模型: trained on earlier years of generated history, tested on the last, versioned in the database,
reproducible from its stored recipe, explained to oversight, blind to geography, retrained by command,
on a schedule (--if-older) and from the admin page."""
import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy import func, select

from core import clock
from inspection.demo.history import Truth, generate_history
from inspection.models import (
    Department,
    District,
    Event,
    Firm,
    FirmLead,
    InspectionPlan,
    InspectionTask,
    RiskModel,
    RiskScore,
    Visit,
    VisitEntry,
)
from inspection.operations.events import utcnow
from inspection.operations.risk import load_history, train
from inspection.pure import risk
from tests.approvals import approve
from tests.draw_checks import independent_selection

SEED = 11
YEARS = [2022, 2023, 2024, 2025]


@pytest.fixture
def history(db_session):
    made = generate_history(db_session, seed=SEED, years=YEARS)
    db_session.commit()
    return made


def published(db_session) -> RiskModel:
    db_session.expire_all()
    return db_session.scalar(select(RiskModel).where(RiskModel.status == "published"))


def test_trained_on_earlier_years_and_tested_on_the_last(history, runner, db_session):
    result = runner.invoke(args=["risk", "train"])
    assert result.exit_code == 0, result.output
    assert "以 2023、2024 年训练，2025 年检验" in result.output and "同等检查次数下每百次检查发现问题" in result.output
    model = published(db_session)
    assert (model.train_years, model.test_year, model.fit_years) == ([2023, 2024], 2025, [2023, 2024, 2025])
    # The test examples are the firm-department pairs entered in 2025, counted here from the records.
    entered_2025 = db_session.execute(
        select(Visit.firm_id, InspectionPlan.department_id).distinct()
        .join(VisitEntry, VisitEntry.visit_id == Visit.id)
        .join(InspectionTask, InspectionTask.visit_id == Visit.id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .where(Visit.day >= dt.date(2025, 1, 1), Visit.day <= dt.date(2025, 12, 31))).all()
    metrics = model.metrics
    assert metrics["examples"] == len(entered_2025) > 50
    assert 0 < metrics["auc"] < 1 and metrics["equal_visits"]["visits"] > 0
    assert metrics["equal_visits"]["random_per_100"] > 0 and metrics["days_earlier"]["violations"] > 0
    assert set(metrics["coefficients"]) == set(model.params["columns"])
    scores = db_session.scalars(select(RiskScore).where(RiskScore.model_id == model.id)).all()
    assert len(scores) == model.scores > 0 and all(0 < s.score < 1 for s in scores)
    assert all(len(s.factors) == risk.TOP_FACTORS and {f[0] for f in s.factors} <= set(risk.FEATURES) for s in scores)
    event = db_session.scalars(select(Event).where(Event.kind == "risk_model.published")).first()
    assert event.subject == f"risk_model:{model.version}" and event.payload["test_year"] == 2025


def test_past_plans_say_their_records_are_not_kept(history, app, db_session):
    past = db_session.scalars(select(InspectionPlan).where(InspectionPlan.status == "completed")).first()
    page = app.test_client().get(f"/public/plans/{past.id}").get_data(as_text=True)
    assert "平台启用前的历史计划" in page and "尚未抽取" not in page


def test_a_score_is_its_stored_recipe(history, db_session):
    """Anyone with the version's parameters re-computes a score: logistic regression on standardised inputs."""
    model = train(db_session, None)
    row = db_session.scalars(select(RiskScore).where(RiskScore.model_id == model.id).order_by(RiskScore.id)).all()[17]
    code = db_session.get(Department, row.department_id).code
    raw = load_history(db_session).features(row.firm_id, code, model.scored_as_of)
    params = model.params
    x = [math.log1p(raw[n]) if n in risk.COUNT_FEATURES else raw[n] for n in risk.FEATURES]
    x += [1.0 if c == code else 0.0 for c in params["departments"]]
    z = (np.array(x) - np.array(params["mean"])) / np.array(params["scale"])
    assert row.score == pytest.approx(1 / (1 + math.exp(-(z @ np.array(params["coef"]) + params["intercept"]))))
    top = sorted(range(len(risk.FEATURES)), key=lambda j: -abs(z[j] * params["coef"][j]))[:3]
    assert [f[0] for f in row.factors] == [list(risk.FEATURES)[j] for j in top]


def test_it_learns_the_hidden_propensity(history, db_session):
    """Firms the generator made more prone to violations score higher (the truth is never stored)."""
    model = train(db_session, None)
    market = db_session.scalar(select(Department.id).where(Department.code == "market"))
    truth = Truth(SEED)
    pairs = db_session.execute(select(Firm.uscc, RiskScore.score).join(RiskScore, RiskScore.firm_id == Firm.id)
                               .where(RiskScore.model_id == model.id, RiskScore.department_id == market)).all()
    traits = np.array([truth.trait(uscc) for uscc, _ in pairs])
    scores = np.array([score for _, score in pairs])
    assert len(pairs) > 50 and np.corrcoef(traits, scores)[0, 1] > 0.2


def test_versions_retire_and_keep_scores_only_while_a_filed_plan_needs_them(history, client, login, db_session):
    first = train(db_session, None)
    db_session.commit()
    login("market")
    plan = client.post("/api/v1/plans", json={"title": "风险加权抽查", "period_start": "2026-12-07",
                                              "period_end": "2026-12-25", "items": ["SC-003"], "weighting": "risk",
                                              "ratios": {"A": 0.1, "B": 0.1, "C": 0.2, "D": 0.4}}).get_json()
    assert client.post(f"/api/v1/plans/{plan['id']}/file").get_json()["risk_model"] == first.version
    second = train(db_session, None)
    db_session.commit()
    assert second.version != first.version and published(db_session).id == second.id
    assert db_session.get(RiskModel, first.id).status == "retired"
    assert db_session.scalar(select(func.count()).select_from(RiskScore).where(RiskScore.model_id == first.id)) > 0
    approve(client, plan["id"])
    assert client.post(f"/api/v1/plans/{plan['id']}/draw").status_code == 200
    record = client.get(f"/api/v1/public/plans/{plan['id']}/draw").get_json()
    assert record["risk_model"] == first.version and independent_selection(record) == record["selected"]
    scores = dict(db_session.execute(select(Firm.uscc, RiskScore.score).join(RiskScore, RiskScore.firm_id == Firm.id)
                                     .where(RiskScore.model_id == first.id,
                                            RiskScore.department_id == db_session.scalar(
                                                select(Department.id).where(Department.code == "market")))).all())
    assert all(e["weight"] == round(min(max(scores[e["uscc"]], 0.05), 0.9999), 4)
               for e in record["pool"] if e["uscc"] in scores)
    third = train(db_session, None)
    db_session.commit()
    remaining = dict(db_session.execute(select(RiskScore.model_id, func.count()).group_by(RiskScore.model_id)).all())
    assert set(remaining) == {third.id}  # the draw is over: retired versions keep their record, not their scores
    assert db_session.get(RiskModel, first.id).metrics["auc"] == first.metrics["auc"]


def test_if_older_lets_a_schedule_retrain_only_when_due(history, runner, db_session):
    assert runner.invoke(args=["risk", "train"]).exit_code == 0
    fresh = runner.invoke(args=["risk", "train", "--if-older", "7"])
    assert fresh.exit_code == 0 and "未超过 7 天，不重新训练" in fresh.output
    assert db_session.scalar(select(func.count()).select_from(RiskModel)) == 1
    due = runner.invoke(args=["risk", "train", "--if-older", "0"])
    assert due.exit_code == 0 and db_session.scalar(select(func.count()).select_from(RiskModel)) == 2


def test_bad_requests_write_nothing(runner, db_session, history):
    for args, message in ((["risk", "train", "--test-year", "2022"], "检验年度 2022 不可用"),
                          (["risk", "train", "--test-year", "2031"], "检验年度 2031 不可用")):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, result.output
    assert db_session.scalar(select(func.count()).select_from(RiskModel)) == 0
    assert runner.invoke(args=["risk", "show", "91370502MA00000000"]).exit_code == 1


def test_thin_history_is_refused(runner, db_session):
    result = runner.invoke(args=["risk", "train"])
    assert result.exit_code == 1 and "检查历史不足" in result.output
    assert db_session.scalar(select(func.count()).select_from(RiskModel)) == 0


def test_no_geography_moves_a_score(history, db_session):
    """A firm moved to another district with another address keeps exactly its score."""
    model = train(db_session, None)
    row = db_session.scalars(select(RiskScore).where(RiskScore.model_id == model.id).order_by(RiskScore.id)).first()
    firm = db_session.get(Firm, row.firm_id)
    firm.district = db_session.scalars(select(District).where(District.id != firm.district_id)).first()
    firm.address = "另一个区县的另一条路 1 号"
    db_session.flush()
    again = train(db_session, None)
    moved = db_session.scalar(select(RiskScore).where(RiskScore.model_id == again.id, RiskScore.firm_id == firm.id,
                                                      RiskScore.department_id == row.department_id))
    assert moved.score == pytest.approx(row.score, abs=1e-12)
    assert not [f for f in risk.FEATURES if any(w in f for w in ("district", "address", "region", "name", "tag"))]


def test_complaints_and_leads_feed_the_features(history, client, login, db_session):
    firm = db_session.scalars(select(Firm).order_by(Firm.id)).first()
    today = clock.today()
    before = load_history(db_session).features(firm.id, "market", today + dt.timedelta(days=1))["leads"]
    login("market")
    for n in range(3):
        response = client.post(f"/api/v1/firms/{firm.uscc}/leads",
                               json={"kind": "complaint", "received_on": (today - dt.timedelta(days=n)).isoformat(),
                                     "reference": f"12345-2026-71{n:02d}", "summary": "反映后厨卫生差"})
        assert response.status_code == 201, response.get_json()
    count = db_session.scalar(select(func.count()).select_from(FirmLead))
    future = client.post(f"/api/v1/firms/{firm.uscc}/leads",
                         json={"kind": "complaint", "received_on": "2099-01-01", "reference": "X"})
    assert future.status_code == 422 and future.get_json()["fields"]["received_on"] == "收到日期不能晚于今天"
    assert db_session.scalar(select(func.count()).select_from(FirmLead)) == count
    after = load_history(db_session).features(firm.id, "market", today + dt.timedelta(days=1))["leads"]
    assert after == before + 3


def test_scores_are_explained_to_oversight_and_to_their_department(history, client, login, db_session, make_user):
    model = train(db_session, None)
    db_session.commit()
    row = db_session.scalars(select(RiskScore).where(RiskScore.model_id == model.id)
                             .order_by(RiskScore.score.desc())).first()
    firm = db_session.get(Firm, row.firm_id)
    login("oversight")
    page = client.get(f"/firms/{firm.uscc}").get_data(as_text=True)
    assert "风险预警评分" in page and f"预警模型 版本 {model.version}" in page
    assert risk.describe(*row.factors[0][:2]) in page
    body = client.get(f"/api/v1/firms/{firm.uscc}/risk").get_json()
    assert body["model"]["version"] == model.version and body["scores"][0]["score"] == round(row.score, 4)
    assert body["scores"][0]["factors"][0]["text"] == risk.describe(*row.factors[0][:2])
    department = db_session.get(Department, row.department_id)
    client.delete("/api/v1/session")
    login(department.code)
    mine = client.get(f"/api/v1/firms/{firm.uscc}/risk").get_json()
    assert {s["department"] for s in mine["scores"]} == {department.code}
    inspector = make_user("inspector", department="market")
    db_session.commit()
    client.delete("/api/v1/session")
    login(inspector.username)
    assert "风险预警评分" not in client.get(f"/firms/{firm.uscc}").get_data(as_text=True)
    assert client.get(f"/api/v1/firms/{firm.uscc}/risk").status_code == 403


def test_admin_retrains_in_the_background_and_reads_the_evaluation(history, client, login, db_session):
    login("admin")
    response = client.post("/admin/risk", follow_redirects=True)
    page = response.get_data(as_text=True)
    model = published(db_session)
    assert model is not None and model.created_by_id is not None
    assert model.version in page and "风险加权" in page and "不读取" in page and "所在区县" in page
    queued = client.post("/api/v1/risk-models")
    assert queued.status_code == 202 and published(db_session).version == queued.get_json()["version"]
    detail = client.get(f"/api/v1/risk-models/{model.version}").get_json()
    assert detail["status"] == "retired" and "auc" in detail["metrics"] and detail["params"]["coef"]
    db_session.add(RiskModel(version="stuck", status="running", created_at=utcnow(), features=[], params={}, metrics={}))
    db_session.commit()
    busy = client.post("/api/v1/risk-models")
    assert busy.status_code == 409 and "正在训练" in busy.get_json()["message"]
    client.delete("/api/v1/session")
    login("market")
    assert client.post("/api/v1/risk-models").status_code == 403
