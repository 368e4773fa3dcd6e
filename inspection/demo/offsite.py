"""The demo city's off-site supervision (非现场监管): the records the platform holds about firms (licences,
annual reports), November's off-site checks concluded, and December's waiting for the firms or for review."""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..models import Firm, FirmRecord, InspectionPlan, InspectionTask, Officer, User
from ..operations.accounts import create_user
from ..operations.draws import draw_plan
from ..operations.offsite import (
    Decision,
    add_evidence,
    proved_points,
    publish_offsite,
    request_points,
    review_request,
    send_request,
    submit_answers,
    sweep_requests,
)
from ..operations.plans import create_plan, file_plan
from ..pure.calendar import add_working_days
from .approvals import approve_filed

Progress = Callable[[str, int, int], None]
DEMO_PASSWORD = "demo1234"
LICENCES = {"食品销售": "食品经营许可证", "餐饮服务": "食品经营许可证", "食品制造": "食品生产许可证"}
# A valid 1x1 PNG: the photos the firms upload in the demo.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f8cd1b0000000049454e44ae426082")
NOVEMBER = (dt.date(2026, 11, 2), dt.date(2026, 11, 27))
DECEMBER = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
PLANS = [
    # (department, title, item, ratios)
    ("market", "食品经营许可事项非现场核查", "SC-011", {"A": 0.02, "B": 0.04, "C": 0.08, "D": 0.15}),
    ("hr", "劳动密集型企业劳动合同非现场检查", "RS-001", {"A": 0.005, "B": 0.01, "C": 0.02, "D": 0.03}),
    ("fire", "建筑消防设施维保检测非现场核查", "XF-005", {"A": 0.01, "B": 0.02, "C": 0.03, "D": 0.05}),
]


def make_firm_records(session: Session, rng: random.Random) -> int:
    """Licences of food firms (a few lapsed during 2026) and annual reports of most firms."""
    rows = []
    for firm_id, uscc, industry in session.execute(select(Firm.id, Firm.uscc, Firm.industry).order_by(Firm.uscc)):
        licence = LICENCES.get(industry)
        if licence:
            start = dt.date(rng.randint(2021, 2025), rng.randint(1, 12), 1)
            end = (dt.date(2026, rng.randint(1, 10), 28) if rng.random() < 0.04
                   else dt.date(start.year + 5, start.month, 1) - dt.timedelta(days=1))
            rows.append({"firm_id": firm_id, "kind": "licence", "name": licence, "source": "食品经营许可管理系统",
                         "number": ("JY" if licence.startswith("食品经营") else "SC") + uscc[2:8] + f"{firm_id:07d}",
                         "valid_from": start, "valid_to": end, "year": None, "filed_on": None})
        for year, share in ((2024, 0.96), (2025, 0.93)):
            if rng.random() < share:
                rows.append({"firm_id": firm_id, "kind": "annual_report", "name": "年度报告", "number": "",
                             "source": "国家企业信用信息公示系统", "valid_from": None, "valid_to": None,
                             "year": year, "filed_on": dt.date(year + 1, rng.randint(1, 6), rng.randint(1, 28))})
    for start in range(0, len(rows), 5000):
        session.execute(insert(FirmRecord), rows[start:start + 5000])
    return len(rows)


def _officer(session: Session, department_id: int) -> User:
    """The account of the department's officer who handles the demo's off-site checks."""
    officer = session.scalars(select(Officer).where(Officer.department_id == department_id, Officer.kind == "enforcement",
                                                    Officer.valid_from <= NOVEMBER[0],
                                                    Officer.valid_to >= dt.date(2027, 12, 31))
                              .order_by(Officer.certificate_no)).first()
    user = session.scalar(select(User).where(User.officer_id == officer.id))
    return user or create_user(session, None, username=f"officer-{officer.certificate_no}", password=DEMO_PASSWORD,
                               role="inspector", display_name=officer.name, officer=officer)


def _firm_user(firm: Firm) -> User:
    return User(id=None, username=f"qiye-{firm.uscc}", display_name=firm.name, role="enterprise", firm_id=firm.id,
                firm=firm, active=True)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working moment of ``day`` in UTC (10:00 to 17:00 in China)."""
    return dt.datetime.combine(day, dt.time(2, 0)) + dt.timedelta(minutes=rng.randint(0, 420))


def _answer(session: Session, request, rng: random.Random, folder: Path, day: dt.date) -> None:
    """The firm uploads a document, a photo or a record for every point it is asked about, and hands in."""
    firm = request.firm
    user = _firm_user(firm)
    proved = proved_points(session, request)
    for point in request_points(request.task):
        if point.id in proved or not point.offsite_evidence:
            continue
        kinds = point.offsite_evidence
        when = _at(day, rng)
        if kinds == ["answer"]:
            add_evidence(session, user, request, point.id, folder=folder, now=when,
                         answer="本单位已建立人事档案管理制度，未扣押劳动者证件，未收取任何财物，特此承诺。")
            continue
        if kinds[0] == "photo":
            data, name = PNG, "现场照片.png"
        else:
            text = f"%PDF-1.4\n% {firm.name} {point.item.code}-{point.position} 证明材料\n%%EOF\n"
            data, name = text.encode("utf-8"), f"{point.item.code}-{point.position}证明材料.pdf"
        add_evidence(session, user, request, point.id, folder=folder, filename=name, data=data, now=when)
    submit_answers(session, user, request, now=_at(day, rng))


def _review(session: Session, request, rng: random.Random, day: dt.date) -> None:
    """Most checks close without a problem; some find a problem to rectify; a few escalate a doubtful point."""
    reviewer = _officer(session, request.department_id)
    proved = proved_points(session, request)
    points = [p for p in request_points(request.task) if p.id not in proved]
    roll = rng.random()
    decisions = {p.id: Decision("compliant") for p in points}
    outcomes = {i.code: ("no_problem", None) for i in request.task.plan.items}
    reason = ""
    if roll < 0.06 and points:
        doubtful = rng.choice([p for p in points if p.offsite_evidence and p.offsite_evidence != ["answer"]] or points)
        decisions[doubtful.id] = Decision("escalate")
        reason = "提交的材料与登记信息不一致，须现场核实"
    elif roll < 0.14 and points:
        wrong = rng.choice(points)
        decisions[wrong.id] = Decision("non_compliant", "材料显示台账记录不完整")
        outcomes = {i.code: ("rectify", day + dt.timedelta(days=15)) for i in request.task.plan.items}
    review_request(session, reviewer, request, decisions, outcomes, escalation_reason=reason, now=_at(day, rng))


def _plans(session: Session, period: tuple[dt.date, dt.date], label: str) -> list[InspectionPlan]:
    users = {u.department.code: u for u in session.scalars(select(User).where(User.role == "department"))}
    plans = []
    for code, title, item, ratios in PLANS:
        plan = create_plan(session, users[code], title=f"{label}{title}", period_start=period[0], period_end=period[1],
                           item_codes=[item], ratios=ratios, series=f"{code}-{item}")
        file_plan(session, users[code], plan)
        approve_filed(session, plan)
        draw_plan(session, users[code], plan)
        plans.append(plan)
    return plans


def make_offsite_checks(session: Session, rng: random.Random, folder: Path, today: dt.date,
                        progress: Progress) -> dict[str, int]:
    """November: requests sent, answered, reviewed (a few escalated through targeted plans), mostly
    published; the few never answered are reminded and escalate by the items' rule. December: requests
    sent, some answered and waiting for review, some still waiting for the firm."""
    counts = {"november": 0, "december": 0}
    if today > NOVEMBER[1]:
        tasks = [t for plan in _plans(session, NOVEMBER, "11月") for t in plan.tasks]
        departments = {u.department_id: u for u in session.scalars(select(User).where(User.role == "department"))}
        for n, task in enumerate(tasks, start=1):
            request = send_request(session, _officer(session, task.plan.department_id), task,
                                   now=_at(NOVEMBER[0] + dt.timedelta(days=1), rng))
            if rng.random() < 0.95:
                _answer(session, request, rng, folder, add_working_days(NOVEMBER[0], rng.randint(2, 8)))
                _review(session, request, rng, add_working_days(NOVEMBER[0], rng.randint(9, 12)))
                if request.status == "closed" and rng.random() < 0.85:
                    publish_offsite(session, departments[request.department_id], request)
            progress("非现场核查", n, len(tasks))
        sweep_requests(session, today=today)
        counts["november"] = len(tasks)
    if DECEMBER[0] <= today <= DECEMBER[1]:
        december = session.scalars(select(InspectionTask).join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                                   .where(InspectionPlan.id.in_([p.id for p in _plans(session, DECEMBER, "12月")]))
                                   .order_by(InspectionTask.id)).all()
        sent = dt.datetime.combine(DECEMBER[0], dt.time(1, 0))
        for task in december[: len(december) // 2]:
            request = send_request(session, _officer(session, task.plan.department_id), task, now=sent)
            if rng.random() < 0.4 and DECEMBER[0] < today:
                _answer(session, request, rng, folder, DECEMBER[0])
        counts["december"] = len(december)
    return counts
