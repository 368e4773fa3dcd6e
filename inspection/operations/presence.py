"""Who was at the firm, for which department, and when (全程留痕).

A joint visit (综合查一次) is one visit for the firm, but each department's part is its own entry: it
starts when two of that department's own officers, certified on the day, have scanned in, and ends when
the department scans out. Only officers of a department that is inside, who scanned in themselves and
hold a certificate valid on the day, record its findings and outcomes, and only for times between its
entry and its exit. The visit ends when the last department inside has left; a department whose
officers never made its entry leaves its tasks unperformed (back to the plan, or closed as missed) and is
credited with nothing."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from core import clock

from ..errors import InvalidInput, InvalidState, NotPermitted
from ..models import (
    DepartmentEntry,
    InspectionTask,
    MissedPart,
    Scan,
    User,
    Visit,
    VisitEntry,
)
from .entry_notices import entry_recorded
from .events import append_event
from .facts import refresh_visit_facts
from .notices import evaluation_invited
from .plans import transition


class NotEntered(InvalidState):
    """The department's part has not started (an offline record waits for the partner's scan)."""

    audited = True


class NotPresent(NotPermitted):
    """The officer did not scan in, or his certificate does not hold on the visit's day."""

    audited = True


class OutsidePart(InvalidInput):
    """A record dated before the department's entry or the officer's own scan."""

    audited = True


class PartOver(InvalidState):
    """The department has already left: a record for a time after its exit is refused for good (an offline
    record does not wait for anything)."""

    audited = True
    final = True


EVALUATION_DAYS = 90   # a firm evaluates a visit within this many days of it (事后评价)


def _hm(at: dt.datetime) -> str:
    return clock.to_local(at).strftime("%H:%M")


def advance_plans(session: Session, tasks: list[InspectionTask]) -> None:
    """A scheduled plan is in progress from its first entry, and completed when no task is left."""
    session.flush()
    for plan in {t.plan for t in tasks}:
        # Asked of the database, not of plan.tasks: a plan of thousands of firms is not loaded per scan.
        of_plan = InspectionTask.plan_id == plan.id
        if plan.status in ("scheduled", "drawn") and session.scalar(
                select(exists().where(of_plan, or_(InspectionTask.status != "pending",
                                                   InspectionTask.visit_id.is_not(None))))):
            transition(plan, "in_progress")
        if plan.status == "in_progress" and not session.scalar(
                select(exists().where(of_plan, InspectionTask.status.not_in(("done", "cancelled"))))):
            transition(plan, "completed")
            tasks_count = session.scalar(select(func.count()).select_from(InspectionTask).where(of_plan))
            append_event(session, None, "plan.completed", f"plan:{plan.id}", {"tasks": tasks_count})
    session.flush()


def department_part(session: Session, visit: Visit, department_id: int, *, lock: bool = False) -> DepartmentEntry | None:
    return session.get(DepartmentEntry, (visit.id, department_id), with_for_update=lock or None)


def own_scan_in(session: Session, visit: Visit, officer_id: int) -> Scan | None:
    """The officer's first accepted scan-in on the visit."""
    return session.scalar(select(Scan).where(Scan.visit_id == visit.id, Scan.officer_id == officer_id,
                                             Scan.kind == "in", Scan.accepted.is_(True))
                          .order_by(Scan.at, Scan.id).limit(1))


def enter_department(session: Session, user: User, visit: Visit, department_id: int, officers: list,
                     entered_at: dt.datetime, *, offline: bool, entry: VisitEntry | None | type[Ellipsis] = ...,
                     ) -> tuple[DepartmentEntry, VisitEntry, bool]:
    """Record the department's entry (its two certified officers scanned in); the visit's own entry is
    made with the first department's (``entry``: the visit's entry as the caller read it with the visit
    locked, if it did). Returns the part, the visit's entry and whether the visit was entered just now."""
    entry = session.get(VisitEntry, visit.id) if entry is ... else entry
    first = entry is None
    if first:
        entry = VisitEntry(visit_id=visit.id, entered_at=entered_at, code_nonce=secrets.token_hex(8),
                           recorded_offline=offline)
        session.add(entry)
        visit.status = "in_progress"
    elif entered_at < entry.entered_at:      # an offline record of an earlier entry arrives later
        entry.entered_at = entered_at
    part = DepartmentEntry(visit_id=visit.id, department_id=department_id, entered_at=entered_at,
                           recorded_offline=offline)
    session.add(part)
    session.flush()
    entry_recorded(session, visit.id, department_id)   # its inspection notice is issued after the commit
    own = [t for t in visit.tasks if t.plan.department_id == department_id]
    for plan in {t.plan for t in own}:
        # The plan's task in this visit has begun: a scheduled plan is in progress (and none is completed
        # by an entry, which leaves its tasks open), known without asking the database.
        if plan.status in ("scheduled", "drawn"):
            transition(plan, "in_progress")
    refresh_visit_facts(session, visit, first_entry=first)
    department = own[0].plan.department if own else None
    append_event(session, user, "department.entered", f"visit:{visit.id}",
                 {"firm": visit.firm.uscc, "department": department.code if department else None,
                  "officers": sorted(o.certificate_no for o in officers), "at": entered_at, "offline": offline})
    return part, entry, first


def check_recorder(session: Session, user: User, visit: Visit, task: InspectionTask, at: dt.datetime) -> None:
    """Refuse a record of ``task`` at ``at`` unless the officer is present for its department: his
    department has entered and not left by then, he scanned in himself and his certificate holds on the
    visit's day. An entry still to come (a partner's offline scan) is a wait, not a refusal."""
    officer = user.officer
    department = task.plan.department
    if department.id != officer.department_id:
        raise NotPresent("只能记录本部门检查事项的结果")
    part = department_part(session, visit, department.id)
    if part is None:
        raise NotEntered(f"{department.short_name or department.name}尚未入企：须本部门两名当日持证执法人员"
                           "扫码入企后才能记录检查结果")
    scan = own_scan_in(session, visit, officer.id)
    if scan is None:
        raise NotPresent("您没有扫码进入本次检查，不能记录检查结果：只有到场并扫码入企的执法人员可以记录")
    if not officer.certified_on(visit.day):
        raise NotPresent(f"您的执法证在检查当日（{visit.day}）无效，不能记录检查结果")
    since = max(part.entered_at, scan.at)
    if at < since:
        raise OutsidePart(f"记录时间（{_hm(at)}）早于您所在部门入企或您扫码入企的时间（{_hm(since)}）",
                           fields={"at": "早于入企时间"})
    if part.left_at is not None and at > part.left_at:
        raise PartOver(f"本部门已于 {_hm(part.left_at)} 扫码离开，不能再记录检查结果")


def leave_department(session: Session, user: User, visit: Visit, *, now: dt.datetime,
                     synced_at: dt.datetime | None = None) -> tuple[DepartmentEntry, VisitEntry]:
    """The officer's department scans out of its part; the visit ends when no department is left inside."""
    if user.role != "inspector" or user.officer is None or user.officer_id not in {o.officer_id for o in visit.officers}:
        raise NotPermitted("只有本次检查组成员可以扫码离开")
    officer = user.officer
    entry = session.get(VisitEntry, visit.id, with_for_update=True)
    part = department_part(session, visit, officer.department_id, lock=True)
    if entry is None or part is None:
        raise InvalidState("本部门尚未入企，不能扫码离开")
    if own_scan_in(session, visit, officer.id) is None:
        raise NotPermitted("您没有扫码进入本次检查，不能代本部门扫码离开")
    if part.left_at is not None:          # the partner's scan-out: kept, nothing else changes
        if session.scalar(select(Scan.id).where(Scan.visit_id == visit.id, Scan.officer_id == officer.id,
                                                Scan.kind == "out")) is None:
            session.add(Scan(kind="out", firm_id=visit.firm_id, officer_id=officer.id, visit_id=visit.id, at=now,
                             accepted=True, synced_at=synced_at))
            session.flush()
        return part, entry
    if now < part.entered_at:
        raise InvalidInput("离开时间早于本部门入企时间", fields={"at": "早于入企时间"})
    part.left_at = now
    own = [t for t in visit.tasks if t.plan.department_id == officer.department_id]
    for task in own:
        task.status, task.done_at = "done", now
    session.add(Scan(kind="out", firm_id=visit.firm_id, officer_id=officer.id, visit_id=visit.id, at=now,
                     accepted=True, synced_at=synced_at))
    session.flush()
    append_event(session, user, "department.left", f"visit:{visit.id}",
                 {"firm": visit.firm.uscc, "department": officer.department.code, "at": now,
                  "minutes": round((now - part.entered_at).total_seconds() / 60)})
    still_inside = session.scalar(select(func.count()).select_from(DepartmentEntry).where(
        DepartmentEntry.visit_id == visit.id, DepartmentEntry.left_at.is_(None)))
    if not still_inside:
        _close(session, user, visit, entry, now)
    advance_plans(session, own)
    return part, entry


def _close(session: Session, user: User, visit: Visit, entry: VisitEntry, now: dt.datetime) -> None:
    """The last department inside has left: the visit is completed; departments that never entered leave
    their tasks unperformed, and oversight is told."""
    parts = session.scalars(select(DepartmentEntry).where(DepartmentEntry.visit_id == visit.id)).all()
    entered = {p.department_id for p in parts}
    entry.left_at = max(p.left_at for p in parts)
    visit.status = "completed"
    today = clock.local_day(now)
    missed: dict[int, list[InspectionTask]] = {}
    for task in visit.tasks:
        if task.plan.department_id not in entered:
            missed.setdefault(task.plan.department_id, []).append(task)
    missed_codes = []
    for department_id, tasks in sorted(missed.items()):
        department = tasks[0].plan.department
        label = department.short_name or department.name
        came = sorted(s.officer.certificate_no for s in session.scalars(
            select(Scan).where(Scan.visit_id == visit.id, Scan.kind == "in", Scan.accepted.is_(True)))
            if s.officer.department_id == department_id)
        rows = []
        for task in tasks:
            task.visit_id = None
            if task.window_end > today:
                task.status = "pending"
                task.unscheduled_reason = f"{label}未到场（{visit.day} 的检查），待重新排程"
            else:
                task.status = "cancelled"
                task.unscheduled_reason = f"{label}未到场（{visit.day} 的检查），检查期限已过，未执行"
            rows.append({"task": task.id, "status": task.status})
        session.add(MissedPart(visit_id=visit.id, department_id=department_id, tasks=rows, scanned=came, at=now))
        missed_codes.append(department.code)
        append_event(session, user, "department.missed", f"visit:{visit.id}",
                     {"firm": visit.firm.uscc, "department": department.code, "tasks": rows, "scanned": came})
    session.flush()
    if missed:
        session.refresh(visit, ["tasks"])
        advance_plans(session, [t for tasks in missed.values() for t in tasks])
    refresh_visit_facts(session, visit)
    evaluation_invited(session, visit, visit.day + dt.timedelta(days=EVALUATION_DAYS))
    minutes = round((entry.left_at - entry.entered_at).total_seconds() / 60)
    append_event(session, user, "visit.left", f"visit:{visit.id}",
                 {"firm": visit.firm.uscc, "minutes": minutes,
                  "departments": sorted(p.department.code for p in parts), "missed": missed_codes})


def presence(session: Session, visit: Visit) -> list[dict]:
    """Per department of the visit: its entry and exit, and the officers who scanned in (when, and when
    they left). Scheduled officers who never scanned in are not listed."""
    parts = session.scalars(select(DepartmentEntry).where(DepartmentEntry.visit_id == visit.id)).all()
    scans = session.scalars(select(Scan).where(Scan.visit_id == visit.id, Scan.accepted.is_(True))
                            .order_by(Scan.at, Scan.id)).all()
    return presence_of(visit, parts, scans)


def presence_of(visit: Visit, parts: list[DepartmentEntry], scans: list[Scan]) -> list[dict]:
    """:func:`presence` from the visit's department entries and accepted scans (in order) read already."""
    parts = {p.department_id: p for p in parts}
    departments = {t.plan.department_id: t.plan.department for t in visit.tasks}
    departments.update({p.department_id: p.department for p in parts.values()})
    out = []
    for department_id, department in sorted(departments.items()):
        part = parts.get(department_id)
        people: dict[int, dict] = {}
        for scan in scans:
            officer = scan.officer
            if officer.department_id != department_id:
                continue
            if scan.kind == "in" and officer.id not in people:
                people[officer.id] = {"name": officer.name, "certificate_no": officer.certificate_no,
                                      "kind": officer.kind, "certified": officer.certified_on(visit.day),
                                      "scanned_in_at": scan.at, "left_at": None}
        for person in people.values():
            if part is not None and part.left_at is not None:
                person["left_at"] = part.left_at
        out.append({"department": department.name, "department_code": department.code,
                    "short_name": department.short_name or department.name,
                    "entered_at": part.entered_at if part else None, "left_at": part.left_at if part else None,
                    "status": ("left" if part.left_at else "inside") if part else "not_entered",
                    "officers": list(people.values())})
    return out


PRESENCE_LABELS = {"inside": "在场检查中", "left": "已扫码离开", "not_entered": "未入企"}


def missed_parts(session: Session, visit: Visit) -> list[MissedPart]:
    return session.scalars(select(MissedPart).where(MissedPart.visit_id == visit.id).order_by(MissedPart.id)).all()
