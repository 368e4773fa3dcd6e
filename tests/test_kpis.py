"""Oversight's KPIs and dashboard: counted from the records, every number leading to its visits."""
import datetime as dt
import io

import openpyxl
from sqlalchemy import select

from inspection.kpis import (Scope, average_evaluation, entries_by_department, entries_per_firm, joint_share,
                             monthly_entries, publication_rate)
from inspection.models import Evaluation, InspectionTask, ItemOutcome, User


def test_figures(db_session, make_firm, entered):
    a, b, c, x = make_firm(credit_class="A"), make_firm(credit_class="D"), make_firm(credit_class="D"), make_firm()
    joint = entered(a, department="market", day=dt.date(2026, 3, 3))
    fire_visit = entered(x, department="fire", item="XF-002", day=dt.date(2026, 3, 10))
    db_session.add(InspectionTask(plan=fire_visit.tasks[0].plan, firm=a, status="done", on_site=True,
                                  window_start=joint.day, window_end=joint.day, visit_id=joint.id))  # fire joins a's visit
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
    assert client.get("/oversight/report?year=2026&month=13").status_code == 404
