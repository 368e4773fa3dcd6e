"""Training, evaluating and publishing the early-warning model (预警模型), and recording the complaints
and leads about firms that it reads. The model itself is in ``inspection.pure.risk``."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from core import clock

from ..errors import InvalidInput, InvalidState, NotPermitted
from ..models import (
    CatalogueItem,
    Department,
    Finding,
    Firm,
    FirmLead,
    FirmTag,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    RiskModel,
    RiskScore,
    User,
    Visit,
    VisitEntry,
)
from ..pure import risk
from . import door
from .events import append_event, utcnow

Progress = Callable[[float, str], None]
TRAINER_ROLES = ("admin", "oversight")


def _no_progress(fraction: float, message: str) -> None:
    return None


def load_history(session: Session) -> risk.History:
    """The facts the features read, in four queries whatever the size of the city."""
    departments = dict(session.execute(select(Department.id, Department.code)).all())
    firms = {firm_id: (industry, credit_class) for firm_id, industry, credit_class
             in session.execute(select(Firm.id, Firm.industry, Firm.credit_class))}
    checked = func.count(Finding.id)
    failed = func.coalesce(func.sum(case((Finding.result == "non_compliant", 1), else_=0)), 0)
    parts = session.execute(
        select(Visit.id, Visit.firm_id, InspectionPlan.department_id, Visit.day, func.min(InspectionPlan.id),
               checked, failed)
        .join(VisitEntry, VisitEntry.visit_id == Visit.id)
        .join(InspectionTask, InspectionTask.visit_id == Visit.id)
        .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
        .outerjoin(Finding, (Finding.task_id == InspectionTask.id) & (Finding.visit_id == Visit.id)
                   & (Finding.result != "not_applicable"))
        .where(InspectionTask.on_site.is_(True))
        .group_by(Visit.id, Visit.firm_id, InspectionPlan.department_id, Visit.day)).all()
    outcomes = {(visit_id, department_id): (cases, rectifications) for visit_id, department_id, cases, rectifications
                in session.execute(
                    select(ItemOutcome.visit_id, InspectionPlan.department_id,
                           func.sum(case((ItemOutcome.outcome == "case", 1), else_=0)),
                           func.sum(case((ItemOutcome.outcome == "rectify", 1), else_=0)))
                    .join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
                    .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                    .group_by(ItemOutcome.visit_id, InspectionPlan.department_id))}
    entries = []
    for visit_id, firm_id, department_id, day, plan_id, n_checked, n_failed in parts:
        cases, rectifications = outcomes.get((visit_id, department_id), (0, 0))
        entries.append(risk.Entry(firm_id, departments[department_id], day, plan_id, int(n_checked), int(n_failed),
                                  int(cases or 0), int(rectifications or 0)))
    leads = [(firm_id, day) for firm_id, day in session.execute(select(FirmLead.firm_id, FirmLead.received_on))]
    return risk.History(firms, entries, leads)


def _example_years(history: risk.History, today: dt.date) -> list[int]:
    """Years whose inspections are examples: all years with entries up to this one, but the first, which only
    gives the history the next year's features read."""
    return [y for y in history.years() if y <= today.year][1:]


def _test_year(years: list[int], today: dt.date, asked: int | None) -> int:
    if asked is not None:
        if asked not in years or asked == years[0]:
            usable = "、".join(str(y) for y in years[1:]) or "无"
            raise InvalidInput(f"检验年度 {asked} 不可用：检验年度之前须有训练年度，可选 {usable}",
                               fields={"test_year": "不可用"})
        return asked
    complete = [y for y in years if y < today.year]
    return complete[-1] if complete and complete[-1] != years[0] else years[-1]


def _next_version(session: Session, today: dt.date) -> str:
    prefix = today.isoformat()
    count = session.scalar(select(func.count(RiskModel.id)).where(RiskModel.version.like(f"{prefix}.%")))
    return f"{prefix}.{count + 1}"


def queue_training(session: Session, actor: User | None) -> RiskModel:
    """A training run waiting for the background runner (the admin page's trigger)."""
    if actor is not None and actor.role not in TRAINER_ROLES:
        raise NotPermitted("只有系统管理员或监督机构可以训练预警模型")
    running = session.scalar(select(RiskModel).where(RiskModel.status.in_(("queued", "running"))))
    if running is not None:
        raise InvalidState(f"预警模型版本 {running.version} 正在训练，请等待其完成")
    now = utcnow()
    model = RiskModel(version=_next_version(session, clock.local_day(now)), status="queued", progress=0.0, message="排队中",
                      created_by_id=actor.id if actor else None, created_at=now, features=list(risk.FEATURES),
                      params={}, metrics={})
    session.add(model)
    session.flush()
    append_event(session, actor, "risk_model.queued", f"risk_model:{model.version}", {})
    return model


def train(session: Session, actor: User | None, model: RiskModel | None = None, *, test_year: int | None = None,
          now: dt.datetime | None = None, progress: Progress = _no_progress) -> RiskModel:
    """Train on earlier years, test on ``test_year`` (default: the last complete year), refit on every year,
    score every firm for every department, and publish the version (the previous one retires)."""
    now = now or utcnow()
    today = clock.local_day(now)
    if model is None:
        model = queue_training(session, actor)
    model.status, model.message = "running", "读取检查历史"
    progress(0.05, model.message)
    history = load_history(session)
    years = _example_years(history, today)
    if len(years) < 2:
        raise InvalidState("检查历史不足：至少需要三个年度的入企检查记录（第一年只作为历史，之后一年训练、一年检验）")
    held_out = _test_year(years, today, test_year)
    train_years = [y for y in years if y < held_out]
    departments = sorted(set(session.scalars(select(Department.code))))
    progress(0.2, f"以 {train_years[0]}–{train_years[-1]} 年训练、{held_out} 年检验")
    training, testing = history.examples(train_years), history.examples([held_out])
    try:
        evaluated = risk.fit(training, departments)
    except ValueError:
        raise InvalidState(f"{train_years[0]}–{train_years[-1]} 年的检查记录不足以训练："
                           f"至少需要 {risk.MIN_EXAMPLES} 次检查，且既有发现问题的也有未发现问题的") from None
    metrics = risk.evaluate(testing, risk.predict(evaluated, [e.raw for e in testing],
                                                  [e.department for e in testing]))
    metrics["coefficients"] = dict(zip(evaluated["columns"], (round(c, 3) for c in evaluated["coef"])))
    progress(0.45, "用全部年度重新拟合")
    fit_years = years
    params = risk.fit(history.examples(fit_years), departments)
    progress(0.6, "为每家企业评分")
    scored = _score_all(session, model, history, params, departments, today)
    model.test_year, model.train_years, model.fit_years = held_out, train_years, fit_years
    model.features, model.params, model.metrics = list(risk.FEATURES), params, metrics
    model.examples, model.scores, model.scored_as_of = len(training) + len(testing), scored, today
    model.trained_at, model.progress, model.status = now, 1.0, "published"
    model.message = (f"已发布：{held_out} 年检验 {metrics['examples']} 次检查，AUC {metrics['auc']}；"
                     f"同等检查次数下每百次发现问题 {metrics['equal_visits']['weighted_per_100']} 次"
                     f"（随机 {metrics['equal_visits']['random_per_100']} 次）")
    _retire_others(session, model)
    session.flush()
    append_event(session, actor, "risk_model.published", f"risk_model:{model.version}",
                 {"test_year": held_out, "train_years": train_years, "fit_years": fit_years,
                  "features": model.features, "examples": model.examples, "scores": scored,
                  "auc": metrics["auc"], "equal_visits": metrics["equal_visits"],
                  "days_earlier": metrics["days_earlier"]})
    progress(1.0, model.message)
    return model


def concerned_departments(session: Session) -> dict[int, list[str]]:
    """For each firm, the departments whose published items' scopes (industries, tags) take it in."""
    scopes: dict[str, tuple[set, set]] = {}
    for code, industries, tags in session.execute(
            select(Department.code, CatalogueItem.scope_industries, CatalogueItem.scope_tags)
            .join(CatalogueItem, CatalogueItem.department_id == Department.id)
            .where(CatalogueItem.status == "published")):
        scope = scopes.setdefault(code, (set(), set()))
        scope[0].update(industries)
        scope[1].update(tags)
    tags = defaultdict(set)
    for firm_id, tag in session.execute(select(FirmTag.firm_id, FirmTag.tag)):
        tags[firm_id].add(tag)
    return {firm_id: [code for code, (industries, scope_tags) in sorted(scopes.items())
                      if industry in industries or tags[firm_id] & scope_tags]
            for firm_id, industry in session.execute(select(Firm.id, Firm.industry))}


def _score_all(session: Session, model: RiskModel, history: risk.History, params: dict, departments: list[str],
               today: dt.date) -> int:
    """A score for every firm and each department whose items concern it, with its top factors."""
    session.flush()
    ids = dict(session.execute(select(Department.code, Department.id)).all())
    city = history.city_before(today)
    concerned = concerned_departments(session)
    firm_ids = sorted(f for f in history.firms if concerned.get(f))
    total, batch = 0, 2000
    for start in range(0, len(firm_ids), batch):
        raws, deps, owners = [], [], []
        for firm_id in firm_ids[start:start + batch]:
            codes = concerned[firm_id]
            raws += history.features_by_department(firm_id, codes, today, city)
            deps += codes
            owners += [firm_id] * len(codes)
        scores, factors = risk.score(params, raws, deps)
        session.execute(insert(RiskScore.__table__), [
            {"model_id": model.id, "firm_id": firm_id, "department_id": ids[code], "score": float(score),
             "factors": why} for firm_id, code, score, why in zip(owners, deps, np.asarray(scores), factors)])
        total += len(raws)
    return total


def _retire_others(session: Session, model: RiskModel) -> None:
    """The new version is the one in force. Retired versions keep their record (recipe, coefficients,
    evaluation) but not their scores, unless a filed, not yet drawn plan is bound to them."""
    for other in session.scalars(select(RiskModel).where(RiskModel.status == "published", RiskModel.id != model.id)):
        other.status = "retired"
    session.flush()
    bound = select(InspectionPlan.risk_model_id).where(InspectionPlan.status == "filed",
                                                       InspectionPlan.risk_model_id.is_not(None))
    stale = select(RiskModel.id).where(RiskModel.status == "retired", RiskModel.id.not_in(bound))
    session.execute(delete(RiskScore).where(RiskScore.model_id.in_(stale)))


def fail_training(session: Session, model: RiskModel, message: str) -> RiskModel:
    model.status, model.message = "failed", message
    session.flush()
    append_event(session, None, "risk_model.failed", f"risk_model:{model.version}", {"message": message})
    return model


def fresh_model(session: Session, max_age_days: int, now: dt.datetime | None = None) -> RiskModel | None:
    """The published model if it was trained less than ``max_age_days`` ago (for ``--if-older``)."""
    model = session.scalar(select(RiskModel).where(RiskModel.status == "published").order_by(RiskModel.id.desc()))
    now = now or utcnow()
    if model is not None and model.trained_at and now - model.trained_at < dt.timedelta(days=max_age_days):
        return model
    return None


def record_lead(session: Session, actor: User, firm: Firm, *, kind: str, received_on: dt.date, reference: str,
                summary: str = "", source: str = "") -> FirmLead:
    """A complaint about a firm or a lead referred to the department (投诉举报、移送线索): see ``door.record_lead``."""
    return door.record_lead(session, actor, firm, kind=kind, received_on=received_on, reference=reference,
                            summary=summary, source=source)
