"""The on-site record on a phone: read back point by point, signed with a finger on the signature pad; the
signed record is a numbered PDF with the drawn signature, and the firm downloads it from its page."""
import datetime as dt
import io
import time

import pypdf
import pytest
from sqlalchemy import select

from inspection.models import Document, InspectionTask, User, Visit
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token, local_today, record_finding
from inspection.operations.events import utcnow
from tests.approvals import approve_on

pytestmark = pytest.mark.browser


def test_the_firm_signs_the_record_on_the_officers_phone(page, phones, live_app, live_server, sign_in, shot):
    today = local_today(utcnow())
    sign_in(page, "market")
    api = page.request
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": "现场记录签名演练", "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=6)).isoformat(), "items": ["SC-003"],
        "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"]}).json()
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/file").ok
    approve_on(live_app, plan["id"])
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/draw").ok
    run = api.post(f"{live_server}/api/v1/plans/{plan['id']}/schedule").json()
    for _ in range(120):
        if api.get(f"{live_server}/api/v1/schedule-runs/{run['id']}").json()["status"] == "done":
            break
        time.sleep(0.5)
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/confirm").ok
    with live_app.extensions["db_factory"]() as session:
        visit = session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                                .where(InspectionTask.plan_id == plan["id"], Visit.day == today)
                                .order_by(Visit.id)).first()
        if visit is None:
            pytest.skip("no visit of the drill plan falls on today")
        users = []
        for n, member in enumerate(visit.officers):
            user = session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
                session, None, username=f"record-officer-{n}", password="demo1234", role="inspector",
                display_name=member.officer.name, officer=member.officer)
            users.append(user.username)
        token, visit_id = firm_token(session, visit.firm).token, visit.id
        session.commit()
    first, second = phones(), phones()
    for phone, username in ((first, users[0]), (second, users[1])):
        sign_in(phone, username)
        phone.goto(f"{live_server}/scan/{token}")
        phone.click("main button[type=submit]")
    with live_app.extensions["db_factory"]() as session:
        visit = session.get(Visit, visit_id)
        inspector = session.scalar(select(User).where(User.username == users[0]))
        task = next(t for t in visit.tasks if t.plan_id == plan["id"])
        for point in task.plan.items[0].points:
            record_finding(session, inspector, visit, task.id, point.id, "compliant", "")
        session.commit()

    first.goto(f"{live_server}/visits/{visit_id}")
    first.click("text=现场检查记录（宣读、签名）")
    first.fill("#signer-name", "李四")
    first.locator("#signature-pad").scroll_into_view_if_needed()
    pad = first.locator("#signature-pad").bounding_box()
    first.mouse.move(pad["x"] + 20, pad["y"] + pad["height"] * 0.7)
    first.mouse.down()
    for n in range(1, 12):
        first.mouse.move(pad["x"] + 20 + n * 25, pad["y"] + pad["height"] * (0.7 - 0.4 * (n % 2)))
    first.mouse.up()
    shot(first, "record-1-read-back-and-signed")
    first.click("button[name=refused][value=no]")
    state = first.locator("#record-state").inner_text()
    assert "已签署：东市监检记〔" in state, first.locator("main").inner_text()
    shot(first, "record-2-signed")
    with live_app.extensions["db_factory"]() as session:
        record = session.scalar(select(Document).where(Document.kind == "record", Document.visit_id == visit_id))
        assert record.signature.signer_name == "李四" and record.signature.signature_png.startswith(b"\x89PNG")
        [image] = pypdf.PdfReader(io.BytesIO(record.pdf)).pages[0].images
        assert image.image.getextrema() != ((255, 255), (255, 255), (255, 255))   # the stroke is in it
