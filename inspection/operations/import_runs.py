"""Uploads of the firm registry and officer list, imported outside the request that received them."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from ..errors import DomainError, InvalidInput, NotPermitted
from ..models import ImportRun, User
from ..pure.imports import MAX_KEPT
from .events import append_event, utcnow
from .imports import import_firms, import_officers

IMPORTERS = {"firms": import_firms, "officers": import_officers}
ALLOWED_SUFFIXES = (".csv", ".xlsx")


def queue_import(session: Session, actor: User, kind: str, filename: str, stored_path: Path) -> ImportRun:
    if actor.role != "admin":
        raise NotPermitted("只有系统管理员可以导入企业名录和执法人员")
    if kind not in IMPORTERS:
        raise InvalidInput("导入类型应为企业名录或执法人员", fields={"kind": "未知类型"})
    if Path(filename).suffix.lower() not in ALLOWED_SUFFIXES:
        raise InvalidInput("只支持 CSV 或 XLSX 文件", fields={"file": "只支持 CSV 或 XLSX 文件"})
    run = ImportRun(kind=kind, filename=Path(filename).name[:200], stored_path=str(stored_path), status="queued",
                    progress=0.0, message="排队中", counts={}, problems=[], created_by_id=actor.id,
                    created_at=utcnow())
    session.add(run)
    session.flush()
    return run


def run_import(session: Session, run: ImportRun, actor: User | None,
               progress: Callable[[str, int, int], None] | None = None) -> ImportRun:
    """Import the stored file; on any refusal the caller rolls back and calls :func:`fail_import`."""
    run.status = "running"
    counts = IMPORTERS[run.kind](session, actor, Path(run.stored_path), progress=progress)
    run.status, run.progress, run.counts, run.finished_at = "done", 1.0, counts, utcnow()
    run.message = (f"导入完成：共 {counts['rows']} 行，新增 {counts['created']}，更新 {counts['updated']}，"
                   f"未变 {counts['unchanged']}")
    session.flush()
    return run


def fail_import(session: Session, run: ImportRun, actor: User | None, error: DomainError) -> ImportRun:
    """Record why a file was refused; nothing of it was written."""
    run.status, run.finished_at = "failed", utcnow()
    run.problems = list(error.fields.get("problems", []))[:MAX_KEPT]
    run.counts = {"problems": error.fields.get("problem_count", len(run.problems))}
    run.message = error.message.split("\n", 1)[0]
    session.flush()
    append_event(session, actor, "import.refused", f"import:{run.id}",
                 {"kind": run.kind, "file": run.filename, "problems": run.counts["problems"]})
    return run
