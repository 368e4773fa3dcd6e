"""Loading what a URL names, or 404: the one place a page or an endpoint turns a firm's credit code into
the firm. Another firm's record answers exactly like a missing one, so that no URL tells whether a firm
the user may not see exists."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from inspection import queries
from inspection.models import Firm
from inspection.permissions import can_view_firm

from .database import db


def firm_or_404(uscc: str, *, visible_only: bool = True) -> Firm:
    """The firm with the credit code ``uscc`` that the signed-in user may see; with ``visible_only=False``
    any firm (public pages, and writes whose operation checks jurisdiction itself)."""
    own = getattr(current_user, "firm", None)  # a firm's account holds its firm, read with the account
    firm = own if own is not None and own.uscc == uscc else db().scalar(queries.firm_by_uscc(), {"uscc": uscc})
    if firm is None or (visible_only and not can_view_firm(current_user, firm)):
        abort(404)
    return firm
