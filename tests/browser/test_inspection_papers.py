"""凡检查必审批、凡检查必通知 on phones: the head approves the plan; at the door the inspection notice appears
on the officer's phone with its QR once the department has entered; a questioning record is signed on the
screen and a premises record refused before a witness; the on-site record is signed; the department issues
the result notice and the firm acknowledges it; every document's QR opens its verification page."""
import io
import time
from urllib.parse import urlparse

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from inspection.models import Document
from tests.browser.steps import draw_and_confirm, draw_signature, file_plan, leave, record_item_compliant, team_of
from tests.document_pdfs import pdf_text, qr_of

pytestmark = pytest.mark.browser


def _sign_on_pad(phone, name: str) -> None:
    phone.fill("#signer-name", name)
    draw_signature(phone, phone.locator("#signature-pad"))


def test_approval_notice_records_and_result_on_phones(browser, page, phones, live_app, live_server, sign_in, shot):
    sign_in(page, "market")
    api = page.request
    plan = file_plan(api, live_server, "本周餐饮服务单位检查（文书演练）")

    head = phones()
    sign_in(head, "market-head")
    head.goto(f"{live_server}/approvals/{plan['id']}")
    head.select_option("#task-source", "random")
    head.fill("#opinion", "同意按计划实施")
    head.click("button[name=decision][value=approve]")
    approved = head.locator(".alert.success").first.inner_text()
    assert "审批表 东市监检审〔" in approved, head.locator("main").inner_text()
    shot(head, "papers-1-head-approves")

    draw_and_confirm(api, live_server, plan["id"])
    v = team_of(live_app, plan["id"], "papers-officer", firm_account=True)
    visit_id, firm_name, token, users, firm_username = v["visit"], v["firm"], v["token"], v["users"], v["firm_user"]

    first, second, firm = phones(), phones(), phones()
    sign_in(first, users[0])
    first.goto(f"{live_server}/scan/{token}")
    first.click("main button[type=submit]")
    assert first.locator("#entry-notice").count() == 0          # one officer inside: no entry, no notice yet
    sign_in(second, users[1])
    second.goto(f"{live_server}/scan/{token}")
    second.click("main button[type=submit]")
    assert "入企登记完成" in second.locator(".alert.success").first.inner_text()
    for _ in range(60):       # the notice is issued by a job just after the entry
        if second.locator("#entry-notice a").count():
            break
        time.sleep(0.25)
        second.goto(f"{live_server}/visits/{visit_id}")
    notice_number = second.locator("#entry-notice a").inner_text()
    assert notice_number.startswith("东市监检通〔"), second.locator("main").inner_text()
    shot(second, "papers-2-notice-at-the-door")
    # The firm's person scans the notice's QR on the officer's screen: its verification page.
    picture = Image.open(io.BytesIO(second.locator("#entry-notice svg").screenshot()))
    [code] = zxingcpp.read_barcodes(picture)
    firm.goto(f"{live_server}{urlparse(code.text).path}")
    assert notice_number in firm.locator("main").inner_text() and "有效" in firm.locator("main").inner_text()
    shot(firm, "papers-3-firm-verifies-the-notice")

    record_item_compliant(second, "SC-003")
    second.goto(f"{live_server}/visits/{visit_id}/record")
    second.click("text=制作询问笔录")
    second.fill("#field-person", "赵丽 店长")
    second.fill("#field-questions", "问：从业人员健康证由谁保管？答：由店长统一保管，已当场出示。")
    _sign_on_pad(second, "赵丽")
    shot(second, "papers-4-questioning-record")
    second.click("button[name=refused][value=no]")
    assert "询问笔录 东市监检询〔" in second.locator(".alert.success").first.inner_text(), second.locator("main").inner_text()
    second.click("text=制作勘验笔录")
    second.fill("#field-place", "后厨操作间")
    second.fill("#field-situation", "操作间地面清洁，消毒柜运行正常。")
    second.locator("#sign-form details summary").click()
    second.fill("#witness", "社区网格员 孙萍")
    second.fill("#note", "当事人称需请示负责人，拒绝签名")
    second.click("button[name=refused][value=yes]")
    assert "勘验笔录 东市监检勘〔" in second.locator(".alert.success").first.inner_text(), second.locator("main").inner_text()
    _sign_on_pad(second, "赵丽")
    second.click("#sign-form button[name=refused][value=no]")
    assert "已签署：东市监检记〔" in second.locator("#record-state").inner_text()
    shot(second, "papers-5-records-signed")
    second.goto(f"{live_server}/visits/{visit_id}")
    leave(second)

    page.goto(f"{live_server}/plans/{plan['id']}/results")
    page.locator(f"form[action$='/visits/{visit_id}/result-notice'] button").click()
    assert "东市监检告〔" in page.locator(".alert.success").first.inner_text(), page.locator("main").inner_text()

    with live_app.extensions["db_factory"]() as session:
        documents = session.scalars(select(Document).where(Document.visit_id == visit_id).order_by(Document.id)).all()
        papers = [(d.kind, d.number, d.pdf, d.id) for d in documents]
    assert [kind for kind, *_ in papers] == ["notice", "questioning", "premises", "record", "result"]
    numbers = {kind: number for kind, number, *_ in papers}
    assert numbers["notice"] == notice_number

    sign_in(firm, firm_username)
    firm.goto(f"{live_server}/documents")
    listing = firm.locator("main").inner_text()
    assert all(number in listing for number in numbers.values())
    firm.locator("tr", has_text=numbers["result"]).get_by_role("button", name="签收").click()
    assert f"已签收 {numbers['result']}" in firm.locator(".alert.success").first.inner_text()
    firm.get_by_text(f"对 {numbers['result']} 提出陈述、申辩").click()
    firm.fill(f"#statement-{papers[4][3]}", "对检查结果无异议，感谢执法人员的指导。")
    firm.get_by_role("button", name="提交").click()
    assert f"已就 {numbers['result']} 提出陈述、申辩" in firm.locator(".alert.success").first.inner_text()
    assert "对检查结果无异议" in firm.locator("main").inner_text()
    shot(firm, "papers-6-firm-acknowledges-and-states")

    public = browser.new_page()
    for kind, number, pdf, _id in papers:
        text = pdf_text(pdf)
        assert number in text and firm_name in text and "东营市市场监督管理局" in text, kind
        public.goto(f"{live_server}{urlparse(qr_of(pdf)).path}")
        shown = public.locator("main").inner_text()
        assert number in shown and "有效" in shown and firm_name not in shown, kind
    assert "赵丽" in pdf_text(papers[1][2]) and "当事人拒绝签名。见证人：社区网格员 孙萍" in pdf_text(papers[2][2])
    assert "SC-003" in pdf_text(papers[4][2]) and "未发现问题" in pdf_text(papers[4][2])
    shot(public, "papers-7-verification-page")
    public.close()
