"""The published catalogue (清单公开): public, no login."""
from __future__ import annotations

from flask import abort, render_template, request

from checklists import queries
from checklists.models import METHOD_LABELS

from ..database import db
from .blueprint import bp


@bp.get("/catalogue")
def catalogue():
    session = db()
    department = request.args.get("department") or None
    method = request.args.get("method") if request.args.get("method") in METHOD_LABELS else None
    text = (request.args.get("q") or "").strip()[:50] or None
    items = session.scalars(queries.published_items(department, method, text)).all()
    return render_template("catalogue/list.html", items=items, departments=session.scalars(queries.departments()).all(),
                           version=session.scalar(queries.current_version()), methods=METHOD_LABELS,
                           versions=session.scalars(queries.publications()).all(),
                           selected={"department": department, "method": method, "q": text or ""})


@bp.get("/catalogue/<code>")
def catalogue_item(code: str):
    session = db()
    item = session.scalars(queries.item_by_code(code)).first()
    if item is None:
        abort(404)
    parent = session.scalars(queries.item_by_code(item.parent_code)).first() if item.parent_code else None
    children = session.scalars(queries.sub_items(item)).all()
    return render_template("catalogue/item.html", item=item, parent=parent, children=children)
