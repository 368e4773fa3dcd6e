"""The city's rules and the leniency lists in forms: the owners' pages refuse bad input naming the field
with nothing written, record who changed what, and later checks follow what was saved."""
import datetime as dt
import html as html_text
import re

from sqlalchemy import func, select

from core import clock
from inspection.models import CityRule, Event, LeniencyList, QuietPeriod
from tests.approvals import drawn_plan
from tests.at_the_door import as_user


def events(db_session, kind):
    db_session.expire_all()
    return db_session.scalars(select(Event).where(Event.kind == kind).order_by(Event.seq)).all()


def page(response):
    return response.get_data(as_text=True)


def test_working_hours_set_in_the_form_bind_the_next_scan_in(client, login, visit_today, db_session):
    v = visit_today
    as_user(client, login, "admin")
    assert "工作日 07:00–21:00" in page(client.get("/rules"))
    before = len(events(db_session, "city.rules_changed"))
    for fields, words in (({"hours_start": "25:00"}, "受理入企时段的开始时间 25:00 不是有效的时刻"),
                          ({"hours_start": "7点"}, "开始时间应为 HH:MM 格式"),
                          ({"hours_start": "18:00", "hours_end": "08:00"}, "结束时间应晚于开始时间"),
                          ({"quiet_period_max_days": "三十"}, "企业宁静期最多天数：企业宁静期最多天数应为整数"),
                          ({"min_visit_minutes": "0"}, "入企检查最短分钟数应在 1 至 480 之间")):
        form = {"hours_start": "07:00", "hours_end": "21:00", "quiet_period_max_days": "30", "min_visit_minutes": "10",
                **fields}
        refused = client.post("/rules/city", data=form)
        assert refused.status_code == 422 and words in page(refused) and "未作任何更改" in page(refused)
        db_session.expire_all()
        assert db_session.scalar(select(func.count()).select_from(CityRule)) == 0
    assert len(events(db_session, "city.rules_changed")) == before
    # Hours that leave the present moment out: the next scan is refused and says the new hours.
    now = clock.local_now()
    hours = ("07:00", "08:00") if now.hour >= 9 else ("16:00", "20:00")
    saved = client.post("/rules/city", data={"hours_start": hours[0], "hours_end": hours[1],
                                             "quiet_period_max_days": "30", "min_visit_minutes": "10"},
                        follow_redirects=True)
    assert saved.status_code == 200 and f"{hours[0]}–{hours[1]}" in page(saved) and "平台设定" in page(saved)
    [event] = events(db_session, "city.rules_changed")[before:]
    assert event.actor == "user:admin" and event.payload == {"working_hours": [["07:00", "21:00"], list(hours)]}
    as_user(client, login, "oversight")
    assert client.post("/rules/city", data={"hours_start": "07:00", "hours_end": "21:00"}).status_code == 403
    as_user(client, login, v["users"][0])
    scan = client.post("/api/v1/scans", json={"token": v["token"]})
    assert scan.status_code == 422 and f"{hours[0]}–{hours[1]}" in scan.get_json()["message"]
    # Back to the file's hours: the same scan goes through.
    as_user(client, login, "admin")
    client.post("/rules/city", data={"hours_start": "07:00", "hours_end": "21:00", "quiet_period_max_days": "30",
                                     "min_visit_minutes": "10"})
    as_user(client, login, v["users"][0])
    assert client.post("/api/v1/scans", json={"token": v["token"]}).status_code in (200, 201)


def test_quiet_periods_in_the_form_follow_the_city_limit_set_in_the_form(client, login, make_firm, db_session):
    firm = make_firm(district_code="370502")
    db_session.commit()
    start = clock.today() + dt.timedelta(days=30)
    as_user(client, login, "admin")
    client.post("/rules/city", data={"hours_start": "07:00", "hours_end": "21:00", "quiet_period_max_days": "5",
                                     "min_visit_minutes": "10"})
    as_user(client, login, "market")
    assert "企业宁静期最多天数" in page(client.get("/rules"))
    count = db_session.scalar(select(func.count()).select_from(QuietPeriod))
    for fields, words in (({"end": (start + dt.timedelta(days=7)).isoformat()}, "企业宁静期不得超过 5 天"),
                          ({"start": "2026-13-01"}, "开始日期：日期格式应为 YYYY-MM-DD"),
                          ({"firm": "91370500MA0000000X"}, "没有代码为 91370500MA0000000X 的企业"),
                          ({"reason": ""}, "理由：")):
        form = {"firm": firm.uscc, "start": start.isoformat(), "end": (start + dt.timedelta(days=4)).isoformat(),
                "reason": "企业生产旺季", **fields}
        refused = client.post("/rules/quiet-periods", data=form)
        assert refused.status_code in (404, 422) and words in page(refused), page(refused)
        db_session.expire_all()
        assert db_session.scalar(select(func.count()).select_from(QuietPeriod)) == count
    saved = client.post("/rules/quiet-periods", data={"firm": firm.uscc, "start": start.isoformat(),
                                                      "end": (start + dt.timedelta(days=4)).isoformat(),
                                                      "reason": "企业生产旺季"}, follow_redirects=True)
    assert saved.status_code == 200 and firm.name in page(saved) and "东营市市场监督管理局" in page(saved)
    [event] = events(db_session, "quiet_period.declared")[-1:]
    assert event.actor == "user:market" and event.payload["firm"] == firm.uscc
    periods = client.get("/api/v1/quiet-periods").get_json()
    assert any(p["start"] == start.isoformat() and p["department"] is not None for p in periods)


def test_yearly_cap_set_in_the_form_excludes_firms_from_the_next_draw(client, login, db_session):
    as_user(client, login, "market")
    for typed, words in (("十三", "年度检查次数上限应为 1 至 12 的整数"), ("13", "年度检查次数上限应在 1 至 12 之间")):
        refused = client.post("/rules/yearly-cap", data={"yearly_cap": typed})
        assert refused.status_code == 422 and words in page(refused)
    saved = client.post("/rules/yearly-cap", data={"yearly_cap": "1"}, follow_redirects=True)
    assert "未设 → 1" in page(saved) or "→ 1" in page(saved)
    [event] = events(db_session, "department.yearly_cap")[-1:]
    assert event.actor == "user:market" and event.payload == {"yearly_cap": [None, 1]}
    _, first = drawn_plan(client, items=["SC-002"], target_industries=["餐饮服务", "食品销售"])
    _, second = drawn_plan(client, items=["SC-003"], period_start="2026-06-01", period_end="2026-06-30",
                           target_industries=["餐饮服务", "食品销售"])
    assert {e["uscc"] for e in second["excluded"] if e["reason"] == "department_cap"} >= set(first["selected"]) - \
        {e["uscc"] for e in second["pool"]}
    assert any(e["reason"] == "department_cap" for e in second["excluded"])
    client.post("/rules/yearly-cap", data={"yearly_cap": ""})
    as_user(client, login, "inspector1")
    assert client.get("/rules").status_code == 403


def _form_of(html: str) -> dict:
    """The leniency form's fields as the page fills them (inputs, text areas, selected options, checked boxes)."""
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token" or "type=\"checkbox\"" in tag and "checked" not in tag:
            continue
        data.setdefault(name.group(1), []).append(value.group(1) if value else "")
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        if body:
            data[name] = [body]
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        data[name] = [chosen.group(1)]
    return {k: [html_text.unescape(v) for v in vs] for k, vs in data.items()}


def test_the_leniency_list_in_a_form_is_checked_as_a_file_and_published(client, login, db_session):
    as_user(client, login, "market")
    empty = _form_of(page(client.get("/leniency/form")))
    assert empty["count"] == ["2"] and empty["version"] == [""]
    first = {**empty, "version": ["F-1"], "title": ["测试清单"], "effective_from": ["2026-01-01"],
             "e0_treatment": ["no_penalty"], "e0_item": ["SC-003"], "e0_point": ["2"],
             "e0_conditions": ["first_offence", "no_harm", "corrected"], "e0_penalty_basis": ["《中华人民共和国行政处罚法》第三十三条"],
             "e0_guidance": ["责令改正"],
             "e1_treatment": ["lighter"], "e1_offence": ["未按规定查验进货票证"], "e1_penalty_basis": ["《中华人民共和国食品安全法》第一百二十六条"],
             "e1_conditions": ["corrected"], "e1_fine_min": ["5000"], "e1_fine_max": ["20000"]}
    lists = db_session.scalar(select(func.count()).select_from(LeniencyList))
    # No version, a point that is no number, an item of another department: all listed, nothing written.
    bad = {**first, "version": [""], "e0_point": ["第二项"], "e1_item": ["XF-002"], "e1_point": ["1"]}
    refused = client.post("/leniency/form", data=bad)
    text = page(refused)
    assert refused.status_code == 422 and "未作任何更改" in text
    assert "版本号" in text and "第 1 条·检查要点" in text and "第 2 条·检查事项" in text
    assert ">未按规定查验进货票证</textarea>" in text     # the form comes back as typed
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(LeniencyList)) == lists
    assert client.post("/leniency/form", data=first, follow_redirects=True).status_code == 200
    # The form now starts from the list in force: one entry rewritten, one removed, one added in a blank row.
    form = _form_of(page(client.get("/leniency/form")))
    assert form["count"] == ["4"] and form["e1_offence"] == ["未按规定查验进货票证"] and form["e1_fine_max"] == ["20000"]
    good = {**form, "version": ["F-2"], "e0_guidance": ["责令改正，当场说明"], "e1_remove": ["1"],
            "e2_treatment": ["no_penalty"], "e2_offence": ["未在显著位置公示营业执照"],
            "e2_penalty_basis": ["《市场主体登记管理条例》第四十九条"], "e2_conditions": ["first_offence", "corrected"]}
    published = client.post("/leniency/form", data=good, follow_redirects=True)
    assert published.status_code == 200 and "版本 F-2已发布" in page(published)
    assert "责令改正，当场说明" in page(published) and "未在显著位置公示营业执照" in page(published)
    db_session.expire_all()
    rows = {row.version: row for row in db_session.scalars(select(LeniencyList))}
    assert rows["F-1"].status == "superseded" and rows["F-2"].status == "published" and len(rows["F-2"].entries) == 2
    [event] = events(db_session, "leniency.published")[-1:]
    assert event.actor == "user:market" and event.payload["superseded"] == ["F-1"]
    assert event.payload["changes"] == {"added": ["不予处罚：未在显著位置公示营业执照"],
                                        "removed": ["从轻处罚：未按规定查验进货票证"],
                                        "rewritten": ["不予处罚：SC-003 第 2 项"]}
    # The list in force for later checks is the new one.
    public = client.get(f"/api/v1/public/leniency-lists/{rows['F-2'].id}").get_json()
    assert public["entries"][0]["guidance"] == "责令改正，当场说明"
    # The same version with other content is refused, naming the field.
    again = client.post("/leniency/form", data={**good, "e0_guidance": ["另写"]})
    assert again.status_code == 409 and "版本号" in page(again) and "已经发布" in page(again)
    as_user(client, login, "oversight")
    assert client.get("/leniency/form").status_code == 403
