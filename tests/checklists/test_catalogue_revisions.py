"""Catalogue revisions that keep work going: an item keeps its identity across versions by code and
department; only removed items end their plans; an identical re-publication changes nothing but the
version; a filed plan whose item is revoked cannot draw, and says why."""
import datetime as dt
from pathlib import Path

import yaml
from sqlalchemy import func, select

import inspection
from checklists.models import CatalogueItem, CatalogueVersion
from checklists.operations.publish import revoke_item
from core import clock
from inspection.models import Alert, Event, InspectionPlan, InspectionTask, Notice, User, Visit
from inspection.operations.alerts import refresh_alerts
from inspection.operations.leniency import entries_for
from inspection.pure.calendar import CITY_FILE
from tests.approvals import approve
from tests.at_the_door import as_user, enter
from tests.catalogue_files import valid, write

LENIENCY_DIR = CITY_FILE.parent / "leniency"


def exported(runner, tmp_path) -> dict:
    out = tmp_path / "current.yaml"
    result = runner.invoke(args=["export-catalogue", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return yaml.safe_load(out.read_text(encoding="utf-8"))


def publish(runner, tmp_path, document: dict, name: str):
    path = write(tmp_path, yaml.safe_dump(document, allow_unicode=True, sort_keys=False), name)
    result = runner.invoke(args=["load-catalogue", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def item_of(document: dict, code: str) -> dict:
    return next(i for i in document["items"] if i["code"] == code)


def filed_plan(client, items, ratios=None, **extra) -> int:
    body = client.post("/api/v1/plans", json={"title": "在办计划", "period_start": "2026-04-01",
                                              "period_end": "2026-04-30", "items": items,
                                              "ratios": ratios or {c: 0.5 for c in "ABCD"}, **extra})
    assert body.status_code == 201, body.get_json()
    plan_id = body.get_json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/file").status_code == 200
    approve(client, plan_id)
    return plan_id


def test_identical_republish_changes_nothing_but_the_version(client, login, runner, tmp_path, visit_today,
                                                             db_session):
    document = exported(runner, tmp_path)
    before_items = db_session.scalar(select(func.count()).select_from(CatalogueItem).where(
        CatalogueItem.status == "published"))
    previous, document["version"] = document["version"], "2026.9"
    def snapshot():
        db_session.expire_all()
        return {model.__name__: db_session.scalar(select(func.count()).select_from(model))
                for model in (InspectionPlan, InspectionTask, Visit, Alert)} | {
            "open tasks": db_session.scalar(select(func.count()).select_from(InspectionTask).where(
                InspectionTask.status != "cancelled"))}

    before = snapshot()
    output = publish(runner, tmp_path, document, "same.yaml")
    assert "已发布" in output and "撤销" not in output
    db_session.expire_all()
    version = db_session.scalar(select(CatalogueVersion).where(CatalogueVersion.status == "published"))
    assert version.version == "2026.9"
    assert version.changes["added"] == [] and version.changes["changed"] == [] and version.changes["removed"] == []
    assert version.changes["unchanged"] == before_items
    assert snapshot() == before
    assert db_session.get(Visit, visit_today["visit"].id).status == "confirmed"
    # The next scan on the confirmed visit is accepted: the item is the same item.
    first, second = enter(client, login, visit_today)
    assert second["state"] == "entered", second
    page = client.get("/catalogue").get_data(as_text=True)
    assert f"较 {previous} 版：新增 0 项，修改 0 项，删除 0 项" in page


def test_revision_keeps_changes_and_removes_items_while_plans_and_visits_are_under_way(
        client, login, runner, tmp_path, visit_today, db_session):
    login("market")
    kept_plan = filed_plan(client, ["SC-001"])
    removed_plan = filed_plan(client, ["SC-002"])
    assert client.post(f"/api/v1/plans/{removed_plan}/draw").status_code == 200
    client.delete("/api/v1/session")
    document = exported(runner, tmp_path)
    previous, document["version"] = document["version"], "2026.10"
    changed = item_of(document, "SC-003")
    old_points = [p["text"] for p in changed["checklist"]]
    changed["checklist"] = changed["checklist"][1:] + [
        {"text": "是否公示食品安全量化分级等级", "legal_basis": "《中华人民共和国食品安全法》第一百一十条",
         "verify": "现场查看公示牌"}]
    changed["name"] = changed["name"] + "（修订）"
    document["items"] = [i for i in document["items"] if i["code"] != "SC-002"]
    output = publish(runner, tmp_path, document, "revised.yaml")
    assert "较上一版新增 0 项、修改 1 项" in output and "撤销旧版事项 1 项（SC-002）" in output
    assert "个在办计划已终止" in output
    db_session.expire_all()

    version = db_session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == "2026.10"))
    assert [c["code"] for c in version.changes["changed"]] == ["SC-003"]
    entry = version.changes["changed"][0]
    assert set(entry["fields"]) == {"name", "checklist"}
    mapping = entry["point_map"]
    assert mapping["points"][0] == {"from": 1, "to": None, "text": old_points[0]}
    assert [m["to"] for m in mapping["points"][1:]] == list(range(1, len(old_points)))
    assert mapping["added"] == [len(old_points)]
    assert [r["code"] for r in version.changes["removed"]] == ["SC-002"]

    # The changed item's plan goes on: the confirmed visit's team scans in and records on the revised
    # checklist, in force since the version's date.
    first, second = enter(client, login, visit_today)
    assert second["state"] == "entered", second
    visit = db_session.get(Visit, visit_today["visit"].id)
    task = visit.tasks[0]
    sheet = client.get(f"/api/v1/visits/{visit.id}/sheet").get_json()["tasks"][0]["items"][0]
    assert [p["text"] for p in sheet["points"]] == old_points[1:] + ["是否公示食品安全量化分级等级"]
    response = client.post(f"/api/v1/visits/{visit.id}/findings",
                           json={"task": task.id, "point": sheet["points"][0]["id"], "result": "compliant"})
    assert response.status_code in (200, 201), response.get_json()
    dropped = client.post(f"/api/v1/visits/{visit.id}/findings",
                          json={"task": task.id, "point": task.plan.items[0].points[0].id, "result": "compliant"})
    assert dropped.status_code == 422 and "已删除" in dropped.get_json()["message"]

    # The kept item's filed plan still draws.
    as_user(client, login, "market")
    assert client.post(f"/api/v1/plans/{kept_plan}/draw").status_code == 200
    page = client.get(f"/plans/{visit_today['plan']}").get_data(as_text=True)
    assert "检查要点自 2026-01-01 起按 2026.10 版清单：原第 1 项" in page
    assert "已从清单撤销" in client.get(f"/plans/{removed_plan}").get_data(as_text=True)

    # The removed item's plan has ended; its tasks are cancelled; the department's event and oversight's alert.
    ended = db_session.get(InspectionPlan, removed_plan)
    db_session.refresh(ended)
    assert ended.status == "cancelled"
    assert {t.status for t in ended.tasks} <= {"cancelled"}
    event = db_session.scalar(select(Event).where(Event.kind == "plan.ended_by_catalogue",
                                                  Event.subject == f"plan:{removed_plan}"))
    assert event is not None and event.payload["items"] == ["SC-002"]
    alert = db_session.scalar(select(Alert).where(Alert.rule == "item_removed"))
    assert alert.department_id == ended.department_id and "SC-002" in alert.evidence["items"]

    # The public catalogue shows what the publication changed.
    page = client.get("/catalogue").get_data(as_text=True)
    assert f"较 {previous} 版" in page and "SC-002" in page and "SC-003" in page and "检查要点" in page
    assert client.get("/catalogue/SC-002").status_code == 200


def test_filed_plan_whose_item_is_revoked_cannot_draw(client, login, db_session, counts):
    login("market")
    plan_id = filed_plan(client, ["SC-002"])
    revoke_item(db_session, "SC-002", now=dt.datetime(2026, 3, 1))
    db_session.commit()
    before = counts()
    response = client.post(f"/api/v1/plans/{plan_id}/draw")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "outside_catalogue"
    assert "不能抽取" in body["message"] and "SC-002" in body["message"] and "撤销" in body["message"]
    assert counts() == before
    assert db_session.scalar(select(func.count()).select_from(InspectionTask).where(
        InspectionTask.plan_id == plan_id)) == 0


def test_demo_catalogue_stays_in_force_in_2027(client, login):
    login("market")
    response = client.post("/api/v1/plans", json={"title": "2027年食品生产抽查", "period_start": "2027-03-01",
                                                  "period_end": "2027-03-31", "items": ["SC-001"],
                                                  "ratios": {c: 0.1 for c in "ABCD"}})
    assert response.status_code == 201, response.get_json()


def test_a_lists_frequency_floor_is_the_departments_obligation(runner, tmp_path, db_session, client, login):
    text = valid("T-floor").replace("effective_from: 2026-01-01", "effective_from: 2025-01-01") \
        .replace("    frequency_cap: 1\n", "    frequency: 每年不少于1次\n", 1)
    assert runner.invoke(args=["load-catalogue", str(write(tmp_path, text))]).exit_code == 0
    refresh_alerts(db_session, today=dt.date(2026, 12, 2), since=dt.date(2025, 1, 1))
    alerts = db_session.scalars(select(Alert).where(Alert.rule == "missed_runs")).all()
    assert [a.key.split(":")[1] for a in alerts] == ["SC-901"]
    assert alerts[0].evidence == {"item": "SC-901", "from": "2025-01-01", "to": "2025-12-31", "runs": 0,
                                  "required": 1, "words": "每年不少于1次"}
    assert "2025年事项 SC-901「测试食品生产检查」开展 0 次，少于清单规定的每年不少于1次" in alerts[0].title
    page = client.get("/catalogue/SC-901").get_data(as_text=True)
    assert "每年不少于1次" in page and "部门每年开展不少于 1 次" in page


def test_leniency_entries_cover_the_same_point_in_a_new_version(runner, tmp_path, db_session):
    listed = runner.invoke(args=["leniency", "load", str(LENIENCY_DIR / "market.yaml")])
    assert listed.exit_code == 0, listed.output
    document = exported(runner, tmp_path)
    document["version"] = "2026.11"
    publish(runner, tmp_path, document, "again.yaml")
    db_session.expire_all()
    item = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                         CatalogueItem.status == "published"))
    assert item.version == "2026.11"
    point = item.points[1]
    found = entries_for(db_session, item.department_id, [point.id], dt.date(2026, 12, 2))
    assert found[point.id] and all(e.point.text == point.text and e.point_id != point.id for e in found[point.id])


def test_a_version_published_ahead_of_its_date_leaves_the_current_one_in_force(client, login, runner, tmp_path,
                                                                               db_session):
    document = exported(runner, tmp_path)
    document["version"], document["effective_from"] = "2027.1", "2027-01-01"
    item = item_of(document, "SC-001")
    item["effective_from"] = "2027-01-01"
    item["name"] = "食品生产企业监督检查（2027年版）"
    publish(runner, tmp_path, document, "next-year.yaml")
    login("market")

    def plan(start, end):
        return client.post("/api/v1/plans", json={"title": "食品生产抽查", "period_start": start, "period_end": end,
                                                  "items": ["SC-001"], "ratios": {c: 0.1 for c in "ABCD"}})

    now = plan("2026-12-07", "2026-12-18")
    assert now.status_code == 201, now.get_json()
    assert now.get_json()["items"][0]["name"] == "食品生产企业监督检查"
    later = plan("2027-02-01", "2027-02-26")
    assert later.status_code == 201 and later.get_json()["items"][0]["version"] == "2027.1"
    assert client.post(f"/api/v1/plans/{now.get_json()['id']}/file").status_code == 200


def test_each_department_is_told_of_its_plans_that_a_removal_ends(client, login, runner, tmp_path, db_session):
    login("market")
    ended = filed_plan(client, ["SC-002"])
    kept = filed_plan(client, ["SC-001"])
    client.delete("/api/v1/session")
    document = exported(runner, tmp_path)
    document["version"] = "2026.12"
    document["items"] = [i for i in document["items"] if i["code"] != "SC-002"]
    publish(runner, tmp_path, document, "removed.yaml")
    db_session.expire_all()
    notices = db_session.scalars(select(Notice).where(Notice.kind == "plan_ended").order_by(Notice.id)).all()
    accounts = {u.username for u in db_session.scalars(select(User).where(User.id.in_([n.user_id for n in notices])))}
    assert accounts == {"market", "market-head"}
    assert {n.link for n in notices} == {f"/plans/{ended}"} and f"/plans/{kept}" not in {n.link for n in notices}
    notice = notices[0]
    assert notice.subject == "计划终止：在办计划"
    assert "已终止（取消任务 0 项）" in notice.body
    assert "检查事项清单 2026.12 版已删除事项 SC-002" in notice.body and "清单之外无检查" in notice.body
    # The department reads it on its notices page; oversight has its alert beside it.
    login("market")
    page = client.get("/notices").get_data(as_text=True)
    assert "计划终止：在办计划" in page
    assert db_session.scalar(select(Alert).where(Alert.rule == "item_removed", Alert.key.like(f"item_removed:{ended}:%")))
    # Publishing again notifies no one twice.
    before = db_session.scalar(select(func.count()).select_from(Notice))
    publish(runner, tmp_path, document, "removed.yaml")
    assert db_session.scalar(select(func.count()).select_from(Notice)) == before


def test_a_point_says_which_earlier_point_it_continues(runner, tmp_path, db_session, client, counts):
    # The market's shipped leniency list, written against the checklist in force.
    loaded = runner.invoke(args=["leniency", "load", str(Path(inspection.__file__).parent / "data/leniency/market.yaml")])
    assert loaded.exit_code == 0, loaded.output
    document = exported(runner, tmp_path)
    document["version"] = "2026.13"
    item = item_of(document, "SC-003")
    old = [p["text"] for p in item["checklist"]]
    # Point 2 reworded (named by position), point 4 reworded (named by its earlier text, with the Chinese key),
    # point 5 dropped, a new point added.
    item["checklist"][1] = {**item["checklist"][1], "text": "从事接触直接入口食品工作的从业人员是否取得有效健康证明并每年体检",
                            "replaces": 2}
    item["checklist"][3] = {**item["checklist"][3], "text": "餐具饮具是否按规定清洗消毒、保洁，消毒记录是否完整",
                            "原要点": old[3]}
    item["checklist"][4] = {"text": "是否公示食品安全量化分级等级", "legal_basis": "《中华人民共和国食品安全法》第一百一十条",
                            "verify": "现场查看公示牌"}
    publish(runner, tmp_path, document, "reworded.yaml")
    db_session.expire_all()
    version = db_session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == "2026.13"))
    mapping = next(c for c in version.changes["changed"] if c["code"] == "SC-003")["point_map"]
    assert [(m["from"], m["to"]) for m in mapping["points"]] == [(1, 1), (2, 2), (3, 3), (4, 4), (5, None)]
    assert mapping["added"] == [5]
    row = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == "SC-003",
                                                        CatalogueItem.version == "2026.13"))
    assert row.points[1].replaces == "2" and row.points[3].replaces == old[3] and row.points[0].replaces is None
    assert "检查要点" in client.get("/catalogue").get_data(as_text=True)
    # The leniency list's entries written against the earlier points 2 and 4 (不予处罚, 从轻, 从重) cover the
    # reworded points that continue them; the new point has none.
    covered = entries_for(db_session, row.department_id, [p.id for p in row.points], clock.today())
    assert {p.position for p in row.points if covered.get(p.id)} == {2, 3, 4}
    assert {e.treatment for e in covered[row.points[1].id]} == {"no_penalty"}

    # A replaces that names no earlier point is refused, naming the line; nothing is written.
    bad = exported(runner, tmp_path)
    bad["version"] = "2026.14"
    wrong = item_of(bad, "SC-003")
    wrong["checklist"][0] = {**wrong["checklist"][0], "text": "是否持证经营", "replaces": 9}
    wrong["checklist"][2] = {**wrong["checklist"][2], "text": "原料控制是否到位", "原要点": "没有这一条检查要点"}
    new_item = {**item_of(bad, "SC-001"), "code": "SC-099", "name": "新增检查事项"}
    new_item["checklist"] = [{**new_item["checklist"][0], "replaces": 1}]
    bad["items"].append(new_item)
    text = yaml.safe_dump(bad, allow_unicode=True, sort_keys=False)
    before = counts()
    result = runner.invoke(args=["load-catalogue", str(write(tmp_path, text, "bad-replaces.yaml"))])
    assert result.exit_code == 1
    lines = text.splitlines()
    nine = next(n + 1 for n, line in enumerate(lines) if line.strip() == "replaces: 9")
    missing = next(n + 1 for n, line in enumerate(lines) if "原要点: 没有这一条检查要点" in line)
    assert (f"bad-replaces.yaml:{nine} 事项 SC-003 字段 checklist[0].replaces：事项 SC-003 的上一版（2026.13 版）"
            "没有检查要点第 9 项") in result.output
    assert f"bad-replaces.yaml:{missing} 事项 SC-003 字段 checklist[2].replaces：" in result.output
    assert "没有检查要点「没有这一条检查要点」" in result.output
    assert "事项 SC-099 在现行清单中没有上一版" in result.output
    assert counts() == before
    assert db_session.scalar(select(CatalogueVersion).where(CatalogueVersion.version == "2026.14")) is None
