"""A catalogue revision applies to work under way from its effective date: a plan filed with the earlier
checklist takes the revised one for visits on or after that date, through the recorded mapping of points;
before it, the earlier checklist stands. Findings already recorded stay valid and readable; offline records
made on an earlier point are mapped, or refused where the revision dropped the point."""
import datetime as dt

import time_machine
import yaml
from sqlalchemy import select

from checklists.models import CatalogueItem
from core import clock
from inspection.models import Event, Finding, InspectionPlan, OfflineRecord, User, Visit
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token
from inspection.operations.events import verify_chain
from inspection.operations.leniency import first_offence_history
from inspection.pure.calendar import next_working_morning
from tests.approvals import approve
from tests.at_the_door import Phone, as_user, enter, sync
from tests.catalogue_files import write

NEW_POINT = "是否在显著位置公示食品安全量化分级等级"


def exported(runner, tmp_path) -> dict:
    out = tmp_path / "current.yaml"
    result = runner.invoke(args=["export-catalogue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return yaml.safe_load(out.read_text(encoding="utf-8"))


def publish(runner, tmp_path, document: dict, name: str) -> str:
    path = write(tmp_path, yaml.safe_dump(document, allow_unicode=True, sort_keys=False), name)
    result = runner.invoke(args=["load-catalogue", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def plan_through(client, title, item, start, end, *, to="confirm") -> int:
    """A market plan on ``item`` taken as far as ``to`` (file, draw, schedule, confirm)."""
    response = client.post("/api/v1/plans", json={"title": title, "period_start": start.isoformat(),
                                                  "period_end": end.isoformat(), "items": [item],
                                                  "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"]})
    assert response.status_code == 201, response.get_json()
    plan_id = response.get_json()["id"]
    for action in ("file", "draw", "schedule", "confirm"):
        if action == "draw":
            approve(client, plan_id)
        answer = client.post(f"/api/v1/plans/{plan_id}/{action}")
        assert answer.status_code in (200, 202), answer.get_json()
        if action == to:
            break
    return plan_id


def team_of(db_session, visit) -> dict:
    """The visit's team as accounts, and the firm's entry token."""
    users = []
    for member in visit.officers:
        user = db_session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
            db_session, None, username=f"o{member.officer.certificate_no}", password="demo1234", role="inspector",
            display_name=member.officer.name, officer=member.officer)
        users.append(user.username)
    token = firm_token(db_session, visit.firm).token
    db_session.commit()
    return {"visit": visit, "users": users, "token": token}


def phone_for(client, login, username) -> Phone:
    as_user(client, login, username)
    phone = Phone(client.get("/api/v1/me").get_json()["certificate_no"])
    response = client.post("/api/v1/devices", json={"public_key": phone.jwk})
    assert response.status_code == 201, response.get_json()
    phone.key_id = response.get_json()["key"]
    return phone


def sheet_item(client, visit_id, code="SC-003") -> tuple[int, dict]:
    body = client.get(f"/api/v1/visits/{visit_id}/sheet").get_json()
    task = next(t for t in body["tasks"] if t["mine"])
    return task["id"], next(i for i in task["items"] if i["code"] == code)


def test_a_revision_applies_to_plans_visits_and_offline_records_from_its_effective_date(
        client, login, runner, tmp_path, db_session, visit_today):
    today = visit_today["visit"].day
    effective = next_working_morning(clock.local_now().replace(hour=23, minute=59)).date()
    assert effective > today
    login("market")
    later_plan = plan_through(client, "下周餐饮抽查", "SC-003", effective, effective + dt.timedelta(days=10))
    kept_plan = plan_through(client, "食品生产抽查", "SC-001", today, today + dt.timedelta(days=20), to="file")
    removed_plan = plan_through(client, "食品销售抽查", "SC-002", today, today + dt.timedelta(days=20), to="draw")
    client.delete("/api/v1/session")
    later = db_session.scalars(select(Visit).join(Visit.tasks).where(Visit.status == "confirmed")
                               .where(Visit.tasks.any(plan_id=later_plan)).order_by(Visit.day, Visit.id)).first()
    assert later is not None and later.day >= effective
    later_team = team_of(db_session, later)

    # The revision: SC-001 kept as it is, SC-003's checklist revised from the next working day (its first
    # point dropped, the others renumbered, one point added), SC-002 removed.
    document = exported(runner, tmp_path)
    previous = document["version"]
    document["version"] = "2026.20"
    revised = next(i for i in document["items"] if i["code"] == "SC-003")
    old_points = [p["text"] for p in revised["checklist"]]
    revised["checklist"] = revised["checklist"][1:] + [
        {"text": NEW_POINT, "legal_basis": "《中华人民共和国食品安全法》第一百一十条", "verify": "现场查看公示牌"}]
    revised["effective_from"] = effective.isoformat()
    document["items"] = [i for i in document["items"] if i["code"] != "SC-002"]
    output = publish(runner, tmp_path, document, "revised.yaml")
    assert "撤销旧版事项 1 项（SC-002）" in output
    db_session.expire_all()

    # Stored and kept in the event log: the version's mapping, and each plan under way on the item.
    published = db_session.scalar(select(Event).where(Event.kind == "catalogue.published",
                                                      Event.subject == "catalogue:2026.20"))
    mapping = published.payload["checklists"]["SC-003"]
    assert mapping["previous"] == previous and mapping["added"] == [len(old_points)]
    assert [m["to"] for m in mapping["points"]] == [None, *range(1, len(old_points))]
    events = {e.subject: e.payload for e in db_session.scalars(select(Event).where(
        Event.kind == "plan.checklist_revised"))}
    assert set(events) == {f"plan:{visit_today['plan']}", f"plan:{later_plan}"}
    assert events[f"plan:{later_plan}"] == {
        "department": "market", "item": "SC-003", "from": previous, "to": "2026.20",
        "effective_from": effective.isoformat(), "dropped": [1], "added": [len(old_points)],
        "points": [{"from": 1, "to": None}] + [{"from": n, "to": n - 1} for n in range(2, len(old_points) + 1)]}
    assert db_session.get(InspectionPlan, removed_plan).status == "cancelled"

    # Shown on the plan page: the earlier checklist until the date, then the mapping.
    login("market")
    page = client.get(f"/plans/{visit_today['plan']}").get_data(as_text=True)
    assert (f"2026.20 版清单自 {effective:%Y-%m-%d} 起施行，届时检查要点：原第 1 项「{old_points[0]}」删除；"
            f"原第 2 项现为第 1 项") in page and f"新增第 {len(old_points)} 项；此前按现行检查要点实施" in page
    approve(client, kept_plan)
    drawn = client.post(f"/api/v1/plans/{kept_plan}/draw")   # the kept item's plan draws
    assert drawn.status_code == 200, drawn.get_json()
    client.delete("/api/v1/session")

    # Before the effective date: today's visit records on the checklist it was filed with.
    first, second = enter(client, login, visit_today)
    assert second["state"] == "entered", second
    visit_id = visit_today["visit"].id
    task_id, item = sheet_item(client, visit_id)
    assert [p["text"] for p in item["points"]] == old_points and item["revision"] is None
    assert db_session.get(InspectionPlan, later_plan).items[0].version == previous
    revised_row = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                                CatalogueItem.version == "2026.20"))
    refused = client.post(f"/api/v1/visits/{visit_id}/findings",
                          json={"task": task_id, "point": revised_row.points[-1].id, "result": "compliant"})
    assert refused.status_code == 422
    assert f"属于 2026.20 版清单，该版自 {effective:%Y-%m-%d} 起施行" in refused.get_json()["message"]
    for n, point in enumerate(item["points"]):
        body = {"task": task_id, "point": point["id"], "result": "non_compliant" if n == 0 else "compliant",
                "note": "许可证过期" if n == 0 else ""}
        assert client.post(f"/api/v1/visits/{visit_id}/findings", json=body).status_code == 201
    outcome = client.post(f"/api/v1/visits/{visit_id}/outcomes",
                          json={"task": task_id, "item": "SC-003", "outcome": "rectify",
                                "rectify_by": (today + dt.timedelta(days=15)).isoformat()})
    assert outcome.status_code == 201, outcome.get_json()

    # On the effective date (the next visit of a plan filed before the revision): the revised checklist.
    morning = dt.datetime.combine(later.day, dt.time(10, 30), tzinfo=clock.zone())
    with time_machine.travel(morning, tick=True):
        phone = phone_for(client, login, later_team["users"][0])
        first, second = enter(client, login, later_team)
        assert second["state"] == "entered", second
        as_user(client, login, later_team["users"][0])
        task_id, item = sheet_item(client, later.id)
        assert [p["text"] for p in item["points"]] == old_points[1:] + [NEW_POINT]
        assert item["version"] == "2026.20" and item["revision"]["effective_from"] == effective.isoformat()
        page = client.get(f"/visits/{later.id}").get_data(as_text=True)
        assert f"检查要点按 2026.20 版清单（自 {effective:%Y-%m-%d} 起施行）" in page
        assert f"原第 1 项「{old_points[0]}」已删除" in page and NEW_POINT in page

        # Offline records made on the earlier checklist's points: a kept point is mapped, a dropped one refused.
        filed_points = db_session.get(InspectionPlan, later_plan).items[0].points
        at = clock.now()   # made on the phone after the entry, sent when the network returns
        kept = phone.record("finding", at, visit=later.id, task=task_id, point=filed_points[2].id, result="compliant")
        dropped = phone.record("finding", at, visit=later.id, task=task_id, point=filed_points[0].id,
                               result="compliant")
        results = sync(client, login, later_team["users"][0], [kept, dropped])
        assert results[0]["status"] == "applied", results
        assert results[0]["message"] == (f"检查事项清单已修订：原 {previous} 版第 3 项的结果已记入 2026.20 版第 2 项"
                                         f"「{old_points[2]}」")
        assert results[1]["status"] == "refused"
        assert results[1]["message"] == (
            f"检查事项清单 2026.20 版自 {effective:%Y-%m-%d} 起施行，已删除事项 SC-003「{revised['name']}」原第 1 项"
            f"检查要点「{old_points[0]}」；{later.day:%Y-%m-%d} 的检查结果不能记入该要点，请按 2026.20 版检查要点重新记录")
        assert db_session.scalar(select(OfflineRecord.status).where(
            OfflineRecord.payload == dropped["payload"])) == "refused"
        mapped = db_session.scalar(select(Finding).where(Finding.visit_id == later.id))
        assert mapped.point.item.version == "2026.20" and mapped.point.text == old_points[2]
        task_id, item = sheet_item(client, later.id)
        assert [p["result"] for p in item["points"]] == [None, "compliant", None, None, None]

        # The outcome waits for every point of the revised checklist, the added one included.
        body = {"task": task_id, "item": "SC-003", "outcome": "no_problem"}
        waiting = client.post(f"/api/v1/visits/{later.id}/outcomes", json=body)
        assert waiting.status_code == 409 and "还有 4 个检查要点未记录结果" in waiting.get_json()["message"]
        for point in item["points"]:
            if point["result"] is None:
                answer = client.post(f"/api/v1/visits/{later.id}/findings",
                                     json={"task": task_id, "point": point["id"], "result": "compliant"})
                assert answer.status_code == 201, answer.get_json()
        assert client.post(f"/api/v1/visits/{later.id}/outcomes", json=body).status_code == 201
        recorded = db_session.scalars(select(Event).where(Event.kind == "finding.recorded",
                                                          Event.subject == f"visit:{later.id}")
                                      .order_by(Event.seq)).all()
        assert recorded[0].payload["mapped_from"] == {"version": previous, "point": 3}
        assert recorded[0].payload["version"] == "2026.20" and recorded[0].payload["point"] == 2

    # The earlier visit's findings stay valid and readable on the checklist they were recorded on.
    as_user(client, login, visit_today["users"][0])
    _, item = sheet_item(client, visit_id)
    assert [p["text"] for p in item["points"]] == old_points
    assert [p["result"] for p in item["points"]] == ["non_compliant"] + ["compliant"] * (len(old_points) - 1)
    assert item["outcome"] == "rectify"
    assert verify_chain(db_session)[0]


def test_a_firms_record_of_a_point_reads_across_the_revision(runner, tmp_path, db_session, make_firm, entered):
    """首违不罚 against history: a non-compliance found on the earlier version's point counts for the point
    it became; a point the revision dropped is another point."""
    today = clock.today()
    firm = make_firm("修订前违法记录餐厅有限公司", industry="餐饮服务")
    visit = entered(firm, item="SC-003", day=today - dt.timedelta(days=40))
    filed = visit.tasks[0].plan.items[0]
    for point in filed.points[:2]:
        db_session.add(Finding(visit_id=visit.id, task_id=visit.tasks[0].id, item_id=filed.id, point_id=point.id,
                               result="non_compliant", note="现场发现问题", recorded_at=clock.now()))
    db_session.commit()
    document = exported(runner, tmp_path)
    document["version"] = "2026.21"
    revised = next(i for i in document["items"] if i["code"] == "SC-003")
    revised["checklist"] = revised["checklist"][1:]
    publish(runner, tmp_path, document, "revised.yaml")
    db_session.expire_all()
    row = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                        CatalogueItem.version == "2026.21"))
    first_new, second_new = row.points[0], row.points[1]
    assert first_new.text == filed.points[1].text
    history = first_offence_history(db_session, firm.id, first_new.id, row.department_id, today)
    assert not history["first_offence"]
    assert history["earlier"] == [{"visit": visit.id, "day": visit.day.isoformat(), "item": "SC-003", "point": 2}]
    assert first_offence_history(db_session, firm.id, second_new.id, row.department_id, today)["first_offence"]
