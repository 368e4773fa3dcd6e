"""One error format for the API: {"error", "message" (Chinese), "fields"}; an OpenAPI document."""
import pytest

from web import ConfigurationError, create_app


def assert_error(response, status, code):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "message", "fields"}
    assert body["error"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


def test_validation_errors_name_each_field(client, login):
    login("market")
    body = assert_error(client.post("/api/v1/plans", json={"title": "", "period_start": "2026-02-30",
                                                           "items": "SC-001", "colour": "red"}),
                        422, "validation_failed")
    assert set(body["fields"]) == {"title", "period_start", "period_end", "items", "colour"}
    assert body["fields"]["period_start"] == ["日期格式应为 YYYY-MM-DD"]
    assert body["fields"]["period_end"] == ["必填"]
    assert body["fields"]["colour"] == ["未知字段"]


def test_query_string_errors(client, login):
    login("market")
    body = assert_error(client.get("/api/v1/firms?credit_class=E&per_page=0"), 422, "validation_failed")
    assert set(body["fields"]) == {"credit_class", "per_page"}


def test_domain_rule_errors_use_the_same_format(client, login):
    login("market")
    body = assert_error(client.post("/api/v1/plans", json={"title": "计划", "period_start": "2026-05-01",
                                                           "period_end": "2026-04-01", "items": ["SC-001"]}),
                        422, "invalid_input")
    assert body["fields"] == {"period_end": "早于开始日期"}


def test_http_errors(client, login):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/v1/plans"), 401, "unauthorized")
    login("firm")
    assert_error(client.get("/api/v1/plans"), 403, "not_permitted")
    assert_error(client.put("/api/v1/session", json={}), 405, "method_not_allowed")


def test_bodies_that_are_not_json_objects(client, login):
    login("market")
    assert_error(client.post("/api/v1/plans", data="{not json", content_type="application/json"),
                 400, "bad_request")
    body = assert_error(client.post("/api/v1/plans", json=["SC-001"]), 422, "validation_failed")
    assert body["fields"]
    body = assert_error(client.post("/api/v1/plans", data="title=x"), 422, "validation_failed")
    assert "title" in body["fields"]


def test_bad_credentials(client):
    assert_error(client.post("/api/v1/session", json={"username": "market", "password": "nope"}),
                 401, "bad_credentials")


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/plans", "/api/v1/firms/{uscc}", "/api/v1/catalogue/items", "/api/v1/session"):
        assert path in spec["paths"], path
    assert "PlanCreate" in spec["components"]["schemas"]


def test_pages_show_readable_errors(client):
    response = client.get("/catalogue/NO-SUCH")
    assert response.status_code == 404 and "未找到请求的内容" in response.get_data(as_text=True)


def test_csrf_is_enforced_on_forms(app):
    guarded = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "x",
                          "AUDIT_AFTER_WRITES": False, "NOTICE_SENDER": False})
    response = guarded.test_client().post("/login", data={"username": "market", "password": "demo1234"})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    guarded.extensions["db_engine"].dispose()


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.setenv("INSPECTION_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app({"DATABASE_URL": "sqlite://"})
