"""Combined scheduling (综合查一次): drawn plans become a scheduler instance (docs/protocols/schedule-exchange.md),
the solution becomes visits, and each visit's team follows the officer ranking of §1.

The solve runs outside requests: :func:`start_build` records a queued run; the web
layer hands :func:`execute_run` to a job runner; the command line runs it at once.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

import scheduler
from core import clock

from ..db import serialise
from ..errors import InvalidInput, InvalidState, NotPermitted
from ..models import (
    Firm,
    InspectionPlan,
    InspectionTask,
    Officer,
    OfficerConflict,
    OfficerRanking,
    ScheduleRun,
    User,
    Visit,
    VisitOfficer,
)
from ..pure import draws
from ..pure.calendar import working_days
from .events import append_event, utcnow
from .notices import visits_confirmed
from .plans import require_department_of, transition
from .quiet import quiet_days

ACTIVE_PLAN_STATES = ("drawn", "scheduled")
PASS_REASONS = {"conflict": "须回避", "certificate": "执法证当日无效", "unavailable": "当日不在岗", "district": "不负责该区县",
                "qualification": "缺少所需资质", "capacity": "当日检查任务已满", "schedule": "排程需要另作安排"}


@dataclasses.dataclass
class BuildOptions:
    capacity: int = 2           # visits per officer per day
    max_visits: int = 1         # visits per firm in the horizon: 综合查一次
    time_limit: float = 20.0
    workers: int = 2


@dataclasses.dataclass
class Adapted:
    """An instance and what its ids stand for."""

    instance: dict
    tasks: dict[str, InspectionTask]
    officers: dict[str, Officer]
    firms: dict[str, Firm]
    outside: dict[int, str]     # task id -> reason it could not even enter the instance
    pinned: dict[str, str] = dataclasses.field(default_factory=dict)  # task key -> its proposed day so far

    def with_pins(self) -> dict:
        """The instance with every previously proposed (unlocked) task held to its day: a re-solve
        first tries to place only what is new, so that visits people have seen do not move."""
        tasks = [{**t, "window": [self.pinned[t["id"]]] * 2} if t["id"] in self.pinned else t
                 for t in self.instance["tasks"]]
        return {**self.instance, "tasks": tasks}


def scope_of(session: Session, plan: InspectionPlan) -> list[InspectionPlan]:
    """Every drawn or scheduled on-site plan whose period overlaps ``plan``'s: they are combined."""
    rows = session.scalars(select(InspectionPlan).where(
        InspectionPlan.status.in_(ACTIVE_PLAN_STATES), InspectionPlan.period_start <= plan.period_end,
        InspectionPlan.period_end >= plan.period_start).order_by(InspectionPlan.id)).all()
    return [p for p in rows if p.on_site]


def _requirement(plan: InspectionPlan) -> str | None:
    """What a task of ``plan`` asks of each officer, in the exchange format's one qualification field:
    the items' specialist qualification, and, when the plan names an inspector pool, membership of it
    (encoded as a qualification that only the pool's officers hold)."""
    qualification = _qualification(plan)
    if not plan.officer_pool:
        return qualification
    return f"plan-{plan.id}-pool" + (f"+{qualification}" if qualification else "")


def _qualification(plan: InspectionPlan) -> str | None:
    return next((item.qualification for item in plan.items if item.qualification), None)


def build_instance(session: Session, plans: list[InspectionPlan], start: dt.date, end: dt.date,
                   options: BuildOptions) -> Adapted:
    # Nothing is proposed on a day already gone; a period wholly past (records entered after the fact,
    # the demo's history) keeps its own days.
    today = clock.today()
    days = working_days(max(start, today), end) if end >= today else working_days(start, end)
    tasks = session.scalars(select(InspectionTask).where(
        InspectionTask.plan_id.in_([p.id for p in plans]), InspectionTask.status == "pending",
        InspectionTask.on_site.is_(True))
        .options(selectinload(InspectionTask.firm).selectinload(Firm.district),
                 selectinload(InspectionTask.visit), selectinload(InspectionTask.plan))
        .order_by(InspectionTask.id)).all()
    busy: dict[int, set[dt.date]] = defaultdict(set)
    for officer_id, day in session.execute(
            select(VisitOfficer.officer_id, Visit.day).join(Visit, VisitOfficer.visit_id == Visit.id)
            .where(Visit.status.in_(("confirmed", "in_progress")), Visit.day >= start, Visit.day <= end)):
        busy[officer_id].add(day)
    departments = {p.department_id for p in plans}
    officers = session.scalars(select(Officer).where(Officer.department_id.in_(departments),
                                                     Officer.active.is_(True))
                               .options(selectinload(Officer.districts), selectinload(Officer.department))
                               .order_by(Officer.certificate_no)).all()
    instance_officers, officer_map = [], {}
    for officer in officers:
        working = [d for d in days if officer.certified_on(d) and d not in busy[officer.id]]
        # An officer acts only where his department has jurisdiction today (禁止违规异地执法).
        jurisdiction = [d.code for d in officer.department.districts]
        districts = [d.code for d in officer.districts if d.code in jurisdiction] if officer.districts else jurisdiction
        if not working or not districts:
            continue
        officer_map[officer.certificate_no] = officer
        held = list(officer.qualifications or [])
        for plan in plans:
            if plan.department_id == officer.department_id and officer.certificate_no in plan.officer_pool:
                own = _qualification(plan)
                if own is None or own in held:
                    held.append(_requirement(plan))
        instance_officers.append({"id": officer.certificate_no, "department": officer.department.code,
                                  "days": [d.isoformat() for d in working], "capacity": options.capacity,
                                  "districts": districts, "qualifications": held})
    instance_tasks, task_map, firm_map, outside, pinned = [], {}, {}, {}, {}
    for task in tasks:
        first, last = max(task.window_start, start), min(task.window_end, end)
        if task.visit is not None and task.visit.locked:
            first = last = task.visit.day  # a locked visit keeps its day
        if not [d for d in days if first <= d <= last]:
            outside[task.id] = "任务时间窗与排程期间没有共同的工作日"
            continue
        key = f"t{task.id}"
        if task.visit is not None and not task.visit.locked and first <= task.visit.day <= last:
            pinned[key] = task.visit.day.isoformat()
        task_map[key] = task
        firm_map[task.firm.uscc] = task.firm
        instance_tasks.append({"id": key, "department": task.plan.department.code, "firm": task.firm.uscc,
                               "window": [first.isoformat(), last.isoformat()], "on_site": True,
                               "officers_needed": task.plan.officers_needed,
                               "qualification": _requirement(task.plan)})
    # Quiet days close the firm, unless every task it has comes under a typed exception.
    quiet = quiet_days(session, [(f.id, f.district_id) for f in firm_map.values()], start, end,
                       {task.plan.department_id for task in task_map.values()})
    excepted = defaultdict(lambda: True)
    for task in task_map.values():
        excepted[task.firm_id] = excepted[task.firm_id] and bool(task.plan.quiet_exception)
    instance_firms = [{"id": uscc, "district": firm.district.code, "max_visits": options.max_visits,
                       "closed_days": [] if excepted[firm.id] else sorted(d.isoformat() for d in quiet.get(firm.id, ()))}
                      for uscc, firm in sorted(firm_map.items())]
    instance = {"days": [d.isoformat() for d in days], "firms": instance_firms, "officers": instance_officers,
                "tasks": instance_tasks}
    return Adapted(instance, task_map, officer_map, firm_map, outside, pinned)


_PROGRESS = (
    (re.compile(r"prepared (\d+) on-site tasks, (\d+) firms, (\d+) officers"),
     "已读入 {0} 项入企任务，涉及 {1} 家企业、{2} 名检查人员"),
    (re.compile(r"greedy: (\d+) unscheduled, (\d+) visits"), "初步方案：{1} 次入企，未排定 {0} 项"),
    (re.compile(r"lns (\d+): (\d+) unscheduled, (\d+) visits"), "正在优化（第 {0} 轮）：{2} 次入企，未排定 {1} 项"),
    (re.compile(r"best: (\d+) unscheduled, (\d+) visits"), "最优方案：{1} 次入企，未排定 {0} 项"),
    (re.compile(r"staffing (\d+)/(\d+)"), "正在配备检查人员（{0}/{1}）"),
    (re.compile(r"done"), "求解完成，正在保存"),
)


def progress_label(message: str) -> str:
    """The solver's progress note (English, from the ``scheduler`` library) as the page shows it."""
    for pattern, label in _PROGRESS:
        match = pattern.fullmatch(message.strip())
        if match:
            return label.format(*match.groups())
    return "正在求解排程"


_D = r"department (\S+)"
_REASONS = (
    (r"window has no working day of the horizon: move the window into the planning period",
     "任务时间窗内没有排程期间的工作日：请把时间窗移入计划期间"),
    (r"window has no day the firm is open", "任务时间窗内企业没有可以入企的日子（宁静期等）"),
    (rf"{_D} has no officers available in the horizon", "{d1}在排程期间没有在岗的检查人员"),
    (rf"no officer of {_D} covers district (\S+)", "{d1}没有负责{x2}的检查人员"),
    (rf"no officer of {_D} is qualified for (.+)", "{d1}没有具备「{2}」资质的检查人员"),
    (rf"no officer of {_D} qualified for (.+) covers district (\S+)", "{d1}具备「{2}」资质的检查人员都不负责{x3}"),
    (rf"task needs (\d+) officers of {_D} but only (\d+) are (?:qualified for .+ and )?covering district (\S+)",
     "任务需要{d2}的 {1} 名检查人员，但负责{x4}且符合条件的只有 {3} 名"),
    (rf"no eligible officer of {_D} works on a day of the window when the firm is open",
     "任务时间窗内企业可入企的日子里，{d1}没有符合条件的检查人员在岗"),
    (rf"on no open day of the window do (\d+) eligible officers of {_D} work: widen the window or roster more officers",
     "任务时间窗内没有一天有{d2}的 {1} 名符合条件的检查人员在岗：请放宽时间窗或安排更多人员在岗"),
    (r"the time limit ran out before the solver could place this task: give it more time",
     "求解时间用尽时尚未安排该任务：请重新生成排程"),
    (r"firm's visit cap reached: its tasks' windows need more days than max_visits \((\d+)\); "
     r"raise the cap or align the windows", "企业在期间内的入企次数已达上限（{1} 次）：请让各部门任务的时间窗对齐"),
    (rf"firm's visit cap \((\d+)\) is used on days outside this task's window, where officer capacity allowed the "
     rf"firm's other tasks; officers of {_D} had no room on the window's open days",
     "企业的入企次数（上限 {1} 次）已用在本任务时间窗以外的日子，{d2}的检查人员在时间窗内已排满"),
    (rf"officers of {_D} are free on (.+) but a visit there would break the firm's visit cap or its other tasks' staffing",
     "{d1}的检查人员在 {2} 有空，但那几天入企会超出企业的入企次数上限或影响其他任务的人员配备"),
    (rf"officers of {_D} are at capacity on every open day of the window", "{d1}的检查人员在任务时间窗内每个可入企日都已排满"),
)


def reason_label(reason: str, departments: dict[str, str], districts: dict[str, str]) -> str:
    """The solver's reason for an unscheduled task (English, from the ``scheduler`` library) in the
    planner's words, departments and districts by name."""
    for pattern, label in _REASONS:
        match = re.fullmatch(pattern, reason.strip())
        if match:
            groups = ("", *match.groups())  # {1} is the first group
            names = {f"d{i}": departments.get(g, g) for i, g in enumerate(groups)}
            names |= {f"x{i}": districts.get(g, g) for i, g in enumerate(groups)}
            return label.format(*groups, **names)
    return reason


def start_build(session: Session, actor: User, plan: InspectionPlan) -> ScheduleRun:
    """Queue a build of the combined schedule for ``plan``'s period (``actor`` None: the system)."""
    if actor is not None:
        require_department_of(actor, plan)
    if plan.status not in ACTIVE_PLAN_STATES:
        raise InvalidState(f"计划「{plan.title}」当前状态为「{plan.status_label}」，抽取后才能排程")
    if not plan.on_site:
        raise InvalidInput("非现场检查计划不需要入企排程")
    serialise(session, "schedule-builds")
    # A build proposes teams for every working day of its horizon: the plans combined with this one
    # (whose periods may reach beyond its own) and the officers' days. Two builds whose horizons share
    # a day would book the same officers twice, so one build at a time for any day: a queued or
    # running build over any day of this horizon answers every caller. Builds of horizons that share
    # no day are independent and run side by side, each on its own worker.
    plans = scope_of(session, plan)
    start, end = min(p.period_start for p in plans), max(p.period_end for p in plans)
    running = session.scalar(select(ScheduleRun).where(ScheduleRun.status.in_(("queued", "running")),
                                                       ScheduleRun.period_start <= end,
                                                       ScheduleRun.period_end >= start)
                             .order_by(ScheduleRun.id))
    if running is not None:
        return running
    run = ScheduleRun(status="queued", period_start=start, period_end=end, plan_ids=[p.id for p in plans],
                      progress=0.0,
                      message="排队中", stats={}, unscheduled=[], created_by_id=actor.id if actor else None,
                      created_at=utcnow())
    session.add(run)
    session.flush()
    append_event(session, actor, "schedule.requested", f"schedule:{run.id}",
                 {"plans": run.plan_ids, "period": [run.period_start, run.period_end]})
    return run


def prepare_run(session: Session, run: ScheduleRun, options: BuildOptions) -> Adapted:
    """Mark the run started and adapt its plans to an instance."""
    if run.status not in ("queued", "running"):
        raise InvalidState(f"排程任务 {run.id} 已结束")
    run.status, run.message, run.started_at = "running", "正在建立排程模型", utcnow()
    plans = session.scalars(select(InspectionPlan).where(InspectionPlan.id.in_(run.plan_ids),
                                                         InspectionPlan.status.in_(ACTIVE_PLAN_STATES))).all()
    adapted = build_instance(session, plans, run.period_start, run.period_end, options)
    session.flush()
    return adapted


def solve_adapted(adapted: Adapted, options: BuildOptions, seed: int,
                  report: Callable[[float, str], None] | None = None) -> dict:
    """The pure solve: no database is touched while it runs.

    A rebuild first holds every visit proposed before to its day and places only what is new;
    if that leaves any task unscheduled, it solves freely too and keeps whichever schedules more
    tasks (then fewer visits), so that stability never costs a task."""
    config = scheduler.SolverConfig(time_limit=options.time_limit, workers=options.workers, seed=seed)
    free = scheduler.Instance.from_dict(adapted.instance)
    if not adapted.pinned:
        solution = scheduler.solve(free, config, report).to_dict()
        return {**solution, "stats": {**solution["stats"], "moved": 0}}
    pinned = scheduler.solve(scheduler.Instance.from_dict(adapted.with_pins()), config, report).to_dict()
    best = pinned
    if pinned["unscheduled"]:
        unpinned = scheduler.solve(free, config, report).to_dict()
        if (len(unpinned["unscheduled"]), len(unpinned["visits"])) < (len(pinned["unscheduled"]), len(pinned["visits"])):
            best = unpinned
    moved = sum(1 for visit in best["visits"] for key in visit["tasks"]
                if key in adapted.pinned and adapted.pinned[key] != visit["day"])
    return {**best, "stats": {**best["stats"], "moved": moved, "kept": len(adapted.pinned) - moved}}


def execute_run(session: Session, run: ScheduleRun, options: BuildOptions | None = None,
                report: Callable[[float, str], None] | None = None) -> ScheduleRun:
    """Prepare, solve and store a queued run in one transaction (command line, tests)."""
    options = options or BuildOptions()
    adapted = prepare_run(session, run, options)
    store_run(session, run, adapted, solve_adapted(adapted, options, run.id, report))
    return run


def fail_run(session: Session, run: ScheduleRun, message: str) -> None:
    run.status, run.message, run.finished_at = "failed", message, utcnow()
    session.flush()
    append_event(session, None, "schedule.failed", f"schedule:{run.id}", {"message": message})


def store_run(session: Session, run: ScheduleRun, adapted: Adapted, solution: dict) -> None:
    """Turn a solution into visits, teams and reasons; marks the run done."""
    task_ids = [t.id for t in adapted.tasks.values()] + list(adapted.outside)
    # Proposed visits that nobody locked are rebuilt; locked and confirmed ones stay.
    stale = select(InspectionTask.visit_id).where(InspectionTask.id.in_(task_ids),
                                                  InspectionTask.visit_id.is_not(None))
    stale_visits = session.scalars(select(Visit.id).where(Visit.id.in_(stale), Visit.status == "proposed",
                                                          Visit.locked.is_(False))).all()
    session.execute(update(InspectionTask).where(InspectionTask.visit_id.in_(stale_visits))
                    .values(visit_id=None).execution_options(synchronize_session=False))
    session.execute(delete(Visit).where(Visit.id.in_(stale_visits)).execution_options(synchronize_session=False))
    session.expire_all()
    locked = {(v.firm_id, v.day): v for v in session.scalars(
        select(Visit).where(Visit.locked.is_(True), Visit.status == "proposed",
                            Visit.day >= run.period_start, Visit.day <= run.period_end))}
    now = utcnow()
    final_visits = []
    for entry in solution["visits"]:
        firm = adapted.firms[entry["firm"]]
        day = dt.date.fromisoformat(entry["day"])
        visit = locked.pop((firm.id, day), None)
        if visit is None:
            visit = Visit(firm_id=firm.id, day=day, status="proposed", locked=False, created_at=now)
            session.add(visit)
        else:  # a locked visit keeps its firm and day; its team is drawn again with everyone else's
            visit.officers.clear()
            visit.rankings.clear()
        visit.schedule_run_id = run.id
        session.flush()
        tasks = [session.get(InspectionTask, adapted.tasks[key].id) for key in entry["tasks"]]
        for task in tasks:
            task.visit_id, task.unscheduled_reason = visit.id, None
        final_visits.append((visit, tasks, entry))
    teams = assign_teams(session, adapted, final_visits)
    unscheduled = []
    departments = {t.plan.department.code: t.plan.department.short_name for t in adapted.tasks.values()}
    districts = {f.district.code: f.district.name for f in adapted.firms.values()}
    for item in solution["unscheduled"]:
        task = session.get(InspectionTask, adapted.tasks[item["task"]].id)
        task.visit_id, task.unscheduled_reason = None, reason_label(item["reason"], departments, districts)
        unscheduled.append({"task": task.id, "plan": task.plan_id, "firm": task.firm.uscc,
                            "reason": task.unscheduled_reason})
    for task_id, reason in adapted.outside.items():
        task = session.get(InspectionTask, task_id)
        task.visit_id, task.unscheduled_reason = None, reason
        unscheduled.append({"task": task.id, "plan": task.plan_id, "firm": task.firm.uscc, "reason": reason})
    checked = {**solution, "visits": [{**entry, "officers": teams[visit.id]} for visit, _, entry in final_visits]}
    problems = scheduler.check_solution(scheduler.Instance.from_dict(adapted.instance),
                                        scheduler.Solution.from_dict(checked))
    joint = sum(1 for _, tasks, _ in final_visits if len({t.plan.department_id for t in tasks}) > 1)
    run.stats = {**solution["stats"], "status": solution["status"], "tasks": len(adapted.tasks) + len(adapted.outside),
                 "joint_visits": joint, "separate_visits": len({(t.plan.department_id, t.firm_id)
                                                                for _, ts, _ in final_visits for t in ts}),
                 "by_department": _department_baseline(final_visits), "check": problems}
    run.unscheduled = unscheduled
    run.status, run.progress, run.finished_at = "done", 1.0, utcnow()
    run.message = f"已排定 {len(final_visits)} 次入企（其中联合检查 {joint} 次），未排定任务 {len(unscheduled)} 项"
    session.flush()
    append_event(session, None, "schedule.built", f"schedule:{run.id}",
                 {"visits": len(final_visits), "joint": joint, "unscheduled": len(unscheduled),
                  "status": solution["status"], "lower_bound": solution["stats"].get("lower_bound")})


def _department_baseline(visits) -> dict[str, dict]:
    """Per department: the visits it alone would have made (one per firm it has tasks at) and the
    built visits shared out, a joint visit counting 1/k for each of its k departments."""
    baseline: dict[str, dict] = defaultdict(lambda: {"alone": 0, "shared": 0.0, "joint": 0})
    for _, tasks, _ in visits:
        departments = {t.plan.department.code for t in tasks}
        for code in departments:
            baseline[code]["alone"] += 1
            baseline[code]["shared"] = round(baseline[code]["shared"] + 1 / len(departments), 6)
            baseline[code]["joint"] += len(departments) > 1
    return dict(sorted(baseline.items()))


def assign_teams(session: Session, adapted: Adapted, visits) -> dict[int, dict[str, list[str]]]:
    """Teams by the officer ranking of docs/protocols/draws.md: for each visit and department, officers ranked by
    HMAC(seed, "officer:" + uscc + ":" + certificate_no); the first ones the day can use are chosen, and
    everyone passed over is recorded with the reason. Where the ranking cannot staff a department's day
    within capacity, the solver's teams for that day are kept (reason "schedule")."""
    by_department_day: dict[tuple[str, dt.date], list] = defaultdict(list)
    for visit, tasks, entry in visits:
        for department, team in entry["officers"].items():
            dept_tasks = [t for t in tasks if t.plan.department.code == department]
            by_department_day[(department, visit.day)].append((visit, dept_tasks, team))
    officers_of: dict[str, list[dict]] = defaultdict(list)
    capacity: dict[str, int] = {}
    for officer in adapted.instance["officers"]:
        officers_of[officer["department"]].append(officer)
        capacity[officer["id"]] = officer["capacity"]
    teams: dict[int, dict[str, list[str]]] = defaultdict(dict)
    firm_ids = {visit.firm_id for visit, _, _ in visits}
    conflicted = {(officer_id, firm_id) for officer_id, firm_id in session.execute(
        select(OfficerConflict.officer_id, OfficerConflict.firm_id).where(OfficerConflict.firm_id.in_(firm_ids)))}
    for (department, day), group in sorted(by_department_day.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        rankings = [_ranking(adapted, officers_of[department], conflicted, day, visit, tasks, solver_team)
                    for visit, tasks, solver_team in group]
        chosen_by_visit = _ranked_teams(rankings, capacity)
        _record_teams(session, adapted, department, rankings, chosen_by_visit, teams)
    session.flush()
    return teams


def _ranking(adapted: Adapted, officers: list[dict], conflicted: set, day: dt.date, visit: Visit, tasks,
             solver_team: list[str]) -> tuple:
    """One visit's officers of one department in rank order, as ``(visit, officers needed, rows, solver's
    team)``; each row is ``[officer id, rank, reason passed over (None: usable), rank key]``."""
    plan = tasks[0].plan
    seed = plan.campaign.seed if plan.campaign else plan.seed
    firm = visit.firm
    need = max(t.plan.officers_needed for t in tasks)
    qualification = next((_requirement(t.plan) for t in tasks if _requirement(t.plan)), None)
    candidates = sorted(officers, key=lambda o: draws.officer_rank_key(seed, firm.uscc, o["id"]))
    rows = []
    for rank, officer in enumerate(candidates, start=1):
        reason = _passed_over(adapted, officer, conflicted, day, firm, qualification)
        rows.append([officer["id"], rank, reason, draws.officer_rank_key(seed, firm.uscc, officer["id"]).hex()])
    return visit, need, rows, solver_team


def _passed_over(adapted: Adapted, officer: dict, conflicted: set, day: dt.date, firm, qualification) -> str | None:
    """Why an officer cannot go to the firm on the day (回避, certificate, availability, district,
    qualification), or None."""
    if (adapted.officers[officer["id"]].id, firm.id) in conflicted:
        return "conflict"
    if day.isoformat() not in officer["days"]:
        return "certificate" if not adapted.officers[officer["id"]].certified_on(day) else "unavailable"
    if officer["districts"] and firm.district.code not in officer["districts"]:
        return "district"
    if qualification and qualification not in officer["qualifications"]:
        return "qualification"
    return None


def _ranked_teams(rankings: list[tuple], capacity: dict[str, int]) -> dict[int, list[str]] | None:
    """Each visit's team of one department's day from the ranking, the most constrained visits first, each
    taking its best-ranked usable officers with capacity left; None when some visit cannot be staffed."""
    used: dict[str, int] = defaultdict(int)
    chosen_by_visit: dict[int, list[str]] = {}
    # Most constrained visits first, then each takes its best-ranked free officers.
    for visit, need, rows, _ in sorted(rankings, key=lambda r: (sum(1 for x in r[2] if x[2] is None), r[0].id)):
        team = []
        for row in rows:
            if row[2] is None and used[row[0]] < capacity[row[0]] and len(team) < need:
                team.append(row[0])
        if len(team) < need:
            return None
        for officer_id in team:
            used[officer_id] += 1
        chosen_by_visit[visit.id] = team
    return chosen_by_visit


def _record_teams(session: Session, adapted: Adapted, department: str, rankings: list[tuple],
                  chosen_by_visit: dict[int, list[str]] | None, teams: dict[int, dict[str, list[str]]]) -> None:
    """Store one department's day: each visit's team (the ranking's, or when it could not staff the day the
    solver's) in ``teams`` and as rows, and every officer's rank with the reason anyone was passed over."""
    feasible = chosen_by_visit is not None
    for visit, _need, rows, solver_team in rankings:
        if feasible:
            team = chosen_by_visit[visit.id]
        else:  # the solver's team, less anyone who must withdraw (回避)
            barred = {row[0] for row in rows if row[2] == "conflict"}
            team = [officer_id for officer_id in solver_team if officer_id not in barred]
        teams[visit.id][department] = team
        for officer_id in team:
            officer = adapted.officers[officer_id]
            session.add(VisitOfficer(visit_id=visit.id, officer_id=officer.id,
                                     department_id=officer.department_id))
        for officer_id, rank, reason, key in rows:
            chosen = officer_id in team
            if not chosen and reason is None:
                reason = "capacity" if feasible else "schedule"
            session.add(OfficerRanking(visit_id=visit.id, department_id=adapted.officers[officer_id].department_id,
                                       officer_id=adapted.officers[officer_id].id, rank=rank, key=key,
                                       chosen=chosen, reason=None if chosen else reason))




def _require_participant(actor: User, visit: Visit) -> None:
    if actor.role != "department" or actor.department_id not in {t.plan.department_id for t in visit.tasks}:
        raise NotPermitted("只有在该次入企中有检查任务的部门可以调整")
    if visit.status != "proposed":
        raise InvalidState(f"该次入企已{visit.status_label}，不能再调整")


def lock_visit(session: Session, actor: User, visit: Visit, locked: bool = True) -> Visit:
    """Lock (or unlock) a proposed visit: a re-solve keeps a locked visit's firm and day."""
    _require_participant(actor, visit)
    visit.locked = locked
    session.flush()
    append_event(session, actor, "visit.locked" if locked else "visit.unlocked", f"visit:{visit.id}",
                 {"firm": visit.firm.uscc, "day": visit.day})
    return visit


def move_visit(session: Session, actor: User, visit: Visit, day: dt.date) -> Visit:
    """Move a proposed visit to another working day in every task's window; it is locked there and
    its team is cleared until the next build staffs it on the new day."""
    _require_participant(actor, visit)
    if day not in working_days(day, day):
        raise InvalidInput(f"{day:%Y-%m-%d} 不是工作日", fields={"day": "不是工作日"})
    outside = [t for t in visit.tasks if not t.window_start <= day <= t.window_end]
    if outside:
        raise InvalidInput(f"{day:%Y-%m-%d} 不在任务时间窗内（{outside[0].window_start} 至 {outside[0].window_end}）",
                           fields={"day": "不在时间窗内"})
    clash = session.scalar(select(Visit.id).where(Visit.firm_id == visit.firm_id, Visit.day == day,
                                                  Visit.id != visit.id, Visit.status != "cancelled"))
    if clash is not None:
        raise InvalidInput(f"该企业在 {day:%Y-%m-%d} 已有一次入企，请直接合并到那一次", fields={"day": "已有入企"})
    old = visit.day
    visit.day, visit.locked = day, True
    visit.officers.clear()
    visit.rankings.clear()
    session.flush()
    append_event(session, actor, "visit.moved", f"visit:{visit.id}",
                 {"firm": visit.firm.uscc, "day": [old, day]})
    return visit


def confirm_schedule(session: Session, actor: User, plan: InspectionPlan) -> InspectionPlan:
    """The department confirms its plan's part of the schedule; a visit is confirmed once every
    department with a task in it has confirmed."""
    require_department_of(actor, plan)
    scheduled = [t for t in plan.tasks if t.status == "pending" and t.visit is not None]
    if not scheduled:
        raise InvalidState("本计划还没有排定的入企，请先生成排程")
    unstaffed = [t for t in scheduled
                 if sum(o.department_id == plan.department_id for o in t.visit.officers) < plan.officers_needed]
    if unstaffed:
        raise InvalidState(f"有 {len(unstaffed)} 次入企尚未配齐检查人员（调整日期或回避所致），请重新生成排程后再确认")
    transition(plan, "scheduled")
    for task in scheduled:
        task.status = "scheduled"
    session.flush()
    confirmed = []
    for visit in sorted({t.visit for t in scheduled}, key=lambda v: v.id):
        if all(t.status == "scheduled" for t in visit.tasks):
            visit.status = "confirmed"
            confirmed.append(visit)
    session.flush()
    visits_confirmed(session, confirmed)
    append_event(session, actor, "schedule.confirmed", f"plan:{plan.id}",
                 {"visits": sorted({t.visit_id for t in scheduled}),
                  "unscheduled": [t.id for t in plan.tasks if t.status == "pending"]})
    return plan
