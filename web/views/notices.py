"""通知 pages: the account's notices, read and unread, and the section of them on the home page."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from inspection.errors import InvalidInput
from inspection.models import Notice
from inspection.operations.accounts import set_contact
from inspection.operations.notices import mark_read, notices_for, unread_count

from ..auth import roles_required
from ..database import db, writes_when_read
from .blueprint import bp

# The roles that are told anything: firms, officers, and the accounts that review.
NOTICE_ROLES = ("enterprise", "inspector", "department", "department_head")
PAGE = 100


@bp.app_context_processor
def notice_helpers():
    def unread_notices() -> int:
        if not current_user.is_authenticated or current_user.role not in NOTICE_ROLES:
            return 0
        if "unread_notices" in g:      # read with the account when the request loaded it
            return g.unread_notices
        return unread_count(db(), current_user)
    return {"unread_notices": unread_notices, "NOTICE_ROLES": NOTICE_ROLES}


def recent_notices(limit: int = 5) -> list[Notice]:
    """The account's unread notices for its home page, newest first."""
    return db().scalars(notices_for(current_user, unread=True).limit(limit)).all()


@bp.get("/notices")
@roles_required(*NOTICE_ROLES)
def notices():
    rows = db().scalars(notices_for(current_user).limit(PAGE)).all()
    return render_template("notices/list.html", notices=rows, unread=unread_count(db(), current_user), page=PAGE)


@bp.post("/notices/contact")
@roles_required(*NOTICE_ROLES)
def notices_contact():
    """The account's e-mail address and mobile number for its notices."""
    try:
        changed = set_contact(db(), current_user, email=request.form.get("email", "")[:300],
                              phone=request.form.get("phone", "")[:40])
    except InvalidInput as err:
        db().rollback()
        flash(err.message, "error")
        return redirect(url_for("views.notices"))
    flash("通知的接收方式已保存" if changed else "接收方式没有变化", "success")
    return redirect(url_for("views.notices"))


@bp.get("/notices/<int:notice_id>")
@roles_required(*NOTICE_ROLES)
@writes_when_read    # opening a notice marks it read
def notice_open(notice_id: int):
    """Opening a notice marks it read and goes where it points."""
    notice = db().scalar(notices_for(current_user).where(Notice.id == notice_id))
    if notice is None:
        abort(404)      # another's notice answers like a missing one
    mark_read(db(), current_user, [notice.id])
    return redirect(notice.link or url_for("views.notices"))


@bp.post("/notices/read")
@roles_required(*NOTICE_ROLES)
def notices_read():
    ids = [int(v) for v in request.form.getlist("notice") if v.isdigit() and len(v) < 10]
    mark_read(db(), current_user, ids or None)
    return redirect(url_for("views.home") if request.form.get("back") == "home" else url_for("views.notices"))
