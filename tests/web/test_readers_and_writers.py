"""On SQLite one transaction writes at a time. A page that only reads must not queue behind it: a scan's
notice being drawn, the audit rules or an import may hold the write lock for seconds, and a firm reading
its record, or the partner's page after the second scan, would wait for all of it. Nor may a transaction
stay open while a mail server is asked: every scan would wait on the server."""
import contextlib
import socket
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from inspection.db import upgrade
from inspection.demo.city import DEMO_PASSWORD, build_demo_city
from inspection.models import Notice, User
from inspection.operations.notices import notify
from tests.clients import CsrfClient
from web.app import create_app
from web.database import db, writes_when_read
from web.notices import send_due

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readers")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'city.db'}", "SECRET_KEY": "readers",
                      "FILES_FOLDER": str(folder / "files"), "JOBS": "inline", "RATE_LIMITS": False,
                      "WTF_CSRF_ENABLED": False})
    app.test_client_class = CsrfClient
    engine = app.extensions["db_engine"]
    upgrade(engine)
    with app.extensions["db_factory"]() as session:
        build_demo_city(session, seed=3, firms=30, plans=False)
        session.commit()
    yield app, folder / "city.db"
    engine.dispose()


class HeldWriteLock:
    """Another process's writer: BEGIN IMMEDIATE on the file, held until released."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=0)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_exc):
        self.connection.execute("ROLLBACK")
        self.connection.close()


def answered_within(seconds: float, call) -> tuple[bool, dict]:
    answer: dict = {}

    def run():
        try:
            answer["response"] = call()
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            answer["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    answer["worker"] = worker
    worker.start()
    worker.join(seconds)
    return not worker.is_alive(), answer


def signed_in(app, username: str):
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return client


@pytest.mark.parametrize("username, path", [("firm", "/home"), ("oversight", "/home"), ("market", "/api/v1/plans")])
def test_a_page_that_reads_is_served_while_another_transaction_writes(sqlite_app, username, path):
    app, file = sqlite_app
    client = signed_in(app, username)
    with HeldWriteLock(file):
        done, answer = answered_within(10, lambda: client.get(path))
        assert done, f"GET {path} waited for the writer"
        assert answer["response"].status_code == 200


def test_a_write_still_waits_for_the_writer_then_goes_through(sqlite_app):
    app, file = sqlite_app
    client = signed_in(app, "oversight")
    with HeldWriteLock(file):
        done, answer = answered_within(1.5, lambda: client.delete("/api/v1/session"))
        assert not done, "a write went ahead while another transaction held the write lock"
    answer["worker"].join(30)
    assert "error" not in answer, answer.get("error")
    assert answer["response"].status_code in (200, 204)


def test_a_view_that_writes_on_get_must_say_so(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}", "SECRET_KEY": "probe",
                      "FILES_FOLDER": str(tmp_path / "files")})

    @app.get("/probe/unmarked")
    def unmarked():
        db().execute(text("CREATE TABLE unmarked (x integer)"))
        return "written"

    @app.get("/probe/marked")
    @writes_when_read
    def marked():
        db().execute(text("CREATE TABLE marked (x integer)"))
        return "written"

    client = app.test_client()
    with pytest.raises(AssertionError, match="writes_when_read"):
        client.get("/probe/unmarked")
    assert client.get("/probe/marked").status_code == 200
    with app.extensions["db_engine"].connect() as connection:
        tables = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
    assert "marked" in tables and "unmarked" not in tables
    app.extensions["db_engine"].dispose()


class SilentMailServer:
    """A mail server that takes the connection and never answers, as one that hangs does."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.listener.accept()
                self.held.append(connection)
                self.connected.set()

    def close(self):
        for connection in self.held:
            connection.close()
        self.listener.close()


def test_a_notice_sent_to_a_hanging_mail_server_keeps_no_writer_waiting(sqlite_app):
    app, file = sqlite_app
    factory = app.extensions["db_factory"]
    with factory() as session:
        session.execute(update(Notice).values(next_attempt_at=None))
        user = session.scalar(select(User).where(User.username == "oversight"))
        user.email = "oversight@inspection.example"
        notify(session, [{"key": "hanging-server", "kind": "approval_due", "user_id": user.id,
                          "subject": "待审批", "body": "一份检查计划待审批"}])
        session.commit()
    server = SilentMailServer()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_FROM", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_FROM="noreply@inspection.example",
                      MAIL_TIMEOUT=3.0)
    try:
        with factory() as session:
            _, answer = answered_within(0, lambda: send_due(app, session))
            assert server.connected.wait(10), "the sender did not reach the mail server"
            with HeldWriteLock(file):       # another writer gets the lock while the sender waits on the server
                pass
            answer["worker"].join(30)
            assert "error" not in answer, answer.get("error")
            assert answer["response"] == {"sent": 0, "retry": 1, "failed": 0, "none": 0}
        with factory() as session:
            notice = session.scalar(select(Notice).where(Notice.key == "hanging-server"))
            assert notice.attempts == 1 and notice.email_status == "pending" and notice.next_attempt_at is not None
            assert "邮件" in notice.last_error
    finally:
        app.config.update(saved)
        server.close()
