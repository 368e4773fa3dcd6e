"""Inputs that once answered 500 with a traceback (an outside tester's report): each now answers a 4xx
in the platform's error shape (JSON for the API, a readable page for people), and an offline batch
refuses a broken record on its own instead of rolling back the batch."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from inspection.models import OfflineRecord, RefusalReport, User
from inspection.operations.events import utcnow
from tests.at_the_door import as_user, sync
from tests.fuzzing import assert_error_shape, has_chinese

HUGE = str(10**20)


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def api_refused(response, statuses=(400, 422)):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    assert_error_shape(response.status_code, response.get_json())
    return response.get_json()


def page_refused(response, statuses=(400, 404, 422)):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    assert has_chinese(response.get_data(as_text=True))


@pytest.mark.parametrize("body", [
    '{"username": ' + deep_json(5000) + ', "password": "x"}',
    deep_json(5000),
    '{"username": "\\ud800", "password": "x"}',
    '{"\\udfff": "market", "password": "x"}',
    '{"username": "market", "password": ' + "9" * 5000 + "}",
    '{"username": "market", "password": NaN}',
], ids=["deep-field", "deep-body", "lone-surrogate", "surrogate-key", "5000-digits", "nan"])
def test_hostile_json_bodies_are_refused_before_any_endpoint(client, body):
    api_refused(client.post("/api/v1/session", data=body, content_type="application/json"))


def test_hostile_json_reaches_no_signed_in_endpoint_either(client, login):
    login("market")
    api_refused(client.post("/api/v1/plans", data=deep_json(5000), content_type="application/json"))
    api_refused(client.post("/api/v1/plans", data='{"title": "\\ud83d"}', content_type="application/json"))


def test_public_results_refuse_numbers_past_any_page_or_plan(client):
    page_refused(client.get(f"/public/results?page={HUGE}"))
    page_refused(client.get(f"/public/results?plan={HUGE}"))
    page_refused(client.get("/public/results?page=0"))
    assert client.get("/public/results?page=&plan=").status_code == 200   # an empty field is no filter


@pytest.mark.parametrize("username, url", [
    ("market", f"/firms?page={HUGE}"),
    ("oversight", "/oversight/dashboard?year=99999"),
    ("oversight", "/oversight/report?year=-1"),
    ("oversight", "/oversight/report?month=13"),
    ("oversight", f"/oversight/visits?year={HUGE}"),
    ("oversight", f"/oversight/visits.csv?year={HUGE}"),
    ("oversight", "/oversight/plans?year=0"),
    ("market", f"/evaluations?year={HUGE}"),
])
def test_pages_refuse_years_and_pages_out_of_range(client, login, username, url):
    login(username)
    page_refused(client.get(url))


def test_api_years_are_bounded(client, login):
    login("market")
    api_refused(client.get("/api/v1/evaluations/summary?year=9999"))
    assert client.get("/api/v1/evaluations/summary?year=2026").status_code == 200


@pytest.fixture
def firm_account(client, login, db_session):
    login("firm")
    return db_session.scalar(select(User).where(User.username == "firm")).firm


@pytest.mark.parametrize("occurred", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00"])
def test_no_code_reports_refuse_times_out_of_range_in_the_api(client, firm_account, occurred):
    api_refused(client.post(f"/api/v1/firms/{firm_account.uscc}/no-code-reports",
                            json={"occurred_at": occurred, "officers": "张三"}))


@pytest.mark.parametrize("occurred", ["0001-01-01T00:00", "0001-01-01T00:00:00+14:00",
                                      (utcnow() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M") + "+00:00",
                                      "abc", ""])
def test_no_code_reports_refuse_times_out_of_range_on_the_page(client, firm_account, db_session, occurred):
    response = client.post(f"/firms/{firm_account.uscc}/no-code-reports",
                           data={"occurred_at": occurred, "officers": "张三"})
    assert response.status_code in (302, 303, 422), response.status_code
    assert db_session.scalar(select(func.count()).select_from(RefusalReport)) == 0


def test_a_zoned_time_on_the_page_counts_as_that_instant(client, firm_account, db_session):
    at = utcnow() - dt.timedelta(hours=2)
    response = client.post(f"/firms/{firm_account.uscc}/no-code-reports",
                           data={"occurred_at": at.strftime("%Y-%m-%dT%H:%M") + "+00:00", "officers": "张三"})
    assert response.status_code == 302
    report = db_session.scalar(select(RefusalReport))
    assert report is not None and report.occurred_at == at.replace(second=0, microsecond=0)


@pytest.mark.parametrize("entered", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00"])
def test_emergency_scans_refuse_entry_times_out_of_range(client, login, visit_today, entered):
    as_user(client, login, visit_today["users"][0])
    api_refused(client.post("/api/v1/scans", json={"token": visit_today["token"], "emergency": {
        "kind": "accident", "item": "SC-003", "entered_at": entered}}))


def test_the_invite_form_refuses_a_task_past_any_row(client, login, visit_today):
    as_user(client, login, visit_today["users"][0])
    page_refused(client.post(f"/visits/{visit_today['visit'].id}/invite", data={"task": HUGE}))
    page_refused(client.post(f"/visits/{visit_today['visit'].id}/invite", data={"task": "-1"}))


@pytest.mark.parametrize("visit", [[1, 2], {}, 2**70, -1, True, "1"])
def test_an_offline_record_naming_no_possible_visit_is_refused_alone(client, login, visit_today, team_phones, db_session,
                                                                     visit):
    (first, phone), _ = team_phones
    now = utcnow()
    good = phone.record("scan_in", now - dt.timedelta(minutes=30), token=visit_today["token"])
    bad = phone.record("scan_out", now - dt.timedelta(minutes=20), visit=visit)
    results = sync(client, login, first, [good, bad])
    assert [r["status"] for r in results] == ["applied", "refused"]
    assert has_chinese(results[1]["message"])
    db_session.expire_all()
    assert set(db_session.scalars(select(OfflineRecord.status))) == {"applied", "refused"}


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z",
                                "2026-13-01T00:00:00Z", 12, None])
def test_an_offline_record_with_an_impossible_time_is_refused_alone(client, login, visit_today, team_phones, at):
    (first, phone), _ = team_phones
    good = phone.record("scan_in", utcnow() - dt.timedelta(minutes=30), token=visit_today["token"])
    unsigned = {"payload": json.dumps({"id": "x" * 16, "kind": "scan_out", "officer": phone.certificate_no,
                                       "key": phone.key_id, "at": at, "data": {"visit": 1}}), "signature": "AA"}
    results = sync(client, login, first, [unsigned, good])
    assert sorted(r["status"] for r in results) == ["applied", "refused"]


def test_nul_characters_are_refused_before_any_query(client, login):
    """PostgreSQL's text holds no NUL: a NUL in a body, the query, a form or the path answers 400."""
    response = client.post("/api/v1/session", json={"username": "\x00", "password": "x"})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert client.get("/catalogue?department=%FF%00").status_code == 400
    assert client.post("/login", data={"username": "a\x00", "password": "x"}).status_code == 400
    login("market")
    page = client.get("/firms/%00")
    assert page.status_code in (400, 404)
