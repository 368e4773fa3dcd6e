"""凡检查必通知 at the door and the papers after it: the inspection notice issued at each department's entry
(by a job after the scan's commit: within the commit in tests), the sampling, premises and questioning records
signed on the phone, the order to rectify with the firm's statement, and oversight's rules on them."""
from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import urlparse

import time_machine
from sqlalchemy import func, select

from core import clock
from inspection.models import Alert, Document, Event, Finding, InspectionTask, User, Visit
from inspection.operations.accounts import create_user
from inspection.operations.alerts import refresh_alerts
from inspection.operations.documents import RESULT_WORKING_DAYS, STATEMENT_DAYS
from inspection.operations.entries import record_finding, record_outcome
from inspection.pure.calendar import add_working_days
from tests.approvals import approve
from tests.at_the_door import as_user
from tests.document_pdfs import pdf_text, qr_of
from tests.signatures import signature_png
from web.jobs import run_after_entry

SIGNATURE = "data:image/png;base64," + base64.b64encode(signature_png()).decode()


def _notices(db_session, visit_id):
    return db_session.scalars(select(Document).where(Document.kind == "notice", Document.visit_id == visit_id)).all()


def test_the_notice_is_issued_when_the_department_enters_and_shown_at_the_door(
        client, login, visit_today, db_session, make_user, app):
    visit = visit_today["visit"]
    as_user(client, login, visit_today["users"][0])
    first = client.post("/api/v1/scans", json={"token": visit_today["token"]}).get_json()
    assert first["state"] == "waiting_partner"
    assert client.get(f"/api/v1/visits/{visit.id}/notice").status_code == 404     # one officer is no entry
    assert _notices(db_session, visit.id) == []
    as_user(client, login, visit_today["users"][1])
    second = client.post("/api/v1/scans", json={"token": visit_today["token"]}).get_json()
    assert second["state"] == "entered", second
    answer = client.get(f"/api/v1/visits/{visit.id}/notice")
    assert answer.status_code == 200, answer.get_json()
    notice = answer.get_json()
    assert notice["kind"] == "notice" and notice["number"].startswith("东市监检通〔")
    [stored] = _notices(db_session, visit.id)
    assert stored.number == notice["number"]
    text = pdf_text(stored.pdf)
    assert visit.firm.name in text and "有权申请其回避" in text and "有权进行陈述和申辩" in text and "检查纪律" in text
    for member in visit.officers:
        assert member.officer.certificate_no in text
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)     # the officer's phone at the door
    assert 'id="entry-notice"' in page and notice["number"] in page and "检查通知书核验" in page
    url = qr_of(stored.pdf)
    verification = app.test_client().get(urlparse(url).path).get_data(as_text=True)
    assert notice["number"] in verification and stored.sha256 in verification
    as_user(client, login, visit_today["users"][0])
    client.post("/api/v1/scans", json={"token": visit_today["token"]})          # a scan again: no second notice
    assert len(_notices(db_session, visit.id)) == 1
    firm_user = make_user("enterprise", firm=visit.firm)
    db_session.commit()
    as_user(client, login, firm_user.username)
    assert notice["number"] in {d["number"] for d in client.get("/api/v1/documents").get_json()}
    assert notice["number"] in client.get(f"/firms/{visit.firm.uscc}").get_data(as_text=True)


def test_the_notice_job_issues_each_entry_once_and_skips_entries_not_on_record(
        db_session, make_firm, entered, app):
    visit = entered(make_firm(), day=clock.today())
    department_id = visit.tasks[0].plan.department_id
    db_session.commit()
    assert _notices(db_session, visit.id) == []
    run_after_entry(app, [], [(visit.id, department_id), (visit.id, department_id), (visit.id + 1000, department_id)])
    run_after_entry(app, [], [(visit.id, department_id)])
    db_session.expire_all()
    [notice] = _notices(db_session, visit.id)
    assert notice.department_id == department_id
    assert db_session.scalar(select(func.count()).select_from(Event).where(
        Event.kind == "document.issued", Event.subject == f"document:{notice.id}")) == 1


def _findings(db_session, visit, username, outcome=None):
    inspector = db_session.scalar(select(User).where(User.username == username))
    task = visit.tasks[0]
    item = task.plan.items[0]
    for n, point in enumerate(item.points):
        record_finding(db_session, inspector, visit, task.id, point.id, "non_compliant" if n == 0 else "compliant",
                       "台账记录不完整" if n == 0 else "")
    if outcome:
        record_outcome(db_session, inspector, visit, task.id, item.code, outcome, visit.day + dt.timedelta(days=20))
    db_session.commit()
    return item


def test_questioning_and_premises_records_are_signed_or_refused_before_a_witness(
        inside, client, login, visit_today, db_session, app):
    visit = inside
    item = _findings(db_session, visit, visit_today["users"][0])
    as_user(client, login, visit_today["users"][0])
    page = client.get(f"/visits/{visit.id}/record").get_data(as_text=True)
    assert "询问笔录" in page and f"{item.code}" in page                     # a non-compliant point calls for it
    url = f"/api/v1/visits/{visit.id}/field-records"
    incomplete = client.post(url, json={"kind": "questioning", "content": {"item": item.code, "person": "张三 店长"},
                                        "signer_name": "张三", "signature": SIGNATURE})
    assert incomplete.status_code == 422 and incomplete.get_json()["fields"] == {"questions": "必填"}
    elsewhere = client.post(url, json={"kind": "premises", "content": {"item": "XX-999", "place": "后厨",
                                                                        "situation": "见照片"}, "refused": True,
                                       "witness": "王五"})
    assert elsewhere.status_code == 422 and "item" in elsewhere.get_json()["fields"]
    questions = "问：台账由谁负责记录？答：由店长张三负责，近两周未记录。"
    asked = client.post(url, json={"kind": "questioning", "signer_name": "张三", "signature": SIGNATURE,
                                   "content": {"item": item.code, "person": "张三 店长", "questions": questions}})
    assert asked.status_code == 201, asked.get_json()
    asked = asked.get_json()
    assert asked["number"].startswith("东市监检询〔") and asked["content"]["questions"] == questions
    seen = client.post(url, json={"kind": "premises", "refused": True, "witness": "王五（社区网格员）",
                                  "content": {"item": item.code, "place": "后厨操作间",
                                              "situation": "消毒柜未通电，台账缺两周记录"}})
    assert seen.status_code == 201, seen.get_json()
    seen = seen.get_json()
    assert seen["number"].startswith("东市监检勘〔")
    asked_text = pdf_text(client.get(f"/api/v1/documents/{asked['id']}/pdf").data)
    assert asked["number"] in asked_text and "询问笔录" in asked_text and visit.firm.name in asked_text
    assert questions in asked_text and "当事人签名（张三）" in asked_text and f"{item.code} {item.name}" in asked_text
    assert "执法人员签名：" in asked_text and "以本人账号签署" in asked_text
    for member in visit.officers:
        assert member.officer.name in asked_text
    seen_pdf = client.get(f"/api/v1/documents/{seen['id']}/pdf").data
    seen_text = pdf_text(seen_pdf)
    assert "勘验笔录" in seen_text and "消毒柜未通电" in seen_text and "当事人拒绝签名。见证人：王五（社区网格员）" in seen_text
    verification = app.test_client().get(urlparse(qr_of(seen_pdf)).path).get_data(as_text=True)
    assert seen["number"] in verification and "勘验笔录" in verification
    record = client.post(f"/api/v1/visits/{visit.id}/record", json={"signer_name": "张三", "signature": SIGNATURE})
    assert record.status_code == 201, record.get_json()
    record_text = pdf_text(client.get(f"/api/v1/documents/{record.get_json()['id']}/pdf").data)
    assert asked["number"] in record_text and seen["number"] in record_text      # the on-site record names them


def test_an_item_checked_by_sampling_needs_its_sampling_record(db_session, make_firm, entered, client, login):
    visit = entered(make_firm(), item="SC-013-02", day=clock.today(), status="in_progress")
    task = visit.tasks[0]
    for point in task.plan.items[0].points:
        db_session.add(Finding(visit_id=visit.id, task_id=task.id, item_id=point.item_id, point_id=point.id,
                               result="compliant", recorded_at=clock.now().replace(tzinfo=None)))
    officer = visit.officers[0].officer
    create_user(db_session, None, username="sampler", password="demo1234", role="inspector", display_name=officer.name,
                officer=officer)
    db_session.commit()
    as_user(client, login, "sampler")
    body = {"signer_name": "赵六", "signature": SIGNATURE}
    early = client.post(f"/api/v1/visits/{visit.id}/record", json=body)
    assert early.status_code == 409 and "尚无抽样记录" in early.get_json()["message"] and "SC-013-02" in early.get_json()["message"]
    sampled = client.post(f"/api/v1/visits/{visit.id}/field-records", json={
        "kind": "sampling", **body, "content": {"item": "SC-013-02", "sample": "挂面 500g", "batch": "20261201A",
                                                 "quantity": "10 袋", "place": "成品库",
                                                 "handling": "当场封存，送市计量所检验"}})
    assert sampled.status_code == 201, sampled.get_json()
    sampled = sampled.get_json()
    assert sampled["number"].startswith("东市监检样〔")
    text = pdf_text(client.get(f"/api/v1/documents/{sampled['id']}/pdf").data)
    assert "抽样记录" in text and "挂面 500g" in text and "20261201A" in text and "当事人签名（赵六）" in text
    record = client.post(f"/api/v1/visits/{visit.id}/record", json=body)
    assert record.status_code == 201, record.get_json()


def test_an_order_to_rectify_goes_with_the_result_notice_and_the_firm_states_its_case(
        inside, client, login, visit_today, db_session, make_user, make_firm):
    visit = inside
    item = _findings(db_session, visit, visit_today["users"][0], outcome="rectify")
    as_user(client, login, "market")
    result = client.post(f"/api/v1/visits/{visit.id}/result-notice")
    assert result.status_code == 201, result.get_json()
    result = result.get_json()
    [order] = db_session.scalars(select(Document).where(Document.kind == "order", Document.visit_id == visit.id)).all()
    deadline = visit.day + dt.timedelta(days=20)
    text = pdf_text(order.pdf)
    assert order.number.startswith("东市监检改〔") and order.number in text and "责令改正通知书" in text
    assert visit.firm.name in text and f"{item.code} {item.name}" in text and "台账记录不完整" in text
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日前" in text and "陈述、申辩" in text
    assert order.number in pdf_text(client.get(f"/api/v1/documents/{result['id']}/pdf").data)
    own, other = make_user("enterprise", firm=visit.firm), make_user("enterprise", firm=make_firm())
    db_session.commit()
    as_user(client, login, other.username)
    assert client.post(f"/api/v1/documents/{order.id}/statement", json={"text": "我单位已经整改完毕。"}).status_code == 404
    as_user(client, login, own.username)
    listed = {d["number"]: d for d in client.get("/api/v1/documents").get_json()}
    assert order.number in listed and listed[order.number]["statement_due"] == add_working_days(
        clock.local_day(order.issued_at), STATEMENT_DAYS).isoformat()
    assert client.post(f"/api/v1/documents/{order.id}/acknowledgement").status_code == 201
    short = client.post(f"/api/v1/documents/{order.id}/statement", json={"text": "不服"})
    assert short.status_code == 422
    [notice] = _notices(db_session, visit.id)
    wrong = client.post(f"/api/v1/documents/{notice.id}/statement", json={"text": "检查通知书有误，请核实。"})
    assert wrong.status_code == 409 and "不接受陈述、申辩" in wrong.get_json()["message"]
    stated = client.post(f"/api/v1/documents/{order.id}/statement",
                         json={"text": "台账系店长休假期间漏记，已于当日补记，请求从轻处理。"})
    assert stated.status_code == 201, stated.get_json()
    assert stated.get_json()["statements"][0]["text"].startswith("台账系店长休假期间漏记")
    assert "台账系店长休假期间漏记" in client.get("/documents").get_data(as_text=True)
    as_user(client, login, "market")
    assert client.get(f"/api/v1/documents/{order.id}").get_json()["statements"][0]["at"].endswith("Z")
    late = dt.datetime.combine(add_working_days(clock.local_day(order.issued_at), STATEMENT_DAYS + 1), dt.time(10),
                               tzinfo=clock.zone())
    with time_machine.travel(late, tick=False):
        as_user(client, login, own.username)
        closed = client.post(f"/api/v1/documents/{order.id}/statement", json={"text": "补充陈述：已整改完毕。"})
    assert closed.status_code == 409 and "期限" in closed.get_json()["message"]


def test_entries_without_a_notice_and_overdue_result_notices_are_alerted(db_session, make_firm, entered, app):
    today = clock.today()
    bare, noticed = entered(make_firm(), day=today), entered(make_firm(), day=today)
    department_id = bare.tasks[0].plan.department_id
    db_session.commit()
    run_after_entry(app, [], [(noticed.id, department_id)])
    db_session.expire_all()
    refresh_alerts(db_session, today=today + dt.timedelta(days=1))
    flagged = {a.evidence["visit"] for a in db_session.scalars(select(Alert).where(Alert.rule == "entry_without_notice"))}
    assert bare.id in flagged and noticed.id not in flagged
    alert = db_session.scalar(select(Alert).where(Alert.key == f"entry_without_notice:{bare.id}:{department_id}"))
    assert "未开具行政检查通知书" in alert.title and alert.firm_id == bare.firm_id
    due = add_working_days(today, RESULT_WORKING_DAYS)
    key = f"result_overdue:{bare.id}:{department_id}"
    refresh_alerts(db_session, today=due)
    assert db_session.scalar(select(Alert).where(Alert.key == key)) is None
    refresh_alerts(db_session, today=due + dt.timedelta(days=1))
    assert "仍未开具行政检查结果告知书" in db_session.scalar(select(Alert).where(Alert.key == key)).title


def test_a_visit_announced_ahead_gets_its_notice_ahead(client, login, db_session, door_open, runner, make_user):
    login("market")
    body = {"title": "预告检查", "period_start": door_open.isoformat(),
            "period_end": (door_open + dt.timedelta(days=10)).isoformat(), "items": ["SC-003"],
            "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"], "notice_days": 10}
    plan = client.post("/api/v1/plans", json=body).get_json()
    silent = client.post("/api/v1/plans", json={**body, "title": "不预告", "items": ["SC-002"], "notice_days": None}).get_json()
    for p in (plan, silent):
        for action in ("file", "draw", "schedule", "confirm"):
            if action == "draw":
                approve(client, p["id"])
            assert client.post(f"/api/v1/plans/{p['id']}/{action}").status_code in (200, 202)

    def confirmed(plan_id):
        return db_session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                                  .where(InspectionTask.plan_id == plan_id, Visit.status == "confirmed")
                                  .order_by(Visit.day, Visit.id)).all()
    near, quiet = confirmed(plan["id"])[0], confirmed(silent["id"])
    early = dt.datetime.combine(near.day - dt.timedelta(days=11), dt.time(9), tzinfo=clock.zone())
    with time_machine.travel(early, tick=False):
        result = runner.invoke(args=["advance-notices"])
    assert result.exit_code == 0, result.output
    assert _notices(db_session, near.id) == []                       # the notice period has not begun
    with time_machine.travel(early + dt.timedelta(days=1), tick=False):
        result = runner.invoke(args=["advance-notices"])
        again = runner.invoke(args=["advance-notices"])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    [notice] = _notices(db_session, near.id)
    assert notice.number in result.output and "已提前开具检查通知书 0 份" in again.output
    text = pdf_text(notice.pdf)
    assert f"{near.day.year}年{near.day.month}月{near.day.day}日（检查预告，提前告知）" in text
    assert near.firm.name in text and "有权申请其回避" in text
    for member in near.officers:
        assert member.officer.certificate_no in text
    assert quiet and all(_notices(db_session, v.id) == [] for v in quiet)    # no notice ahead without 检查预告
    firm_user = make_user("enterprise", firm=near.firm)
    db_session.commit()
    as_user(client, login, firm_user.username)
    assert notice.number in client.get(f"/firms/{near.firm.uscc}").get_data(as_text=True)
