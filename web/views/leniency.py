"""Flexible-enforcement lists (包容审慎: 不予处罚、减轻处罚、从轻处罚、从重处罚清单): a department publishes
its list from a YAML file; published lists are public."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inspection import queries
from inspection.errors import DomainError, InvalidInput, LeniencyFileInvalid
from inspection.models import CONDITIONS, TREATMENT_LABELS
from inspection.operations.leniency import publish_list, read_list_bytes

from ..auth import roles_required
from ..database import db
from .blueprint import bp
from .outcomes import refused, undo

MAX_LIST_BYTES = 2 * 1024 * 1024


@bp.get("/leniency")
@roles_required("department")
def leniency():
    rows = db().scalars(queries.leniency_lists(current_user.department_id)).all()
    return render_template("leniency/manage.html", lists=rows, problems=[])


@bp.post("/leniency")
@roles_required("department")
def leniency_upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要发布的清单文件（YAML）", "error")
        return redirect(url_for("views.leniency"))
    raw = upload.read(MAX_LIST_BYTES + 1)
    try:
        if len(raw) > MAX_LIST_BYTES:
            raise InvalidInput("清单文件不能超过 2 MB", fields={"file": "超过 2 MB"})
        data, node, label, sha256 = read_list_bytes(raw, upload.filename)
        published, status = publish_list(db(), current_user, data, label=label, sha256=sha256, node=node)
    except LeniencyFileInvalid as err:
        undo(err)
        rows = db().scalars(queries.leniency_lists(current_user.department_id)).all()
        return render_template("leniency/manage.html", lists=rows, problems=err.problems,
                               error=err.message.splitlines()[0]), err.status
    except DomainError as err:
        refused(err)
        return redirect(url_for("views.leniency"))
    flash(f"清单「{published.title}」版本 {published.version}" + ("已发布，旧版本同时失效" if status == "published"
                                                                 else "与已发布的内容相同，未作更改"), "success")
    return redirect(url_for("views.public_leniency_list", list_id=published.id))


@bp.get("/public/leniency")
def public_leniency():
    rows = db().scalars(queries.leniency_lists()).all()
    return render_template("leniency/lists.html", lists=rows)


@bp.get("/public/leniency/<int:list_id>")
def public_leniency_list(list_id: int):
    found = db().scalar(queries.leniency_list(list_id))
    if found is None:
        abort(404)
    return render_template("leniency/list.html", list=found, conditions=CONDITIONS, treatments=TREATMENT_LABELS)
