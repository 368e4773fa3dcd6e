"""Officer assignment for a fixed day plan, one (department, day) at a time.

0. Greedy first (the careful greedy's officer preferences); the steps below run only
   where it leaves a visit unstaffed or an officer-day spanning two districts.
1. Aggregate (CP-SAT, small): how many visits each officer makes in each district and
   demand class that day, ``supply_officer_district_class[o, r, c]``, covering every
   class's team slots; minimising first the slots left uncovered, then officer-days
   spanning two districts, then a convex cost of each officer's load so far in the
   horizon (days are taken in order, so loads even out).
2. Realise: in each district, visits take their teams largest first from the officers
   with the most supply left (Havel-Hakimi order, exact for one class).
3. If that fails for a district, an exact CP-SAT assignment of officers to its visits
   staffs as many as possible; a department's tasks on a visit that cannot be staffed
   are taken out of the plan (the solver then tries to insert them elsewhere).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from .greedy import staff_team
from .model import SolverConfig
from .plan import Plan
from .prepare import ANY, Prepared, team_demand

__all__ = ["staff_plan"]


Class = tuple[str | None, str | None]  # (district, demand class)
SupplyVars = dict[tuple[int, str | None, str | None], cp_model.IntVar]


def _class_order(qualification: str | None) -> tuple:
    return (qualification is ANY, qualification or "")


def _aggregate(
    P: Prepared,
    plan: Plan,
    k: int,
    d: int,
    visits: list[tuple[int, dict]],
    config: SolverConfig,
    time_limit: float,
) -> dict[tuple[int, str | None, str | None], int]:
    """Step 1 (module docstring): visits per officer, district and class that day."""
    slots, visits_in, visits_with = _class_slots(P, visits)
    model = cp_model.CpModel()
    supply_officer_district_class: SupplyVars = {}
    per_class: dict[tuple, list] = defaultdict(list)
    class_top: dict[tuple, int] = {}
    officers = [o for o in P.dept_officers[k] if plan.rem[o][d] > 0]
    costs = []
    spans = []
    bound_cost = 0
    for o in officers:
        cap = plan.rem[o][d]
        by_district = _add_officer_supply(
            model, P, o, cap, slots, visits_with, supply_officer_district_class, per_class, class_top
        )
        if not by_district:
            continue
        everything = [y for ys in by_district.values() for y in ys]
        span = _add_officer_limits(model, o, d, cap, by_district, visits_in, everything)
        if span is not None:
            spans.append(span)
        cost, top_cost = _add_load_cost(model, o, plan.load[o], cap, everything)
        costs.append(cost)
        bound_cost += top_cost
    shortfall = _add_class_cover(model, P, visits, slots, per_class, class_top)
    weight_span = bound_cost + 1
    weight_short = weight_span * (len(spans) + 1)
    model.Minimize(weight_short * sum(shortfall) + weight_span * sum(spans) + sum(costs))
    return _solve_supply(model, supply_officer_district_class, config, time_limit)


def _class_slots(
    P: Prepared, visits: list[tuple[int, dict]]
) -> tuple[dict[Class, int], dict[str | None, int], dict[Class, int]]:
    """Team slots per (district, class), visits per district, and visits with slots of
    each (district, class)."""
    slots: dict[Class, int] = defaultdict(int)
    visits_in: dict[str | None, int] = defaultdict(int)
    visits_with: dict[Class, int] = defaultdict(int)
    for f, demand in visits:
        district = P.firm_district[f]
        visits_in[district] += 1
        for qualification, n in demand.items():
            slots[(district, qualification)] += n
            visits_with[(district, qualification)] += 1
    return slots, visits_in, visits_with


def _add_officer_supply(
    model: cp_model.CpModel,
    P: Prepared,
    o: int,
    cap: int,
    slots: dict[Class, int],
    visits_with: dict[Class, int],
    supply_officer_district_class: SupplyVars,
    per_class: dict[tuple, list],
    class_top: dict[tuple, int],
) -> dict[str | None, list]:
    """Officer o's visits in every (district, class) he may serve, recorded per class;
    returns them per district."""
    by_district: dict[str | None, list] = defaultdict(list)
    for district, qualification in slots:
        if not P.covers(o, district):
            continue
        if qualification is not ANY and qualification not in P.officer_quals[o]:
            continue
        top = min(cap, visits_with[(district, qualification)])
        y = model.NewIntVar(0, top, f"supply_officer_district_class_{o}_{district}_{qualification}")
        supply_officer_district_class[(o, district, qualification)] = y
        per_class[(district, qualification)].append(y)
        class_top[(district, qualification)] = max(class_top.get((district, qualification), 0), top)
        by_district[district].append(y)
    return by_district


def _add_officer_limits(
    model: cp_model.CpModel,
    o: int,
    d: int,
    cap: int,
    by_district: dict[str | None, list],
    visits_in: dict[str | None, int],
    everything: list,
) -> cp_model.IntVar | None:
    """Officer o's capacity and visits per district that day; returns the variable
    marking his day as spanning districts (None when he may serve only one)."""
    # The officer's capacity that day.
    model.Add(sum(everything) <= cap)
    for district, ys in by_district.items():
        # At most one slot per visit: no more visits in a district than it has.
        if len(ys) > 1:
            model.Add(sum(ys) <= visits_in[district])
    if len(by_district) <= 1:
        return None
    used = []
    for district, ys in by_district.items():
        officer_day_district = model.NewBoolVar(f"officer_day_district_{o}_{d}_{district}")
        # Working in a district means being marked there.
        model.Add(sum(ys) <= cap * officer_day_district)
        used.append(officer_day_district)
    span = model.NewBoolVar(f"span_officer_day_{o}_{d}")
    # Two or more districts make a spanning officer-day.
    model.Add(sum(used) <= 1 + (len(used) - 1) * span)
    return span


def _add_load_cost(
    model: cp_model.CpModel, o: int, before: int, cap: int, everything: list
) -> tuple[cp_model.IntVar, int]:
    """Convex load cost: (load so far + load today)^2 - (load so far)^2, as tangent
    cuts; returns the cost variable and its upper bound."""
    load = sum(everything)
    top = min(cap, len(everything) * cap)
    cost = model.NewIntVar(0, (before + top) ** 2 - before**2, f"load_cost_officer_{o}")
    for j in range(1, top + 1):
        slope = 2 * before + 2 * j - 1
        base = (before + j - 1) ** 2 - before**2
        model.Add(cost >= base + slope * (load - (j - 1)))
    return cost, (before + top) ** 2 - before**2


def _add_class_cover(
    model: cp_model.CpModel,
    P: Prepared,
    visits: list[tuple[int, dict]],
    slots: dict[Class, int],
    per_class: dict[tuple, list],
    class_top: dict[tuple, int],
) -> list[cp_model.IntVar]:
    """Every class's team slots covered, teams taking distinct officers; returns the
    shortfall variables."""
    shortfall = []
    team_sizes: dict[tuple, list[int]] = defaultdict(list)
    for f, demand in visits:
        for qualification, n in demand.items():
            team_sizes[(P.firm_district[f], qualification)].append(n)
    for key, amount in slots.items():
        short = model.NewIntVar(0, amount, f"short_class_{key[0]}_{key[1]}")
        # Every class's team slots are covered, or the shortfall is paid for.
        model.Add(sum(per_class.get(key, [])) + short >= amount)
        shortfall.append(short)
        # Gale-Ryser: the j largest teams of the class need sum_o min(supply_o, j)
        # slots, as a team takes distinct officers (only j below the largest supply
        # matter, beyond it the total above suffices).
        sizes = sorted(team_sizes[key], reverse=True)
        ys = per_class.get(key, [])
        for j in range(1, min(len(sizes), class_top.get(key, 0))):
            if sum(sizes[:j]) <= j:
                continue
            capped = []
            for y in ys:
                supply_capped = model.NewIntVar(0, j, f"supply_capped_{key[0]}_{key[1]}_{j}_{len(capped)}")
                model.Add(supply_capped <= y)
                capped.append(supply_capped)
            model.Add(sum(capped) + short >= sum(sizes[:j]))
    return shortfall


def _solve_supply(
    model: cp_model.CpModel, supply_officer_district_class: SupplyVars, config: SolverConfig, time_limit: float
) -> dict[tuple[int, str | None, str | None], int]:
    """Solve the aggregate model; the positive supplies, or {} without a solution."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = config.workers
    solver.parameters.random_seed = config.seed
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}
    return {key: solver.Value(y) for key, y in supply_officer_district_class.items() if solver.Value(y) > 0}


def _realise(
    P: Prepared,
    visits: list[tuple[int, dict]],
    supply: dict[tuple[int, str | None, str | None], int],
) -> tuple[dict[int, list[int]], list[int]]:
    """Teams per firm from the supplies; returns (teams, firms that failed)."""
    left = dict(supply)
    by_class: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
    for (o, district, qualification) in supply:
        by_class[(district, qualification)].append(o)
    teams: dict[int, list[int]] = {}
    failed: list[int] = []
    order = sorted(visits, key=lambda v: (-sum(v[1].values()), P.firm_ids[v[0]]))
    for f, demand in order:
        district = P.firm_district[f]
        team: list[int] = []
        ok = True
        for qualification in sorted(demand, key=_class_order):
            n = demand[qualification]
            candidates = [
                o for o in by_class.get((district, qualification), ()) if left[(o, district, qualification)] > 0 and o not in team
            ]
            if len(candidates) < n:
                ok = False
                break
            candidates.sort(key=lambda o: -left[(o, district, qualification)])
            team.extend(candidates[:n])
        if not ok:
            failed.append(f)
            continue
        # charge the supplies
        position = 0
        for qualification in sorted(demand, key=_class_order):
            for o in team[position : position + demand[qualification]]:
                left[(o, district, qualification)] -= 1
            position += demand[qualification]
        teams[f] = team
    return teams, failed


def _exact_district(
    P: Prepared,
    plan: Plan,
    k: int,
    d: int,
    firms: list[int],
    config: SolverConfig,
    time_limit: float,
    hint: dict[int, list[int]] | None = None,
) -> dict[int, list[int]]:
    """Staff as many of ``firms`` (visits on day d, department k) as possible, exactly.

    ``hint`` (firm -> team) is a partial staffing to start from."""
    model = cp_model.CpModel()
    keep_visit: dict[int, cp_model.IntVar] = {}
    assign_officer_visit: dict[tuple[int, int], cp_model.IntVar] = {}
    per_officer: dict[int, list] = defaultdict(list)
    weights = []
    for f in firms:
        tasks = [t for t in plan.visit_tasks[(f, d)] if P.task_dept[t] == k]
        keep = keep_visit[f] = model.NewBoolVar(f"keep_visit_{f}")
        weights.append(len(tasks) * keep)
        members = {}
        for o in P.eligible(k, P.firm_district[f], None):
            if plan.rem[o][d] > 0:
                a = assign_officer_visit[(o, f)] = model.NewBoolVar(f"assign_officer_visit_{o}_{f}_{d}")
                members[o] = a
                per_officer[o].append(a)
                model.AddImplication(a, keep)
        for t in tasks:
            qualification = P.task_qual[t]
            team = [a for o, a in members.items() if qualification is None or qualification in P.officer_quals[o]]
            # officers_needed (qualified) officers when the visit keeps its tasks.
            model.Add(sum(team) >= P.task_need[t] * keep)
    for o, visits in per_officer.items():
        # Officer capacity left that day.
        model.Add(sum(visits) <= plan.rem[o][d])
    model.Maximize(sum(weights) * (len(assign_officer_visit) + 1) - sum(assign_officer_visit.values()))
    if hint is not None:
        for f, keep in keep_visit.items():
            model.AddHint(keep, f in hint)
        for (o, f), a in assign_officer_visit.items():
            model.AddHint(a, o in hint.get(f, ()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = config.workers
    solver.parameters.random_seed = config.seed
    status = solver.Solve(model)
    teams: dict[int, list[int]] = {}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return teams
    for f in firms:
        if solver.BooleanValue(keep_visit[f]):
            teams[f] = [o for (o, g), a in assign_officer_visit.items() if g == f and solver.BooleanValue(a)]
    return teams


def _greedy_day(P: Prepared, plan: Plan, k: int, d: int, visits: list[tuple[int, dict]]) -> tuple[dict[int, list[int]], list[int]]:
    """Staff department k's visits of day d with the greedy's officer preferences
    (kept in the plan).  Visits with scarce districts and large teams go first."""
    order = sorted(
        visits,
        key=lambda v: (
            -sum(1 for q in v[1] if q is not ANY),
            len(P.eligible(k, P.firm_district[v[0]], None)),
            -sum(v[1].values()),
            P.firm_ids[v[0]],
        ),
    )
    teams: dict[int, list[int]] = {}
    failed: list[int] = []
    for f, _ in order:
        tasks = [t for t in plan.visit_tasks[(f, d)] if P.task_dept[t] == k]
        team = staff_team(plan, f, d, k, tasks)
        if team is None:
            failed.append(f)
            continue
        plan.set_team(f, d, k, team)
        teams[f] = team
    return teams, failed


def _day_spans(plan: Plan, k: int, d: int) -> int:
    P = plan.P
    return sum(
        1 for o in P.dept_officers[k] if len(plan.officer_day_districts.get((o, d), ())) > 1
    )


def _day_cost(plan: Plan, k: int, d: int, teams: dict[int, list[int]]) -> int:
    """Convex load cost of the officers' loads after this day (smaller: more even)."""
    return sum(plan.load[o] ** 2 for o in plan.P.dept_officers[k])


def _solve_day(P, plan, k, d, visits, config, limit) -> tuple[dict[int, list[int]], list[int]]:
    """CP-SAT staffing of one (department, day), kept in the plan."""
    supply = _aggregate(P, plan, k, d, visits, config, limit * 0.7)
    teams, failed = _realise(P, visits, supply)
    for f, team in teams.items():
        plan.set_team(f, d, k, team)
    if failed:
        # Re-staff the districts with failures exactly, from their capacity before.
        # Officers covering two districts link them: take every district that shares
        # an eligible officer with a failed one (usually the whole department-day).
        districts = {P.firm_district[f] for f in failed}
        linked = {o for r in districts for o in P.eligible(k, r, None)}
        for f, _ in visits:
            r = P.firm_district[f]
            if r not in districts and any(o in linked for o in P.eligible(k, r, None)):
                districts.add(r)
        redo = [f for f, _ in visits if P.firm_district[f] in districts]
        for f in redo:
            if f in teams:
                plan.clear_team(f, d, k)
        hint = {f: teams[f] for f in redo if f in teams}
        rescue = _exact_district(P, plan, k, d, redo, config, max(0.2, limit * 0.3), hint)
        if sum(len(plan.visit_tasks[(f, d)]) for f in rescue) < sum(len(plan.visit_tasks[(f, d)]) for f in hint):
            rescue = hint
        failed = []
        for f in redo:
            team = rescue.get(f)
            if team is not None:
                plan.set_team(f, d, k, team)
                teams[f] = team
            else:
                teams.pop(f, None)
                failed.append(f)
    return teams, failed


def _department_day_work(P: Prepared, plan: Plan) -> dict[tuple[int, int], list[tuple[int, tuple[int, ...]]]]:
    """Per (department, day): its visits as (firm, the department's tasks there)."""
    work: dict[tuple[int, int], list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
    for (f, d), tasks in plan.visit_tasks.items():
        by_department: dict[int, list[int]] = defaultdict(list)
        for t in tasks:
            by_department[P.task_dept[t]].append(t)
        for k, mine in by_department.items():
            work[(k, d)].append((f, tuple(sorted(mine))))
    for visits in work.values():
        visits.sort()
    return work


def _patch_day(
    P: Prepared,
    plan: Plan,
    base: Plan,
    k: int,
    d: int,
    now: list[tuple[int, tuple[int, ...]]],
    before: list[tuple[int, tuple[int, ...]]],
    visits: list[tuple[int, dict]],
) -> dict[int, list[int]] | None:
    """Keep ``base``'s teams of department k on day d for the visits whose tasks did not
    change and staff only the others greedily from what is left.  Returns every
    visit's team (kept in the plan) when that staffs them all; otherwise the plan is
    left as it was and None returned."""
    old = dict(before)
    kept = [f for f, tasks in now if old.get(f) == tasks]
    if not kept:
        return None
    for f in kept:
        plan.set_team(f, d, k, base.teams[(f, d)][k])
    kept_set = set(kept)
    teams, failed = _greedy_day(P, plan, k, d, [v for v in visits if v[0] not in kept_set])
    if not failed:
        teams.update((f, base.teams[(f, d)][k]) for f in kept)
        return teams
    for f in kept + list(teams):
        plan.clear_team(f, d, k)
    return None


def _score(plan: Plan, k: int, d: int, teams: dict[int, list[int]], failed: list[int]) -> tuple:
    """(tasks on unstaffed visits, spanning officer-days, load cost) of department k's
    staffing on day d as it stands in the plan: smaller is better."""
    return (
        sum(len(plan.visit_tasks[(f, d)]) for f in failed),
        _day_spans(plan, k, d),
        _day_cost(plan, k, d, teams),
    )


def _swap_teams(plan: Plan, k: int, d: int, out: dict[int, list[int]], into: dict[int, list[int]]) -> None:
    for f in out:
        plan.clear_team(f, d, k)
    for f, team in into.items():
        plan.set_team(f, d, k, team)


def staff_plan(
    P: Prepared,
    day_plan: Plan,
    config: SolverConfig,
    deadline: float,
    report: Callable[[float, str], None],
    base: Plan | None = None,
) -> Plan:
    """A plan with the days of ``day_plan`` and fresh teams (module docstring).

    Officers of one department on one day are independent of every other (department,
    day), so where ``base`` (a complete plan, e.g. the greedy's) has exactly the same
    visits and tasks of a department on a day and no officer-day there spans two
    districts, its teams are kept as they are.  Every
    other (department, day) is first staffed greedily; where that leaves a visit
    unstaffed or an officer-day spanning two districts, and time remains, the CP-SAT
    staffing is tried too and the better of the two kept (fewer dropped tasks, then
    fewer spanning officer-days, then the more even load).  Where keeping ``base``'s
    teams for the visits that did not change and staffing only the others staffs every
    visit, that is a candidate too, kept at once when it spans no more officer-days
    than ``base`` and no time is left, else when it beats the other two.  The greedy
    pass always completes, so the plan is valid even when the deadline has passed.
    """
    plan = day_plan.copy_days()
    work = _department_day_work(P, plan)
    keys = sorted(work, key=lambda key: (key[1], key[0]))
    if base is not None:
        before = _department_day_work(P, base)
        changed = []
        for k, d in keys:
            if before.get((k, d)) == work[(k, d)] and not _day_spans(base, k, d):
                for f, _ in work[(k, d)]:
                    plan.set_team(f, d, k, base.teams[(f, d)][k])
            else:
                changed.append((k, d))
        keys = changed
    for done, (k, d) in enumerate(keys):
        visits = [
            (f, team_demand([(P.task_need[t], P.task_qual[t]) for t in tasks])) for f, tasks in work[(k, d)]
        ]
        visits.sort(key=lambda v: P.firm_ids[v[0]])
        patched = None
        if base is not None:
            patched = _patch_day(P, plan, base, k, d, work[(k, d)], before.get((k, d), ()), visits)
        if patched is not None:
            spans = _day_spans(plan, k, d)
            # no spanning officer-day, or no more than before and no time to do better
            if not spans or (spans <= _day_spans(base, k, d) and time.monotonic() > deadline - 0.5):
                continue
            patched_score = _score(plan, k, d, patched, [])
            _swap_teams(plan, k, d, patched, {})
        teams, failed = _staff_anew(P, plan, k, d, visits, config, deadline, len(keys) - done)
        if patched is not None and patched_score < _score(plan, k, d, teams, failed):
            # Keeping the unchanged visits' teams does better than staffing anew.
            _swap_teams(plan, k, d, teams, patched)
            teams, failed = patched, []
        for f in failed:
            _drop_unstaffable(P, plan, f, d, k)
        if done % 20 == 0:
            report(0.8 + 0.15 * done / max(1, len(keys)), f"staffing {done}/{len(keys)}")
    return plan


def _staff_anew(
    P: Prepared, plan: Plan, k: int, d: int, visits: list[tuple[int, dict]], config: SolverConfig,
    deadline: float, days_left: int,
) -> tuple[dict[int, list[int]], list[int]]:
    """Staff department k's visits of day d greedily; where that leaves a visit
    unstaffed or an officer-day spanning two districts and the time left allows, by
    CP-SAT too (``days_left`` department-days share that time), keeping the better
    (kept in the plan)."""
    teams, failed = _greedy_day(P, plan, k, d, visits)
    remaining = deadline - time.monotonic()
    # Building the CP-SAT staffing models takes time of its own (not covered by
    # their time limits), about 20 microseconds per visit and officer.
    building = 2e-5 * len(visits) * len(P.dept_officers[k])
    if remaining > 0.5 + building and (failed or _day_spans(plan, k, d)):
        greedy_score = _score(plan, k, d, teams, failed)
        _swap_teams(plan, k, d, teams, {})
        limit = min(5.0, remaining - 0.3, max(0.2, remaining / max(1, days_left) * 4))
        cp_teams, cp_failed = _solve_day(P, plan, k, d, visits, config, limit)
        if _score(plan, k, d, cp_teams, cp_failed) <= greedy_score:
            return cp_teams, cp_failed
        _swap_teams(plan, k, d, cp_teams, teams)
    return teams, failed


def _drop_unstaffable(P: Prepared, plan: Plan, f: int, d: int, k: int) -> None:
    """Keep what a team from the capacity left can still do at the visit (f, d): drop
    the hardest of department k's tasks there (qualified, then large teams) one at a
    time until a team is found."""
    mine = [t for t in plan.visit_tasks[(f, d)] if P.task_dept[t] == k]
    mine.sort(key=lambda t: (P.task_qual[t] is not None, P.task_need[t], P.task_ids[t]))
    kept = list(mine)
    while kept:
        team = staff_team(plan, f, d, k, kept)
        if team is not None:
            plan.set_team(f, d, k, team)
            break
        kept.pop()
    for t in mine[len(kept):]:
        plan.remove_task(t)
