"""What each role's home page reads: a few counts and short lists per role, each function one role's."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    Alert,
    CatalogueItem,
    Department,
    District,
    Evaluation,
    Event,
    Firm,
    InspectionPlan,
    Officer,
    OffsiteRequest,
    Visit,
    VisitOfficer,
)
from ..models import User as Account
from ..operations.events import chain_head
from . import pending_offsite_tasks, plans_of


def department_home(session: Session, department: Department, today: dt.date) -> dict:
    """The department's recent plans and its officers, with those certified today."""
    return {"plans": session.scalars(plans_of(department.id).limit(20)).all(),
            "officers": session.scalar(select(func.count(Officer.id)).where(Officer.department_id == department.id)),
            "certified": session.scalar(select(func.count(Officer.id)).where(
                Officer.department_id == department.id, Officer.active.is_(True),
                Officer.valid_from <= today, Officer.valid_to >= today))}


def officer_visits(session: Session, officer_id: int, first: dt.date, last: dt.date) -> list[Visit]:
    """The officer's visits from ``first`` to ``last``: confirmed, running and finished ones, and joint ones
    some department has confirmed while another has not yet (``Visit.awaiting`` names those still to)."""
    visits = session.scalars(select(Visit).join(VisitOfficer, VisitOfficer.visit_id == Visit.id)
                             .where(VisitOfficer.officer_id == officer_id, Visit.day >= first, Visit.day <= last,
                                    Visit.status.in_(("proposed", "confirmed", "in_progress", "completed")))
                             .order_by(Visit.day, Visit.id)).all()
    return [v for v in visits if v.status != "proposed" or v.awaiting]


def inspector_home(session: Session, officer_id: int, department_id: int, today: dt.date) -> dict:
    """Today's visits and the next two weeks', and the department's off-site checks waiting."""
    coming = officer_visits(session, officer_id, today, today + dt.timedelta(days=14))
    return {"visits": [v for v in coming if v.day == today], "upcoming": [v for v in coming if v.day != today],
            "offsite_pending": session.scalar(select(func.count()).select_from(
                pending_offsite_tasks(department_id, today).subquery())),
            "offsite_review": session.scalar(select(func.count(OffsiteRequest.id)).where(
                OffsiteRequest.department_id == department_id, OffsiteRequest.status == "answered"))}


def visits_to_evaluate(session: Session, firm_id: int, today: dt.date, days: int) -> list[tuple[Visit, dt.date]]:
    """The firm's finished visits of the last ``days`` days it has not evaluated, with the last day it may."""
    return [(v, v.day + dt.timedelta(days=days)) for v in session.scalars(
        select(Visit).where(Visit.firm_id == firm_id, Visit.status == "completed",
                            Visit.day >= today - dt.timedelta(days=days),
                            ~select(Evaluation.id).where(Evaluation.visit_id == Visit.id).exists())
        .order_by(Visit.day.desc()))]


def city_overview(session: Session) -> dict:
    """Oversight's and the administrator's city at a glance: firms by district and credit class, the
    catalogue, plans, accounts, open alerts, the log's head, quiet-period exceptions by department, the
    lowest evaluations and the latest refusals."""
    by_district = session.execute(
        select(District.name, func.count(Firm.id)).join(Firm, Firm.district_id == District.id)
        .group_by(District.name, District.code).order_by(District.code)).all()
    return {
        "by_district": by_district,
        "by_class": dict(session.execute(select(Firm.credit_class, func.count(Firm.id)).group_by(Firm.credit_class)).all()),
        "firms": sum(n for _, n in by_district),
        "items": session.scalar(select(func.count(CatalogueItem.id)).where(CatalogueItem.status == "published")),
        "plans": session.scalar(select(func.count(InspectionPlan.id))),
        "users": session.scalar(select(func.count(Account.id))),
        "open_alerts": session.scalar(select(func.count(Alert.id)).where(Alert.status == "open")),
        "head": chain_head(session),
        "exceptions": session.execute(
            select(Department.short_name, func.count(InspectionPlan.id), func.count(InspectionPlan.quiet_exception))
            .join(InspectionPlan, InspectionPlan.department_id == Department.id)
            .where(InspectionPlan.status != "draft").group_by(Department.id, Department.short_name)
            .order_by(Department.id)).all(),
        "evaluations": session.execute(
            select(Evaluation, Visit, Firm).join(Visit, Visit.id == Evaluation.visit_id)
            .join(Firm, Firm.id == Visit.firm_id)
            .order_by((Evaluation.complaint.is_not(None)).desc(), Evaluation.score, Evaluation.id.desc())
            .limit(10)).all(),
        "refusals": session.scalars(select(Event).where(Event.kind == "refused").order_by(Event.seq.desc()).limit(10)).all(),
    }
