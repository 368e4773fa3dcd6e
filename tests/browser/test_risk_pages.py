"""Risk and leniency as people see them: a risk-weighted draw re-computed in the browser, a firm's score
with its factors on the oversight page, the model page, and a leniency proposal on the inspector's phone."""
import pytest
from sqlalchemy import select

from inspection.models import CatalogueItem, Finding, Firm, InspectionPlan, RiskScore, Visit
from tests.browser.steps import plan_of_the_week, team_of

pytestmark = pytest.mark.browser


def test_a_risk_weighted_draw_is_verified_in_the_browser(page, live_app, live_server, shot):
    with live_app.extensions["db_factory"]() as session:
        plan = session.scalar(select(InspectionPlan).where(InspectionPlan.weighting == "risk",
                                                           InspectionPlan.drawn_at.is_not(None)))
        plan_id, version = plan.id, plan.risk_model.version
    page.goto(f"{live_server}/public/plans/{plan_id}")
    assert f"比例 + 风险加权（预警模型 版本 {version}）" in page.locator("#weighting").inner_text()
    page.click("#verify")
    result = page.locator("#verify-result")
    result.wait_for(state="visible")
    assert "核对通过（风险加权" in result.inner_text(), result.inner_text()
    shot(page, "risk-weighted-draw-verified")


def test_oversight_reads_a_firms_score_and_the_model(page, live_app, live_server, sign_in, shot):
    with live_app.extensions["db_factory"]() as session:
        uscc = session.scalar(select(Firm.uscc).join(RiskScore, RiskScore.firm_id == Firm.id)
                              .order_by(RiskScore.score.desc()).limit(1))
    sign_in(page, "oversight")
    page.goto(f"{live_server}/firms/{uscc}")
    card = page.locator("#risk")
    assert "风险预警评分" in card.inner_text() and "主要因素" in card.inner_text()
    shot(page, "risk-firm-score")
    page.goto(f"{live_server}/admin/risk")
    assert "现行" in page.locator("table").first.inner_text() and page.locator("text=不读取").is_visible()
    shot(page, "risk-model-page")
    page.goto(f"{live_server}/oversight/alerts?status=open")
    shot(page, "risk-alerts")


def test_the_phone_proposes_the_listed_treatment(phones, live_app, live_server, sign_in, shot):
    # A visit of today of a market plan of its own (other browser tests use the demo's), at a firm never
    # found in breach of the restaurant checklist, so that 首违不罚 applies.
    office = phones()
    sign_in(office, "market")
    plan_id = plan_of_the_week(live_app, office.request, live_server, "今日餐饮抽查（包容审慎）", district="370522",
                               days=1, ratio=1.0)

    def first_time(session, visit) -> bool:
        return not visit.joint and session.scalar(
            select(Finding.id).join(Visit, Visit.id == Finding.visit_id)
            .join(CatalogueItem, CatalogueItem.id == Finding.item_id)
            .where(Visit.firm_id == visit.firm_id, CatalogueItem.code == "SC-003", Finding.result == "non_compliant")
            .limit(1)) is None
    v = team_of(live_app, plan_id, "lenient", today_only=True, accept=first_time)
    names, token = v["users"][:2], v["token"]
    phone_a, phone_b = phones(), phones()
    for phone, username in zip((phone_a, phone_b), names, strict=True):
        sign_in(phone, username)
        phone.goto(f"{live_server}/scan/{token}")
        phone.click("main button[type=submit]")
    assert "入企登记完成" in phone_b.locator(".alert").first.inner_text(), phone_b.locator("main").inner_text()[:600]
    box = phone_b.locator(".leniency").first
    box.wait_for(state="hidden")  # the page's script shows it only for a non-compliant point
    point = box.get_attribute("data-point")
    form = phone_b.locator(f"form.card:has(#leniency-{point})")
    for choice in form.locator("input[type=radio][value=compliant]").all():
        choice.check()
    form.locator(f"input[name=result_{point}][value=non_compliant]").check()
    assert box.is_visible() and "不予处罚" in box.inner_text()
    form.locator(f"input[name=note_{point}]").fill("从业人员健康证明过期")
    for condition in ("first_offence", "no_harm", "corrected"):
        box.locator(f"input[value={condition}]").check()
    box.locator("input[value=follow]").check()
    form.locator("select[name=outcome]").select_option("rectify")
    form.locator("input[name=rectify_by]").fill("2026-12-30")
    shot(phone_b, "leniency-proposal")
    form.locator("button[type=submit]").click()
    assert "检查结果已保存" in phone_b.locator(".alert.success").inner_text(), phone_b.locator("main").inner_text()
    assert "已记录：按清单处理（不予处罚）" in phone_b.locator(f"#leniency-{point}").inner_text()
    shot(phone_b, "leniency-decided")
