"""A published risk model for tests of weighted draws, and a risk-weighted plan to draw with it."""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from inspection.models import Department, Firm, RiskModel, RiskScore

WEIGHTED_PLAN = {"title": "2026年二季度食品生产企业风险加权抽查", "period_start": "2026-04-01", "period_end": "2026-06-30",
        "items": ["SC-001"], "ratios": {"A": 0.05, "B": 0.1, "C": 0.3, "D": 0.5},
        "target_industries": ["食品制造", "食品销售", "餐饮服务", "批发零售"], "weighting": "risk"}


def publish_model(session, version: str, score_of) -> RiskModel:
    """A published model version whose score for every firm and department is ``score_of(firm)``."""
    for old in session.scalars(select(RiskModel).where(RiskModel.status == "published")):
        old.status = "retired"
    model = RiskModel(version=version, status="published", progress=1.0, created_at=dt.datetime(2026, 3, 1),
                      trained_at=dt.datetime(2026, 3, 1), features=[], params={}, metrics={})
    session.add(model)
    session.flush()
    rows = [{"model_id": model.id, "firm_id": firm.id, "department_id": department.id, "score": score_of(firm),
             "factors": []}
            for firm in session.scalars(select(Firm)) for department in session.scalars(select(Department))]
    session.execute(RiskScore.__table__.insert(), rows)
    session.flush()
    return model


def spread(firm) -> float:
    """Scores from 0.001 to 0.9, fixed per firm; some below the floor."""
    return 0.001 + (int(hashlib.sha256(firm.uscc.encode()).hexdigest()[:6], 16) % 900) / 1000
