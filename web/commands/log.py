"""The event log: export-log, verify-log, log-head, seal-log."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from inspection.operations.events import (
    SEAL_BATCH,
    canonical_json,
    chain_head,
    iter_records,
    queued_count,
    seal_queued,
    verify_chain,
)

from ..database import db
from ._common import require_schema


@click.command("export-log")
@click.option("--since", default=0, show_default=True, help="只导出序号大于此值的记录")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_log_command(since: int, out: Path):
    """导出完整的事件日志（每行一条 JSON 记录，含操作人、对象、内容与 salt；格式见 docs/protocols/event-log.md）。"""
    require_schema()
    count = 0
    with out.open("wb") as fh:
        for record in iter_records(db(), since):
            fh.write(canonical_json(record) + b"\n")
            count += 1
    click.echo(f"已导出 {count} 条记录到 {out}")


@click.command("verify-log")
@with_appcontext
def verify_log_command():
    """校验事件日志（第 1、2 版记录）的 digest 与哈希链；完整时退出码为 0，否则指出第一条问题记录。"""
    require_schema()
    ok, count, problem, bad_seq = verify_chain(db())
    if ok:
        queued = queued_count(db())
        click.echo(f"事件日志完整：共 {count} 条记录，哈希链无断点"
                   + (f"；另有 {queued} 条记录已提交、待入链（inspection seal-log）" if queued else ""))
        return
    click.echo(f"事件日志校验失败：{problem}（第一条问题记录：序号 {bad_seq}）", err=True)
    sys.exit(1)


@click.command("log-head")
@with_appcontext
def log_head_command():
    """打印事件日志链头（序号与哈希），供外部留存比对。"""
    require_schema()
    seq, digest = chain_head(db())
    click.echo(json.dumps({"seq": seq, "hash": digest}))


@click.command("seal-log")
@with_appcontext
def seal_log_command():
    """把已提交、待入链的记录按提交顺序封入哈希链（网站进程会自动完成；停机维护或降级前运行）。"""
    require_schema()
    session, sealed = db(), 0
    while True:
        n = seal_queued(session, SEAL_BATCH)
        session.commit()
        sealed += n
        if n < SEAL_BATCH:
            break
    seq, _digest = chain_head(session)
    click.echo(f"已封入 {sealed} 条记录；链头序号 {seq}")
