"""Officer capacity: visits per officer and day (exact model), and the aggregated
capacity flows of the day model.

Day model: officers of one department with equal districts and qualifications form a
group whose capacity on day d is the sum of their capacities.  A group's capacity flows
to demand classes (district r, class c) it can serve: c is ANY (any officer of the
department) or a qualification the group holds.  Every class's demand (the team slots
of the visits, see ``prepare.team_demand``) must be covered by the flows into it.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from ..prepare import Prepared


def add_officer_capacity(
    model: cp_model.CpModel,
    P: Prepared,
    assign_officer_visit: dict[tuple[int, int, int], cp_model.IntVar],
) -> None:
    per_officer_day: dict[tuple[int, int], list] = defaultdict(list)
    for (o, f, d), a in assign_officer_visit.items():
        per_officer_day[(o, d)].append(a)
    for (o, d), visits in per_officer_day.items():
        # No officer exceeds his capacity (visits per day) on any day.
        if len(visits) > P.officer_cap[o]:
            model.Add(sum(visits) <= P.officer_cap[o])


def add_capacity_flows(
    model: cp_model.CpModel,
    P: Prepared,
    k: int,
    d: int,
    demand: dict[tuple[str | None, str | None], tuple[int, list]],
    flow_group_class: dict[tuple, cp_model.IntVar],
) -> None:
    """Cover department k's demand on day d by group flows.

    ``demand`` maps each class (district, qualification or ANY) to (fixed slots,
    list of linear terms of the free part).
    """
    groups = [g for g in P.dept_groups[k] if g.supply[d] > 0]
    inflow: dict[tuple, list] = defaultdict(list)
    for g in groups:
        outs = []
        for (district, qualification) in demand:
            if g.covers(district) and g.serves(qualification):
                flow = model.NewIntVar(0, g.supply[d], f"flow_group_class_{g.index}_{d}_{district}_{qualification}")
                flow_group_class[(g.index, d, district, qualification)] = flow
                outs.append(flow)
                inflow[(district, qualification)].append(flow)
        # A group cannot give more visits than its officers' capacities that day.
        if outs:
            model.Add(sum(outs) <= g.supply[d])
    for key, (fixed, terms) in demand.items():
        # Each demand class is covered by the groups that can serve it.
        model.Add(fixed + sum(terms) <= sum(inflow.get(key, [])))


def add_capacity_hall(
    model: cp_model.CpModel,
    demand: dict[tuple[str | None, str | None], tuple[int, list]],
    supply: dict[int, int],
    serves: dict[int, set[tuple[str | None, str | None]]],
    max_classes: int = 6,
) -> bool:
    """Cover the demand classes by group supplies through Hall's condition.

    A transport from groups to classes exists iff every set S of classes demands no
    more than the groups serving some class of S supply.  Posting that for every
    subset needs no flow variables; it is used when there are at most ``max_classes``
    classes (2^n - 1 constraints).  Returns False (posting nothing) otherwise.
    """
    classes = list(demand)
    if len(classes) > max_classes:
        return False
    for subset in range(1, 1 << len(classes)):
        chosen = [classes[i] for i in range(len(classes)) if subset >> i & 1]
        available = sum(amount for g, amount in supply.items() if any(c in serves[g] for c in chosen))
        fixed = sum(demand[c][0] for c in chosen)
        terms = [term for c in chosen for term in demand[c][1]]
        if not terms:
            continue
        # Hall: the classes in this set need no more slots than their groups have.
        model.Add(fixed + sum(terms) <= available)
    return True
