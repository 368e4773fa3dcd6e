"""扫码入企: the firm's code, scans in and out matched to a registered visit, the inspection code (亮码检查),
findings per checklist point, publication of results (一公开) and the firm's evaluation (事后评价)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from checklists.gate import require_current
from checklists.models import ChecklistPoint
from checklists.revisions import point_for
from core import clock

from ..errors import DomainError, InvalidInput, InvalidState, NotPermitted, OutsideCatalogue, OutsideJurisdiction
from ..models import (
    COMPLAINTS,
    CONDITIONS,
    EXCLUSIVE_CONDITIONS,
    OUTCOMES,
    RESULTS,
    TREATMENT_LABELS,
    TREATMENTS,
    DepartmentEntry,
    EntryToken,
    Evaluation,
    Finding,
    Firm,
    InspectionPlan,
    InspectionTask,
    ItemOutcome,
    JoinInvitation,
    LeniencyDecision,
    Officer,
    OfficerConflict,
    Scan,
    User,
    Visit,
    VisitEntry,
    VisitOfficer,
    department_districts,
)
from ..pure.calendar import is_working_time, working_days
from ..pure.short_codes import is_valid, looks_like_short_code, make_short_code, normalise
from .city_rules import hours_of, stored_rule
from .door import (
    PARTNER_WINDOW,
    VISIT_WITH_TASKS,
    Lead,
    LeadRefused,
    invited_visit,
    join,
    lead_visit_awaiting_partner,
    open_lead_visit,
    prompt_for,
    record_prompt,
)
from .events import append_event, utcnow
from .facts import refresh_visit_facts
from .findings import checklist_results
from .leniency import applicable, check_fine, check_first_offence, entries_for
from .notices import partner_waiting, results_published
from .presence import (
    EVALUATION_DAYS,
    check_recorder,
    enter_department,
    leave_department,
)
from .publication import publish_outcomes
from .quiet import quiet_days

CODE_MAX_AGE = 12 * 3600                     # an inspection code is valid for the working day
PUBLISH_WORKING_DAYS = 20                    # results are published within 20 working days (一公开)
MAX_FINE = 10**10                            # yuan: anything larger is a typing error


class ScanRefused(DomainError):
    """A scan that does not match a registered visit; the refusal itself stays on the record."""

    status = 422
    code = "scan_refused"
    audited = True


@dataclasses.dataclass
class ScanResult:
    state: str                 # "waiting_partner", "entered", "already_in", "left"
    visit: Visit
    scanned: list[str]         # certificate numbers of team members who scanned in
    code: str | None = None
    prompt: dict | None = None  # what the officer was shown at his first scan (扫码提示), when made here


# -- The firm's code ---------------------------------------------------------------------------

def _new_token(session: Session, firm: Firm) -> EntryToken:
    """A fresh token and short code for ``firm`` (a short code is never issued twice)."""
    short_code = make_short_code()
    while session.scalar(select(EntryToken.id).where(EntryToken.short_code == short_code)) is not None:
        short_code = make_short_code()
    token = EntryToken(firm_id=firm.id, token=secrets.token_urlsafe(18), short_code=short_code, active=True,
                       created_at=utcnow())
    session.add(token)
    session.flush()
    return token


def firm_token(session: Session, firm: Firm) -> EntryToken:
    """The firm's active entry token, made on first use."""
    token = session.scalar(select(EntryToken).where(EntryToken.firm_id == firm.id, EntryToken.active.is_(True)))
    return token if token is not None else _new_token(session, firm)


def rotate_token(session: Session, actor: User, firm: Firm) -> EntryToken:
    """Retire the firm's code and issue a new one (a lost or copied code stops working)."""
    if not (actor.role == "admin" or actor.role == "enterprise" and actor.firm_id == firm.id):
        raise NotPermitted("只有本企业账号或管理员可以更换企业码")
    old = firm_token(session, firm)
    old.active, old.retired_at = False, utcnow()
    session.flush()
    new = _new_token(session, firm)
    append_event(session, actor, "firm.code_rotated", f"firm:{firm.uscc}", {})
    return new


def firm_of_token(session: Session, token: str) -> Firm | None:
    """The firm whose active code is ``token``: the QR code's token, or the short code typed by hand
    (any case, spaces or hyphens, O for 0, I or L for 1). A short code whose check fails names no firm."""
    with_firm = joinedload(EntryToken.firm)
    row = session.scalar(select(EntryToken).where(EntryToken.token == token.strip(), EntryToken.active.is_(True))
                         .options(with_firm))
    if row is None and looks_like_short_code(token) and is_valid(code := normalise(token)):
        row = session.scalar(select(EntryToken).where(EntryToken.short_code == code, EntryToken.active.is_(True))
                             .options(with_firm))
    return row.firm if row else None


def check_typed_code(token: str) -> None:
    """Refuse a short code typed with a mistake its check character reveals."""
    if looks_like_short_code(token) and not is_valid(normalise(token)):
        raise InvalidInput(f"企业码编号“{token.strip()}”校验不符，可能输错了一位：请对照企业码下方的编号重新输入",
                           fields={"token": "编号校验不符"})


# -- Scans ---------------------------------------------------------------------------------------

def _refuse(session: Session, user: User, kind: str, firm: Firm | None, message: str, now: dt.datetime,
            error: type[DomainError] = None) -> None:
    """Refuse the scan; the refused scan itself is kept (oversight sees unregistered entry attempts)."""
    record = Scan(kind=kind, firm_id=firm.id if firm else None, officer_id=user.officer_id, at=now,
                  accepted=False, reason=message)
    refusal = (error or ScanRefused)(message, fields={"firm": firm.uscc if firm else None}, records=[record])
    refusal.audited = True          # whatever the reason, a refused scan stays on the record
    raise refusal


@dataclasses.dataclass
class _Candidate:
    visit: Visit
    entry: VisitEntry | None        # the visit's entry, if made
    part: DepartmentEntry | None    # the officer's department's part, if entered


_TEAM = (Visit.firm_id == bindparam("firm"), VisitOfficer.officer_id == bindparam("officer"),
         Visit.status.in_(("confirmed", "in_progress")))


@functools.cache
def _team_visits_read_once():
    """The firm's visits whose team includes the officer, with their tasks, plans, items and both entries
    (the department's part for ``department``): built once, run with parameters."""
    return (select(Visit, VisitEntry, DepartmentEntry).join(VisitOfficer, VisitOfficer.visit_id == Visit.id)
            .outerjoin(VisitEntry, VisitEntry.visit_id == Visit.id)
            .outerjoin(DepartmentEntry, and_(DepartmentEntry.visit_id == Visit.id,
                                             DepartmentEntry.department_id == bindparam("department")))
            .where(*_TEAM).options(VISIT_WITH_TASKS).order_by(Visit.day, Visit.id))


def _team_visit(session: Session, user: User, firm: Firm, today: dt.date) -> _Candidate | None:
    """A confirmed or running visit to ``firm`` whose team includes the officer, for today (of two, the one
    a colleague of his department has scanned into; else the first made), or, if its day has passed or not
    come, one whose every task window holds today; with its tasks, their plans and items, and its entries
    (one query). On PostgreSQL the door's query (``_door_query``) has locked the officer's visits here
    already, so this read, a statement after it, sees a scan it waited for. SQLite has one writer at a time
    (the request began with BEGIN IMMEDIATE): what is read there stays true until the commit."""
    def choose(visits):
        todays = [v for v in visits if v.day == today]
        if len(todays) > 1:      # two plans put him on two visits here today: join the one a colleague waits at
            awaited = _awaited(session, todays, user.officer, today)
            todays.sort(key=lambda v: v.id not in awaited)
        return next(iter(todays), None) or next(
            (v for v in visits if all(t.window_start <= today <= t.window_end for t in v.tasks)), None)
    rows = session.execute(_team_visits_read_once(), {"firm": firm.id, "officer": user.officer_id,
                                                      "department": user.officer.department_id}).unique().all()
    found = {row[0].id: _Candidate(*row) for row in rows}
    visit = choose([row[0] for row in rows])
    return found[visit.id] if visit is not None else None


def _awaited(session: Session, visits: list[Visit], officer: Officer, today: dt.date) -> set[int]:
    """Of the visits, those where another officer of his department has scanned in today (so that an officer
    whom two plans put on two visits to one firm on one day joins the partner who is waiting for him)."""
    return set(session.scalars(
        select(Scan.visit_id).join(Officer, Officer.id == Scan.officer_id)
        .where(Scan.visit_id.in_([v.id for v in visits]), Scan.kind == "in", Scan.accepted.is_(True),
               Scan.at >= clock.local_instant(today, dt.time(0)), Officer.department_id == officer.department_id,
               Scan.officer_id != officer.id)))


@functools.cache
def _candidate_query():
    return (select(Visit, VisitEntry, DepartmentEntry)
            .outerjoin(VisitEntry, VisitEntry.visit_id == Visit.id)
            .outerjoin(DepartmentEntry, and_(DepartmentEntry.visit_id == Visit.id,
                                             DepartmentEntry.department_id == bindparam("department")))
            .where(Visit.id == bindparam("visit")).options(VISIT_WITH_TASKS)
            .execution_options(populate_existing=True))


def _candidate(session: Session, visit: Visit, department_id: int) -> _Candidate:
    """The visit (locked already) read again with its tasks, plans, items and entries, in one query."""
    row = session.execute(_candidate_query(), {"visit": visit.id, "department": department_id}).unique().one()
    return _Candidate(*row)


@dataclasses.dataclass
class _AtDoor:
    firm: Firm | None
    in_area: bool = False         # in the officer's department's area
    stands_aside: bool = False    # the officer must stand aside (回避) from the firm
    hours: tuple[dt.time, dt.time] | None = None   # the city's hours for scans


@functools.cache
def _door_query(by: str, locking: bool):
    """The firm of an active code (by ``token`` or ``short_code``), whether it lies in the department's
    area, whether the officer must stand aside, and the city's hours: built once, run with the code, the
    department and the officer as parameters (building it anew on every scan cost more than running it).

    ``locking`` (PostgreSQL): the same statement also locks the officer's confirmed and running visits to
    the firm, in the order of their ids, so that two scans at one visit take turns from here on and the
    next statement reads the visit as the other scan left it (a statement that waits for a lock reads what
    it joins as it was when it began, hence not in this one). Without it that lock took a statement of
    its own."""
    area = exists().where(department_districts.c.department_id == bindparam("department"),
                          department_districts.c.district_id == Firm.district_id).correlate(Firm)
    conflict = exists().where(OfficerConflict.officer_id == bindparam("officer"),
                              OfficerConflict.firm_id == Firm.id).correlate(Firm)
    columns = [Firm, area.label("area"), conflict.label("conflict"), stored_rule("working_hours").label("hours")]
    if locking:
        team = (select(Visit.id).join(VisitOfficer, VisitOfficer.visit_id == Visit.id)
                .where(Visit.firm_id == Firm.id, VisitOfficer.officer_id == bindparam("officer"),
                       Visit.status.in_(("confirmed", "in_progress")))
                .order_by(Visit.id).with_for_update(of=Visit).correlate(Firm).subquery("team"))
        columns.append(select(func.count()).select_from(team).scalar_subquery().label("locked"))
    return (select(*columns).join(EntryToken, EntryToken.firm_id == Firm.id)
            .where(getattr(EntryToken, by) == bindparam("code"), EntryToken.active.is_(True)))


def _firm_at_door(session: Session, token: str, officer) -> _AtDoor:
    """In one query: the firm whose active code is ``token`` (see :func:`firm_of_token`), whether it is in
    the officer's department's area, whether the officer must stand aside (回避) from it, and the city's
    hours for scans."""
    locking = session.get_bind().dialect.name != "sqlite"

    def find(by: str, code: str):
        return session.execute(_door_query(by, locking), {"code": code, "department": officer.department_id,
                                                  "officer": officer.id}).first()
    row = find("token", token.strip())
    if row is None and looks_like_short_code(token) and is_valid(code := normalise(token)):
        row = find("short_code", code)
    if row is None:
        return _AtDoor(None)
    return _AtDoor(row[0], bool(row.area), bool(row.conflict), hours_of(row.hours))


def scan_in(session: Session, user: User, token: str, *, now: dt.datetime | None = None, secret: str,
            lead: Lead | None = None, synced_at: dt.datetime | None = None) -> ScanResult:
    """Check every rule of 扫码入企; two certified officers within the window make the entry.

    The scan is for the officer's confirmed visit here today; or for a visit that invited his department
    (扫码提示); or for an entry on a lead that a colleague opened moments ago; or, with ``lead``, it opens
    an entry on a recorded lead or an emergency entry. ``synced_at`` marks a scan recorded offline.

    What it reads, in order: the code's firm, whether it is in the department's area, whether the officer
    must stand aside and the city's hours (one query, which on PostgreSQL also locks his visits there); the
    visit with its tasks, plans, items and entries; the visit's scans with their officers; what the officer
    is shown (the prompt, one query). Then it writes the scan, the entry when it is made, and the records
    for the log's queue."""
    now = now or utcnow()
    today = clock.local_day(now)
    if user.role != "inspector" or user.officer is None:
        raise NotPermitted("只有执法人员账号可以扫码入企")
    door = _firm_at_door(session, token, user.officer)
    if door.firm is None:
        check_typed_code(token)
        _refuse(session, user, "in", None, "企业码无效或已更换：请扫描企业张贴的最新企业码", now)
    if user.officer.kind != "enforcement":
        return _accompany(session, user, door.firm, today, now)
    scan = _DoorScan(session, user, user.officer, door, now, today, synced_at)
    scan.check_officer()
    found, invitation = scan.visit_for(lead)
    scan.check_visit(found)
    scans, already, prompt = scan.record(found.visit, with_prompt=invitation is None)
    return scan.finish(found, invitation, scans, already, prompt, secret)


@functools.cache
def _scans_in_query():
    """The visit's accepted scans-in, in order, with their officers (built once)."""
    return (select(Scan).where(Scan.visit_id == bindparam("visit"), Scan.kind == "in", Scan.accepted.is_(True))
            .options(joinedload(Scan.officer)).order_by(Scan.at, Scan.id))


@dataclasses.dataclass
class _DoorScan:
    """One officer's scan-in at one firm's door, checked rule by rule (``scan_in`` calls the steps in turn);
    each refusal is kept as a refused scan."""

    session: Session
    user: User
    officer: Officer
    door: _AtDoor
    now: dt.datetime
    today: dt.date
    synced_at: dt.datetime | None

    @property
    def firm(self) -> Firm:
        return self.door.firm

    def refuse(self, message: str, error: type[DomainError] | None = None) -> None:
        _refuse(self.session, self.user, "in", self.firm, message, self.now, error)

    def check_officer(self) -> None:
        """His certificate is valid today and the firm lies in his department's area."""
        officer = self.officer
        if not officer.certified_on(self.today):
            self.refuse(f"您的执法证今日无效（有效期 {officer.valid_from} 至 {officer.valid_to}），不能参与入企检查")
        if not self.door.in_area:
            self.refuse(f"{self.firm.name}不在{officer.department.name}的管辖区域，禁止违规异地执法", OutsideJurisdiction)

    def visit_for(self, lead: Lead | None) -> tuple[_Candidate, JoinInvitation | None]:
        """The visit the scan is for, with the invitation it answers (if it joins another's visit)."""
        session, officer, firm = self.session, self.officer, self.firm
        invitation = None
        found = _team_visit(session, self.user, firm, self.today)
        visit = found.visit if found else None
        if visit is None and (invited := invited_visit(session, officer, firm, self.today)) is not None:
            visit, invitation = invited
        if visit is None:
            visit = lead_visit_awaiting_partner(session, officer, firm, self.now)
        if visit is None and lead is not None:
            try:
                visit = open_lead_visit(session, self.user, firm, lead, self.now, self.today)
            except DomainError as err:
                self.refuse(err.message, LeadRefused if isinstance(err, LeadRefused) else type(err))
        if visit is None:
            self.refuse(f"{firm.name}今天没有您参与的已确认检查：扫码入企必须与备案计划排定的检查相符"
                        "（因投诉举报、转办线索或事故报告入企的，请填写已登记的线索；紧急情况可先入企、事后补录）")
        if found is None or found.visit is not visit:
            found = _candidate(session, visit, officer.department_id)
        set_committed_value(visit, "firm", firm)   # held by the result: its answer names the firm unread again
        return found, invitation

    def check_visit(self, found: _Candidate) -> None:
        """The visit's items are still listed, the department's yearly cap holds, it is working time, today
        is not a quiet day if the visit moves onto it, the officer need not stand aside, and his department
        has not left already."""
        visit, officer, firm, today = found.visit, self.officer, self.firm, self.today
        try:
            for task in visit.tasks:
                require_current(task.plan.items, department=task.plan.department, on=today)
        except OutsideCatalogue as err:
            self.refuse(f"检查事项已不在清单中：{err.message}")
        self._check_cap(visit)
        local = clock.to_local(self.now)
        if visit.origin != "emergency" and not is_working_time(local, self.door.hours):
            start, end = self.door.hours
            self.refuse(f"扫码入企只在工作日 {start:%H:%M}–{end:%H:%M} 受理（现在是 {local:%m月%d日 %H:%M}）："
                        "紧急情况请按紧急入企办理")
        if visit.day != today:
            closed = quiet_days(self.session, [(firm.id, firm.district_id)], today, today,
                                {t.plan.department_id for t in visit.tasks}).get(firm.id)
            if closed:
                self.refuse(f"{firm.name}今天处于宁静期，不能把 {visit.day} 的检查改到今天")
            visit.day = today
        if self.door.stands_aside:
            self.refuse(f"您与{firm.name}存在应当回避的情形，不能参与本次检查")
        if found.part is not None and found.part.left_at is not None:
            self.refuse(f"{officer.department.short_name}已于 {clock.to_local(found.part.left_at):%H:%M} "
                        "扫码离开本次检查，不能再次入企：如需再次检查，须另行排定")

    def _check_cap(self, visit: Visit) -> None:
        """A planned visit stays within the department's yearly cap of entries into the firm (a quiet-period
        exception of its plan aside)."""
        officer = self.officer
        cap = officer.department.yearly_cap
        own = [t for t in visit.tasks if t.plan.department_id == officer.department_id]
        if not cap or visit.origin != "planned" or any(t.plan.quiet_exception for t in own):
            return
        entries = self.session.scalar(
            select(func.count()).select_from(DepartmentEntry)
            .join(Visit, Visit.id == DepartmentEntry.visit_id)
            .where(Visit.firm_id == self.firm.id, DepartmentEntry.department_id == officer.department_id,
                   DepartmentEntry.visit_id != visit.id,
                   func.extract("year", DepartmentEntry.entered_at) == self.today.year))
        if entries >= cap:
            self.refuse(f"{officer.department.name}本年度对该企业的检查已达 {cap} 次上限")

    def record(self, visit: Visit, *, with_prompt: bool) -> tuple[list[Scan], Scan | None, dict | None]:
        """The visit's accepted scans-in, in order, with their officers; the officer's own earlier one; and,
        at his first scan, the new scan written and what he is shown (the prompt, kept for the answer)."""
        session, officer = self.session, self.officer
        scans = session.scalars(_scans_in_query(), {"visit": visit.id}).all()
        already = next((s for s in scans if s.officer_id == officer.id), None)
        if already is not None:
            return scans, already, None
        scan = Scan(kind="in", firm_id=self.firm.id, officer_id=officer.id, visit_id=visit.id, at=self.now,
                    accepted=True, synced_at=self.synced_at)
        session.add(scan)
        session.flush()
        prompt = None
        if with_prompt:
            prompt = prompt_for(session, self.firm, officer, self.today, visit)
            record_prompt(session, visit, officer, prompt, self.now)
        return [*scans, scan], None, prompt

    def finish(self, found: _Candidate, invitation: JoinInvitation | None, scans: list[Scan], already: Scan | None,
               prompt: dict | None, secret: str) -> ScanResult:
        """Already inside, waiting for a partner, or the department's entry: only its own officers, certified
        on the day, within the partner window make it."""
        session, user, officer, firm, now = self.session, self.user, self.officer, self.firm, self.now
        visit, part, entry = found.visit, found.part, found.entry
        recent = [s for s in scans if now - PARTNER_WINDOW <= s.at <= now + PARTNER_WINDOW
                  and s.officer.department_id == officer.department_id and s.officer.certified_on(visit.day)]
        colleagues = {s.officer_id: s.officer for s in recent}
        scanned = sorted(o.certificate_no for o in colleagues.values())
        if part is not None:
            if already is None:
                refresh_visit_facts(session, visit)  # another certified officer of a department inside
            return ScanResult("already_in", visit, scanned, inspection_code(visit, entry, secret), prompt)
        if len(colleagues) < 2:
            if already is None:
                partner_waiting(session, visit, officer, firm, now)
            append_event(session, user, "scan.in", f"visit:{visit.id}",
                         {"firm": firm.uscc, "officer": officer.certificate_no, "department": officer.department.code,
                          "waiting_partner": True, "joining": invitation is not None})
            return ScanResult("waiting_partner", visit, scanned, prompt=prompt)
        if invitation is not None:
            join(session, user, visit, invitation, list(colleagues.values()), now)
        entered_at = max(s.at for s in recent)
        if visit.entered_before is not None:
            entered_at = min(entered_at, visit.entered_before)  # an emergency team went in first, scans before leaving
        offline = self.synced_at is not None
        part, entry, first = enter_department(session, user, visit, officer.department_id, list(colleagues.values()),
                                              entered_at, offline=offline, entry=entry)
        if first:
            append_event(session, user, "visit.entered", f"visit:{visit.id}",
                         {"firm": firm.uscc, "officers": scanned, "departments": [officer.department.code],
                          "origin": visit.origin, "offline": offline})
        return ScanResult("joined" if invitation is not None else "entered", visit, scanned,
                          inspection_code(visit, entry, secret), prompt)


def _accompany(session: Session, user: User, firm: Firm, today: dt.date, now: dt.datetime) -> ScanResult:
    """Grid, community and third-party staff may accompany their department's visit; their scan is kept
    but never counts toward the two certified officers."""
    officer = user.officer
    visit = session.scalar(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                           .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                           .where(Visit.firm_id == firm.id, Visit.day == today,
                                  Visit.status.in_(("confirmed", "in_progress")),
                                  InspectionPlan.department_id == officer.department_id).limit(1))
    if visit is None:
        _refuse(session, user, "in", firm, f"{firm.name}今天没有本部门的检查可以陪同", now)
    session.add(Scan(kind="in", firm_id=firm.id, officer_id=officer.id, visit_id=visit.id, at=now, accepted=True,
                     reason="陪同人员，不计入检查人数"))
    session.flush()
    append_event(session, user, "scan.accompany", f"visit:{visit.id}",
                 {"firm": firm.uscc, "officer": officer.certificate_no, "kind": officer.kind})
    counted = session.scalars(select(Scan).where(Scan.visit_id == visit.id, Scan.kind == "in",
                                                 Scan.accepted.is_(True), Scan.at >= now - PARTNER_WINDOW)).all()
    scanned = sorted({s.officer.certificate_no for s in counted if s.officer.certified_on(today)})
    return ScanResult("accompanying", visit, scanned)


def scan_out(session: Session, user: User, visit: Visit, *, now: dt.datetime | None = None,
             synced_at: dt.datetime | None = None) -> DepartmentEntry:
    """The officer's department scans out of its part of the visit (its tasks are done); the visit ends
    when the last department inside has left (see ``presence.leave_department``)."""
    part, _entry = leave_department(session, user, visit, now=now or utcnow(), synced_at=synced_at)
    return part


# -- The inspection code (亮码检查) -----------------------------------------------------------

def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="inspection-code")


def inspection_code(visit: Visit, entry: VisitEntry, secret: str) -> str:
    return _serializer(secret).dumps({"v": visit.id, "n": entry.code_nonce})


def verify_code(session: Session, code: str, secret: str, *, max_age: int = CODE_MAX_AGE) -> tuple[str, Visit | None]:
    """("valid" | "expired" | "forged", visit): a forged code names no visit; an expired one still does."""
    try:
        data = _serializer(secret).loads(code, max_age=max_age)
        state = "valid"
    except SignatureExpired as exc:
        data = _serializer(secret).loads_unsafe(code)[1] if exc.payload is not None else None
        state = "expired"
    except BadSignature:
        return "forged", None
    visit = session.get(Visit, (data or {}).get("v")) if isinstance(data, dict) else None
    entry = session.get(VisitEntry, visit.id) if visit else None
    if visit is None or entry is None or entry.code_nonce != data.get("n"):
        return "forged", None
    if state == "valid" and visit.status != "in_progress":
        state = "closed"
    return state, visit


# -- Findings and outcomes -------------------------------------------------------------------

def _team_task(session: Session, user: User, visit: Visit, task_id: int, at: dt.datetime) -> InspectionTask:
    """The task of the visit that the officer records, refused unless he is present for its department at ``at``."""
    if user.role != "inspector" or user.officer_id not in {o.officer_id for o in visit.officers}:
        raise NotPermitted("只有本次检查组成员可以记录检查结果")
    task = next((t for t in visit.tasks if t.id == task_id), None)
    if task is None:
        raise InvalidInput("该任务不属于本次检查", fields={"task": "不属于本次检查"})
    check_recorder(session, user, visit, task, at)
    return task


def record_finding(session: Session, user: User, visit: Visit, task_id: int, point_id: int, result: str,
                   note: str = "", photo: str | None = None, *, now: dt.datetime | None = None) -> Finding:
    """A result for one checklist point; points outside the item's checklist are refused."""
    now = now or utcnow()
    task = _team_task(session, user, visit, task_id, now)
    if result not in RESULTS:
        raise InvalidInput("检查结果应为符合、不符合或不适用", fields={"result": "取值无效"})
    point = session.get(ChecklistPoint, point_id)
    item = next((i for i in task.plan.items if point is not None and i.code == point.item.code
                 and i.department_id == point.item.department_id), None)
    if item is None:
        raise OutsideCatalogue("该检查要点不在本次检查事项的检查清单中（清单之外无检查）", fields={"point": point_id})
    require_current([item], department=task.plan.department, on=clock.local_day(now))
    # The checklist in force on the visit's day: an earlier version's point maps onto it, or is refused.
    point, given = point_for(point, item, visit.day)
    if result == "non_compliant" and not note.strip():
        raise InvalidInput("不符合项须写明具体情况", fields={"note": "必填"})
    finding = session.scalar(select(Finding).where(Finding.visit_id == visit.id, Finding.task_id == task.id,
                                                   Finding.point_id == point.id))
    if finding is None:
        # The finding names the plan's item (its identity across versions) and the point of the checklist in force.
        finding = Finding(visit_id=visit.id, task_id=task.id, item_id=item.id, point_id=point.id)
        session.add(finding)
    finding.result, finding.note, finding.recorded_by_id, finding.recorded_at = result, note.strip(), user.officer_id, now
    if photo:
        finding.photo = photo
    session.flush()
    if result != "non_compliant":  # a decision on leniency only stands for a non-compliant point
        session.execute(LeniencyDecision.__table__.delete().where(LeniencyDecision.finding_id == finding.id))
    payload = {"task": task.id, "item": point.item.code, "point": point.position, "result": result}
    if point.item_id != item.id:
        payload["version"] = point.item.version
    if given is not None:
        payload["mapped_from"] = {"version": given.item.version, "point": given.position}
    append_event(session, user, "finding.recorded", f"visit:{visit.id}", payload)
    return finding


def record_outcome(session: Session, user: User, visit: Visit, task_id: int, item_code: str, outcome: str,
                   rectify_by: dt.date | None = None, *, publish_within: int = PUBLISH_WORKING_DAYS,
                   treatment: str | None = None, fine_amount: int | None = None, fine_reason: str = "",
                   now: dt.datetime | None = None) -> ItemOutcome:
    """The item's outcome; it must be published within ``publish_within`` working days (一公开).

    ``treatment`` (包容审慎) defaults to what the inspector decided to follow on the item's listed points and
    must agree with it: no penalty never comes with a case, a reduced, lighter or heavier penalty only
    with one. ``fine_amount`` (whole yuan) belongs to a case."""
    now = now or utcnow()
    task = _team_task(session, user, visit, task_id, now)
    item = next((i for i in task.plan.items if i.code == item_code), None)
    if item is None:
        raise OutsideCatalogue(f"事项 {item_code} 不在本次检查任务中（清单之外无检查）", fields={"item": item_code})
    if outcome not in OUTCOMES:
        raise InvalidInput("处理结果应为未发现问题、责令限期整改或立案查处", fields={"outcome": "取值无效"})
    if outcome == "rectify" and rectify_by is None:
        raise InvalidInput("责令整改须写明整改期限", fields={"rectify_by": "必填"})
    _current, rows, _dropped = checklist_results(session, visit, task, item)
    missing = [p for p, finding in rows if finding is None]
    if missing:
        raise InvalidState(f"事项 {item.code} 还有 {len(missing)} 个检查要点未记录结果")
    today = clock.local_day(now)
    treatment = _outcome_treatment(session, visit, task, item, outcome, treatment, today)
    if fine_amount is not None:
        if outcome != "case":
            raise InvalidInput("只有立案查处的事项可以记录罚没金额", fields={"fine_amount": "仅限立案查处"})
        if isinstance(fine_amount, bool) or not isinstance(fine_amount, int) or not 0 <= fine_amount <= MAX_FINE:
            raise InvalidInput("罚没金额应为不小于 0 的整数（元）", fields={"fine_amount": "应为整数（元）"})
    fine = check_fine(session, task, item, fine_amount, fine_reason, treatment=treatment, day=today)   # 裁量基准
    row = session.scalar(select(ItemOutcome).where(ItemOutcome.visit_id == visit.id, ItemOutcome.task_id == task.id,
                                                   ItemOutcome.item_id == item.id))
    if row is None:
        due = working_days(today, today + dt.timedelta(days=3 * publish_within + 30))[publish_within]
        row = ItemOutcome(visit_id=visit.id, task_id=task.id, item_id=item.id, publish_due=due)
        session.add(row)
    row.outcome, row.rectify_by, row.recorded_at = outcome, rectify_by if outcome == "rectify" else None, now
    row.treatment, row.fine_amount, row.recorded_by_id = treatment, fine_amount, user.officer_id
    row.fine_reason = fine.reason if fine is not None and not fine.within else None
    session.flush()
    append_event(session, user, "outcome.recorded", f"visit:{visit.id}",
                 {"task": task.id, "item": item.code, "outcome": outcome, "rectify_by": row.rectify_by,
                  "treatment": treatment, "fine_amount": fine_amount})
    return row


def _outcome_treatment(session: Session, visit: Visit, task: InspectionTask, item, outcome: str,
                       asked: str | None, today: dt.date) -> str | None:
    """The treatment an outcome records, checked against the item's leniency decisions."""
    if asked is not None and asked not in TREATMENTS:
        raise InvalidInput("处罚裁量应为不予处罚、减轻处罚、从轻处罚或从重处罚", fields={"treatment": "取值无效"})
    failing = session.scalars(select(Finding).where(Finding.visit_id == visit.id, Finding.task_id == task.id,
                                                    Finding.item_id == item.id,
                                                    Finding.result == "non_compliant")).all()
    listed = entries_for(session, task.plan.department_id, [f.point_id for f in failing], today)
    decisions = {d.finding_id: d for d in session.scalars(select(LeniencyDecision).where(
        LeniencyDecision.finding_id.in_([f.id for f in failing])))} if failing else {}
    pending = sorted(f.point.position for f in failing if f.point_id in listed and f.id not in decisions)
    if pending:
        raise InvalidState(f"事项 {item.code} 第 {'、'.join(map(str, pending))} 个检查要点列入包容审慎清单，"
                           "请先确认适用条件并作出处理决定", fields={"leniency": pending})
    followed = {d.treatment for d in decisions.values() if d.decision == "follow"}
    spared = [f for f in failing if f.id in decisions and decisions[f.id].decision == "follow"
              and decisions[f.id].treatment == "no_penalty"]
    if outcome == "case" and failing and len(spared) == len(failing):
        raise InvalidInput("本事项的不符合要点均已决定按清单不予处罚，处理结果不能为立案查处；"
                           "如需立案，请将决定改为不按清单处理并说明理由", fields={"outcome": "与不予处罚决定不一致"})
    penalties = followed - {"no_penalty"}
    if penalties and outcome != "case":
        labels = "、".join(TREATMENT_LABELS[t] for t in sorted(penalties))
        raise InvalidInput(f"已决定按清单{labels}，处理结果应为立案查处", fields={"outcome": "应为立案查处"})
    if outcome == "case":
        derived = next((t for t in ("heavier", "lighter", "reduced") if t in penalties), None)
    else:
        derived = "no_penalty" if "no_penalty" in followed else None
    treatment = asked if asked is not None else derived
    if treatment == "no_penalty" and outcome == "case" or treatment not in (None, "no_penalty") and outcome != "case":
        raise InvalidInput("不予处罚不能与立案查处同时记录；减轻、从轻、从重处罚只能用于立案查处的事项",
                           fields={"treatment": "与处理结果不一致"})
    if derived is not None and treatment != derived:
        raise InvalidInput(f"处罚裁量与按清单作出的决定（{TREATMENT_LABELS[derived]}）不一致",
                           fields={"treatment": "与清单决定不一致"})
    return treatment


def leniency_proposal(session: Session, task: InspectionTask, point_id: int, day: dt.date) -> dict | None:
    """What the department's lists in force propose for a non-compliant point, or ``None``."""
    return leniency_proposals(session, task, [point_id], day).get(point_id)


def leniency_proposals(session: Session, task: InspectionTask, point_ids, day: dt.date) -> dict[int, dict]:
    """:func:`leniency_proposal` of each of ``point_ids`` that the lists cover, read at once (a sheet asks
    for every point of its checklists)."""
    return {point_id: _proposal(entries)
            for point_id, entries in entries_for(session, task.plan.department_id, point_ids, day).items() if entries}


def _proposal(entries) -> dict:
    conditions = list(dict.fromkeys(c for e in entries for c in e.conditions))
    return {"entries": [{"id": e.id, "treatment": e.treatment, "treatment_label": e.treatment_label,
                         "conditions": e.conditions, "basis": e.basis, "guidance": e.guidance,
                         "list": e.list.title, "version": e.list.version} for e in entries],
            "conditions": [{"code": c, "label": CONDITIONS[c]} for c in conditions]}


def decide_leniency(session: Session, user: User, visit: Visit, task_id: int, point_id: int, conditions_met,
                    decision: str | None = None, reason: str = "") -> LeniencyDecision:
    """The inspector's decision on a non-compliant point that a list in force covers (包容审慎): which
    conditions hold; then, if an entry applies, follow it or depart from it with a reason."""
    task = _team_task(session, user, visit, task_id, utcnow())
    finding = session.scalar(select(Finding).where(Finding.visit_id == visit.id, Finding.task_id == task.id,
                                                   Finding.point_id == point_id))
    if finding is None or finding.result != "non_compliant":
        raise InvalidState("须先将该检查要点记录为不符合，才能按包容审慎清单作出决定", fields={"point": point_id})
    today = clock.today()
    entries = entries_for(session, task.plan.department_id, [point_id], today).get(point_id)
    if not entries:
        raise InvalidInput("该检查要点不在本部门现行的包容审慎清单中", fields={"point": point_id})
    met = set(conditions_met or [])
    asked = {c for e in entries for c in e.conditions}
    unknown = sorted(met - asked)
    if unknown:
        raise InvalidInput(f"条件 {'、'.join(unknown)} 不是本要点清单条目的适用条件", fields={"conditions": unknown})
    clash = [f"{CONDITIONS[a]}与{CONDITIONS[b]}" for a, b in EXCLUSIVE_CONDITIONS if a in met and b in met]
    if clash:
        raise InvalidInput(f"条件相互矛盾：{'；'.join(clash)}", fields={"conditions": "相互矛盾"})
    check_first_offence(session, visit, task, point_id, met, reason)   # 首违不罚 against the firm's record
    entry = applicable(entries, met)
    reason = (reason or "").strip()
    if entry is None:
        if decision == "follow":
            raise InvalidInput("清单的适用条件未全部满足，不能按清单处理", fields={"decision": "条件不满足"})
        decision = "not_met"
    elif decision not in ("follow", "depart"):
        raise InvalidInput(f"本要点适用清单（{entry.treatment_label}），请选择按清单处理或不按清单处理",
                           fields={"decision": "必填"})
    elif decision == "depart" and len(reason) < 2:
        raise InvalidInput("不按清单处理须说明理由", fields={"reason": "必填"})
    row = session.scalar(select(LeniencyDecision).where(LeniencyDecision.finding_id == finding.id))
    if row is None:
        row = LeniencyDecision(finding_id=finding.id)
        session.add(row)
    row.entry_id = entry.id if entry else None
    row.treatment = entry.treatment if entry else None
    row.conditions = {c: c in met for c in sorted(asked)}
    row.decision, row.reason = decision, reason if decision == "depart" else reason[:500]
    row.decided_by_id, row.decided_at = user.officer_id, utcnow()
    session.flush()
    append_event(session, user, "leniency.decided", f"visit:{visit.id}",
                 {"task": task.id, "item": finding.item.code, "point": finding.point.position,
                  "list": f"{entry.list.department.code}:{entry.list.version}" if entry else None,
                  "treatment": row.treatment, "conditions": row.conditions, "decision": decision,
                  "reason": row.reason})
    return row


def publish_results(session: Session, actor: User, visit: Visit) -> list[ItemOutcome]:
    """The department publishes its results of a completed visit (一公开)."""
    if actor.role != "department" or actor.department_id not in {t.plan.department_id for t in visit.tasks}:
        raise NotPermitted("只有参加本次检查的部门可以公示检查结果")
    if visit.status != "completed":
        raise InvalidState("检查结束后才能公示结果")
    task_ids = [t.id for t in visit.tasks if t.plan.department_id == actor.department_id]
    rows = session.scalars(select(ItemOutcome).where(ItemOutcome.visit_id == visit.id,
                                                     ItemOutcome.task_id.in_(task_ids))).all()
    if not rows:
        raise InvalidState("本部门在本次检查中还没有处理结果可以公示")
    publish_outcomes(session, actor, rows, f"visit:{visit.id}")
    results_published(session, visit, actor.department_id)
    return rows


# -- The firm's side (事后评价) ----------------------------------------------------------------



def evaluation_closes(visit: Visit) -> dt.date:
    """The last day on which the firm may evaluate ``visit``."""
    return visit.day + dt.timedelta(days=EVALUATION_DAYS)


def evaluate_visit(session: Session, user: User, visit: Visit, score: int, comment: str = "",
                   complaint: str | None = None) -> Evaluation:
    if user.role != "enterprise" or user.firm_id != visit.firm_id:
        raise NotPermitted("只有被检查企业可以评价本次检查")
    if visit.status != "completed":
        raise InvalidState("检查结束后才能评价")
    if clock.today() > evaluation_closes(visit):
        raise InvalidState(f"评价期限已过：检查结束后 {EVALUATION_DAYS} 天内可以评价（本次检查截至 "
                           f"{evaluation_closes(visit):%Y-%m-%d}）；如有意见，可向监督机构反映")
    if not 1 <= score <= 5:
        raise InvalidInput("评分应为 1 至 5 分", fields={"score": "应为 1 至 5"})
    if complaint is not None and complaint not in COMPLAINTS:
        raise InvalidInput("投诉类型应为无事由检查、检查过多过频或执法行为不当", fields={"complaint": "取值无效"})
    if session.scalar(select(Evaluation.id).where(Evaluation.visit_id == visit.id)) is not None:
        raise InvalidState("本次检查已经评价过，评价提交后不能修改")
    evaluation = Evaluation(visit_id=visit.id, firm_id=visit.firm_id, score=score, comment=comment.strip(),
                            complaint=complaint, by_user_id=user.id, at=utcnow())
    session.add(evaluation)
    session.flush()
    append_event(session, user, "visit.evaluated", f"visit:{visit.id}",
                 {"score": score, "complaint": complaint})
    return evaluation
