"""Read helpers; each returns a ``select()`` statement."""
from __future__ import annotations

import functools

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, cast, func, null, or_, select, union_all
from sqlalchemy.orm import defer, joinedload, selectinload

from ..models import (
    CatalogueItem,
    Department,
    District,
    Document,
    Firm,
    FirmTag,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    LeniencyEntry,
    LeniencyList,
    Officer,
    OffsiteRequest,
    PlanApproval,
    RiskModel,
    RiskScore,
    User,
    Visit,
)


def firms(*, district_code: str | None = None, industry: str | None = None, credit_class: str | None = None,
          tag: str | None = None, text: str | None = None) -> Select:
    stmt = select(Firm).options(selectinload(Firm.district), selectinload(Firm.tag_rows)).order_by(Firm.uscc)
    if district_code:
        stmt = stmt.join(Firm.district).where(District.code == district_code)
    if industry:
        stmt = stmt.where(Firm.industry == industry)
    if credit_class:
        stmt = stmt.where(Firm.credit_class == credit_class)
    if tag:
        stmt = stmt.where(Firm.id.in_(select(FirmTag.firm_id).where(FirmTag.tag == tag)))
    if text:
        like = f"%{text}%"
        stmt = stmt.where(or_(Firm.name.like(like), Firm.uscc.like(like)))
    return stmt


def count(stmt: Select) -> Select:
    return select(func.count()).select_from(stmt.order_by(None).subquery())


@functools.cache
def firm_by_uscc() -> Select:
    """The firm (credit code bound as ``uscc``) with its district and tags, in one query: built once, as
    every page and call about a firm runs it."""
    return (select(Firm).where(Firm.uscc == bindparam("uscc"))
            .options(joinedload(Firm.district), joinedload(Firm.tag_rows)))


def user_by_username(username: str) -> Select:
    return select(User).where(User.username == username)


def officers_of(department_id: int) -> Select:
    return (select(Officer).where(Officer.department_id == department_id)
            .options(selectinload(Officer.districts)).order_by(Officer.certificate_no))


def plans_of(department_id: int | None) -> Select:
    stmt = select(InspectionPlan).options(selectinload(InspectionPlan.items)).order_by(InspectionPlan.id.desc())
    if department_id is not None:
        stmt = stmt.where(InspectionPlan.department_id == department_id)
    return stmt


def public_plans() -> Select:
    """Plans anyone may read (一公开): every filed random plan; a targeted plan (on a lead) only once it has
    a published result, so that a complaint is never announced before its results. Drafts never."""
    published = (select(InspectionTask.plan_id).join(ItemOutcome, ItemOutcome.task_id == InspectionTask.id)
                 .where(ItemOutcome.published_at.is_not(None)))
    return select(InspectionPlan).where(InspectionPlan.status != "draft",
                                        or_(InspectionPlan.selection != "targeted", InspectionPlan.id.in_(published)))


def districts() -> Select:
    return select(District).order_by(District.code)


def departments() -> Select:
    return select(Department).order_by(Department.id)


def department_by_code(code: str) -> Select:
    return select(Department).where(Department.code == code)


def district_by_code(code: str) -> Select:
    return select(District).where(District.code == code)


def published_results() -> Select:
    """Published results (一公开) of on-site visits and off-site checks alike: rows of
    (outcome, visit or None for an off-site check, firm, plan), newest first."""
    return (select(ItemOutcome, Visit, Firm, InspectionPlan)
            .join(InspectionTask, InspectionTask.id == ItemOutcome.task_id)
            .join(Firm, Firm.id == InspectionTask.firm_id)
            .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
            .outerjoin(Visit, Visit.id == ItemOutcome.visit_id)
            .where(ItemOutcome.published_at.is_not(None))
            .order_by(func.coalesce(Visit.day, func.date(ItemOutcome.recorded_at)).desc(), ItemOutcome.id.desc()))


def pending_offsite_tasks(department_id: int, today) -> Select:
    """Off-site tasks of the department in their window today with no request sent yet."""
    return (select(InspectionTask).join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
            .where(InspectionPlan.department_id == department_id, InspectionTask.on_site.is_(False),
                   InspectionTask.status == "pending", InspectionTask.window_start <= today,
                   InspectionTask.window_end >= today, InspectionTask.id.not_in(select(OffsiteRequest.task_id)))
            .order_by(InspectionTask.window_end, InspectionTask.id))


def offsite_requests_for(user: User, status: str | None = None) -> Select:
    """The off-site requests an account may see: its firm's, its department's, or every one; only those
    in ``status`` when given."""
    stmt = (select(OffsiteRequest).options(selectinload(OffsiteRequest.firm), selectinload(OffsiteRequest.department))
            .order_by(OffsiteRequest.deadline, OffsiteRequest.id))
    if status is not None:
        stmt = stmt.where(OffsiteRequest.status == status)
    if user.role == "enterprise":
        stmt = stmt.where(OffsiteRequest.firm_id == user.firm_id)
    elif user.role in ("department", "inspector"):
        stmt = stmt.where(OffsiteRequest.department_id == user.department_id)
    elif user.role not in ("oversight", "admin"):
        stmt = stmt.where(False)
    return stmt


def published_risk_model() -> Select:
    """The risk model version in force (预警模型): the newest published one."""
    return select(RiskModel).where(RiskModel.status == "published").order_by(RiskModel.id.desc()).limit(1)


def risk_scores(model_id: int, department_id: int, firm_ids) -> Select:
    """``(firm id, score)`` under one model version for one department's items."""
    return select(RiskScore.firm_id, RiskScore.score).where(
        RiskScore.model_id == model_id, RiskScore.department_id == department_id, RiskScore.firm_id.in_(firm_ids))


def leniency_lists(department_id: int | None = None) -> Select:
    """Published flexible-enforcement lists, newest first (the superseded ones too)."""
    stmt = (select(LeniencyList).options(selectinload(LeniencyList.department))
            .order_by(LeniencyList.department_id, LeniencyList.published_at.desc(), LeniencyList.id.desc()))
    if department_id is not None:
        stmt = stmt.where(LeniencyList.department_id == department_id)
    return stmt


def leniency_list(list_id: int) -> Select:
    return (select(LeniencyList).where(LeniencyList.id == list_id)
            .options(selectinload(LeniencyList.department),
                     selectinload(LeniencyList.entries).selectinload(LeniencyEntry.item),
                     selectinload(LeniencyList.entries).selectinload(LeniencyEntry.point)))


def firm_risk_scores(model_id: int, firm_id: int) -> Select:
    return select(RiskScore).where(RiskScore.model_id == model_id, RiskScore.firm_id == firm_id)


def risk_models(limit: int = 50) -> Select:
    return select(RiskModel).order_by(RiskModel.id.desc()).limit(limit)


def one_per_row(*kinds: tuple[type, ColumnElement[bool]]) -> Select:
    """Rows of several models in one statement: ``select(A, B, ...)`` for ``kinds`` of (model, condition), each
    row holding one object that meets its model's condition and ``None`` for the other models (the union of
    each model's ids, joined back to the models). The caller adds its eager loads and its order."""
    ids = [f"{model.__tablename__}_id" for model, _ in kinds]
    rows = union_all(*(select(*(model.id.label(name) if n == m else cast(null(), Integer).label(name)
                                for m, name in enumerate(ids))).where(condition)
                       for n, (model, condition) in enumerate(kinds))).subquery("one_per_row")
    stmt = select(*(model for model, _ in kinds)).select_from(rows)
    for (model, _), name in zip(kinds, ids):
        stmt = stmt.outerjoin(model, model.id == rows.c[name])
    return stmt


@functools.cache
def firm_papers() -> Select:
    """What the firm (bound ``firm``) was sent, in one statement: its off-site requests, with their department
    and their task's plan's items (code and name), and the documents issued to it (notices, records, results;
    each department's own approval forms concern plans, not the firm), with their department and the
    document that corrects them, without their PDFs and contents. Each row holds a request or a document (the
    other ``None``), newest first. Built once, run with the firm as a parameter."""
    return (one_per_row((OffsiteRequest, OffsiteRequest.firm_id == bindparam("firm")),
                        (Document, and_(Document.firm_id == bindparam("firm"), Document.kind != "approval")))
            .options(joinedload(OffsiteRequest.department),
                     joinedload(OffsiteRequest.task).joinedload(InspectionTask.plan).load_only(InspectionPlan.id)
                     .joinedload(InspectionPlan.items).load_only(CatalogueItem.code, CatalogueItem.name),
                     defer(Document.pdf), defer(Document.content), joinedload(Document.department),
                     joinedload(Document.corrected_by).defer(Document.pdf).defer(Document.content))
            .order_by(Document.id.desc(), OffsiteRequest.id.desc()))


def result_notices_of_plan(plan_id: int):
    """The result notices issued under a plan, oldest first (a correction comes after what it corrects)."""
    return select(Document).where(Document.plan_id == plan_id, Document.kind == "result").order_by(Document.id)


def latest_approval(plan_id: int):
    """The responsible person's latest decision on a plan (an approval is final; a refusal may be followed by one)."""
    return select(PlanApproval).where(PlanApproval.plan_id == plan_id).order_by(PlanApproval.id.desc()).limit(1)


def documents_for(user: User, limit: int = 500):
    """The documents ``user`` may read, newest first: a firm its own (not the department's approval forms),
    a department's officials, head and inspectors their department's, oversight and admins all."""
    stmt = select(Document).order_by(Document.id.desc()).limit(limit)
    if user.role == "enterprise":
        return stmt.where(Document.firm_id == user.firm_id, Document.kind != "approval")
    if user.role in ("oversight", "admin"):
        return stmt
    return stmt.where(Document.department_id == user.department_id)
