"""check_solution names every broken rule (it is written apart from the solver)."""

from __future__ import annotations

import copy

import pytest

from scheduler import Instance, Solution, check_solution
from scheduler.check import RULES

DAYS = ["2026-03-02", "2026-03-03", "2026-03-04"]


def _instance() -> Instance:
    return Instance.from_dict(
        {
            "days": DAYS,
            "firms": [
                {"id": "F1", "district": "east", "max_visits": 1, "closed_days": ["2026-03-04"]},
                {"id": "F2", "district": "west", "max_visits": 2, "closed_days": []},
            ],
            "officers": [
                {"id": "m1", "department": "market", "days": DAYS, "capacity": 1, "districts": ["east"], "qualifications": ["food"]},
                {"id": "m2", "department": "market", "days": DAYS[:2], "capacity": 2, "districts": None, "qualifications": []},
                {"id": "f1", "department": "fire", "days": DAYS, "capacity": 2, "districts": ["east", "west"], "qualifications": []},
            ],
            "tasks": [
                {"id": "t1", "department": "market", "firm": "F1", "window": ["2026-03-02", "2026-03-03"], "on_site": True, "officers_needed": 1, "qualification": "food"},
                {"id": "t2", "department": "fire", "firm": "F1", "window": ["2026-03-02", "2026-03-04"], "on_site": True, "officers_needed": 1, "qualification": None},
                {"id": "t3", "department": "market", "firm": "F2", "window": ["2026-03-02", "2026-03-04"], "on_site": True, "officers_needed": 1, "qualification": None},
                {"id": "t4", "department": "fire", "firm": "F2", "window": ["2026-03-04", "2026-03-04"], "on_site": True, "officers_needed": 1, "qualification": None},
                {"id": "t5", "department": "market", "firm": "F2", "window": ["2026-03-02", "2026-03-04"], "on_site": False, "officers_needed": 1, "qualification": None},
            ],
        }
    )


def _valid() -> Solution:
    return Solution.from_dict(
        {
            "status": "FEASIBLE",
            "visits": [
                {"firm": "F1", "day": "2026-03-02", "tasks": ["t1", "t2"], "officers": {"market": ["m1"], "fire": ["f1"]}},
                {"firm": "F2", "day": "2026-03-03", "tasks": ["t3"], "officers": {"market": ["m2"]}},
            ],
            "unscheduled": [{"task": "t4", "reason": "officers of department fire are at capacity"}],
            "stats": {"visits": 2, "lower_bound": 3, "seconds": 0.0},
        }
    )


def _rules(errors: list[str]) -> set[str]:
    return {line.split(":", 1)[0] for line in errors}


def test_valid_solution_passes():
    assert check_solution(_instance(), _valid()) == []


def test_every_message_starts_with_a_known_rule():
    solution = _valid()
    solution.visits[0].officers["market"] = ["m2", "m2", "ghost"]
    solution.visits[0].day = "2026-03-09"
    solution.status = "DONE"
    for line in check_solution(_instance(), solution):
        assert line.split(":", 1)[0] in RULES


def _broken(change) -> set[str]:
    solution = copy.deepcopy(_valid())
    change(solution)
    return _rules(check_solution(_instance(), solution))


def test_officer_over_capacity():
    def change(s):
        # m1 (capacity 1) also on F2's visit on the same day as F1's
        s.visits[1].day = "2026-03-02"
        s.visits[1].officers["market"] = ["m1"]
        s.visits[1].officers["market"] = ["m1"]

    assert "officer_capacity" in _broken(change)


def test_officer_over_capacity_message_names_officer_and_day():
    solution = copy.deepcopy(_valid())
    solution.visits[1].day = "2026-03-02"
    solution.visits[1].officers["market"] = ["m1"]
    errors = [e for e in check_solution(_instance(), solution) if e.startswith("officer_capacity")]
    assert errors and "m1" in errors[0] and "2026-03-02" in errors[0]


def test_closed_day():
    def change(s):
        s.visits[0].day = "2026-03-04"
        s.visits[0].tasks = ["t2"]
        s.visits[0].officers = {"fire": ["f1"]}
        s.unscheduled.append(type(s.unscheduled[0])("t1", "moved"))

    assert "closed_day" in _broken(change)


def test_out_of_window():
    def change(s):
        s.visits[1].tasks = ["t3", "t4"]
        s.visits[1].officers["fire"] = ["f1"]
        s.unscheduled = []

    assert "window" in _broken(change)


def test_missing_task():
    def change(s):
        s.unscheduled = []

    rules = _broken(change)
    assert "missing_task" in rules


def test_wrong_department():
    def change(s):
        s.visits[1].officers = {"market": ["f1"]}

    rules = _broken(change)
    assert "wrong_department" in rules
    assert "officers_needed" in rules


def test_unqualified_officer():
    def change(s):
        s.visits[0].officers["market"] = ["m2"]

    rules = _broken(change)
    assert "qualification" in rules
    assert "officers_needed" not in rules


def test_two_visits_same_firm_day():
    def change(s):
        s.visits[1].day = "2026-03-02"
        s.visits[1].officers = {"market": ["m2"]}
        extra = copy.deepcopy(s.visits[1])
        extra.tasks = []
        extra.officers = {}
        s.visits.append(extra)
        s.stats["visits"] = 3

    rules = _broken(change)
    assert "duplicate_visit" in rules
    assert "empty_visit" in rules


def test_max_visits_exceeded():
    def change(s):
        s.visits[0].tasks = ["t1"]
        s.visits[0].officers = {"market": ["m1"]}
        s.visits.append(
            type(s.visits[0])(firm="F1", day="2026-03-03", tasks=["t2"], officers={"fire": ["f1"]})
        )
        s.stats["visits"] = 3

    assert "max_visits" in _broken(change)


def test_officer_district_and_day():
    def change(s):
        # m1 covers only east; F2 is west.  m2 does not work on 2026-03-04.
        s.visits[1].officers = {"market": ["m1"]}
        s.visits.append(type(s.visits[0])(firm="F2", day="2026-03-04", tasks=["t4"], officers={"fire": ["f1"]}))
        s.visits[1].day = "2026-03-04"
        s.visits[1].tasks = ["t3"]
        s.visits[1].officers = {"market": ["m2"]}
        s.unscheduled = []
        s.stats["visits"] = 3

    rules = _broken(change)
    assert "officer_day" in rules
    assert "duplicate_visit" in rules

    def elsewhere(s):
        s.visits[1].officers = {"market": ["m1"]}

    assert "officer_district" in _broken(elsewhere)


def test_off_site_task_in_visit_and_in_unscheduled():
    def in_visit(s):
        s.visits[1].tasks.append("t5")

    def unscheduled(s):
        s.unscheduled.append(type(s.unscheduled[0])("t5", "off site"))

    assert "off_site_task" in _broken(in_visit)
    assert "off_site_task" in _broken(unscheduled)


def test_task_twice_and_both_places():
    def twice(s):
        s.visits[1].tasks.append("t3")

    def both(s):
        s.unscheduled.append(type(s.unscheduled[0])("t3", "also here"))

    assert "task_twice" in _broken(twice)
    assert "scheduled_and_unscheduled" in _broken(both)


def test_unknown_ids_empty_reason_department_without_task_and_stats():
    def change(s):
        s.visits[1].officers["fire"] = ["f1"]
        s.visits[1].officers["market"].append("nobody")
        s.visits[1].tasks.append("t99")
        s.visits.append(type(s.visits[0])(firm="F9", day="2026-03-03", tasks=["t99"], officers={}))
        s.unscheduled[0].reason = " "

    rules = _broken(change)
    assert {"department_without_task", "unknown_officer", "unknown_task", "unknown_firm", "unscheduled_reason", "stats"} <= rules


def test_team_counts_once_for_two_tasks_of_one_department():
    instance = _instance()
    solution = _valid()
    # t3 and a second market task at F2 on one visit share m2.
    data = instance.to_dict()
    data["tasks"].append(dict(data["tasks"][2], id="t6", officers_needed=1))
    instance = Instance.from_dict(data)
    solution.visits[1].tasks.append("t6")
    assert check_solution(instance, solution) == []


@pytest.mark.parametrize("status", ["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"])
def test_statuses_allowed(status):
    solution = _valid()
    solution.status = status
    assert check_solution(_instance(), solution) == []
