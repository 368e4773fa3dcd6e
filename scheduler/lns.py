"""Large-neighbourhood search on visit days ("day model").

Firms interact only through officer capacity per (department, day, district), so the
day plan is improved by re-optimising a neighbourhood of firms at a time: a CP-SAT
sub-model holds the day choices of the free firms, their team slots per demand class
(``prepare.team_demand``), and for every (department, day) they touch the aggregated
officer capacity of ``constraints.capacity`` (Hall conditions, or group flows), with
the slots of all fixed firms as constants.  A one-visit firm (most firms) chooses one
"pattern": a day with every task that fits it (``visit_firm_pattern``); firms with more
visits get task-day variables (``constraints.visits``).  The current plan is the hint, the sub-model minimises
(unscheduled, visits) of the free firms, and its answer is accepted when not worse once
the tasks are counted that a greedy staffing of each changed (department, day) would
leave out (the aggregated capacity can place more than teams of distinct officers can
staff; those counts are kept per (department, day) and redone only where a move changes
the visits).  On large instances, like ``staffing.staff_plan`` without time for its
CP-SAT models, that count keeps the start plan's teams for the visits that did not
change where the others can then be staffed (nothing is left out then); otherwise it
staffs the whole (department, day) afresh.  A move undone that way is not the end of
its sub-model: the sub-model is solved again with one team slot fewer for its firms on
each (department, day) where staffing would have left tasks out (``STAFFING_RETRIES``
times at most), so that what staffing found steers the search instead of only vetoing it.

Neighbourhoods, chosen at random (seeded):
  * department-district: the firms with a task of one department in one district
    (sometimes with a second district whose firms the same officers serve), weighted
    toward pairs with tasks left out that their firm could have taken;
  * district-period: the firms of one district visited, or wanting a visit, within a
    few consecutive days;
  * congestion: firms competing with one left-out task for its department's
    officers on its window's days (half the time also those of a district sharing
    them), grown through the days those firms could move to.
Each is cut down at random to about ``SolverConfig.neighbourhood_vars`` day variables.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .bounds import LowerBounds, firm_lost_tasks
from .constraints.capacity import add_capacity_flows, add_capacity_hall
from .constraints.visits import add_visit_variables
from .flow import transport
from .model import SolverConfig
from .plan import Plan
from .prepare import ANY, Prepared, team_demand
from .staffing import _department_day_work, _greedy_day, _patch_day, staff_plan

__all__ = ["improve_days", "DemandLedger"]

PROBE_MAX_TASKS = 50000  # above this a greedy staffing probe costs too much time
STAFFING_SHARE = 0.35  # of the search's time, kept for staffing when the probe loses tasks

Key = tuple[int, int, str | None, str | None]  # (department, day, district, class)
# At most this many officers of a department that day: model each one.  On the 10,000-task city
# instance (solver seeds 1-6, 55 s) 24 left out 802.8 tasks on average against 806.2 with 16 (no
# department-day of that instance has 16 or fewer officers, 16 of its 160 have 24 or fewer); 32
# gave 802.8 too with larger sub-models, and 64 (every day) 810.5 in fewer sub-models.
SMALL_DAY = 24
# CP-SAT workers per sub-model.  On the same eight neighbourhoods of the 10,000-task
# benchmark, one worker (linearization level 2) proved five optimal in 0.5-1.2 s and
# found better answers for the other three in the 2 s limit; two workers proved only
# the first (in 0.7 s) and stopped at the limit on the rest, worse on every one.
SUBMODEL_WORKERS = 1
SUBMODEL_SECONDS = 2.0  # time limit of one sub-model
STAFFING_RETRIES = 2  # a sub-model whose move staffing undoes is solved again at most this often
BUDGET_GROWTH = 4.0  # neighbourhoods grow to at most this many times neighbourhood_vars


class DemandLedger:
    """Team slots per (department, day, district, class) of a day plan."""

    def __init__(self, P: Prepared, plan: Plan):
        self.P = P
        self.demand: dict[Key, int] = defaultdict(int)
        self.visits: dict[Key, int] = defaultdict(int)  # visits with slots of the class
        for f in range(len(P.firm_ids)):
            for key, slots in self.firm_demand(plan, f).items():
                self.demand[key] += slots
                self.visits[key] += 1

    def firm_demand(self, plan: Plan, f: int) -> dict[Key, int]:
        P = self.P
        out: dict[Key, int] = defaultdict(int)
        district = P.firm_district[f]
        for d in plan.firm_days[f]:
            needs: dict[int, list] = defaultdict(list)
            for t in plan.visit_tasks[(f, d)]:
                needs[P.task_dept[t]].append((P.task_need[t], P.task_qual[t]))
            for k, items in needs.items():
                for qualification, slots in team_demand(items).items():
                    out[(k, d, district, qualification)] += slots
        return out

    def apply(self, old: dict[Key, int], new: dict[Key, int]) -> None:
        """Replace a firm's slots ``old`` by ``new`` (a firm has one visit per day, so
        each key it has counts as one visit)."""
        for key, slots in old.items():
            self.demand[key] -= slots
            self.visits[key] -= 1
        for key, slots in new.items():
            self.demand[key] += slots
            self.visits[key] += 1


def _firm_objective(P: Prepared, plan: Plan, firms: list[int], weight: int) -> int:
    unscheduled = sum(1 for f in firms for t in P.firm_tasks[f] if P.feasible_mask[t] and plan.task_day[t] < 0)
    visits = sum(len(plan.firm_days[f]) for f in firms)
    return weight * unscheduled + visits


@dataclass(frozen=True)
class _Move:
    """What became of a sub-model's move: kept (``better`` when it lowered the objective), or undone because
    staffing would leave out more, with the (department, day) pairs where it would (``lost``)."""

    kept: bool
    better: bool = False
    lost: frozenset[tuple[int, int]] = frozenset()


@dataclass
class _SubModel:
    """A neighbourhood's CP-SAT model and what its parts collect: slots per key
    (``free_terms``), visits that may need a class (``count_terms``), hints, the
    objective's scheduled tasks and visits, the one-visit firms' patterns
    (firm, variable, day, tasks) and the other firms' visit and task-day variables."""

    model: cp_model.CpModel
    free_terms: dict[Key, list] = field(default_factory=lambda: defaultdict(list))
    count_terms: dict[Key, list] = field(default_factory=lambda: defaultdict(list))
    hints: list[tuple[cp_model.IntVar, int]] = field(default_factory=list)
    scheduled_terms: list = field(default_factory=list)
    visit_terms: list = field(default_factory=list)
    chosen_patterns: list[tuple[int, cp_model.IntVar, int, tuple[int, ...]]] = field(default_factory=list)
    visit_firm_day: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    assign_task_day: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)


class DayLNS:
    def __init__(self, P: Prepared, plan: Plan, config: SolverConfig, base: Plan | None = None):
        self.P = P
        self.plan = plan
        self.base = base  # a complete plan whose teams staffing keeps where it can
        self.base_work = _department_day_work(P, base) if base is not None else {}
        self.config = config
        self.rng = random.Random(config.seed)
        self.ledger = DemandLedger(P, plan)
        self.firm_vars = []
        for f in range(len(P.firm_ids)):
            count = bin(P.firm_candidate_mask[f]).count("1") + 1
            if P.firm_cap[f] > 1:
                count += sum(len(P.feasible_days[t]) for t in P.firm_tasks[f])
            self.firm_vars.append(count)
        self.active = [f for f in range(len(P.firm_ids)) if P.firm_candidate_mask[f] and P.firm_cap[f] > 0]
        self.firm_lost = [0] * len(P.firm_ids)
        for f in self.active:
            self.firm_lost[f] = firm_lost_tasks(P, f)
        # firms per (department, district), per district
        self.by_dept_district: dict[tuple[int, str | None], list[int]] = defaultdict(list)
        self.by_district: dict[str | None, list[int]] = defaultdict(list)
        for f in self.active:
            district = P.firm_district[f]
            self.by_district[district].append(f)
            for k in sorted({P.task_dept[t] for t in P.firm_tasks[f] if P.feasible_mask[t]}):
                self.by_dept_district[(k, district)].append(f)
        self.districts = sorted(self.by_district, key=lambda r: (r is None, r or ""))
        self.iterations = 0
        self.improvements = 0
        self._pattern_cache: dict[int, list] = {}
        self._flows: dict[tuple, dict] = {}
        self.budget = float(config.neighbourhood_vars)
        self.last_optimal = False
        self.rejected = 0  # moves undone because staffing would leave out more
        self.retried = 0  # sub-models solved again after such a move, with fewer slots where it lost
        self.infeasible = 0  # sub-models without a solution: the current plan breaks their capacity model
        # firms visited per (department, day), and what a greedy staffing leaves out there
        self.day_firms: dict[tuple[int, int], set[int]] = defaultdict(set)
        for (f, d), tasks in plan.visit_tasks.items():
            for t in tasks:
                self.day_firms[(P.task_dept[t], d)].add(f)
        self.staffing_loss: dict[tuple[int, int], int] = {}
        self._partners: dict[tuple[int, str | None], list[tuple[str | None, float]]] = {}

    # -- neighbourhoods ----------------------------------------------------------------

    def excess_unscheduled(self) -> list[int]:
        """Left-out tasks at firms that leave out more than their windows force."""
        P = self.P
        out = []
        for f in self.active:
            missing = [t for t in P.firm_tasks[f] if P.feasible_mask[t] and self.plan.task_day[t] < 0]
            if len(missing) > self.firm_lost[f]:
                out.extend(missing)
        return out

    def _cut(self, firms: list[int], must: list[int] = ()) -> list[int]:
        budget = int(self.budget)
        chosen: list[int] = []
        seen: set[int] = set()
        used = 0
        for f in list(must) + firms:
            if f in seen:
                continue
            if used + self.firm_vars[f] > budget and chosen:
                continue
            seen.add(f)
            chosen.append(f)
            used += self.firm_vars[f]
        return chosen

    def neighbourhood(self, excess: list[int]) -> tuple[str, list[int]]:
        P = self.P
        roll = self.rng.random()
        if excess and roll < 0.45:
            t = self.rng.choice(excess)
            return "congestion", self._congestion(t)
        if roll < 0.8 or not excess:
            must = []
            if excess and self.rng.random() < 0.7:
                t = self.rng.choice(excess)
                k, district = P.task_dept[t], P.firm_district[P.task_firm[t]]
                must = [P.task_firm[t]]
            else:
                k, district = self.rng.choice(list(self.by_dept_district))
            firms = list(self.by_dept_district[(k, district)])
            if self.rng.random() < 0.3 and len(self.districts) > 1:
                other = self._partner_district(k, district)
                firms += self.by_dept_district.get((k, other), [])
            self.rng.shuffle(firms)
            return "department-district", self._cut(firms, must)
        district = self.rng.choice(self.districts)
        length = self.rng.randint(3, 8)
        first = self.rng.randint(0, max(0, P.n_days - length))
        window = ((1 << length) - 1) << first
        firms = []
        for f in self.by_district[district]:
            if any(window >> d & 1 for d in self.plan.firm_days[f]):
                firms.append(f)
            elif P.firm_candidate_mask[f] & window and any(
                self.plan.task_day[t] < 0 for t in P.firm_tasks[f] if P.feasible_mask[t] & window
            ):
                firms.append(f)
        self.rng.shuffle(firms)
        return "district-period", self._cut(firms)

    def _partner_district(self, k: int, district: str | None) -> str | None:
        """Another district whose firms compete with ``district``'s for the department's
        officers: one drawn in proportion to the officers of ``k`` who cover both (an
        officer of every district counts less, spread over all of them); a district no
        officer shares is drawn at random.  A task left out in a district whose officers
        spend their slots elsewhere is won back by moving a visit in that other district,
        which only a neighbourhood holding both can do."""
        weights = self._partners.get((k, district))
        if weights is None:
            P = self.P
            share: dict[str | None, float] = defaultdict(float)
            for o in P.eligible(k, district, None):
                covered = P.officer_districts[o]
                if covered is None:
                    for other in self.districts:
                        share[other] += 1.0 / len(self.districts)
                else:
                    for other in covered:
                        share[other] += 1.0
            share.pop(district, None)
            weights = self._partners[(k, district)] = [
                (other, share[other]) for other in self.districts if share.get(other, 0) > 0
                and (k, other) in self.by_dept_district
            ]
        if not weights:
            return self.rng.choice(self.districts)
        return self.rng.choices([w[0] for w in weights], weights=[w[1] for w in weights])[0]

    def _congestion(self, t: int) -> list[int]:
        P = self.P
        f0 = P.task_firm[t]
        district = P.firm_district[f0]
        k = P.task_dept[t]
        days = P.feasible_mask[t]
        pool = self.by_dept_district[(k, district)]
        first = [f for f in pool if any(days >> d & 1 for d in self.plan.firm_days[f])]
        self.rng.shuffle(first)
        # Half the time, the firms of a district sharing the department's officers
        # that are visited on the task's days: they may hold the officers it needs.
        shared = []
        if self.rng.random() < 0.5 and len(self.districts) > 1:
            other = self._partner_district(k, district)
            shared = [f for f in self.by_dept_district.get((k, other), [])
                      if any(days >> d & 1 for d in self.plan.firm_days[f])]
            self.rng.shuffle(shared)
        # grow: firms that compete on the days the first ring could move to
        reach = 0
        for f in first[:50]:
            reach |= P.firm_candidate_mask[f]
        seen = set(first)
        second = [f for f in pool if f not in seen and any(reach >> d & 1 for d in self.plan.firm_days[f])]
        self.rng.shuffle(second)
        seen.update(second)
        rest = [f for f in pool if f not in seen]
        self.rng.shuffle(rest)
        return self._cut(first + shared + second + rest, [f0])

    # -- sub-model ---------------------------------------------------------------------

    def _flow(self, key: tuple, *problem) -> dict:
        """The current plan's flows of one (department, day), computed once for each
        demand it has had: most of the (department, day) pairs a neighbourhood touches
        have the same demand as in the last neighbourhoods that touched them, and their
        max-flows took a fifth of the search's time.  The key holds everything the flow
        depends on (the department, the day, the demand per class; the officers' or
        groups' supplies follow from the department and day)."""
        flows = self._flows.get(key)
        if flows is None:
            if len(self._flows) > 200_000:
                self._flows.clear()
            flows = self._flows[key] = transport(*problem) or {}
        return flows

    def _add_capacity(self, model, touched, free_terms, current, free_districts, count_terms, old_demands) -> set:
        """Capacity of every (department, day) the free firms touch.

        Few officers that day: every officer is his own supply, and his slots in a
        class are at most the visits needing it (a team takes distinct officers).
        Otherwise groups keep their current flows into classes of districts outside
        the neighbourhood (a max-flow of the current plan); what is left of their
        supply covers the classes of the neighbourhood's districts, through Hall's
        condition (or explicit flows when there are many classes).
        Returns the (department, day) pairs modelled per officer.
        """
        P = self.P
        classes_of: dict[tuple[int, int], set] = defaultdict(set)
        for (k, d, district, qualification), slots in self.ledger.demand.items():
            if slots > 0 and (k, d) in touched:
                classes_of[(k, d)].add((district, qualification))
        for (k, d, district, qualification) in free_terms:
            classes_of[(k, d)].add((district, qualification))
        free_visits: dict[Key, int] = defaultdict(int)
        for demand in old_demands.values():
            for key in demand:
                free_visits[key] += 1
        per_officer = set()
        for (k, d) in touched:
            classes = classes_of[(k, d)]
            officers = [o for o in P.dept_officers[k] if P.officer_days_mask[o] >> d & 1]
            if len(officers) <= SMALL_DAY:
                per_officer.add((k, d))
                demand = {}
                count = {}
                for c in classes:
                    key = (k, d) + c
                    demand[c] = (self.ledger.demand.get(key, 0) - current.get(key, 0), free_terms.get(key, []))
                    count[c] = (self.ledger.visits.get(key, 0) - free_visits.get(key, 0), count_terms.get(key, []))
                serves = {
                    o: {c for c in classes if P.covers(o, c[0]) and (c[1] is ANY or c[1] in P.officer_quals[o])}
                    for o in officers
                }
                edges = [(o, c) for o, cs in serves.items() for c in cs]
                now = {c: self.ledger.demand.get((k, d) + c, 0) for c in classes}
                visits_now = {c: self.ledger.visits.get((k, d) + c, 0) for c in classes}
                hints = self._flow(
                    ("officer", k, d, frozenset(now.items()), frozenset(visits_now.items())),
                    {o: P.officer_cap[o] for o in officers},
                    now,
                    edges,
                    {(o, c): visits_now[c] for (o, c) in edges},
                )
                add_capacity_flows(
                    model, k, d, demand, {o: P.officer_cap[o] for o in officers}, serves, hints, count, "officer"
                )
                continue
            groups = [g for g in P.dept_groups[k] if g.supply[d] > 0]
            serves = {g.index: {c for c in classes if g.covers(c[0]) and g.serves(c[1])} for g in groups}
            now = {c: self.ledger.demand.get((k, d) + c, 0) for c in classes}
            edges = [(g, c) for g, cs in serves.items() for c in cs]
            current_flow = self._flow(
                ("group", k, d, frozenset(now.items())),
                {g.index: g.supply[d] for g in groups},
                now,
                edges,
            )
            inside = {c for c in classes if c[0] in free_districts}
            residual = {g.index: g.supply[d] for g in groups}
            for (g, c), amount in current_flow.items():
                if c not in inside:
                    residual[g] -= amount
            demand = {}
            for c in inside:
                key = (k, d) + c
                demand[c] = (self.ledger.demand.get(key, 0) - current.get(key, 0), free_terms.get(key, []))
            inside_serves = {g: cs & inside for g, cs in serves.items()}
            if not add_capacity_hall(model, demand, residual, inside_serves):
                add_capacity_flows(model, k, d, demand, residual, inside_serves, current_flow)
        return per_officer

    def _add_distinct_officers(self, model, free_terms, count_terms, current, old_demands, skip) -> None:
        """A team takes distinct officers, so a class's slots in a district that day are
        at most sum over its eligible officers of min(capacity, visits needing the
        class) (Gale-Ryser).  Posted where few visits make it bind."""
        P = self.P
        free_visits: dict[Key, int] = defaultdict(int)
        for demand in old_demands.values():
            for key in demand:
                free_visits[key] += 1
        for key, terms in free_terms.items():
            k, d, district, qualification = key
            if (k, d) in skip:
                continue
            officers = [o for o in P.eligible(k, district, qualification) if P.officer_days_mask[o] >> d & 1]
            now = self.ledger.visits.get(key, 0)
            fixed = now - free_visits.get(key, 0)
            top = max((P.officer_cap[o] for o in officers), default=0)
            if fixed >= top:
                continue
            visits = fixed + sum(count_terms.get(key, []))
            capped = []
            for o in officers:
                supply_officer_class = model.NewIntVar(
                    0, P.officer_cap[o], f"supply_officer_class_{o}_{d}_{district}_{qualification}"
                )
                # An officer serves each visit at most once.
                model.Add(supply_officer_class <= visits)
                model.AddHint(supply_officer_class, min(P.officer_cap[o], now))
                capped.append(supply_officer_class)
            slots = self.ledger.demand.get(key, 0) - current.get(key, 0)
            # The class's slots need that many distinct-officer visits.
            model.Add(slots + sum(terms) <= sum(capped))

    def _patterns(self, f: int) -> list[tuple[int, tuple[int, ...], dict[Key, int]]]:
        """Visit patterns of a one-visit firm: (day, tasks, slots per class).

        One per candidate day with every task that fits it, plus the firm's current
        visit when it leaves out tasks that would fit (so the current plan is always
        one of the choices).
        """
        P = self.P
        cached = self._pattern_cache.get(f)
        if cached is None:
            cached = []
            district = P.firm_district[f]
            for d in P.mask_days(P.firm_candidate_mask[f]):
                tasks = tuple(t for t in P.firm_tasks[f] if P.feasible_mask[t] >> d & 1)
                cached.append((d, tasks, _slots(P, district, d, tasks)))
            self._pattern_cache[f] = cached
        patterns = list(cached)
        for d in self.plan.firm_days[f]:
            tasks = tuple(sorted(self.plan.visit_tasks[(f, d)]))
            if not any(p[0] == d and p[1] == tasks for p in patterns):
                patterns.append((d, tasks, _slots(P, P.firm_district[f], d, tasks)))
        return patterns

    def solve_neighbourhood(self, firms: list[int], time_limit: float, deadline: float = 0.0) -> bool:
        """Re-optimise the days of ``firms`` with all others fixed (module docstring);
        True when the plan got better (a move that is not worse is kept too).  A move
        that staffing undoes is solved again, before ``deadline``, with fewer team
        slots where staffing would have left tasks out (``STAFFING_RETRIES`` times)."""
        P = self.P
        plan = self.plan
        sub = _SubModel(cp_model.CpModel())
        single = [f for f in firms if P.firm_cap[f] == 1]
        multi = [f for f in firms if P.firm_cap[f] > 1]
        self._add_single_visit_firms(sub, single)
        self._add_multi_visit_firms(sub, multi)
        if not sub.visit_terms:
            return False

        # Fixed slots: everything in the ledger minus the free firms' current slots.
        current, old_demands = self._free_demand(firms)
        free_districts = {P.firm_district[f] for f in firms}
        touched = {(k, d) for (k, d, _, _) in sub.free_terms}
        per_officer = self._add_capacity(
            sub.model, touched, sub.free_terms, current, free_districts, sub.count_terms, old_demands
        )
        self._add_distinct_officers(sub.model, sub.free_terms, sub.count_terms, current, old_demands, per_officer)

        # Objective: unscheduled tasks dominate visits.
        weight = len(sub.visit_terms) + 1
        n_tasks = sum(1 for f in firms for t in P.firm_tasks[f] if P.feasible_mask[t])
        sub.model.Minimize(weight * (n_tasks - sum(sub.scheduled_terms)) + sum(sub.visit_terms))
        for var, value in sub.hints:
            sub.model.AddHint(var, value)

        before = _firm_objective(P, plan, firms, weight)
        for attempt in range(1 + STAFFING_RETRIES):
            if attempt and time.monotonic() + time_limit > deadline:
                return False
            solver, status = self._solve_submodel(sub.model, time_limit)
            self.last_optimal = status == cp_model.OPTIMAL
            if status == cp_model.INFEASIBLE:
                self.infeasible += 1
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return False
            value = int(round(solver.ObjectiveValue()))
            if value > before:
                return False
            move = self._try_move(firms, solver, sub, touched, old_demands, weight, value, before)
            if move.kept:
                return move.better
            if not self._cut_staffing(sub, solver, move.lost, current):
                return False
            self.retried += 1
        return False

    def _cut_staffing(self, sub: _SubModel, solver: cp_model.CpSolver, grown: frozenset[tuple[int, int]],
                      current: dict[Key, int]) -> bool:
        """After a move that staffing undid: for each (department, day) where it would leave out more, the
        free firms may take at most one team slot fewer there than the undone move gave them (never fewer
        than they hold now, so the current plan stays a solution). False when no such cut removes the move."""
        cut = False
        for k, d in sorted(grown):
            terms = [term for key, ts in sub.free_terms.items() if key[:2] == (k, d) for term in ts]
            used = sum(solver.Value(term) for term in terms)
            held = sum(slots for key, slots in current.items() if key[:2] == (k, d))
            if used - 1 >= held:
                sub.model.Add(sum(terms) <= used - 1)
                cut = True
        return cut

    def _add_single_visit_firms(self, sub: _SubModel, single: list[int]) -> None:
        """One-visit firms: choose at most one visit pattern."""
        plan = self.plan
        for f in single:
            options = []
            current = {(d, tuple(sorted(plan.visit_tasks[(f, d)]))) for d in plan.firm_days[f]}
            for i, (d, tasks, slots) in enumerate(self._patterns(f)):
                pattern = sub.model.NewBoolVar(f"visit_firm_pattern_{f}_{i}")
                options.append(pattern)
                sub.chosen_patterns.append((f, pattern, d, tasks))
                sub.hints.append((pattern, (d, tasks) in current))
                sub.scheduled_terms.append(len(tasks) * pattern)
                sub.visit_terms.append(pattern)
                for key, amount in slots.items():
                    sub.free_terms[key].append(amount * pattern)
                    sub.count_terms[key].append(pattern)
            # One visit at most.
            sub.model.AddAtMostOne(options)

    def _add_multi_visit_firms(self, sub: _SubModel, multi: list[int]) -> None:
        """Firms with more visits: day variables per task and visit, and the team
        slots of every department on every candidate visit."""
        P = self.P
        plan = self.plan
        add_visit_variables(sub.model, P, multi, sub.visit_firm_day, sub.assign_task_day)
        sub.scheduled_terms.extend(sub.assign_task_day.values())
        sub.visit_terms.extend(sub.visit_firm_day.values())
        for (f, d), y in sub.visit_firm_day.items():
            sub.hints.append((y, d in plan.firm_days[f]))
        for (t, d), x in sub.assign_task_day.items():
            sub.hints.append((x, plan.task_day[t] == d))
        for f in multi:
            district = P.firm_district[f]
            for d in P.mask_days(P.firm_candidate_mask[f]):
                by_department: dict[int, list[int]] = defaultdict(list)
                for t in P.firm_tasks[f]:
                    if (t, d) in sub.assign_task_day:
                        by_department[P.task_dept[t]].append(t)
                for k, tasks in by_department.items():
                    if len(tasks) == 1:
                        t = tasks[0]
                        x = sub.assign_task_day[(t, d)]
                        sub.free_terms[(k, d, district, P.task_qual[t])].append(P.task_need[t] * x)
                        sub.count_terms[(k, d, district, P.task_qual[t])].append(x)
                        continue
                    self._add_team_slots(sub, f, d, k, district, tasks)

    def _add_team_slots(self, sub: _SubModel, f: int, d: int, k: int, district: str | None, tasks: list[int]) -> None:
        """Team slots per class of department k's team if firm f is visited on day d
        (``tasks``: its two or more tasks that may be done then), hinted with the
        current visit's."""
        P = self.P
        plan = self.plan
        assign_task_day = sub.assign_task_day
        current_slots = {}
        if d in plan.firm_days[f]:
            on_visit = [t for t in tasks if plan.task_day[t] == d]
            current_slots = team_demand([(P.task_need[t], P.task_qual[t]) for t in on_visit])
        qualified: dict[str, list[int]] = defaultdict(list)
        plain = []
        for t in tasks:
            (qualified[P.task_qual[t]] if P.task_qual[t] is not None else plain).append(t)
        team_qualified = []
        for qualification, members in qualified.items():
            top = max(P.task_need[t] for t in members)
            slots = sub.model.NewIntVar(0, top, f"team_slots_{f}_{d}_{k}_{qualification}")
            for t in members:
                # Qualified members for every qualified task on the visit.
                sub.model.Add(slots >= P.task_need[t] * assign_task_day[(t, d)])
            team_qualified.append(slots)
            sub.hints.append((slots, current_slots.get(qualification, 0)))
            sub.free_terms[(k, d, district, qualification)].append(slots)
            self._count_visit(sub, (k, d, district, qualification), slots, members, d, current_slots)
        if plain:
            top = max(P.task_need[t] for t in plain)
            rest = sub.model.NewIntVar(0, top, f"team_slots_{f}_{d}_{k}_any")
            for t in plain:
                # The team is as large as its largest task needs.
                sub.model.Add(rest + sum(team_qualified) >= P.task_need[t] * assign_task_day[(t, d)])
            sub.free_terms[(k, d, district, ANY)].append(rest)
            sub.hints.append((rest, current_slots.get(ANY, 0)))
            self._count_visit(sub, (k, d, district, ANY), rest, plain, d, current_slots)

    @staticmethod
    def _count_visit(sub: _SubModel, key: Key, slots, members: list[int], d: int, current_slots: dict) -> None:
        """Count the visit among those with slots of the class ``key`` only when it has some and does one
        of the class's tasks (``members``).  The visits that count bound each officer's slots in the class
        (one per visit); counting a visit the plan will not give slots of the class would let the sub-model
        place more than the plan, once applied, allows, and every later sub-model touching that
        (department, day) would have no solution."""
        counted = sub.model.NewBoolVar(f"visit_counted_{key}")
        # Counted only with slots of the class, and with one of its tasks done on the visit.
        sub.model.Add(counted <= slots)
        sub.model.Add(counted <= sum(sub.assign_task_day[(t, d)] for t in members))
        sub.count_terms[key].append(counted)
        sub.hints.append((counted, int(current_slots.get(key[3], 0) > 0)))

    def _free_demand(self, firms: list[int]) -> tuple[dict[Key, int], dict[int, dict[Key, int]]]:
        """The free firms' current slots: in total per key, and per firm."""
        current: dict[Key, int] = defaultdict(int)
        old_demands = {}
        for f in firms:
            old_demands[f] = self.ledger.firm_demand(self.plan, f)
            for key, slots in old_demands[f].items():
                current[key] += slots
        return current, old_demands

    def _solve_submodel(self, model: cp_model.CpModel, time_limit: float) -> tuple[cp_model.CpSolver, int]:
        """Solve a sub-model (seeded from the search's random stream) with one CP-SAT
        worker (``SUBMODEL_WORKERS``)."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        solver.parameters.num_workers = SUBMODEL_WORKERS
        solver.parameters.random_seed = self.rng.randrange(1 << 30)
        solver.parameters.linearization_level = 2
        status = solver.Solve(model)
        return solver, status

    def _try_move(
        self,
        firms: list[int],
        solver: cp_model.CpSolver,
        sub: _SubModel,
        touched: set[tuple[int, int]],
        old_demands: dict[int, dict[Key, int]],
        weight: int,
        value: int,
        before: int,
    ) -> _Move:
        """Apply the sub-model's days to the plan and keep them unless the tasks a
        greedy staffing leaves out make the move worse: then the old days return, and
        the answer names the (department, day) pairs where staffing would leave out more."""
        P = self.P
        plan = self.plan
        for key in touched | {(k, d) for demand in old_demands.values() for (k, d, _, _) in demand}:
            if key not in self.staffing_loss:
                self.staffing_loss[key] = self._staffing_loss(*key, self.day_firms[key])
        old_days = [(t, plan.task_day[t]) for f in firms for t in P.firm_tasks[f] if plan.task_day[t] >= 0]
        self._apply_days(firms, solver, sub)
        new_demands = {f: self.ledger.firm_demand(plan, f) for f in firms}
        # The sub-model's capacity is aggregated: where teams of distinct officers
        # cannot staff what it placed, staffing would take tasks out again.  Each
        # (department, day) whose visits changed is staffed greedily; the move counts
        # the tasks that staffing leaves out, and is undone when that makes it worse.
        day_firms = self._changed_day_firms(firms, old_demands, new_demands)
        losses = {key: self._staffing_loss(*key, members) for key, members in day_firms.items()}
        gained = sum(losses.values()) - sum(self.staffing_loss[key] for key in losses)
        after = value + weight * gained
        if after > before:
            for f in firms:
                for t in P.firm_tasks[f]:
                    plan.remove_task(t)
            for t, d in old_days:
                plan.add_task(t, d)
            self.rejected += 1
            return _Move(kept=False, lost=frozenset(key for key, loss in losses.items() if loss > self.staffing_loss[key]))
        self.staffing_loss.update(losses)
        for key, members in day_firms.items():
            self.day_firms[key] = members
        for f in firms:
            self.ledger.apply(old_demands[f], new_demands[f])
        return _Move(kept=True, better=after < before)

    def _apply_days(self, firms: list[int], solver: cp_model.CpSolver, sub: _SubModel) -> None:
        """Replace the free firms' task days in the plan with the sub-model's."""
        P = self.P
        plan = self.plan
        for f in firms:
            for t in P.firm_tasks[f]:
                plan.remove_task(t)
        for _f, pattern, d, tasks in sub.chosen_patterns:
            if solver.BooleanValue(pattern):
                for t in tasks:
                    plan.add_task(t, d)
        for (t, d), x in sub.assign_task_day.items():
            if solver.BooleanValue(x):
                plan.add_task(t, d)

    def _changed_day_firms(
        self,
        firms: list[int],
        old_demands: dict[int, dict[Key, int]],
        new_demands: dict[int, dict[Key, int]],
    ) -> dict[tuple[int, int], set[int]]:
        """Firms visited per (department, day) after the move, for the (department,
        day) pairs whose visits it changed."""
        day_firms: dict[tuple[int, int], set[int]] = {}
        for f in firms:
            if new_demands[f] == old_demands[f]:
                continue
            for (k, d, _, _) in list(old_demands[f]) + list(new_demands[f]):
                day_firms.setdefault((k, d), set(self.day_firms[(k, d)]))
        for f in firms:
            for (k, d, _, _) in old_demands[f]:
                if (k, d) in day_firms:
                    day_firms[(k, d)].discard(f)
            for (k, d, _, _) in new_demands[f]:
                if (k, d) in day_firms:
                    day_firms[(k, d)].add(f)
        return day_firms

    def _staffing_loss(self, k: int, d: int, firms: set[int]) -> int:
        """Tasks of department k on day d that a greedy staffing of the day plan leaves
        out (the plan's teams are cleared again after).  As in ``staff_plan``, the
        base plan's teams of visits that did not change are kept where the others can
        then be staffed: no task is left out there."""
        P, plan = self.P, self.plan
        visits = []
        now = []
        for f in sorted(firms, key=lambda f: P.firm_ids[f]):
            tasks = [t for t in plan.visit_tasks.get((f, d), ()) if P.task_dept[t] == k]
            if tasks:
                visits.append((f, team_demand([(P.task_need[t], P.task_qual[t]) for t in tasks])))
                now.append((f, tuple(sorted(tasks))))
        if self.base is not None:
            patched = _patch_day(P, plan, self.base, k, d, sorted(now), self.base_work.get((k, d), ()), visits)
            if patched is not None:
                for f in patched:
                    plan.clear_team(f, d, k)
                return 0
        teams, failed = _greedy_day(P, plan, k, d, visits)
        for f in teams:
            plan.clear_team(f, d, k)
        return sum(1 for f in failed for t in plan.visit_tasks[(f, d)] if P.task_dept[t] == k)


def _slots(P: Prepared, district: str | None, d: int, tasks: tuple[int, ...]) -> dict[Key, int]:
    """Team slots per (department, day, district, class) of a visit doing ``tasks``."""
    needs: dict[int, list] = defaultdict(list)
    for t in tasks:
        needs[P.task_dept[t]].append((P.task_need[t], P.task_qual[t]))
    out: dict[Key, int] = {}
    for k, items in needs.items():
        for qualification, slots in team_demand(items).items():
            out[(k, d, district, qualification)] = slots
    return out


def improve_days(
    P: Prepared,
    start: Plan,
    config: SolverConfig,
    deadline: float,
    bounds: LowerBounds,
    report: Callable[[float, str], None],
) -> tuple[Plan, dict]:
    """Improve the day plan of ``start`` until the LNS share of the time is used up."""
    begin = time.monotonic()
    # Keep time for staffing (only the (department, day) pairs the search changed are
    # re-staffed, greedily first; about 50 microseconds a task measured) and the final
    # passes.
    reserve = max(0.05 * (deadline - begin), 5e-5 * P.n_tasks + 0.5)
    stop = deadline - reserve
    if stop - begin < 1.0:
        return start, {"lns_iterations": 0, "lns_improvements": 0}  # no time for a search
    plan = start.copy_days()
    # Large instances leave the CP-SAT staffing no time to win back what a greedy
    # staffing leaves out: there staffing keeps the start's teams where it can, and
    # the search counts the tasks left out the same way.  Smaller ones count them
    # against a greedy staffing of the start's days from scratch.
    lns = DayLNS(P, plan, config, base=start if P.n_tasks > PROBE_MAX_TASKS else None)
    # Where the aggregated capacity of the sub-models is far from what teams of
    # distinct officers can do (tight days, large teams), staffing drops tasks the
    # search placed and needs the CP-SAT staffing to win them back.  A third of the
    # way in, a greedy staffing of the current day plan measures that loss; a large
    # one moves time from the search to the staffing.
    probe_at = begin + 0.3 * (stop - begin) if P.n_tasks <= PROBE_MAX_TASKS else None
    while time.monotonic() < stop - 0.2:
        if plan.unscheduled_count() <= bounds.unscheduled and plan.visit_count() <= bounds.visits:
            break
        excess = lns.excess_unscheduled()
        whole = sum(lns.firm_vars[f] for f in lns.active) <= lns.budget
        if whole:
            kind, firms = "everything", list(lns.active)
        else:
            kind, firms = lns.neighbourhood(excess)
        if not firms:
            break
        remaining = stop - time.monotonic()
        limit = min(remaining, SUBMODEL_SECONDS)
        began = time.monotonic()
        improved = lns.solve_neighbourhood(firms, limit, stop - 0.2)
        # Adapt the neighbourhood size: grow while sub-models are solved quickly.
        if lns.last_optimal and time.monotonic() - began < 0.5 * limit:
            lns.budget = min(BUDGET_GROWTH * config.neighbourhood_vars, lns.budget * 1.15)
        elif not lns.last_optimal:
            lns.budget = max(300.0, lns.budget * 0.85)
        lns.iterations += 1
        if improved:
            lns.improvements += 1
        if whole and lns.last_optimal:
            break  # the day model is solved to optimality
        if probe_at is not None and time.monotonic() > probe_at:
            probe_at = None
            probe = staff_plan(P, plan, config, time.monotonic(), lambda fraction, message: None, base=start)
            lost = probe.unscheduled_count() - plan.unscheduled_count()
            if lost > max(5, 0.01 * plan.unscheduled_count()):
                stop = min(stop, deadline - STAFFING_SHARE * (deadline - begin))
        fraction = 0.05 + 0.75 * (time.monotonic() - begin) / max(1e-9, stop - begin)
        report(fraction, f"lns {lns.iterations}: {plan.unscheduled_count()} unscheduled, {plan.visit_count()} visits")
    extra = {
        "lns_iterations": lns.iterations,
        "lns_improvements": lns.improvements,
        "lns_rejected_by_staffing": lns.rejected,
        "lns_retried": lns.retried,
        "lns_infeasible": lns.infeasible,
        "lns_unscheduled": plan.unscheduled_count(),
        "lns_visits": plan.visit_count(),
    }
    return plan, extra
