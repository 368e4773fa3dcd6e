"""The joint schedule: the ``schedule`` group (solve, build)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from tqdm import tqdm

import scheduler
from inspection.errors import NotFound
from inspection.models import InspectionPlan
from inspection.operations.schedules import BuildOptions, execute_run, start_build

from ..database import db
from ._common import require_schema, transactional


@click.group("schedule", cls=AppGroup)
def schedule_group():
    """综合查一次：排程（交换格式见 docs/protocols/schedule-exchange.md）。"""


@schedule_group.command("solve")
@click.argument("instance", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--time-limit", type=float, default=None, help="求解时间上限（秒）")
@click.option("--workers", type=int, default=None, help="求解线程数")
def schedule_solve_command(instance: Path, out: Path, time_limit: float | None, workers: int | None):
    """求解一个排程实例文件（不使用数据库），把解写入 --out。"""
    try:
        data = json.loads(instance.read_text(encoding="utf-8"))
        problem = scheduler.Instance.from_dict(data)
    except OSError as exc:
        click.echo(f"无法读取实例文件 {instance}：{exc.strerror}", err=True)
        sys.exit(1)
    except (ValueError, KeyError, TypeError) as exc:
        click.echo(f"实例文件 {instance} 不符合交换格式（见 docs/protocols/schedule-exchange.md）：{exc}", err=True)
        sys.exit(1)
    config = scheduler.SolverConfig()
    if time_limit is not None:
        config.time_limit = time_limit
    if workers is not None:
        config.workers = workers
    with tqdm(total=100, desc="排程", unit="%", file=sys.stderr) as bar:
        def report(fraction: float, message: str) -> None:
            bar.set_postfix_str(message[:40])
            bar.update(max(0, round(fraction * 100) - bar.n))
        solution = scheduler.solve(problem, config, report)
    out.write_text(json.dumps(solution.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    stats = solution.stats
    click.echo(f"{solution.status}：入企 {stats.get('visits')} 次（下界 {stats.get('lower_bound')}），"
               f"未排定任务 {len(solution.unscheduled)} 项，用时 {stats.get('seconds', 0):.1f} 秒；已写入 {out}")


@schedule_group.command("build")
@click.argument("plan_id", type=int)
@click.option("--time-limit", type=float, default=20.0, show_default=True, help="求解时间上限（秒）")
@transactional
def schedule_build_command(plan_id: int, time_limit: float):
    """为计划所在期间生成联合排程（与同期其他部门已抽取的计划合并）。"""
    require_schema()
    plan = db().get(InspectionPlan, plan_id)
    if plan is None:
        raise NotFound(f"没有编号为 {plan_id} 的计划")
    run = start_build(db(), None, plan)
    with tqdm(total=100, desc="排程", unit="%", file=sys.stderr) as bar:
        def report(fraction: float, message: str) -> None:
            bar.update(max(0, round(fraction * 100) - bar.n))
        execute_run(db(), run, BuildOptions(time_limit=time_limit), report)
    click.echo(run.message)
    for item in run.unscheduled[:20]:
        click.echo(f"  未排定：任务 {item['task']}（企业 {item['firm']}）：{item['reason']}")
