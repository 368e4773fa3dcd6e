"""非现场监管: a request instead of a visit, the firm's evidence within type and size limits, deadlines and
the one extension, the platform's own data checks, the review, escalation to an on-site task through a
filed plan and the schedule, rules that escalate or only remind, publication, and nothing counted as an entry."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import clock
from inspection.models import (
    EntryFact,
    Event,
    Finding,
    FirmLead,
    FirmRecord,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    OffsiteEvidence,
    OffsiteRequest,
    User,
    VisitEntry,
)
from inspection.operations.events import utcnow
from inspection.operations.offsite import sweep_requests
from inspection.operations.plans import file_targeted_plan
from inspection.pure.calendar import add_working_days
from inspection.queries.kpis import Scope, department_figures, monthly_entries, offsite_figures
from tests.approvals import approve
from tests.offsite_steps import PDF, PNG, points, send, upload

TODAY = clock.today()
@pytest.fixture
def offsite(db_session, make_firm, make_user):
    """An off-site task of market regulation for SC-011 at a restaurant whose licence the platform holds,
    with the firm's, an inspector's and the department's accounts."""
    def make(item="SC-011", department="market", licence_valid_to=TODAY + dt.timedelta(days=400), industry="餐饮服务"):
        firm = make_firm("非现场核查餐饮有限公司", industry=industry)
        if licence_valid_to:
            db_session.add(FirmRecord(firm_id=firm.id, kind="licence", name="食品经营许可证", number="JY23705020001",
                                      valid_from=dt.date(2022, 1, 1), valid_to=licence_valid_to, source="许可系统"))
        dept_user = db_session.scalar(select(User).where(User.username == department))
        plan = file_targeted_plan(db_session, dept_user, dept_user.department, title="测试非现场核查", item_codes=[item],
                                  firms=[firm], lead="测试线索", period_start=TODAY, period_end=TODAY + dt.timedelta(days=30))
        task = plan.tasks[0]
        inspector = make_user("inspector", department=department)
        enterprise = make_user("enterprise", firm=firm)
        db_session.commit()
        return {"firm": firm, "plan": plan, "task": task, "inspector": inspector.username,
                "enterprise": enterprise.username}
    return make


def as_user(client, login, username):
    client.delete("/api/v1/session")
    login(username)


def answer_all(client, sheet):
    for p in points(sheet):
        if p["proved_by_data"]:
            continue
        data = PNG if p["evidence_kinds"] == ["photo"] or "photo" in p["evidence_kinds"] else PDF
        response = upload(client, sheet["id"], p["id"], data, "证明.png" if data is PNG else "证明.pdf")
        assert response.status_code == 201, response.get_json()


def test_a_plan_of_offsite_items_goes_offsite_unless_the_department_says_why(client, login):
    login("market")
    body = {"title": "许可事项核查", "period_start": TODAY.isoformat(), "period_end": (TODAY + dt.timedelta(days=20)).isoformat(),
            "items": ["SC-011"], "ratios": {c: 0.05 for c in "ABCD"}}
    plain = client.post("/api/v1/plans", json=body).get_json()
    reasoned = client.post("/api/v1/plans", json={**body, "on_site_reason": "投诉反映经营场所与许可不符，须现场核实"}).get_json()
    mixed = client.post("/api/v1/plans", json={**body, "items": ["SC-011", "SC-003"]}).get_json()
    assert (plain["on_site"], reasoned["on_site"], mixed["on_site"]) == (False, True, True)
    client.post(f"/api/v1/plans/{plain['id']}/file")
    approve(client, plain["id"])
    client.post(f"/api/v1/plans/{plain['id']}/draw")
    assert client.post(f"/api/v1/plans/{plain['id']}/schedule").status_code == 422  # nothing to schedule off-site


def test_sending_checks_the_platforms_data_at_once(client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    licence = points(sheet)[0]
    assert licence["proved_by_data"] and "JY23705020001" in licence["evidence"][0]["text"]
    assert sheet["status"] == "sent" and sheet["missing"] == 3
    assert sheet["deadline"] == add_working_days(TODAY, 10).isoformat()
    finding = db_session.scalar(select(Finding).where(Finding.request_id == sheet["id"]))
    assert finding.result == "compliant" and finding.recorded_by_id is None and finding.visit_id is None
    event = db_session.scalar(select(Event).where(Event.kind == "offsite.requested"))
    assert event.payload["proved_by_data"] == 1 and event.payload["firm"] == o["firm"].uscc
    assert client.post(f"/api/v1/tasks/{o['task'].id}/offsite-request").status_code == 409  # once
    as_user(client, login, o["enterprise"])
    assert client.get(f"/api/v1/offsite/{sheet['id']}").status_code == 200
    assert "非现场核查" in client.get(f"/firms/{o['firm'].uscc}").get_data(as_text=True)


def test_an_expired_licence_is_not_proved(client, login, offsite):
    sheet = send(client, login, offsite(licence_valid_to=TODAY - dt.timedelta(days=3)))
    licence = points(sheet)[0]
    assert not licence["proved_by_data"] and "已于" in licence["evidence"][0]["text"] and licence["missing"]


def test_evidence_types_sizes_and_counts(client, login, offsite, app, db_session):
    o = offsite()
    sheet = send(client, login, o)
    place, staff, records = points(sheet)[1:]       # photo+document, document, record+document
    as_user(client, login, o["enterprise"])
    refused = upload(client, sheet["id"], staff["id"], b"just some text", "说明.txt")
    assert refused.status_code == 422 and "PDF" in refused.get_json()["message"]
    assert upload(client, sheet["id"], staff["id"], b"", "空.pdf").status_code == 422
    app.config["OFFSITE_MAX_MB"] = 0.25 / 1024  # 256 bytes
    try:
        big = upload(client, sheet["id"], staff["id"], PDF + b"0" * 100, "大.pdf")
        assert big.status_code == 422 and "不能超过 0.000244141 MB" in big.get_json()["message"]
        assert upload(client, sheet["id"], staff["id"], PDF[:250], "刚好.pdf").status_code == 201
    finally:
        app.config["OFFSITE_MAX_MB"] = 10
    assert upload(client, sheet["id"], staff["id"], answer="我们有健康证").status_code == 422  # a file is needed
    assert upload(client, sheet["id"], points(sheet)[0]["id"], PDF).status_code == 409        # proved by data
    ok = upload(client, sheet["id"], place["id"], PNG, "门头.png")
    assert ok.status_code == 201 and len(ok.get_json()["sha256"]) == 64
    assert upload(client, sheet["id"], place["id"], PDF, "许可证.pdf").status_code == 201       # a document too
    for n in range(3):
        assert upload(client, sheet["id"], place["id"], PNG + bytes([n]), f"照片{n}.png").status_code == 201
    assert "最多上传" in upload(client, sheet["id"], place["id"], PNG + b"x", "多.png").get_json()["message"]
    stored = db_session.scalar(select(OffsiteEvidence).where(OffsiteEvidence.point_id == place["id"]))
    assert stored.size == len(PNG) and stored.content_type == "image/png"
    with client.get(f"/offsite/evidence/{stored.id}") as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == PNG
    logged = [e.payload for e in db_session.scalars(select(Event).where(Event.kind == "offsite.evidence"))]
    assert {"kind": "file", "sha256": stored.sha256, "size": len(PNG), "filename": "门头.png"}.items() <= next(
        p for p in logged if p["sha256"] == stored.sha256).items()
    as_user(client, login, "market")
    with client.get(f"/offsite/evidence/{stored.id}") as downloaded:
        assert downloaded.status_code == 200
    as_user(client, login, "fire")
    assert client.get(f"/offsite/evidence/{stored.id}").status_code == 404
    assert client.get(f"/api/v1/offsite/{sheet['id']}").status_code == 404


def test_submission_needs_every_point_and_one_extension_before_the_deadline(client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    as_user(client, login, o["enterprise"])
    early = client.post(f"/api/v1/offsite/{sheet['id']}/submit")
    assert early.status_code == 422 and "还有 3 个要点" in early.get_json()["message"]
    request = db_session.get(OffsiteRequest, sheet["id"])
    request.deadline = TODAY  # the last day: an extension may still be asked
    db_session.commit()
    assert client.post(f"/api/v1/offsite/{sheet['id']}/extension", json={"reason": ""}).status_code == 422
    extended = client.post(f"/api/v1/offsite/{sheet['id']}/extension", json={"reason": "健康证明正在换发"})
    assert extended.status_code == 200 and extended.get_json()["extended_to"] == add_working_days(TODAY, 5).isoformat()
    again = client.post(f"/api/v1/offsite/{sheet['id']}/extension", json={"reason": "再延期"})
    assert again.status_code == 409 and "已经延期一次" in again.get_json()["message"]
    answer_all(client, sheet)
    done = client.post(f"/api/v1/offsite/{sheet['id']}/submit")
    assert done.status_code == 200 and done.get_json()["status"] == "answered"
    assert upload(client, sheet["id"], points(sheet)[1]["id"], PNG).status_code == 409  # handed in


def test_no_extension_after_the_deadline(client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    db_session.get(OffsiteRequest, sheet["id"]).deadline = TODAY - dt.timedelta(days=1)
    db_session.commit()
    as_user(client, login, o["enterprise"])
    late = client.post(f"/api/v1/offsite/{sheet['id']}/extension", json={"reason": "来不及"})
    assert late.status_code == 409 and "已过" in late.get_json()["message"]


def test_review_accepts_points_and_escalates_one_through_a_filed_plan_into_the_schedule(client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    as_user(client, login, o["enterprise"])
    answer_all(client, sheet)
    client.post(f"/api/v1/offsite/{sheet['id']}/submit")
    as_user(client, login, o["inspector"])
    place, staff, records = points(sheet)[1:]
    decisions = [{"point": place["id"], "result": "compliant"}, {"point": staff["id"], "result": "escalate"},
                 {"point": records["id"], "result": "non_compliant", "note": ""}]
    missing_note = client.post(f"/api/v1/offsite/{sheet['id']}/review", json={"decisions": decisions})
    assert missing_note.status_code == 422
    decisions[2]["note"] = "进货查验记录缺少供货者资质"
    no_reason = client.post(f"/api/v1/offsite/{sheet['id']}/review", json={"decisions": decisions})
    assert no_reason.status_code == 422 and "理由" in no_reason.get_json()["message"]
    before = db_session.scalar(select(func.count()).select_from(Finding))
    reviewed = client.post(f"/api/v1/offsite/{sheet['id']}/review",
                           json={"decisions": decisions, "escalation_reason": "健康证明与从业人员名单不符"})
    assert reviewed.status_code == 200, reviewed.get_json()
    db_session.expire_all()
    result = reviewed.get_json()
    assert result["status"] == "escalated" and result["escalated_task"]
    assert db_session.scalar(select(func.count()).select_from(Finding)) == before + 2
    assert db_session.scalar(select(func.count()).select_from(ItemOutcome).where(ItemOutcome.request_id == sheet["id"])) == 0
    escalated = db_session.get(InspectionTask, result["escalated_task"]["id"])
    plan = escalated.plan
    assert escalated.on_site and plan.selection == "targeted" and plan.status == "drawn"
    assert f"非现场核查 #{sheet['id']}" in plan.lead and "健康证明" in plan.lead
    lead = db_session.get(FirmLead, plan.lead_id)     # the platform's own finding is the plan's lead
    assert lead.kind == "platform" and lead.via == "platform" and lead.reference == f"非现场核查#{sheet['id']}"
    assert db_session.get(InspectionTask, o["task"].id).status == "done"
    # The usual gate: the department schedules the targeted plan like any other; the task gets a visit.
    as_user(client, login, "market")
    built = client.post(f"/api/v1/plans/{plan.id}/schedule")
    assert built.status_code == 202, built.get_json()
    db_session.expire_all()
    assert db_session.get(InspectionTask, escalated.id).visit_id is not None
    assert db_session.scalar(select(func.count()).select_from(VisitEntry)) == 0  # nothing entered
    assert db_session.scalar(select(func.count()).select_from(EntryFact)) == 0
    kinds = set(db_session.scalars(select(Event.kind)))
    assert {"offsite.requested", "offsite.evidence", "offsite.answered", "offsite.reviewed", "offsite.escalated",
            "plan.targeted"} <= kinds


def test_a_full_review_closes_and_publishes_like_on_site_results(client, login, offsite, db_session, app):
    o = offsite()
    sheet = send(client, login, o)
    as_user(client, login, o["enterprise"])
    answer_all(client, sheet)
    client.post(f"/api/v1/offsite/{sheet['id']}/submit")
    as_user(client, login, o["inspector"])
    decisions = [{"point": p["id"], "result": "compliant"} for p in points(sheet) if not p["proved_by_data"]]
    no_outcome = client.post(f"/api/v1/offsite/{sheet['id']}/review", json={"decisions": decisions})
    assert no_outcome.status_code == 422 and "处理结果" in no_outcome.get_json()["message"]
    closed = client.post(f"/api/v1/offsite/{sheet['id']}/review", json={
        "decisions": decisions, "outcomes": [{"item": "SC-011", "outcome": "no_problem"}]}).get_json()
    assert closed["status"] == "closed" and closed["items"][0]["outcome"] == "no_problem"
    db_session.expire_all()
    assert db_session.get(InspectionPlan, o["plan"].id).status == "completed"
    assert client.post(f"/api/v1/offsite/{sheet['id']}/review", json={"decisions": decisions}).status_code == 409
    as_user(client, login, "market")
    assert client.post(f"/api/v1/offsite/{sheet['id']}/publish").get_json()["published"] == ["SC-011"]
    page = app.test_client().get("/public/results?q=非现场核查餐饮").get_data(as_text=True)
    assert "非现场核查餐饮有限公司" in page and "非现场核查</span>" in page
    public = app.test_client().get(f"/api/v1/public/firms/{o['firm'].uscc}/results").get_json()
    assert public[0]["offsite"] == sheet["id"] and public[0]["visit"] is None
    assert db_session.scalar(select(func.count()).select_from(VisitEntry)) == 0


def test_overdue_requests_remind_then_escalate_by_the_published_rule(client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    request = db_session.get(OffsiteRequest, sheet["id"])
    assert sweep_requests(db_session, today=request.due) == {"reminded": 0, "escalated": 0}   # due today: not late
    late = add_working_days(request.due, 1)
    assert sweep_requests(db_session, today=late) == {"reminded": 1, "escalated": 0}
    assert request.reminded_at is not None and request.status == "sent"
    edge = add_working_days(request.due, 5)               # SC-011: escalate 5 working days past the deadline
    assert sweep_requests(db_session, today=edge)["escalated"] == 0
    assert sweep_requests(db_session, today=add_working_days(request.due, 6))["escalated"] == 1
    assert request.status == "escalated" and "依事项公布的非现场核查规则" in request.escalation_reason
    assert len(request.escalated_points) == 3  # every point the platform's data did not prove
    event = db_session.scalar(select(Event).where(Event.kind == "offsite.escalated"))
    assert event.actor == "system" and event.payload["by_rule"] is True


def test_a_rule_without_escalation_only_reminds(client, login, offsite, db_session):
    o = offsite(item="RS-001", department="hr", licence_valid_to=None, industry="机械制造")
    sheet = send(client, login, o)
    request = db_session.get(OffsiteRequest, sheet["id"])
    assert sweep_requests(db_session, today=add_working_days(request.due, 30)) == {"reminded": 1, "escalated": 0}
    assert request.status == "sent"


def test_rectifications_closed_are_proved_from_the_platforms_records(client, login, offsite, db_session, entered):
    o = offsite(item="XF-005", department="fire", licence_valid_to=None, industry="住宿")
    visit = entered(o["firm"], department="fire", item="XF-002", day=TODAY - dt.timedelta(days=60))
    task = visit.tasks[0]
    outcome = ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=task.plan.items[0].id, outcome="rectify",
                          rectify_by=TODAY - dt.timedelta(days=10), recorded_at=utcnow(), publish_due=TODAY)
    db_session.add(outcome)
    db_session.commit()
    sheet = send(client, login, o)
    rectification = next(p for p in points(sheet) if "以往检查" in p["text"])
    assert not rectification["proved_by_data"] and "1 项整改已过期限" in rectification["evidence"][0]["text"]
    as_user(client, login, "fire")
    assert client.post(f"/api/v1/outcomes/{outcome.id}/rectified", json={"note": "复查合格"}).status_code == 200
    assert client.post(f"/api/v1/outcomes/{outcome.id}/rectified", json={}).status_code == 409
    other = offsite(item="XF-005", department="fire", licence_valid_to=None, industry="住宿")
    visit2 = entered(other["firm"], department="fire", item="XF-002", day=TODAY - dt.timedelta(days=60))
    db_session.add(ItemOutcome(visit_id=visit2.id, task_id=visit2.tasks[0].id, item_id=visit2.tasks[0].plan.items[0].id,
                               outcome="rectify", rectify_by=TODAY - dt.timedelta(days=10), recorded_at=utcnow(),
                               publish_due=TODAY, rectified_at=utcnow()))
    db_session.commit()
    proved = next(p for p in points(send(client, login, other)) if "以往检查" in p["text"])
    assert proved["proved_by_data"] and "已确认完成 1 项" in proved["evidence"][0]["text"]


def test_only_the_department_in_jurisdiction_acts(client, login, offsite, make_user, db_session):
    o = offsite()
    fire = make_user("inspector", department="fire")
    db_session.commit()
    as_user(client, login, fire.username)
    assert client.post(f"/api/v1/tasks/{o['task'].id}/offsite-request").status_code == 404
    as_user(client, login, o["enterprise"])
    assert client.post(f"/api/v1/tasks/{o['task'].id}/offsite-request").status_code == 403
    market = db_session.scalar(select(User).where(User.username == o["inspector"]))
    market.officer.valid_to = TODAY - dt.timedelta(days=1)
    db_session.commit()
    as_user(client, login, o["inspector"])
    expired = client.post(f"/api/v1/tasks/{o['task'].id}/offsite-request")
    assert expired.status_code == 403 and "执法证今日无效" in expired.get_json()["message"]
    assert db_session.scalar(select(func.count()).select_from(OffsiteRequest)) == 0


def test_off_site_checks_count_apart_from_entries(client, login, offsite, db_session):
    """The dashboard gains the off-site share and the entries avoided; nothing becomes an entry."""
    closed, escalated = offsite(), offsite()
    for o, escalate in ((closed, False), (escalated, True)):
        sheet = send(client, login, o)
        as_user(client, login, o["enterprise"])
        answer_all(client, sheet)
        client.post(f"/api/v1/offsite/{sheet['id']}/submit")
        as_user(client, login, o["inspector"])
        decisions = [{"point": p["id"], "result": "escalate" if escalate and n == 0 else "compliant"}
                     for n, p in enumerate(p for p in points(sheet) if not p["proved_by_data"])]
        body = {"decisions": decisions, "escalation_reason": "材料存疑"} if escalate else \
            {"decisions": decisions, "outcomes": [{"item": "SC-011", "outcome": "no_problem"}]}
        assert client.post(f"/api/v1/offsite/{sheet['id']}/review", json=body).status_code == 200
    figures = offsite_figures(db_session, Scope(TODAY.year))
    assert (sum(figures.closed), sum(figures.escalated), figures.closed[TODAY.month - 1]) == (1, 1, 1)
    market = next(r for r in department_figures(db_session, Scope(TODAY.year)) if r.code == "market")
    assert (market.offsite, market.offsite_escalated, market.entries, market.offsite_share) == (2, 1, 0, 1.0)
    assert sum(monthly_entries(db_session, Scope(TODAY.year))) == 0
    as_user(client, login, "oversight")
    page = client.get(f"/oversight/dashboard?year={TODAY.year}").get_data(as_text=True)
    assert "非现场核查占比" in page and "100%" in page and "入企检查与非现场核查" in page
    drill = client.get(f"/oversight/offsite?year={TODAY.year}&status=escalated").get_data(as_text=True)
    assert drill.count("非现场核查餐饮有限公司") == 1 and "已转现场检查" in drill
    table = client.get(f"/oversight/offsite.csv?year={TODAY.year}").data.decode("utf-8-sig")
    assert table.count("非现场核查餐饮有限公司") == 2


def test_sweep_command(runner, client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    db_session.get(OffsiteRequest, sheet["id"]).deadline = TODAY - dt.timedelta(days=30)
    db_session.commit()
    result = runner.invoke(args=["sweep-offsite"])
    assert result.exit_code == 0 and "已提醒逾期企业 1 家，按规则转现场检查 1 项" in result.output
    assert "已提醒逾期企业 0 家" in runner.invoke(args=["sweep-offsite"]).output


def test_a_download_is_named_from_a_safe_base_and_the_checked_type(client, login, offsite, db_session):
    o = offsite()
    sheet = send(client, login, o)
    staff = points(sheet)[2]
    as_user(client, login, o["enterprise"])
    for name in ("<img src=x onerror=alert(1)>.html", "证明 材料.pdf", "<>.exe"):
        assert upload(client, sheet["id"], staff["id"], PDF + name.encode(), name).status_code == 201
    stored = db_session.scalars(select(OffsiteEvidence).where(OffsiteEvidence.point_id == staff["id"])
                                .order_by(OffsiteEvidence.id)).all()
    names = []
    for evidence in stored:
        with client.get(f"/offsite/evidence/{evidence.id}") as downloaded:
            assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
            names.append(downloaded.headers["Content-Disposition"])
    assert names[0] == "attachment; filename=img_src_x_onerror_alert_1.pdf"
    assert "filename*=UTF-8''%E8%AF%81%E6%98%8E_%E6%9D%90%E6%96%99.pdf" in names[1]  # 证明_材料.pdf
    assert names[2].endswith(f"{stored[2].id}.pdf") and "<" not in names[2] and ".exe" not in names[2]


def test_the_list_filters_by_status_and_refuses_an_unknown_one(client, login, offsite):
    sheet = send(client, login, offsite())
    listed = client.get("/api/v1/offsite?status=sent").get_json()
    assert sheet["id"] in [r["id"] for r in listed] and {r["status"] for r in listed} == {"sent"}
    assert sheet["id"] not in [r["id"] for r in client.get("/api/v1/offsite?status=closed").get_json()]
    assert client.get("/api/v1/offsite?status=whatever").status_code == 422


def test_written_answers_to_one_point_are_bounded(client, login, offsite):
    from inspection.operations.offsite import MAX_ANSWERS_PER_POINT

    o = offsite(item="RS-001", department="hr", licence_valid_to=None, industry="机械制造")
    sheet = send(client, login, o)
    written = next(p for p in points(sheet) if p["evidence_kinds"] == ["answer"])
    as_user(client, login, o["enterprise"])
    for n in range(MAX_ANSWERS_PER_POINT):
        assert upload(client, sheet["id"], written["id"], answer=f"说明第 {n} 条").status_code == 201
    refused = upload(client, sheet["id"], written["id"], answer="再多一条")
    assert refused.status_code == 422 and "最多提交 20 条文字说明" in refused.get_json()["message"]
