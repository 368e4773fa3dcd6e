"""Faults against a real gunicorn on PostgreSQL: the database going away and coming back mid-run, and
the server crashing between scan-in and scan-out. Nothing is half-written; the service recovers by
itself; an open visit left by a crash can be closed."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from inspection.db import make_engine, make_session_factory, normalise_url, upgrade
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.demo.today import todays_visits
from inspection.models import Event, Scan, Visit, VisitEntry
from inspection.operations.events import verify_chain
from tests.backends import fresh_database
from tests.servers import Browser, Gunicorn, Proxy

# Walks a drill day of visits at the door-open clock.
pytestmark = [pytest.mark.postgres, pytest.mark.own_database, pytest.mark.usefixtures("door_open")]


@pytest.fixture(scope="module")
def drill_city(tmp_path_factory):
    with fresh_database("postgresql", tmp_path_factory.mktemp("faults")) as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            build_demo_city(session, seed=5, firms=150, plans=False)
            today = todays_visits(session, time_limit=3)
            session.commit()
        yield url, factory, today
        engine.dispose()


def signed_in(base: str, username: str) -> Browser:
    browser = Browser(base)
    status, body = browser.call("POST", "/api/v1/session", {"username": username, "password": DEMO_PASSWORD})
    assert status == 200, body
    return browser


def consistent(factory) -> None:
    """Every entry has its two accepted scans, no visit runs without an entry, the log's chain holds."""
    with factory() as session:
        for visit in session.scalars(select(Visit).where(Visit.status.in_(("in_progress", "completed")))):
            assert session.get(VisitEntry, visit.id) is not None, visit.id
        for entry in session.scalars(select(VisitEntry)):
            scans = session.scalar(select(func.count(func.distinct(Scan.officer_id)))
                                   .where(Scan.visit_id == entry.visit_id, Scan.kind == "in", Scan.accepted.is_(True)))
            assert scans >= 2, entry.visit_id
        assert verify_chain(session)[0]


def test_a_crash_between_scan_in_and_scan_out_leaves_a_visit_that_can_be_closed(drill_city):
    url, factory, today = drill_city
    team = today[0]
    server = Gunicorn({"DATABASE_URL": url, "SECRET_KEY": "faults-secret"}).start()
    try:
        officers = [signed_in(server.url, name) for name in team.officers]
        states = [o.call("POST", "/api/v1/scans", {"token": team.token})[1]["state"] for o in officers]
        assert states == ["waiting_partner", "entered"]
    finally:
        server.kill()  # SIGKILL: no shutdown, no cleanup
    with factory() as session:
        assert session.get(Visit, team.visit_id).status == "in_progress"
        assert session.get(VisitEntry, team.visit_id).left_at is None
    consistent(factory)
    restarted = Gunicorn({"DATABASE_URL": url, "SECRET_KEY": "faults-secret"}, port=server.port).start()
    try:
        status, body = officers[0].call("POST", f"/api/v1/visits/{team.visit_id}/leave")  # the old session cookie
        assert status == 200, body
    finally:
        restarted.stop()
    with factory() as session:
        assert session.get(Visit, team.visit_id).status == "completed"
        assert session.get(VisitEntry, team.visit_id).left_at is not None
    consistent(factory)


def test_the_database_going_away_mid_run_gives_503_and_the_service_recovers(drill_city):
    url, factory, today = drill_city
    parsed = make_url(normalise_url(url))
    proxy = Proxy((parsed.host, parsed.port or 5432)).up()
    proxied = str(parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    server = Gunicorn({"DATABASE_URL": proxied, "SECRET_KEY": "faults-secret"}, workers=2).start()
    teams = today[1:9]
    try:
        browsers = {name: signed_in(server.url, name) for team in teams for name in team.officers}
        with factory() as session:
            events_before = session.scalar(select(func.count()).select_from(Event))
        # Down: every request that needs the database says so, and writes nothing.
        proxy.down()
        status, body = browsers[teams[0].officers[0]].call("POST", "/api/v1/scans", {"token": teams[0].token})
        assert status == 503 and body["error"] == "unavailable" and "未保存" in body["message"], body
        status, body = Browser(server.url).call("GET", "/health/ready")
        assert status == 503
        assert Browser(server.url).call("GET", "/health")[0] == 200
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Event)) == events_before
            assert session.scalar(select(func.count()).select_from(Scan).where(Scan.visit_id == teams[0].visit_id)) == 0
        # Back: the same processes serve again.
        proxy.up()
        status, body = browsers[teams[0].officers[0]].call("POST", "/api/v1/scans", {"token": teams[0].token})
        assert status == 200 and body["state"] == "waiting_partner", body
        # Cut mid-run: scans keep coming while the database drops every connection twice.
        answers: list[int] = []

        def officer(team, name):
            for _ in range(3):
                answers.append(browsers[name].call("POST", "/api/v1/scans", {"token": team.token})[0])
                time.sleep(0.05)

        threads = [threading.Thread(target=officer, args=(team, name)) for team in teams for name in team.officers]
        for thread in threads:
            thread.start()
        for _ in range(2):
            time.sleep(0.15)
            proxy.down()
            time.sleep(0.3)
            proxy.up()
        for thread in threads:
            thread.join(timeout=120)
        assert set(answers) <= {200, 503}, (answers, server.output()[-3000:])
        # After the storm everyone can finish: each team's scans go through and make one entry.
        for team in teams:
            for name in team.officers:
                status, body = browsers[name].call("POST", "/api/v1/scans", {"token": team.token})
                assert status == 200, body
                assert body["state"] in ("entered", "already_in", "waiting_partner")
        assert Browser(server.url).call("GET", "/health/ready")[0] == 200
    finally:
        server.stop()
        proxy.down()
    consistent(factory)
    with factory() as session:
        for team in teams:
            assert session.scalar(select(func.count()).select_from(VisitEntry)
                                  .where(VisitEntry.visit_id == team.visit_id)) == 1
