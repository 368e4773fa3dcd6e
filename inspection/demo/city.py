"""The demo city: districts, departments, the catalogue, thousands of firms,
officers of every department and an account for every role, made from a seed."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

import checklists
from core import clock

from ..errors import InvalidState
from ..models import (
    Department,
    District,
    Evaluation,
    Firm,
    FirmRecord,
    FirmTag,
    InspectionPlan,
    InspectionTask,
    Notice,
    Officer,
    OffsiteRequest,
    User,
    Visit,
    VisitEntry,
    officer_districts,
)
from ..operations.accounts import create_user
from ..operations.alerts import refresh_alerts
from ..operations.catalogue import load_catalogue_file
from ..operations.documents import APPROVALS_IN_FORCE_FROM
from ..operations.draws import draw_campaign, draw_plan
from ..operations.entries import (
    decide_leniency,
    evaluate_visit,
    firm_token,
    leniency_proposal,
    publish_results,
    record_finding,
    record_outcome,
    scan_in,
    scan_out,
)
from ..operations.events import append_event, utcnow
from ..operations.facts import rebuild_facts
from ..operations.leniency import entries_for, fine_range, first_offence_history, publish_list, read_list_file
from ..operations.plans import create_campaign, create_plan, file_plan
from ..operations.reference import DEFAULT_CITY, load_city
from ..operations.risk import train
from ..operations.schedules import BuildOptions, confirm_schedule, execute_run, start_build
from ..pure.uscc import ALPHABET, make_uscc
from ..queries import published_risk_model
from .approvals import approve_filed
from .door import make_door_history
from .history import Truth, generate_history
from .offsite import make_firm_records, make_offsite_checks
from .papers import acknowledge_at_the_door, notify, sign, tell
from .vocabulary import BRAND_CHARS, CREDIT_WEIGHTS, FORMS, GIVEN, INDUSTRIES, OFFICER_COUNTS, ROADS, SURNAMES

DEMO_PASSWORD = "demo1234"
Progress = Callable[[str, int, int], None]
HISTORY_YEARS = [2022, 2023, 2024, 2025]     # the years before the platform (the catalogue is 2026's)
PLATFORM_YEAR = 2026                          # from January the departments' visits are combined (综合查一次)
PLATFORM_BULK_UNTIL = dt.date(2026, 10, 31)   # January-October in bulk; November through the operations
LENIENCY_FILES = Path(__file__).resolve().parents[1] / "data" / "leniency"


@dataclasses.dataclass
class DemoAccount:
    username: str
    role: str
    who: str


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def catalogue_path() -> Path:
    """The demo catalogue shipped with the ``checklists`` package."""
    return Path(checklists.__file__).resolve().parent / "data" / "catalogue.yaml"


def build_demo_city(session: Session, *, seed: int = 20260301, firms: int = 6000,
                    progress: Progress = _no_progress, schedule_seconds: float = 5.0, plans: bool = True,
                    evidence_folder: Path | None = None) -> dict:
    """Build whatever of the demo city is missing; safe to run again. The firms' evidence of off-site
    checks is written to ``evidence_folder`` (a temporary folder if none is given)."""
    rng = random.Random(seed)
    summary = {"created": load_city(session, None)}
    summary["catalogue"] = load_catalogue_file(session, None, catalogue_path()).as_dict()
    districts = list(session.scalars(select(District).order_by(District.code)))
    departments = {d.code: d for d in session.scalars(select(Department))}
    if session.scalar(select(func.count(Firm.id))) == 0:
        summary["firms"] = _make_firms(session, rng, districts, firms, progress)
    if session.scalar(select(func.count(Officer.id))) == 0:
        summary["officers"] = _make_officers(session, rng, districts, departments, progress)
    if session.scalar(select(func.count(FirmRecord.id))) == 0:
        summary["records"] = make_firm_records(session, random.Random(seed + 1))
    summary["accounts"] = _make_accounts(session, departments, ("admin", "oversight", "department", "department_head"))
    building = plans and session.scalar(select(func.count(InspectionPlan.id))) == 0
    if building:
        until = min(PLATFORM_BULK_UNTIL, clock.today() - dt.timedelta(days=1))
        years = HISTORY_YEARS + ([PLATFORM_YEAR] if until >= dt.date(PLATFORM_YEAR, 1, 1) else [])
        summary["past_years"] = generate_history(session, seed=seed, years=years, progress=progress, until=until,
                                                 combined_from=PLATFORM_YEAR)
        rebuild_facts(session)  # the past years were written in bulk, past the operations that keep the facts
        summary["leniency"] = _publish_leniency_lists(session)
        summary["risk_model"] = _train_risk_model(session, progress)
        summary["plans"] = _make_plans(session, progress, schedule_seconds)
        summary["history"] = _make_history(session, rng, progress, schedule_seconds, Truth(seed))
        summary["offsite"] = make_offsite_checks(session, random.Random(seed + 2),
                                                 evidence_folder or Path(tempfile.mkdtemp(prefix="evidence-")),
                                                 clock.today(), progress)
        summary["plans"] += _make_this_week(session, schedule_seconds)
    summary["accounts"] += _make_accounts(session, departments, ("inspector", "enterprise"))
    if building:
        firm3 = session.scalar(select(User).where(User.username == "firm3"))
        summary["door"] = make_door_history(session, clock.today(), firm3.firm if firm3 else None)
        summary["acknowledged"] = acknowledge_at_the_door(session, APPROVALS_IN_FORCE_FROM)
        # Oversight's alerts are there when the demo starts, as the running platform raises them after each write.
        summary["alerts"] = sum(refresh_alerts(session, today=clock.today()).values())
        summary["notices"] = _keep_history_notices(session)
    _contact_details(session)
    return summary


def _keep_history_notices(session: Session) -> int:
    """The notices the demo's history caused stay on the recipients' pages but are not e-mailed when the demo
    starts: only what happens from then on is sent. Partners who waited at a door long ago have read theirs."""
    session.flush()
    session.execute(update(Notice).where(Notice.kind == "partner_waiting").values(read_at=utcnow()))
    return session.execute(update(Notice).where(Notice.next_attempt_at.is_not(None))
                           .values(email_status="none", sms_status="none", next_attempt_at=None)).rowcount


def _contact_details(session: Session) -> None:
    """Every demo account has an e-mail address and a mobile number (reserved, fictitious ones), so that
    its notices are sent: to the demo's own mail server unless MAIL_SERVER says otherwise."""
    names = [a.username for a in demo_accounts()]
    for n, user in enumerate(session.scalars(select(User).where(User.username.in_(names)).order_by(User.id))):
        user.email = user.email or f"{user.username}@inspection.example"
        user.phone = user.phone or f"1390546{n:04d}"
    session.flush()


def _unique_names(rng: random.Random, districts, count: int):
    seen: set[str] = set()
    industries = list(INDUSTRIES)
    weights = [INDUSTRIES[i][0] for i in industries]
    while len(seen) < count:
        industry = rng.choices(industries, weights)[0]
        district = rng.choice(districts)
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        place = rng.choice(["东营", district.name[:2], "山东", "黄河三角洲"])
        name = f"{place}{brand}{rng.choice(INDUSTRIES[industry][1])}{rng.choice(FORMS)}"
        if name in seen:
            continue
        seen.add(name)
        yield name, industry, district


def _make_firms(session: Session, rng: random.Random, districts, count: int, progress: Progress) -> int:
    classes = list(CREDIT_WEIGHTS)
    class_weights = list(CREDIT_WEIGHTS.values())
    usccs: set[str] = set()
    rows, tag_lists = [], []
    for name, industry, district in _unique_names(rng, districts, count):
        while True:
            org_body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
            uscc = make_uscc("9", "1", district.code, org_body)
            if uscc not in usccs:
                usccs.add(uscc)
                break
        tags = [tag for tag, p in INDUSTRIES[industry][2].items() if rng.random() < p]
        rows.append({"uscc": uscc, "name": name, "district_id": district.id, "industry": industry,
                     "credit_class": rng.choices(classes, class_weights)[0],
                     "address": f"山东省东营市{district.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号"})
        tag_lists.append(tags)
    batch = 1000
    for start in range(0, len(rows), batch):
        ids = session.scalars(insert(Firm).returning(Firm.id, sort_by_parameter_order=True),
                              rows[start:start + batch]).all()
        tag_rows = [{"firm_id": firm_id, "tag": tag}
                    for firm_id, tags in zip(ids, tag_lists[start:start + batch]) for tag in tags]
        if tag_rows:
            session.execute(insert(FirmTag), tag_rows)
        progress("企业", min(start + batch, len(rows)), len(rows))
    append_event(session, None, "firms.imported", "demo:firms", {"count": len(rows), "source": "demo"})
    return len(rows)


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _make_officers(session: Session, rng: random.Random, districts, departments, progress: Progress) -> int:
    total = sum(n for n, _ in OFFICER_COUNTS.values())
    made = 0
    for index, (code, (count, qualification)) in enumerate(OFFICER_COUNTS.items(), start=1):
        department = departments[code]
        rows, district_picks = [], []
        for n in range(1, count + 1):
            start = dt.date(rng.randint(2021, 2025), rng.randint(1, 12), 1)
            # A few certificates lapse during 2026: the scan-in and draw rules must notice.
            end = (dt.date(2026, rng.randint(2, 11), 28) if rng.random() < 0.05
                   else dt.date(start.year + 5, start.month, 1) - dt.timedelta(days=1))
            rows.append({"certificate_no": f"3705{index:02d}{n:05d}", "name": _person_name(rng),
                         "department_id": department.id, "valid_from": start, "valid_to": end, "active": True,
                         "qualifications": [qualification] if qualification and rng.random() < 0.35 else []})
            home = districts[(n - 1) % len(districts)]
            extra = rng.sample(districts, rng.choice((0, 1, 1, 2)))
            district_picks.append(list(dict.fromkeys([home, *extra])))
        ids = session.scalars(insert(Officer).returning(Officer.id, sort_by_parameter_order=True), rows).all()
        session.execute(insert(officer_districts), [{"officer_id": oid, "district_id": d.id}
                                                    for oid, picks in zip(ids, district_picks) for d in picks])
        made += len(rows)
        progress("执法人员", made, total)
    append_event(session, None, "officers.imported", "demo:officers", {"count": made, "source": "demo"})
    return made


def demo_accounts() -> list[DemoAccount]:
    names = {d["code"]: d["name"] for d in yaml.safe_load(DEFAULT_CITY.read_text(encoding="utf-8"))["departments"]}
    accounts = [DemoAccount("admin", "admin", "系统管理员"),
                DemoAccount("oversight", "oversight", "东营市司法局行政执法监督科")]
    accounts += [DemoAccount(code, "department", names[code]) for code in OFFICER_COUNTS]
    accounts += [DemoAccount(f"{code}-head", "department_head", f"{names[code]}负责人（审批检查）")
                 for code in OFFICER_COUNTS]
    accounts += [DemoAccount("inspector1", "inspector", "市场监管执法人员（本周有一次入企检查）"),
                 DemoAccount("inspector2", "inspector", "市场监管执法人员（与 inspector1 同组）"),
                 DemoAccount("inspector3", "inspector", "消防救援执法人员（本周与 inspector1 联合检查）"),
                 DemoAccount("inspector4", "inspector", "消防救援执法人员（与 inspector3 同组）"),
                 DemoAccount("inspector5", "inspector", "卫生健康执法人员（本周与 inspector1 联合检查）"),
                 DemoAccount("inspector6", "inspector", "卫生健康执法人员（与 inspector5 同组）"),
                 DemoAccount("firm", "enterprise", "企业（名下有一次已结束、待评价的检查）"),
                 DemoAccount("firm2", "enterprise", "化工企业"),
                 DemoAccount("firm3", "enterprise", "餐饮企业（有一项待在线提交材料的非现场核查）")]
    return accounts


def _make_accounts(session: Session, departments, roles: tuple[str, ...]) -> list[DemoAccount]:
    """The demo accounts of ``roles``. Inspectors 1 and 2 are the team of this week's first market visit,
    and the account ``firm`` is a firm with a finished visit it has not yet evaluated, when there are such."""
    existing = set(session.scalars(select(User.username)))
    made = []

    def officers(code: str, n: int):
        with_accounts = select(User.officer_id).where(User.officer_id.is_not(None))
        return list(session.scalars(select(Officer).where(Officer.department_id == departments[code].id,
                                                          Officer.valid_to >= dt.date(2027, 12, 31),
                                                          Officer.id.not_in(with_accounts))
                                    .order_by(Officer.certificate_no).limit(n)))

    def firm(industry: str) -> Firm:
        return session.scalars(select(Firm).where(Firm.industry == industry).order_by(Firm.uscc).limit(1)).one()

    teams = _this_week_teams(session, departments["market"])
    market_officers = (teams.get("market") or officers("market", 2))[:2]
    fire_officers = (teams.get("fire") or officers("fire", 2))[:2]
    health_officers = (teams.get("health") or officers("health", 2))[:2]
    unevaluated = session.scalar(select(Firm).join(Visit, Visit.firm_id == Firm.id)
                                 .where(Visit.status == "completed",
                                        Visit.id.not_in(select(Evaluation.visit_id)),
                                        Firm.id.not_in(select(User.firm_id).where(User.firm_id.is_not(None))))
                                 .order_by(Visit.day.desc(), Visit.id).limit(1))
    offsite_open = session.scalar(select(Firm).join(OffsiteRequest, OffsiteRequest.firm_id == Firm.id)
                                  .where(OffsiteRequest.status == "sent", Firm.industry == "餐饮服务",
                                         Firm.id.not_in(select(User.firm_id).where(User.firm_id.is_not(None))))
                                  .order_by(OffsiteRequest.id.desc()).limit(1))
    for account in demo_accounts():
        if account.username in existing or account.role not in roles:
            continue
        kwargs: dict = {}
        display = account.who
        if account.role == "department":
            kwargs["department"] = departments[account.username]
            display = departments[account.username].name
        elif account.role == "department_head":
            kwargs["department"] = departments[account.username.removesuffix("-head")]
            display = f"{kwargs['department'].name}负责人"
        elif account.role == "inspector":
            number = int(account.username[-1])
            officer = (market_officers + fire_officers + health_officers)[number - 1]
            kwargs["officer"] = officer
            display = f"{officer.name}（{officer.department.short_name}）"
        elif account.role == "enterprise":
            kwargs["firm"] = (unevaluated if account.username == "firm" and unevaluated is not None
                              else offsite_open if account.username == "firm3" and offsite_open is not None
                              else firm({"firm": "食品制造", "firm2": "化工"}.get(account.username, "餐饮服务")))
            display = kwargs["firm"].name
        create_user(session, None, username=account.username, password=DEMO_PASSWORD, role=account.role,
                    display_name=display, **kwargs)
        made.append(account)
    return made


def _train_risk_model(session: Session, progress: Progress) -> str | None:
    """The risk model on the past years; a city too small to learn from keeps its draws on ratios only."""
    try:
        with session.begin_nested():
            model = train(session, None, progress=lambda f, message: progress("预警模型", int(f * 100), 100))
    except InvalidState:
        return None
    return model.version


def _publish_leniency_lists(session: Session) -> int:
    """The departments' flexible-enforcement lists shipped with the demo (market, health, fire)."""
    published = 0
    for path in sorted(LENIENCY_FILES.glob("*.yaml")):
        data, node, label, sha256 = read_list_file(path)
        published += publish_list(session, None, data, label=label, sha256=sha256, node=node)[1] == "published"
    return published


DEMO_PLANS = [
    # (department, title, items, ratios, campaign?, lead, how far: filed / drawn / scheduled)
    ("market", "12月餐饮服务单位双随机抽查", ["SC-003"], {"A": 0.03, "B": 0.05, "C": 0.1, "D": 0.2}, True, None, "scheduled"),
    ("fire", "12月人员密集场所消防安全双随机抽查", ["XF-002"], {"A": 0.03, "B": 0.05, "C": 0.1, "D": 0.2}, True, None, "scheduled"),
    ("health", "12月公共场所卫生双随机抽查", ["WJ-001"], {"A": 0.03, "B": 0.05, "C": 0.1, "D": 0.2}, True, None, "scheduled"),
    ("market", "12月食品生产企业双随机抽查", ["SC-001"], {"A": 0.05, "B": 0.1, "C": 0.2, "D": 0.3}, False, None, "scheduled"),
    ("emergency", "12月工贸企业安全生产双随机抽查", ["YJ-005"], {"A": 0.03, "B": 0.05, "C": 0.1, "D": 0.2}, False, None, "filed"),
    ("housing", "12月建筑施工安全双随机抽查", ["ZJ-001"], {"A": 0.05, "B": 0.08, "C": 0.15, "D": 0.3}, False, None, "draft"),
    ("hr", "12月劳动密集型企业劳动用工检查", ["RS-001"], {"A": 0.03, "B": 0.05, "C": 0.1, "D": 0.2}, False, None, "draft"),
]
DEMO_PERIOD = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
# Plans whose items could all be checked off-site but which go into the firms, and why. The housing and hr
# drafts then overlap on the firms they may draw: their detail pages propose a joint campaign.
ON_SITE_REASONS = {"hr": "须现场核对在岗人员与劳动用工台账是否一致"}


def _make_plans(session: Session, progress: Progress, schedule_seconds: float) -> int:
    """December plans at every stage: a joint campaign of three departments drawn and scheduled together,
    a plan of one department scheduled alone, one filed and waiting for its draw, drafts."""
    users = {u.department.code: u for u in session.scalars(select(User).where(User.role == "department"))}
    risk_model = session.scalar(published_risk_model())
    campaign = create_campaign(session, users["market"], title="12月餐饮住宿娱乐场所联合抽查",
                               period_start=DEMO_PERIOD[0], period_end=DEMO_PERIOD[1])
    plans = []
    for code, title, items, ratios, joint, lead, stage in DEMO_PLANS:
        # The market's own December plan draws with risk weights (the published risk model's scores).
        weighting = "risk" if (code, joint) == ("market", False) and risk_model else "ratios"
        plan = create_plan(session, users[code], title=title, period_start=DEMO_PERIOD[0], period_end=DEMO_PERIOD[1],
                           item_codes=items, ratios=ratios, lead=lead, campaign=campaign if joint else None,
                           series=f"{users[code].department.short_name}·{items[0]} 轮换抽查", weighting=weighting,
                           on_site_reason=ON_SITE_REASONS.get(code))
        if stage != "draft":
            file_plan(session, users[code], plan)
        if stage in ("drawn", "scheduled"):
            approve_filed(session, plan)
        plans.append((plan, stage))
    draw_campaign(session, users["market"], campaign)
    for plan, stage in plans:
        if stage == "scheduled" and plan.status == "filed":
            draw_plan(session, plan.created_by, plan)
    progress("排程", 0, 100)
    run = start_build(session, users["market"], plans[0][0])
    execute_run(session, run, BuildOptions(time_limit=schedule_seconds),
                lambda fraction, message: progress("排程", int(fraction * 100), 100))
    for plan, stage in plans:
        if stage == "scheduled":
            confirm_schedule(session, plan.created_by, plan)
    progress("排程", 100, 100)
    return len(plans)


def _this_week_teams(session: Session, market: Department) -> dict[str, list[Officer]]:
    """The teams, per department, of the confirmed market visit of the coming week that most departments
    share (a joint visit of market, fire and health where the schedule made one), the earliest first."""
    today = clock.today()
    visits = session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                             .join(InspectionPlan, InspectionPlan.id == InspectionTask.plan_id)
                             .where(InspectionPlan.department_id == market.id, Visit.status == "confirmed",
                                    Visit.day >= today, Visit.day <= today + dt.timedelta(days=7))
                             .order_by(Visit.day, Visit.id).distinct().limit(500)).all()
    with_accounts = set(session.scalars(select(User.officer_id).where(User.officer_id.is_not(None))))
    best: dict[str, list[Officer]] = {}
    for visit in visits:
        teams: dict[str, list[Officer]] = {}
        for member in visit.officers:
            if member.officer_id not in with_accounts:
                teams.setdefault(member.department.code, []).append(member.officer)
        if len(teams.get("market", [])) < 2 or any(len(team) < 2 for team in teams.values()):
            continue
        if len(teams) > len(best):
            best = teams
        if len(best) >= 3:
            break
    return best


def _make_this_week(session: Session, schedule_seconds: float) -> int:
    """A market plan for this week, so that the demo inspectors have a visit to scan into."""
    today = clock.today()
    market = session.scalar(select(User).where(User.username == "market"))
    plan = create_plan(session, market, title="本周餐饮服务单位双随机检查", period_start=today,
                       period_end=today + dt.timedelta(days=6), item_codes=["SC-003"],
                       ratios={"A": 0.03, "B": 0.03, "C": 0.05, "D": 0.1}, target_districts=["370502"])
    file_plan(session, market, plan)
    approve_filed(session, plan)
    draw_plan(session, market, plan)
    execute_run(session, start_build(session, market, plan), BuildOptions(time_limit=schedule_seconds))
    confirm_schedule(session, market, plan)
    return 1


HISTORY_PERIOD = (dt.date(2026, 11, 2), dt.date(2026, 11, 20))
SCORES = [5] * 10 + [4] * 6 + [3] * 2 + [2, 1]


def _officer_account(officer: Officer) -> User:
    """An unsaved inspector identity for replaying the demo's past visits (no login exists for it)."""
    return User(id=None, username=f"officer-{officer.certificate_no}", display_name=officer.name, role="inspector",
                officer_id=officer.id, officer=officer, department_id=officer.department_id, active=True)


def _make_history(session: Session, rng: random.Random, progress: Progress, schedule_seconds: float,
                  truth: Truth) -> int:
    """November, done: a joint campaign of market regulation and health drawn, scheduled, entered by scan,
    checked point by point (what is found follows the city's hidden truth; listed points get the
    inspector's leniency decision), left, mostly published, and evaluated by many of the firms."""
    if clock.today() <= HISTORY_PERIOD[1]:
        return 0
    users = {u.department.code: u for u in session.scalars(select(User).where(User.role == "department"))}
    visits = _november_campaign(session, users, schedule_seconds)
    month = _November(session, rng, truth, users)
    for n, visit in enumerate(visits, start=1):
        month.visit(n, visit)
        progress("历史检查", n, len(visits))
    return len(visits)


def _november_campaign(session: Session, users: dict[str, User], schedule_seconds: float) -> list[Visit]:
    """The campaign's plans filed, approved, drawn together, scheduled and confirmed: its visits by day."""
    campaign = create_campaign(session, users["market"], title="11月食品销售与公共场所联合抽查",
                               period_start=HISTORY_PERIOD[0], period_end=HISTORY_PERIOD[1])
    plans = []
    for code, title, item in (("market", "11月食品销售者双随机抽查", "SC-002"), ("health", "11月公共场所卫生双随机抽查", "WJ-001")):
        plan = create_plan(session, users[code], title=title, period_start=HISTORY_PERIOD[0],
                           period_end=HISTORY_PERIOD[1], item_codes=[item], campaign=campaign,
                           ratios={"A": 0.01, "B": 0.02, "C": 0.04, "D": 0.08})
        file_plan(session, users[code], plan)
        approve_filed(session, plan)
        plans.append(plan)
    draw_campaign(session, users["market"], campaign)
    execute_run(session, start_build(session, users["market"], plans[0]), BuildOptions(time_limit=schedule_seconds))
    for plan in plans:
        confirm_schedule(session, plan.created_by, plan)
    return session.scalars(select(Visit).join(InspectionTask, InspectionTask.visit_id == Visit.id)
                           .where(InspectionTask.plan_id.in_([p.id for p in plans])).distinct()
                           .order_by(Visit.day, Visit.id)).all()


class _November:
    """One visit of the November campaign after another, through the platform's operations."""

    SECRET = "demo-history"  # codes of past visits are never shown again

    def __init__(self, session: Session, rng: random.Random, truth: Truth, users: dict[str, User]):
        self.session, self.rng, self.truth, self.users = session, rng, truth, users
        self.last_entries = dict(session.execute(select(Visit.firm_id, func.max(Visit.day))
                                                 .join(VisitEntry, VisitEntry.visit_id == Visit.id)
                                                 .group_by(Visit.firm_id)).all())
        self.departed = False   # once in the month an inspector departs from the leniency list

    def visit(self, n: int, visit: Visit) -> None:
        session, rng = self.session, self.rng
        entered = dt.datetime.combine(visit.day, dt.time(1, 0)) + dt.timedelta(minutes=rng.randint(0, 420))
        team = [_officer_account(o.officer) for o in visit.officers]
        for member in team:
            scan_in(session, member, firm_token(session, visit.firm).token, now=entered, secret=self.SECRET)
        notify(session, visit, entered + dt.timedelta(minutes=2))
        firm = visit.firm
        last = self.last_entries.get(firm.id)
        years_since = (HISTORY_PERIOD[0] - last).days / 365.25 if last else 3.0
        for task in visit.tasks:
            member = next(m for m in team if m.department_id == task.plan.department_id)
            violated = self.truth.violates(firm.uscc, firm.industry, firm.credit_class, task.plan.department.code,
                                           visit.day.year, years_since)
            for item in task.plan.items:
                self._item(visit, task, item, member, entered, violated)
        left = entered + dt.timedelta(minutes=rng.randint(35, 150))
        sign(session, visit, team, rng, left - dt.timedelta(minutes=5), refuse=n % 9 == 4)
        for department_id in sorted({t.plan.department_id for t in visit.tasks}):   # each department scans out its part
            scan_out(session, next(m for m in team if m.department_id == department_id), visit, now=left)
        if rng.random() < 0.9:   # the rest are told later (a few days late, as oversight would see)
            tell(session, visit, left + dt.timedelta(days=1))
        for department in {t.plan.department.code for t in visit.tasks}:
            if rng.random() < 0.85:
                publish_results(session, self.users[department], visit)
        evaluated = rng.random() < 0.5
        if evaluated or n == 1:  # the first always, so that even a small city's figures have an evaluation
            firm_user = create_user(session, None, username=f"qiye-{visit.firm.uscc}", password=DEMO_PASSWORD,
                                    role="enterprise", display_name=visit.firm.name, firm=visit.firm)
            score = rng.choice(SCORES) if evaluated else 4
            evaluate_visit(session, firm_user, visit, score, "检查规范，效率较高" if score >= 4 else "检查时间较长",
                           "excessive" if score <= 2 else None)

    def _item(self, visit: Visit, task: InspectionTask, item, member: User, entered: dt.datetime,
              violated: bool) -> None:
        """The item's points found as the truth says, the leniency decisions on the listed ones, the outcome."""
        session, rng = self.session, self.rng
        failing = set()
        if violated:
            failing = {rng.choice(item.points).id} | {p.id for p in item.points if rng.random() < 0.15}
        # Once in the month, an inspector opens a case although every problem of the item is on the
        # no-penalty list and its conditions hold: he departs from the list, with his reason.
        listed = entries_for(session, task.plan.department_id, failing, visit.day) if failing else {}
        depart = not self.departed and failing and all(
            any(e.treatment == "no_penalty" for e in listed.get(p, ())) for p in failing)
        followed = set()
        for point in item.points:
            bad = point.id in failing
            record_finding(session, member, visit, task.id, point.id, "non_compliant" if bad else "compliant",
                           "现场发现台账记录不完整，已当场告知" if bad else "", now=entered + dt.timedelta(minutes=15))
            if bad:
                followed |= self._leniency(visit, task, point, member, depart)
        outcome, fine = self._outcome(failing, followed, listed)
        record_outcome(session, member, visit, task.id, item.code, outcome,
                       visit.day + dt.timedelta(days=15) if outcome == "rectify" else None, fine_amount=fine,
                       now=entered + dt.timedelta(minutes=30))

    def _leniency(self, visit: Visit, task: InspectionTask, point, member: User, depart: bool) -> set[str]:
        """The inspector's decision on a listed point found in breach: what was followed."""
        session = self.session
        proposal = leniency_proposal(session, task, point.id, visit.day)
        if proposal is None:
            return set()
        if depart:
            spared = next(e for e in proposal["entries"] if e["treatment"] == "no_penalty")
            decide_leniency(session, member, visit, task.id, point.id, spared["conditions"], "depart",
                            "该企业同类问题曾被群众多次投诉，存在食品安全隐患，依法立案调查")
            self.departed = True
            return {"departed"}
        # The inspector takes first offence from the firm's record (首违不罚 against history).
        met = [c["code"] for c in proposal["conditions"]
               if (first_offence_history(session, visit.firm_id, point.id, task.plan.department_id,
                                         visit.day, visit.id)["first_offence"]
                   if c["code"] == "first_offence"
                   else c["code"] in ("no_harm", "corrected", "minor") and self.rng.random() < 0.85)]
        applies = any(set(e["conditions"]) <= set(met) for e in proposal["entries"])
        decision = decide_leniency(session, member, visit, task.id, point.id, met, "follow" if applies else None)
        return {decision.treatment} if decision.decision == "follow" else set()

    def _outcome(self, failing: set, followed: set, listed: dict) -> tuple[str, int | None]:
        """The item's outcome, and a fine within the discretion standard (裁量基准) of the offences found."""
        if followed & {"departed", "reduced", "lighter", "heavier"}:
            outcome = "case"
        elif not failing:
            outcome = "no_problem"
        elif "no_penalty" in followed:
            outcome = "rectify"
        else:
            outcome = "case" if self.rng.random() < 0.1 else "rectify"
        fine = self.rng.choice((2000, 5000, 10000)) if outcome == "case" else None
        if fine is not None:
            treatment = next((t for t in ("heavier", "lighter", "reduced") if t in followed), None)
            bounds = fine_range(listed, treatment)
            if bounds is not None:
                fine = max(fine, bounds.low) if bounds.high is None else min(max(fine, bounds.low), bounds.high)
        return outcome, fine
