"""断网补录: records signed on the phone while offline are accepted once, within the deadline, when the
phone's registered key signed them and the certificate held on their day; forged ones are refused."""
import base64
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from inspection.models import Document, Event, Finding, OfflineRecord, Scan, Visit, VisitEntry
from inspection.operations.events import utcnow, verify_chain
from tests.at_the_door import Phone, as_user, sync
from tests.document_pdfs import pdf_text
from tests.signatures import signature_png

SIGNATURE = "data:image/png;base64," + base64.b64encode(signature_png()).decode()

pytestmark = pytest.mark.usefixtures("door_open")  # these tests walk the door



def test_a_visit_recorded_offline_appears_once_marked_late(client, login, visit_today, team_phones, db_session):
    v = visit_today
    (first, phone1), (second, phone2) = team_phones
    sheet_task = v["visit"].tasks[0]
    points = sheet_task.plan.items[0].points
    start = utcnow() - dt.timedelta(hours=3)
    scan1 = phone1.record("scan_in", start, token=v["token"])
    findings = [phone1.record("finding", start + dt.timedelta(minutes=10 + n), visit=v["visit"].id, task=sheet_task.id,
                              point=p.id, result="compliant") for n, p in enumerate(points)]
    outcome = phone1.record("outcome", start + dt.timedelta(minutes=40), visit=v["visit"].id, task=sheet_task.id,
                            item=sheet_task.plan.items[0].code, outcome="no_problem")
    leave = phone1.record("scan_out", start + dt.timedelta(minutes=50), visit=v["visit"].id)
    # The first phone syncs before its partner: its findings wait for the entry the partner's scan makes.
    results = sync(client, login, first, [scan1, *findings, outcome, leave])
    assert results[0]["status"] == "applied" and {r["status"] for r in results[1:]} == {"pending"}
    assert db_session.get(VisitEntry, v["visit"].id) is None
    scan2 = phone2.record("scan_in", start + dt.timedelta(minutes=2), token=v["token"])
    assert sync(client, login, second, [scan2])[0]["status"] == "applied"
    db_session.expire_all()
    visit = db_session.get(Visit, v["visit"].id)
    entry = db_session.get(VisitEntry, visit.id)
    assert visit.status == "completed" and entry.recorded_offline
    assert entry.entered_at == start + dt.timedelta(minutes=2) and entry.left_at == start + dt.timedelta(minutes=50)
    assert db_session.scalar(select(func.count()).select_from(Finding).where(Finding.visit_id == visit.id)) == len(points)
    assert all(s.synced_at is not None for s in db_session.scalars(select(Scan).where(Scan.visit_id == visit.id)))
    assert set(db_session.scalars(select(OfflineRecord.status))) == {"applied"}
    # Sending everything again creates nothing.
    again = sync(client, login, first, [scan1, *findings, outcome, leave])
    assert {r["status"] for r in again} == {"duplicate"}
    assert db_session.scalar(select(func.count()).select_from(VisitEntry)) == 1
    assert db_session.scalar(select(func.count()).select_from(Scan).where(Scan.visit_id == visit.id)) == 3
    as_user(client, login, "oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    alert = client.get("/api/v1/oversight/alerts?rule=offline_entry").get_json()
    assert [a["evidence"]["visit"] for a in alert] == [visit.id] and alert[0]["evidence"]["hours_late"] >= 2.9
    assert verify_chain(db_session)[0]


def test_forged_late_and_foreign_records_are_refused(client, login, visit_today, team_phones, db_session):
    v = visit_today
    (first, phone1), (second, phone2) = team_phones
    now = utcnow()
    genuine = phone1.record("scan_in", now - dt.timedelta(minutes=30), token=v["token"])
    other_char = "y" if v["token"].endswith("x") else "x"
    tampered = {**genuine, "payload": genuine["payload"].replace(v["token"], v["token"][:-1] + other_char)}
    assert tampered["payload"] != genuine["payload"]
    stranger = Phone(phone1.certificate_no)
    stranger.key_id = phone1.key_id                       # claims the real key, signs with another
    forged = stranger.record("scan_in", now - dt.timedelta(minutes=20), token=v["token"])
    theirs = phone2.record("scan_in", now - dt.timedelta(minutes=20), token=v["token"])   # the partner's phone
    late = phone1.record("scan_in", now - dt.timedelta(days=10, minutes=5), token=v["token"])
    future = phone1.record("scan_in", now + dt.timedelta(hours=1), token=v["token"])
    results = {r["message"]: r["status"] for r in sync(client, login, first, [tampered, forged, theirs, late, future])}
    assert results == {"签名无效：记录不是本人设备签发或已被改动": "refused", "签名密钥未登记给本人或已停用": "refused",
                       "记录时间晚于上传时间": "refused",
                       next(m for m in results if m.startswith("超过 10 天")): "refused"}
    assert db_session.scalar(select(func.count()).select_from(Scan).where(Scan.visit_id == v["visit"].id)) == 0
    refused = db_session.scalars(select(Event).where(Event.kind == "offline.refused")).all()
    assert len(refused) == 3
    # The genuine record still goes through: a forged one never takes its id.
    assert sync(client, login, first, [genuine])[0]["status"] == "applied"


def test_the_deadline_edge(client, login, visit_today, team_phones, db_session, app):
    (first, phone1), _ = team_phones
    app.config["OFFLINE_SYNC_DAYS"] = 1
    try:
        within = phone1.record("scan_in", utcnow() - dt.timedelta(hours=23, minutes=50), token=visit_today["token"])
        past = phone1.record("scan_in", utcnow() - dt.timedelta(hours=24, minutes=10), token=visit_today["token"])
        results = {r["id"]: r for r in sync(client, login, first, [within, past])}
    finally:
        app.config["OFFLINE_SYNC_DAYS"] = 10
    inside, outside = results[json.loads(within["payload"])["id"]], results[json.loads(past["payload"])["id"]]
    assert "补录期限" not in inside["message"]            # judged on its merits (yesterday had no visit of his)
    assert outside["status"] == "refused" and "超过 1 天的补录期限" in outside["message"]


def test_devices_need_a_real_key_and_an_inspector(client, login, visit_today):
    as_user(client, login, visit_today["users"][0])
    bad = client.post("/api/v1/devices", json={"public_key": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB"}})
    assert bad.status_code == 422 and "P-256" in bad.get_json()["message"]
    as_user(client, login, "market")
    assert client.post("/api/v1/devices", json={"public_key": Phone("x").jwk}).status_code == 403
    assert client.post("/api/v1/offline/sync", json={"records": []}).status_code == 403


def test_papers_read_back_and_signed_offline_are_issued_as_of_their_time(client, login, visit_today, team_phones,
                                                                          db_session):
    v = visit_today
    (first, phone1), (second, phone2) = team_phones
    visit_id, task = v["visit"].id, v["visit"].tasks[0]
    item = task.plan.items[0]
    start = utcnow() - dt.timedelta(hours=2)

    def at(minutes):
        return start + dt.timedelta(minutes=minutes)
    results = ["non_compliant"] + ["compliant"] * (len(item.points) - 1)
    heard = [{"point": p.id, "result": r} for p, r in zip(item.points, results, strict=True)]
    made = [phone1.record("scan_in", at(0), token=v["token"])]
    made += [phone1.record("finding", at(5 + n), visit=visit_id, task=task.id, point=h["point"], result=h["result"],
                           note="台账缺两周记录" if h["result"] == "non_compliant" else "") for n, h in enumerate(heard)]
    questions = "问：台账由谁负责记录？答：店长张三，近两周未记录。"
    asked = phone1.record("field_record", at(30), visit=visit_id, paper="questioning", signer_name="张三",
                          signature=SIGNATURE, content={"item": item.code, "person": "张三 店长", "questions": questions})
    misread = phone1.record("record", at(35), visit=visit_id, signer_name="张三", signature=SIGNATURE,
                            read_back=[{**h, "result": "compliant"} for h in heard])
    refused = phone1.record("record", at(40), visit=visit_id, refused=True, witness="王五（社区网格员）", read_back=heard)
    # Without the partner's scan nobody has entered: every paper waits.
    answers = sync(client, login, first, [*made, asked, misread, refused])
    assert answers[0]["status"] == "applied" and {a["status"] for a in answers[1:]} == {"pending"}
    assert sync(client, login, second, [phone2.record("scan_in", at(1), token=v["token"])])[0]["status"] == "applied"
    db_session.expire_all()
    rows = {r.client_id: r for r in db_session.scalars(select(OfflineRecord))}

    def row(record):
        return rows[json.loads(record["payload"])["id"]]
    assert row(asked).status == "applied" and row(refused).status == "applied"
    assert row(misread).status == "refused" and "离线宣读的结果与平台记录不一致" in row(misread).message
    assert f"{item.code} 第 1 项（宣读：符合，平台记录：不符合）" in row(misread).message
    papers = {d.kind: d for d in db_session.scalars(select(Document).where(Document.visit_id == visit_id))}
    assert papers["questioning"].issued_at == at(30) and papers["record"].issued_at == at(40)
    as_user(client, login, v["users"][0])
    record_text = pdf_text(client.get(f"/api/v1/documents/{papers['record'].id}/pdf").data)
    assert "离线制作" in record_text and "宣读签署" in record_text
    assert "以本人执法终端密钥离线签署" in record_text
    assert "当事人拒绝签名。见证人：王五（社区网格员）" in record_text and papers["questioning"].number in record_text
    asked_text = pdf_text(client.get(f"/api/v1/documents/{papers['questioning'].id}/pdf").data)
    assert questions in asked_text and "当事人签名（张三）" in asked_text and "离线制作" in asked_text
    signed = db_session.scalars(select(Event).where(Event.kind == "record.signed")).all()
    assert sorted(e.payload["number"] for e in signed) == sorted(d.number for d in papers.values()
                                                                 if d.kind in ("record", "questioning"))
    # Sending the papers again issues nothing more.
    assert {a["status"] for a in sync(client, login, first, [asked, refused])} == {"duplicate"}
    assert db_session.scalar(select(func.count()).select_from(Document).where(Document.visit_id == visit_id,
                                                                             Document.kind != "notice")) == 2
    assert verify_chain(db_session)[0]


def test_the_offline_page_fetched_in_the_background_leaves_the_scans_message_to_its_page(client, login, visit_today):
    """The phone's service worker keeps the offline page, fetching it while the officer scans in: it must not
    take the message meant for the page after the scan, nor keep that message in the phone's copy."""
    v = visit_today
    as_user(client, login, v["users"][0])
    scanned = client.post("/scan", data={"token": v["token"]})
    assert scanned.status_code == 302
    shell = client.get("/offline")
    assert shell.status_code == 200 and "等待同组另一名持证执法人员" not in shell.get_data(as_text=True)
    after = client.get(scanned.headers["Location"]).get_data(as_text=True)
    assert "已扫码，等待同组另一名持证执法人员" in after
