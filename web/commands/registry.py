"""The registers of firms and officers: import-firms, import-officers, export-firms, export-officers."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from inspection.operations.imports import export_firms, export_officers, import_firms, import_officers

from ..database import db
from ._common import progress_bar, require_schema, transactional


def _import_summary(what: str, counts: dict) -> str:
    return (f"{what}导入完成：共 {counts['rows']} 行，新增 {counts['created']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}")


@click.command("import-firms")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@transactional
def import_firms_command(file: Path):
    """导入企业名录（CSV 或 XLSX：uscc,name,district,industry,credit_class,tags,address）。
    全部行校验通过才写入；按统一社会信用代码更新，不会重复。"""
    require_schema()
    counts = import_firms(db(), None, file, progress=progress_bar())
    click.echo(_import_summary("企业", counts))


@click.command("import-officers")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@transactional
def import_officers_command(file: Path):
    """导入执法人员（CSV 或 XLSX：certificate_no,name,department,valid_from,valid_to,districts）。"""
    require_schema()
    counts = import_officers(db(), None, file, progress=progress_bar())
    click.echo(_import_summary("执法人员", counts))


@click.command("export-firms")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_firms_command(out: Path):
    """按导入格式导出全部企业（.csv 或 .xlsx）。"""
    require_schema()
    click.echo(f"已导出 {export_firms(db(), out)} 家企业到 {out}")


@click.command("export-officers")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_officers_command(out: Path):
    """按导入格式导出全部执法人员（.csv 或 .xlsx）。"""
    require_schema()
    click.echo(f"已导出 {export_officers(db(), out)} 名执法人员到 {out}")
