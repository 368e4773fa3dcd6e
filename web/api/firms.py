"""Firms: officials list and search; an enterprise account reads only its own firm."""
from __future__ import annotations

from flask import abort
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from inspection import queries
from inspection.permissions import can_list_firms

from ..database import db
from ..loading import firm_or_404
from .schemas import FirmPageSchema, FirmQuerySchema, FirmSchema

PREFIX = "/firms"
blp = Blueprint("api_firms", __name__, description="企业")


@blp.get("")
@login_required
@blp.arguments(FirmQuerySchema, location="query")
@blp.response(200, FirmPageSchema)
def list_firms(args):
    if not can_list_firms(current_user):
        abort(403)
    session = db()
    stmt = queries.firms(district_code=args.get("district"), industry=args.get("industry"),
                         credit_class=args.get("credit_class"), tag=args.get("tag"), text=args.get("q"))
    page, per_page = args["page"], args["per_page"]
    return {"total": session.scalar(queries.count(stmt)), "page": page, "per_page": per_page,
            "items": session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()}


@blp.get("/<uscc>")
@login_required
@blp.response(200, FirmSchema)
def get_firm(uscc: str):
    firm = firm_or_404(uscc)
    return firm
