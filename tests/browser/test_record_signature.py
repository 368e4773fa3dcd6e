"""The on-site record on a phone: read back point by point, signed with a finger on the signature pad; the
signed record is a numbered PDF with the drawn signature in it."""
import datetime as dt
import io

import pypdf
import pytest
from sqlalchemy import select

from core import clock
from inspection.models import (
    CatalogueItem,
    Department,
    DepartmentEntry,
    District,
    Document,
    Firm,
    InspectionPlan,
    InspectionTask,
    Officer,
    Scan,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
)
from inspection.operations.accounts import create_user
from inspection.operations.entries import record_finding
from inspection.operations.events import utcnow
from inspection.pure.uscc import make_uscc

pytestmark = pytest.mark.browser


def _entered_visit(session) -> tuple[int, str]:
    """A market visit entered an hour ago by two officers, every point of its item recorded; the visit and
    the username of its first officer."""
    today, now = clock.today(), utcnow()
    market = session.scalar(select(Department).where(Department.code == "market"))
    item = session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                      CatalogueItem.status == "published"))
    district = session.scalar(select(District).where(District.code == "370502"))
    firm = Firm(uscc=make_uscc("9", "1", "370502", "QM000521"), name="东营签名演示餐饮有限公司", district=district,
                industry="餐饮服务", credit_class="B", address="东营区府前大街 1 号")
    creator = session.scalar(select(User).where(User.username == "market"))
    plan = InspectionPlan(department=market, title="现场记录签名演练", period_start=today, period_end=today,
                          status="in_progress", created_by=creator, created_at=now, items=[item], ratios={"A": 0.1})
    visit = Visit(firm=firm, day=today, status="in_progress", locked=True, created_at=now)
    session.add_all([firm, plan, visit])
    session.flush()
    session.add(InspectionTask(plan=plan, firm=firm, status="scheduled", on_site=True, window_start=today,
                               window_end=today, visit_id=visit.id))
    team = session.scalars(select(Officer).where(Officer.department_id == market.id, Officer.valid_to > today,
                                                 Officer.id.not_in(select(User.officer_id).where(
                                                     User.officer_id.is_not(None))))
                           .order_by(Officer.id)).all()[:2]
    for officer in team:
        session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=market.id))
        session.add(Scan(kind="in", firm_id=firm.id, officer_id=officer.id, visit_id=visit.id,
                         at=now - dt.timedelta(hours=1), accepted=True))
    session.add(VisitEntry(visit_id=visit.id, entered_at=now - dt.timedelta(hours=1), code_nonce="sign"))
    session.add(DepartmentEntry(visit_id=visit.id, department_id=market.id, entered_at=now - dt.timedelta(hours=1)))
    session.flush()
    user = create_user(session, None, username="record-officer", password="demo1234", role="inspector",
                       display_name=team[0].name, officer=team[0])
    session.refresh(visit, ["tasks", "officers"])
    task = visit.tasks[0]
    for n, point in enumerate(item.points):
        record_finding(session, user, visit, task.id, point.id, "non_compliant" if n == 0 else "compliant",
                       "消毒记录缺失" if n == 0 else "")
    return visit.id, user.username


def test_the_firm_signs_the_record_on_the_officers_phone(phone, live_app, live_server, sign_in, shot):
    with live_app.extensions["db_factory"]() as session:
        visit_id, username = _entered_visit(session)
        session.commit()
    sign_in(phone, username)
    phone.goto(f"{live_server}/visits/{visit_id}")
    phone.click("text=现场检查记录（宣读、签名）")
    assert "消毒记录缺失" in phone.locator("main").inner_text()
    phone.fill("#signer-name", "李四")
    phone.locator("#signature-pad").scroll_into_view_if_needed()
    pad = phone.locator("#signature-pad").bounding_box()
    phone.mouse.move(pad["x"] + 20, pad["y"] + pad["height"] * 0.7)
    phone.mouse.down()
    for n in range(1, 12):
        phone.mouse.move(pad["x"] + 20 + n * 25, pad["y"] + pad["height"] * (0.7 - 0.4 * (n % 2)))
    phone.mouse.up()
    shot(phone, "record-1-read-back-and-signed")
    phone.click("button[name=refused][value=no]")
    state = phone.locator("#record-state").inner_text()
    assert "已签署：东市监检记〔" in state, phone.locator("main").inner_text()
    shot(phone, "record-2-signed")
    with live_app.extensions["db_factory"]() as session:
        record = session.scalar(select(Document).where(Document.kind == "record", Document.visit_id == visit_id))
        assert record.signature.signer_name == "李四" and record.signature.signature_png.startswith(b"\x89PNG")
        [image] = pypdf.PdfReader(io.BytesIO(record.pdf)).pages[0].images
        assert image.image.convert("L").getextrema()[0] < 128   # the stroke drawn on the pad is in the PDF
