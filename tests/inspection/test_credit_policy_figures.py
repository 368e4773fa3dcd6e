"""信用风险分类监管 on oversight's dashboard (entries per firm by credit class against the city's policy), and
the plan's overall share of its pool shown beside each item's bound when it is filed."""
import datetime as dt

import pytest
import yaml
from sqlalchemy import func, select

from core import clock
from inspection.demo.approvals import approve_filed
from inspection.models import Event, Firm, User
from inspection.operations.draws import draw_plan
from inspection.operations.plans import create_plan, file_plan
from inspection.pure.calendar import CITY_FILE
from inspection.queries.kpis import Scope, entries_by_credit_class, frequency_obligations, policy_inversions

YEAR = 2031   # a year no other record reaches: the counts are this test's own


def class_sizes(db_session) -> dict[str, int]:
    return dict(db_session.execute(select(Firm.credit_class, func.count()).group_by(Firm.credit_class)).all())


def test_dashboard_shows_entries_per_firm_by_class_against_the_policy(client, login, db_session, make_firm, entered):
    policy = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))["credit_ratios"]
    a, d1, d2 = make_firm(credit_class="A"), make_firm(credit_class="D"), make_firm(credit_class="D")
    entered(a, day=dt.date(YEAR, 3, 3))
    entered(a, day=dt.date(YEAR, 6, 9))
    entered(a, department="fire", item="XF-002", day=dt.date(YEAR, 9, 1))
    entered(d1, day=dt.date(YEAR, 3, 4))
    entered(d2, day=dt.date(YEAR - 1, 3, 4))   # another year: not counted
    db_session.commit()
    sizes = class_sizes(db_session)

    rows = {r.credit_class: r for r in entries_by_credit_class(db_session, Scope(YEAR), policy)}
    assert set(rows) == {"A", "B", "C", "D"}
    assert (rows["A"].firms, rows["A"].entered, rows["A"].entries) == (sizes["A"], 1, 3)
    assert (rows["D"].firms, rows["D"].entered, rows["D"].entries) == (sizes["D"], 1, 1)
    assert (rows["B"].entered, rows["B"].entries, rows["B"].policy) == (0, 0, policy["B"])
    assert rows["A"].per_firm == pytest.approx(3 / sizes["A"])
    assert rows["A"].against_policy == pytest.approx(3 / sizes["A"] / policy["A"])
    # One department's scope counts its own entries only.
    market = {r.credit_class: r for r in entries_by_credit_class(db_session, Scope(YEAR, department="market"), policy)}
    assert market["A"].entries == 2

    # A (sampled least) entered more per firm than D (sampled most) runs against the policy.
    inverted = 3 / sizes["A"] > 1 / sizes["D"]
    assert (("A", "D") in policy_inversions(list(rows.values()))) == inverted
    assert ("B", "D") not in policy_inversions(list(rows.values()))

    login("oversight")
    page = client.get(f"/oversight/dashboard?year={YEAR}").get_data(as_text=True)
    assert "对照本市信用风险分类抽查政策" in page
    assert f"<td>A 类</td><td>{sizes['A']}</td>" in page
    assert f"{100 * policy['A']:g}%" in page and f"{100 * policy['D']:g}%" in page
    assert f"为政策比例的 {3 / sizes['A'] / policy['A']:.2f} 倍" in page
    assert f"{3 / sizes['A']:.3f} 次" in page
    assert ("A 类企业每家平均入企多于 D 类，而政策对 A 类的抽查比例更低" in page) == inverted


def test_filing_shows_the_plans_overall_share_beside_each_items_bound(client, login, db_session):
    """The bound (不低于 3%) is on the whole pool: the plan's share, summed over its classes, is shown
    beside it on the page the plan is filed from, answered by the API on filing and kept in the event."""
    login("market")
    created = client.post("/api/v1/plans", json={"title": "信用分类抽查", "period_start": "2026-04-01",
                                                  "period_end": "2026-04-30", "items": ["SC-001"],
                                                  "ratios": {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}})
    assert created.status_code == 201, created.get_json()
    plan_id, share = created.get_json()["id"], created.get_json()["share"]
    pool = share["pool"]
    expected = (0.01 * pool["A"] + 0.02 * pool["B"] + 0.1 * pool["C"] + 0.3 * pool["D"]) / share["pool_size"]
    assert share["share"] == pytest.approx(expected, abs=1e-6)
    draft = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert ">备案</button>" in draft
    assert (f"抽取池 {share['pool_size']} 家，按各类比例抽取约 {share['selected']} 家，"
            f"占全部检查对象的 {expected * 100:.2f}%") in draft
    assert "事项 SC-001 要求 不低于 3%：符合" in draft
    filed = client.post(f"/api/v1/plans/{plan_id}/file")
    assert filed.status_code == 200, filed.get_json()
    body = filed.get_json()
    assert body["share"]["share"] == pytest.approx(expected, abs=1e-6)
    assert body["share"]["bounds"] == [{"item": "SC-001", "name": "食品生产企业监督检查", "min": 0.03, "max": None,
                                        "text": "不低于 3%", "ok": True}]
    event = db_session.scalar(select(Event).where(Event.kind == "plan.filed", Event.subject == f"plan:{plan_id}"))
    assert event.payload["share"]["share"] == pytest.approx(expected, abs=1e-6)
    assert event.payload["share"]["bounds"][0]["ok"] is True
    # Below the bound the plan is refused with its share named beside the bound.
    low = client.post("/api/v1/plans", json={"title": "比例过低", "period_start": "2026-04-01",
                                              "period_end": "2026-04-30", "items": ["SC-001"],
                                              "ratios": {c: 0.01 for c in "ABCD"}})
    assert low.status_code == 422
    assert "要求抽查比例不低于 3%（针对全部检查对象），本计划各类比例合计为抽取池" in low.get_json()["message"]


def test_the_lists_frequency_floor_is_shown_met_or_not(client, login, db_session, make_firm):
    """每年不少于1次 (SC-012) is market's yearly obligation: under way until a plan of the item is drawn,
    met after, and a year that ended without one is missed."""
    today = clock.today()
    market = db_session.scalar(select(User).where(User.username == "market"))

    def sc012(year):
        rows = [o for o in frequency_obligations(db_session, Scope(year), today) if o.item == "SC-012"]
        assert len(rows) == 1, rows
        return rows[0]

    before = sc012(today.year)
    assert (before.required, before.words, before.department) == (1, "每年不少于1次", "市场监管")
    for _ in range(2):
        make_firm(industry="机械制造")
    plan = create_plan(db_session, market, title="产品质量监督抽查", period_start=today,
                       period_end=dt.date(today.year, 12, 31), item_codes=["SC-012"], ratios={c: 0.5 for c in "ABCD"})
    file_plan(db_session, market, plan)
    approve_filed(db_session, plan)
    draw_plan(db_session, market, plan)
    db_session.commit()
    after = sc012(today.year)
    assert (after.runs, after.state, after.state_label) == (before.runs + 1, "met", "已完成")
    # A year that has ended without a run of the item is missed (the catalogue is in force from 2026).
    later = frequency_obligations(db_session, Scope(today.year), dt.date(today.year + 1, 1, 5))
    assert {o.item for o in later} >= {"SC-012", "SC-013-01"}
    for o in later:   # the year is over: every floor is met or missed, none under way
        assert o.state == ("met" if o.runs >= o.required else "missed"), o
    login("oversight")
    page = client.get(f"/oversight/dashboard?year={today.year}").get_data(as_text=True)
    assert "清单规定的抽查频次" in page and "SC-012 产品质量监督抽查" in page and "已完成" in page
