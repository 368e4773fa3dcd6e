"""Simultaneous requests with exactly-once effects, on SQLite and on PostgreSQL: scans of one team,
evaluations of one visit, schedule builds of one plan."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select

from core import clock
from inspection.db import upgrade
from inspection.demo.approvals import approve_filed
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.demo.today import todays_visits
from inspection.models import Document, Evaluation, Event, Firm, InspectionTask, ScheduleRun, User, Visit, VisitEntry
from inspection.operations.accounts import create_user
from inspection.operations.draws import draw_plan
from inspection.operations.events import verify_chain
from inspection.operations.plans import create_plan, file_plan
from tests.backends import fresh_database
from tests.clients import CsrfClient
from tests.races import race, sealed, signed_in
from web import create_app, jobs

# Makes its own SQLite and PostgreSQL databases; walks a drill day of visits at the door-open clock.
pytestmark = [pytest.mark.own_database, pytest.mark.usefixtures("door_open")]


@pytest.fixture(params=["sqlite", "postgresql"])
def racing_city(request, tmp_path):
    """An app on a fresh database of each kind with a small city and today's confirmed visits."""
    with fresh_database(request.param, tmp_path) as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "race", "JOBS": "thread", "WTF_CSRF_ENABLED": False,
                          "RATE_LIMITS": False, "SCHEDULE_TIME_LIMIT": 3.0, "SCHEDULE_WORKERS": 1,
                          "AUDIT_AFTER_WRITES": False, "NOTICE_SENDER": False})  # no thread outliving the database
        app.test_client_class = CsrfClient
        upgrade(app.extensions["db_engine"])
        with app.extensions["db_factory"]() as session:
            build_demo_city(session, seed=3, firms=150, plans=False)
            today = todays_visits(session, time_limit=3)
            session.commit()
        app.today = today
        yield app
        app.extensions["db_engine"].dispose()


def test_simultaneous_scans_make_one_entry_each(racing_city):
    teams = racing_city.today[:3]
    assert teams, "the drill day has visits"
    jobs = [(t.token, name) for t in teams for name in t.officers * 2]  # every officer scans twice

    def work(i, start):
        token, name = jobs[i]
        client = signed_in(racing_city, name)
        start.wait(timeout=60)
        response = client.post("/api/v1/scans", json={"token": token})
        return response.status_code, response.get_json().get("state")

    results = race(len(jobs), work)
    assert all(status == 200 for status, _ in results), results
    assert sum(state == "entered" for _, state in results) == len(teams)
    # The racing requests queued their records; the app's sealer chains them, none lost or doubled.
    sealed(racing_city)
    with racing_city.extensions["db_factory"]() as session:
        for team in teams:
            assert session.scalar(select(func.count()).select_from(VisitEntry)
                                  .where(VisitEntry.visit_id == team.visit_id)) == 1
            assert session.get(Visit, team.visit_id).status == "in_progress"
        kinds = dict(session.execute(select(Event.kind, func.count()).where(
            Event.kind.in_(("department.entered", "visit.entered"))).group_by(Event.kind)).all())
        assert kinds == {"department.entered": len(teams), "visit.entered": len(teams)}, kinds
        assert verify_chain(session)[0]
    # Each entry's inspection notice is issued once by a job after the scan, whichever scans raced.
    notices = wait_for_notices(racing_city, [t.visit_id for t in teams])
    assert sorted(visit_id for visit_id, _ in notices) == sorted(t.visit_id for t in teams)
    assert len({number for _, number in notices}) == len(teams)


def wait_for_notices(app, visit_ids: list[int], seconds: float = 60) -> list[tuple[int, str]]:
    """The (visit, number) of the visits' inspection notices, once there is one per entry (``visit_ids`` holds
    a visit once per department that entered it; the jobs that issue them run in threads of the app)."""
    deadline = time.monotonic() + seconds
    while True:
        with app.extensions["db_factory"]() as session:
            rows = session.execute(select(Document.visit_id, Document.number).where(
                Document.kind == "notice", Document.visit_id.in_(visit_ids))).all()
        if len(rows) >= len(visit_ids) or time.monotonic() > deadline:
            return [tuple(row) for row in rows]
        time.sleep(0.2)


def test_simultaneous_evaluations_count_once(racing_city):
    team = racing_city.today[0]
    for name in team.officers:
        assert signed_in(racing_city, name).post("/api/v1/scans", json={"token": team.token}).status_code == 200
    assert len(wait_for_notices(racing_city, [team.visit_id])) == 1
    assert signed_in(racing_city, team.officers[0]).post(f"/api/v1/visits/{team.visit_id}/leave").status_code == 200
    with racing_city.extensions["db_factory"]() as session:
        firm = session.scalar(select(Firm).where(Firm.uscc == team.firm_uscc))
        create_user(session, None, username="race-firm", password=DEMO_PASSWORD, role="enterprise",
                    display_name=firm.name, firm=firm)
        session.commit()

    def work(i, start):
        client = signed_in(racing_city, "race-firm")
        start.wait(timeout=60)
        response = client.post(f"/api/v1/visits/{team.visit_id}/evaluation", json={"score": 1 + i % 5, "comment": ""})
        return response.status_code, response.get_json()

    results = race(6, work)
    assert sorted(status for status, _ in results) == [201] + [409] * 5, results
    sealed(racing_city)
    assert all(body["message"] for status, body in results if status == 409)
    with racing_city.extensions["db_factory"]() as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)
                              .where(Evaluation.visit_id == team.visit_id)) == 1
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "visit.evaluated")) == 1
        assert verify_chain(session)[0]


def test_simultaneous_schedule_builds_make_one_run(racing_city, monkeypatch):
    # A small build can finish before the next request takes the lock, and a finished build rightly
    # lets the next one start: the builds wait until every request has answered, so that all five
    # ask while the first is still queued.
    answered = threading.Event()
    build = jobs._guarded

    def build_once_all_have_asked(*args, **kwargs):
        answered.wait(timeout=60)   # before the build's thread opens a transaction
        return build(*args, **kwargs)

    monkeypatch.setattr(jobs, "_guarded", build_once_all_have_asked)
    with racing_city.extensions["db_factory"]() as session:
        market = session.scalar(select(User).where(User.username == "market"))
        today = clock.today()
        start = min(today + dt.timedelta(days=8), dt.date(today.year, 12, 31))  # the catalogue's year
        plan = create_plan(session, market, title="并发排程", period_start=start,
                           period_end=min(start + dt.timedelta(days=6), dt.date(today.year, 12, 31)), item_codes=["SC-001"],
                           ratios={c: 0.2 for c in "ABCD"})
        file_plan(session, market, plan)
        approve_filed(session, plan)
        draw_plan(session, market, plan)
        session.commit()
        plan_id = plan.id
        runs_before = session.scalar(select(func.count()).select_from(ScheduleRun))

    def work(i, start):
        client = signed_in(racing_city, "market")
        start.wait(timeout=60)
        response = client.post(f"/api/v1/plans/{plan_id}/schedule")
        return response.status_code, response.get_json()

    results = race(5, work)
    answered.set()
    assert all(status in (200, 202) for status, _ in results), results
    assert len({body["id"] for _, body in results}) == 1, results
    run_id = results[0][1]["id"]
    client = signed_in(racing_city, "market")
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/schedule-runs/{run_id}").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the build did not finish"
        time.sleep(0.3)
    assert client.get(f"/api/v1/schedule-runs/{run_id}").get_json()["status"] == "done"
    with racing_city.extensions["db_factory"]() as session:
        assert session.scalar(select(func.count()).select_from(ScheduleRun)) == runs_before + 1
        tasks = session.scalars(select(InspectionTask).where(InspectionTask.plan_id == plan_id)).all()
        visits = [t.visit_id for t in tasks if t.visit_id is not None]
        assert visits and len(visits) == len(set(visits))  # one proposal per task, never two
        assert len({t.firm_id for t in tasks}) == len(tasks)
        assert verify_chain(session)[0]
