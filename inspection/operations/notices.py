"""Notices (通知): telling firms and officers when something needs them.

The operations that cause a notice write it here, in their own transaction, with a key that names the
event and the recipient: the same event never notifies the same recipient twice, however often the
operation or the reminder sweep runs. The sender (``claim``, ``send``, ``record_attempt``) later sends each
notice by e-mail and SMS, channel by channel, and retries with a growing pause while a server is away.

Firms hear of an advance notice of a visit (检查预告), off-site requests and their deadlines, results
published and the invitation to evaluate; officers of visits assigned or moved and of a partner waiting at
the door; accounts that review (off-site submissions, plan approvals) of what waits for them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import DateTime, Integer, String, and_, bindparam, cast, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import clock

from ..models import Firm, InspectionPlan, InspectionTask, Notice, Officer, OffsiteRequest, User, Visit, VisitOfficer

WEEKDAYS = "一二三四五六日"
# Reminders before an off-site deadline, in calendar days.
DEADLINE_REMINDER_DAYS = 2
# The sender's pauses after failed attempts: 30 s, 1 min, 2 min ... up to an hour; the channel fails for good
# after MAX_ATTEMPTS.
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 12


def _day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def _departments(visit: Visit) -> str:
    return "、".join(dict.fromkeys(t.plan.department.short_name or t.plan.department.name for t in visit.tasks))


def _items(visit: Visit) -> str:
    return "、".join(dict.fromkeys(i.name for t in visit.tasks for i in t.plan.items))


def _insert(session: Session):
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` in the session's dialect: a notice already written for the
    same event and recipient stays as it is, and the transaction goes on."""
    return _insert_into(session.get_bind().dialect.name)


def _insert_into(dialect: str):
    if dialect == "postgresql":
        return postgresql.insert(Notice).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        return sqlite.insert(Notice).on_conflict_do_nothing(index_elements=["key"])
    return insert(Notice).prefix_with("IGNORE")


def notify(session: Session, rows: Iterable[dict]) -> None:
    """Write notices (one statement): each row has ``key``, ``kind``, one recipient (``firm_id``,
    ``officer_id`` or ``user_id``), ``subject``, ``body`` and ``link``."""
    now = clock.now()
    rows = [{"firm_id": None, "officer_id": None, "user_id": None, "link": "", **row, "created_at": now,
             "next_attempt_at": now, "email_status": "pending", "sms_status": "pending", "attempts": 0}
            for row in rows]
    if rows:
        session.execute(_insert(session).values(rows))


# -- Firms ---------------------------------------------------------------------------------------------

def gives_notice(visit: Visit, today: dt.date) -> bool:
    """A confirmed visit is announced to the firm when every plan of it gives notice (检查预告) that many days
    ahead and every item allows notice; anything else stays unseen until the team arrives."""
    plans = {t.plan for t in visit.tasks}
    return (visit.status == "confirmed" and today <= visit.day and bool(plans)
            and all(p.notice_days and (visit.day - today).days <= p.notice_days
                    and all(i.advance_notice for i in p.items) for p in plans))


def announce_visit(session: Session, visit: Visit) -> None:
    notify(session, [{
        "key": f"announce:{visit.id}:{visit.day:%Y%m%d}", "kind": "visit_announced", "firm_id": visit.firm_id,
        "subject": f"检查预告：{_departments(visit)}将于{_day(visit.day)}到企业检查",
        "body": f"{_departments(visit)}将于{visit.day:%Y年%m月%d日}到贵企业进行行政检查，检查事项：{_items(visit)}。"
                "执法人员入企时会扫描企业码并出示检查码，贵企业可以当场核验检查人员和事项。",
        "link": f"/firms/{visit.firm.uscc}"}])


def offsite_requested(session: Session, request: OffsiteRequest) -> None:
    notify(session, [{
        "key": f"offsite:{request.id}:requested", "kind": "offsite_requested", "firm_id": request.firm_id,
        "subject": f"非现场核查：请于{request.deadline:%m月%d日}前在线提交材料",
        "body": f"{request.department.name}对贵企业开展非现场核查（不入企检查），请于 {request.deadline:%Y年%m月%d日} "
                "前在平台上按材料清单提交材料；材料齐全、符合要求即可办结。",
        "link": f"/offsite/{request.id}"}])


def offsite_overdue(session: Session, request: OffsiteRequest) -> None:
    notify(session, [{
        "key": f"offsite:{request.id}:overdue", "kind": "offsite_overdue", "firm_id": request.firm_id,
        "subject": "逾期提醒：非现场核查材料尚未提交",
        "body": f"{request.department.name}的非现场核查提交期限 {request.due:%Y年%m月%d日} 已过，材料尚未提交。"
                "逾期未提交的，可能按事项公布的规则转为现场检查。",
        "link": f"/offsite/{request.id}"}])


def offsite_answered(session: Session, request: OffsiteRequest) -> None:
    """The firm handed its evidence in: the account that sent the request has a review waiting."""
    if request.sent_by_id is None:
        return
    notify(session, [{
        "key": f"offsite:{request.id}:answered", "kind": "review_due", "user_id": request.sent_by_id,
        "subject": f"待审核：{request.firm.name}已提交非现场核查材料",
        "body": f"{request.firm.name}已提交非现场核查材料，请及时审核并作出核查结论。",
        "link": f"/offsite/{request.id}"}])


def results_published(session: Session, visit: Visit, department_id: int, offsite: OffsiteRequest | None = None) -> None:
    department = next((t.plan.department for t in visit.tasks if t.plan.department_id == department_id), None) \
        if visit is not None else offsite.department
    name = department.name if department else "执法部门"
    if offsite is not None:
        key, firm_id, link = f"offsite:{offsite.id}:published", offsite.firm_id, f"/offsite/{offsite.id}"
        what = "非现场核查"
    else:
        key, firm_id = f"results:{visit.id}:{department_id}", visit.firm_id
        link, what = f"/firms/{visit.firm.uscc}#visit-{visit.id}", f"{visit.day:%Y年%m月%d日}的检查"
    notify(session, [{"key": key, "kind": "results_published", "firm_id": firm_id,
                      "subject": f"结果公示：{name}已公示{what}结果",
                      "body": f"{name}已公示对贵企业{what}的结果。如对结果有异议，可以依法申请行政复议或提起行政诉讼。",
                      "link": link}])


def evaluation_invited(session: Session, visit: Visit, closes: dt.date) -> None:
    notify(session, [{
        "key": f"evaluate:{visit.id}", "kind": "evaluation_invited", "firm_id": visit.firm_id,
        "subject": "邀请评价：本次检查已结束",
        "body": f"{_departments(visit)}对贵企业的检查已结束。请于 {closes:%Y年%m月%d日} 前对本次检查作出评价，"
                "评价匿名，检查部门只看到汇总结果；也可以投诉。",
        "link": f"/firms/{visit.firm.uscc}#visit-{visit.id}"}])


# -- Officers ------------------------------------------------------------------------------------------

def visits_confirmed(session: Session, visits: Iterable[Visit]) -> None:
    """Each officer of each confirmed visit hears of it; an officer told of another day for the same visit
    hears that it moved. Firms of visits announced ahead hear of them if the notice period has begun."""
    today = clock.today()
    rows = []
    for visit in visits:
        told = dict(session.execute(select(Notice.officer_id, func.max(Notice.key)).where(
            Notice.key.like(f"visit:{visit.id}:%"), Notice.officer_id.is_not(None)).group_by(Notice.officer_id)).all())
        for member in visit.officers:
            moved = member.officer_id in told
            rows.append({
                "key": f"visit:{visit.id}:{visit.day:%Y%m%d}:officer:{member.officer_id}",
                "kind": "visit_moved" if moved else "visit_assigned", "officer_id": member.officer_id,
                "subject": (f"检查改期：{visit.firm.name}改到{_day(visit.day)}" if moved
                            else f"检查任务：{_day(visit.day)} {visit.firm.name}"),
                "body": f"您{'参加的检查已改到' if moved else '被排入'} {visit.day:%Y年%m月%d日} 对{visit.firm.name}"
                        f"（{visit.firm.district.name}）的检查，参加部门：{_departments(visit)}；检查事项：{_items(visit)}。"
                        "当天请与同组执法人员先后扫描企业码入企。",
                "link": f"/visits/{visit.id}"})
        if gives_notice(visit, today):
            announce_visit(session, visit)
    notify(session, rows)


def partner_waiting(session: Session, visit: Visit, officer: Officer, firm: Firm, at: dt.datetime) -> None:
    """The first officer of a department scanned in: his partners on the team, who have not, are told that
    he waits at the door. One statement, whatever the team's size (the scan path stays short)."""
    text = (f"{officer.name}已于 {clock.to_local(at):%H:%M} 在{firm.name}扫描企业码，等您扫码入企："
            "同一部门两名持证执法人员先后扫码，才构成入企检查。")
    session.flush()   # the team's rows of a visit opened in this request, before the SELECT reads them
    session.connection().execute(_partners_told(session.get_bind().dialect.name), {   # Core: the values bind the SELECT
        "prefix": f"door:{visit.id}:", "subject": f"同伴待扫码：{officer.name}在{firm.name}等您", "body": text,
        "link": f"/visits/{visit.id}", "at": at, "visit": visit.id, "department": officer.department_id,
        "officer": officer.id})


@functools.cache
def _partners_told(dialect: str):
    """The partner-waiting notices of one scan as one INSERT … SELECT over the team, built once per dialect
    and run with the scan's values (a waiting scan is on the door's path)."""
    partners = (select(bindparam("prefix", type_=String) + cast(VisitOfficer.officer_id, String),
                       literal("partner_waiting"), VisitOfficer.officer_id, bindparam("subject", type_=String),
                       bindparam("body", type_=String), bindparam("link", type_=String),
                       bindparam("at", type_=DateTime), bindparam("at", type_=DateTime), literal("pending"),
                       literal("pending"), literal(0, Integer))
                .where(VisitOfficer.visit_id == bindparam("visit"), VisitOfficer.department_id == bindparam("department"),
                       VisitOfficer.officer_id != bindparam("officer")))
    return _insert_into(dialect).from_select(
        ["key", "kind", "officer_id", "subject", "body", "link", "created_at", "next_attempt_at", "email_status",
         "sms_status", "attempts"], partners)


def approval_due(session: Session, plan: InspectionPlan) -> None:
    """A plan filed for approval: the department's heads (负责人) have it to review."""
    heads = session.scalars(select(User.id).where(User.role == "department_head", User.active.is_(True),
                                                  User.department_id == plan.department_id)).all()
    notify(session, [{"key": f"plan:{plan.id}:approval:{head}", "kind": "review_due", "user_id": head,
                      "subject": f"待审批：{plan.title}",
                      "body": f"本部门的检查计划“{plan.title}”（{plan.period_start:%Y年%m月%d日}至{plan.period_end:%Y年%m月%d日}）"
                              "已备案，等待您审批：审批通过后才能抽取企业、开展检查。",
                      "link": f"/approvals/{plan.id}"} for head in heads])


def plan_ended(session: Session, plan: InspectionPlan, version: str, reason: str, tasks_cancelled: int) -> None:
    """A catalogue revision removed an item a plan rests on and the plan ended: the department's accounts
    (its officers who keep plans, and its heads) hear which plan and why."""
    accounts = session.scalars(select(User.id).where(User.role.in_(("department", "department_head")),
                                                     User.active.is_(True), User.department_id == plan.department_id)
                               .order_by(User.id)).all()
    ended = "已终止" if plan.status == "cancelled" else "尚未开始的任务已取消"
    notify(session, [{"key": f"plan:{plan.id}:ended:{version}:{account}", "kind": "plan_ended", "user_id": account,
                      "subject": f"计划终止：{plan.title}",
                      "body": f"本部门的检查计划“{plan.title}”（{plan.period_start:%Y年%m月%d日}至{plan.period_end:%Y年%m月%d日}）"
                              f"{ended}（取消任务 {tasks_cancelled} 项）：{reason}。",
                      "link": f"/plans/{plan.id}"} for account in accounts])


# -- Reminders that come with the days ---------------------------------------------------------------------

def remind(session: Session, today: dt.date) -> int:
    """Notices that fall due with the calendar, not with an action: visits whose notice period begins, and
    off-site deadlines two days ahead. Safe to run as often as one likes; returns the notices written."""
    before = session.scalar(select(func.count(Notice.id)))
    announcing = (select(InspectionTask.visit_id).join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                  .where(InspectionPlan.notice_days.is_not(None), InspectionTask.visit_id.is_not(None)))
    for visit in session.scalars(select(Visit).where(Visit.status == "confirmed", Visit.day >= today,
                                                     Visit.day <= today + dt.timedelta(days=30),
                                                     Visit.id.in_(announcing))
                                 .order_by(Visit.id)):
        if gives_notice(visit, today):
            announce_visit(session, visit)
    rows = []
    due = func.coalesce(OffsiteRequest.extended_to, OffsiteRequest.deadline)
    for request in session.scalars(select(OffsiteRequest).where(
            OffsiteRequest.status == "sent", due >= today, due <= today + dt.timedelta(days=DEADLINE_REMINDER_DAYS))
            .order_by(OffsiteRequest.id)):
        if 0 <= (request.due - today).days <= DEADLINE_REMINDER_DAYS:
            rows.append({"key": f"offsite:{request.id}:due:{request.due:%Y%m%d}", "kind": "offsite_deadline",
                         "firm_id": request.firm_id,
                         "subject": f"提交期限：非现场核查材料请于{_day(request.due)}前提交",
                         "body": f"{request.department.name}的非现场核查材料提交期限是 {request.due:%Y年%m月%d日}，"
                                 "请及时在平台上提交；确有困难的，可以在期限前申请延期一次。",
                         "link": f"/offsite/{request.id}"})
    notify(session, rows)
    session.flush()
    return session.scalar(select(func.count(Notice.id))) - before


# -- The recipient's page ------------------------------------------------------------------------------

def _mine(user: User):
    clauses = [Notice.user_id == user.id]
    if user.firm_id is not None and user.role == "enterprise":
        clauses.append(Notice.firm_id == user.firm_id)
    if user.officer_id is not None:
        clauses.append(Notice.officer_id == user.officer_id)
    return or_(*clauses)


def notices_for(user: User, *, unread: bool = False):
    """The account's notices, newest first (a firm's accounts share the firm's)."""
    statement = select(Notice).where(_mine(user)).order_by(Notice.created_at.desc(), Notice.id.desc())
    return statement.where(Notice.read_at.is_(None)) if unread else statement


@functools.cache
def unread_of_account():
    """The unread count of the account in the row, as a correlated subquery (the same notices as
    :func:`unread_count`): a page loads its user with it, in one statement."""
    mine = or_(Notice.user_id == User.id,
               and_(User.role == "enterprise", User.firm_id.is_not(None), Notice.firm_id == User.firm_id),
               and_(User.officer_id.is_not(None), Notice.officer_id == User.officer_id))
    return (select(func.count(Notice.id)).where(mine, Notice.read_at.is_(None))
            .correlate(User).scalar_subquery())


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count(Notice.id)).where(_mine(user), Notice.read_at.is_(None)))


def mark_read(session: Session, user: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the account's notices read (all of them without ``notice_ids``); returns how many changed."""
    statement = update(Notice).where(_mine(user), Notice.read_at.is_(None)).values(read_at=clock.now())
    if notice_ids is not None:
        statement = statement.where(Notice.id.in_(list(notice_ids)))
    changed = session.execute(statement.execution_options(synchronize_session=False)).rowcount
    session.flush()
    return changed


# -- Sending -------------------------------------------------------------------------------------------

class DeliveryError(Exception):
    """A server did not take the message (it is away, refused or timed out): the notice is tried again."""


class Mailer(Protocol):
    def send(self, to: list[str], subject: str, body: str) -> None: ...


class TextSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


@dataclasses.dataclass
class Addresses:
    emails: list[str]
    phones: list[str]


def addresses(session: Session, notice: Notice) -> Addresses:
    """Where a notice goes: the firm's active accounts, the officer's account or the account itself."""
    if notice.firm_id is not None:
        where = (User.firm_id == notice.firm_id, User.role == "enterprise")
    elif notice.officer_id is not None:
        where = (User.officer_id == notice.officer_id,)
    else:
        where = (User.id == notice.user_id,)
    rows = session.execute(select(User.email, User.phone).where(*where, User.active.is_(True))
                           .order_by(User.id)).all()
    return Addresses(list(dict.fromkeys(e.strip() for e, _ in rows if e and e.strip())),
                     list(dict.fromkeys(p.strip() for _, p in rows if p and p.strip())))


def due_notices(now: dt.datetime, limit: int = 50):
    """Notices with a channel still to send whose next attempt has come, oldest first."""
    return select(Notice.id).where(Notice.next_attempt_at <= now).order_by(Notice.next_attempt_at, Notice.id).limit(limit)


def retry_after(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_RETRY_SECONDS))


SENDING_LEASE = dt.timedelta(minutes=10)   # a claimed notice is left to its sender this long


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One attempt at a notice, read from the database: what goes to which addresses, sent with no
    transaction open (a slow mail server keeps no writer waiting)."""
    emails: list[str] | None     # None: e-mail is not pending
    phones: list[str] | None     # None: SMS is not pending
    subject: str
    mail_body: str
    sms_text: str


def claim(session: Session, notice: Notice, *, base_url: str, now: dt.datetime | None = None) -> Outgoing:
    """Take the notice for one attempt: its next attempt moves a lease ahead, so that no other sender
    takes it while this one sends; commit, then ``send`` and ``record_attempt``. A sender that dies meanwhile
    leaves it to be tried again when the lease ends."""
    now = now or clock.now()
    to = addresses(session, notice)
    link = f"{base_url.rstrip('/')}{notice.link}" if notice.link else base_url
    notice.next_attempt_at = now + SENDING_LEASE
    session.flush()
    return Outgoing(to.emails if notice.email_status == "pending" else None,
                    to.phones if notice.sms_status == "pending" else None, notice.subject,
                    f"{notice.body}\n\n查看详情：{link}\n\n（本邮件由涉企行政检查统筹监管平台自动发送，请勿直接回复。）",
                    f"【涉企检查平台】{notice.subject}。{notice.body} {link}")


def send(outgoing: Outgoing, *, mailer: Mailer | None, texts: TextSender | None) -> dict[str, str]:
    """Send the attempt's pending channels once; no database. Each channel's outcome: ``sent``, ``none``
    (no address, or no server configured) or the server's error."""
    outcome = {}
    if outgoing.emails is not None:
        if mailer is None or not outgoing.emails:
            outcome["email"] = "none"
        else:
            try:
                mailer.send(outgoing.emails, outgoing.subject, outgoing.mail_body)
                outcome["email"] = "sent"
            except DeliveryError as err:
                outcome["email"] = f"邮件：{err}"
    if outgoing.phones is not None:
        if texts is None or not outgoing.phones:
            outcome["sms"] = "none"
        else:
            try:
                for phone in outgoing.phones:
                    texts.send(phone, outgoing.sms_text)
                outcome["sms"] = "sent"
            except DeliveryError as err:
                outcome["sms"] = f"短信：{err}"
    return outcome


def record_attempt(session: Session, notice: Notice, outcome: dict[str, str], *,
                   now: dt.datetime | None = None) -> str:
    """Write down what one attempt did. A channel whose server was away stays pending and is tried again
    later, and fails after the last attempt. Returns the notice's state: ``sent``, ``retry``, ``failed``
    or ``none``."""
    now = now or clock.now()
    errors = []
    for channel, result in outcome.items():
        if result in ("sent", "none"):
            setattr(notice, f"{channel}_status", result)
        else:
            errors.append(result)
    notice.attempts += 1
    if "sent" in (notice.email_status, notice.sms_status) and notice.sent_at is None:
        notice.sent_at = now
    if errors:
        notice.last_error = "；".join(errors)[:300]
        if notice.attempts >= MAX_ATTEMPTS:
            for channel in ("email_status", "sms_status"):
                if getattr(notice, channel) == "pending":
                    setattr(notice, channel, "failed")
            notice.next_attempt_at = None
            state = "failed"
        else:
            notice.next_attempt_at = now + retry_after(notice.attempts)
            state = "retry"
    else:
        notice.next_attempt_at = None
        state = "sent" if "sent" in (notice.email_status, notice.sms_status) else "none"
    session.flush()
    return state
