"""What the door costs in SQL statements: the scan that waits for the partner stays within thirteen, the
entry within its own bound, and the firm's record reads the same number of statements however long its
history (benchmarks/door.py measures the time)."""
import datetime as dt

import pytest
from sqlalchemy import select

from checklists.models import CatalogueItem, Department
from core import clock
from inspection.models import Event, Finding, InspectionPlan, ItemOutcome, User
from inspection.operations.accounts import create_user
from inspection.operations.documents import correct_document, issue_entry_notice
from inspection.operations.events import queued_count, seal_all_queued, verify_chain
from inspection.operations.offsite import send_request
from inspection.operations.plans import file_targeted_plan
from tests.at_the_door import as_user, statements
from web import jobs

pytestmark = pytest.mark.usefixtures("door_open")


def test_a_scan_in_reads_and_writes_in_a_few_statements(app, client, login, visit_today, db_session, monkeypatch):
    # Off the scan's path in production, each a job after the commit, and within the commit in the tests:
    # the entry's inspection notice, the visit's facts for oversight, and the sealing of the request's
    # records into the chain. Here they are only noted, so that the scan's own cost is counted.
    due: list = []
    refreshed: list = []
    sealed: list = []
    monkeypatch.setattr(jobs, "issue_due", lambda _session, entries: due.extend(entries))
    monkeypatch.setattr(jobs.facts, "refresh_due", lambda _session, visits: refreshed.extend(visits))
    monkeypatch.setattr(jobs, "seal_all_queued", lambda _session: sealed.append(True))
    as_user(client, login, visit_today["users"][0])
    with statements(app) as waiting:
        first = client.post("/api/v1/scans", json={"token": visit_today["token"]})
    assert first.status_code == 200 and first.get_json()["state"] == "waiting_partner"
    as_user(client, login, visit_today["users"][1])
    with statements(app) as entry:
        second = client.post("/api/v1/scans", json={"token": visit_today["token"]})
    assert second.status_code == 200 and second.get_json()["state"] == "entered"
    # Within twelve each, the insert that tells the partners someone waits (通知) included.
    assert len(waiting) <= 12, "\n".join(waiting)
    assert len(entry) <= 12, "\n".join(entry)
    # The visit is read once, with its tasks and entries, on either database (on PostgreSQL the firm's
    # statement has locked it already).
    for request in (waiting, entry):
        assert sum(s.startswith("SELECT visits.") for s in request) == 1, "\n".join(request)
    assert due == [(visit_today["visit"].id, visit_today["visit"].tasks[0].plan.department_id)]
    assert refreshed == [visit_today["visit"].id]
    # The request's records go to the queue in one insert; the request never touches the chain's head.
    for request in (waiting, entry):
        assert sum("INSERT INTO event_queue" in s for s in request) == 1, request
        assert not any("event_head" in s or "INSERT INTO events" in s for s in request), request
    assert sealed == [True, True]   # each commit hands its queued records to the sealer
    waiting_records = queued_count(db_session)
    assert waiting_records >= 3     # the first scan's record, and the entry's two, wait for the sealer
    assert seal_all_queued(db_session) == waiting_records and queued_count(db_session) == 0
    assert verify_chain(db_session)[0] is True
    kinds = [e.kind for e in db_session.scalars(select(Event).order_by(Event.seq.desc()).limit(3))]
    assert kinds == ["visit.entered", "department.entered", "scan.in"]


def test_the_firms_record_costs_the_same_whatever_its_history(app, client, login, db_session, make_firm, entered):
    firm = make_firm()
    create_user(db_session, None, username="record-firm", password="demo1234", role="enterprise",
                display_name=firm.name, firm=firm)
    entered(firm, day=dt.date(2026, 3, 2))
    db_session.commit()
    login("record-firm")

    last: list[str] = []

    def cost(path):
        with statements(app, whole=True) as seen:
            response = client.get(path)
        assert response.status_code == 200
        last[:] = seen
        return len(seen), response

    short_api, answer = cost(f"/api/v1/firms/{firm.uscc}/visits")
    short_seen = list(last)
    short_page, _ = cost(f"/firms/{firm.uscc}")
    assert len(answer.get_json()) == 1
    visits = [entered(firm, day=day, department=department, item=item)
              for day, department, item in ((dt.date(2026, 4, 6), "market", "SC-003"),
                                            (dt.date(2026, 5, 11), "fire", "XF-002"),
                                            (dt.date(2026, 6, 8), "health", "WJ-001"))]
    # Each of them found something and published its result; the firm was sent each entry's inspection notice
    # (one of them corrected) and off-site requests of two departments.
    for visit in visits:
        task = visit.tasks[0]
        item = task.plan.items[0]
        db_session.add_all([
            Finding(visit_id=visit.id, task_id=task.id, item_id=item.id, point_id=item.points[0].id,
                    result="non_compliant", note="记录不全", recorded_at=clock.now()),
            ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=item.id, outcome="rectify",
                        recorded_at=clock.now(), rectify_by=visit.day + dt.timedelta(days=30),
                        publish_due=visit.day + dt.timedelta(days=7), published_at=clock.now())])
    notices = [issue_entry_notice(db_session, visit, db_session.scalar(
        select(Department).where(Department.code == department)))
        for visit, department in zip(visits, ("market", "fire", "health"))]
    market = db_session.scalar(select(User).where(User.username == "market"))
    correction = correct_document(db_session, market, notices[0], "检查时间有误")
    today = clock.today()
    requests = []
    for department, item in (("market", "SC-010"), ("health", "WJ-006")):
        official = db_session.scalar(select(User).where(User.username == department))
        plan = file_targeted_plan(db_session, official, official.department, title=f"非现场核查 {item}",
                                  item_codes=[item], firms=[firm], lead="测试线索", period_start=today,
                                  period_end=today + dt.timedelta(days=30))
        requests.append((item, send_request(db_session, official, plan.tasks[0])))
    db_session.commit()
    long_api, answer = cost(f"/api/v1/firms/{firm.uscc}/visits")
    api_seen = list(last)
    long_page, page = cost(f"/firms/{firm.uscc}")
    assert len(answer.get_json()) == 4
    assert [(len(r["findings"]), len(r["outcomes"])) for r in answer.get_json()] == [(1, 1)] * 3 + [(0, 0)]
    html = page.get_data(as_text=True)
    assert html.count("责令限期整改") == 3
    assert all(d.number in html for d in (*notices, correction))
    assert f"已被更正（见 {correction.number}）" in html
    assert all(f'id="offsite-{r.id}"' in html and item in html for item, r in requests)
    # The account (with its unread notices and its firm), the visits with their parts, then their scans, outcomes
    # and findings in one statement; the lines of their items' checklists are read only where a revision continues
    # an item (here every item is the list's current row). The firm's own account finds the firm in its account.
    assert long_api == short_api <= 3, "\n".join(api_seen)
    # The very same statements: one whose text grew with the history (a list of the visits' ids) would be a new
    # statement for PostgreSQL at each length, planned again each time and never kept prepared.
    assert api_seen == short_seen
    assert not any(s.startswith("SELECT firms.") for s in api_seen), "\n".join(api_seen)
    # The page lists no findings, and reads the firm's off-site requests and documents in one statement, and the
    # firm's tags. (Outside the tests SQLite counts its BEGIN IMMEDIATE too: 6.)
    assert long_page == short_page <= 5, "\n".join(last)
    assert not any(s.startswith("SELECT firms.") for s in last), "\n".join(last)


def test_the_inspectors_sheet_costs_the_same_however_many_points_it_records(app, client, login, inside, visit_today):
    # The sheet of the team's own department: every point of its checklist with its finding, the leniency lists'
    # proposal for it, and the way each point maps across the item's versions, read for all points at once.
    as_user(client, login, visit_today["users"][0])
    path = f"/api/v1/visits/{inside.id}/sheet"
    with statements(app) as empty:
        sheet = client.get(path).get_json()
    task = sheet["tasks"][0]
    points = [(task["id"], p["id"]) for item in task["items"] for p in item["points"]]
    assert task["mine"] and len(points) >= 4
    for task_id, point_id in points:
        response = client.post(f"/api/v1/visits/{inside.id}/findings", json={
            "task": task_id, "point": point_id, "result": "non_compliant", "note": "现场发现"})
        assert response.status_code == 201, response.get_json()
    with statements(app) as full:
        sheet = client.get(path).get_json()
    recorded = [p for item in sheet["tasks"][0]["items"] for p in item["points"]]
    assert [p["result"] for p in recorded] == ["non_compliant"] * len(points)
    # One statement more once there are findings: the leniency decisions taken on them.
    assert len(full) == len(empty) + 1 <= 18, "\n".join(full)


def test_the_inspectors_sheet_costs_the_same_however_many_items_it_lists(app, client, login, inside, visit_today,
                                                                         db_session):
    # Each item's checklist points come in one statement with the others', not one item at a time.
    as_user(client, login, visit_today["users"][0])
    path = f"/api/v1/visits/{inside.id}/sheet"
    with statements(app) as one:
        sheet = client.get(path).get_json()
    assert [len(item["points"]) > 0 for item in sheet["tasks"][0]["items"]] == [True]
    plan = db_session.get(InspectionPlan, inside.tasks[0].plan_id)
    more = db_session.scalars(select(CatalogueItem).where(
        CatalogueItem.department_id == plan.department_id, CatalogueItem.status == "published",
        CatalogueItem.id.not_in([item.id for item in plan.items]), CatalogueItem.points.any())
        .order_by(CatalogueItem.id).limit(3)).all()
    assert len(more) == 3
    plan.items.extend(more)
    db_session.commit()
    with statements(app) as four:
        sheet = client.get(path).get_json()
    items = sheet["tasks"][0]["items"]
    assert len(items) == 4 and all(item["points"] for item in items)
    # The same statements; and once some item has earlier versions, their points (read with those versions).
    extra = [s for s in set(four) for _ in range(four.count(s) - one.count(s))]
    assert len(four) == len(one) + len(extra) <= len(one) + 1, "\n".join(one) + "\n\n" + "\n".join(four)
    assert all(s.startswith("SELECT checklist_points.item_id") for s in extra), extra
