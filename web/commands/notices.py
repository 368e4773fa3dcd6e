"""Notices (通知), for cron or by hand: send-notices."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import db
from ..notices import remind_now, send_due
from ._common import require_schema


@click.command("send-notices")
@click.option("--no-remind", is_flag=True, help="不生成随日期到期的提醒（检查预告、提交期限），只发送已有通知")
@with_appcontext
def send_notices_command(no_remind: bool):
    """发送到期的通知（邮件、短信）；发送失败的稍后重试（可由 cron 每分钟运行）。"""
    require_schema()
    app = current_app._get_current_object()
    if not no_remind:
        written = remind_now(db())
        click.echo(f"新增到期提醒 {written} 条")
    counts = send_due(app, db())
    click.echo(f"已发送 {counts['sent']} 条，稍后重试 {counts['retry']} 条，发送失败 {counts['failed']} 条，"
               f"无需发送 {counts['none']} 条（收件人未留邮箱、手机或未配置发送服务）")
    if not app.config["MAIL_SERVER"] and not app.config["SMS_GATEWAY_URL"]:
        click.echo("未配置 MAIL_SERVER 或 SMS_GATEWAY_URL：通知只显示在收件人的平台页面上")
