"""Schedule builds as background jobs on RQ with Redis: the web queues the run, an ``inspection worker``
process on any host builds it, and the page shows its progress from the run's row. Without Redis the
build runs in the web process. Redis: REDIS_TEST_URL, else the machine's 127.0.0.1:6379, else a
redis-server started here; skips with a one-line reason when there is none (unless
INSPECTION_REQUIRE_ALL=1)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest
import redis
import rq
from sqlalchemy import func, select

from core import clock
from inspection.db import upgrade
from inspection.demo.approvals import approve_filed
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.models import (
    DepartmentEntry,
    Document,
    EntryFact,
    InspectionPlan,
    InspectionTask,
    Officer,
    Scan,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
)
from inspection.operations.draws import draw_plan
from inspection.operations.events import utcnow
from inspection.operations.plans import create_plan, file_plan
from tests.backends import fresh_database
from tests.clients import CsrfClient
from tests.servers import ROOT, clock_env, free_port
from web import create_app, jobs

pytestmark = pytest.mark.own_database  # makes its own SQLite and PostgreSQL databases


def _answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_url():
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    if _answers(url):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        reason = f"no Redis answers at {url} and redis-server is not installed"
        if os.environ.get("INSPECTION_REQUIRE_ALL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if _answers(url):
            break
        time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A fresh database with a small city and a drawn plan waiting for its schedule."""
    with fresh_database(request.param, tmp_path) as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "jobs", "JOBS": "thread", "RATE_LIMITS": False,
                          "NOTICE_SENDER": False})
        upgrade(app.extensions["db_engine"])
        with app.extensions["db_factory"]() as session:
            build_demo_city(session, seed=3, firms=150, plans=False)
            market = session.scalar(select(User).where(User.username == "market"))
            today = clock.today()
            plan = create_plan(session, market, title="后台排程", period_start=today,
                               period_end=min(today + dt.timedelta(days=10), dt.date(today.year, 12, 31)),
                               item_codes=["SC-001"], ratios={c: 0.3 for c in "ABCD"})
            file_plan(session, market, plan)
            approve_filed(session, plan)
            draw_plan(session, market, plan)
            session.commit()
            plan_id = plan.id
        app.extensions["db_engine"].dispose()
        yield url, plan_id


def _app(url, **config):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "jobs", "WTF_CSRF_ENABLED": False, "RATE_LIMITS": False,
                      "SCHEDULE_TIME_LIMIT": 3.0, "SCHEDULE_WORKERS": 1, "AUDIT_AFTER_WRITES": False,
                      "NOTICE_SENDER": False, **config})
    app.test_client_class = CsrfClient
    return app


def _signed_in(app):
    client = app.test_client()
    assert client.post("/api/v1/session", json={"username": "market", "password": DEMO_PASSWORD}).status_code == 200
    return client


def _scheduled(app, plan_id) -> int:
    with app.extensions["db_factory"]() as session:
        return session.scalar(select(func.count()).select_from(InspectionTask)
                              .where(InspectionTask.plan_id == plan_id, InspectionTask.visit_id.is_not(None)))


def test_a_worker_process_builds_the_queued_schedule(database, redis_url):
    url, plan_id = database
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app = _app(url, JOBS="rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    client = _signed_in(app)
    response = client.post(f"/api/v1/plans/{plan_id}/schedule")
    assert response.status_code == 202
    run = response.get_json()
    assert run["status"] == "queued"
    # Nothing builds it in the web process: the run waits on the queue, and the page says so.
    time.sleep(1)
    assert client.get(f"/api/v1/schedule-runs/{run['id']}").get_json()["status"] == "queued"
    page = client.get(f"/plans/{plan_id}/schedule").get_data(as_text=True)
    assert "排程进度" in page and "后台任务队列" in page
    assert _scheduled(app, plan_id) == 0
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "jobs",
           "INSPECTION_JOBS_QUEUE": queue, "SCHEDULE_TIME_LIMIT": "3", "SCHEDULE_WORKERS": "1", **clock_env()}

    def work():
        worker = subprocess.run([sys.executable, "-m", "web.console", "worker", "--burst"], cwd=ROOT, timeout=300,
                                env=env, capture_output=True, text=True, check=False)
        assert worker.returncode == 0, worker.stderr[-2000:]

    work()
    done = client.get(f"/api/v1/schedule-runs/{run['id']}").get_json()
    assert done["status"] == "done" and done["progress"] == 1.0, done
    scheduled = _scheduled(app, plan_id)
    assert scheduled > 0
    # The same job delivered again (a worker lost after finishing, say) builds nothing twice.
    with app.app_context():
        jobs.queue_of(app).enqueue(jobs.run_schedule_job, run["id"])
    work()
    assert client.get(f"/api/v1/schedule-runs/{run['id']}").get_json()["finished_at"] == done["finished_at"]
    assert _scheduled(app, plan_id) == scheduled
    redis.Redis.from_url(redis_url).delete(f"rq:queue:{queue}")
    app.extensions["db_engine"].dispose()


def test_without_redis_the_build_runs_in_the_web_process(database):
    url, plan_id = database
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = _app(url, JOBS="rq", REDIS_URL=closed)  # configured, but the queue does not answer
    client = _signed_in(app)
    run = client.post(f"/api/v1/plans/{plan_id}/schedule").get_json()
    deadline = time.monotonic() + 60
    while (state := client.get(f"/api/v1/schedule-runs/{run['id']}").get_json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert state["status"] == "done"
    assert _scheduled(app, plan_id) > 0
    app.extensions["db_engine"].dispose()


def test_the_embedded_default_needs_no_queue(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("INSPECTION_JOBS", raising=False)
    assert create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}).config["JOBS"] == "thread"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}).config["JOBS"] == "rq"


def _drawn_plan(url: str, title: str, start: dt.date, end: dt.date) -> int:
    app = _app(url)
    with app.extensions["db_factory"]() as session:
        market = session.scalar(select(User).where(User.username == "market"))
        plan = create_plan(session, market, title=title, period_start=start, period_end=end, item_codes=["SC-001"],
                           ratios={c: 0.3 for c in "ABCD"})
        file_plan(session, market, plan)
        approve_filed(session, plan)
        draw_plan(session, market, plan)
        session.commit()
        plan_id = plan.id
    app.extensions["db_engine"].dispose()
    return plan_id


def _period_of(url: str, plan_id: int) -> tuple[dt.date, dt.date]:
    app = _app(url)
    with app.extensions["db_factory"]() as session:
        plan = session.get(InspectionPlan, plan_id)
        period = plan.period_start, plan.period_end
    app.extensions["db_engine"].dispose()
    return period


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # row locks hold one build mid-way
def test_builds_of_two_periods_run_at_once_on_two_workers(database, redis_url):
    """Two workers: while one build is held before it can store its visits (its tasks' rows locked here,
    as a long solve would keep it busy), the build of another period runs and finishes on the other."""
    url, plan_id = database
    start, end = _period_of(url, plan_id)
    # Another plan over the same period is combined with the first: one build answers both.
    same = _drawn_plan(url, "同期计划", start, end)
    # A plan of a later period that shares no day with the first: a build of its own.
    later = end + dt.timedelta(days=14)
    other = _drawn_plan(url, "下期计划", later, later + dt.timedelta(days=10))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app = _app(url, JOBS="rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    client = _signed_in(app)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "jobs",
           "INSPECTION_JOBS_QUEUE": queue, "SCHEDULE_TIME_LIMIT": "3", "SCHEDULE_WORKERS": "1", **clock_env()}
    workers = [subprocess.Popen([sys.executable, "-m", "web.console", "worker"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    holder = app.extensions["db_factory"]()
    try:
        with app.app_context():
            rq_queue = jobs.queue_of(app)
        deadline = time.monotonic() + 120
        while len(rq.Worker.all(queue=rq_queue)) < 2:  # both workers wait on the queue
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers)
            time.sleep(0.2)
        holder.scalars(select(InspectionTask).where(InspectionTask.plan_id.in_([plan_id, same]))
                       .with_for_update()).all()
        first = client.post(f"/api/v1/plans/{plan_id}/schedule").get_json()
        second = client.post(f"/api/v1/plans/{other}/schedule").get_json()
        again = client.post(f"/api/v1/plans/{same}/schedule").get_json()
        assert first["id"] != second["id"]
        assert again["id"] == first["id"]  # the same horizon: the build already queued, not a second one
        assert same in first["plans"] and other not in first["plans"] and second["plans"] == [other]

        def state(run):
            return client.get(f"/api/v1/schedule-runs/{run['id']}").get_json()

        while state(second)["status"] != "done":
            assert time.monotonic() < deadline and state(second)["status"] != "failed"
            time.sleep(0.2)
        held = state(first)
        assert held["status"] == "running" and held["started_at"] < state(second)["finished_at"], held
        assert _scheduled(app, other) > 0 and _scheduled(app, plan_id) == 0
        holder.rollback()
        while state(first)["status"] != "done":
            assert time.monotonic() < deadline and state(first)["status"] != "failed"
            time.sleep(0.2)
        assert _scheduled(app, plan_id) > 0 and _scheduled(app, same) > 0
    finally:
        holder.rollback()
        holder.close()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a warm shutdown that does not come: stop it
                worker.kill()
                worker.wait(timeout=30)
        redis.Redis.from_url(redis_url).delete(f"rq:queue:{queue}")
        app.extensions["db_engine"].dispose()


def _entered_visit(url: str, plan_id: int) -> tuple[int, int]:
    """One of the plan's firms entered by two of the department's officers (as a scan leaves it, without the
    notice): ``(visit id, department id)``."""
    app = _app(url)
    with app.extensions["db_factory"]() as session:
        plan = session.get(InspectionPlan, plan_id)
        task = plan.tasks[0]
        day = plan.period_start
        visit = Visit(firm=task.firm, day=day, status="in_progress", locked=False, created_at=utcnow())
        session.add(visit)
        session.flush()
        task.visit_id = visit.id
        at = dt.datetime.combine(day, dt.time(2, 0))
        team = session.scalars(select(Officer).where(Officer.department_id == plan.department_id)
                               .order_by(Officer.id)).all()[:2]
        for officer in team:
            session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=plan.department_id))
            session.add(Scan(kind="in", firm_id=visit.firm_id, officer_id=officer.id, visit_id=visit.id, at=at,
                             accepted=True))
        session.add(VisitEntry(visit_id=visit.id, entered_at=at, code_nonce="x"))
        session.add(DepartmentEntry(visit_id=visit.id, department_id=plan.department_id, entered_at=at))
        session.commit()
        found = visit.id, plan.department_id
    app.extensions["db_engine"].dispose()
    return found


def _notices_of(app, visit_id: int) -> list[str]:
    with app.extensions["db_factory"]() as session:
        return list(session.scalars(select(Document.number).where(Document.kind == "notice",
                                                                  Document.visit_id == visit_id)))


def _facts_of(app, visit_id: int) -> list[tuple[int, int]]:
    """The visit's facts for oversight: (department, certified officers) per department that entered."""
    with app.extensions["db_factory"]() as session:
        return [tuple(row) for row in session.execute(
            select(EntryFact.department_id, EntryFact.certified).where(EntryFact.visit_id == visit_id))]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)   # rq runs beside PostgreSQL in production
def test_a_worker_issues_the_inspection_notice_of_an_entry_once(database, redis_url):
    """凡检查必通知 with rq: the entry's notice and the visit's facts for oversight are a job on the queue; a
    worker issues the notice and makes the facts, and the same job delivered again issues nothing more and
    leaves the same facts."""
    url, plan_id = database
    visit_id, department_id = _entered_visit(url, plan_id)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app = _app(url, JOBS="rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    with app.app_context():
        jobs.submit_after_entry(app, [visit_id], [(visit_id, department_id)])
    assert _notices_of(app, visit_id) == []           # queued, not issued by the web process
    assert _facts_of(app, visit_id) == []
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "jobs",
           "INSPECTION_JOBS_QUEUE": queue, **clock_env()}

    def work():
        worker = subprocess.run([sys.executable, "-m", "web.console", "worker", "--burst"], cwd=ROOT, timeout=300,
                                env=env, capture_output=True, text=True, check=False)
        assert worker.returncode == 0, worker.stderr[-2000:]

    work()
    [number] = _notices_of(app, visit_id)
    assert "〔" in number and "〕" in number
    assert _facts_of(app, visit_id) == [(department_id, 2)]
    with app.app_context():
        jobs.submit_after_entry(app, [visit_id], [(visit_id, department_id)])
    work()
    assert _notices_of(app, visit_id) == [number]
    assert _facts_of(app, visit_id) == [(department_id, 2)]
    redis.Redis.from_url(redis_url).delete(f"rq:queue:{queue}")
    app.extensions["db_engine"].dispose()
