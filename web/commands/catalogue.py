"""The catalogue of inspection items and the leniency lists: load-catalogue, export-catalogue, leniency."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from checklists.export import write_catalogue
from inspection import queries
from inspection.errors import DomainError
from inspection.operations.catalogue import load_catalogue_file
from inspection.operations.leniency import publish_list, read_list_file

from ..database import db
from ._common import require_schema, transactional


@click.command("load-catalogue")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--draft", is_flag=True, help="只载入为草稿，不发布")
@with_appcontext
@transactional
def load_catalogue_command(file: Path, draft: bool):
    """校验并发布检查事项清单文件（YAML）。文件有任何错误则不作任何更改。"""
    require_schema()
    result = load_catalogue_file(db(), None, file, publish=not draft)
    labels = {"published": "已发布", "draft": "已载入为草稿", "unchanged": "内容未变，无需更改"}
    click.echo(f"清单 {result.version}：{labels[result.status]}，事项 {result.items} 项"
               + (f"，较上一版新增 {result.added} 项、修改 {result.changed} 项" if result.status == "published" else "")
               + (f"，撤销旧版事项 {result.revoked} 项（{'、'.join(result.removed)}）" if result.revoked else "")
               + (f"，依据被撤销事项的 {result.plans_ended} 个在办计划已终止" if result.plans_ended else ""))


@click.command("export-catalogue")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--version", "version", default=None, help="清单版本（默认：现行发布版本）")
@with_appcontext
def export_catalogue_command(out: Path, version: str | None):
    """把清单导出为与载入相同格式的 YAML 文件。"""
    require_schema()
    try:
        count = write_catalogue(db(), out, version)
    except DomainError as err:
        click.echo(f"错误：{err.message}", err=True)
        sys.exit(1)
    click.echo(f"已导出 {count} 项事项到 {out}")


@click.group("leniency", cls=AppGroup)
def leniency_group():
    """包容审慎清单：发布、查看。"""


@leniency_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@transactional
def leniency_load_command(file: Path):
    """校验并发布一个部门的包容审慎清单（YAML）；有任何错误则不作更改并逐条列出。"""
    require_schema()
    data, node, label, sha256 = read_list_file(file)
    published, status = publish_list(db(), None, data, label=label, sha256=sha256, node=node)
    click.echo(f"{published.department.name}「{published.title}」版本 {published.version}："
               + ("已发布" if status == "published" else "内容未变，无需更改")
               + f"，条目 {len(published.entries)} 条")


@leniency_group.command("list")
def leniency_list_command():
    """列出已发布的包容审慎清单。"""
    require_schema()
    for row in db().scalars(queries.leniency_lists()):
        state = "现行" if row.status == "published" else "已替代"
        click.echo(f"{row.id:>4}  {row.department.code:<10} {row.version:<10} {state}  {row.title}"
                   f"（{len(row.entries)} 条）")
