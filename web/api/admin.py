"""Progress of background imports, for the page that polls it."""
from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from inspection.models import ImportRun

from ..auth import roles_required
from ..database import db
from ..jobs import live_progress
from .schemas import ImportRunSchema

PREFIX = ""
blp = Blueprint("api_admin", __name__, description="数据导入")


@blp.get("/import-runs/<int:run_id>")
@roles_required("admin")
@blp.response(200, ImportRunSchema)
def get_import_run(run_id: int):
    run = db().get(ImportRun, run_id)
    if run is None:
        abort(404)
    live = live_progress("import", run.id)
    if live and run.status in ("queued", "running"):
        return {**ImportRunSchema().dump(run), "progress": live[0], "message": live[1]}
    return run
