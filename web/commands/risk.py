"""The risk model: the ``risk`` group (train, show)."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from inspection import queries
from inspection.models import Department
from inspection.operations.door import import_hotline
from inspection.operations.risk import fresh_model, train
from inspection.pure import risk

from ..database import db
from ..presenters.risk import model_summary
from ._common import require_schema, transactional


@click.group("risk", cls=AppGroup)
def risk_group():
    """预警模型：训练、查看企业评分。"""


@risk_group.command("train")
@click.option("--test-year", type=int, default=None, help="检验年度（默认：最近一个完整年度）；之前的年度用于训练")
@click.option("--if-older", "if_older", type=int, default=None,
              help="现行版本训练不足 DAYS 天时不重新训练（供定时任务使用）")
@transactional
def risk_train_command(test_year: int | None, if_older: int | None):
    """以较早年度训练、最近年度检验，为每家企业评分并发布新版本。"""
    require_schema()
    if if_older is not None:
        current = fresh_model(db(), if_older)
        if current is not None:
            click.echo(f"现行预警模型版本 {current.version} 训练于 {current.trained_at:%Y-%m-%d}，"
                       f"未超过 {if_older} 天，不重新训练")
            return
    with tqdm(total=100, desc="预警模型", unit="%", file=sys.stderr) as bar:
        def report(fraction: float, message: str) -> None:
            bar.set_postfix_str(message[:30])
            bar.update(max(0, round(fraction * 100) - bar.n))
        model = train(db(), None, test_year=test_year, progress=report)
    summary = model_summary(model)
    click.echo(f"预警模型版本 {model.version} 已发布：以 {'、'.join(map(str, model.train_years))} 年训练，"
               f"{model.test_year} 年检验（{model.metrics['examples']} 次检查，AUC {summary['auc']}）")
    click.echo(f"  同等检查次数下每百次检查发现问题：风险加权 {summary['weighted_per_100']} 次，"
               f"按比例随机 {summary['random_per_100']} 次")
    click.echo(f"  同样的检查按评分排序：发现问题平均提前 {summary['days_earlier']} 天")
    click.echo(f"  已为 {model.scores} 个企业-部门组合评分（评分日 {model.scored_as_of}）")


@risk_group.command("show")
@click.argument("uscc")
def risk_show_command(uscc: str):
    """打印企业在现行预警模型下各部门的评分与主要因素。"""
    require_schema()
    firm = db().scalar(queries.firm_by_uscc(), {"uscc": uscc.strip().upper()})
    if firm is None:
        click.echo(f"没有统一社会信用代码为 {uscc} 的企业", err=True)
        sys.exit(1)
    model = db().scalar(queries.published_risk_model())
    if model is None:
        click.echo("尚无已发布的预警模型：请先运行 inspection risk train", err=True)
        sys.exit(1)
    click.echo(f"{firm.name}（{firm.uscc}）· 预警模型版本 {model.version}，评分日 {model.scored_as_of}")
    rows = sorted(db().scalars(queries.firm_risk_scores(model.id, firm.id)), key=lambda r: -r.score)
    names = {d.id: d.name for d in db().scalars(select(Department))}
    for row in rows:
        factors = "；".join(f"{risk.describe(name, value)}（{contribution:+.2f}）"
                            for name, value, contribution in row.factors)
        click.echo(f"  {names[row.department_id]}：{row.score * 100:.1f}%  主要因素：{factors}")
    if not rows:
        click.echo("  （没有相关部门的评分）")


@click.command("import-hotline")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", "department_code", required=True, help="工单派发到的部门编码")
@with_appcontext
@transactional
def import_hotline_command(file: Path, department_code: str):
    """导入派发给部门的 12345 热线工单（CSV，UTF-8，表头 hotline_no,uscc,received_on,summary）作为线索；
    任何一行有误则不导入任何工单。"""
    require_schema()
    department = db().scalar(select(Department).where(Department.code == department_code))
    if department is None:
        click.echo(f"错误：未知部门 {department_code}", err=True)
        sys.exit(1)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        click.echo(f"错误：无法读取 {file.name}（应为 UTF-8 编码的 CSV）：{exc}", err=True)
        sys.exit(1)
    leads = import_hotline(db(), None, department, rows)
    click.echo(f"已导入 12345 热线工单 {len(leads)} 条（{department.name}）")
