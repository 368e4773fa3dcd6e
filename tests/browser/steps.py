"""Steps that several browser tests take: a department's plan of this week brought to confirmed visits,
the team and firm accounts of one of them, and the inspector's taps on the phone."""
import datetime as dt
import time

from sqlalchemy import select

from core import clock
from inspection.models import InspectionTask, User, Visit
from inspection.operations.accounts import create_user
from inspection.operations.entries import firm_token
from tests.approvals import approve_on


def file_plan(api, live_server: str, title: str, *, district: str = "370502", days: int = 7,
              ratio: float = 0.2) -> dict:
    """The market department files a plan of SC-003 restaurant checks from today for ``days`` days."""
    today = clock.today()
    plan = api.post(f"{live_server}/api/v1/plans", data={
        "title": title, "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=days - 1)).isoformat(),
        "items": ["SC-003"], "ratios": {c: ratio for c in "ABCD"}, "target_districts": [district]}).json()
    assert api.post(f"{live_server}/api/v1/plans/{plan['id']}/file").ok, plan
    return plan


def draw_and_confirm(api, live_server: str, plan_id: int) -> None:
    """Draw the approved plan, build its schedule (waiting for the build) and confirm it."""
    assert api.post(f"{live_server}/api/v1/plans/{plan_id}/draw").ok
    run = api.post(f"{live_server}/api/v1/plans/{plan_id}/schedule").json()
    for _ in range(120):
        if api.get(f"{live_server}/api/v1/schedule-runs/{run['id']}").json()["status"] == "done":
            break
        time.sleep(0.5)
    confirmed = api.post(f"{live_server}/api/v1/plans/{plan_id}/confirm")
    assert confirmed.ok, confirmed.text()


def plan_of_the_week(live_app, api, live_server: str, title: str, **plan) -> int:
    """A plan filed, approved by the department's head, drawn, scheduled and confirmed."""
    plan_id = file_plan(api, live_server, title, **plan)["id"]
    approve_on(live_app, plan_id)
    draw_and_confirm(api, live_server, plan_id)
    return plan_id


def team_of(live_app, plan_id: int, prefix: str, *, today_only: bool = False, firm_account: bool = False,
            accept=None) -> dict:
    """The plan's confirmed visit of today (else its earliest; ``today_only`` asks for one today) with
    an account for each officer of the team (and the firm's, with ``firm_account``), created where
    missing; ``accept(session, visit)`` may pass over some: ``{"visit", "firm", "token", "users", "firm_user", "points"}``."""
    today = clock.today()
    with live_app.extensions["db_factory"]() as session:
        # Confirmed: a visit the plan shares with another department's plan not yet confirmed waits for it.
        query = (select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                 .where(InspectionTask.plan_id == plan_id, Visit.status == "confirmed"))
        if today_only:
            query = query.where(Visit.day == today)
        visit = next((v for v in session.scalars(query.order_by((Visit.day == today).desc(), Visit.id)).unique()
                      if accept is None or accept(session, v)), None)
        assert visit is not None, f"plan {plan_id} has no visit" + (" today" if today_only else "")
        users = []
        for member in visit.officers:
            user = session.scalar(select(User).where(User.officer_id == member.officer_id)) or create_user(
                session, None, username=f"{prefix}-{member.officer.certificate_no}", password="demo1234",
                role="inspector", display_name=member.officer.name, officer=member.officer)
            users.append(user.username)
        firm_user = None
        if firm_account:
            firm_user = (session.scalar(select(User).where(User.firm_id == visit.firm_id)) or create_user(
                session, None, username=f"{prefix}-firm", password="demo1234", role="enterprise",
                display_name=visit.firm.name, firm=visit.firm)).username
        found = {"visit": visit.id, "firm": visit.firm.name, "token": firm_token(session, visit.firm).token,
                 "users": users, "firm_user": firm_user, "points": len(visit.tasks[0].plan.items[0].points)}
        session.commit()
    return found


def record_item_compliant(page, item_code: str) -> None:
    """Every point of the item compliant, no problem found, saved."""
    form = page.locator(f"form#item-{item_code}")
    for choice in form.locator("input[type=radio][value=compliant]").all():
        choice.check()
    form.locator("select[name=outcome]").select_option("no_problem")
    form.locator("button[type=submit]").click()
    assert "检查结果已保存" in page.locator(".alert.success").inner_text()


def leave(page) -> tuple[str, str]:
    """Tap 扫码离开 and agree when the phone asks; returns the question and the answer shown."""
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#leave button")
    assert asked, "the phone did not ask before the department left"
    return asked[0], page.locator(".alert.success").inner_text()


def draw_signature(page, pad) -> None:
    """The firm's person signs on the signature pad ``pad`` (a locator of its canvas) with a finger."""
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for n in range(1, 12):
        page.mouse.move(box["x"] + 20 + n * 25, box["y"] + box["height"] * (0.7 - 0.4 * (n % 2)))
    page.mouse.up()
