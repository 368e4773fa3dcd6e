"""Firm pages: officials browse and search; an enterprise sees only its own firm."""
from __future__ import annotations

import datetime as dt

from flask import abort, render_template, request
from flask_login import current_user, login_required

from core import clock
from inspection import queries
from inspection.models import CREDIT_CLASSES, LEAD_KIND_LABELS
from inspection.operations.entries import EVALUATION_DAYS
from inspection.permissions import can_list_firms, can_view_document, can_view_request

from ..database import db
from ..loading import firm_or_404
from ..presenters.risk import firm_risk
from ..query_args import page_arg
from .blueprint import bp
from .offsite import open_first
from .visits import firm_visits_context

PAGE_SIZE = 50


@bp.get("/firms")
@login_required
def firms():
    if not can_list_firms(current_user):
        abort(403)
    session = db()
    args = {"district_code": request.args.get("district") or None,
            "industry": request.args.get("industry") or None,
            "credit_class": request.args.get("credit_class") if request.args.get("credit_class") in CREDIT_CLASSES else None,
            "tag": request.args.get("tag") or None,
            "text": (request.args.get("q") or "").strip()[:50] or None}
    page = page_arg()
    stmt = queries.firms(**args)
    total = session.scalar(queries.count(stmt))
    rows = session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("firms/list.html", firms=rows, total=total, page=page, page_size=PAGE_SIZE,
                           districts=session.scalars(queries.districts()).all(), args=args,
                           classes=CREDIT_CLASSES,
                           keep={k: v for k, v in request.args.items() if k != "page" and v})


@bp.get("/firms/<uscc>")
@login_required
def firm(uscc: str):
    firm = firm_or_404(uscc)
    papers = db().execute(queries.firm_papers(), {"firm": firm.id}).unique().all()
    offsite = open_first(r for r, _ in papers if r is not None and can_view_request(current_user, r))
    documents = [d for _, d in papers if d is not None and can_view_document(current_user, d)]
    context = firm_visits_context(firm)
    closes = {v["visit"]: dt.date.fromisoformat(v["day"]) + dt.timedelta(days=EVALUATION_DAYS)
              for v in context["record"]}
    return render_template("firms/detail.html", firm=firm, offsite=offsite, today=clock.today(),
                           lead_kinds=LEAD_KIND_LABELS, evaluation_days=EVALUATION_DAYS, closes=closes,
                           risk=firm_risk(db(), firm, current_user), documents=documents, **context)
