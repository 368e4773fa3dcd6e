"""综合查一次: drawn plans of several departments become combined visits that obey every rule."""
import datetime as dt
import hmac
import json
import re
from collections import Counter

import pytest

from tests.approvals import approve
from tests.leads import recorded_lead

PERIOD = {"period_start": "2026-04-01", "period_end": "2026-04-30"}


def independent_check(instance: dict, solution: dict) -> list[str]:
    """The rules of docs/protocols/schedule-exchange.md, re-written here from the text alone."""
    problems = []
    days = set(instance["days"])
    firms = {f["id"]: f for f in instance["firms"]}
    officers = {o["id"]: o for o in instance["officers"]}
    tasks = {t["id"]: t for t in instance["tasks"]}
    placed = Counter(t for v in solution["visits"] for t in v["tasks"])
    left = {u["task"] for u in solution["unscheduled"] if u["reason"]}
    for task_id, task in tasks.items():
        if task["on_site"] and placed[task_id] + (task_id in left) != 1:
            problems.append(f"{task_id} not exactly once")
        if not task["on_site"] and placed[task_id]:
            problems.append(f"off-site {task_id} in a visit")
    load = Counter()
    per_firm = Counter()
    for v in solution["visits"]:
        firm = firms[v["firm"]]
        per_firm[v["firm"]] += 1
        if v["day"] not in days or v["day"] in firm["closed_days"]:
            problems.append(f"visit {v['firm']} {v['day']}: day not allowed")
        for task_id in v["tasks"]:
            t = tasks[task_id]
            if not t["window"][0] <= v["day"] <= t["window"][1] or t["firm"] != v["firm"]:
                problems.append(f"{task_id} outside its window or firm")
            team = [officers[o] for o in v["officers"].get(t["department"], [])]
            good = [o for o in team if o["department"] == t["department"] and v["day"] in o["days"]
                    and (not o["districts"] or firm["district"] in o["districts"])
                    and (not t["qualification"] or t["qualification"] in o["qualifications"])]
            if len(good) < t["officers_needed"]:
                problems.append(f"{task_id} understaffed")
        for team in v["officers"].values():
            for officer_id in team:
                load[(officer_id, v["day"])] += 1
    problems += [f"{o} over capacity on {d}" for (o, d), n in load.items() if n > officers[o]["capacity"]]
    problems += [f"{f} over max_visits" for f, n in per_firm.items() if n > firms[f]["max_visits"]]
    pairs = Counter((v["firm"], v["day"]) for v in solution["visits"])
    problems += [f"two visits {k}" for k, n in pairs.items() if n > 1]
    return problems


@pytest.fixture
def joint_plans(client, login):
    """A market and a fire plan drawn together in one campaign; returns their ids."""
    login("market")
    campaign = client.post("/api/v1/campaigns", json={"title": "四月联合抽查", **PERIOD}).get_json()
    common = {**PERIOD, "ratios": {"A": 0.2, "B": 0.3, "C": 0.5, "D": 0.6}, "campaign": campaign["id"],
              "target_industries": ["餐饮服务", "住宿", "娱乐场所", "食品销售"]}
    market = client.post("/api/v1/plans", json={**common, "title": "市场监管部分", "items": ["SC-003"]}).get_json()
    assert client.post(f"/api/v1/plans/{market['id']}/file").status_code == 200
    approve(client, market["id"])
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防部分", "items": ["XF-002"]}).get_json()
    assert client.post(f"/api/v1/plans/{fire['id']}/file").status_code == 200
    approve(client, fire["id"])
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/draw").status_code == 200
    return market["id"], fire["id"]


def test_build_combines_departments_and_obeys_every_rule(client, joint_plans, db_session):
    market_id, fire_id = joint_plans
    response = client.post(f"/api/v1/plans/{fire_id}/schedule")
    assert response.status_code == 202
    run = client.get(f"/api/v1/schedule-runs/{response.get_json()['id']}").get_json()
    assert run["status"] == "done" and run["progress"] == 1.0
    assert sorted(run["plans"]) == sorted([market_id, fire_id])
    stats = run["stats"]
    assert stats["check"] == []
    assert stats["joint_visits"] > 0
    assert stats["visits"] >= stats["lower_bound"]
    assert stats["visits"] < stats["separate_visits"]  # combined: fewer entries than each department alone
    baseline = stats["by_department"]  # each department alone, and the built visits shared out (1/k a joint visit)
    assert set(baseline) == {"market", "fire"}
    assert sum(d["alone"] for d in baseline.values()) == stats["separate_visits"]
    assert abs(sum(d["shared"] for d in baseline.values()) - stats["visits"]) < 1e-6
    assert all(0 < d["joint"] <= d["alone"] for d in baseline.values())
    visits = client.get(f"/api/v1/plans/{fire_id}/visits").get_json()
    for visit in visits:
        departments = {t["department"] for t in visit["tasks"]}
        staffed = Counter(o["department"] for o in visit["officers"])
        assert all(staffed[d] >= 2 for d in departments), visit
        assert visit["joint"] == (len(departments) > 1)
        assert dt.date.fromisoformat(visit["day"]).weekday() < 5
    firm_days = Counter(v["firm"] for v in visits)
    assert max(firm_days.values()) == 1  # 综合查一次: one entry per firm in the horizon


def test_teams_follow_the_published_officer_ranking(client, joint_plans, db_session):
    market_id, fire_id = joint_plans
    client.post(f"/api/v1/plans/{fire_id}/schedule")
    record = client.get(f"/api/v1/public/plans/{fire_id}/draw").get_json()
    seed = bytes.fromhex(record["seed"])
    visit = next(v for v in client.get(f"/api/v1/plans/{fire_id}/visits").get_json())
    ranking = [r for r in client.get(f"/api/v1/visits/{visit['id']}/ranking").get_json() if r["department"] == "fire"]
    keys = [hmac.new(seed, f"officer:{visit['firm']}:{r['certificate_no']}".encode(), "sha256").hexdigest()
            for r in ranking]
    assert keys == [r["key"] for r in ranking] and keys == sorted(keys)
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    chosen = [r for r in ranking if r["chosen"]]
    assert {r["certificate_no"] for r in chosen} == {o["certificate_no"] for o in visit["officers"]
                                                    if o["department"] == "fire"}
    assert all(r["reason"] for r in ranking if not r["chosen"])
    if all(r["reason"] != "schedule" for r in ranking):
        # Nobody eligible and free was passed over for someone ranked lower.
        last_chosen = max(r["rank"] for r in chosen)
        assert all(r["reason"] in ("certificate", "unavailable", "district", "qualification", "capacity")
                   for r in ranking if not r["chosen"] and r["rank"] < last_chosen)


def test_lock_move_rebuild_and_confirm(client, joint_plans, login):
    market_id, fire_id = joint_plans
    client.post(f"/api/v1/plans/{fire_id}/schedule")
    visits = client.get(f"/api/v1/plans/{fire_id}/visits").get_json()
    target = next(v for v in visits if v["day"] != "2026-04-29")
    moved = client.post(f"/api/v1/visits/{target['id']}/move", json={"day": "2026-04-29"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["locked"] is True and moved.get_json()["officers"] == []
    assert client.post(f"/api/v1/visits/{target['id']}/move", json={"day": "2026-04-04"}).status_code == 422
    assert client.post(f"/api/v1/plans/{fire_id}/confirm").status_code == 409  # the moved visit has no team yet
    before = {v["firm"]: v["day"] for v in visits}
    client.post(f"/api/v1/plans/{fire_id}/schedule")
    after = {v["firm"]: v for v in client.get(f"/api/v1/plans/{fire_id}/visits").get_json()}
    assert after[target["firm"]]["day"] == "2026-04-29" and after[target["firm"]]["locked"]
    assert after[target["firm"]]["officers"]
    confirmed = client.post(f"/api/v1/plans/{fire_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "scheduled"
    statuses = Counter(v["status"] for v in client.get(f"/api/v1/plans/{fire_id}/visits").get_json())
    assert statuses["proposed"] > 0  # joint visits wait for the market department
    client.delete("/api/v1/session")
    login("market")
    assert client.post(f"/api/v1/plans/{market_id}/confirm").status_code == 200
    assert {v["status"] for v in client.get(f"/api/v1/plans/{market_id}/visits").get_json()} == {"confirmed"}
    joint = next(v for v in client.get(f"/api/v1/plans/{market_id}/visits").get_json() if v["joint"])
    refused = client.post(f"/api/v1/visits/{joint['id']}/lock", json={"locked": False})
    assert refused.status_code == 409 and "已确认" in refused.get_json()["message"]
    assert len(before) == len(after)
    moved_firms = sum(after[firm]["day"] != day for firm, day in before.items() if firm != target["firm"])
    assert moved_firms == 0  # a rebuild moves nothing that it need not move


def test_other_departments_cannot_touch_a_visit(client, joint_plans, login):
    market_id, fire_id = joint_plans
    client.post(f"/api/v1/plans/{fire_id}/schedule")
    visit = client.get(f"/api/v1/plans/{fire_id}/visits").get_json()[0]
    client.delete("/api/v1/session")
    login("ecology")
    assert client.post(f"/api/v1/visits/{visit['id']}/lock", json={}).status_code == 404
    assert client.post(f"/api/v1/plans/{fire_id}/schedule").status_code == 404


def test_unschedulable_tasks_get_reasons(client, login, db_session):
    login("market")
    plan = client.post("/api/v1/plans", json={**PERIOD, "title": "特种设备专项", "items": ["SC-004"],
                                              "lead": recorded_lead(db_session), "officers_needed": 10,
                                              "ratios": {"D": 1.0}}).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/file")
    approve(client, plan["id"])
    client.post(f"/api/v1/plans/{plan['id']}/draw")
    run = client.post(f"/api/v1/plans/{plan['id']}/schedule").get_json()
    assert run["unscheduled"], run["message"]
    assert all(item["reason"] for item in run["unscheduled"])
    assert all(re.search("[\u4e00-\u9fff]", item["reason"]) and "department" not in item["reason"]
               for item in run["unscheduled"]), run["unscheduled"][:3]
    assert run["stats"]["check"] == []
    # No team of ten exists: every task is left out on its own, so the schedule is proven best, and the page
    # says so with the solver's figures for the period.
    stats = run["stats"]
    assert stats["unscheduled"] == stats["unscheduled_lower_bound"] == stats["unscheduled_forced"] > 0
    quality = _quality_line(client.get(f"/plans/{plan['id']}/schedule").get_data(as_text=True))
    n = stats["unscheduled"]
    assert quality == ("求解结果（同期各部门合计）：已证明最优：已锁定、已确认的入企不变时，没有哪种排程能让未排定的任务或入企次数更少。"
                       f"未排定{n}项，任何排程至少有{n}项排不下（其中{n}项本身无法排定）。")


def _quality_line(html: str) -> str:
    match = re.search(r'<div class="small" id="run-quality">(.*?)</div>', html, re.S)
    assert match, "the schedule page says nothing of what the solver proved"
    return re.sub(r"\s+", "", match.group(1))     # the figures' spaces too


def test_the_schedule_page_says_what_the_solver_proved(client, joint_plans, db_session):
    """The page gives the period's build as the solver proved it: which objectives no schedule betters, how many
    tasks any schedule must leave out, and whose officers the joint bound weighed together."""
    from inspection.models import ScheduleRun

    _, fire_id = joint_plans
    run_id = client.post(f"/api/v1/plans/{fire_id}/schedule").get_json()["id"]
    run = db_session.get(ScheduleRun, run_id)
    shown = {"optimal_objectives": ["unscheduled"], "unscheduled": 3, "unscheduled_lower_bound": 3,
             "unscheduled_forced": 0, "visits": 41, "unscheduled_joint_departments": ["market", "fire"]}
    for stats, expected in (
            (shown, "已证明未排定的任务最少（已锁定、已确认的入企不变时）；入企41次尚未证明最少。未排定3项，任何排程至少有3项排不下；"
                    "这一下界合并计算了市场监管、消防救援的人手。"),
            ({**shown, "optimal_objectives": [], "unscheduled": 5, "unscheduled_joint_departments": []},
             "可行排程，尚未证明最优。未排定5项，任何排程至少有3项排不下。"),
            ({**shown, "optimal_objectives": ["unscheduled", "visits"], "unscheduled": 0,
              "unscheduled_lower_bound": 0}, "已证明最优：已锁定、已确认的入企不变时，没有哪种排程能让未排定的任务或入企次数更少。")):
        run.stats = {**run.stats, **stats}
        db_session.commit()
        html = client.get(f"/plans/{fire_id}/schedule").get_data(as_text=True)
        assert _quality_line(html) == "求解结果（同期各部门合计）：" + expected


def test_schedule_solve_command_on_a_file(runner, tmp_path):
    instance = {
        "days": ["2026-03-02", "2026-03-03", "2026-03-04"],
        "firms": [{"id": "F1", "district": "d1", "max_visits": 1, "closed_days": ["2026-03-02"]},
                  {"id": "F2", "district": "d2", "max_visits": 1, "closed_days": []}],
        "officers": [{"id": f"m{i}", "department": "market", "days": ["2026-03-02", "2026-03-03", "2026-03-04"],
                      "capacity": 1, "districts": ["d1", "d2"], "qualifications": []} for i in range(2)]
        + [{"id": f"f{i}", "department": "fire", "days": ["2026-03-03", "2026-03-04"], "capacity": 2,
            "districts": None, "qualifications": ["消防监督检查"]} for i in range(2)],
        "tasks": [{"id": "t1", "department": "market", "firm": "F1", "window": ["2026-03-02", "2026-03-04"],
                   "on_site": True, "officers_needed": 2, "qualification": None},
                  {"id": "t2", "department": "fire", "firm": "F1", "window": ["2026-03-02", "2026-03-03"],
                   "on_site": True, "officers_needed": 2, "qualification": "消防监督检查"},
                  {"id": "t3", "department": "market", "firm": "F2", "window": ["2026-03-03", "2026-03-04"],
                   "on_site": True, "officers_needed": 2, "qualification": None},
                  {"id": "t4", "department": "fire", "firm": "F2", "window": ["2026-03-02", "2026-03-02"],
                   "on_site": True, "officers_needed": 2, "qualification": None},
                  {"id": "t5", "department": "market", "firm": "F2", "window": ["2026-03-02", "2026-03-04"],
                   "on_site": False, "officers_needed": 2, "qualification": None}]}
    path, out = tmp_path / "instance.json", tmp_path / "solution.json"
    path.write_text(json.dumps(instance, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["schedule", "solve", str(path), "--out", str(out), "--time-limit", "5",
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    solution = json.loads(out.read_text(encoding="utf-8"))
    assert independent_check(instance, solution) == []
    placed = {t: v for v in solution["visits"] for t in v["tasks"]}
    assert placed["t1"]["day"] == placed["t2"]["day"] == "2026-03-03"  # combined on the one day both can
    assert {u["task"] for u in solution["unscheduled"]} == {"t4"}  # fire works neither F2's only day
    assert solution["stats"]["lower_bound"] <= solution["stats"]["visits"] == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"days": []', encoding="utf-8")
    result = runner.invoke(args=["schedule", "solve", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and "不符合交换格式" in result.output


def test_schedule_build_command(runner, client, joint_plans):
    market_id, _ = joint_plans
    result = runner.invoke(args=["schedule", "build", str(market_id), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "已排定" in result.output and "联合检查" in result.output


def test_a_later_plan_joins_the_visits_already_proposed(client, login):
    common = {**PERIOD, "ratios": {"A": 0.6, "B": 0.6, "C": 0.6, "D": 0.6}, "target_industries": ["餐饮服务", "住宿"]}
    login("market")
    market = client.post("/api/v1/plans", json={**common, "title": "市场监管", "items": ["SC-003"]}).get_json()
    for action in ("file", "draw", "schedule"):
        if action == "draw":
            approve(client, market["id"])
        client.post(f"/api/v1/plans/{market['id']}/{action}")
    before = {v["firm"]: v["day"] for v in client.get(f"/api/v1/plans/{market['id']}/visits").get_json()}
    client.delete("/api/v1/session")
    login("fire")
    fire = client.post("/api/v1/plans", json={**common, "title": "消防", "items": ["XF-002"]}).get_json()
    for action in ("file", "draw"):
        if action == "draw":
            approve(client, fire["id"])
        client.post(f"/api/v1/plans/{fire['id']}/{action}")
    run = client.post(f"/api/v1/plans/{fire['id']}/schedule").get_json()
    assert run["stats"]["check"] == [] and run["stats"]["moved"] == 0 and run["stats"]["kept"] == len(before)
    joined = [v for v in client.get(f"/api/v1/plans/{fire['id']}/visits").get_json() if v["joint"]]
    assert joined and all(before[v["firm"]] == v["day"] for v in joined)
    client.delete("/api/v1/session")
    login("market")
    after = {v["firm"]: v["day"] for v in client.get(f"/api/v1/plans/{market['id']}/visits").get_json()}
    assert after == before


def test_a_rebuild_keeps_a_locked_visit_beside_a_moved_one(client, joint_plans):
    """Locking one visit and moving another, then rebuilding, staffs both and lets the plan be confirmed."""
    _, fire_id = joint_plans
    client.post(f"/api/v1/plans/{fire_id}/schedule")
    visits = client.get(f"/api/v1/plans/{fire_id}/visits").get_json()
    kept = next(v for v in visits if v["officers"])
    target = next(v for v in visits if v["id"] != kept["id"] and v["day"] != "2026-04-29")
    assert client.post(f"/api/v1/visits/{kept['id']}/lock", json={"locked": True}).status_code == 200
    assert client.post(f"/api/v1/visits/{target['id']}/move", json={"day": "2026-04-29"}).status_code == 200
    rebuilt = client.post(f"/api/v1/plans/{fire_id}/schedule")
    assert rebuilt.get_json()["status"] == "done", rebuilt.get_json()
    after = {v["id"]: v for v in client.get(f"/api/v1/plans/{fire_id}/visits").get_json()}
    assert after[kept["id"]]["locked"] and after[kept["id"]]["day"] == kept["day"] and after[kept["id"]]["officers"]
    assert after[target["id"]]["day"] == "2026-04-29" and after[target["id"]]["officers"]
    assert client.post(f"/api/v1/plans/{fire_id}/confirm").status_code == 200
