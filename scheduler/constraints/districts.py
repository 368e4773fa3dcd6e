"""District spanning: an officer-day spans more than one district when the officer
visits firms of two or more districts that day (objective term 3)."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from ..prepare import Prepared


def add_spanning(
    model: cp_model.CpModel,
    P: Prepared,
    assign_officer_visit: dict[tuple[int, int, int], cp_model.IntVar],
    span_officer_day: dict[tuple[int, int], cp_model.IntVar],
) -> None:
    by_officer_day: dict[tuple[int, int], dict[str | None, list]] = defaultdict(lambda: defaultdict(list))
    for (o, f, d), a in assign_officer_visit.items():
        by_officer_day[(o, d)][P.firm_district[f]].append(a)
    for (o, d), districts in by_officer_day.items():
        if len(districts) < 2:
            continue
        used = []
        for district, visits in districts.items():
            officer_day_district = model.NewBoolVar(f"officer_day_district_{o}_{d}_{district}")
            # The officer works in the district that day if he is on any visit there.
            for a in visits:
                model.AddImplication(a, officer_day_district)
            used.append(officer_day_district)
        span = span_officer_day[(o, d)] = model.NewBoolVar(f"span_officer_day_{o}_{d}")
        # Two or more districts in one day make a spanning officer-day.
        model.Add(sum(used) <= 1 + (len(used) - 1) * span)
