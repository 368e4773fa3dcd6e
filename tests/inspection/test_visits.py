"""扫码入企 to 事后评价: scans matched to a registered visit, the inspection code, findings, publication,
the firm's record and evaluation; every refusal reason, and the refusals kept for oversight."""
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from checklists.operations.publish import revoke_item
from inspection.models import (
    EntryFact,
    EntryItemFact,
    Event,
    InspectionPlan,
    ItemOutcome,
    Officer,
    Scan,
    User,
    Visit,
    VisitEntry,
)
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token, verify_code
from inspection.operations.events import utcnow
from inspection.operations.facts import rebuild_facts
from inspection.pure.short_codes import format_short_code
from tests.at_the_door import as_user, enter
from tests.clocks import door_open_day

TODAY = door_open_day()
pytestmark = pytest.mark.usefixtures("door_open")  # these tests walk the door






def test_two_certified_team_members_make_the_entry(client, login, visit_today, db_session):
    first, second = enter(client, login, visit_today)
    assert first["state"] == "waiting_partner" and first["code"] is None
    assert second["state"] == "entered" and second["code"] and len(second["scanned"]) == 2
    visit = db_session.get(Visit, visit_today["visit"].id)
    db_session.refresh(visit)
    assert visit.status == "in_progress" and visit.day == TODAY
    again = client.post("/api/v1/scans", json={"token": visit_today["token"]}).get_json()
    assert again["state"] == "already_in"
    assert db_session.scalar(select(func.count()).select_from(VisitEntry)) == 1


def fact_rows(session) -> list[tuple]:
    return sorted(tuple(row) for row in session.execute(select(EntryFact.__table__)).all()) + \
        sorted(tuple(row) for row in session.execute(select(EntryItemFact.__table__)).all())


def test_entries_keep_oversight_facts_in_step_with_the_records(client, login, visit_today, db_session):
    enter(client, login, visit_today)
    db_session.expire_all()
    kept = fact_rows(db_session)
    visit = visit_today["visit"]
    facts = db_session.execute(select(EntryFact.visit_id, EntryFact.visit_row, EntryFact.certified, EntryFact.origin)).all()
    assert [tuple(f) for f in facts] == [(visit.id, True, 2, "planned")]  # one department, two certified officers
    rebuild_facts(db_session)
    assert fact_rows(db_session) == kept


def refused(response, fragment, code="scan_refused"):
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == code and fragment in body["message"], body
    return body


def test_every_refusal_is_explained_and_kept_for_oversight(client, login, visit_today, db_session):
    v = visit_today
    as_user(client, login, v["users"][0])
    refused(client.post("/api/v1/scans", json={"token": "not-a-real-token-123"}), "企业码无效或已更换")
    # An officer of the department who is not on this visit's team.
    outsider = db_session.scalars(select(Officer).where(Officer.department_id == v["visit"].officers[0].department_id,
                                                        Officer.id.not_in([o.officer_id for o in v["visit"].officers]),
                                                        Officer.id.not_in(select(User.officer_id).where(
                                                            User.officer_id.is_not(None))),
                                                        Officer.valid_to > TODAY)).first()
    create_user(db_session, None, username="outsider", password="demo1234", role="inspector",
                display_name=outsider.name, officer=outsider)
    db_session.commit()
    as_user(client, login, "outsider")
    refused(client.post("/api/v1/scans", json={"token": v["token"]}), "没有您参与的已确认检查")
    # A certificate that lapsed yesterday.
    member = db_session.get(Officer, v["visit"].officers[0].officer_id)
    member.valid_to = TODAY - dt.timedelta(days=1)
    db_session.commit()
    as_user(client, login, v["users"][0])
    refused(client.post("/api/v1/scans", json={"token": v["token"]}), "执法证今日无效")
    member.valid_to = TODAY + dt.timedelta(days=300)
    db_session.commit()
    # An item revoked after the visit was scheduled.
    revoke_item(db_session, "SC-003", now=utcnow())
    db_session.commit()
    refused(client.post("/api/v1/scans", json={"token": v["token"]}), "检查事项已不在清单中")
    kept = db_session.scalars(select(Scan).where(Scan.accepted.is_(False))).all()
    assert len(kept) == 4 and all(s.reason for s in kept)
    assert db_session.scalar(select(func.count()).select_from(Event).where(Event.kind == "refused")) == 4
    assert db_session.scalar(select(func.count()).select_from(VisitEntry)) == 0


def test_outside_jurisdiction_and_department_cap(client, login, visit_today, db_session):
    v = visit_today
    department = v["visit"].officers[0].department
    department.districts = [d for d in department.districts if d.code != "370502"]
    db_session.commit()
    as_user(client, login, v["users"][0])
    refused(client.post("/api/v1/scans", json={"token": v["token"]}), "禁止违规异地执法", code="outside_jurisdiction")
    assert db_session.scalar(select(Scan).where(Scan.accepted.is_(False))).reason.endswith("禁止违规异地执法")


def test_findings_outcomes_scan_out_code_and_evaluation(client, login, visit_today, db_session, app):
    v = visit_today
    _, entered = enter(client, login, v)
    code = entered["code"]
    anonymous = app.test_client()
    check = anonymous.get(f"/api/v1/verify/{code}").get_json()
    assert check["state"] == "valid" and check["firm"] == v["visit"].firm.name
    assert {o["certificate_no"] for o in check["officers"]} == {o.officer.certificate_no for o in v["visit"].officers}
    assert check["items"][0]["code"] == "SC-003" and "食品安全法" in check["items"][0]["legal_basis"]
    page = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert "检查码有效" in page and v["visit"].firm.name in page
    forged = anonymous.get(f"/api/v1/verify/{code[:-3]}abc").get_json()
    assert forged == {"state": "forged", "valid": False, "message": forged["message"]} and "无效" in forged["message"]

    sheet = client.get(f"/api/v1/visits/{v['visit'].id}/sheet").get_json()
    task = next(t for t in sheet["tasks"] if t["mine"])
    points = task["items"][0]["points"]
    foreign = db_session.scalar(select(func.max(Officer.id)))  # any id that is not one of this item's points
    bad = client.post(f"/api/v1/visits/{v['visit'].id}/findings",
                      json={"task": task["id"], "point": foreign + 100000, "result": "compliant"})
    assert bad.status_code == 422 and bad.get_json()["error"] == "outside_catalogue"
    early = client.post(f"/api/v1/visits/{v['visit'].id}/outcomes",
                        json={"task": task["id"], "item": "SC-003", "outcome": "no_problem"})
    assert early.status_code == 409 and "未记录结果" in early.get_json()["message"]
    no_note = client.post(f"/api/v1/visits/{v['visit'].id}/findings",
                          json={"task": task["id"], "point": points[0]["id"], "result": "non_compliant"})
    assert no_note.status_code == 422 and no_note.get_json()["fields"] == {"note": "必填"}
    for n, point in enumerate(points):
        result = "non_compliant" if n == 0 else "compliant"
        response = client.post(f"/api/v1/visits/{v['visit'].id}/findings",
                               json={"task": task["id"], "point": point["id"], "result": result, "note": "消毒记录缺失"})
        assert response.status_code == 201
    outcome = client.post(f"/api/v1/visits/{v['visit'].id}/outcomes",
                          json={"task": task["id"], "item": "SC-003", "outcome": "rectify",
                                "rectify_by": (TODAY + dt.timedelta(days=15)).isoformat()})
    assert outcome.status_code == 201, outcome.get_json()
    left = client.post(f"/api/v1/visits/{v['visit'].id}/leave")
    assert left.status_code == 200 and left.get_json()["minutes"] >= 0
    plan = db_session.get(InspectionPlan, v["plan"])
    db_session.refresh(plan)
    assert plan.status == "in_progress"  # other visits of the plan are still to come
    assert anonymous.get(f"/api/v1/verify/{code}").get_json()["state"] == "closed"
    assert client.post(f"/api/v1/visits/{v['visit'].id}/findings",
                       json={"task": task["id"], "point": points[0]["id"], "result": "compliant"}).status_code == 409

    firm_user = create_user(db_session, None, username="the-firm", password="demo1234", role="enterprise",
                            display_name="企业", firm=v["visit"].firm)
    db_session.commit()
    as_user(client, login, "the-firm")
    record = client.get(f"/api/v1/firms/{v['visit'].firm.uscc}/visits").get_json()
    assert record[0]["minutes"] is not None and record[0]["outcomes"][0]["outcome"] == "rectify"
    assert {o["name"] for o in record[0]["officers"]} == {o.officer.name for o in v["visit"].officers}
    evaluation = client.post(f"/api/v1/visits/{v['visit'].id}/evaluation",
                             json={"score": 2, "comment": "检查时间过长", "complaint": "excessive"})
    assert evaluation.status_code == 201
    again = client.post(f"/api/v1/visits/{v['visit'].id}/evaluation", json={"score": 5})
    assert again.status_code == 409 and "不能修改" in again.get_json()["message"]
    as_user(client, login, "oversight")
    oversight_home = client.get("/home").get_data(as_text=True)
    assert "检查时间过长" in oversight_home and "检查过多过频" in oversight_home
    del firm_user

    as_user(client, login, "market")
    assert "SC-003" not in anonymous.get(f"/public/firms/{v['visit'].firm.uscc}").get_data(as_text=True)
    assert client.post(f"/api/v1/visits/{v['visit'].id}/publish").get_json() == {"published": ["SC-003"]}
    public = anonymous.get(f"/api/v1/public/firms/{v['visit'].firm.uscc}/results").get_json()
    assert public[0]["item"] == "SC-003" and public[0]["outcome"] == "rectify"
    assert "责令限期整改" in anonymous.get(f"/public/firms/{v['visit'].firm.uscc}").get_data(as_text=True)


def test_an_expired_code_says_so(client, login, visit_today, db_session, app):
    _, entered = enter(client, login, visit_today)
    state, visit = verify_code(db_session, entered["code"], app.config["SECRET_KEY"], max_age=-1)
    assert state == "expired" and visit.id == visit_today["visit"].id


def test_another_firm_cannot_see_or_evaluate_the_visit(client, login, visit_today, db_session, make_firm):
    enter(client, login, visit_today)
    client.post(f"/api/v1/visits/{visit_today['visit'].id}/leave")
    create_user(db_session, None, username="other-firm", password="demo1234", role="enterprise",
                display_name="别家", firm=make_firm())
    db_session.commit()
    as_user(client, login, "other-firm")
    assert client.get(f"/api/v1/firms/{visit_today['visit'].firm.uscc}/visits").status_code == 404
    assert client.post(f"/api/v1/visits/{visit_today['visit'].id}/evaluation", json={"score": 1}).status_code == 404


def test_rotated_code_stops_working(client, login, visit_today, db_session):
    firm = visit_today["visit"].firm
    user = create_user(db_session, None, username="rotating-firm", password="demo1234", role="enterprise",
                       display_name="企业", firm=firm)
    db_session.commit()
    as_user(client, login, user.username)
    fresh = client.post(f"/api/v1/firms/{firm.uscc}/code/rotate").get_json()["scan_url"]
    as_user(client, login, visit_today["users"][0])
    refused(client.post("/api/v1/scans", json={"token": visit_today["token"]}), "企业码无效或已更换")
    assert client.post("/api/v1/scans", json={"token": fresh.rsplit("/", 1)[1]}).get_json()["state"] == "waiting_partner"


def test_firm_code_page_and_files(client, login, visit_today, db_session):
    login("admin")
    uscc = visit_today["visit"].firm.uscc
    page = client.get(f"/firms/{uscc}/code").get_data(as_text=True)
    short_code = format_short_code(firm_token(db_session, visit_today["visit"].firm).short_code)
    assert "<svg" in page and short_code in page and uscc not in page.split("<svg")[1].split("</svg>")[0]
    png = client.get(f"/firms/{uscc}/code.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert client.get(f"/firms/{uscc}/code.svg").data.lstrip().startswith(b"<?xml")


def test_photo_limits_on_the_page(client, login, visit_today, db_session):
    v = visit_today
    enter(client, login, v)
    sheet = client.get(f"/api/v1/visits/{v['visit'].id}/sheet").get_json()
    task = next(t for t in sheet["tasks"] if t["mine"])
    point = task["items"][0]["points"][0]["id"]
    form = {"task": str(task["id"]), "item": "SC-003", f"result_{point}": "compliant",
            f"photo_{point}": (io.BytesIO(b"GIF89a not allowed"), "x.gif")}
    response = client.post(f"/visits/{v['visit'].id}/items", data=form, content_type="multipart/form-data",
                           follow_redirects=True)
    assert "只能是 JPEG 或 PNG" in response.get_data(as_text=True)
    big = {**form, f"photo_{point}": (io.BytesIO(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)), "big.jpg")}
    response = client.post(f"/visits/{v['visit'].id}/items", data=big, content_type="multipart/form-data",
                           follow_redirects=True)
    assert "不能超过 5 MB" in response.get_data(as_text=True)
    ok = {**form, f"photo_{point}": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"1" * 100), "ok.png")}
    response = client.post(f"/visits/{v['visit'].id}/items", data=ok, content_type="multipart/form-data",
                           follow_redirects=True)
    assert "检查结果已保存" in response.get_data(as_text=True)


def test_results_unpublished_past_the_deadline_are_flagged(client, login, visit_today, db_session):
    v = visit_today
    enter(client, login, v)
    sheet = client.get(f"/api/v1/visits/{v['visit'].id}/sheet").get_json()
    task = next(t for t in sheet["tasks"] if t["mine"])
    for point in task["items"][0]["points"]:
        client.post(f"/api/v1/visits/{v['visit'].id}/findings", json={"task": task["id"], "point": point["id"],
                                                                       "result": "compliant"})
    due = client.post(f"/api/v1/visits/{v['visit'].id}/outcomes",
                      json={"task": task["id"], "item": "SC-003", "outcome": "no_problem"}).get_json()["publish_due"]
    assert dt.date.fromisoformat(due) > TODAY + dt.timedelta(days=20)  # 20 working days
    client.post(f"/api/v1/visits/{v['visit'].id}/leave")
    as_user(client, login, "market")
    assert "前公示" in client.get(f"/plans/{v['plan']}/results").get_data(as_text=True)
    row = db_session.scalar(select(ItemOutcome))
    row.publish_due = TODAY - dt.timedelta(days=1)
    db_session.commit()
    assert "已超公示期限" in client.get(f"/plans/{v['plan']}/results").get_data(as_text=True)


def test_grid_staff_accompany_but_never_count(client, login, visit_today, db_session):
    v = visit_today
    department = v["visit"].officers[0].officer.department
    grid = Officer(certificate_no="WG0000001", name="网格员张三", department=department, kind="grid",
                   valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2030, 1, 1), active=True, qualifications=[])
    grid.districts = list(department.districts)
    db_session.add(grid)
    db_session.flush()
    create_user(db_session, None, username="grid", password="demo1234", role="inspector", display_name=grid.name,
                officer=grid)
    visit = db_session.get(Visit, v["visit"].id)
    visit.day = TODAY
    db_session.commit()
    as_user(client, login, "grid")
    accompany = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert accompany["state"] == "accompanying" and accompany["scanned"] == []
    as_user(client, login, v["users"][0])
    alone = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert alone["state"] == "waiting_partner" and len(alone["scanned"]) == 1  # the grid member does not count
    assert db_session.scalar(select(func.count()).select_from(VisitEntry)) == 0
