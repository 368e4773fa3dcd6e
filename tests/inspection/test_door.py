"""At the door: entries on a recorded lead and emergency entries back-filed in time or not, the scan-time
prompt with invitations and postponements, anonymous evaluations, the firm's report of an inspection
without a valid code, and advance notice that only items allowing it give."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from core import clock
from inspection.models import (
    Alert,
    EntryFact,
    Evaluation,
    Event,
    FirmLead,
    InspectionTask,
    ItemOutcome,
    Officer,
    Scan,
    ScanPrompt,
    User,
    Visit,
    VisitEntry,
)
from inspection.operations.accounts import create_user
from inspection.operations.alerts import refresh_alerts
from inspection.operations.entries import firm_token
from inspection.operations.events import utcnow, verify_chain
from inspection.pure.calendar import add_working_days
from inspection.queries import kpis
from inspection.queries.kpis import evaluation_summary
from tests.approvals import approve
from tests.at_the_door import as_user, enter, statements
from tests.clocks import door_open_day
from tests.leads import recorded_lead
from web.presenters.visits import announced_visits

TODAY = door_open_day()
pytestmark = pytest.mark.usefixtures("door_open")  # these tests walk the door


@pytest.fixture
def pair(db_session, make_firm):
    """A restaurant in 东营区 with its code, and two certified market officers with accounts."""
    firm = make_firm("线索入企餐饮有限公司", industry="餐饮服务")
    officers = db_session.scalars(select(Officer).where(Officer.department.has(code="market"),
                                                        Officer.kind == "enforcement",
                                                        Officer.valid_from <= TODAY, Officer.valid_to > TODAY)
                                  .order_by(Officer.id)).all()[:2]
    names = []
    for n, officer in enumerate(officers):
        user = db_session.scalar(select(User).where(User.officer_id == officer.id)) or create_user(
            db_session, None, username=f"door-{n}", password="demo1234", role="inspector", display_name=officer.name,
            officer=officer)
        names.append(user.username)
    token = firm_token(db_session, firm).token
    db_session.commit()
    return {"firm": firm, "users": names, "token": token, "officers": officers}


def record_lead(client, login, firm, reference="12345-2026-0088", kind="complaint", received=TODAY, status=201):
    as_user(client, login, "market")
    response = client.post(f"/api/v1/firms/{firm.uscc}/leads", json={
        "kind": kind, "reference": reference, "received_on": received.isoformat(), "summary": "群众反映后厨卫生差"})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_an_entry_on_a_recorded_lead(client, login, pair, db_session):
    p = pair
    as_user(client, login, p["users"][0])
    lead = {"kind": "complaint", "reference": "12345-2026-0088", "item": "SC-003"}
    unknown = client.post("/api/v1/scans", json={"token": p["token"], "lead": lead})
    assert unknown.status_code == 422 and "未在平台登记" in unknown.get_json()["message"]
    assert db_session.scalar(select(func.count()).select_from(Visit).where(Visit.firm_id == p["firm"].id)) == 0
    assert db_session.scalar(select(Scan).where(Scan.firm_id == p["firm"].id, Scan.accepted.is_(False))) is not None
    record_lead(client, login, p["firm"])
    as_user(client, login, p["users"][0])
    outside = client.post("/api/v1/scans", json={"token": p["token"], "lead": {**lead, "item": "XF-002"}})
    assert outside.status_code == 422 and "XF-002" in outside.get_json()["message"]   # another department's item
    first = client.post("/api/v1/scans", json={"token": p["token"], "lead": lead}).get_json()
    assert first["state"] == "waiting_partner" and first["origin"] == "unplanned"
    as_user(client, login, p["users"][1])
    second = client.post("/api/v1/scans", json={"token": p["token"]}).get_json()   # the partner joins without a lead
    assert second["state"] == "entered" and second["visit"] == first["visit"] and second["code"]
    visit = db_session.get(Visit, first["visit"])
    plan = visit.tasks[0].plan
    assert plan.selection == "targeted" and "12345-2026-0088" in plan.lead and plan.quiet_exception == "complaint"
    assert visit.lead_id == db_session.scalar(select(FirmLead.id).where(FirmLead.reference == "12345-2026-0088"))
    assert db_session.scalar(select(EntryFact.origin).where(EntryFact.visit_id == visit.id)) == "unplanned"
    as_user(client, login, "oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    alerts = client.get("/api/v1/oversight/alerts?rule=unplanned_entry").get_json()
    assert [a["evidence"]["lead"] for a in alerts] == ["12345-2026-0088"]
    page = client.get(f"/oversight/dashboard?year={TODAY.year}").get_data(as_text=True)
    assert "依线索入企" in page


def test_a_lead_entry_naming_an_item_outside_the_list_is_kept_as_a_refused_scan(client, login, pair, db_session):
    p = pair
    record_lead(client, login, p["firm"])
    as_user(client, login, p["users"][0])
    lead = {"kind": "complaint", "reference": "12345-2026-0088"}
    logged = select(func.count()).select_from(Event).where(Event.kind == "refused")
    before = db_session.scalar(logged)
    reasons = []
    for item in ("SC-999", "XF-002"):   # in no list at all; another department's item
        refused = client.post("/api/v1/scans", json={"token": p["token"], "lead": {**lead, "item": item}})
        assert refused.status_code == 422 and item in refused.get_json()["message"], refused.get_json()
        reasons.append(refused.get_json()["message"])
    assert db_session.scalar(select(func.count()).select_from(Visit).where(Visit.firm_id == p["firm"].id)) == 0
    kept = db_session.scalars(select(Scan).where(Scan.firm_id == p["firm"].id, Scan.accepted.is_(False))
                              .order_by(Scan.id)).all()
    assert [s.reason for s in kept] == reasons
    assert {s.officer_id for s in kept} == {p["officers"][0].id}
    assert db_session.scalar(logged) == before + 2
    as_user(client, login, "oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    alerts = [a for a in client.get("/api/v1/oversight/alerts?rule=refused_scan").get_json()
              if a["evidence"]["scan"] in {s.id for s in kept}]
    assert sorted(a["evidence"]["reason"] for a in alerts) == sorted(reasons)
    assert all(a["title"] == f"扫码被拒：{a['evidence']['reason']}" for a in alerts)


def test_an_old_lead_or_another_firms_lead_is_refused(client, login, pair, make_firm):
    p = pair
    old = record_lead(client, login, p["firm"], reference="12345-2026-0001", received=TODAY - dt.timedelta(days=120),
                      status=422)
    assert "已超过 90 天" in old["fields"]["received_on"]
    record_lead(client, login, make_firm(), reference="12345-2026-0002")
    as_user(client, login, p["users"][0])
    for reference in ("12345-2026-0001", "12345-2026-0002"):
        refused = client.post("/api/v1/scans", json={"token": p["token"], "lead": {
            "kind": "complaint", "reference": reference, "item": "SC-003"}})
        assert refused.status_code == 422 and "未在平台登记" in refused.get_json()["message"]


def test_an_emergency_entry_is_back_filed_or_alerted(client, login, pair, db_session):
    p = pair
    went_in = clock.local_instant(TODAY, dt.time(8, 30))  # earlier this morning: door tests run from 10:30
    as_user(client, login, p["users"][0])
    first = client.post("/api/v1/scans", json={"token": p["token"], "emergency": {
        "kind": "hazard", "item": "SC-003", "entered_at": went_in.isoformat() + "Z"}}).get_json()
    assert first["state"] == "waiting_partner" and first["origin"] == "emergency"
    as_user(client, login, p["users"][1])
    assert client.post("/api/v1/scans", json={"token": p["token"]}).get_json()["state"] == "entered"
    visit = db_session.get(Visit, first["visit"])
    entry = db_session.get(VisitEntry, visit.id)
    assert entry.entered_at == went_in and visit.backfile_due == add_working_days(TODAY, 3)
    due = visit.backfile_due
    db_session.commit()
    assert refresh_alerts(db_session, today=due)["emergency_backfile"] == 0          # the last day: not yet late
    assert refresh_alerts(db_session, today=due + dt.timedelta(days=1))["emergency_backfile"] == 1
    alert = db_session.scalar(select(Alert).where(Alert.rule == "emergency_backfile"))
    assert "至今未补录" in alert.title
    db_session.rollback()
    as_user(client, login, "market")
    filed = client.post(f"/api/v1/visits/{visit.id}/backfile", json={"kind": "accident", "reference": "SG-2026-017"})
    assert filed.status_code == 200
    assert client.post(f"/api/v1/visits/{visit.id}/backfile", json={"kind": "accident", "reference": "X"}).status_code == 409
    db_session.expire_all()
    assert refresh_alerts(db_session, today=due + dt.timedelta(days=1))["emergency_backfile"] == 0  # filed in time
    assert db_session.scalar(select(Event).where(Event.kind == "visit.backfiled")).payload["late"] is False


def test_scan_time_prompt_invites_another_department_into_the_visit(app, client, login, visit_today, db_session,
                                                                    make_user):
    v = visit_today
    firm = v["visit"].firm
    # Another department (fire) has an open task here this period, scheduled for another day.
    login("fire")
    plan = client.post("/api/v1/plans", json={"title": "消防抽查", "period_start": TODAY.isoformat(),
                                              "period_end": (TODAY + dt.timedelta(days=10)).isoformat(),
                                              "items": ["XF-003"], "ratios": {c: 0.01 for c in "ABCD"}}).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/file")
    approve(client, plan["id"])
    client.post(f"/api/v1/plans/{plan['id']}/draw")
    fire_plan = db_session.get(type(v["visit"].tasks[0].plan), plan["id"])
    task = InspectionTask(plan_id=fire_plan.id, firm_id=firm.id, status="pending", on_site=True,
                          window_start=TODAY, window_end=TODAY + dt.timedelta(days=10))
    db_session.add(task)
    fire_users = [make_user("inspector", department="fire").username for _ in range(2)]
    db_session.commit()
    as_user(client, login, v["users"][0])
    with statements(app, whole=True) as seen:
        first = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert first["state"] == "waiting_partner"
    assert [(t["task"], t["items"]) for t in first["prompt"]["open_tasks"]] == [(task.id, ["XF-003"])]
    # The prompt comes with its tasks' plans, departments and items: none of them is read on its own.
    alone = re.compile(r"^SELECT .* FROM (inspection_plans|catalogue_items|departments|plan_items)\b(?!.* JOIN )")
    assert not [s for s in seen if alone.match(s)], seen
    as_user(client, login, v["users"][1])
    second = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert second["state"] == "entered"
    assert [t["task"] for t in second["prompt"]["open_tasks"]] == [task.id]
    assert client.post(f"/api/v1/visits/{v['visit'].id}/invite", json={"task": task.id}).status_code == 201
    as_user(client, login, fire_users[0])
    waiting = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert waiting["state"] == "waiting_partner" and waiting["visit"] == v["visit"].id
    as_user(client, login, fire_users[1])
    joined = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    assert joined["state"] == "joined"
    db_session.expire_all()
    assert db_session.get(InspectionTask, task.id).visit_id == v["visit"].id
    assert db_session.get(Visit, v["visit"].id).joint
    assert db_session.scalar(select(func.count()).select_from(EntryFact).where(EntryFact.visit_id == v["visit"].id)) == 2
    assert db_session.scalar(select(ScanPrompt.outcome).where(ScanPrompt.visit_id == v["visit"].id,
                                                               ScanPrompt.outcome.is_not(None))) == "joined"


def test_postpone_when_the_same_item_was_checked_recently(client, login, visit_today, db_session, entered):
    v = visit_today
    as_user(client, login, v["users"][0])
    refused = client.post(f"/api/v1/visits/{v['visit'].id}/postpone", json={"reason": "近期已检查"})
    assert refused.status_code == 409 and "不能以此推迟" in refused.get_json()["message"]
    entered(v["visit"].firm, item="SC-003", day=TODAY - dt.timedelta(days=20))
    db_session.commit()
    prompt = client.get(f"/api/v1/visits/{v['visit'].id}/prompt").get_json()
    assert prompt["same_item_recently"] and prompt["recent"][0]["items"] == ["SC-003"]
    done = client.post(f"/api/v1/visits/{v['visit'].id}/postpone", json={"reason": "20 天前已就同一事项检查"})
    assert done.status_code == 200 and done.get_json()["visit_status"] == "cancelled"
    db_session.expire_all()
    task = db_session.get(Visit, v["visit"].id).tasks
    assert task == [] and db_session.scalar(select(ScanPrompt.outcome).where(ScanPrompt.visit_id == v["visit"].id)) == "avoided"
    moved = db_session.scalars(select(InspectionTask).where(InspectionTask.plan_id == v["plan"],
                                                            InspectionTask.unscheduled_reason.like("推迟%"))).all()
    assert len(moved) == 1 and moved[0].status == "pending" and moved[0].visit_id is None


def closed_month(back: int = 3) -> dt.datetime:
    """Noon (stored UTC) on the 10th of the month ``back`` months before this one: a closed month for ``back`` >= 2."""
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - back, 12)
    return clock.from_local(dt.datetime(year, month + 1, 10, 12))


@pytest.fixture
def evaluated(db_session, make_firm, entered):
    """``evaluate(n, at=...)``: n new firms, each entered by market and evaluating the visit at ``at``."""
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    count = iter(range(1000))

    def evaluate(n, at, score=4, complaint=None, firm=None):
        visits = []
        for _ in range(n):
            visit = entered(firm or make_firm(f"评价企业{next(count)}有限公司"), day=clock.local_day(at) - dt.timedelta(days=3))
            db_session.add(Evaluation(visit_id=visit.id, firm_id=visit.firm_id, score=score, comment=f"意见{visit.id}号",
                                      complaint=complaint, by_user_id=admin.id, at=at))
            visits.append(visit)
        db_session.commit()
        return visits
    return evaluate


def test_evaluations_are_anonymous_to_the_department(client, login, db_session, make_firm, evaluated):
    at = closed_month()
    visits = [*evaluated(1, at, score=1, complaint="excessive"), *evaluated(4, at, score=2)]
    visits += evaluated(4, closed_month(0) - dt.timedelta(days=9))   # still open: the month is never shown yet
    login("market")
    for visit in visits:
        page = client.get(f"/firms/{visit.firm.uscc}").get_data(as_text=True)
        api = client.get(f"/api/v1/firms/{visit.firm.uscc}/visits").get_json()
        assert "意见" not in page and "企业评价：" not in page and all(r["evaluation"] is None for r in api)
    summary = client.get(f"/api/v1/evaluations/summary?year={clock.local_day(at).year}").get_json()
    assert [(g["month"], g["n"], g["complaints"], g["low"]) for g in summary["by_month"]] == [
        (clock.local_day(at).month, 5, 1, 5)]
    assert "意见" not in str(summary) and "by_plan" not in summary and "hidden" not in str(summary)
    page = client.get(f"/evaluations?year={clock.local_day(at).year}").get_data(as_text=True)
    assert "满一个自然月" in page and "意见" not in page
    as_user(client, login, "oversight")
    assert f"意见{visits[0].id}号" in client.get(f"/firms/{visits[0].firm.uscc}").get_data(as_text=True)


def test_a_month_is_shown_only_after_a_full_month_has_passed():
    assert kpis.first_shown_day(dt.date(2026, 10, 1)) == dt.date(2026, 12, 1)
    assert kpis.first_shown_day(dt.date(2026, 11, 1)) == dt.date(2027, 1, 1)
    assert kpis.first_shown_day(dt.date(2026, 12, 1)) == dt.date(2027, 2, 1)


def main(page: str) -> str:
    return page[page.index("<h1>"):page.index("</table>")]


def test_an_evaluation_does_not_move_what_the_department_sees(client, login, db_session, make_user, evaluated):
    """The attack: poll, let a firm evaluate, poll again and read its score off the difference."""
    evaluated(15, closed_month())
    fresh = evaluated(1, closed_month(0), score=5)[0]          # entered this month, not yet evaluated
    db_session.delete(db_session.scalar(select(Evaluation).where(Evaluation.visit_id == fresh.id)))
    firm_user = make_user("enterprise", firm=fresh.firm)
    db_session.commit()
    market = fresh.tasks[0].plan.department_id
    login("market")
    years = sorted({TODAY.year, clock.local_day(closed_month()).year})
    before = [client.get(f"/api/v1/evaluations/summary?year={y}").get_json() for y in years]
    pages = [main(client.get(f"/evaluations?year={y}").get_data(as_text=True)) for y in years]
    as_user(client, login, firm_user.username)
    assert client.post(f"/api/v1/visits/{fresh.id}/evaluation",
                       json={"score": 2, "comment": "", "complaint": "excessive"}).status_code == 201
    as_user(client, login, "market")
    assert [client.get(f"/api/v1/evaluations/summary?year={y}").get_json() for y in years] == before
    assert [main(client.get(f"/evaluations?year={y}").get_data(as_text=True)) for y in years] == pages
    # Not even when its month closes: one firm alone is never a group, and nothing counts hidden groups.
    opened = kpis.first_shown_day(TODAY.replace(day=1))
    assert evaluation_summary(db_session, market, TODAY.year, opened - dt.timedelta(days=1)) == \
        evaluation_summary(db_session, market, TODAY.year, TODAY)
    assert TODAY.month not in [g["month"] for g in evaluation_summary(db_session, market, TODAY.year, opened)]


def test_no_group_can_be_subtracted_from_another(client, login, db_session, make_firm, evaluated):
    """Month minus plan groups, year minus months: a department sees one partition, by month, and no totals."""
    at = closed_month()
    evaluated(15, at)
    evaluated(1, at, score=2, complaint="excessive")   # a lead entry: a one-firm plan
    repeat = make_firm("常被评价企业有限公司")
    evaluated(6, closed_month(4), firm=repeat)          # one firm six times: one firm is never a group
    login("market")
    summary = client.get(f"/api/v1/evaluations/summary?year={clock.local_day(at).year}").get_json()
    assert set(summary) == {"year", "minimum", "by_month", "rule"}
    assert [(g["n"], g["complaints"]) for g in summary["by_month"]] == [(16, 1)]
    page = client.get(f"/evaluations?year={clock.local_day(at).year}").get_data(as_text=True)
    assert "market-SC-003" not in page and "不予显示" in page and "另有" not in page


def test_a_firm_reports_an_inspection_without_a_valid_code(client, login, make_firm, make_user, db_session):
    firm = make_firm("未亮码反映企业有限公司")
    user = make_user("enterprise", firm=firm)
    other = make_user("enterprise", firm=make_firm())
    db_session.commit()
    as_user(client, login, other.username)
    body = {"occurred_at": (utcnow() - dt.timedelta(hours=2)).isoformat() + "Z", "officers": "自称张三，证号 370501X",
            "department": "市场监管", "description": "未出示检查码，要求查看账本"}
    assert client.post(f"/api/v1/firms/{firm.uscc}/no-code-reports", json=body).status_code == 404
    as_user(client, login, user.username)
    assert client.post(f"/api/v1/firms/{firm.uscc}/no-code-reports", json={**body, "officers": ""}).status_code == 422
    assert client.post(f"/api/v1/firms/{firm.uscc}/no-code-reports", json=body).status_code == 201
    as_user(client, login, "oversight")
    client.post("/api/v1/oversight/alerts/refresh")
    alerts = client.get("/api/v1/oversight/alerts?rule=no_code_report").get_json()
    assert len(alerts) == 1 and "自称张三" in alerts[0]["title"] and alerts[0]["firm"] == firm.id


def test_advance_notice_only_where_every_item_allows_it(client, login, db_session):
    login("market")
    body = {"title": "预告检查", "period_start": TODAY.isoformat(), "period_end": (TODAY + dt.timedelta(days=10)).isoformat(),
            "items": ["SC-003"], "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"], "notice_days": 10}
    keyed = client.post("/api/v1/plans", json={**body, "items": ["SC-004"], "lead": recorded_lead(db_session)})
    assert keyed.status_code == 422 and "不允许检查预告" in keyed.get_json()["message"]
    plan = client.post("/api/v1/plans", json=body).get_json()
    silent = client.post("/api/v1/plans", json={**body, "title": "不预告", "items": ["SC-002"], "notice_days": None}).get_json()
    for p in (plan, silent):
        for action in ("file", "draw", "schedule", "confirm"):
            if action == "draw":
                approve(client, p["id"])
            assert client.post(f"/api/v1/plans/{p['id']}/{action}").status_code in (200, 202)

    def confirmed(plan_id):
        return db_session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                                  .where(InspectionTask.plan_id == plan_id, Visit.status == "confirmed")).all()
    near, quiet = confirmed(plan["id"])[0], confirmed(silent["id"])[0]
    assert [v.id for v in announced_visits(db_session, near.firm, near.day - dt.timedelta(days=10))] == [near.id]
    assert announced_visits(db_session, near.firm, near.day - dt.timedelta(days=11)) == []   # not yet
    firm_user = create_user(db_session, None, username="notice-firm", password="demo1234", role="enterprise",
                            display_name=near.firm.name, firm=near.firm)
    quiet_user = create_user(db_session, None, username="quiet-firm", password="demo1234", role="enterprise",
                             display_name=quiet.firm.name, firm=quiet.firm)
    db_session.commit()
    as_user(client, login, firm_user.username)
    record = client.get(f"/api/v1/firms/{near.firm.uscc}/visits").get_json()
    assert [r["day"] for r in record if r["status"] == "notice"] == [near.day.isoformat()]
    assert "检查预告" in client.get(f"/firms/{near.firm.uscc}").get_data(as_text=True)
    as_user(client, login, quiet_user.username)
    assert not [r for r in client.get(f"/api/v1/firms/{quiet.firm.uscc}/visits").get_json() if r["status"] == "notice"]


def test_the_log_holds_after_the_door(client, login, pair, db_session):
    record_lead(client, login, pair["firm"])
    as_user(client, login, pair["users"][0])
    client.post("/api/v1/scans", json={"token": pair["token"], "lead": {"kind": "complaint",
                                                                        "reference": "12345-2026-0088", "item": "SC-003"}})
    assert verify_chain(db_session)[0]
    assert {"lead.recorded", "plan.targeted", "visit.unplanned"} <= set(db_session.scalars(select(Event.kind)))


@pytest.fixture
def joint_visit(client, login, visit_today, db_session, make_user):
    """The market visit of today, entered, with fire invited in and joined: (visit, fire task, fire inspectors)."""
    v = visit_today
    login("fire")
    plan = client.post("/api/v1/plans", json={"title": "消防抽查", "period_start": TODAY.isoformat(),
                                              "period_end": (TODAY + dt.timedelta(days=10)).isoformat(),
                                              "items": ["XF-003"], "ratios": {c: 0.01 for c in "ABCD"}}).get_json()
    client.post(f"/api/v1/plans/{plan['id']}/file")
    approve(client, plan["id"])
    client.post(f"/api/v1/plans/{plan['id']}/draw")
    task = InspectionTask(plan_id=plan["id"], firm_id=v["visit"].firm.id, status="pending", on_site=True,
                          window_start=TODAY, window_end=TODAY + dt.timedelta(days=10))
    db_session.add(task)
    fire_users = [make_user("inspector", department="fire").username for _ in range(2)]
    db_session.commit()
    enter(client, login, v)
    assert client.post(f"/api/v1/visits/{v['visit'].id}/invite", json={"task": task.id}).status_code == 201
    for user in fire_users:
        as_user(client, login, user)
        client.post("/api/v1/scans", json={"token": v["token"]})
    db_session.expire_all()
    assert db_session.get(Visit, v["visit"].id).joint
    return v, task, fire_users


def test_partners_do_not_read_each_others_findings(client, login, joint_visit, db_session):
    """Need to know: on a joint visit each department reads its own findings; partners see names and status."""
    v, task, fire_users = joint_visit
    visit_id, uscc = v["visit"].id, v["visit"].firm.uscc
    as_user(client, login, fire_users[0])
    sheet = client.get(f"/api/v1/visits/{visit_id}/sheet").get_json()
    point = next(t for t in sheet["tasks"] if t["id"] == task.id)["items"][0]["points"][0]["id"]
    assert client.post(f"/api/v1/visits/{visit_id}/findings", json={
        "task": task.id, "point": point, "result": "non_compliant", "note": "疏散通道堵塞"}).status_code == 201
    assert "疏散通道堵塞" in str(client.get(f"/api/v1/visits/{visit_id}/sheet").get_json())   # fire's own
    as_user(client, login, v["users"][0])                                                     # market's inspector
    sheet = client.get(f"/api/v1/visits/{visit_id}/sheet").get_json()
    fire = next(t for t in sheet["tasks"] if t["id"] == task.id)
    assert fire["department"] and not fire["findings_shown"] and "status" in fire
    assert all(p["result"] is None and p["note"] == "" for i in fire["items"] for p in i["points"])
    assert "疏散通道堵塞" not in client.get(f"/visits/{visit_id}").get_data(as_text=True)
    for reader in ("market", v["users"][0]):                                                  # the firm's record
        as_user(client, login, reader)
        assert "疏散通道堵塞" not in str(client.get(f"/api/v1/firms/{uscc}/visits").get_json())
        assert "疏散通道堵塞" not in client.get(f"/firms/{uscc}").get_data(as_text=True)
    for reader in ("fire", "oversight"):
        as_user(client, login, reader)
        assert "疏散通道堵塞" in str(client.get(f"/api/v1/firms/{uscc}/visits").get_json())
    # A result another department published is public: partners then see the outcome, still not the notes.
    item = db_session.get(InspectionTask, task.id).plan.items[0]
    outcome = ItemOutcome(visit_id=visit_id, task_id=task.id, item_id=item.id, outcome="rectify", recorded_at=utcnow(), rectify_by=TODAY + dt.timedelta(days=30),
                          publish_due=TODAY + dt.timedelta(days=7))
    db_session.add(outcome)
    db_session.commit()

    def outcomes_seen():
        as_user(client, login, "market")
        record = next(r for r in client.get(f"/api/v1/firms/{uscc}/visits").get_json() if r["visit"] == visit_id)
        as_user(client, login, v["users"][0])
        sheet = client.get(f"/api/v1/visits/{visit_id}/sheet").get_json()
        fire = next(t for t in sheet["tasks"] if t["id"] == task.id)
        assert "疏散通道堵塞" not in str(record) + str(sheet)
        return [o["item"] for o in record["outcomes"]], [i["outcome"] for i in fire["items"]]
    assert outcomes_seen() == ([], [None])
    outcome.published_at = utcnow()
    db_session.commit()
    assert outcomes_seen() == ([item.code], ["rectify"])
