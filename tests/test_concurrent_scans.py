"""Two officers of one team scanning at the same moment make exactly one entry."""
import datetime as dt
import threading

from sqlalchemy import func, select

from inspection.db import upgrade
from inspection.demo.city import build_demo_city
from inspection.models import User, Visit, VisitEntry
from inspection.operations.accounts import create_user
from inspection.operations.draws import draw_plan
from inspection.operations.entries import firm_token, local_today
from inspection.operations.events import utcnow, verify_chain
from inspection.operations.plans import create_plan, file_plan
from inspection.operations.schedules import BuildOptions, confirm_schedule, execute_run, start_build
from web import create_app


def test_simultaneous_scans_make_one_entry(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'race.db'}", "SECRET_KEY": "race", "JOBS": "inline",
                      "WTF_CSRF_ENABLED": False})
    upgrade(app.extensions["db_engine"])
    today = local_today(utcnow())
    with app.extensions["db_factory"]() as session:
        build_demo_city(session, seed=2, firms=200, plans=False)
        market = session.scalar(select(User).where(User.username == "market"))
        plan = create_plan(session, market, title="并发测试", period_start=today, period_end=today + dt.timedelta(days=7),
                           item_codes=["SC-003"], ratios={c: 0.3 for c in "ABCD"})
        file_plan(session, market, plan)
        draw_plan(session, market, plan)
        execute_run(session, start_build(session, market, plan), BuildOptions(time_limit=3, workers=1))
        confirm_schedule(session, market, plan)
        visits = session.scalars(select(Visit).order_by(Visit.id)).all()[:3]
        teams = []
        for visit in visits:
            names = []
            for member in visit.officers:
                user = session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
                    session, None, username=f"race-{member.officer.certificate_no}", password="demo1234",
                    role="inspector", display_name=member.officer.name, officer=member.officer)
                names.append(user.username)
            teams.append((firm_token(session, visit.firm).token, names))
        session.commit()

    results, errors = [], []
    start = threading.Barrier(sum(2 * len(names) for _, names in teams))

    def scan(token, username):
        client = app.test_client()
        try:
            assert client.post("/api/v1/session", json={"username": username, "password": "demo1234"}).status_code == 200
            start.wait(timeout=30)
            response = client.post("/api/v1/scans", json={"token": token})
            results.append((token, response.status_code, response.get_json().get("state")))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scan, args=(token, name)) for token, names in teams for name in names * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(status == 200 for _, status, _ in results), results
    with app.extensions["db_factory"]() as session:
        assert session.scalar(select(func.count()).select_from(VisitEntry)) == len(teams)
        assert {v.status for v in session.scalars(select(Visit).where(Visit.id.in_([v.id for v in visits])))} == {"in_progress"}
        assert verify_chain(session)[0]
    entered = [state for _, _, state in results if state == "entered"]
    assert len(entered) == len(teams)
    app.extensions["db_engine"].dispose()
