"""Flexible-enforcement lists (包容审慎: 不予处罚、减轻处罚、从轻处罚、从重处罚清单): a department publishes
its list from a YAML file; published lists are public."""
from __future__ import annotations

import hashlib
import json
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inspection import queries
from inspection.errors import DomainError, InvalidInput, LeniencyFileInvalid
from inspection.models import CONDITIONS, TREATMENT_LABELS
from inspection.operations.leniency import list_data, publish_list, read_list_bytes

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


# -- The list in a form: the same checks as a file (``publish_list``), entry by entry -------------------

FORM_LABEL = "表单"
BLANK_ENTRIES = 2
ENTRY_FORM_FIELDS = ("code", "offence", "legal_basis", "penalty_basis", "conditions_text", "guidance", "item", "point",
                     "fine_min", "fine_max", "basis")
FIELD_LABELS = {"department": "发布部门", "version": "版本号", "title": "清单名称", "effective_from": "生效日期",
                "effective_to": "失效日期", "first_offence_years": "首违认定期限", "entries": "条目", "file": "清单",
                "code": "序号", "offence": "违法行为", "legal_basis": "法律依据", "penalty_basis": "处罚依据",
                "basis": "处罚依据", "conditions_text": "适用条件（原文）", "conditions": "适用条件", "guidance": "处理方式",
                "item": "检查事项", "point": "检查要点", "treatment": "处罚裁量", "fine": "裁量基准（罚款幅度）",
                "fine_min": "罚款下限", "fine_max": "罚款上限"}
ENTRY_FIELD = re.compile(r"entries\[(\d+)\](?:\.(\w+))?")


def field_label(field: str, positions: list[int]) -> str:
    """A problem's field in words: ``entries[2].offence`` is 第 3 条（as numbered on the form）的违法行为."""
    found = ENTRY_FIELD.fullmatch(field)
    if found is None:
        return FIELD_LABELS.get(field, field)
    index = int(found.group(1))
    number = positions[index] if index < len(positions) else index + 1
    return f"第 {number} 条" + (f"·{FIELD_LABELS.get(found.group(2), found.group(2))}" if found.group(2) else "")


def _number(text: str):
    """A whole number as typed; anything else is passed on as typed, for the list's checks to refuse."""
    text = text.strip()
    return int(text) if text.isdigit() else (text or None)


def _form_data(form) -> tuple[dict, list[int]]:
    """The form as a list file would write it, and the form's number of each entry kept (blank ones go)."""
    data = {"department": current_user.department.code}
    for key in ("version", "title", "effective_from", "effective_to"):
        if form.get(key, "").strip():
            data[key] = form.get(key).strip()
    data["first_offence_years"] = _number(form.get("first_offence_years", "")) or 1
    entries, positions = [], []
    count = min(int(form.get("count", "0")) if form.get("count", "").isdigit() else 0, 500)
    for i in range(count):
        if form.get(f"e{i}_remove"):
            continue
        entry = {"treatment": form.get(f"e{i}_treatment", "")}
        for key in ENTRY_FORM_FIELDS:
            value = form.get(f"e{i}_{key}", "").strip()
            if value:
                entry[key] = _number(value) if key in ("point", "fine_min", "fine_max") else value
        conditions = form.getlist(f"e{i}_conditions")
        if conditions:
            entry["conditions"] = conditions
        if len(entry) == 1:          # nothing typed but the treatment: a blank row
            continue
        entries.append(entry)
        positions.append(i + 1)
    data["entries"] = entries
    return data, positions


def _current_list():
    rows = db().scalars(queries.leniency_lists(current_user.department_id)).all()
    return next((row for row in rows if row.status == "published"), None)


def _form_page(data: dict, status: int = 200, problems=(), error: str | None = None, positions=()):
    shown = [dict(e) for e in data.get("entries", [])] + [{"treatment": "no_penalty"} for _ in range(BLANK_ENTRIES)]
    rows = [(field_label(p.field, list(positions)), p.item or "", p.message) for p in problems]
    return render_template("leniency/form.html", data=data, entries=shown, problems=rows, error=error,
                           conditions=CONDITIONS, treatments=TREATMENT_LABELS, current=_current_list()), status


@bp.get("/leniency/form")
@roles_required("department")
def leniency_form():
    """The department's list in force, field by field, to publish as a new version (or an empty one)."""
    current = _current_list()
    data = list_data(current) if current is not None else {"entries": []}
    data["version"] = ""
    return _form_page(data)


@bp.post("/leniency/form")
@roles_required("department")
def leniency_form_publish():
    data, positions = _form_data(request.form)
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    try:
        published, status = publish_list(db(), current_user, data, label=FORM_LABEL, sha256=digest)
    except LeniencyFileInvalid as err:
        undo(err)
        return _form_page(data, err.status, problems=err.problems, positions=positions,
                          error=f"清单有 {len(err.problems)} 处错误，未作任何更改，请逐条修改后再发布")
    except DomainError as err:
        undo(err)
        named = "；".join(f"{FIELD_LABELS.get(k, k)}：{v}" for k, v in (err.fields or {}).items() if isinstance(v, str))
        return _form_page(data, err.status, error=err.message + (f"（{named}）" if named else ""))
    flash(f"清单「{published.title}」版本 {published.version}" + ("已发布，旧版本同时失效" if status == "published"
                                                                 else "与已发布的内容相同，未作更改"), "success")
    return redirect(url_for("views.public_leniency_list", list_id=published.id))
