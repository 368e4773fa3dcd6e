"""Oversight runs, for cron: audit, rebuild-facts, sweep-offsite, advance-notices."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from core import clock
from inspection.models import ALERT_RULES
from inspection.operations.alerts import audit_start, refresh_alerts
from inspection.operations.documents import issue_advance_notices
from inspection.operations.facts import rebuild_facts
from inspection.operations.offsite import sweep_requests

from ..database import db
from ._common import require_schema, transactional


@click.command("audit")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="审查窗口起始日期（默认：上一年 1 月 1 日）")
@with_appcontext
@transactional
def audit_command(since):
    """运行全部监督审查规则，为新发现的情形生成预警（可由 cron 定时运行）。"""
    require_schema()
    today = clock.today()
    raised = refresh_alerts(db(), today=today, since=since.date() if since else None)
    click.echo(f"审查窗口自 {since.date() if since else audit_start(today)} 起；新增预警 {sum(raised.values())} 条")
    for rule, n in raised.items():
        click.echo(f"  {ALERT_RULES[rule]}：{n}")


@click.command("rebuild-facts")
@with_appcontext
@transactional
def rebuild_facts_command():
    """按原始记录重新生成监督统计表（批量导入历史数据后运行）。"""
    require_schema()
    visits, items = rebuild_facts(db())
    click.echo(f"已重新生成监督统计：入企 {visits} 行，检查事项 {items} 行")


@click.command("sweep-offsite")
@with_appcontext
@transactional
def sweep_offsite_command():
    """非现场核查到期处理：逾期未提交材料的提醒企业并标记，达到事项公布规则的转为现场检查（可由 cron 每日运行）。"""
    require_schema()
    counts = sweep_requests(db(), today=clock.today())
    click.echo(f"已提醒逾期企业 {counts['reminded']} 家，按规则转现场检查 {counts['escalated']} 项")


@click.command("advance-notices")
@with_appcontext
@transactional
def advance_notices_command():
    """开具检查预告的检查通知书：计划规定提前告知的已确认入企，进入预告期后提前向企业送达（可由 cron 每日运行）。"""
    require_schema()
    issued = issue_advance_notices(db(), clock.today())
    click.echo(f"已提前开具检查通知书 {len(issued)} 份")
    for document in issued:
        click.echo(f"  {document.number} {document.title}")
