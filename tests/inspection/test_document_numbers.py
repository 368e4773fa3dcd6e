"""Document numbers under simultaneous requests, on SQLite and on PostgreSQL: the approvals of one
department's plans, given at the same moment, issue approval forms numbered 1, 2, 3... of the year with no
number shared and none skipped."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core import clock
from inspection.db import upgrade
from inspection.demo.city import build_demo_city
from inspection.models import Document, User
from inspection.operations.events import verify_chain
from inspection.operations.plans import create_plan, file_plan
from tests.backends import fresh_database
from tests.clients import CsrfClient
from tests.races import race, signed_in
from web import create_app

pytestmark = pytest.mark.own_database  # makes its own SQLite and PostgreSQL databases
PLANS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def numbering_city(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "race", "JOBS": "inline", "WTF_CSRF_ENABLED": False,
                          "RATE_LIMITS": False})
        app.test_client_class = CsrfClient
        upgrade(app.extensions["db_engine"])
        with app.extensions["db_factory"]() as session:
            build_demo_city(session, seed=5, firms=150, plans=False)
            market = session.scalar(select(User).where(User.username == "market"))
            start = clock.today() + dt.timedelta(days=1)
            app.plans = []
            for n in range(PLANS):
                plan = create_plan(session, market, title=f"并发审批 {n + 1}", period_start=start,
                                   period_end=start + dt.timedelta(days=5), item_codes=["SC-003"],
                                   ratios={c: 0.1 for c in "ABCD"})
                file_plan(session, market, plan)
                app.plans.append(plan.id)
            session.commit()
        yield app
        app.extensions["db_engine"].dispose()


def test_simultaneous_approvals_number_their_forms_without_gap_or_repeat(numbering_city):
    def work(i, start):
        client = signed_in(numbering_city, "market-head")
        start.wait(timeout=60)
        response = client.post(f"/api/v1/plans/{numbering_city.plans[i]}/approval", json={"task_source": "random"})
        return response.status_code, response.get_json()

    results = race(PLANS, work)
    assert all(status == 201 for status, _ in results), results
    numbers = [body["document"] for _, body in results]
    serials = sorted(int(re.fullmatch(r"东市监检审〔(\d{4})〕第(\d{4})号", n).group(2)) for n in numbers)
    assert serials == list(range(1, PLANS + 1)), numbers
    with numbering_city.extensions["db_factory"]() as session:
        stored = session.scalars(select(Document).where(Document.kind == "approval").order_by(Document.serial)).all()
        assert [d.serial for d in stored] == list(range(1, PLANS + 1))
        assert {d.number for d in stored} == set(numbers)
        assert verify_chain(session)[0]
