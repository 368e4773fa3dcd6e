"""File entry point for the platform's CLI: JSON in, JSON out (UTF-8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .model import Instance, Solution, SolverConfig
from .solver import solve

__all__ = ["read_instance", "write_solution", "solve_file"]


def read_instance(path: str | Path) -> Instance:
    with open(path, encoding="utf-8") as handle:
        return Instance.from_dict(json.load(handle))


def write_solution(solution: Solution, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(solution.to_dict(), handle, ensure_ascii=False, indent=2)
        handle.write("\n")


def solve_file(
    in_path: str | Path,
    out_path: str | Path,
    time_limit: float | None = None,
    workers: int | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Solution:
    """Read an instance from ``in_path``, solve it, write the solution to ``out_path``."""
    instance = read_instance(in_path)
    config = SolverConfig()
    if time_limit is not None:
        config.time_limit = float(time_limit)
    if workers is not None:
        config.workers = int(workers)
    solution = solve(instance, config, progress)
    write_solution(solution, out_path)
    return solution
