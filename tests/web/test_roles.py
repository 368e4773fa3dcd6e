"""Role-based access, enforced on the server: an enterprise never reads another firm's data."""
import pytest
from sqlalchemy import func, select

from checklists.models import CatalogueItem


def test_enterprise_reads_only_its_own_firm(client, make_firm, make_user, login):
    own, other = make_firm("本企业有限公司"), make_firm("别家企业有限公司")
    user = make_user("enterprise", firm=own)
    login(user.username)
    assert client.get(f"/api/v1/firms/{own.uscc}").get_json()["name"] == "本企业有限公司"
    response = client.get(f"/api/v1/firms/{other.uscc}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert "别家企业" not in response.get_data(as_text=True)
    # The answer for another firm is the same as for a firm that does not exist.
    assert client.get("/api/v1/firms/91370502MA0000000X").get_json() == response.get_json()
    assert client.get(f"/firms/{other.uscc}").status_code == 404
    assert "本企业有限公司" in client.get(f"/firms/{own.uscc}").get_data(as_text=True)


def test_enterprise_cannot_list_or_search_firms(client, make_firm, make_user, login):
    make_firm("可搜索企业有限公司")
    login(make_user("enterprise", firm=make_firm()).username)
    assert client.get("/api/v1/firms?q=可搜索").status_code == 403
    assert client.get("/firms?q=可搜索").status_code == 403


@pytest.mark.parametrize("username", ["market", "inspector1", "oversight", "admin"])
def test_officials_list_firms(client, login, username):
    login(username)
    body = client.get("/api/v1/firms?per_page=5&credit_class=D").get_json()
    assert body["total"] > 0 and len(body["items"]) <= 5
    assert {f["credit_class"] for f in body["items"]} == {"D"}


def test_plans_of_another_department_are_hidden(client, login):
    login("market")
    plan = client.post("/api/v1/plans", json={"title": "市场监管计划", "period_start": "2026-04-01",
                                              "period_end": "2026-04-30", "items": ["SC-001"]}).get_json()
    assert client.get(f"/api/v1/plans/{plan['id']}").status_code == 200
    client.delete("/api/v1/session")
    login("fire")
    assert client.get(f"/api/v1/plans/{plan['id']}").status_code == 404
    assert all(p["department"] == "fire" for p in client.get("/api/v1/plans").get_json())
    client.delete("/api/v1/session")
    login("oversight")
    assert client.get(f"/api/v1/plans/{plan['id']}").status_code == 200


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_pages(client):
    assert client.get("/api/v1/firms").status_code == 401
    assert client.get("/api/v1/me").get_json()["error"] == "unauthorized"
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_public_pages_need_no_login(client):
    assert "检查事项清单" in client.get("/catalogue").get_data(as_text=True)
    assert "检查要点" in client.get("/catalogue/SC-001").get_data(as_text=True)
    assert client.get("/api/v1/catalogue/items?department=fire").status_code == 200
    assert client.get("/log").status_code == 200


@pytest.mark.parametrize("username, heading", [
    ("market", "东营市市场监督管理局 · 工作台"), ("inspector1", "执法人员工作台"), ("firm", "统一社会信用代码"),
    ("oversight", "行政执法监督"), ("admin", "系统管理"),
])
def test_each_role_has_its_home(client, login, username, heading):
    login(username)
    assert heading in client.get("/home").get_data(as_text=True)


def test_role_pages_refuse_other_roles(client, login):
    login("firm")
    assert client.get("/plans/new").status_code == 403
    assert client.get("/api/v1/log/verify").status_code == 403


def test_page_login_and_logout(client):
    response = client.post("/login", data={"username": "market", "password": "wrong"})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "market", "password": "demo1234", "next": "//evil.example"})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert client.post("/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_the_public_home_page_counts_the_published_items_and_has_an_icon(client, db_session):
    published = db_session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.status == "published"))
    page = client.get("/").get_data(as_text=True)
    assert f'<div class="n">{published}</div><div class="l">已发布检查事项</div>' in page
    assert "built-in method" not in page and "favicon.svg" in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301
    with client.get(icon.headers["Location"]) as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
