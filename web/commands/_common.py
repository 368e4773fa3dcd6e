"""What the commands share: one commit per command, the schema check, progress bars."""
from __future__ import annotations

import functools
import sys

import click
from tqdm import tqdm

from inspection.db import has_schema
from inspection.errors import CatalogueFileInvalid, DomainError, ImportFileInvalid, LeniencyFileInvalid

from ..database import db


def transactional(func):
    """Commit when the command succeeds; on a domain error roll back, explain and exit 1."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        session = db()
        try:
            result = func(*args, **kwargs)
            session.commit()
            return result
        except (CatalogueFileInvalid, ImportFileInvalid, LeniencyFileInvalid) as err:
            session.rollback()
            click.echo(err.message, err=True)
            sys.exit(1)
        except DomainError as err:
            session.rollback()
            click.echo(f"错误：{err.message}", err=True)
            sys.exit(1)
        except BaseException:
            session.rollback()
            raise
    return wrapper


def require_schema() -> None:
    ready = has_schema(db().connection())
    db().rollback()  # hold no transaction: 'serve' runs for hours after this check
    if not ready:
        click.echo("数据库尚未初始化：请先运行 inspection init-db（或 inspection demo）", err=True)
        sys.exit(1)


def progress_bar():
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="%" if stage == "排程" else "条", file=sys.stderr,
                                     leave=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
    return progress
