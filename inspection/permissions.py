"""Who may see what. Plain functions over models, used by every view before it acts.

An object of another department or firm answers 404 to writes as to reads (its existence is not told);
403 is kept for what the caller's role may never do, and for objects anyone may read (a campaign, a
department)."""
from __future__ import annotations

from .models import Firm, InspectionPlan, Officer, User, Visit

READ_ALL_ROLES = ("oversight", "admin")


def can_view_firm(user: User, firm: Firm) -> bool:
    """An enterprise account sees only its own firm; officials see firms they supervise."""
    if user.role == "enterprise":
        return user.firm_id == firm.id
    return user.role in ("department", "inspector", "oversight", "admin")


def can_list_firms(user: User) -> bool:
    return user.role in ("department", "inspector", "oversight", "admin")


def can_view_plan(user: User, plan: InspectionPlan) -> bool:
    if user.role in READ_ALL_ROLES:
        return True
    return user.role in ("department", "department_head", "inspector") and user.department_id == plan.department_id


FIRM_DOCUMENT_KINDS = ("notice", "record", "sampling", "premises", "questioning", "result", "order")


def can_view_document(user: User, document) -> bool:
    """A document: the firm it was issued to (notices, records, results: not the internal approval form),
    its department's officials, head and inspectors, oversight and admins. The public sees only its
    verification page."""
    if user.role in READ_ALL_ROLES:
        return True
    if user.role == "enterprise":
        return document.firm_id is not None and user.firm_id == document.firm_id and document.kind in FIRM_DOCUMENT_KINDS
    return user.role in ("department", "department_head", "inspector") and user.department_id == document.department_id


def on_visit_team(user: User, visit: Visit) -> bool:
    """The inspector is one of the visit's team."""
    return user.officer_id is not None and user.officer_id in {o.officer_id for o in visit.officers}


def visit_of_department(user: User, visit: Visit) -> bool:
    """The visit holds a task of the user's department."""
    return user.department_id is not None and user.department_id in {t.plan.department_id for t in visit.tasks}


def reads_findings(user: User, department_id: int, firm_id: int) -> bool:
    """Need to know: a task's findings, notes and unpublished outcomes are read by its own department
    (officials and inspectors), by the firm inspected, and by oversight. Other departments, partners of
    the same joint visit included, see the task's department and status and its published results only."""
    if user.role in READ_ALL_ROLES:
        return True
    if user.role == "enterprise":
        return user.firm_id == firm_id
    return user.role in ("department", "inspector") and user.department_id == department_id


def officer_of_department(user: User, officer: Officer) -> bool:
    return user.department_id is not None and user.department_id == officer.department_id


def can_view_request(user: User, request) -> bool:
    """An off-site request: the firm it concerns, its department's officials, oversight and admins."""
    if user.role == "enterprise":
        return user.firm_id == request.firm_id
    if user.role in ("department", "inspector"):
        return user.department_id == request.department_id
    return user.role in READ_ALL_ROLES


def risk_departments(user: User) -> str | None:
    """Whose risk scores the user may read: ``"all"`` (oversight, admin), ``"own"`` (a department: its own
    department's), or ``None`` (inspectors and enterprises do not see scores)."""
    if user.role in READ_ALL_ROLES:
        return "all"
    return "own" if user.role == "department" else None
