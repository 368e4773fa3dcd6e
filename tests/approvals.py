"""Approving plans in tests as the department's responsible person does (凡检查必审批): a plan is drawn only
once its department head has approved it."""
from __future__ import annotations

from inspection.demo.approvals import approve_filed
from inspection.demo.city import DEMO_PASSWORD
from inspection.models import InspectionPlan


def approve(client, plan_id: int, task_source: str = "random") -> dict:
    """Approve ``plan_id`` through the API as its department's head (``<department>-head``), then sign
    ``client`` back in as whoever was signed in (or leave it signed out)."""
    me = client.get("/api/v1/me")
    username = me.get_json()["username"] if me.status_code == 200 else None
    plan = client.get(f"/api/v1/plans/{plan_id}").get_json() if username else None
    department = plan["department"] if plan else None
    client.delete("/api/v1/session")
    if department is None:
        raise AssertionError("approve() needs a client signed in as an official who can read the plan")
    signed = client.post("/api/v1/session", json={"username": f"{department}-head", "password": DEMO_PASSWORD})
    assert signed.status_code == 200, signed.get_json()
    response = client.post(f"/api/v1/plans/{plan_id}/approval", json={"task_source": task_source})
    assert response.status_code == 201, response.get_json()
    client.delete("/api/v1/session")
    again = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
    assert again.status_code == 200, again.get_json()
    return response.get_json()


def drawn_plan(client, **fields) -> tuple[int, dict]:
    """A plan of April 2026 on SC-003 (``fields`` override any of it) created, filed, approved and drawn
    through the API by the official ``client`` is signed in as; returns its id and public draw record."""
    body = {"period_start": "2026-04-01", "period_end": "2026-04-30", "title": "测试计划", "items": ["SC-003"],
            "ratios": {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}, **fields}
    plan = client.post("/api/v1/plans", json=body)
    assert plan.status_code == 201, plan.get_json()
    plan_id = plan.get_json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/file").status_code == 200
    approve(client, plan_id)
    response = client.post(f"/api/v1/plans/{plan_id}/draw")
    assert response.status_code == 200, response.get_json()
    return plan_id, client.get(f"/api/v1/public/plans/{plan_id}/draw").get_json()


approve_in = approve_filed  # approve through the operation, for tests that work on a session


def approve_on(app, plan_id: int, task_source: str = "random") -> None:
    """Approve ``plan_id`` on ``app``'s database in a transaction of its own (browser tests' live server)."""
    with app.extensions["db_factory"]() as session:
        approve_filed(session, session.get(InspectionPlan, plan_id), task_source)
        session.commit()
