"""Production settings seen from outside: rate limits on sign-in and the code verifier, cookie flags,
security headers, health endpoints, and a clear 503 when the database cannot be reached."""
from __future__ import annotations

from sqlalchemy import func, select

from inspection.models import Event
from tests.servers import free_port
from web import create_app


def test_guessing_a_password_is_slowed_per_account(limited, client, db_session):
    for _ in range(10):
        response = client.post("/api/v1/session", json={"username": "market", "password": "wrong"})
        assert response.status_code == 401
    response = client.post("/api/v1/session", json={"username": "market", "password": "wrong"})
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "too_many_requests" and "频繁" in body["message"]
    assert int(response.headers["Retry-After"]) > 0
    # Even the right password waits: the account is what is being guessed.
    assert client.post("/api/v1/session", json={"username": "market", "password": "demo1234"}).status_code == 429
    # Another account from the same place is not locked out by it.
    assert client.post("/api/v1/session", json={"username": "oversight", "password": "demo1234"}).status_code == 200


def test_the_login_form_counts_posts_not_views(limited, client, db_session):
    for _ in range(12):
        assert client.get("/login").status_code == 200
    for _ in range(10):
        assert client.post("/login", data={"username": "firm", "password": "wrong"}).status_code == 401
    response = client.post("/login", data={"username": "firm", "password": "wrong"})
    assert response.status_code == 429
    assert "请求过于频繁" in response.get_data(as_text=True)


def test_the_code_verifier_is_limited_per_address(limited, client, db_session):
    for _ in range(120):
        assert client.get("/api/v1/verify/forged-code").status_code == 200
    assert client.get("/api/v1/verify/forged-code").status_code == 429
    assert client.get("/verify/forged-code").status_code == 429  # the page and the API share one count


def test_limits_are_off_when_configured(app, client, db_session):
    assert app.config["RATE_LIMITS"] is False
    for _ in range(15):
        assert client.post("/api/v1/session", json={"username": "market", "password": "wrong"}).status_code == 401


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/api/v1/catalogue", "/login"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP outside production


def test_production_cookies_are_secure_httponly_samesite(app, monkeypatch):
    monkeypatch.setenv("INSPECTION_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    production = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "WTF_CSRF_ENABLED": False,
                             "AUDIT_AFTER_WRITES": False, "NOTICE_SENDER": False})
    client = production.test_client()
    response = client.post("/api/v1/session", json={"username": "oversight", "password": "demo1234"})
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert production.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")
    production.extensions["db_engine"].dispose()


def test_health_endpoints(client):
    assert client.get("/health").get_json() == {"status": "ok"}
    assert client.get("/health/ready").get_json() == {"status": "ok", "database": "ok"}


def test_an_unreachable_database_answers_503_with_nothing_written(app, db_session):
    port = free_port()  # nothing listens there
    down = create_app({"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/test", "SECRET_KEY": "x",
                       "WTF_CSRF_ENABLED": False, "RATE_LIMITS": False, "NOTICE_SENDER": False})
    client = down.test_client()
    assert client.get("/health").status_code == 200  # the process itself answers
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.get_json()["status"] == "unavailable"
    before = db_session.scalar(select(func.count()).select_from(Event))
    response = client.post("/api/v1/session", json={"username": "market", "password": "demo1234"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable" and "未保存" in response.get_json()["message"]
    assert response.headers["Retry-After"] == "5"
    page = client.get("/catalogue")
    assert page.status_code == 503 and "数据库暂不可用" in page.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Event)) == before
    down.extensions["db_engine"].dispose()
