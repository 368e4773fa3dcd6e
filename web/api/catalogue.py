"""The published catalogue: public, no login."""
from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from checklists import queries

from ..database import db
from .schemas import DepartmentSchema, ItemQuerySchema, ItemSchema, ItemSummarySchema

PREFIX = ""
blp = Blueprint("api_catalogue", __name__, description="检查事项清单（公开）")


@blp.get("/departments")
@blp.response(200, DepartmentSchema(many=True))
def departments():
    return db().scalars(queries.departments()).all()


@blp.get("/catalogue/items")
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ItemSummarySchema(many=True))
def items(args):
    return db().scalars(queries.published_items(args.get("department"), args.get("method"), args.get("q"))).all()


@blp.get("/catalogue/items/<code>")
@blp.response(200, ItemSchema)
def item(code: str):
    found = db().scalars(queries.item_by_code(code)).first()
    if found is None:
        abort(404)
    return found
