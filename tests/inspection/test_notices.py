"""Notices (通知): the operations that need someone write a notice once; the recipient sees it on the home page
and the 通知 page, read or unread; ``send-notices`` sends it by e-mail to a local SMTP server (and by SMS to a
loopback gateway) once, and again later when the server was away."""
from __future__ import annotations

import datetime as dt
import http.server
import io
import json
import threading

import pytest
import time_machine
from sqlalchemy import select

from core import clock
from inspection.models import InspectionTask, Notice, OffsiteRequest, User, Visit
from inspection.operations.plans import file_targeted_plan
from tests.approvals import approve
from tests.at_the_door import as_user
from web.local_mail import LocalMailServer, free_port

pytestmark = pytest.mark.usefixtures("door_open")  # the tests walk the door
PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 200


@pytest.fixture
def mail(app):
    """A local SMTP server the platform sends to; the app's mail settings are restored afterwards."""
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_FROM", "SMS_GATEWAY_URL")}
    with LocalMailServer() as server:
        app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_FROM="平台通知 <noreply@inspection.example>")
        yield server
    app.config.update(saved)


def set_contact(client, login, username, email="", phone=""):
    as_user(client, login, username)
    response = client.post("/notices/contact", data={"email": email, "phone": phone})
    assert response.status_code == 302
    return response


def send_notices(runner, *args) -> str:
    result = runner.invoke(args=["send-notices", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_partner_waiting_at_the_door_is_told_on_the_page_and_by_mail_once(client, login, visit_today, runner,
                                                                              mail, db_session):
    v = visit_today
    first, partner = v["users"]
    set_contact(client, login, partner, email="partner@inspection.example")
    assert "已保存" in client.get("/notices").get_data(as_text=True)
    as_user(client, login, first)
    waiting = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert waiting["state"] == "waiting_partner"
    client.post("/api/v1/scans", json={"token": v["token"]})   # scanning again tells nobody again

    first_name = db_session.scalar(select(User).where(User.username == first)).officer.name
    as_user(client, login, partner)
    home = client.get("/home").get_data(as_text=True)
    assert "新通知" in home and f"同伴待扫码：{first_name}在{v['visit'].firm.name}等您" in home
    page = client.get("/notices").get_data(as_text=True)
    assert page.count("同伴待扫码：") == 1 and "邮件待发送" in page

    output = send_notices(runner, "--no-remind")
    assert "已发送" in output
    received = [m for m in mail.messages if m["To"] == "partner@inspection.example"
                and m["Subject"].startswith("同伴待扫码")]
    assert len(received) == 1 and any(m["Subject"].startswith("检查任务：") for m in mail.messages)
    assert received[0]["Subject"] == f"同伴待扫码：{first_name}在{v['visit'].firm.name}等您"
    body = received[0].get_content()
    assert "两名持证执法人员先后扫码" in body and f"/visits/{v['visit'].id}" in body
    assert "邮件已发送" in client.get("/notices").get_data(as_text=True)

    before = len(mail.messages)
    send_notices(runner, "--no-remind")
    assert len(mail.messages) == before          # sent once

    # Opening it marks it read; marking all read empties the home page's section.
    notice_id = int(page.split('<div class="card notice unread" id="notice-')[1].split('"')[0])
    unread = unread_of(page)
    opened = client.get(f"/notices/{notice_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/visits/{v['visit'].id}")
    after = client.get("/notices").get_data(as_text=True)
    assert f'<div class="card notice" id="notice-{notice_id}">' in after and unread_of(after) == unread - 1
    client.post("/notices/read", data={})
    assert "全部标为已读" not in client.get("/notices").get_data(as_text=True)
    assert "新通知" not in client.get("/home").get_data(as_text=True)


def unread_of(page: str) -> int:
    return int(page.split("全部标为已读（")[1].split(" 条未读")[0]) if "全部标为已读（" in page else 0


def test_a_notice_is_retried_after_the_mail_server_was_away(client, login, visit_today, runner, app, db_session):
    v = visit_today
    port = free_port()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        send_notices(runner, "--no-remind")     # what was due before anyone left an address goes nowhere
        set_contact(client, login, v["users"][1], email="partner@inspection.example")
        as_user(client, login, v["users"][0])
        client.post("/api/v1/scans", json={"token": v["token"]})
        away = send_notices(runner, "--no-remind")
        assert "已发送 0 条" in away and "稍后重试 0 条" not in away
        as_user(client, login, v["users"][1])
        assert "邮件待发送" in client.get("/notices").get_data(as_text=True)
        with LocalMailServer(port) as server:
            send_notices(runner, "--no-remind")
            assert not [m for m in server.messages if m["To"] == "partner@inspection.example"]  # not due yet
            later = clock.now().replace(tzinfo=dt.UTC) + dt.timedelta(minutes=2)
            with time_machine.travel(later, tick=True):
                assert "已发送 0 条" not in send_notices(runner, "--no-remind")
            with time_machine.travel(later + dt.timedelta(hours=2), tick=True):
                send_notices(runner, "--no-remind")
            waiting = [m for m in server.messages if m["To"] == "partner@inspection.example"
                       and m["Subject"].startswith("同伴待扫码：")]
            assert len(waiting) == 1            # retried once it was due, and sent once
        assert "邮件已发送" in client.get("/notices").get_data(as_text=True)
    finally:
        app.config.update(saved)


class _Gateway(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the standard library's name
        length = int(self.headers["Content-Length"])
        self.received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(app):
    """A loopback SMS gateway recording what it is asked to send."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    _Gateway.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = (app.config["SMS_GATEWAY_URL"], app.config["SMS_GATEWAY_TOKEN"])
    app.config.update(SMS_GATEWAY_URL=f"http://127.0.0.1:{server.server_port}/sms", SMS_GATEWAY_TOKEN="t0ken")
    yield _Gateway.received
    app.config["SMS_GATEWAY_URL"], app.config["SMS_GATEWAY_TOKEN"] = saved
    server.shutdown()
    server.server_close()


def test_officers_hear_of_visits_assigned_and_heads_of_plans_to_approve_by_sms(client, login, visit_today, runner,
                                                                                gateway, mail, db_session):
    v = visit_today
    set_contact(client, login, v["users"][0], phone="13905460001")
    page = client.get("/notices").get_data(as_text=True)
    assert "检查任务" in page and v["visit"].firm.name in page and "扫描企业码入企" in page
    set_contact(client, login, "market-head", email="head@inspection.example")
    head_page = client.get("/notices").get_data(as_text=True)
    assert "待审批：本周餐饮抽查" in head_page

    send_notices(runner, "--no-remind")
    texts = [body["text"] for auth, body in gateway if body["to"] == "13905460001"]
    # One text per visit the schedule gave the officer (the plan may give him more than today's), each once.
    officer_id = db_session.scalar(select(User.officer_id).where(User.username == v["users"][0]))
    told = db_session.scalars(select(Notice.subject).where(Notice.officer_id == officer_id)).all()
    assert len(texts) == len(told) >= 1 and gateway[0][0] == "Bearer t0ken"
    assert all(t.startswith("【涉企检查平台】检查任务：") for t in texts), texts
    assert any(v["visit"].firm.name in t for t in texts), texts
    assert [m["Subject"] for m in mail.messages if m["To"] == "head@inspection.example"] == ["待审批：本周餐饮抽查"]
    as_user(client, login, v["users"][0])
    assert "短信已发送" in client.get("/notices").get_data(as_text=True)


def test_the_firm_is_invited_to_evaluate_and_told_of_results(client, login, visit_today, make_user, runner, mail,
                                                             db_session):
    v = visit_today
    firm_user = make_user("enterprise", firm=v["visit"].firm)
    db_session.commit()
    set_contact(client, login, firm_user.username, email="evaluating-firm@inspection.example")
    for username in v["users"]:
        as_user(client, login, username)
        client.post("/api/v1/scans", json={"token": v["token"]})
    sheet = client.get(f"/api/v1/visits/{v['visit'].id}/sheet").get_json()
    task = next(t for t in sheet["tasks"] if t["mine"])
    for point in task["items"][0]["points"]:
        assert client.post(f"/api/v1/visits/{v['visit'].id}/findings",
                           json={"task": task["id"], "point": point["id"], "result": "compliant"}).status_code == 201
    assert client.post(f"/api/v1/visits/{v['visit'].id}/outcomes",
                       json={"task": task["id"], "item": "SC-003", "outcome": "no_problem"}).status_code == 201
    assert client.post(f"/api/v1/visits/{v['visit'].id}/leave").status_code == 200
    as_user(client, login, "market")
    assert client.post(f"/api/v1/visits/{v['visit'].id}/publish").status_code == 200

    as_user(client, login, firm_user.username)
    home = client.get("/home").get_data(as_text=True)
    assert "邀请评价：本次检查已结束" in home and "结果公示：" in home
    send_notices(runner, "--no-remind")
    subjects = sorted(m["Subject"] for m in mail.messages if "evaluating-firm@inspection.example" in m["To"])
    assert subjects == sorted(["邀请评价：本次检查已结束", "结果公示：东营市市场监督管理局已公示"
                               f"{v['visit'].day:%Y年%m月%d日}的检查结果"])
    invitation = next(m for m in mail.messages if m["Subject"].startswith("邀请评价"))
    closes = v["visit"].day + dt.timedelta(days=90)
    assert f"{closes:%Y年%m月%d日} 前" in invitation.get_content()
    # Every notice is the firm's: the team's partner notices went to the officers, not here.
    assert not [m for m in mail.messages if "evaluating-firm@inspection.example" in m["To"] and "同伴" in m["Subject"]]

    client.post("/notices/read", data={})
    assert "全部标为已读" not in client.get("/notices").get_data(as_text=True)


def test_a_wrong_address_is_refused_and_a_firm_sees_only_its_own(client, login, visit_today, make_user, make_firm,
                                                                 db_session):
    v = visit_today
    other = make_user("enterprise", firm=make_firm())
    db_session.commit()
    as_user(client, login, other.username)
    refused = client.post("/notices/contact", data={"email": "not-an-address", "phone": "12345"},
                          follow_redirects=True).get_data(as_text=True)
    assert "邮箱格式不正确" in refused and "应为 11 位手机号码" in refused
    assert db_session.get(User, other.id).email is None
    as_user(client, login, v["users"][0])
    client.post("/api/v1/scans", json={"token": v["token"]})
    as_user(client, login, other.username)
    assert "暂无通知" in client.get("/notices").get_data(as_text=True)
    as_user(client, login, v["users"][1])
    mine = client.get("/notices").get_data(as_text=True)
    notice_id = int(mine.split('id="notice-')[1].split('"')[0])
    as_user(client, login, other.username)
    assert client.get(f"/notices/{notice_id}").status_code == 404  # not his to open
    as_user(client, login, "oversight")
    assert client.get("/notices").status_code == 403


def test_a_firm_hears_of_an_advance_notice_when_its_notice_period_begins(client, login, db_session, runner, make_user):
    today = clock.today()
    login("market")
    body = {"title": "预告检查", "period_start": (today + dt.timedelta(days=3)).isoformat(),
            "period_end": (today + dt.timedelta(days=14)).isoformat(), "items": ["SC-003"],
            "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"], "notice_days": 1}
    plan = client.post("/api/v1/plans", json=body).get_json()
    for action in ("file", "draw", "schedule", "confirm"):
        if action == "draw":
            approve(client, plan["id"])
        assert client.post(f"/api/v1/plans/{plan['id']}/{action}").status_code in (200, 202)
    visit = db_session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                               .where(InspectionTask.plan_id == plan["id"], Visit.status == "confirmed")
                               .order_by(Visit.day, Visit.id)).first()
    firm_user = make_user("enterprise", firm=visit.firm)
    db_session.commit()
    set_contact(client, login, firm_user.username)
    send_notices(runner)
    assert "检查预告：" not in client.get("/notices").get_data(as_text=True)   # too early: the team is unseen
    eve = dt.datetime.combine(visit.day - dt.timedelta(days=1), dt.time(9), tzinfo=clock.local_now().tzinfo)
    with time_machine.travel(eve, tick=True):
        assert "新增到期提醒" in send_notices(runner)
        send_notices(runner)
        page = client.get("/notices").get_data(as_text=True)
    assert page.count("检查预告：") == 1 and f"{visit.day.month}月{visit.day.day}日" in page
    assert "东营市市场监督管理局将于" in page or "市场监管将于" in page


def test_off_site_requests_deadlines_and_reviews_are_told(client, login, db_session, runner, make_firm, make_user):
    today = clock.today()
    firm = make_firm("通知测试餐饮有限公司", industry="餐饮服务")
    market = db_session.scalar(select(User).where(User.username == "market"))
    plan = file_targeted_plan(db_session, market, market.department, title="非现场核查通知", item_codes=["SC-011"],
                              firms=[firm], lead="测试线索", period_start=today, period_end=today + dt.timedelta(days=30))
    inspector = make_user("inspector", department="market")
    enterprise = make_user("enterprise", firm=firm)
    db_session.commit()
    as_user(client, login, inspector.username)
    sheet = client.post(f"/api/v1/tasks/{plan.tasks[0].id}/offsite-request").get_json()
    as_user(client, login, enterprise.username)
    page = client.get("/notices").get_data(as_text=True)
    assert "非现场核查：请于" in page and "新通知" in client.get("/home").get_data(as_text=True)

    request = db_session.get(OffsiteRequest, sheet["id"])
    request.deadline = today + dt.timedelta(days=1)
    db_session.commit()
    send_notices(runner)
    assert "提交期限：非现场核查材料请于" in client.get("/notices").get_data(as_text=True)

    request.deadline = today - dt.timedelta(days=1)
    db_session.commit()
    assert runner.invoke(args=["sweep-offsite"]).exit_code == 0
    assert "逾期提醒：非现场核查材料尚未提交" in client.get("/notices").get_data(as_text=True)

    for point in [p for item in sheet["items"] for p in item["points"] if not p["proved_by_data"]]:
        upload = client.post(f"/api/v1/offsite/{sheet['id']}/evidence", content_type="multipart/form-data",
                             data={"point": str(point["id"]), "answer": "见附件", "file": (io.BytesIO(PNG), "证明.png")})
        assert upload.status_code == 201, upload.get_json()
    assert client.post(f"/api/v1/offsite/{sheet['id']}/submit").status_code == 200
    as_user(client, login, inspector.username)
    assert f"待审核：{firm.name}已提交非现场核查材料" in client.get("/home").get_data(as_text=True)
