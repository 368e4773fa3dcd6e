"""Oversight's KPIs and dashboard: counted from the records, every number leading to its visits."""
import datetime as dt
import io

import openpyxl
from sqlalchemy import select

from inspection.models import Evaluation, ItemOutcome, ScheduleRun, User
from inspection.queries.kpis import (
    Scope,
    average_evaluation,
    department_figures,
    entries_by_department,
    entries_per_firm,
    joint_share,
    monthly_entries,
    publication_rate,
    year_before,
)
from tests.at_the_door import join_visit


def test_figures(db_session, make_firm, entered):
    a, b, c, x = make_firm(credit_class="A"), make_firm(credit_class="D"), make_firm(credit_class="D"), make_firm()
    joint = entered(a, department="market", day=dt.date(2026, 3, 3))
    fire_visit = entered(x, department="fire", item="XF-002", day=dt.date(2026, 3, 10))
    join_visit(db_session, joint, fire_visit.tasks[0].plan)  # fire joins a's visit, and enters with it
    entered(b, department="fire", item="XF-002", day=dt.date(2026, 3, 20))
    entered(b, department="fire", item="XF-002", day=dt.date(2026, 7, 1))
    entered(c, department="health", item="WJ-001", day=dt.date(2025, 3, 5))  # last year
    db_session.commit()
    scope = Scope(2026)
    months = monthly_entries(db_session, scope)
    assert months[2] == 3 and months[6] == 1 and sum(months) == 4
    assert monthly_entries(db_session, Scope(2025))[2] == 1
    assert {code: n for code, _, n in entries_by_department(db_session, scope)} == {"fire": 4, "market": 1}
    assert monthly_entries(db_session, Scope(2026, department="fire")) == [0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert monthly_entries(db_session, Scope(2026, department="market")) == [0, 0, 1] + [0] * 9
    assert joint_share(db_session, scope) == (1, 4)  # a joint visit counts once for the city
    histogram = entries_per_firm(db_session, Scope(2026, district="370502"))
    assert histogram["D"]["2"] == 1 and histogram["A"]["1"] >= 1


def test_publication_and_evaluation(db_session, make_firm, entered):
    visit = entered(make_firm(), day=dt.date(2026, 4, 7))
    task = visit.tasks[0]
    db_session.add_all([
        ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=task.plan.items[0].id, outcome="no_problem",
                    recorded_at=dt.datetime(2026, 4, 7), publish_due=dt.date(2026, 5, 6),
                    published_at=dt.datetime(2026, 4, 20)),
    ])
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    db_session.add(Evaluation(visit_id=visit.id, firm_id=visit.firm_id, score=4, by_user_id=admin.id,
                              at=dt.datetime(2026, 4, 8)))
    db_session.commit()
    assert publication_rate(db_session, Scope(2026), dt.date(2026, 6, 1)) == (1, 1)
    assert average_evaluation(db_session, Scope(2026)) == (4.0, 1)


def test_dashboard_drills_down_to_the_visits_and_exports(client, login, db_session, make_firm, entered):
    firm = make_firm("看板测试企业有限公司")
    entered(firm, day=dt.date(2026, 6, 9))
    db_session.commit()
    login("oversight")
    page = client.get("/oversight/dashboard?year=2026").get_data(as_text=True)
    assert "<svg" in page and "联合检查占比" in page and "结果公示率" in page and "/oversight/visits?month=6" in page
    drill = client.get("/oversight/visits?year=2026&month=6").get_data(as_text=True)
    assert "看板测试企业有限公司" in drill
    assert "看板测试企业有限公司" not in client.get("/oversight/visits?year=2026&month=7").get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/oversight/visits.xlsx?year=2026&month=6").data))
    rows = list(book.active.values)
    assert rows[0][1] == "企业" and any(r[1] == "看板测试企业有限公司" for r in rows[1:])
    csv_text = client.get("/oversight/visits.csv?year=2026&month=6").data.decode("utf-8-sig")
    assert "看板测试企业有限公司" in csv_text
    client.delete("/api/v1/session")
    login("market")
    assert client.get("/oversight/dashboard").status_code == 403


def test_public_disclosure_lists_published_results_with_search(app, db_session, make_firm, entered):
    shown, hidden = make_firm("公示检索企业有限公司"), make_firm("未公示企业有限公司")
    for firm, published in ((shown, dt.datetime(2026, 4, 20)), (hidden, None)):
        visit = entered(firm, day=dt.date(2026, 4, 7))
        task = visit.tasks[0]
        db_session.add(ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=task.plan.items[0].id, outcome="rectify",
                                   rectify_by=dt.date(2026, 4, 30), recorded_at=dt.datetime(2026, 4, 7),
                                   publish_due=dt.date(2026, 5, 6), published_at=published))
    db_session.commit()
    anonymous = app.test_client()
    page = anonymous.get("/public/results").get_data(as_text=True)
    assert "公示检索企业有限公司" in page and "未公示企业有限公司" not in page
    assert "公示检索企业" in anonymous.get("/public/results?q=公示检索").get_data(as_text=True)
    assert "公示检索企业" not in anonymous.get("/public/results?q=别的企业").get_data(as_text=True)
    assert "公示检索企业" in anonymous.get(f"/public/results?q={shown.uscc}").get_data(as_text=True)


def test_monthly_report(client, login, db_session, make_firm, entered):
    entered(make_firm(), department="fire", item="XF-002", day=dt.date(2026, 6, 9))
    entered(make_firm(), department="fire", item="XF-002", day=dt.date(2025, 6, 10))
    entered(make_firm(), department="fire", item="XF-002", day=dt.date(2025, 6, 11))
    db_session.commit()
    login("oversight")
    page = client.get("/oversight/report?year=2026&month=6").get_data(as_text=True)
    assert "2026 年 6 月" in page and "东营市消防救援支队</td><td>1</td><td>2</td>" in page and "-50%" in page
    assert client.get("/oversight/report?year=2026&month=13").status_code == 422


def test_every_figure_drills_down_to_its_visits(client, login, db_session, make_firm, entered):
    a, b, c = make_firm("甲钻取企业有限公司", credit_class="A"), make_firm("乙钻取企业有限公司", credit_class="D"), \
        make_firm("丙钻取企业有限公司", credit_class="D")
    joint = entered(a, department="market", day=dt.date(2026, 3, 3))
    fire = entered(c, department="fire", item="XF-002", day=dt.date(2026, 3, 10))
    join_visit(db_session, joint, fire.tasks[0].plan)  # fire joins a's visit, and enters with it
    twice = [entered(b, department="fire", item="XF-002", day=dt.date(2026, 4, 1)),
             entered(b, department="health", item="WJ-001", day=dt.date(2026, 8, 3))]
    task = twice[0].tasks[0]
    db_session.add(ItemOutcome(visit_id=twice[0].id, task_id=task.id, item_id=task.plan.items[0].id,
                               outcome="no_problem", recorded_at=dt.datetime(2026, 4, 1),
                               publish_due=dt.date(2026, 4, 29)))
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    db_session.add(Evaluation(visit_id=fire.id, firm_id=c.id, score=3, by_user_id=admin.id, at=dt.datetime(2026, 3, 11)))
    db_session.commit()
    login("oversight")

    def names(query):
        page = client.get(f"/oversight/visits?year=2026&{query}").get_data(as_text=True)
        return {n for n in ("甲", "乙", "丙") if f"{n}钻取企业有限公司" in page}

    assert names("joint=1") == {"甲"}
    assert names("results=late") == {"乙"}
    assert names("evaluated=1") == {"丙"}
    assert names("credit_class=D&times=2") == {"乙"}
    assert names("credit_class=D&times=1") == {"丙"}
    assert names("credit_class=A&times=1") == {"甲"}
    assert names("department=health") == {"乙"}
    dashboard = client.get("/oversight/dashboard?year=2026").get_data(as_text=True)
    for link in ("joint=1", "results=published", "evaluated=1", "/oversight/plans", "credit_class=D&amp;times=2",
                 "department=fire", "district=370502"):
        assert link in dashboard, link
    assert "排程基线" in dashboard and "各部门入企与联合排程基线" in dashboard
    title = client.get("/oversight/visits?year=2026&credit_class=D&times=2").get_data(as_text=True)
    assert "D 类企业中被入企 2 次的" in title


def test_department_figures_share_joint_visits_and_read_the_scheduler_baseline(db_session, make_firm, entered):
    a, b = make_firm(), make_firm()
    joint = entered(a, department="market", day=dt.date(2026, 3, 3))
    fire = entered(b, department="fire", item="XF-002", day=dt.date(2026, 3, 10))
    join_visit(db_session, joint, fire.tasks[0].plan)  # fire joins a's visit, and enters with it
    entered(b, department="fire", item="XF-002", day=dt.date(2025, 3, 10))
    db_session.add(ScheduleRun(status="done", period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31),
                               plan_ids=[], progress=1.0, message="", unscheduled=[], created_at=dt.datetime(2026, 2, 1),
                               stats={"visits": 2, "separate_visits": 3,
                                      "by_department": {"market": {"alone": 1, "shared": 0.5, "joint": 1},
                                                        "fire": {"alone": 2, "shared": 1.5, "joint": 1}}}))
    db_session.commit()
    rows = {r.code: r for r in department_figures(db_session, Scope(2026))}
    assert (rows["fire"].entries, rows["fire"].joint, rows["fire"].shared, rows["fire"].last_year) == (2, 1, 1.5, 1)
    assert (rows["market"].entries, rows["market"].joint, rows["market"].shared) == (1, 1, 0.5)
    assert rows["fire"].change == 1.0 and rows["health"].change is None
    assert rows["fire"].scheduled_alone == 2 and abs(rows["fire"].saved - 0.25) < 1e-9
    assert [r.code for r in department_figures(db_session, Scope(2026, department="fire"))] == ["fire"]


def test_alerts_plans_and_department_tables_export(client, login, db_session, make_firm, entered):
    entered(make_firm("预警导出企业有限公司"), officers=1)
    late = entered(make_firm(), day=dt.date(2026, 5, 6)).tasks[0]
    late.plan.status, late.plan.period_end, late.status = "in_progress", dt.date(2026, 5, 30), "scheduled"
    db_session.commit()
    login("oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/oversight/alerts.xlsx?rule=under_staffed&status=open").data))
    rows = list(book.active.values)
    assert rows[0][:3] == ("编号", "规则", "状态")
    assert any(r[5] == "预警导出企业有限公司" and r[1] == "持证执法人员不足两人" for r in rows[1:])
    assert all(r[1] == "持证执法人员不足两人" for r in rows[1:])
    assert "预警导出企业有限公司" in client.get("/oversight/alerts.csv?status=open").data.decode("utf-8-sig")
    assert client.get("/oversight/alerts.pdf").status_code == 404
    plans = client.get("/oversight/plans?year=2026").get_data(as_text=True)
    assert late.plan.title in plans and "逾期未完成" in plans
    table = client.get("/oversight/departments.csv?year=2026").data.decode("utf-8-sig")
    assert table.splitlines()[0].startswith("部门,入企次数") and "消防" in table


def test_a_period_of_the_year_is_compared_with_the_same_months_of_the_year_before(client, login, db_session,
                                                                                 make_firm, entered):
    firm, other = make_firm("期间统计企业有限公司"), make_firm()
    for day in (dt.date(2026, 2, 10), dt.date(2026, 5, 12), dt.date(2026, 8, 4)):
        entered(firm, day=day)
    entered(other, department="fire", item="XF-002", day=dt.date(2025, 4, 1))
    entered(other, department="fire", item="XF-002", day=dt.date(2025, 9, 1))
    db_session.commit()
    spring = Scope(2026, months=(2, 6))
    assert sum(monthly_entries(db_session, spring)) == 2
    assert monthly_entries(db_session, spring)[7] == 0           # August is outside the period
    assert sum(monthly_entries(db_session, year_before(spring, dt.date(2026, 12, 2)))) == 1
    # While the period runs, last year's same months are cut at today's date.
    running = year_before(Scope(2026, months=(3, 12)), dt.date(2026, 8, 20))
    assert running.until == dt.date(2025, 8, 20) and sum(monthly_entries(db_session, running)) == 1
    login("oversight")
    page = client.get("/oversight/dashboard?year=2026&from=2&to=6").get_data(as_text=True)
    assert "行政执法监督看板 · 2026 年 2—6 月" in page and 'value="2" selected' in page
    assert "from=2" in page and "to=6" in page                   # every figure's link keeps the period
    drill = client.get("/oversight/visits?year=2026&from=7&to=12").get_data(as_text=True)
    assert "2026 年 7—12 月" in drill and "期间统计企业有限公司" in drill
    assert "期间统计企业有限公司" not in client.get("/oversight/visits?year=2026&from=9&to=12").get_data(as_text=True)
    backwards = client.get("/oversight/dashboard?year=2026&from=6&to=2")
    assert backwards.status_code == 422 and "起始月份（6 月）不能晚于截止月份（2 月）" in backwards.get_data(as_text=True)
