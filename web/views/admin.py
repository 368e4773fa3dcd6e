"""Admin pages: uploading the firm registry and officer list (docs/file-formats.md), downloading them back."""
from __future__ import annotations

import io
import tempfile
import uuid
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from inspection.errors import DomainError
from inspection.models import ImportRun
from inspection.operations.import_runs import queue_import
from inspection.operations.imports import export_firms, export_officers

from .. import files
from ..auth import roles_required
from ..database import db
from ..jobs import live_progress, submit_import_run
from .blueprint import bp
from .outcomes import refused

KIND_LABELS = {"firms": "企业名录", "officers": "执法人员"}
EXPORTERS = {"firms": export_firms, "officers": export_officers}


@bp.get("/admin/imports")
@roles_required("admin")
def imports():
    runs = db().scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(20)).all()
    return render_template("admin/imports.html", runs=runs, kinds=KIND_LABELS)


@bp.post("/admin/imports")
@roles_required("admin")
def upload():
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 CSV 或 XLSX 文件", "error")
        return redirect(url_for("views.imports"))
    # Kept under its own name (messages cite it), in a folder of its own (no clash, no path tricks).
    name = Path(upload.filename.replace("\\", "/")).name or "upload"
    stored = files.folder("uploads") / uuid.uuid4().hex / name
    try:
        run = queue_import(db(), current_user, kind, upload.filename, stored)
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.imports"))
    stored.parent.mkdir(parents=True, exist_ok=True)
    upload.save(stored)
    submit_import_run(run, current_user)
    return redirect(url_for("views.import_run", run_id=run.id))


@bp.get("/admin/imports/<int:run_id>")
@roles_required("admin")
def import_run(run_id: int):
    run = db().get(ImportRun, run_id)
    if run is None:
        abort(404)
    live = live_progress("import", run.id)
    return render_template("admin/import_run.html", run=run, kinds=KIND_LABELS, live=live)


@bp.get("/admin/exports/<kind>.<fmt>")
@roles_required("admin")
def export(kind: str, fmt: str):
    if kind not in EXPORTERS or fmt not in ("csv", "xlsx"):
        abort(404)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.{fmt}"
        EXPORTERS[kind](db(), path)
        data = path.read_bytes()
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"{KIND_LABELS[kind]}.{fmt}")
