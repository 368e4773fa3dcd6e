"""Officer capacity: visits per officer and day (exact model), and the aggregated
capacity of the day model.

Day model: officers of one department with equal districts and qualifications form a
group whose capacity on day d is the sum of their capacities.  Capacity goes to demand
classes (district r, class c) a source can serve: c is ANY (any officer of the
department) or a qualification the source holds.  Every class's demand (the team slots
of the visits, see ``prepare.team_demand``) must be covered: through Hall's condition
on the groups (no extra variables), or through explicit flows from groups or, when a
department has few officers that day, from single officers.
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
    for (o, _f, d), a in assign_officer_visit.items():
        per_officer_day[(o, d)].append(a)
    for (o, _d), visits in per_officer_day.items():
        # No officer exceeds his capacity (visits per day) on any day.
        if len(visits) > P.officer_cap[o]:
            model.Add(sum(visits) <= P.officer_cap[o])


def add_capacity_flows(
    model: cp_model.CpModel,
    k: int,
    d: int,
    demand: dict[tuple[str | None, str | None], tuple[int, list]],
    supply: dict[int, int],
    serves: dict[int, set[tuple[str | None, str | None]]],
    hints: dict[tuple[int, tuple[str | None, str | None]], int],
    visits: dict[tuple[str | None, str | None], tuple[int, list]] | None = None,
    kind: str = "group",
) -> None:
    """Cover department k's demand classes on day d by explicit flows.

    ``demand`` maps each class (district, qualification or ANY) to (fixed slots, linear
    terms of the free part); ``supply`` is each source's capacity (a group of
    officers, or one officer when ``kind`` is "officer").  With ``visits`` (per class:
    fixed count, terms of the free part) one source's flow into a class is at most
    the visits needing it: an officer counts once per visit.
    """
    inflow: dict[tuple, list] = defaultdict(list)
    for g, classes in serves.items():
        outs = []
        for c in classes:
            flow = model.NewIntVar(0, max(0, supply[g]), f"flow_{kind}_class_{g}_{d}_{c[0]}_{c[1]}")
            model.AddHint(flow, hints.get((g, c), 0))
            outs.append(flow)
            inflow[c].append(flow)
            if visits is not None and c in visits:
                fixed, terms = visits[c]
                # One slot per visit and officer.
                model.Add(flow <= fixed + sum(terms))
        # A source cannot give more visits than its capacity that day.
        if outs:
            model.Add(sum(outs) <= max(0, supply[g]))
    for c, (fixed, terms) in demand.items():
        # Each demand class is covered by the sources that can serve it.
        model.Add(fixed + sum(terms) <= sum(inflow.get(c, [])))


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
