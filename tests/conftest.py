"""Shared fixtures: one app per test session on a migrated database with a small
demo city; each test runs inside a transaction rolled back at its end.

The suite never reads the wall clock: the whole session runs on a clock that starts at
``TEST_NOW`` (default: a Wednesday, 10:00 China time) and ticks on. CI also runs it at night and
at a weekend; tests that need the door open move the clock to a working morning themselves.

The database is ``TEST_DATABASE_URL`` (or ``DATABASE_URL``) when set, e.g. a
PostgreSQL database whose name contains "test"; otherwise a temporary SQLite file.
"""
from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from sqlalchemy import func, make_url, select, text
from sqlalchemy.orm import sessionmaker

from core import clock
from inspection.db import normalise_url, upgrade
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.models import (
    Base,
    CatalogueItem,
    Department,
    DepartmentEntry,
    District,
    Event,
    Firm,
    InspectionPlan,
    InspectionTask,
    Officer,
    Scan,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
)
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token
from inspection.operations.facts import refresh_visit_facts
from inspection.pure.uscc import make_uscc
from tests.approvals import approve
from tests.at_the_door import Phone, as_user, enter
from tests.clients import CsrfClient
from tests.clocks import door_open_day, to_door_open
from tests.fuzzing import build_world
from web import create_app
from web.limits import limiter
from web.notices import stop_all_senders
from web.sealer import stop_all_sealers

TEST_FIRMS = 300
DEFAULT_TEST_NOW = "2026-12-02T10:00+08:00"
_travel: time_machine.travel | None = None


def pytest_configure(config):
    """Start the session's clock before any test module computes its days."""
    global _travel
    _travel = time_machine.travel(clock.parse_instant(os.environ.get("TEST_NOW") or DEFAULT_TEST_NOW)
                                  .replace(tzinfo=dt.UTC), tick=True)
    _travel.start()


def pytest_unconfigure(config):
    if _travel is not None:
        _travel.stop()


def pytest_report_header(config):
    return f"clock: {clock.local_now():%Y-%m-%d %H:%M %A} (city time; TEST_NOW sets it)"


@pytest.fixture(autouse=True)
def _senders_stop_with_their_test():
    """A test's app with ``thread`` jobs starts a notice sender and a log sealer; they must not outlive the
    test's database."""
    yield
    stop_all_senders()
    stop_all_sealers()


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    name = make_url(normalise_url(url)).database or ""
    if not url.startswith("sqlite") and "test" not in name:
        pytest.exit(f"refusing to run the tests on database {name!r}: its name must contain 'test'", 2)
    return url


def _reset(engine) -> None:
    """Start from an empty schema, whatever an earlier run left behind."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _test_database_url(tmp_path_factory)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "FILES_FOLDER": str(tmp_path_factory.mktemp("files")),
                      "SECRET_KEY": "test-secret", "JOBS": "inline", "SCHEDULE_TIME_LIMIT": 5.0,
                      "SCHEDULE_WORKERS": 1, "RATE_LIMITS": False})
    app.test_client_class = CsrfClient
    engine = app.extensions["db_engine"]
    _reset(engine)
    upgrade(engine)
    factory = app.extensions["db_factory"]
    with factory() as session:
        build_demo_city(session, seed=7, firms=TEST_FIRMS, plans=False)
        session.commit()
    yield app
    engine.dispose()


@pytest.fixture
def door_open():
    """The clock at the session's door-open instant (a working day, working hours); yields that day."""
    with to_door_open():
        yield door_open_day()


@pytest.fixture
def db_session(app):
    """A session whose work, and every request's, is rolled back after the test."""
    engine = app.extensions["db_engine"]
    original = app.extensions["db_factory"]
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    app.extensions["db_factory"] = factory
    session = factory()
    try:
        yield session
    finally:
        session.close()
        app.extensions["db_factory"] = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def limited(app):
    """The shared app with its rate limits on and fresh counts."""
    app.config["RATE_LIMITS"] = True
    limiter.reset()
    yield app
    app.config["RATE_LIMITS"] = False
    limiter.reset()


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """Sign ``client`` in as ``username`` through the API."""
    def do(username: str, password: str = DEMO_PASSWORD):
        response = client.post("/api/v1/session", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()
    return do


@pytest.fixture
def counts(db_session):
    """Row counts of the tables an operation could write, to prove that nothing was written."""
    def snapshot() -> dict:
        db_session.expire_all()
        return {model.__name__: db_session.scalar(select(func.count()).select_from(model))
                for model in (CatalogueItem, InspectionPlan, Event, Firm, User)}
    return snapshot


@pytest.fixture
def make_firm(db_session):
    """Create a firm with a valid code; returns it."""
    serial = iter(range(1, 10_000))

    def make(name: str | None = None, district_code: str = "370502", industry: str = "食品制造",
             credit_class: str = "B", tags: tuple[str, ...] = ()) -> Firm:
        n = next(serial)
        district = db_session.scalar(select(District).where(District.code == district_code))
        firm = Firm(uscc=make_uscc("9", "1", district_code, f"TQ{n:06d}"), name=name or f"测试企业{n}有限公司",
                    district=district, industry=industry, credit_class=credit_class, address="测试地址")
        firm.tags = list(tags)
        db_session.add(firm)
        db_session.flush()
        return firm
    return make


@pytest.fixture
def make_user(db_session):
    """Create an account of ``role``; returns it. Password: the demo password."""
    serial = iter(range(1, 10_000))

    def make(role: str, *, department: str | None = None, firm: Firm | None = None) -> User:
        n = next(serial)
        dept = (db_session.scalar(select(Department).where(Department.code == department))
                if department else None)
        officer = None
        if role == "inspector":
            officer = Officer(certificate_no=f"T{n:08d}", name=f"测试执法员{n}", department=dept,
                              valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2028, 12, 31), active=True,
                              qualifications=[])
            db_session.add(officer)
        user = create_user(db_session, None, username=f"{role}-{n}", password=DEMO_PASSWORD, role=role,
                           display_name=f"测试{role}{n}", department=dept, officer=officer, firm=firm)
        db_session.flush()
        return user
    return make


@pytest.fixture
def entered(db_session):
    """Record an entered visit to ``firm`` by ``department`` on ``day`` for ``item`` (as the scan flow leaves it)."""
    admin = db_session.scalar(select(User).where(User.username == "admin"))

    def make(firm, department="market", item="SC-003", day=dt.date(2026, 5, 11), window=None, officers=2,
             on_site=True, status="completed"):
        dept = db_session.scalar(select(Department).where(Department.code == department))
        catalogue_item = db_session.scalar(select(CatalogueItem).where(CatalogueItem.code == item,
                                                                       CatalogueItem.status == "published"))
        start, end = window or (day, day)
        plan = InspectionPlan(department=dept, title=f"{department}-{item}", period_start=start, period_end=end,
                              status="completed", created_by=admin, created_at=dt.datetime(2026, 1, 1),
                              items=[catalogue_item], ratios={"A": 0.1})
        visit = Visit(firm=firm, day=day, status=status, locked=False, created_at=dt.datetime(2026, 1, 1))
        db_session.add_all([plan, visit])
        db_session.flush()
        db_session.add(InspectionTask(plan=plan, firm=firm, status="done", on_site=on_site, window_start=start,
                                      window_end=end, visit_id=visit.id))
        team = db_session.scalars(select(Officer).where(Officer.department_id == dept.id,
                                                        Officer.valid_to > dt.date(2027, 1, 1))
                                  .order_by(Officer.id)).all()[:officers]
        at = dt.datetime.combine(day, dt.time(2, 0))
        for officer in team:
            db_session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id, department_id=dept.id))
            db_session.add(Scan(kind="in", firm_id=firm.id, officer_id=officer.id, visit_id=visit.id, at=at,
                                accepted=True))
        db_session.add(VisitEntry(visit_id=visit.id, entered_at=at, left_at=at + dt.timedelta(hours=1),
                                  code_nonce="x"))
        db_session.add(DepartmentEntry(visit_id=visit.id, department_id=dept.id, entered_at=at,
                                       left_at=at + dt.timedelta(hours=1)))
        db_session.flush()
        refresh_visit_facts(db_session, visit)
        return visit
    return make


@pytest.fixture
def visit_today(client, login, db_session, door_open):
    """A confirmed market visit whose window holds today, with an account for each team member."""
    login("market")
    end = door_open + dt.timedelta(days=10)
    plan = client.post("/api/v1/plans", json={"title": "本周餐饮抽查", "period_start": door_open.isoformat(),
                                              "period_end": end.isoformat(), "items": ["SC-003"],
                                              "ratios": {c: 0.2 for c in "ABCD"}, "target_districts": ["370502"]})
    assert plan.status_code == 201, plan.get_json()
    plan_id = plan.get_json()["id"]
    for action in ("file", "draw", "schedule", "confirm"):
        if action == "draw":
            approve(client, plan_id)
        response = client.post(f"/api/v1/plans/{plan_id}/{action}")
        assert response.status_code in (200, 202), response.get_json()
    client.delete("/api/v1/session")
    visit = db_session.scalars(select(Visit).where(Visit.status == "confirmed").order_by(Visit.id)).first()
    accounts = []
    for member in visit.officers:
        officer = member.officer
        user = db_session.scalar(select(User).where(User.officer_id == officer.id)) or create_user(
            db_session, None, username=f"o{officer.certificate_no}", password="demo1234", role="inspector",
            display_name=officer.name, officer=officer)
        accounts.append(user.username)
    token = firm_token(db_session, visit.firm).token
    db_session.commit()
    return {"visit": visit, "plan": plan_id, "users": accounts, "token": token}


@pytest.fixture
def inside(client, login, visit_today, db_session):
    """Today's market visit (``visit_today``), entered by its two officers (both scans went through)."""
    first, second = enter(client, login, visit_today)
    assert second["state"] == "entered", (first, second)
    db_session.expire_all()
    return db_session.get(Visit, visit_today["visit"].id)


@pytest.fixture
def team_phones(client, login, visit_today, db_session):
    """Each team member's phone, registered while online."""
    made = []
    for username in visit_today["users"]:
        as_user(client, login, username)
        phone = Phone(client.get("/api/v1/me").get_json()["certificate_no"])
        response = client.post("/api/v1/devices", json={"public_key": phone.jwk})
        assert response.status_code == 201, response.get_json()
        phone.key_id = response.get_json()["key"]
        again = client.post("/api/v1/devices", json={"public_key": phone.jwk})
        assert again.get_json()["key"] == phone.key_id  # registering again changes nothing
        made.append((username, phone))
    return made


@pytest.fixture
def fuzz_city(db_session, entered):
    """The values the fuzzing tests fill the API's path parameters with (``tests.fuzzing.build_world``),
    and the ids of the demo accounts they sign in as."""
    known = build_world(db_session, entered)
    known["user_ids"] = dict(db_session.execute(select(User.username, User.id).where(User.username.in_(
        ("market", "firm", "inspector1", "oversight", "admin")))).all())
    db_session.commit()
    return known


@pytest.fixture
def plans(client, login, request):
    """Plans of market regulation through the API, made from the test module's ``PLAN``:
    ``plans(**overrides)`` creates one, ``plans.file(id)`` files and approves it, ``plans.draw(id)`` draws
    it and returns the public draw record."""
    login("market")
    body = request.module.PLAN

    def make(**overrides):
        response = client.post("/api/v1/plans", json={**body, **overrides})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def file(plan_id):
        response = client.post(f"/api/v1/plans/{plan_id}/file")
        assert response.status_code == 200, response.get_json()
        approve(client, plan_id)
        return response.get_json()

    def draw(plan_id):
        response = client.post(f"/api/v1/plans/{plan_id}/draw")
        assert response.status_code == 200, response.get_json()
        return client.get(f"/api/v1/public/plans/{plan_id}/draw").get_json()

    make.file, make.draw = file, draw
    return make
