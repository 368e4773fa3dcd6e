"""Helpers of the hostile-input tests: a few real rows to aim generated requests at, the rows that a
refused request must leave alone, and the shape every API error must have."""
from __future__ import annotations

import datetime as dt
import os

from hypothesis import settings
from sqlalchemy import func, select

from core import clock
from inspection.demo.approvals import approve_filed
from inspection.models import (
    Alert,
    CatalogueItem,
    Evaluation,
    Event,
    Finding,
    Firm,
    FirmLead,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    JointCampaign,
    OffsiteEvidence,
    OffsiteRequest,
    QuietPeriod,
    Scan,
    User,
    Visit,
    VisitEntry,
)
from inspection.operations.draws import draw_plan
from inspection.operations.offsite import send_request
from inspection.operations.plans import create_plan, file_plan, file_targeted_plan

# Fixed examples by default, so that a run is reproducible; FUZZ_EXPLORE=1 draws new ones each run.
EXPLORE = bool(os.environ.get("FUZZ_EXPLORE"))
settings.register_profile("fixed", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if EXPLORE else "fixed")

# Every table a write operation of the API could add a row to.
WRITTEN = (CatalogueItem, InspectionPlan, InspectionTask, JointCampaign, Event, Firm, User, Visit, VisitEntry, Scan,
           Finding, ItemOutcome, Evaluation, FirmLead, QuietPeriod, OffsiteRequest, OffsiteEvidence, Alert)
# Refusals that oversight must see write their own record (an event, a refused scan) on purpose.
AUDITED = {"scan_refused", "outside_jurisdiction"}


def row_counts(session) -> dict[str, int]:
    session.expire_all()
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in WRITTEN}


def assert_nothing_written(before: dict, after: dict, code: str) -> None:
    """A refused request leaves every table as it was; an audited refusal adds only its own record. A failed
    sign-in adds no row: it is counted on the account it names, if any."""
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    if code in AUDITED:
        changed = {k: v for k, v in changed.items() if not (k in ("Event", "Scan") and v[1] == v[0] + 1)}
    assert not changed, f"a refused request ({code}) changed row counts: {changed}"


def has_chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error_shape(status: int, body) -> None:
    assert isinstance(body, dict) and set(body) == {"error", "message", "fields"}, body
    assert isinstance(body["error"], str) and body["error"], body
    assert has_chinese(body["message"]), body
    assert isinstance(body["fields"], dict), body


def build_world(session, entered) -> dict[str, list]:
    """A drawn plan of market regulation, a completed visit to the firm of the account ``firm``, an
    off-site request sent to it; returns the known values of the API's path parameters."""
    today = clock.today()
    year_end = dt.date(today.year, 12, 31)
    market = session.scalar(select(User).where(User.username == "market"))
    inspector = session.scalar(select(User).where(User.username == "inspector1"))
    firm = session.scalar(select(User).where(User.username == "firm")).firm
    other = session.scalar(select(Firm).where(Firm.id != firm.id).order_by(Firm.id))
    plan = create_plan(session, market, title="二季度食品生产企业双随机抽查", period_start=today,
                       period_end=year_end, item_codes=["SC-001"],
                       ratios={"A": 0.05, "B": 0.1, "C": 0.3, "D": 0.5})
    file_plan(session, market, plan)
    approve_filed(session, plan)
    draw_plan(session, market, plan)
    draft = create_plan(session, market, title="食品销售抽查", period_start=today, period_end=year_end,
                        item_codes=["SC-003"], ratios={"B": 0.1})
    targeted = file_targeted_plan(session, market, market.department, title="餐饮非现场核查", item_codes=["SC-011"],
                                  firms=[firm], lead="投诉 2026-001", period_start=today, period_end=year_end)
    offsite = send_request(session, inspector, targeted.tasks[0])
    visit = entered(firm, day=today - dt.timedelta(days=2))
    session.flush()
    return {"plan_id": [plan.id, draft.id, targeted.id], "visit_id": [visit.id],
            "task_id": [targeted.tasks[0].id] + [t.id for t in plan.tasks[:2]], "request_id": [offsite.id],
            "uscc": [firm.uscc, other.uscc], "code": ["SC-001", "market", "fire"],
            "certificate_no": [inspector.officer.certificate_no]}
