"""Exchange format: Instance/Solution JSON round trips, defaults, validation, files."""

from __future__ import annotations

import json

import pytest

from scheduler import Instance, Solution, SolverConfig, check_solution
from scheduler.generate import city_instance, small_instance
from scheduler.io import read_instance, solve_file


def test_instance_round_trip_through_json():
    instance = city_instance(120, seed=3)
    data = instance.to_dict()
    again = Instance.from_dict(json.loads(json.dumps(data)))
    assert again == instance
    assert again.to_dict() == data


def test_instance_keys_match_the_spec():
    data = small_instance(1).to_dict()
    assert set(data) == {"days", "firms", "officers", "tasks"}
    assert set(data["firms"][0]) == {"id", "district", "max_visits", "closed_days"}
    assert set(data["officers"][0]) == {"id", "department", "days", "capacity", "districts", "qualifications"}
    assert set(data["tasks"][0]) == {"id", "department", "firm", "window", "on_site", "officers_needed", "qualification"}


def test_optional_keys_take_their_defaults():
    instance = Instance.from_dict(
        {
            "days": ["2026-03-02"],
            "firms": [{"id": "F"}],
            "officers": [{"id": "o", "department": "market", "days": ["2026-03-02"]}],
            "tasks": [{"id": "t", "department": "market", "firm": "F", "window": ["2026-03-02", "2026-03-02"]}],
        }
    )
    firm, officer, task = instance.firms[0], instance.officers[0], instance.tasks[0]
    assert (firm.district, firm.max_visits, firm.closed_days) == (None, 1, ())
    assert (officer.capacity, officer.districts, officer.qualifications) == (1, None, ())
    assert (task.on_site, task.officers_needed, task.qualification) == (True, 1, None)


def test_solution_round_trip_through_json():
    data = {
        "status": "FEASIBLE",
        "visits": [{"firm": "91", "day": "2026-03-04", "tasks": ["t1", "t7"], "officers": {"market": ["o1", "o2"], "fire": ["o9"]}}],
        "unscheduled": [{"task": "t3", "reason": "窗口内企业无营业日"}],
        "stats": {"visits": 1, "lower_bound": 1, "seconds": 0.5, "penalties": {"visits": 1}},
    }
    solution = Solution.from_dict(json.loads(json.dumps(data, ensure_ascii=False)))
    assert solution.to_dict() == data


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["tasks"][0].update(firm="nowhere"), "unknown firm"),
        (lambda d: d["tasks"].append(dict(d["tasks"][0])), "duplicate task"),
        (lambda d: d["tasks"][0].update(window=["2026-03-06", "2026-03-02"]), "window starts after"),
        (lambda d: d["tasks"][0].update(officers_needed=0), "officers_needed"),
        (lambda d: d["tasks"][0].update(window=["2026-03-02"]), "window must be"),
    ],
)
def test_invalid_instances_are_refused(change, message):
    data = small_instance(2).to_dict()
    change(data)
    with pytest.raises(ValueError, match=message):
        Instance.from_dict(data)


def test_unknown_status_is_refused():
    with pytest.raises(ValueError):
        Solution.from_dict({"status": "DONE"})


def test_solver_config_validation():
    assert SolverConfig().time_limit == 30.0 and SolverConfig().workers == 1 and SolverConfig().seed == 0
    with pytest.raises(ValueError):
        SolverConfig(strategy="magic")
    with pytest.raises(ValueError):
        SolverConfig(time_limit=0)


def test_solve_file_reads_and_writes_utf8_json(tmp_path):
    data = small_instance(4).to_dict()
    for task in data["tasks"]:
        task["id"] = "检查任务-" + task["id"]
    source = tmp_path / "instance.json"
    target = tmp_path / "solution.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    solution = solve_file(source, target, time_limit=5, workers=1)
    written = target.read_text(encoding="utf-8")
    assert Solution.from_dict(json.loads(written)).to_dict() == solution.to_dict()
    assert check_solution(read_instance(source), solution) == []
    assert "检查任务-" in written and "\\u" not in written
