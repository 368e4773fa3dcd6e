"""What a firm's risk score looks like to oversight and to its departments: the score under the model in
force for each department concerned, and the few factors that weigh most."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from inspection import queries
from inspection.models import Department, Firm, RiskModel, User
from inspection.operations.events import format_timestamp
from inspection.permissions import risk_departments
from inspection.pure import risk


def model_summary(model: RiskModel) -> dict:
    metrics = model.metrics or {}
    equal = metrics.get("equal_visits") or {}
    return {"version": model.version, "status": model.status, "status_label": model.status_label,
            "trained_at": format_timestamp(model.trained_at) if model.trained_at else None,
            "test_year": model.test_year, "train_years": model.train_years, "fit_years": model.fit_years,
            "features": model.features, "examples": model.examples, "scores": model.scores,
            "scored_as_of": model.scored_as_of.isoformat() if model.scored_as_of else None,
            "auc": metrics.get("auc"), "per_100_visits": metrics.get("per_100_visits"),
            "random_per_100": equal.get("random_per_100"), "weighted_per_100": equal.get("weighted_per_100"),
            "days_earlier": (metrics.get("days_earlier") or {}).get("days_earlier"),
            "message": model.message, "progress": model.progress}


def firm_risk(session: Session, firm: Firm, user: User) -> dict | None:
    """The firm's scores that ``user`` may read, or ``None`` when he may read none or no model is in force."""
    scope = risk_departments(user)
    model = session.scalar(queries.published_risk_model()) if scope is not None else None
    if model is None:
        return None
    departments = {d.id: d for d in session.scalars(select(Department))}
    rows = session.scalars(queries.firm_risk_scores(model.id, firm.id)).all()
    if scope == "own":
        rows = [r for r in rows if r.department_id == user.department_id]
    scores = []
    for row in sorted(rows, key=lambda r: -r.score):
        department = departments[row.department_id]
        scores.append({"department": department.code, "department_name": department.name,
                       "score": round(row.score, 4),
                       "factors": [{"feature": name, "value": value, "text": risk.describe(name, value),
                                    "contribution": contribution,
                                    "direction": "up" if contribution > 0 else "down"}
                                   for name, value, contribution in row.factors]})
    return {"model": model_summary(model), "scores": scores}
