"""凡检查必通知: the inspection documents as numbered PDFs. Each test reads the PDF's own text (its number,
names, items, results), decodes its QR code, and opens the public verification page it leads to; the
firm, the department and oversight see what is theirs."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from urllib.parse import urlparse

import pypdf
from sqlalchemy import delete, select

from core import clock
from inspection.models import Alert, Department, DepartmentEntry, Document, Event, User, Visit
from inspection.operations.alerts import refresh_alerts
from inspection.operations.documents import RECORD_WORKING_DAYS, issue_entry_notice, notify_entry
from inspection.operations.entries import record_finding, record_outcome
from inspection.pure.calendar import add_working_days
from tests.at_the_door import as_user
from tests.document_pdfs import pdf_text, qr_of
from tests.signatures import signature_png

SIGNATURE = signature_png()


def _with_market(db_session, visit: Visit) -> tuple[Visit, Department]:
    return visit, db_session.scalar(select(Department).where(Department.code == "market"))


def test_the_entry_notice_names_the_firm_officers_items_approval_and_rights(inside, db_session):
    visit, market = _with_market(db_session, inside)
    notice = issue_entry_notice(db_session, visit, market)
    assert issue_entry_notice(db_session, visit, market).id == notice.id   # issued once per entry
    text = pdf_text(notice.pdf)
    assert notice.number.startswith("东市监检通〔") and notice.number in text
    assert "东营市市场监督管理局" in text and "行政检查通知书" in text
    assert visit.firm.name in text and visit.firm.uscc in text
    for member in visit.officers:
        assert member.officer.name in text and member.officer.certificate_no in text
    item = visit.tasks[0].plan.items[0]
    assert f"{item.code} {item.name}" in text and item.legal_basis[0]["law"] in text
    approval = db_session.scalar(select(Document).where(Document.kind == "approval",
                                                        Document.plan_id == visit.tasks[0].plan_id))
    assert approval.number in text
    for right in ("有权进行陈述和申辩", "有权申请其回避", "检查纪律", "不得索取或者收受财物"):
        assert right in text, right
    event = db_session.scalar(select(Event).where(Event.kind == "document.issued",
                                                  Event.subject == f"document:{notice.id}"))
    assert event.payload["sha256"] == notice.sha256 == hashlib.sha256(notice.pdf).hexdigest()
    assert event.payload["number"] == notice.number


def test_notify_entry_issues_the_notice_of_each_department_inside_once(inside, db_session, make_firm, entered):
    visit, market = _with_market(db_session, inside)
    [notice] = notify_entry(db_session, visit)
    assert notice.department_id == market.id and notice.kind == "notice"
    assert notify_entry(db_session, visit) == [notice]
    waiting = entered(make_firm())
    db_session.execute(delete(DepartmentEntry).where(DepartmentEntry.visit_id == waiting.id))  # nobody inside yet
    assert notify_entry(db_session, waiting) == []


def test_the_qr_code_opens_a_verification_page_without_personal_data(inside, db_session, app):
    visit, market = _with_market(db_session, inside)
    notice = issue_entry_notice(db_session, visit, market)
    db_session.commit()
    url = qr_of(notice.pdf)
    assert url == f"{app.config['PUBLIC_URL']}/d/{notice.verify_token}"
    anonymous = app.test_client()
    page = anonymous.get(urlparse(url).path)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and notice.number in body and notice.sha256 in body and "有效" in body
    for private in [visit.firm.name, visit.firm.uscc] + [m.officer.name for m in visit.officers]:
        assert private not in body
    record = anonymous.get(f"/api/v1/public/documents/{notice.verify_token}").get_json()
    assert record["sha256"] == notice.sha256 and record["status"] == "valid" and record["number"] == notice.number
    assert visit.firm.name not in str(record)
    assert anonymous.get("/d/not-a-document").status_code == 404
    assert anonymous.get(f"/api/v1/documents/{notice.id}/pdf").status_code == 401


def test_the_firm_sees_its_own_documents_and_no_one_elses(inside, db_session, client, login, make_user, make_firm):
    visit, market = _with_market(db_session, inside)
    notice = issue_entry_notice(db_session, visit, market)
    own = make_user("enterprise", firm=visit.firm)
    other = make_user("enterprise", firm=make_firm())
    db_session.commit()
    as_user(client, login, own.username)
    listed = client.get("/api/v1/documents").get_json()
    assert [d["number"] for d in listed] == [notice.number]          # not the department's approval form
    download = client.get(f"/api/v1/documents/{notice.id}/pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf" and download.data == notice.pdf
    assert notice.number in client.get("/documents").get_data(as_text=True)
    assert notice.number in client.get(f"/firms/{visit.firm.uscc}").get_data(as_text=True)   # the firm's page
    as_user(client, login, other.username)
    assert client.get("/api/v1/documents").get_json() == []
    assert client.get(f"/api/v1/documents/{notice.id}/pdf").status_code == 404
    as_user(client, login, "fire")
    assert client.get(f"/api/v1/documents/{notice.id}").status_code == 404
    as_user(client, login, "oversight")
    assert client.get(f"/api/v1/documents/{notice.id}").get_json()["number"] == notice.number
    as_user(client, login, "market-head")
    numbers = {d["number"] for d in client.get("/api/v1/documents").get_json()}
    assert notice.number in numbers and any(n.startswith("东市监检审〔") for n in numbers)


def _record_results(db_session, visit, username):
    inspector = db_session.scalar(select(User).where(User.username == username))
    task = visit.tasks[0]
    item = task.plan.items[0]
    for n, point in enumerate(item.points):
        record_finding(db_session, inspector, visit, task.id, point.id, "non_compliant" if n == 0 else "compliant",
                       "台账记录不完整" if n == 0 else "")
    record_outcome(db_session, inspector, visit, task.id, item.code, "rectify", visit.day.replace(day=28))
    db_session.commit()
    return item


def test_the_result_notice_tells_the_outcomes_and_a_correction_names_what_it_corrects(
        inside, db_session, client, login, visit_today, app):
    visit, market = _with_market(db_session, inside)
    notice = issue_entry_notice(db_session, visit, market)
    db_session.commit()
    as_user(client, login, "market")
    early = client.post(f"/api/v1/visits/{visit.id}/result-notice")
    item = visit.tasks[0].plan.items[0]
    assert early.status_code == 409 and f"{item.code} {item.name}" in early.get_json()["message"]
    _record_results(db_session, visit, visit_today["users"][0])
    response = client.post(f"/api/v1/visits/{visit.id}/result-notice")
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["number"].startswith("东市监检告〔") and result["kind"] == "result"
    assert client.post(f"/api/v1/visits/{visit.id}/result-notice").get_json()["number"] == result["number"]
    results_page = client.get(f"/plans/{visit.tasks[0].plan_id}/results").get_data(as_text=True)
    assert result["number"] in results_page                      # the plan's results page links it
    data = client.get(f"/api/v1/documents/{result['id']}/pdf").data
    text = pdf_text(data)
    assert result["number"] in text and "行政检查结果告知书" in text and visit.firm.name in text
    assert f"{item.code} {item.name}" in text and "责令限期整改" in text and f"{visit.day.year}年{visit.day.month}月28日前整改完毕" in text
    assert notice.number in text and "陈述、申辩" in text and "有 1 项检查事项存在问题" in text
    corrected = client.post(f"/api/v1/documents/{result['id']}/correction", json={"reason": "整改期限填写有误"})
    assert corrected.status_code == 201, corrected.get_json()
    correction = corrected.get_json()
    assert correction["corrects"] == result["number"] and correction["number"] != result["number"]
    assert f"本文书更正 {result['number']}" in pdf_text(client.get(f"/api/v1/documents/{correction['id']}/pdf").data)
    again = client.post(f"/api/v1/documents/{result['id']}/correction", json={"reason": "再次更正"})
    assert again.status_code == 409 and correction["number"] in again.get_json()["message"]
    old = db_session.get(Document, result["id"])
    db_session.refresh(old)
    assert old.pdf == data                                   # the corrected document stays as issued
    page = app.test_client().get(f"/d/{old.verify_token}").get_data(as_text=True)
    assert "已被更正" in page and correction["number"] in page


def _all_findings(db_session, visit, username):
    inspector = db_session.scalar(select(User).where(User.username == username))
    task = visit.tasks[0]
    for n, point in enumerate(task.plan.items[0].points):
        record_finding(db_session, inspector, visit, task.id, point.id, "non_compliant" if n == 0 else "compliant",
                       "消毒记录缺失" if n == 0 else "")
    db_session.commit()
    return task.plan.items[0]


def test_the_on_site_record_is_read_back_and_signed_on_the_phone(inside, db_session, client, login, visit_today):
    visit, market = _with_market(db_session, inside)
    as_user(client, login, visit_today["users"][0])
    body = {"signer_name": "李四", "signature": "data:image/png;base64," + base64.b64encode(SIGNATURE).decode()}
    early = client.post(f"/api/v1/visits/{visit.id}/record", json=body)
    assert early.status_code == 409 and "尚未记录结果" in early.get_json()["message"]
    item = _all_findings(db_session, visit, visit_today["users"][0])
    page = client.get(f"/visits/{visit.id}/record").get_data(as_text=True)
    assert item.points[0].text in page and 'id="signature-pad"' in page and "signature.js" in page
    response = client.post(f"/api/v1/visits/{visit.id}/record", json=body)
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["number"].startswith("东市监检记〔") and record["kind"] == "record"
    data = client.get(f"/api/v1/documents/{record['id']}/pdf").data
    text = pdf_text(data)
    assert record["number"] in text and "现场检查记录" in text and visit.firm.name in text
    assert item.points[0].text[:12] in text and "不符合" in text and "消毒记录缺失" in text
    assert "当事人签名（李四）" in text
    [image] = pypdf.PdfReader(io.BytesIO(data)).pages[0].images    # the signature, drawn as it was signed
    assert image.image.size == (120, 40)
    stored = db_session.get(Document, record["id"])
    db_session.refresh(stored)
    assert stored.signature.signature_sha256 == hashlib.sha256(SIGNATURE).hexdigest() and not stored.signature.refused
    again = client.post(f"/api/v1/visits/{visit.id}/record", json=body)
    assert again.status_code == 409 and "已经签署" in again.get_json()["message"]
    assert record["number"] in client.get(f"/visits/{visit.id}/record").get_data(as_text=True)


def test_a_refusal_to_sign_is_recorded_before_a_witness(inside, db_session, client, login, visit_today):
    visit, market = _with_market(db_session, inside)
    _all_findings(db_session, visit, visit_today["users"][1])
    as_user(client, login, visit_today["users"][1])
    no_witness = client.post(f"/api/v1/visits/{visit.id}/record", json={"refused": True})
    assert no_witness.status_code == 422 and no_witness.get_json()["fields"] == {"witness": "必填"}
    unsigned = client.post(f"/api/v1/visits/{visit.id}/record", json={"signer_name": "李四"})
    assert unsigned.status_code == 422 and "signature" in unsigned.get_json()["fields"]
    forged = client.post(f"/api/v1/visits/{visit.id}/record",
                         json={"signer_name": "李四", "signature": base64.b64encode(b"GIF89a....").decode()})
    assert forged.status_code == 422 and forged.get_json()["fields"] == {"signature": "不是 PNG 图片"}
    response = client.post(f"/api/v1/visits/{visit.id}/record",
                           json={"refused": True, "witness": "王五（社区网格员）", "note": "当事人对第一项有异议"})
    assert response.status_code == 201, response.get_json()
    text = pdf_text(client.get(f"/api/v1/documents/{response.get_json()['id']}/pdf").data)
    assert "当事人拒绝签名。见证人：王五（社区网格员）" in text and "当事人对第一项有异议" in text


def test_the_firm_acknowledges_its_result_notice(inside, db_session, client, login, visit_today, make_user, make_firm):
    visit, market = _with_market(db_session, inside)
    _record_results(db_session, visit, visit_today["users"][0])
    as_user(client, login, "market")
    result = client.post(f"/api/v1/visits/{visit.id}/result-notice").get_json()
    own, other = make_user("enterprise", firm=visit.firm), make_user("enterprise", firm=make_firm())
    db_session.commit()
    as_user(client, login, other.username)
    assert client.post(f"/api/v1/documents/{result['id']}/acknowledgement").status_code == 404
    as_user(client, login, own.username)
    assert "签收" in client.get("/documents").get_data(as_text=True)
    response = client.post(f"/api/v1/documents/{result['id']}/acknowledgement")
    assert response.status_code == 201 and response.get_json()["acknowledged_at"].endswith("Z")
    again = client.post(f"/api/v1/documents/{result['id']}/acknowledgement")
    assert again.status_code == 409 and "已于" in again.get_json()["message"]
    assert "已签收" in client.get("/documents").get_data(as_text=True)


def test_a_visit_left_without_a_signed_record_and_a_missing_number_are_alerted(db_session, make_firm, entered, inside):
    today = clock.today()
    left = entered(make_firm(), day=today)
    due = add_working_days(today, RECORD_WORKING_DAYS)
    refresh_alerts(db_session, today=due)
    key = f"unsigned_record:{left.id}:{left.tasks[0].plan.department_id}"
    assert db_session.scalar(select(Alert).where(Alert.key == key)) is None
    refresh_alerts(db_session, today=due + dt.timedelta(days=1))
    assert "无签署的现场检查记录" in db_session.scalar(select(Alert).where(Alert.key == key)).title
    visit, market = _with_market(db_session, inside)
    removed = issue_entry_notice(db_session, visit, market)
    number = removed.number
    db_session.delete(removed)
    db_session.flush()
    refresh_alerts(db_session, today=today)
    gaps = db_session.scalars(select(Alert).where(Alert.rule == "document_gap")).all()
    assert [a.evidence["number"] for a in gaps] == [number] and "编号缺失" in gaps[0].title
