"""The draws' public records: export-draw, verify-draw."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from inspection.models import Draw, InspectionPlan
from inspection.operations.events import canonical_json
from inspection.pure.draws import verify_record

from ..database import db
from ._common import require_schema


def _draw_record_or_exit(plan_id: int) -> dict:
    plan = db().get(InspectionPlan, plan_id)
    if plan is None:
        click.echo(f"没有编号为 {plan_id} 的计划", err=True)
        sys.exit(1)
    if plan.draw is None:
        click.echo(f"计划 {plan_id}（{plan.status_label}）尚未抽取", err=True)
        sys.exit(1)
    return plan.draw.record


@click.command("export-draw")
@click.argument("plan_id", required=False, type=int)
@click.option("--all", "all_plans", is_flag=True, help="导出全部已抽取计划，每个计划一个 <计划编号>.json")
@click.option("--out", "out", type=click.Path(path_type=Path), help="--all 时为目录；否则为文件（默认打印）")
@with_appcontext
def export_draw_command(plan_id: int | None, all_plans: bool, out: Path | None):
    """打印或导出计划的抽取记录（格式见 docs/protocols/draws.md）。"""
    require_schema()
    if all_plans == (plan_id is not None):
        click.echo("请给出一个计划编号，或使用 --all --out 目录", err=True)
        sys.exit(2)
    if all_plans:
        if out is None:
            click.echo("--all 需要 --out 目录", err=True)
            sys.exit(2)
        out.mkdir(parents=True, exist_ok=True)
        count = 0
        for draw in db().scalars(select(Draw).order_by(Draw.plan_id)):
            (out / f"{draw.plan_id}.json").write_bytes(canonical_json(draw.record) + b"\n")
            count += 1
        click.echo(f"已导出 {count} 个抽取记录到 {out}")
        return
    record = _draw_record_or_exit(plan_id)
    text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"已导出计划 {plan_id} 的抽取记录到 {out}")


@click.command("verify-draw")
@click.argument("plan_id", type=int)
@with_appcontext
def verify_draw_command(plan_id: int):
    """按公开算法重新计算计划的抽取结果；与记录一致时退出码为 0。"""
    require_schema()
    record = _draw_record_or_exit(plan_id)
    plan = db().get(InspectionPlan, plan_id)
    problems = verify_record(record, plan.public_commitment)
    if problems:
        click.echo(f"计划 {plan_id} 的抽取记录校验失败：" + "；".join(problems), err=True)
        sys.exit(1)
    click.echo(f"计划 {plan_id} 的抽取记录校验通过：种子与备案承诺一致，抽取池 {len(record['pool'])} 家，"
               f"重新计算抽中 {len(record['selected'])} 家，与记录一致")
