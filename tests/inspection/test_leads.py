"""Leads from somewhere (无线索不检查): each channel with its own reference, a description that says
something, the department's own jurisdiction, 12345 hotline imports by API and file, key plans that rest
on a recorded lead, and the audit of leads used at once by their own department or without a source."""
import datetime as dt

from sqlalchemy import func, select

from core import clock
from inspection.models import Alert, District, Finding, Firm, FirmLead, InspectionPlan, RiskModel, RiskScore, User
from inspection.operations.door import backfile, record_lead
from tests.leads import recorded_lead


def post_lead(client, firm, **fields):
    body = {"kind": "complaint", "reference": "12345-2026-3001", "received_on": clock.today().isoformat(),
            "summary": "顾客反映后厨餐具未清洗消毒，就餐后腹泻", **fields}
    return client.post(f"/api/v1/firms/{firm.uscc}/leads", json=body)


def leads(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(FirmLead))


def test_meaningless_text_and_references_not_of_the_channel_are_refused(client, login, make_firm, db_session):
    firm = make_firm()
    login("market")
    before = leads(db_session)
    for summary in ("x", "111", "测试", "测试测试测试测试", "  ", "asdfasdf"):
        refused = post_lead(client, firm, summary=summary)
        assert refused.status_code == 422, summary
        assert "没有实际意义" in refused.get_json()["fields"]["summary"], summary
    for kind, reference in (("complaint", "x"), ("complaint", "111"), ("referral", "测试"),
                            ("assignment", "12345-2026-0001"), ("platform", "非现场核查")):
        refused = post_lead(client, firm, kind=kind, reference=reference, source="东营市应急管理局")
        assert refused.status_code == 422 and "编号格式" in refused.get_json()["fields"]["reference"], (kind, reference)
    no_sender = post_lead(client, firm, kind="referral", reference="东应急移〔2026〕12号")
    assert no_sender.status_code == 422 and "来自哪里" in no_sender.get_json()["fields"]["source"]
    assert leads(db_session) == before   # a refused lead writes nothing


def test_each_channel_with_its_own_reference(client, login, make_firm, db_session):
    firm = make_firm()
    login("market")
    accepted = [
        ("complaint", "12345-2026-3002", ""),                         # the hotline is the source by default
        ("complaint", "ＤＹ２０２６１２０１０００１２", ""),                # full-width, as typed on a phone
        ("referral", "东应急移〔2026〕12号", "东营市应急管理局"),
        ("referral", "YS-2026-00031", "东营区人民法院"),
        ("accident", "SG-2026-0007", "东营市应急管理局"),
        ("hazard", "东营区安委办〔2026〕5号", "东营区安全生产委员会办公室"),
        ("assignment", "东司督〔2026〕3号", "东营市司法局"),
    ]
    for kind, reference, source in accepted:
        response = post_lead(client, firm, kind=kind, reference=reference, source=source)
        assert response.status_code == 201, (kind, reference, response.get_json())
    rows = {r.reference: r for r in db_session.scalars(select(FirmLead).where(FirmLead.firm_id == firm.id))}
    assert rows["12345-2026-3002"].source == "12345政务服务便民热线" and rows["12345-2026-3002"].via == "manual"
    assert "DY2026120100012" in rows and rows["东司督〔2026〕3号"].kind == "assignment"
    again = post_lead(client, firm, reference="12345-2026-3002")   # the same work order again: the same lead
    assert again.status_code == 201 and again.get_json()["id"] == rows["12345-2026-3002"].id


def test_a_platform_lead_names_a_record_of_the_firm_that_supports_it(client, login, make_firm, entered,
                                                                    db_session):
    """The platform's own findings as leads: a 检查记录 with a point found 不符合, a 风险预警 (the risk model's
    score) or a 非现场核查 of this firm; a number that names nothing, another firm's record, or a visit where all was well is refused."""
    firm, other = make_firm(), make_firm()
    clean = entered(firm)
    breach = entered(firm, day=dt.date(2026, 6, 8))
    task = breach.tasks[0]
    point = task.plan.items[0].points[0]
    db_session.add(Finding(visit_id=breach.id, task_id=task.id, item_id=point.item_id, point_id=point.id,
                           result="non_compliant", note="消毒记录缺失", recorded_at=dt.datetime(2026, 6, 8, 3, 0)))
    elsewhere = entered(other)
    model = RiskModel(version="lead-test", status="published", progress=1.0, created_at=dt.datetime(2026, 3, 1),
                      features=[], params={}, metrics={})
    db_session.add(model)
    db_session.flush()
    warning = RiskScore(model_id=model.id, firm_id=firm.id, department_id=task.plan.department_id, score=0.83)
    db_session.add(warning)
    db_session.commit()
    login("market")
    summary = "平台检查发现消毒记录缺失，需复查整改情况"
    for reference, why in ((f"检查记录#{clean.id}", "没有发现不符合"), (f"检查记录#{elsewhere.id}", "平台上没有"),
                           ("风险预警#999999", "平台上没有"), ("非现场核查#999999", "平台上没有")):
        refused = post_lead(client, firm, kind="platform", reference=reference, summary=summary)
        assert refused.status_code == 422 and why in refused.get_json()["fields"]["reference"], (reference, refused.get_json())
    for reference in (f"检查记录#{breach.id}", f"风险预警#{warning.id}"):
        accepted = post_lead(client, firm, kind="platform", reference=reference, summary=summary)
        assert accepted.status_code == 201, (reference, accepted.get_json())
        assert accepted.get_json()["source"] == "本平台"


def test_only_firms_of_the_jurisdiction(client, login, make_firm, db_session):
    db_session.add(District(code="370999", name="外市某区"))
    db_session.flush()
    outside = make_firm(district_code="370999")
    db_session.commit()
    login("market")
    refused = post_lead(client, outside, reference="12345-2026-3003")
    assert refused.status_code == 422 and "不在东营市市场监督管理局的管辖区域" in refused.get_json()["fields"]["firm"]


def test_hotline_work_orders_by_api_and_file(client, login, make_firm, db_session, runner, tmp_path):
    a, b = make_firm(), make_firm()
    db_session.commit()
    login("market")
    today = clock.today().isoformat()
    good = {"hotline_no": "12345-2026-4001", "uscc": a.uscc, "received_on": today, "summary": "市民反映超市销售过期牛奶"}
    bad = [good, {**good, "hotline_no": "x", "uscc": b.uscc}, {**good, "uscc": "91370500000000000X",
                                                               "hotline_no": "12345-2026-4003"}]
    before = leads(db_session)
    refused = client.post("/api/v1/leads/hotline", json={"records": bad})
    assert refused.status_code == 422
    assert set(refused.get_json()["fields"]) == {"2", "3"} and "第 2 条" in refused.get_json()["message"]
    assert leads(db_session) == before
    records = [good, {**good, "hotline_no": "12345-2026-4002", "uscc": b.uscc, "summary": "群众举报小作坊无证生产糕点"}]
    imported = client.post("/api/v1/leads/hotline", json={"records": records})
    assert imported.status_code == 201 and imported.get_json()["imported"] == 2
    assert {row["via"] for row in imported.get_json()["leads"]} == {"hotline"}
    assert client.post("/api/v1/leads/hotline", json={"records": records}).status_code == 201
    assert leads(db_session) == before + 2      # re-importing keeps the leads already recorded
    path = tmp_path / "hotline.csv"
    path.write_text("hotline_no,uscc,received_on,summary\n"
                    f"12345-2026-4010,{a.uscc},{today},居民投诉饭店油烟扰民并有卫生问题\n", encoding="utf-8")
    result = runner.invoke(args=["import-hotline", str(path), "--department", "market"])
    assert result.exit_code == 0 and "已导入 12345 热线工单 1 条" in result.output, result.output
    path.write_text(f"hotline_no,uscc,received_on,summary\n111,{a.uscc},{today},测试\n", encoding="utf-8")
    result = runner.invoke(args=["import-hotline", str(path), "--department", "market"])
    assert result.exit_code == 1 and "未导入任何工单" in result.output
    assert leads(db_session) == before + 3


def key_plan(client, lead):
    return client.post("/api/v1/plans", json={"title": "特种设备重点检查", "period_start": "2026-12-07",
                                              "period_end": "2026-12-31", "items": ["SC-004"], "lead": lead,
                                              "ratios": {c: 0.3 for c in "ABCD"}})


def alerts_of(db_session, rule):
    return db_session.scalars(select(Alert).where(Alert.rule == rule).order_by(Alert.id)).all()


def test_a_key_plan_rests_on_a_real_lead_and_quick_use_is_audited(client, login, make_firm, db_session):
    firm = make_firm()
    db_session.commit()
    login("market")
    refused = key_plan(client, "x")
    assert refused.status_code == 422 and "不是东营市市场监督管理局在平台登记的线索编号" in refused.get_json()["message"]
    assert post_lead(client, firm, reference="12345-2026-5001").status_code == 201
    own = key_plan(client, "12345-2026-5001")       # recorded and used minutes later by the same account
    assert own.status_code == 201, own.get_json()
    hotline = client.post("/api/v1/leads/hotline", json={"records": [
        {"hotline_no": "12345-2026-5002", "uscc": firm.uscc, "received_on": clock.today().isoformat(),
         "summary": "市民反映电梯多次困人，维保不到位"}]})
    assert hotline.status_code == 201
    from_hotline = key_plan(client, "12345-2026-5002")
    assert from_hotline.status_code == 201
    plan = db_session.get(InspectionPlan, own.get_json()["id"])
    assert plan.lead_id is not None and "12345-2026-5001" in plan.lead
    login("oversight")
    assert client.post("/api/v1/oversight/alerts/refresh").status_code == 200
    quick = alerts_of(db_session, "lead_quick_use")
    assert [a.evidence["plan"] for a in quick] == [plan.id]     # the hotline's work order is not the department's own
    assert quick[0].evidence["same_account"] is True and "同一账号登记后" in quick[0].title
    page = client.get("/oversight/alerts?rule=lead_quick_use").get_data(as_text=True)
    assert "线索登记后随即由本部门据以检查" in page


def test_leads_without_a_source_reference_are_audited(client, login, db_session, entered, make_firm):
    # A key plan filed before plans had to rest on a recorded lead (its lead a word): audited.
    firm = make_firm()
    old = entered(firm, item="SC-004", day=dt.date(2026, 6, 1))
    old_plan = old.tasks[0].plan
    old_plan.lead = "x"
    # An emergency entry back-filed with a reference of no channel's format: kept, and audited.
    emergency = entered(make_firm(), item="SC-003", day=dt.date(2026, 6, 2))
    emergency.origin, emergency.emergency_kind = "emergency", "accident"
    emergency.backfile_due = dt.date(2026, 6, 5)
    user = db_session.scalar(select(User).where(User.username == "market"))
    backfile(db_session, user, emergency, kind="accident", reference="电话报告", summary="车间起火，一人轻伤",
             now=dt.datetime(2026, 6, 3, 2))
    # A lead of a proper channel and source: not audited.
    reference = recorded_lead(db_session)
    proper = db_session.scalar(select(FirmLead).where(FirmLead.reference == reference))
    assert record_lead(db_session, user, db_session.get(Firm, proper.firm_id), kind="assignment",
                       received_on=clock.today(), reference=reference, summary=proper.summary,
                       source=proper.source).id == proper.id
    db_session.commit()
    login("oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    found = {a.evidence["plan"]: a for a in alerts_of(db_session, "lead_without_source")}
    assert old_plan.id in found and "未依据平台登记的线索" in found[old_plan.id].title
    back_plan = emergency.tasks[0].plan
    assert back_plan.id in found and "编号格式" in found[back_plan.id].evidence["problem"]
