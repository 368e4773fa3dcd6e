"""Setting up and running the platform: init-db, demo, serve, worker."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from waitress import serve

from core import clock
from inspection.db import schema_is_current, upgrade
from inspection.demo.city import DEMO_PASSWORD, HISTORY_YEARS, build_demo_city, demo_accounts
from inspection.operations.reference import DEFAULT_CITY, load_city
from inspection.pure.calendar import is_working_time, next_working_morning, working_hours

from .. import jobs
from ..database import db
from ..local_mail import LocalMailServer
from ..notices import start_sender
from ._common import progress_bar, require_schema, transactional


def _init_db(city: Path) -> dict:
    upgrade(db().connection())
    return load_city(db(), None, city)


def _serve(app: Flask, host: str, port: int, *, local_mail: bool = False) -> None:
    db().close()  # the command's own session must hold no transaction while the server runs
    mail = _local_mail(app) if local_mail else None
    if app.config["NOTICE_SENDER_WEB"]:
        start_sender(app)
    click.echo(f"平台已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    try:
        serve(app, host=host, port=port, threads=8, ident="inspection")
    finally:
        if mail is not None:
            mail.stop()


def _local_mail(app: Flask) -> LocalMailServer | None:
    """Without MAIL_SERVER the demo receives its own e-mail: a local SMTP server on 127.0.0.1 keeps each
    notice sent in the instance folder's ``mail/`` and says so on the console."""
    if app.config["MAIL_SERVER"]:
        return None
    folder = Path(app.instance_path) / "mail"

    def said(message) -> None:
        click.echo(f"[演示邮件] 致 {message['To']}：{message['Subject']}")

    server = LocalMailServer(folder=folder, on_message=said).start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_SECURITY="",
                      MAIL_FROM=app.config["MAIL_FROM"] or "通知 <noreply@inspection.example>")
    click.echo(f"演示邮件服务器：{server.host}:{server.port}，收到的通知邮件保存在 {folder}")
    return server


def _print_accounts() -> None:
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for account in demo_accounts():
        click.echo(f"  {account.username:<12} {account.role:<11} {account.who}")


def _say_when_outside_working_hours() -> None:
    """The door is closed at night and at weekends: say how to try it now with the demo clock."""
    local = clock.local_now()
    if is_working_time(local):
        return
    start, end = working_hours()
    morning = next_working_morning(local)
    click.echo(f"现在是 {local:%Y-%m-%d %H:%M}（本地时间），不在工作日 {start:%H:%M}–{end:%H:%M} 之内："
               "入企检查只排在工作日的工作时间。")
    click.echo(f"要现在试用现场检查，可让演示平台的时钟从下一个工作日上午开始走：\n"
               f"  INSPECTION_NOW={morning.isoformat(timespec='minutes')} inspection demo")


@click.command("init-db")
@click.option("--city", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_CITY,
              show_default=True, help="城市基础数据文件（区县、执法部门）")
@with_appcontext
@transactional
def init_db_command(city: Path):
    """创建或升级数据库结构，并载入城市基础数据。"""
    created = _init_db(city)
    click.echo(f"数据库已就绪：新增区县 {created['districts']} 个、部门 {created['departments']} 个")


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="只生成演示数据，不启动服务")
@click.option("--seed", default=20260301, show_default=True, help="随机种子")
@click.option("--firms", default=6000, show_default=True, help="企业数量")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-local-mail", is_flag=True, help="不启动本机演示邮件服务器（未设置 MAIL_SERVER 时通知只显示在页面上）")
@with_appcontext
def demo_command(no_serve: bool, seed: int, firms: int, host: str, port: int, no_local_mail: bool):
    """生成演示城市（已存在则只补齐缺少的部分），然后启动服务。"""
    _build_demo(seed, firms)
    _print_accounts()
    _say_when_outside_working_hours()
    if not no_serve:
        _serve(current_app._get_current_object(), host, port, local_mail=not no_local_mail)


@transactional
def _build_demo(seed: int, firms: int):
    _init_db(DEFAULT_CITY)
    summary = build_demo_city(db(), seed=seed, firms=firms, progress=progress_bar(),
                              evidence_folder=Path(current_app.config["FILES_FOLDER"]) / "evidence")
    click.echo(f"演示城市已就绪：企业 {summary.get('firms', '已存在')}，执法人员 {summary.get('officers', '已存在')}，"
               f"清单 {summary['catalogue']['version']}（{summary['catalogue']['items']} 项）")
    if summary.get("risk_model"):
        click.echo(f"预警模型版本 {summary['risk_model']} 已用 {len(HISTORY_YEARS)} 个历史年度训练并发布；"
                   f"包容审慎清单 {summary['leniency']} 份")
    if "alerts" in summary:
        click.echo(f"审查规则已运行：监督预警 {summary['alerts']} 条待处理")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--local-mail", is_flag=True, help="未设置 MAIL_SERVER 时，启动本机演示邮件服务器接收通知邮件")
@with_appcontext
def serve_command(host: str, port: int, local_mail: bool):
    """启动服务（使用已配置的数据库）。"""
    require_schema()
    current = schema_is_current(db().connection())
    db().rollback()
    if not current:
        click.echo("数据库结构需要升级到当前版本：请先运行 inspection init-db", err=True)
        sys.exit(1)
    _serve(current_app._get_current_object(), host, port, local_mail=local_mail)


@click.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
@with_appcontext
def worker_command(burst: bool):
    """运行后台任务进程（排程），需设置 REDIS_URL；可在多台主机上各运行若干个。"""
    try:
        jobs.work(current_app._get_current_object(), burst=burst)
    except RuntimeError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
