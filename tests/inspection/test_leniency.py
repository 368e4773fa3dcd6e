"""包容审慎: lists published against the catalogue, the proposal on a non-compliant listed point, the
inspector's decision in the record and the log, outcomes that must agree with it, and the audit rules
(a case although no penalty applied, profit-driven growth, repeated heavier treatment)."""
import datetime as dt
import textwrap

import pytest
from sqlalchemy import func, select

from inspection.models import (
    Alert,
    CatalogueItem,
    ChecklistPoint,
    Department,
    Event,
    Finding,
    ItemOutcome,
    LeniencyDecision,
    LeniencyEntry,
    LeniencyList,
    Officer,
)
from tests.at_the_door import as_user, enter

pytestmark = pytest.mark.usefixtures("door_open")  # these tests walk the door


LIST = textwrap.dedent("""\
    department: market
    version: "T-1"
    title: 测试市场监管包容审慎清单
    effective_from: 2026-01-01
    entries:
      - item: SC-003
        point: 2
        treatment: no_penalty
        conditions: [first_offence, no_harm, corrected]
        basis: 《中华人民共和国行政处罚法》第三十三条第一款
        guidance: 责令改正，督促办理健康证明
      - item: SC-003
        point: 4
        treatment: lighter
        conditions: [minor, corrected]
        basis: 《中华人民共和国行政处罚法》第三十二条
      - item: SC-003
        point: 4
        treatment: heavier
        conditions: [repeated]
        basis: 《中华人民共和国食品安全法》第一百二十六条
    """)


@pytest.fixture
def published(runner, tmp_path):
    path = tmp_path / "market.yaml"
    path.write_text(LIST, encoding="utf-8")
    result = runner.invoke(args=["leniency", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "已发布" in result.output
    return path


def test_publishing_is_public_versioned_and_idempotent(published, runner, app, db_session, tmp_path):
    again = runner.invoke(args=["leniency", "load", str(published)])
    assert again.exit_code == 0 and "内容未变" in again.output
    changed = tmp_path / "changed.yaml"
    changed.write_text(LIST.replace("guidance: 责令改正，督促办理健康证明", "guidance: 另写"), encoding="utf-8")
    conflict = runner.invoke(args=["leniency", "load", str(changed)])
    assert conflict.exit_code == 1 and "已经发布" in conflict.output
    newer = tmp_path / "newer.yaml"
    newer.write_text(LIST.replace('version: "T-1"', 'version: "T-2"'), encoding="utf-8")
    assert runner.invoke(args=["leniency", "load", str(newer)]).exit_code == 0
    lists = {row.version: row for row in db_session.scalars(select(LeniencyList))}
    assert lists["T-1"].status == "superseded" and lists["T-2"].status == "published"
    anonymous = app.test_client()
    page = anonymous.get(f"/public/leniency/{lists['T-2'].id}").get_data(as_text=True)
    assert "不予处罚" in page and "从重处罚" in page and "初次违法" in page and "是否持有有效健康证明" in page
    assert "测试市场监管包容审慎清单" in anonymous.get("/public/leniency").get_data(as_text=True)
    body = anonymous.get(f"/api/v1/public/leniency-lists/{lists['T-2'].id}").get_json()
    assert body["entries"][0] == {"item": "SC-003", "point": 2, "point_text": body["entries"][0]["point_text"],
                                  "treatment": "no_penalty", "conditions": ["first_offence", "no_harm", "corrected"],
                                  "basis": "《中华人民共和国行政处罚法》第三十三条第一款", "guidance": "责令改正，督促办理健康证明",
                                  "code": "", "offence": "", "legal_basis": "", "penalty_basis": "", "conditions_text": "",
                                  "fine_min": None, "fine_max": None}
    assert db_session.scalar(select(func.count()).select_from(Event).where(Event.kind == "leniency.published")) >= 2


def test_every_bad_entry_is_listed_and_nothing_is_written(runner, tmp_path, db_session):
    bad = textwrap.dedent("""\
        department: market
        version: "T-bad"
        title: 有错误的清单
        effective_from: 2026-01-01
        colour: red
        entries:
          - item: XF-002
            point: 1
            treatment: no_penalty
            conditions: [first_offence]
            basis: 依据
          - item: SC-999
            point: 1
            treatment: no_penalty
            conditions: [first_offence]
            basis: 依据
          - item: SC-003
            point: 9
            treatment: pardon
            conditions: [first_offence, repeated, sunny]
          - item: SC-003
            point: 1
            treatment: heavier
            conditions: [first_offence]
            basis: 依据
        """)
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    before = db_session.scalar(select(func.count()).select_from(LeniencyList))
    result = runner.invoke(args=["leniency", "load", str(path)])
    assert result.exit_code == 1
    out = result.output
    for fragment in ("colour", "未知字段", "消防救援", "无权据此检查", "SC-999 不在已发布的检查事项清单中",
                     "没有第 9 个检查要点", "处理方式应为", "未知条件 sunny", "条件相互矛盾", "须写明法律依据",
                     "从重处罚须以加重情节为条件", "bad.yaml:7"):
        assert fragment in out, (fragment, out)
    assert db_session.scalar(select(func.count()).select_from(LeniencyList)) == before


def test_a_department_publishes_only_its_own_list(client, login, db_session):
    login("fire")
    body = {"department": "market", "version": "X", "title": "别的部门的清单", "effective_from": "2026-01-01",
            "entries": [{"item": "SC-003", "point": 2, "treatment": "no_penalty", "conditions": ["first_offence"],
                         "basis": "依据"}]}
    response = client.post("/api/v1/leniency-lists", json=body)
    assert response.status_code == 422 and response.get_json()["error"] == "leniency_invalid"
    assert "只能发布本部门" in response.get_json()["message"]
    fire = {**body, "department": "fire", "entries": [{**body["entries"][0], "item": "XF-002", "point": 5}]}
    created = client.post("/api/v1/leniency-lists", json=fire)
    assert created.status_code == 201 and created.get_json()["result"] == "published"


def point_of(db_session, position: int) -> ChecklistPoint:
    item = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                         CatalogueItem.status == "published"))
    return next(p for p in item.points if p.position == position)


def in_progress(client, login, v):
    enter(client, login, v)
    as_user(client, login, v["users"][0])
    return v["visit"], v["visit"].tasks[0].id


def record_all(client, visit, task, db_session, failing: dict[int, str]):
    """Every point of SC-003: compliant except ``failing`` (position -> note). Returns the findings' answers."""
    answers = {}
    for point in db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                               CatalogueItem.status == "published")).points:
        bad = point.position in failing
        response = client.post(f"/api/v1/visits/{visit.id}/findings",
                               json={"task": task, "point": point.id, "result": "non_compliant" if bad else "compliant",
                                     "note": failing.get(point.position, "")})
        assert response.status_code == 201, response.get_json()
        answers[point.position] = response.get_json()
    return answers


def test_the_listed_treatment_is_proposed_and_the_decision_recorded(client, login, visit_today, published,
                                                                     db_session):
    visit, task = in_progress(client, login, visit_today)
    answers = record_all(client, visit, task, db_session, {2: "两名厨师健康证明过期", 5: "添加剂台账不全"})
    proposal = answers[2]["leniency"]
    assert [e["treatment"] for e in proposal["entries"]] == ["no_penalty"]
    assert [c["code"] for c in proposal["conditions"]] == ["first_offence", "no_harm", "corrected"]
    assert answers[5]["leniency"] is None and answers[1]["leniency"] is None  # not listed / compliant
    # The outcome waits for the decision.
    waiting = client.post(f"/api/v1/visits/{visit.id}/outcomes", json={"task": task, "item": "SC-003", "outcome": "rectify",
                                                                       "rectify_by": "2026-12-31"})
    assert waiting.status_code == 409 and "第 2 个检查要点列入包容审慎清单" in waiting.get_json()["message"]
    point = point_of(db_session, 2)
    url = f"/api/v1/visits/{visit.id}/leniency-decisions"
    # Departing needs a reason; following needs every condition.
    no_reason = client.post(url, json={"task": task, "point": point.id, "conditions": ["first_offence", "no_harm", "corrected"],
                                       "decision": "depart"})
    assert no_reason.status_code == 422 and no_reason.get_json()["fields"] == {"reason": "必填"}
    unmet = client.post(url, json={"task": task, "point": point.id, "conditions": ["first_offence"], "decision": "follow"})
    assert unmet.status_code == 422 and "未全部满足" in unmet.get_json()["message"]
    foreign = client.post(url, json={"task": task, "point": point.id, "conditions": ["repeated"], "decision": "follow"})
    assert foreign.status_code == 422 and "不是本要点清单条目的适用条件" in foreign.get_json()["message"]
    assert db_session.scalar(select(func.count()).select_from(LeniencyDecision)) == 0
    decided = client.post(url, json={"task": task, "point": point.id, "decision": "follow",
                                     "conditions": ["first_offence", "no_harm", "corrected"]})
    assert decided.status_code == 201, decided.get_json()
    assert decided.get_json()["treatment"] == "no_penalty" and decided.get_json()["decision"] == "follow"
    # No penalty was followed on every listed point... but point 5 also failed and is not listed: a case
    # stays possible; with only the spared point failing it would not.
    case = client.post(f"/api/v1/visits/{visit.id}/outcomes",
                       json={"task": task, "item": "SC-003", "outcome": "case", "fine_amount": 3000})
    assert case.status_code == 201 and case.get_json()["fine_amount"] == 3000 and case.get_json()["treatment"] is None
    event = db_session.scalars(select(Event).where(Event.kind == "leniency.decided")).first()
    assert event.payload["decision"] == "follow" and event.payload["treatment"] == "no_penalty"
    assert event.payload["conditions"] == {"corrected": True, "first_offence": True, "no_harm": True}
    sheet = client.get(f"/api/v1/visits/{visit.id}/sheet").get_json()
    listed = sheet["tasks"][0]["items"][0]["points"][1]
    assert listed["decision"]["decision"] == "follow" and listed["leniency"]["entries"][0]["treatment"] == "no_penalty"


def test_outcomes_must_agree_with_the_decisions(client, login, visit_today, published, db_session):
    visit, task = in_progress(client, login, visit_today)
    record_all(client, visit, task, db_session, {2: "健康证明过期", 4: "餐具未消毒"})
    url = f"/api/v1/visits/{visit.id}/leniency-decisions"
    outcomes = f"/api/v1/visits/{visit.id}/outcomes"
    spared = client.post(url, json={"task": task, "point": point_of(db_session, 2).id, "decision": "follow",
                                    "conditions": ["first_offence", "no_harm", "corrected"]})
    assert spared.status_code == 201
    lighter = client.post(url, json={"task": task, "point": point_of(db_session, 4).id, "decision": "follow",
                                     "conditions": ["minor", "corrected"]})
    assert lighter.get_json()["treatment"] == "lighter"
    rectify = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "rectify", "rectify_by": "2026-12-31"})
    assert rectify.status_code == 422 and "应为立案查处" in rectify.get_json()["message"]
    wrong = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "case", "treatment": "heavier"})
    assert wrong.status_code == 422 and "不一致" in wrong.get_json()["message"]
    fine_without_case = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "rectify",
                                                    "rectify_by": "2026-12-31", "fine_amount": 100})
    assert fine_without_case.status_code == 422
    ok = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "case", "fine_amount": 2000})
    assert ok.status_code == 201 and ok.get_json()["treatment"] == "lighter"
    # Point 4 compliant after all: its decision goes with it.
    client.post(f"/api/v1/visits/{visit.id}/findings", json={"task": task, "point": point_of(db_session, 4).id,
                                                              "result": "compliant"})
    only_spared = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "case"})
    assert only_spared.status_code == 422 and "均已决定按清单不予处罚" in only_spared.get_json()["message"]
    assert client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "rectify",
                                       "rectify_by": "2026-12-31"}).get_json()["treatment"] == "no_penalty"


def test_conditions_not_met_record_that_the_list_does_not_apply(client, login, visit_today, published, db_session):
    visit, task = in_progress(client, login, visit_today)
    record_all(client, visit, task, db_session, {2: "健康证明过期"})
    decision = {"task": task, "point": point_of(db_session, 2).id, "conditions": ["no_harm"]}
    # The firm's record supports a first offence: not taking it needs a reason (首违 from history).
    unexplained = client.post(f"/api/v1/visits/{visit.id}/leniency-decisions", json=decision)
    assert unexplained.status_code == 422 and "应认定为初次违法" in unexplained.get_json()["message"]
    response = client.post(f"/api/v1/visits/{visit.id}/leniency-decisions",
                           json={**decision, "reason": "当事人今年已在平台外因同一行为受过处罚"})
    assert response.status_code == 201 and response.get_json()["decision"] == "not_met"
    assert response.get_json()["applies"] is False
    case = client.post(f"/api/v1/visits/{visit.id}/outcomes", json={"task": task, "item": "SC-003", "outcome": "case"})
    assert case.status_code == 201


def test_the_sheet_asks_for_conditions_on_a_phone(client, login, visit_today, published, db_session):
    visit, task = in_progress(client, login, visit_today)
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    point = point_of(db_session, 2)
    assert f'id="leniency-{point.id}"' in page and "本要点如不符合" in page and "不予处罚" in page
    form = {"task": str(task), "item": "SC-003", f"result_{point.id}": "non_compliant",
            f"note_{point.id}": "健康证明过期", f"conditions_{point.id}": ["first_offence", "no_harm", "corrected"],
            f"decision_{point.id}": "depart", f"reason_{point.id}": ""}
    response = client.post(f"/visits/{visit.id}/items", data=form, follow_redirects=True)
    assert "不按清单处理须说明理由" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Finding)) == 0  # nothing of the refused form
    form[f"reason_{point.id}"] = "同类问题曾多次被投诉，依法立案"
    page = client.post(f"/visits/{visit.id}/items", data=form, follow_redirects=True).get_data(as_text=True)
    assert "已记录：不按清单处理（已说明理由）（不予处罚），理由：同类问题曾多次被投诉，依法立案" in page


def outcome_with(db_session, entered, firm, *, department="market", item="SC-003", day=dt.date(2026, 5, 11),
                 outcome="case", fine=None, treatment=None, officer=None):
    visit = entered(firm, department=department, item=item, day=day)
    catalogue_item = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == item,
                                                                   CatalogueItem.status == "published"))
    officer_id = officer or visit.officers[0].officer_id
    row = ItemOutcome(visit_id=visit.id, task_id=visit.tasks[0].id, item_id=catalogue_item.id, outcome=outcome,
                      rectify_by=day if outcome == "rectify" else None, recorded_at=dt.datetime.combine(day, dt.time(3)),
                      publish_due=day + dt.timedelta(days=28), published_at=dt.datetime.combine(day, dt.time(4)),
                      fine_amount=fine, treatment=treatment, recorded_by_id=officer_id)
    db_session.add(row)
    db_session.flush()
    return visit, row


def decided(db_session, visit, row, position, treatment, decision, reason=""):
    point = next(p for p in row.item.points if p.position == position)
    finding = Finding(visit_id=visit.id, task_id=row.task_id, item_id=row.item_id, point_id=point.id,
                      result="non_compliant", note="问题", recorded_by_id=visit.officers[0].officer_id,
                      recorded_at=row.recorded_at)
    db_session.add(finding)
    db_session.flush()
    if treatment is not None or decision == "not_met":
        entry = db_session.scalars(select(LeniencyEntry).where(LeniencyEntry.point_id == point.id,
                                                               LeniencyEntry.treatment == (treatment or "no_penalty"))).first()
        db_session.add(LeniencyDecision(finding_id=finding.id, entry_id=entry.id if decision != "not_met" else None,
                                        treatment=treatment if decision != "not_met" else None,
                                        conditions={}, decision=decision, reason=reason,
                                        decided_by_id=visit.officers[0].officer_id, decided_at=row.recorded_at))
        db_session.flush()
    return finding


def refresh(client, login):
    login("oversight")
    return client.post("/api/v1/oversight/alerts/refresh").get_json()


def alerts_of(db_session, rule):
    db_session.expire_all()
    return db_session.scalars(select(Alert).where(Alert.rule == rule)).all()


def test_a_case_although_no_penalty_applied(client, login, published, make_firm, entered, db_session):
    departed_firm, justified_firm, unmet_firm, spared_firm = make_firm(), make_firm(), make_firm(), make_firm()
    visit, row = outcome_with(db_session, entered, departed_firm)          # must fire: departed, case
    decided(db_session, visit, row, 2, "no_penalty", "depart", "曾多次被投诉")
    visit, row = outcome_with(db_session, entered, justified_firm)         # must not: point 5 justifies the case
    decided(db_session, visit, row, 2, "no_penalty", "follow")
    decided(db_session, visit, row, 5, None, None)
    visit, row = outcome_with(db_session, entered, unmet_firm)             # must not: conditions not met
    decided(db_session, visit, row, 2, None, "not_met")
    visit, row = outcome_with(db_session, entered, spared_firm, outcome="rectify")   # must not: no case
    decided(db_session, visit, row, 2, "no_penalty", "follow")
    db_session.commit()
    refresh(client, login)
    fired = alerts_of(db_session, "lenient_case")
    assert [a.firm_id for a in fired] == [departed_firm.id]
    assert fired[0].evidence["reason"] == "曾多次被投诉" and fired[0].evidence["points"] == [2]


def test_profit_driven_growth_year_on_year(client, login, make_firm, entered, db_session):
    firms = [make_firm() for _ in range(30)]
    # Transport: 8 cases in 2025 -> 20 in 2026 (+150%, beyond chance): fires on cases.
    # Fines 8 x 2,000 -> 20 x 20,000: fires.
    for n, firm in enumerate(firms[:8]):
        outcome_with(db_session, entered, firm, department="transport", item="JT-001",
                     day=dt.date(2025, 3, 2) + dt.timedelta(days=7 * n), fine=2000)
    for n, firm in enumerate(firms[8:28]):
        outcome_with(db_session, entered, firm, department="transport", item="JT-001",
                     day=dt.date(2026, 3, 2) + dt.timedelta(days=7 * n), fine=20000)
    # Ecology: 10 -> 16 cases (+60%) is within chance (16 - 10 < 2 x sqrt(26)): must not fire.
    for n, firm in enumerate(firms[:10]):
        outcome_with(db_session, entered, firm, department="ecology", item="HB-001",
                     day=dt.date(2025, 5, 4) + dt.timedelta(days=n), fine=1000)
    for n, firm in enumerate(firms[10:26]):
        outcome_with(db_session, entered, firm, department="ecology", item="HB-001",
                     day=dt.date(2026, 5, 4) + dt.timedelta(days=n), fine=1000)
    # Housing: 2 -> 4 cases, small fines: growth, but under the minimum: must not fire.
    for n, firm in enumerate(firms[17:19]):
        outcome_with(db_session, entered, firm, department="housing", item="ZJ-001", day=dt.date(2025, 4, 6 + n), fine=500)
    for n, firm in enumerate(firms[19:23]):
        outcome_with(db_session, entered, firm, department="housing", item="ZJ-001", day=dt.date(2026, 4, 6 + n), fine=500)
    # HR: 10 -> 12 cases in the same span: steady growth, must not fire.
    for n, firm in enumerate(firms[:10]):
        outcome_with(db_session, entered, firm, department="hr", item="RS-001", day=dt.date(2025, 2, 2) + dt.timedelta(days=n), fine=1000)
    for n, firm in enumerate(firms[10:22]):
        outcome_with(db_session, entered, firm, department="hr", item="RS-001", day=dt.date(2026, 2, 2) + dt.timedelta(days=n), fine=1000)
    db_session.commit()
    refresh(client, login)
    fired = {(a.department_id, a.evidence["metric"]): a for a in alerts_of(db_session, "profit_driven")}
    transport = db_session.scalar(select(Department.id).where(Department.code == "transport"))
    assert set(fired) == {(transport, "cases"), (transport, "fines")}
    cases = fired[(transport, "cases")].evidence
    assert (cases["year"], cases["previous"], cases["current"]) == (2026, 8, 20) and cases["entries"] == 20
    assert fired[(transport, "fines")].evidence["current"] == 400000


def test_repeated_heavier_treatment_by_one_officer(client, login, make_firm, entered, db_session):
    heavy = db_session.scalars(select(Officer).where(Officer.certificate_no.like("3705%"))).first()
    other = db_session.scalars(select(Officer).where(Officer.department_id == heavy.department_id,
                                                     Officer.id != heavy.id)).first()
    for n in range(3):  # must fire: three in 2026 by one officer
        outcome_with(db_session, entered, make_firm(), day=dt.date(2026, 6, 1 + n), treatment="heavier", officer=heavy.id)
    outcome_with(db_session, entered, make_firm(), day=dt.date(2025, 6, 1), treatment="heavier", officer=other.id)
    for n in range(2):  # must not: two by another officer in 2026, one in 2025
        outcome_with(db_session, entered, make_firm(), day=dt.date(2026, 7, 1 + n), treatment="heavier", officer=other.id)
    outcome_with(db_session, entered, make_firm(), day=dt.date(2026, 7, 9), treatment="lighter", officer=other.id)
    db_session.commit()
    refresh(client, login)
    fired = alerts_of(db_session, "heavier_repeat")
    assert len(fired) == 1 and fired[0].evidence["officer"] == heavy.certificate_no and fired[0].evidence["count"] == 3
    assert fired[0].department_id == heavy.department_id
    assert refresh(client, login)["heavier_repeat"] == 0  # raised once
    page = client.get("/oversight/alerts?rule=heavier_repeat").get_data(as_text=True)
    assert "同一执法人员多次从重处罚" in page and heavy.certificate_no in page
