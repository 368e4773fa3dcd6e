"""Each department's own presence on a joint visit (扫码入企, 亮码检查, 全程留痕): a department's part starts
only when two of its own certified officers scanned in, only its present officers record, it leaves on
its own, and a department that never came is credited with nothing anywhere."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from core import clock
from inspection.models import (
    Alert,
    DepartmentEntry,
    EntryFact,
    Event,
    Finding,
    InspectionTask,
    ItemOutcome,
    MissedPart,
    Officer,
    Scan,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
)
from inspection.operations.events import utcnow, verify_chain
from tests.approvals import approve
from tests.at_the_door import Phone, as_user, sync
from tests.clocks import door_open_day

TODAY = door_open_day()
pytestmark = pytest.mark.usefixtures("door_open")


def _department_task(client, login, db_session, visit, department, item):
    """A filed and drawn plan of ``department`` whose task at the visit's firm is scheduled on the visit."""
    as_user(client, login, department)
    plan = client.post("/api/v1/plans", json={"title": f"{department}抽查", "period_start": TODAY.isoformat(),
                                              "period_end": (TODAY + dt.timedelta(days=10)).isoformat(),
                                              "items": [item], "ratios": {c: 0.01 for c in "ABCD"}}).get_json()
    assert client.post(f"/api/v1/plans/{plan['id']}/file").status_code == 200
    approve(client, plan["id"])
    assert client.post(f"/api/v1/plans/{plan['id']}/draw").status_code == 200
    task = db_session.scalar(select(InspectionTask).where(InspectionTask.plan_id == plan["id"],
                                                          InspectionTask.firm_id == visit.firm_id))
    if task is None:          # the draw did not pick the firm (it may have)
        task = InspectionTask(plan_id=plan["id"], firm_id=visit.firm_id, on_site=True, window_start=TODAY,
                              window_end=TODAY + dt.timedelta(days=10))
        db_session.add(task)
    task.status, task.visit_id = "scheduled", visit.id
    db_session.flush()
    return task


@pytest.fixture
def three_departments(client, login, visit_today, db_session, make_user):
    """Today's market visit joined by fire and health, two officers each on the team; one more fire officer
    whose certificate expired yesterday is on the team too."""
    v = visit_today
    visit = db_session.get(Visit, v["visit"].id)
    fire_task = _department_task(client, login, db_session, visit, "fire", "XF-003")
    health_task = _department_task(client, login, db_session, visit, "health", "WJ-001")
    team = {"fire": [make_user("inspector", department="fire") for _ in range(3)],
            "health": [make_user("inspector", department="health") for _ in range(2)]}
    team["fire"][2].officer.valid_to = TODAY - dt.timedelta(days=1)
    for users in team.values():
        for user in users:
            db_session.add(VisitOfficer(visit_id=visit.id, officer_id=user.officer_id,
                                        department_id=user.officer.department_id))
    db_session.commit()
    client.delete("/api/v1/session")
    return {"v": v, "visit": visit.id, "fire_task": fire_task.id, "health_task": health_task.id,
            "market": v["users"], "fire": [u.username for u in team["fire"]],
            "health": [u.username for u in team["health"]]}


def _scan(client, login, username, token):
    as_user(client, login, username)
    return client.post("/api/v1/scans", json={"token": token})


def _sheet_points(client, visit_id, task_id):
    sheet = client.get(f"/api/v1/visits/{visit_id}/sheet").get_json()
    return next(t for t in sheet["tasks"] if t["id"] == task_id)["items"][0]["points"]


def _finding(client, visit_id, task_id, point_id, result="compliant", note=""):
    return client.post(f"/api/v1/visits/{visit_id}/findings",
                       json={"task": task_id, "point": point_id, "result": result, "note": note})


def test_a_joint_visit_says_exactly_who_was_there(client, login, three_departments, db_session):  # noqa: C901 - one walk
    w = three_departments
    visit_id, token = w["visit"], w["v"]["token"]
    market_task = db_session.get(Visit, visit_id).tasks[0].id
    # Market: both officers scan in, the department enters.
    assert _scan(client, login, w["market"][0], token).get_json()["state"] == "waiting_partner"
    entered = _scan(client, login, w["market"][1], token).get_json()
    assert entered["state"] == "entered" and len(entered["scanned"]) == 2
    code = entered["code"]
    # Fire: one officer only; the expired one is refused at the door. Health never comes.
    fire_scan = _scan(client, login, w["fire"][0], token).get_json()
    assert fire_scan["state"] == "waiting_partner" and len(fire_scan["scanned"]) == 1
    expired = _scan(client, login, w["fire"][2], token)
    assert expired.status_code == 422 and "执法证今日无效" in expired.get_json()["message"]
    db_session.expire_all()
    assert {p.department.code for p in db_session.scalars(select(DepartmentEntry))} == {"market"}

    # Records: only present officers of the task's own department.
    before = db_session.scalar(select(func.count()).select_from(Finding))
    as_user(client, login, w["fire"][0])                       # scanned in, but fire has not entered
    fire_points = _sheet_points(client, visit_id, w["fire_task"])
    refused = _finding(client, visit_id, w["fire_task"], fire_points[0]["id"])
    assert refused.status_code == 409 and "尚未入企" in refused.get_json()["message"]
    as_user(client, login, w["fire"][1])                       # never scanned in
    assert _finding(client, visit_id, w["fire_task"], fire_points[0]["id"]).status_code == 409
    as_user(client, login, w["fire"][2])                       # expired certificate, never let in
    assert _finding(client, visit_id, w["fire_task"], fire_points[0]["id"]).status_code == 409
    as_user(client, login, w["health"][0])
    health_points = _sheet_points(client, visit_id, w["health_task"])
    assert _finding(client, visit_id, w["health_task"], health_points[0]["id"]).status_code == 409
    as_user(client, login, w["market"][0])                     # present, but not fire's department
    wrong = _finding(client, visit_id, w["fire_task"], fire_points[0]["id"])
    assert wrong.status_code == 403 and "本部门" in wrong.get_json()["message"]
    # The web form refuses the same and writes nothing.
    as_user(client, login, w["fire"][0])
    page = client.post(f"/visits/{visit_id}/items", data={
        "task": w["fire_task"], "item": "XF-003", f"result_{fire_points[0]['id']}": "compliant"},
        follow_redirects=True)
    assert "尚未入企" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Finding)) == before
    refusals = db_session.scalars(select(Event).where(Event.kind == "refused")).all()   # the scan and six records
    assert len(refusals) == 7 and all(r.payload["fields"] is not None for r in refusals)

    # Market records its item.
    as_user(client, login, w["market"][0])
    for point in _sheet_points(client, visit_id, market_task):
        assert _finding(client, visit_id, market_task, point["id"]).status_code == 201
    item_code = db_session.get(InspectionTask, market_task).plan.items[0].code
    assert client.post(f"/api/v1/visits/{visit_id}/outcomes",
                       json={"task": market_task, "item": item_code, "outcome": "no_problem"}).status_code == 201
    db_session.expire_all()
    recorder = db_session.scalar(select(User.officer_id).where(User.username == w["market"][0]))
    assert {f.recorded_by_id for f in db_session.scalars(select(Finding))} == {recorder}

    # 亮码: only who is inside, per department.
    anonymous = client.application.test_client()
    info = anonymous.get(f"/api/v1/verify/{code}").get_json()
    assert info["state"] == "valid"
    market_name = db_session.get(InspectionTask, market_task).plan.department.name
    assert info["departments"] == [market_name]
    assert {o["department"] for o in info["officers"]} == {market_name} and len(info["officers"]) == 2
    by_department = {p["department"]: p for p in info["presence"]}
    assert [p["status"] for p in info["presence"] if p["department"] == market_name] == ["inside"]
    assert {p["status"] for n, p in by_department.items() if n != market_name} == {"not_entered"}
    page = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    absent_names = [db_session.scalar(select(Officer.name).join(VisitOfficer, VisitOfficer.officer_id == Officer.id)
                                      .where(VisitOfficer.visit_id == visit_id, Officer.certificate_no.like("T%"))
                                      .order_by(Officer.id).offset(n).limit(1)) for n in (1, 2, 3, 4)]
    assert all(name not in page for name in absent_names), "an officer who never scanned in is shown"

    # Market leaves (the one department inside): the visit ends; fire and health performed nothing.
    as_user(client, login, w["market"][0])
    left = client.post(f"/api/v1/visits/{visit_id}/leave").get_json()
    assert left["department"] == "market" and left["visit_status"] == "completed"
    assert _finding(client, visit_id, market_task, _sheet_points(client, visit_id, market_task)[0]["id"]).status_code == 409
    late = _scan(client, login, w["fire"][1], token)
    assert late.status_code == 422                            # the visit is over: no entry for fire on it
    db_session.expire_all()
    visit = db_session.get(Visit, visit_id)
    assert visit.status == "completed" and [t.id for t in visit.tasks] == [market_task]
    for task_id in (w["fire_task"], w["health_task"]):
        task = db_session.get(InspectionTask, task_id)
        assert task.status == "pending" and task.visit_id is None and "未到场" in task.unscheduled_reason
    missed = {m.department.code: m for m in db_session.scalars(select(MissedPart))}
    assert set(missed) == {"fire", "health"} and len(missed["fire"].scanned) == 1 and missed["health"].scanned == []
    assert db_session.get(VisitEntry, visit_id).left_at is not None

    # Every figure credits market alone.
    facts = db_session.scalars(select(EntryFact).where(EntryFact.visit_id == visit_id)).all()
    market_id = db_session.get(InspectionTask, market_task).plan.department_id
    assert [f.department_id for f in facts] == [market_id] and facts[0].departments == 1
    as_user(client, login, "oversight")
    export = client.get(f"/oversight/visits.csv?year={visit.day.year}").get_data(as_text=True)
    row = next(line for line in export.splitlines() if visit.firm.uscc in line)
    assert "市场监管" in row and "消防" not in row and "卫生" not in row
    record = client.get(f"/api/v1/firms/{visit.firm.uscc}/visits").get_json()
    assert next(r for r in record if r["visit"] == visit_id)["departments"] == [market_name]
    assert client.post("/api/v1/oversight/alerts/refresh").status_code == 200
    db_session.expire_all()
    alerts = {(a.rule, a.department_id) for a in db_session.scalars(select(Alert))}
    fire_id, health_id = (db_session.get(InspectionTask, w[k]).plan.department_id for k in ("fire_task", "health_task"))
    assert ("absent_department", fire_id) in alerts and ("absent_department", health_id) in alerts
    assert any(rule == "short_visit" for rule, _ in alerts)   # market stayed minutes, not the city's ten
    page = client.get("/oversight/alerts?rule=absent_department").get_data(as_text=True)
    assert "排定部门未到场" in page and "已扫码的本部门人员" in page and "退回计划的任务" in page
    page = client.get("/oversight/alerts?rule=short_visit").get_data(as_text=True)
    assert "检查时长" in page and "最短时长" in page and "10 分钟" in page
    kinds = [e.kind for e in db_session.scalars(select(Event).where(Event.subject == f"visit:{visit_id}").order_by(Event.seq))]
    assert kinds.count("department.entered") == 1 and kinds.count("department.left") == 1
    assert kinds.count("department.missed") == 2 and "visit.left" in kinds
    assert verify_chain(db_session)[0]


def test_each_department_leaves_on_its_own(client, login, three_departments, db_session):
    """Two departments inside: market's exit ends market's part only; fire's officers still record, and the
    visit ends with fire's exit. A department with one certified officer is not entered by a partner of
    another department."""
    w = three_departments
    visit_id, token = w["visit"], w["v"]["token"]
    _scan(client, login, w["market"][0], token)
    assert _scan(client, login, w["fire"][0], token).get_json()["state"] == "waiting_partner"   # one each: no entry
    db_session.expire_all()
    assert db_session.get(VisitEntry, visit_id) is None
    assert _scan(client, login, w["market"][1], token).get_json()["state"] == "entered"
    assert _scan(client, login, w["fire"][1], token).get_json()["state"] == "entered"
    as_user(client, login, w["market"][1])
    left = client.post(f"/api/v1/visits/{visit_id}/leave").get_json()
    assert left["visit_status"] == "in_progress"
    db_session.expire_all()
    market_task = next(t for t in db_session.get(Visit, visit_id).tasks if t.plan.department.code == "market")
    assert market_task.status == "done"
    assert db_session.get(InspectionTask, w["fire_task"]).status == "scheduled"
    as_user(client, login, w["fire"][0])
    point = _sheet_points(client, visit_id, w["fire_task"])[0]["id"]
    assert _finding(client, visit_id, w["fire_task"], point, "non_compliant", "疏散通道堵塞").status_code == 201
    as_user(client, login, w["market"][0])                   # market has left: no more records
    market_point = _sheet_points(client, visit_id, market_task.id)[0]["id"]
    after = _finding(client, visit_id, market_task.id, market_point)
    assert after.status_code == 409 and "已于" in after.get_json()["message"]
    again = _scan(client, login, w["market"][0], token)
    assert again.status_code == 422 and "扫码离开" in again.get_json()["message"]
    as_user(client, login, w["fire"][1])
    assert client.post(f"/api/v1/visits/{visit_id}/leave").get_json()["visit_status"] == "completed"
    db_session.expire_all()
    parts = {p.department.code: p for p in db_session.scalars(select(DepartmentEntry))}
    assert set(parts) == {"market", "fire"} and parts["market"].left_at < parts["fire"].left_at
    facts = db_session.scalars(select(EntryFact).where(EntryFact.visit_id == visit_id)).all()
    assert len(facts) == 2 and all(f.certified == 2 for f in facts) and sum(f.visit_row for f in facts) == 1
    assert {m.department.code for m in db_session.scalars(select(MissedPart))} == {"health"}


def test_offline_records_of_absent_departed_and_expired_officers_are_refused(client, login, three_departments,
                                                                              db_session):
    w = three_departments
    visit_id, token = w["visit"], w["v"]["token"]
    phones = {}
    for username in (w["market"][0], w["fire"][0]):
        as_user(client, login, username)
        phone = Phone(client.get("/api/v1/me").get_json()["certificate_no"])
        response = client.post("/api/v1/devices", json={"public_key": phone.jwk})
        phone.key_id = response.get_json()["key"]
        phones[username] = phone
    _scan(client, login, w["market"][0], token)
    _scan(client, login, w["market"][1], token)
    db_session.expire_all()
    market_task = next(t for t in db_session.get(Visit, visit_id).tasks if t.plan.department.code == "market")
    entered_at = db_session.get(DepartmentEntry, (visit_id, market_task.plan.department_id)).entered_at
    points = market_task.plan.items[0].points
    phone = phones[w["market"][0]]
    before_entry = phone.record("finding", entered_at - dt.timedelta(minutes=20), visit=visit_id, task=market_task.id,
                                point=points[0].id, result="compliant")
    result = sync(client, login, w["market"][0], [before_entry])[0]
    assert result["status"] == "refused" and "早于" in result["message"]
    # Fire's officer scanned in alone: his findings wait for fire's entry...
    _scan(client, login, w["fire"][0], token)
    fire_point = db_session.get(InspectionTask, w["fire_task"]).plan.items[0].points[0].id
    waiting = phones[w["fire"][0]].record("finding", utcnow(), visit=visit_id, task=w["fire_task"], point=fire_point,
                                          result="compliant")
    assert sync(client, login, w["fire"][0], [waiting])[0]["status"] == "pending"
    # ...market leaves, the visit ends without fire: what fire's officer sends now is refused.
    as_user(client, login, w["market"][0])
    client.post(f"/api/v1/visits/{visit_id}/leave")
    after_exit = phone.record("finding", utcnow() + dt.timedelta(seconds=1), visit=visit_id, task=market_task.id,
                              point=points[1].id, result="compliant")
    result = sync(client, login, w["market"][0], [after_exit])[0]
    assert result["status"] == "refused" and "扫码离开" in result["message"]
    late = phones[w["fire"][0]].record("finding", utcnow(), visit=visit_id, task=w["fire_task"], point=fire_point,
                                       result="non_compliant", note="x")
    assert sync(client, login, w["fire"][0], [late])[0]["status"] == "refused"
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Finding).where(Finding.task_id == w["fire_task"])) == 0
    assert db_session.scalar(select(func.count()).select_from(ItemOutcome)) == 0


def test_scan_in_keeps_working_hours_and_never_redates_onto_a_closed_day(client, login, visit_today, db_session,
                                                                         time_machine):
    """Outside working hours the scan is refused and kept; the visit's day does not move."""
    v = visit_today
    evening = dt.datetime.combine(TODAY, dt.time(22, 30), tzinfo=clock.zone())
    time_machine.move_to(evening)
    as_user(client, login, v["users"][0])
    refused = client.post("/api/v1/scans", json={"token": v["token"]})
    assert refused.status_code == 422 and "工作日" in refused.get_json()["message"]
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Scan).where(Scan.accepted.is_(False))) == 1
    day = v["visit"].day
    saturday = TODAY + dt.timedelta(days=(5 - TODAY.weekday()) % 7 or 7)
    time_machine.move_to(dt.datetime.combine(saturday, dt.time(10), tzinfo=clock.zone()))
    assert client.post("/api/v1/scans", json={"token": v["token"]}).status_code == 422
    db_session.expire_all()
    assert db_session.get(Visit, v["visit"].id).day == day
