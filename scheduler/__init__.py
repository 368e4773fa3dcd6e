"""Combined inspection scheduling ("综合查一次") with OR-Tools CP-SAT.

Departments that must inspect the same firm go together, once.  A pure leaf package:
standard library and ortools only.

    from scheduler import Instance, SolverConfig, solve, check_solution
    solution = solve(Instance.from_dict(data), SolverConfig(time_limit=30))
    assert check_solution(instance, solution) == []
"""

from .bounds import lower_bound, unscheduled_lower_bound
from .check import check_solution
from .model import Firm, Instance, Officer, Solution, SolverConfig, Task, Unscheduled, Visit
from .solver import solve

__all__ = [
    "solve",
    "Instance",
    "Solution",
    "SolverConfig",
    "check_solution",
    "lower_bound",
    "unscheduled_lower_bound",
    "Firm",
    "Officer",
    "Task",
    "Visit",
    "Unscheduled",
]
