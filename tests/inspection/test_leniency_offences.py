"""Leniency lists as published (by offence, in four Chinese-headed lists, with fine ranges), first offence
checked against the firm's record (首违不罚), fines against the discretion standard (裁量基准), and the
audits of contradicted first offences, fines outside their range and the same offence fined unlike."""
import datetime as dt
import textwrap

import pytest
from sqlalchemy import func, select

from inspection.errors import InvalidInput
from inspection.models import (
    Alert,
    CatalogueItem,
    Finding,
    ItemOutcome,
    LeniencyEntry,
    LeniencyList,
    Officer,
)
from inspection.operations.leniency import (
    check_fine,
    check_first_offence,
    conditions_from_text,
    first_offence_history,
    months_before,
)
from tests.at_the_door import as_user, enter

FOUR_LISTS = textwrap.dedent("""\
    department: market
    version: "F-1"
    title: 东营市市场监管领域包容审慎监管执法“四张清单”（测试）
    effective_from: 2026-01-01
    首违认定期限（年）: {years}
    不予处罚清单:
      - 序号: BY-01
        违法行为: 餐饮服务提供者安排未取得健康证明的人员从事接触直接入口食品的工作
        法律依据: 《中华人民共和国食品安全法》第四十五条
        处罚依据: 《中华人民共和国食品安全法》第一百二十六条第一款第（六）项
        适用条件: 初次违法，危害后果轻微并及时改正的
        处理方式: 责令改正，不予行政处罚
        检查事项: SC-003
        检查要点: 2
      - 序号: BY-02
        违法行为: 食品经营者未在经营场所显著位置悬挂食品经营许可证
        法律依据: 《食品经营许可和备案管理办法》第三十三条
        处罚依据: 《食品经营许可和备案管理办法》第五十三条
        适用条件: 首次违法，未造成危害后果并当场改正的
    从轻处罚清单:
      - 序号: CQ-01
        违法行为: 餐饮服务提供者未按规定对餐具、饮具进行清洗消毒
        法律依据: 《中华人民共和国食品安全法》第五十六条第二款
        处罚依据: 《中华人民共和国食品安全法》第一百二十六条第一款第（五）项
        适用条件: 违法情节轻微，当场清洗消毒并及时改正的
        裁量基准: 5000元以上2万元以下
        检查事项: SC-003
        检查要点: 4
    从重处罚清单:
      - 序号: CZ-01
        违法行为: 一年内再次使用未经清洗消毒的餐具、饮具
        处罚依据: 《中华人民共和国食品安全法》第一百二十六条第一款第（五）项
        适用条件: 一年内再次实施同一违法行为的
        裁量基准: 3万元以上5万元以下
        检查事项: SC-003
        检查要点: 4
    """)


def publish(runner, tmp_path, years=1, text=None):
    path = tmp_path / f"four-{years}.yaml"
    path.write_text(text or FOUR_LISTS.format(years=years), encoding="utf-8")
    return runner.invoke(args=["leniency", "load", str(path)])


@pytest.fixture
def four_lists(runner, tmp_path):
    result = publish(runner, tmp_path)
    assert result.exit_code == 0, result.output


def item_of(db_session, code="SC-003") -> CatalogueItem:
    return db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == code, CatalogueItem.status == "published"))


def point_of(db_session, position: int):
    return next(p for p in item_of(db_session).points if p.position == position)


def test_a_list_written_by_offence_in_four_lists(four_lists, db_session, app):
    published = db_session.scalar(select(LeniencyList).where(LeniencyList.version == "F-1"))
    assert published.lookback_months == 12
    entries = {e.code: e for e in published.entries}
    assert set(entries) == {"BY-01", "BY-02", "CQ-01", "CZ-01"}
    assert entries["BY-01"].treatment == "no_penalty" and entries["BY-01"].point.position == 2
    assert entries["BY-01"].conditions == ["first_offence", "corrected", "no_harm"]
    assert entries["BY-01"].legal_basis == "《中华人民共和国食品安全法》第四十五条"
    assert entries["BY-02"].point is None and entries["BY-02"].offence.startswith("食品经营者未在经营场所")
    assert entries["CQ-01"].treatment == "lighter" and (entries["CQ-01"].fine_min, entries["CQ-01"].fine_max) == (5000, 20000)
    assert entries["CQ-01"].conditions == ["corrected", "minor"]
    assert entries["CZ-01"].conditions == ["repeated"] and entries["CZ-01"].fine_max == 50000
    assert entries["CZ-01"].basis == entries["CZ-01"].penalty_basis   # the penalty basis stands for the basis
    anonymous = app.test_client()
    page = anonymous.get(f"/public/leniency/{published.id}").get_data(as_text=True)
    assert "未在经营场所显著位置悬挂食品经营许可证" in page and "罚款 5,000 元至 20,000 元" in page
    assert "1 年内无同一违法行为记录的，视为初次违法" in page
    body = anonymous.get(f"/api/v1/public/leniency-lists/{published.id}").get_json()
    offence_only = next(e for e in body["entries"] if e["code"] == "BY-02")
    assert offence_only["item"] is None and offence_only["point"] is None and body["first_offence_months"] == 12


def test_bad_offence_entries_are_all_reported(runner, tmp_path, db_session):
    bad = textwrap.dedent("""\
        department: market
        version: "F-bad"
        title: 有错误的四张清单
        effective_from: 2026-01-01
        首违认定期限（年）: 9
        不予处罚清单:
          - 违法行为: 某违法行为
            处罚依据: 某条
            适用条件: 视情况而定
          - 违法行为: 另一违法行为
            处罚依据: 某条
            适用条件: 初次违法并及时改正的
            裁量基准: 1000元以上5000元以下
        从轻处罚清单:
          - 处罚依据: 某条
            适用条件: 情节轻微的
          - 违法行为: 第三违法行为
            处罚依据: 某条
            适用条件: 情节轻微的
            裁量基准: 看情况
            检查要点: 2
        """)
    before = db_session.scalar(select(func.count()).select_from(LeniencyEntry))
    result = publish(runner, tmp_path, text=bad)
    assert result.exit_code == 1
    for fragment in ("首违认定期限应为 1 至 5", "无法从适用条件「视情况而定」读出条件", "不予处罚的条目不能规定罚款幅度",
                     "须写明违法行为", "无法读出罚款幅度「看情况」", "写了检查要点须同时写检查事项编码"):
        assert fragment in result.output, (fragment, result.output)
    assert db_session.scalar(select(func.count()).select_from(LeniencyEntry)) == before


def test_published_conditions_and_fine_ranges_are_read():
    assert conditions_from_text("初次违法且危害后果轻微并及时改正的") == ["first_offence", "corrected", "no_harm"]
    assert conditions_from_text("两年内再次违法的") == ["repeated"]
    assert conditions_from_text("拒不改正或者造成严重危害后果的") == ["refused", "serious_harm"]
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 12, 2), 12) == dt.date(2025, 12, 2)


def earlier_offence(db_session, entered, firm, day, position=2):
    """An earlier visit to ``firm`` that found point ``position`` of SC-003 non-compliant."""
    visit = entered(firm, item="SC-003", day=day)
    point = point_of(db_session, position)
    db_session.add(Finding(visit_id=visit.id, task_id=visit.tasks[0].id, item_id=point.item_id, point_id=point.id,
                           result="non_compliant", note="健康证明过期", recorded_by_id=visit.officers[0].officer_id,
                           recorded_at=dt.datetime.combine(day, dt.time(3))))
    db_session.flush()
    return visit


def test_first_offence_is_prefilled_from_the_record(client, login, visit_today, four_lists, entered, db_session,
                                                    runner, tmp_path):
    v = visit_today
    visit, point = v["visit"], point_of(db_session, 2)
    task = visit.tasks[0]
    fresh = first_offence_history(db_session, visit.firm_id, point.id, task.plan.department_id, visit.day, visit.id)
    assert fresh["first_offence"] is True and fresh["earlier"] == [] and fresh["lookback_months"] == 12
    # Denying a first offence the record supports needs a reason too.
    with pytest.raises(InvalidInput, match="应认定为初次违法"):
        check_first_offence(db_session, visit, task, point.id, ["no_harm", "corrected"])
    too_old = visit.day - dt.timedelta(days=400)
    earlier_offence(db_session, entered, visit.firm, too_old)
    assert first_offence_history(db_session, visit.firm_id, point.id, task.plan.department_id, visit.day,
                                 visit.id)["first_offence"] is True   # beyond the list's year
    recent = visit.day - dt.timedelta(days=60)
    earlier_offence(db_session, entered, visit.firm, recent)
    db_session.commit()
    history = first_offence_history(db_session, visit.firm_id, point.id, task.plan.department_id, visit.day, visit.id)
    assert history["first_offence"] is False and [e["day"] for e in history["earlier"]] == [recent.isoformat()]
    with pytest.raises(InvalidInput, match="不属于初次违法") as refused:
        check_first_offence(db_session, visit, task, point.id, ["first_offence", "no_harm", "corrected"])
    assert refused.value.fields == {"conditions": "与违法记录不符", "reason": "必填"}
    assert check_first_offence(db_session, visit, task, point.id, ["first_offence", "no_harm", "corrected"],
                               "前次检查结论已经复议撤销")["first_offence"] is False
    # The sheet shows the record and leaves first offence unticked.
    enter(client, login, v)
    as_user(client, login, v["users"][0])
    sheet = client.get(f"/api/v1/visits/{visit.id}/sheet").get_json()
    listed = sheet["tasks"][0]["items"][0]["points"][1]
    assert listed["first_offence"]["first_offence"] is False and listed["first_offence"]["earlier"][0]["day"] == recent.isoformat()
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f"{recent.isoformat()} 已认定同一违法行为不符合" in page
    assert 'value="first_offence" checked' not in page
    # A list that looks back two years reaches the older offence too.
    assert publish(runner, tmp_path, years=2, text=FOUR_LISTS.format(years=2).replace('"F-1"', '"F-2"')).exit_code == 0
    longer = first_offence_history(db_session, visit.firm_id, point.id, task.plan.department_id, visit.day, visit.id)
    assert longer["lookback_months"] == 24 and len(longer["earlier"]) == 2


def test_a_first_offence_the_record_contradicts_alerts_oversight(client, login, visit_today, four_lists, entered,
                                                                 db_session):
    v = visit_today
    visit, point = v["visit"], point_of(db_session, 2)
    earlier_offence(db_session, entered, visit.firm, visit.day - dt.timedelta(days=30))
    db_session.commit()
    enter(client, login, v)
    as_user(client, login, v["users"][0])
    task = visit.tasks[0].id
    for p in item_of(db_session).points:
        bad = p.position == 2
        client.post(f"/api/v1/visits/{visit.id}/findings", json={"task": task, "point": p.id,
                                                                  "result": "non_compliant" if bad else "compliant",
                                                                  "note": "厨师健康证明过期" if bad else ""})
    claim = {"task": task, "point": point.id, "decision": "follow", "conditions": ["first_offence", "no_harm", "corrected"]}
    refused = client.post(f"/api/v1/visits/{visit.id}/leniency-decisions", json=claim)
    assert refused.status_code == 422 and refused.get_json()["fields"]["reason"] == "必填"
    decided = client.post(f"/api/v1/visits/{visit.id}/leniency-decisions",
                          json={**claim, "reason": "上次检查的认定已被复议撤销"})
    assert decided.status_code == 201, decided.get_json()
    as_user(client, login, "oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    alerts = db_session.scalars(select(Alert).where(Alert.rule == "first_offence_conflict")).all()
    assert len(alerts) == 1 and alerts[0].firm_id == visit.firm_id and "认定初次违法" in alerts[0].title
    assert alerts[0].evidence["visit"] == visit.id and alerts[0].evidence["lookback_months"] == 12


def case_on_point_4(db_session, entered, firm, *, day=dt.date(2026, 5, 11), fine=None, treatment=None, officer=None):
    """A case on SC-003 whose only non-compliant point is 4 (餐具未清洗消毒)."""
    visit = earlier_offence(db_session, entered, firm, day, position=4)
    row = ItemOutcome(visit_id=visit.id, task_id=visit.tasks[0].id, item_id=item_of(db_session).id, outcome="case",
                      recorded_at=dt.datetime.combine(day, dt.time(3)), publish_due=day + dt.timedelta(days=28),
                      fine_amount=fine, treatment=treatment, recorded_by_id=officer or visit.officers[0].officer_id)
    db_session.add(row)
    db_session.flush()
    return visit, row


def test_a_fine_outside_the_range_needs_a_reason(four_lists, entered, make_firm, db_session):
    visit, _ = case_on_point_4(db_session, entered, make_firm())
    task, item = visit.tasks[0], item_of(db_session)
    inside = check_fine(db_session, task, item, 10_000, treatment="lighter")
    assert inside.within and (inside.low, inside.high) == (5000, 20000)
    with pytest.raises(InvalidInput, match="超出裁量基准") as refused:
        check_fine(db_session, task, item, 30_000, treatment="lighter")
    assert refused.value.fields == {"fine_amount": "超出裁量基准", "fine_reason": "必填"}
    with pytest.raises(InvalidInput):
        check_fine(db_session, task, item, 1_000, "无", treatment="lighter")    # a reason says something
    kept = check_fine(db_session, task, item, 30_000, "违法所得较多，经集体讨论决定", treatment="lighter")
    assert kept.within is False and kept.reason == "违法所得较多，经集体讨论决定"
    assert check_fine(db_session, task, item, 30_000, treatment="heavier").within   # 3万至5万
    assert check_fine(db_session, task, item, None) is None
    other, _ = case_on_point_4(db_session, entered, make_firm())
    no_range = earlier_offence(db_session, entered, make_firm(), dt.date(2026, 5, 12), position=5)
    assert check_fine(db_session, no_range.tasks[0], item, 99_999) is None      # point 5 is in no list
    with pytest.raises(InvalidInput, match="5,000 元至 50,000 元"):          # any treatment: 5000 to 50000
        check_fine(db_session, other.tasks[0], item, 4_000)
    assert check_fine(db_session, other.tasks[0], item, 40_000).within is True


def test_fines_outside_the_range_and_unlike_fines_alert_oversight(client, login, four_lists, entered, make_firm,
                                                                  db_session):
    team = db_session.scalars(select(Officer).join(Officer.department).where(Officer.valid_to > dt.date(2027, 1, 1))
                              .order_by(Officer.id)).all()
    market = [o for o in team if o.department.code == "market"][:2]
    for n, fine in enumerate((5000, 6000, 6000)):
        case_on_point_4(db_session, entered, make_firm(), day=dt.date(2026, 5, 11 + n), fine=fine,
                        treatment="lighter", officer=market[0].id)
    for n, fine in enumerate((20000, 20000)):
        case_on_point_4(db_session, entered, make_firm(), day=dt.date(2026, 6, 1 + n), fine=fine,
                        treatment="lighter", officer=market[1].id)
    _, outside = case_on_point_4(db_session, entered, make_firm(), day=dt.date(2026, 7, 1), fine=60000,
                                 treatment="lighter", officer=market[1].id)
    outside.fine_reason = "涉案餐具数量大"
    db_session.commit()
    login("oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    out = db_session.scalars(select(Alert).where(Alert.rule == "fine_outside_range")).all()
    assert [a.evidence["fine_amount"] for a in out] == [60000] and out[0].evidence["reason"] == "涉案餐具数量大"
    unlike = {a.evidence["dimension"]: a for a in db_session.scalars(select(Alert).where(Alert.rule == "fine_disparity"))}
    assert "officer" in unlike and unlike["officer"].evidence["item"] == "SC-003" and unlike["officer"].evidence["point"] == 4
    medians = sorted(unlike["officer"].evidence["medians"].values())
    assert medians == [6000, 20000]
    assert "相差悬殊" in unlike["officer"].title
    page = client.get("/oversight/alerts?rule=fine_disparity").get_data(as_text=True)
    assert "同一违法行为罚款差异悬殊" in page


BY_OFFENCE = textwrap.dedent("""\
    department: market
    version: "F-9"
    title: 东营市市场监管领域按违法行为编写的清单（测试）
    effective_from: 2026-01-01
    不予处罚清单:
      - 序号: BY-11
        违法行为: 餐饮服务提供者未按规定履行食品安全管理制度
        法律依据: 《中华人民共和国食品安全法》第四十四条
        处罚依据: 《中华人民共和国食品安全法》第一百二十六条
        适用条件: 初次违法，危害后果轻微并及时改正的
        处理方式: 责令改正，不予行政处罚
        检查事项: SC-003
        检查要点: 2
    从轻处罚清单:
      - 序号: CQ-11
        违法行为: 餐饮服务提供者未按规定履行食品安全管理制度
        法律依据: 《中华人民共和国食品安全法》第四十四条
        处罚依据: 《中华人民共和国食品安全法》第一百二十六条
        适用条件: 违法情节轻微并及时改正的
        裁量基准: 5000元以上2万元以下
        检查事项: SC-003
        检查要点: 3
    减轻处罚清单:
      - 序号: JQ-11
        违法行为: 超范围使用食品添加剂
        法律依据: 《中华人民共和国食品安全法》第四十条
        处罚依据: 《中华人民共和国食品安全法》第一百二十四条
        适用条件: 违法情节轻微，主动改正的
        处理方式: 责令改正，减轻处罚
        裁量基准: 1000元以上5000元以下
        检查事项: SC-003
        检查要点: 5
    """)


@pytest.fixture
def by_offence(runner, tmp_path):
    result = publish(runner, tmp_path, text=BY_OFFENCE)
    assert result.exit_code == 0, result.output


def test_an_earlier_breach_of_another_point_of_the_same_offence_is_prior(client, login, visit_today, by_offence,
                                                                         entered, db_session):
    v = visit_today
    visit, point = v["visit"], point_of(db_session, 2)
    task = visit.tasks[0]
    # No record: the sheet ticks first offence for the inspector.
    enter(client, login, v)
    as_user(client, login, v["users"][0])
    sheet = client.get(f"/api/v1/visits/{visit.id}/sheet").get_json()
    listed = sheet["tasks"][0]["items"][0]["points"][1]
    assert listed["first_offence"]["first_offence"] is True and listed["first_offence"]["earlier"] == []
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'name="conditions_{point.id}" value="first_offence" checked' in page
    assert "无同一违法行为记录，可认定为初次违法" in page
    # An earlier breach of point 3, which the list maps to the same 违法行为, makes the firm's offence prior.
    recent = visit.day - dt.timedelta(days=45)
    earlier_offence(db_session, entered, visit.firm, recent, position=3)
    db_session.commit()
    history = first_offence_history(db_session, visit.firm_id, point.id, task.plan.department_id, visit.day, visit.id)
    assert history["first_offence"] is False
    assert history["earlier"] == [{"visit": history["earlier"][0]["visit"], "day": recent.isoformat(), "item": "SC-003",
                                   "point": 3}]
    with pytest.raises(InvalidInput, match=r"同一违法行为（SC-003 第 3 项）不符合"):
        check_first_offence(db_session, visit, task, point.id, ["first_offence", "no_harm", "corrected"])
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'name="conditions_{point.id}" value="first_offence" checked' not in page
    assert f"{recent.isoformat()} 已认定同一违法行为不符合" in page
    # A breach of a point of another offence is not prior.
    other = point_of(db_session, 5)
    assert first_offence_history(db_session, visit.firm_id, other.id, task.plan.department_id, visit.day,
                                 visit.id)["first_offence"] is True


def test_a_reduced_penalty_entry_is_followed_as_a_reduced_case(client, login, visit_today, by_offence, db_session):
    published = db_session.scalar(select(LeniencyList).where(LeniencyList.version == "F-9"))
    reduced = next(e for e in published.entries if e.code == "JQ-11")
    assert (reduced.treatment, reduced.conditions) == ("reduced", ["corrected", "minor"])
    assert (reduced.fine_min, reduced.fine_max, reduced.point.position) == (1000, 5000, 5)
    v = visit_today
    visit, task = v["visit"], v["visit"].tasks[0].id
    enter(client, login, v)
    as_user(client, login, v["users"][0])
    for p in item_of(db_session).points:
        bad = p.position == 5
        answer = client.post(f"/api/v1/visits/{visit.id}/findings", json={
            "task": task, "point": p.id, "result": "non_compliant" if bad else "compliant",
            "note": "超范围使用食品添加剂" if bad else ""})
        assert answer.status_code == 201, answer.get_json()
        if bad:
            assert [(e["treatment"], e["treatment_label"]) for e in answer.get_json()["leniency"]["entries"]] == [
                ("reduced", "减轻处罚")]
    decided = client.post(f"/api/v1/visits/{visit.id}/leniency-decisions", json={
        "task": task, "point": point_of(db_session, 5).id, "decision": "follow", "conditions": ["corrected", "minor"]})
    assert decided.status_code == 201, decided.get_json()
    assert decided.get_json()["treatment"] == "reduced" and decided.get_json()["decision"] == "follow"
    outcomes = f"/api/v1/visits/{visit.id}/outcomes"
    rectify = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "rectify", "rectify_by": "2026-12-31"})
    assert rectify.status_code == 422 and "已决定按清单减轻处罚，处理结果应为立案查处" in rectify.get_json()["message"]
    lighter = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "case", "treatment": "lighter"})
    assert lighter.status_code == 422 and "（减轻处罚）不一致" in lighter.get_json()["message"]
    too_much = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "case", "fine_amount": 8000})
    assert too_much.status_code == 422 and "1,000 元至 5,000 元" in too_much.get_json()["message"]
    case = client.post(outcomes, json={"task": task, "item": "SC-003", "outcome": "case", "fine_amount": 3000})
    assert case.status_code == 201, case.get_json()
    assert case.get_json()["treatment"] == "reduced" and case.get_json()["fine_amount"] == 3000
    row = db_session.scalar(select(ItemOutcome).where(ItemOutcome.visit_id == visit.id))
    assert (row.outcome, row.treatment, row.fine_amount, row.fine_reason) == ("case", "reduced", 3000, None)


def test_the_same_offence_fined_unlike_across_districts_alerts_oversight(client, login, four_lists, entered,
                                                                          make_firm, db_session):
    officer = db_session.scalars(select(Officer).join(Officer.department).where(
        Officer.valid_to > dt.date(2027, 1, 1), Officer.department.has(code="market")).order_by(Officer.id)).first()
    for n, fine in enumerate((5000, 6000)):
        case_on_point_4(db_session, entered, make_firm(district_code="370502"), day=dt.date(2026, 5, 11 + n),
                        fine=fine, treatment="lighter", officer=officer.id)
    for n, fine in enumerate((18000, 20000)):
        case_on_point_4(db_session, entered, make_firm(district_code="370523"), day=dt.date(2026, 6, 1 + n),
                        fine=fine, treatment="lighter", officer=officer.id)
    db_session.commit()
    login("oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    unlike = {a.evidence["dimension"]: a for a in db_session.scalars(select(Alert).where(Alert.rule == "fine_disparity"))}
    assert set(unlike) == {"district"}   # one officer: only the districts differ
    alert = unlike["district"]
    assert alert.evidence["item"] == "SC-003" and alert.evidence["point"] == 4 and alert.evidence["year"] == 2026
    assert alert.evidence["medians"] == {"东营区": 5500, "广饶县": 19000}
    assert alert.evidence["cases"] == {"东营区": 2, "广饶县": 2}
    assert "区县之间相差悬殊：东营区 中位 5,500 元，广饶县 中位 19,000 元" in alert.title
    assert alert.department_id == officer.department_id
